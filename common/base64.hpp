// base64 decoding (RFC 4648, standard alphabet) for keys written by people: a Standard Webhooks
// "whsec_" key in the config. Strict: padding may be omitted but nothing else is forgiven.
// Standard library only. (Encoding lives in net/http.hpp, next to its one user.)
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pinwatch {

// The decoded bytes, or nullopt when `text` is not base64: a character outside the alphabet,
// padding anywhere but at the end, a length that no encoding has, or non-zero trailing bits.
std::optional<std::string> base64_decode(std::string_view text);

} // namespace pinwatch
