// Python `str` semantics on UTF-8 text, for the parsers that must agree with packaging and pip
// character for character: code point decoding, str.isspace(), str.splitlines(), str.strip().
// Internal to packaging/; pure functions, no I/O, no locale, no std::regex.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pinwatch::packaging::py {

// One decoded code point. `len` is the number of bytes it took (>= 1 even when invalid, so a
// caller can always make progress); `valid` is false for malformed or overlong UTF-8.
struct CodePoint {
    char32_t cp = 0;
    std::size_t len = 1;
    bool valid = true;
};

CodePoint decode_at(std::string_view s, std::size_t i);

// Appends `cp` as UTF-8. Lone surrogates (which Python strings may hold after a "\ud800"
// escape) are written in the 3-byte form so the text round-trips instead of being dropped.
void append_utf8(std::string& out, char32_t cp);

// Byte offset of the first malformed sequence, or npos when `s` is valid UTF-8.
std::size_t first_invalid_utf8(std::string_view s);

// str.isspace(): the 29 code points Python treats as whitespace (also what `\s` matches in a
// str pattern).
bool is_space(char32_t cp);

// str.splitlines() boundaries: \n \r \v \f \x1c \x1d \x1e \x85 \u2028 \u2029 ("\r\n" is one).
bool is_line_break(char32_t cp);

// ASCII "word" character for regex \b purposes: [A-Za-z0-9_]. The PEP 508 grammar only puts a
// \b next to ASCII tokens, and every non-ASCII character after one is a syntax error either
// way, so the ASCII test gives the same accept/reject answer as Python's Unicode \b.
inline bool is_word_ascii(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// 1-based column of `byte_offset` in code points, as Python would count it.
std::size_t column_of(std::string_view s, std::size_t byte_offset);

// Leading/trailing whitespace removed with str.strip() semantics (Unicode whitespace).
std::string_view strip(std::string_view s);
std::string_view lstrip(std::string_view s);
std::string_view rstrip(std::string_view s);

// str.splitlines() without keepends. Input must be valid UTF-8.
std::vector<std::string_view> splitlines(std::string_view s);

// The character a `\N{NAME}` escape names, as CPython reads it: a name or formal alias (all
// of NameAliases.txt) of the Unicode Character Database compared without ASCII case, or
// "HANGUL SYLLABLE <jamo>" / "CJK UNIFIED IDEOGRAPH-<4 or 5 hex digits>" in upper case. Named
// sequences ("KEYCAP NUMBER SIGN") are not single characters and are rejected, as Python does.
// The table comes from Debian's unicode-data at build time (packaging/unicode_names.cpp).
std::optional<char32_t> lookup_name(std::string_view name);

// Length in bytes of the whitespace run (str.isspace) starting at `i`.
std::size_t space_run(std::string_view s, std::size_t i);

} // namespace pinwatch::packaging::py
