// Helpers of the plain HTTP value types: header lookup, names of error kinds, URL redaction.
// Standard library only, so that sources and notifiers link them without pulling Beast.
#include "net/http.hpp"

#include <algorithm>

namespace pinwatch::net {

std::optional<std::string_view> Response::header(std::string_view name) const {
    for (auto const& [n, v] : headers)
        if (iequals(n, name)) return std::string_view(v);
    return std::nullopt;
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
