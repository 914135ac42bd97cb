// Secret references in the config: where a credential comes from, never the credential itself
// unless the user insists. Resolved once, at load time; errors name the kind of reference and
// the variable or path, never what was read. No network, no logging.
#pragma once

#include "common/result.hpp"
#include "common/secret.hpp"

#include <filesystem>
#include <string>
#include <string_view>

namespace pinwatch::config {

// A reference is one of:
//   env:NAME         the environment variable NAME (set and not empty)
//   file:PATH        the file's content, trailing CR/LF removed; refused when the file is
//                    readable by group or others. Relative paths are relative to `base`.
//   credential:NAME  the file NAME in $CREDENTIALS_DIRECTORY (systemd's LoadCredential=)
//   anything else    the value itself, literally
// Errors look like "env: environment variable 'SLACK_WEBHOOK_URL' is not set".
Result<std::string> resolve_secret(std::string_view reference,
                                   std::filesystem::path const& base = {});

// The same, wrapped so the value cannot be printed by mistake.
Result<Secret> resolve_secret_value(std::string_view reference,
                                    std::filesystem::path const& base = {});

// True when `reference` names a source (env:, file:, credential:) rather than being a literal.
bool is_secret_reference(std::string_view reference) noexcept;

} // namespace pinwatch::config
