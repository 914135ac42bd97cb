#include "common/text.hpp"

#include <algorithm>

namespace pinwatch {
namespace {

void append_hex(std::string& out, char const* prefix, unsigned long v, int digits) {
    static char const* const kHex = "0123456789abcdef";
    out += prefix;
    for (int i = digits - 1; i >= 0; --i)
        out += kHex[(v >> (4 * i)) & 15];
}

// Code points a terminal or a chat client acts on instead of showing: C0 and C1 controls
// (ESC, CSI U+009B), DEL, and the bidirectional overrides that make text read backwards. Also
// the ones that show nothing at all: line and paragraph separators (a new line to JavaScript
// and to some log viewers) and zero-width characters, which hide text or make two names look
// the same ("re\u200bquests").
bool is_active(char32_t cp) {
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
           (cp >= 0x200b && cp <= 0x200d) || cp == 0x2028 || cp == 0x2029 ||
           (cp >= 0x2060 && cp <= 0x2064) || cp == 0xfeff;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            int const hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        out += s[i];
    }
    return out;
}

// Where a URL's authority is: [start, end) after "://", up to the first '/' (or the end).
struct Authority {
    std::size_t start = std::string_view::npos, end = 0;
};
Authority authority_of(std::string_view url) {
    auto const sep = url.find("://");
    if (sep == std::string_view::npos) return {};
    std::size_t const start = sep + 3;
    std::size_t end = url.find('/', start);
    if (end == std::string_view::npos) end = url.size();
    return {start, end};
}

} // namespace

Utf8Char decode_utf8(std::string_view s, std::size_t i) noexcept {
    Utf8Char out;
    if (i >= s.size()) return out;
    auto const c = static_cast<unsigned char>(s[i]);
    std::size_t const len = c < 0x80           ? 1
                            : (c >> 5) == 0x6  ? 2
                            : (c >> 4) == 0xe  ? 3
                            : (c >> 3) == 0x1e ? 4
                                               : 0;
    if (len == 0 || i + len > s.size()) return out;
    char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1f) : len == 3 ? (c & 0x0f) : (c & 0x07);
    for (std::size_t k = 1; k < len; ++k) {
        auto const cc = static_cast<unsigned char>(s[i + k]);
        if ((cc & 0xc0) != 0x80) return out;
        cp = (cp << 6) | (cc & 0x3f);
    }
    static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (len > 1 && (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))) return out;
    return Utf8Char{cp, len, true};
}

std::string valid_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        auto const ch = decode_utf8(s, i);
        if (ch.ok)
            out.append(s.substr(i, ch.length));
        else
            out += "\xEF\xBF\xBD";
        i += ch.length;
    }
    return out;
}

std::string sanitize_text(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        auto const ch = decode_utf8(s, i);
        if (!ch.ok) {
            append_hex(out, "\\x", static_cast<unsigned char>(s[i]), 2);
            ++i;
            continue;
        }
        if (ch.code_point == '\t')
            out += ' ';
        else if (!is_active(ch.code_point))
            out.append(s.substr(i, ch.length));
        else if (ch.code_point < 0x100)
            append_hex(out, "\\x", ch.code_point, 2);
        else
            append_hex(out, "\\u", ch.code_point, 4);
        i += ch.length;
    }
    return out;
}

std::string html_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&#39;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

std::size_t display_width(std::string_view s) noexcept {
    std::size_t n = 0;
    for (unsigned char c : s)
        n += (c & 0xC0) != 0x80;
    return n;
}

std::string redact_url(std::string_view url) {
    // Hand-rolled rather than Boost.URL: it must also clean strings that fail to parse,
    // since those end up in "bad URL" messages.
    url = url.substr(0, std::min(url.find('?'), url.find('#')));
    std::string_view rest = url;
    std::string out;
    if (auto scheme_end = url.find("://"); scheme_end != std::string_view::npos) {
        out.append(url.substr(0, scheme_end + 3));
        rest = url.substr(scheme_end + 3);
    }
    auto const authority_end = std::min(rest.find('/'), rest.size());
    auto const authority = rest.substr(0, authority_end);
    if (auto at = authority.rfind('@'); at != std::string_view::npos) rest.remove_prefix(at + 1);
    out.append(rest);
    return out;
}

std::string redact_credentials(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t done = 0; // text[0, done) is in `out`
    for (std::size_t sep = text.find("://"); sep != std::string_view::npos;
         sep = text.find("://", done)) {
        std::size_t const start = sep + 3;
        std::size_t end = start;
        auto const ends_authority = [](char c) {
            return c == '/' || c == '\\' || is_blank(c) || c == '"' || c == '\'' || c == '<' ||
                   c == '>' || c == '`';
        };
        while (end < text.size() && !ends_authority(text[end]))
            ++end;
        out.append(text.substr(done, start - done));
        auto const authority = text.substr(start, end - start);
        auto const at = authority.rfind('@');
        done = at == std::string_view::npos ? start : start + at + 1;
    }
    out.append(text.substr(done));
    return out;
}

std::string redact_url_queries(std::string_view text) {
    auto const ends_url = [](char c) {
        return is_blank(c) || c == '"' || c == '\'' || c == '<' || c == '>' || c == '`';
    };
    std::string out;
    out.reserve(text.size());
    std::size_t done = 0; // text[0, done) is in `out`
    for (std::size_t sep = text.find("://"); sep != std::string_view::npos;
         sep = text.find("://", done)) {
        std::size_t end = sep + 3;
        while (end < text.size() && !ends_url(text[end]))
            ++end;
        auto const url = text.substr(done, end - done);
        auto const query = url.find('?', sep + 3 - done);
        if (query == std::string_view::npos) {
            out.append(url);
        } else {
            out.append(url.substr(0, query));
            out.append("?\u2026");
        }
        done = end;
    }
    out.append(text.substr(done));
    return out;
}

std::string url_identity(std::string_view url) {
    auto const a = authority_of(url);
    if (a.start == std::string_view::npos) return std::string(url);
    auto authority = url.substr(a.start, a.end - a.start);
    if (auto at = authority.rfind('@'); at != std::string_view::npos)
        authority.remove_prefix(at + 1);
    return ascii_lower(url.substr(0, a.start)) + ascii_lower(authority) +
           std::string(url.substr(a.end));
}

std::string url_origin(std::string_view url) {
    auto id = url_identity(url);
    auto const sep = id.find("://");
    if (sep == std::string::npos) return {};
    id.resize(std::min(id.find('/', sep + 3), id.size()));
    return id;
}

std::optional<UserInfo> url_userinfo(std::string_view url) {
    auto const a = authority_of(url);
    if (a.start == std::string_view::npos) return std::nullopt;
    auto const authority = url.substr(a.start, a.end - a.start);
    auto const at = authority.rfind('@');
    if (at == std::string_view::npos) return std::nullopt;
    auto const info = authority.substr(0, at);
    auto const colon = info.find(':');
    UserInfo out;
    out.user = percent_decode(info.substr(0, colon));
    if (colon != std::string_view::npos) out.password = percent_decode(info.substr(colon + 1));
    return out;
}

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        c = ascii_lower(c);
    return out;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

bool iends_with(std::string_view s, std::string_view suffix) noexcept {
    return s.size() >= suffix.size() && iequals(s.substr(s.size() - suffix.size()), suffix);
}

std::string_view trim_blanks(std::string_view s) noexcept {
    while (!s.empty() && is_blank(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_blank(s.back()))
        s.remove_suffix(1);
    return s;
}

} // namespace pinwatch
