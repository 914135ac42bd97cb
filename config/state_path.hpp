// The one setting `pinwatch status` needs from a config: where the state file is. Read on its
// own so that status works where the notifiers' secrets cannot be resolved (an admin's shell
// has no $CREDENTIALS_DIRECTORY, no service environment): nothing else in the file is checked.
#pragma once

#include "common/diagnostic.hpp"
#include "common/result.hpp"

#include <optional>
#include <string>

namespace pinwatch::config {

// The config's `state` (or `[state] path`) as `run` would use it (a relative path is relative to
// the config's folder), nullopt when the config does not set it; an error for an unreadable file,
// invalid TOML or a state path that is not a string.
Result<std::optional<std::string>, Diagnostic> read_state_setting(std::string const& path);

} // namespace pinwatch::config
