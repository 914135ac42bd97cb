// The PEP 508 tokenizer and recursive-descent parser, ported rule by rule from pypa/packaging
// 23.0's _tokenizer.py and _parser.py so that the same strings are accepted and split the same
// way. Internal to packaging/ (Marker and Requirement are the public faces); no I/O, no regex.
#pragma once

#include "common/result.hpp"
#include "packaging/marker.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pinwatch::packaging::pep508 {

// What packaging's parse_requirement() returns, before Requirement validates the URL and turns
// the specifier text into a SpecifierSet.
struct ParsedRequirement {
    std::string name;
    std::string url;                 // "" when there is none
    std::vector<std::string> extras; // as written, in order, duplicates kept
    std::string specifier;           // the SPECIFIER and COMMA tokens concatenated
    std::optional<MarkerList> marker;
};

// Errors read "Expected <what> at column <n>" (1-based, counted in code points as Python
// counts them). Input that is not valid UTF-8 is rejected up front: Python strings cannot hold
// it, so there is nothing to agree with.
Result<ParsedRequirement> parse_requirement(std::string_view source);

// packaging's parse_marker(): parses one marker expression and ignores whatever follows it,
// unless `to_end`, which then demands the end of the text (after optional whitespace).
// `lock_file`: PEP 751's `extras` and `dependency_groups` are variables too (pylock.toml).
Result<MarkerList> parse_marker(std::string_view source, bool to_end = false,
                                bool lock_file = false);

// Length in bytes of the SPECIFIER token at `pos` (0 when it does not match): packaging's
// operator+version regex, as a prefix match with Python's leftmost-alternative semantics,
// IGNORECASE (including the Unicode letters that fold to s, k and i) and Unicode \s.
std::size_t match_specifier_token(std::string_view s, std::size_t pos);

// ast.literal_eval() of one quoted-string token (quotes included): Python's escape sequences,
// backslash-newline continuations, and its errors (raw line breaks, NUL, truncated \x/\u/\U,
// out-of-range \U). "\N{NAME}" needs the Unicode name database and is rejected as unsupported.
Result<std::string> decode_python_string(std::string_view token);

// Parentheses nested deeper than this are rejected instead of recursing further. Python gives
// up with RecursionError at about the same depth (493 levels inside a requirement, 495 in a
// bare marker, from a shallow call stack), so only absurd input is affected either way.
inline constexpr int kMaxMarkerDepth = 490;

} // namespace pinwatch::packaging::pep508
