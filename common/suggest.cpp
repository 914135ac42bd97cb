#include "common/suggest.hpp"

#include <algorithm>
#include <numeric>

namespace pinwatch {

namespace {

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

} // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
    // Optimal string alignment (Damerau-Levenshtein without re-editing a swapped pair), three
    // rows of the usual table: a swapped pair is the commonest typo and costs one edit.
    std::vector<std::size_t> before(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
    std::iota(prev.begin(), prev.end(), std::size_t{0});
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            bool const same = lower(a[i - 1]) == lower(b[j - 1]);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (same ? 0 : 1)});
            if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
                lower(a[i - 2]) == lower(b[j - 1]))
                cur[j] = std::min(cur[j], before[j - 2] + 1);
        }
        std::swap(before, prev);
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

std::optional<std::string_view> nearest_name(std::string_view typed,
                                             std::vector<std::string_view> const& known) {
    std::size_t const limit = std::max<std::size_t>(1, typed.size() / 3);
    std::optional<std::string_view> best;
    std::size_t best_distance = limit + 1;
    for (auto name : known) {
        if (name == typed) continue;
        auto const d = edit_distance(typed, name);
        if (d < best_distance) best = name, best_distance = d;
    }
    return best;
}

std::string did_you_mean(std::string_view typed, std::vector<std::string_view> const& known) {
    auto const name = nearest_name(typed, known);
    return name ? " (did you mean '" + std::string(*name) + "'?)" : std::string();
}

} // namespace pinwatch
