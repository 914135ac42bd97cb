// Unicode character names as CPython's `\N{NAME}` escape reads them (Objects/unicodeobject.c
// calling unicodedata's _getcode without named sequences): the names and formal aliases of the
// Unicode Character Database compared without ASCII case, plus the two families of names made up
// by rule, which Python matches in upper case only: "HANGUL SYLLABLE <jamo>" and
// "CJK UNIFIED IDEOGRAPH-<4 or 5 upper-case hex digits>". The table is generated at build time
// from Debian's unicode-data (packaging/unicode_names_gen.cpp).
#include "packaging/pytext.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

namespace pinwatch::packaging::py {
namespace {

struct NameEntry {
    std::uint32_t offset;
    std::uint8_t size;
    char32_t cp;
};

#include "unicode_names.inc"

std::string_view name_of(NameEntry const& e) {
    return std::string_view(kNameText + e.offset, e.size);
}

// The Unicode Standard's conjoining jamo short names (chapter 3.12): leading consonants,
// vowels, trailing consonants ("" for none). Python's find_syllable takes the longest match in
// each column.
constexpr std::array<std::string_view, 19> kLeading = {"G", "GG", "N", "D",  "DD", "R", "M",
                                                       "B", "BB", "S", "SS", "",   "J", "JJ",
                                                       "C", "K",  "T", "P",  "H"};
constexpr std::array<std::string_view, 21> kVowel = {"A",   "AE", "YA", "YAE", "EO", "E",  "YEO",
                                                     "YE",  "O",  "WA", "WAE", "OE", "YO", "U",
                                                     "WEO", "WE", "WI", "YU",  "EU", "YI", "I"};
constexpr std::array<std::string_view, 28> kTrailing = {
    "",   "G",  "GG", "GS", "N",  "NJ", "NH", "D",  "L", "LG", "LM", "LB", "LS", "LT",
    "LP", "LH", "M",  "B",  "BS", "S",  "SS", "NG", "J", "C",  "K",  "T",  "P",  "H"};

template <std::size_t N>
int longest_jamo(std::string_view s, std::array<std::string_view, N> const& names,
                 std::size_t& len) {
    int found = -1;
    len = 0;
    for (std::size_t i = 0; i < N; ++i) {
        auto const n = names[i];
        if ((found < 0 || n.size() > len) && s.substr(0, n.size()) == n) {
            found = static_cast<int>(i);
            len = n.size();
        }
    }
    return found;
}

std::optional<char32_t> hangul_syllable(std::string_view jamo) {
    std::size_t l_len = 0, v_len = 0, t_len = 0;
    int const l = longest_jamo(jamo, kLeading, l_len);
    jamo.remove_prefix(l_len);
    int const v = longest_jamo(jamo, kVowel, v_len);
    jamo.remove_prefix(v_len);
    int const t = longest_jamo(jamo, kTrailing, t_len);
    jamo.remove_prefix(t_len);
    if (l < 0 || v < 0 || t < 0 || !jamo.empty()) return std::nullopt;
    return static_cast<char32_t>(0xAC00 + (l * 21 + v) * 28 + t);
}

std::optional<char32_t> unified_ideograph(std::string_view hex) {
    if (hex.size() != 4 && hex.size() != 5) return std::nullopt;
    char32_t v = 0;
    for (char c : hex) {
        if (c >= '0' && c <= '9')
            v = v * 16 + static_cast<char32_t>(c - '0');
        else if (c >= 'A' && c <= 'F')
            v = v * 16 + static_cast<char32_t>(c - 'A' + 10);
        else
            return std::nullopt;
    }
    for (auto const& [first, last] : kUnifiedIdeographs)
        if (v >= first && v <= last) return v;
    return std::nullopt;
}

} // namespace

std::optional<char32_t> lookup_name(std::string_view name) {
    constexpr std::string_view kHangul = "HANGUL SYLLABLE ";
    constexpr std::string_view kIdeograph = "CJK UNIFIED IDEOGRAPH-";
    if (name.substr(0, kHangul.size()) == kHangul)
        return hangul_syllable(name.substr(kHangul.size()));
    if (name.substr(0, kIdeograph.size()) == kIdeograph)
        return unified_ideograph(name.substr(kIdeograph.size()));
    // Every stored name is upper-case ASCII: compare the query upper-cased, as Python does.
    if (name.empty() || name.size() > 255) return std::nullopt;
    std::string upper(name);
    for (char& c : upper)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    auto const* end = std::end(kNames);
    auto const* it =
        std::lower_bound(std::begin(kNames), end, std::string_view(upper),
                         [](NameEntry const& e, std::string_view n) { return name_of(e) < n; });
    if (it == end || name_of(*it) != upper) return std::nullopt;
    return it->cp;
}

} // namespace pinwatch::packaging::py
