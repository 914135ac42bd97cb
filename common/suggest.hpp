// "Did you mean ...?" for a mistyped name (a config key, a command): the nearest known name by
// edit distance, offered only when it is close enough to be a likely typo. Pure functions,
// standard library only; the callers decide where the hint goes.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pinwatch {

// Edits (insert, delete, replace one character, swap two neighbours) that turn `a` into `b`,
// ASCII letters compared without case: "webhook_ur1" -> "webhook_url" is 1, "tiemout" ->
// "timeout" is 1, "Timeout" -> "timeout" is 0.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The known name nearest to `typed`, when it is at most max(1, length of `typed` / 3) edits
// away and is not `typed` itself; the first in `known` wins a tie.
std::optional<std::string_view> nearest_name(std::string_view typed,
                                             std::vector<std::string_view> const& known);

// " (did you mean 'webhook_url'?)" for the nearest known name, or "" when none is close.
std::string did_you_mean(std::string_view typed, std::vector<std::string_view> const& known);

} // namespace pinwatch
