#include "packaging/pytext.hpp"

namespace pinwatch::packaging::py {

CodePoint decode_at(std::string_view s, std::size_t i) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char b0 = byte(i);
    if (b0 < 0x80) return {b0, 1, true};
    std::size_t need;
    char32_t cp;
    char32_t min;
    if ((b0 & 0xE0) == 0xC0) {
        need = 1, cp = b0 & 0x1F, min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
        need = 2, cp = b0 & 0x0F, min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
        need = 3, cp = b0 & 0x07, min = 0x10000;
    } else {
        return {0xFFFD, 1, false};
    }
    for (std::size_t k = 1; k <= need; ++k) {
        if (i + k >= s.size() || (byte(i + k) & 0xC0) != 0x80) return {0xFFFD, k, false};
        cp = (cp << 6) | (byte(i + k) & 0x3F);
    }
    // Surrogates are not valid UTF-8 from a file, but our own append_utf8 writes them for
    // Python strings holding lone surrogates; accept them so such text round-trips.
    if (cp < min || cp > 0x10FFFF) return {0xFFFD, need + 1, false};
    return {cp, need + 1, true};
}

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

std::size_t first_invalid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        CodePoint c = decode_at(s, i);
        // A file's bytes must not encode surrogates (Python's utf-8 codec rejects them).
        if (!c.valid || (c.cp >= 0xD800 && c.cp <= 0xDFFF)) return i;
        i += c.len;
    }
    return std::string_view::npos;
}

bool is_space(char32_t cp) {
    switch (cp) {
    case 0x09:
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x1C:
    case 0x1D:
    case 0x1E:
    case 0x1F:
    case 0x20:
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
        return true;
    default:
        return cp >= 0x2000 && cp <= 0x200A;
    }
}

bool is_line_break(char32_t cp) {
    switch (cp) {
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x1C:
    case 0x1D:
    case 0x1E:
    case 0x85:
    case 0x2028:
    case 0x2029:
        return true;
    default:
        return false;
    }
}

std::size_t column_of(std::string_view s, std::size_t byte_offset) {
    std::size_t col = 1;
    for (std::size_t i = 0; i < byte_offset && i < s.size(); ++col)
        i += decode_at(s, i).len;
    return col;
}

std::size_t space_run(std::string_view s, std::size_t i) {
    std::size_t start = i;
    while (i < s.size()) {
        CodePoint c = decode_at(s, i);
        if (!c.valid || !is_space(c.cp)) break;
        i += c.len;
    }
    return i - start;
}

std::string_view lstrip(std::string_view s) {
    return s.substr(space_run(s, 0));
}

std::string_view rstrip(std::string_view s) {
    // Walk forwards (UTF-8 cannot be decoded backwards safely without re-synchronising) and
    // remember where the last non-space code point ended.
    std::size_t end = 0;
    for (std::size_t i = 0; i < s.size();) {
        CodePoint c = decode_at(s, i);
        i += c.len;
        if (!c.valid || !is_space(c.cp)) end = i;
    }
    return s.substr(0, end);
}

std::string_view strip(std::string_view s) {
    return rstrip(lstrip(s));
}

std::vector<std::string_view> splitlines(std::string_view s) {
    std::vector<std::string_view> lines;
    std::size_t start = 0;
    std::size_t i = 0;
    while (i < s.size()) {
        CodePoint c = decode_at(s, i);
        if (c.valid && is_line_break(c.cp)) {
            lines.push_back(s.substr(start, i - start));
            i += c.len;
            if (c.cp == '\r' && i < s.size() && s[i] == '\n') ++i;
            start = i;
        } else {
            i += c.len;
        }
    }
    if (start < s.size()) lines.push_back(s.substr(start));
    return lines;
}

} // namespace pinwatch::packaging::py
