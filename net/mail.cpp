// Message building (see mail.hpp). Every header line is produced here, from checked values,
// so nothing a package index or a server said can add a header or end the header block.
#include "net/mail.hpp"

#include "common/text.hpp"
#include "net/http.hpp"

#include <array>
#include <chrono>
#include <ctime>
#include <random>

namespace pinwatch::net {
namespace {

constexpr std::size_t kFoldAt = 78;    // RFC 5322 §2.1.1 SHOULD
constexpr std::size_t kLineMax = 998;  // RFC 5322 §2.1.1 MUST
constexpr std::size_t kWordBytes = 39; // UTF-8 bytes per encoded-word: 52 base64 characters,
                                       // 64 with "=?UTF-8?B?" and "?=", under 75 (RFC 2047 §2)

bool has_line_break(std::string_view s) {
    return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

bool plain_printable(std::string_view s) {
    for (char c : s)
        if (c < 0x20 || c > 0x7e) return false;
    return true;
}

// Words joined by single spaces, folded (CRLF SP) before a word that would pass column 78.
// `used` is what the line already holds ("Subject: "). Fails if a line must pass 998.
Result<std::string> fold_words(std::size_t used, std::vector<std::string> const& words) {
    std::string out;
    std::size_t column = used;
    bool first = true;
    for (auto const& w : words) {
        if (w.empty()) continue;
        if (!first && column + 1 + w.size() > kFoldAt) {
            out += "\r\n";
            column = 0;
        }
        if (!first) {
            out += ' ';
            ++column;
        }
        out += w;
        column += w.size();
        if (column > kLineMax) return fail("header line longer than 998 characters");
        first = false;
    }
    return out;
}

std::vector<std::string> split_blanks(std::string_view s) {
    std::vector<std::string> words;
    std::string word;
    for (char c : s) {
        if (c == ' ' || c == '\t') {
            if (!word.empty()) words.push_back(std::move(word));
            word.clear();
        } else {
            word += c;
        }
    }
    if (!word.empty()) words.push_back(std::move(word));
    return words;
}

// RFC 2047 B encoded-words for `utf8`, each holding whole characters.
std::vector<std::string> encoded_words(std::string_view utf8) {
    std::vector<std::string> words;
    std::size_t start = 0;
    while (start < utf8.size()) {
        std::size_t end = start;
        while (end < utf8.size()) {
            auto const ch = decode_utf8(utf8, end);
            if (end + ch.length - start > kWordBytes) break;
            end += ch.length;
        }
        if (end == start) end = start + 1; // cannot happen with valid UTF-8; never loop forever
        words.push_back("=?UTF-8?B?" + base64_encode(utf8.substr(start, end - start)) + "?=");
        start = end;
    }
    return words;
}

bool needs_encoding(std::string_view s) {
    if (!plain_printable(s) || s.find("=?") != std::string_view::npos) return true;
    for (auto const& w : split_blanks(s))
        if (w.size() > 70) return true; // would make an overlong line: encoded-words split it
    // Leading, trailing or repeated blanks would be lost by folding: keep them encoded.
    return s.front() == ' ' || s.back() == ' ' || s.find("  ") != std::string_view::npos;
}

bool is_atext_or_space(char c) {
    static constexpr std::string_view extra = "!#$%&'*+-/=?^_`{|}~ ";
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           extra.find(c) != std::string_view::npos;
}

// The words of one mailbox: "Name <addr>", "\"A, B\" <addr>", "=?UTF-8?B?...?= <addr>".
Result<std::vector<std::string>> mailbox_words(Mailbox const& m, std::string_view field) {
    if (auto ok = check_address(m.address); !ok)
        return fail(std::string(field) + ": " + ok.error());
    for (char c : m.display_name)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            return fail(std::string(field) +
                        ": the display name holds a control character (CR, LF, ...)");
    std::vector<std::string> words;
    std::string const name = valid_utf8(trim_blanks(m.display_name));
    bool atoms = name.find("  ") == std::string::npos;
    for (char c : name)
        atoms = atoms && is_atext_or_space(c);
    if (name.empty()) {
        // a bare address
    } else if (!plain_printable(name) || name.find("=?") != std::string::npos) {
        words = encoded_words(name);
    } else if (atoms) {
        words = split_blanks(name);
    } else {
        // Specials (",", ".", "@", quotes...): a quoted-string, kept on one line.
        std::string quoted = "\"";
        for (char c : name) {
            if (c == '"' || c == '\\') quoted += '\\';
            quoted += c;
        }
        words.push_back(quoted + "\"");
    }
    words.push_back("<" + m.address + ">");
    return words;
}

bool valid_field_name(std::string_view name) {
    if (name.empty()) return false;
    for (char c : name)
        if (c < 33 || c > 126 || c == ':') return false;
    return true;
}

bool reserved_field(std::string_view name) {
    static constexpr std::string_view kReserved[] = {
        "date",        "from",         "sender",       "reply-to",
        "to",          "cc",           "bcc",          "subject",
        "message-id",  "mime-version", "content-type", "content-transfer-encoding",
        "return-path", "received"};
    for (auto r : kReserved)
        if (iequals(name, r)) return true;
    return name.size() >= 8 && iequals(name.substr(0, 8), "content-");
}

std::string hex(std::uint64_t v, int digits) {
    static char const* const kHex = "0123456789abcdef";
    std::string out(static_cast<std::size_t>(digits), '0');
    for (int i = digits - 1; i >= 0; --i, v >>= 4)
        out[static_cast<std::size_t>(i)] = kHex[v & 15];
    return out;
}

// FNV-1a: the boundary is a function of the Message-ID, so building stays pure.
std::uint64_t fnv1a(std::string_view s) {
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

} // namespace

std::string format_date(std::int64_t unix_seconds) {
    static constexpr std::array<char const*, 7> kDays = {"Sun", "Mon", "Tue", "Wed",
                                                         "Thu", "Fri", "Sat"};
    static constexpr std::array<char const*, 12> kMonths = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::time_t const t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                  tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                  tm.tm_sec);
    return buf;
}

std::string new_message_id(std::string_view domain) {
    static thread_local std::mt19937_64 gen = [] {
        std::random_device rd;
        std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
        return std::mt19937_64(seq);
    }();
    std::string const right = domain.empty() ? std::string("localhost") : std::string(domain);
    return "<" + hex(gen(), 16) + hex(gen(), 16) + "@" + right + ">";
}

void stamp(Message& message) {
    if (!message.date)
        message.date = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
    if (message.message_id.empty()) message.message_id = new_message_id(message.from.domain());
}

std::string quoted_printable(std::string_view text) {
    std::string out;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find_first_of("\r\n", start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view const line = text.substr(start, end - start);
        std::string current;
        for (std::size_t i = 0; i < line.size(); ++i) {
            auto const c = static_cast<unsigned char>(line[i]);
            std::string token;
            bool const last = i + 1 == line.size();
            if ((c == ' ' || c == '\t') && !last)
                token = static_cast<char>(c);
            else if (c >= 33 && c <= 126 && c != '=')
                token = static_cast<char>(c);
            else
                token = "=" + [&] {
                    std::string h = hex(c, 2);
                    for (auto& ch : h)
                        if (ch >= 'a') ch = static_cast<char>(ch - 'a' + 'A');
                    return h;
                }();
            if (current.size() + token.size() > 75) {
                out += current + "=\r\n";
                current.clear();
            }
            current += token;
        }
        out += current + "\r\n";
        // One line end: CRLF, LF or a lone CR.
        if (end < text.size() && text[end] == '\r' && end + 1 < text.size() &&
            text[end + 1] == '\n')
            ++end;
        start = end + 1;
    }
    return out;
}

Result<std::string> encode_header_text(std::string_view name, std::string_view utf8) {
    if (has_line_break(utf8))
        return fail(std::string(name) + ": CR, LF or NUL in a header value is refused");
    std::string const text = valid_utf8(utf8);
    if (text.empty()) return std::string();
    std::vector<std::string> const words =
        needs_encoding(text) ? encoded_words(text) : split_blanks(text);
    auto folded = fold_words(name.size() + 2, words);
    if (!folded) return fail(std::string(name) + ": " + folded.error());
    return folded;
}

Result<std::string> build_message(Message const& m) {
    if (!m.date) return fail("Date: not set (call stamp)");
    auto const& id = m.message_id;
    if (id.size() < 5 || id.front() != '<' || id.back() != '>' ||
        id.find('@') == std::string::npos || !plain_printable(id) ||
        id.find_first_of(" <>", 1) != id.size() - 1)
        return fail("Message-ID: expected <left@right>");
    if (m.to.empty()) return fail("To: no recipients");

    std::string out;
    auto header = [&](std::string_view name, std::string const& value) {
        out.append(name).append(": ").append(value).append("\r\n");
    };
    header("Date", format_date(*m.date));

    auto from = mailbox_words(m.from, "From");
    if (!from) return fail(std::move(from).error());
    auto from_value = fold_words(6, *from);
    if (!from_value) return fail("From: " + from_value.error());
    header("From", *from_value);

    std::vector<std::string> to_words;
    for (std::size_t i = 0; i < m.to.size(); ++i) {
        auto words = mailbox_words(m.to[i], "To");
        if (!words) return fail(std::move(words).error());
        if (i + 1 < m.to.size()) words->back() += ',';
        to_words.insert(to_words.end(), words->begin(), words->end());
    }
    auto to_value = fold_words(4, to_words);
    if (!to_value) return fail("To: " + to_value.error());
    header("To", *to_value);

    auto subject = encode_header_text("Subject", m.subject);
    if (!subject) return fail(std::move(subject).error());
    header("Subject", *subject);
    header("Message-ID", id);
    header("MIME-Version", "1.0");

    for (auto const& [name, value] : m.headers) {
        if (!valid_field_name(name)) return fail("invalid header field name");
        if (reserved_field(name))
            return fail(name + ": set by the message builder, not as an extra header");
        if (has_line_break(value))
            return fail(name + ": CR, LF or NUL in a header value is refused");
        if (!plain_printable(value)) return fail(name + ": extra header values must be ASCII");
        auto folded = fold_words(name.size() + 2, split_blanks(value));
        if (!folded) return fail(name + ": " + folded.error());
        header(name, *folded);
    }

    auto const part = [](std::string_view type, std::string_view body) {
        return "Content-Type: " + std::string(type) +
               "; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
               quoted_printable(valid_utf8(body));
    };
    if (m.html.empty()) {
        out += part("text/plain", m.text);
        return out;
    }
    // "=_" cannot occur in quoted-printable text ('=' is always followed by two hex digits or a
    // line end), so the boundary cannot collide with either part.
    std::string const boundary = "=_pinwatch_" + hex(fnv1a(id), 16);
    out += "Content-Type: multipart/alternative;\r\n boundary=\"" + boundary + "\"\r\n\r\n";
    out += "This is a multi-part message in MIME format.\r\n";
    // The CRLF before a delimiter belongs to the delimiter (RFC 2046 §5.1.1): without the
    // extra one, each part would lose its last line end.
    out += "--" + boundary + "\r\n" + part("text/plain", m.text);
    out += "\r\n--" + boundary + "\r\n" + part("text/html", m.html);
    out += "\r\n--" + boundary + "--\r\n";
    return out;
}

} // namespace pinwatch::net
