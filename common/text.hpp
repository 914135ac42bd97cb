// Text helpers every layer shares: UTF-8 decoding, sanitising untrusted text for terminals and
// logs, redacting credentials from URLs, ASCII case and blanks. Standard library only; one
// implementation of each, so a fix in one place protects every output.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace pinwatch {

// One decoded UTF-8 sequence. `ok` is false for anything malformed (overlong forms, surrogates,
// truncated sequences, values above U+10FFFF); `length` is then 1 so callers can step over it.
struct Utf8Char {
    char32_t code_point = 0;
    std::size_t length = 1;
    bool ok = false;
};
Utf8Char decode_utf8(std::string_view s, std::size_t at) noexcept;

// The text with every malformed sequence replaced by U+FFFD (JSON must stay valid).
std::string valid_utf8(std::string_view s);

// Untrusted text (from an index, a server, a local file) made safe to print on a terminal, in a
// log line or a chat message: C0/C1 controls, DEL, bidirectional overrides, the line and
// paragraph separators (U+2028/U+2029, which JavaScript and some logs read as line breaks) and
// zero-width characters (U+200B-U+200D, U+2060-U+2064, U+FEFF) become visible \xNN / \uNNNN
// escapes, a tab becomes a space, malformed UTF-8 is shown byte by byte.
std::string sanitize_text(std::string_view untrusted);

// Text for an HTML document (element content or a quoted attribute value): & < > " ' become
// entities. Sanitise untrusted text first; this only stops it from being read as markup.
std::string html_escape(std::string_view text);

// Characters a terminal shows (UTF-8 continuation bytes take no column).
std::size_t display_width(std::string_view s) noexcept;

// The URL as it may appear in a message, a log line or an event: userinfo, query and fragment
// removed ("https://user:pw@host/p?token=x" -> "https://host/p"). Works on malformed input too.
std::string redact_url(std::string_view url);

// Any text (a requirements line, an error message quoting one) with the userinfo of every URL
// in it removed, the rest kept: "--extra-index-url https://user:PASS@host/simple" ->
// "--extra-index-url https://host/simple". A URL is anything after "://"; its authority ends at
// '/', '\\', a blank, a quote or '<' '>' (not at '?' or '#', which a careless password may
// hold), and everything up to its last '@' goes.
std::string redact_credentials(std::string_view text);

// Any text (a remote requirements file's name, a message quoting one) with the query string of
// every URL in it replaced by "?…": a file fetched from "https://host/r.txt?private_token=X"
// (a GitLab token, a pre-signed signature) is shown as "https://host/r.txt?…". A URL is
// anything after "://"; its query runs from its first '?' to a blank, a quote, '<' '>' or '`'.
std::string redact_url_queries(std::string_view text);

// The URL a package is known by (its identity in the state file): userinfo removed, scheme and
// host lower-cased, the rest kept as it is ("https://u:pw@Mirror.EXAMPLE/Simple/" ->
// "https://mirror.example/Simple/"), so a changed password or host case names the same thing.
// The authority ends at '/' and the userinfo at its last '@', as in redact_credentials.
std::string url_identity(std::string_view url);
// "scheme://authority" of url_identity(url) ("https://mirror.example:8443"); "" without "://".
std::string url_origin(std::string_view url);

// The percent-decoded userinfo of a URL ("https://alice:p%40ss@host/" -> alice, p@ss);
// nullopt when it has none.
struct UserInfo {
    std::string user, password;
};
std::optional<UserInfo> url_userinfo(std::string_view url);

// ASCII only, on purpose: protocol tokens and HTML tag names, never user prose.
constexpr bool is_blank(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
constexpr char ascii_lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
std::string ascii_lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b) noexcept;
bool iends_with(std::string_view s, std::string_view suffix) noexcept;
std::string_view trim_blanks(std::string_view s) noexcept;

} // namespace pinwatch
