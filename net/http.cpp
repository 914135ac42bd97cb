// Helpers of the plain HTTP value types: header lookup, status classes, Retry-After, names of
// error kinds, URL redaction.
// Standard library only, so that sources and notifiers link them without pulling Beast.
#include "net/http.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <limits>

namespace pinwatch::net {

std::optional<std::string_view> Response::header(std::string_view name) const {
    for (auto const& [n, v] : headers)
        if (iequals(n, name)) return std::string_view(v);
    return std::nullopt;
}

StatusClass classify_status(int status) noexcept {
    if (status >= 500) return StatusClass::server_error;
    if (status == 404 || status == 410) return StatusClass::gone;
    if (status == 429) return StatusClass::rate_limited;
    if (status >= 400) return StatusClass::client_error;
    if (status == 304) return StatusClass::not_modified;
    if (status >= 300) return StatusClass::redirect;
    if (status >= 200) return StatusClass::success;
    return StatusClass::other;
}

bool is_temporary(StatusClass c) noexcept {
    return c == StatusClass::rate_limited || c == StatusClass::server_error;
}

std::optional<std::chrono::seconds> parse_retry_after(Response const& response,
                                                      std::chrono::system_clock::time_point now) {
    auto const header = response.header("Retry-After");
    if (!header) return std::nullopt;
    auto const value = trim_blanks(*header);
    using Secs = std::chrono::seconds;
    long long secs = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), secs);
    if (end == value.data() + value.size()) {
        if (ec == std::errc{}) return Secs(std::max(0LL, secs));
        if (ec == std::errc::result_out_of_range)
            return value.front() == '-' ? Secs(0) : Secs(std::numeric_limits<std::int32_t>::max());
    }
    // An HTTP-date (RFC 9110 IMF-fixdate): "Sun, 06 Nov 1994 08:49:37 GMT".
    std::tm tm{};
    std::string const text(value);
    char const* parsed = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!parsed || *parsed != '\0') return std::nullopt;
    auto const at = std::chrono::system_clock::from_time_t(timegm(&tm));
    return Secs(std::max<long long>(0, std::chrono::duration_cast<Secs>(at - now).count()));
}

std::string_view to_string(ErrorKind kind) noexcept {
    switch (kind) {
    case ErrorKind::resolve:
        return "resolve";
    case ErrorKind::connect:
        return "connect";
    case ErrorKind::tls:
        return "tls";
    case ErrorKind::timeout:
        return "timeout";
    case ErrorKind::protocol:
        return "protocol";
    case ErrorKind::too_large:
        return "too_large";
    case ErrorKind::redirect:
        return "redirect";
    case ErrorKind::proxy:
        return "proxy";
    case ErrorKind::bad_url:
        return "bad_url";
    case ErrorKind::cancelled:
        return "cancelled";
    }
    return "unknown";
}

std::string base64_encode(std::string_view bytes) {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        auto n = (unsigned(static_cast<unsigned char>(bytes[i])) << 16) |
                 (unsigned(static_cast<unsigned char>(bytes[i + 1])) << 8) |
                 unsigned(static_cast<unsigned char>(bytes[i + 2]));
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += alphabet[(n >> 6) & 63];
        out += alphabet[n & 63];
    }
    if (auto left = bytes.size() - i; left > 0) {
        unsigned n = unsigned(static_cast<unsigned char>(bytes[i])) << 16;
        if (left == 2) n |= unsigned(static_cast<unsigned char>(bytes[i + 1])) << 8;
        out += alphabet[(n >> 18) & 63];
        out += alphabet[(n >> 12) & 63];
        out += left == 2 ? alphabet[(n >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::string basic_authorization(std::string_view user, std::string_view password) {
    std::string credentials;
    credentials.reserve(user.size() + 1 + password.size());
    credentials.append(user).append(":").append(password);
    return "Basic " + base64_encode(credentials);
}

} // namespace pinwatch::net
