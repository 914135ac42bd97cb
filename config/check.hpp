// Everything `run` checks before it starts, in one place, so `config-check` and `run` agree:
// the config itself, the files it names (requirements, pyproject, CA file), the secrets it
// references, and a warning for literal secrets in a file others can read. No network, no state.
#pragma once

#include "config/config.hpp"

#include <optional>
#include <string>
#include <vector>

namespace pinwatch::config {

struct ConfigCheck {
    std::optional<Config> config;      // set when there are no errors
    std::vector<ConfigError> errors;   // every problem, sorted by line ("file:line: key: ...")
    std::vector<ConfigError> warnings; // worth saying, not worth refusing to start
    bool ok() const { return errors.empty(); }
};

// Reads and checks the config at `path`; reports every problem, not just the first.
ConfigCheck check_config(std::string const& path, TableReaders const& owned = {},
                         ChannelReaders const& channels = {});

} // namespace pinwatch::config
