// Internals shared by version.cpp and specifier.cpp: the PEP 440 version grammar of packaging 23.0
// as a hand-written scanner, and the few pieces of Python str semantics it depends on (Unicode
// whitespace, re.IGNORECASE letter matching, str.lower). Not a public API; no I/O, no std::regex.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pinwatch::packaging::detail {

// Python's int() refuses decimal strings longer than this (sys.int_info.str_digits_check_threshold
// default since 3.11), so packaging 23.0 raises ValueError for versions with such numbers.
inline constexpr std::size_t python_int_max_str_digits = 4300;

// Decodes UTF-8 into code points. Packaging sees Python str, which can never hold malformed UTF-8;
// our callers treat undecodable input as invalid.
bool decode_utf8(std::string_view in, std::u32string& out);
void append_utf8(std::string& out, char32_t c);
std::string encode_utf8(std::u32string_view text);

// str.isspace() / the `\s` class of Python's re for str patterns.
bool is_python_space(char32_t c);
std::u32string_view strip_python_space(std::u32string_view text);

// Python's str.lower() restricted to what can appear in a parsed version: ASCII, plus the four
// non-ASCII letters re.IGNORECASE lets through [a-z] (U+0130 İ, U+0131 ı, U+017F ſ, U+212A K).
// Returns nullopt for any other non-ASCII character.
std::optional<std::string> lower_version_text(std::u32string_view text);

// A half-open range of code point offsets into the scanned text.
struct Span {
    std::size_t begin = 0;
    std::size_t end = 0;
    bool present = false;
    std::size_t size() const { return end - begin; }
};

// The pieces of a version as VERSION_PATTERN's groups capture them, before any normalisation.
struct VersionScan {
    bool has_v = false;
    Span epoch;
    std::vector<Span> release;
    Span pre_label;
    Span pre_number;
    bool has_post = false;
    Span post_label; // absent for the implicit form "1.0-1"
    Span post_number;
    bool has_dev = false;
    Span dev_number;
    std::vector<Span> local;
};

struct ScanError {
    std::size_t offset = 0; // code point offset where matching stopped
    std::string what;
};

// Matches all of `text` (already stripped of surrounding whitespace) against packaging 23.0's
// VERSION_PATTERN under re.VERBOSE | re.IGNORECASE, choosing the same groups the backtracking
// regex chooses. Linear time.
std::optional<ScanError> scan_version(std::u32string_view text, VersionScan& out);

// packaging.specifiers._version_split: split on '.', then "1rc2" -> "1", "rc2".
std::vector<std::string> version_split(std::string_view version);

} // namespace pinwatch::packaging::detail
