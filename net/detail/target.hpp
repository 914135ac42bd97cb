// Where a request goes: the parsed URL (scheme, host, port, origin-form target, userinfo) and
// the proxy route chosen for it from ProxySettings. Internal to net/; Boost.URL only, no I/O.
// Everything meant for messages here is already free of userinfo and query strings.
#pragma once

#include "common/result.hpp"
#include "net/client.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pinwatch::net::detail {

struct Target {
    bool https = false;
    std::string host;        // DNS name (lower case) or IP literal without brackets
    std::uint16_t port = 0;  // explicit or the scheme's default
    std::string authority;   // "host:port" with brackets for IPv6: CONNECT target, pool key
    std::string host_header; // Host header value: port omitted when it is the default
    std::string origin_form; // "/path?query"
    std::string url;         // absolute, without userinfo or fragment (absolute-form, final_url)
    bool has_userinfo = false;
    std::string user; // percent-decoded
    std::string password;

    std::string origin() const; // "https://host:port": same-origin checks
};

// Parses an absolute http:// or https:// URL; the error text is safe to show (no secrets).
Result<Target, std::string> parse_target(std::string_view url);
// Resolves a Location header against the URL it came from (RFC 3986 section 5).
Result<Target, std::string> resolve_location(Target const& base, std::string_view location);

struct ProxyRoute {
    std::string host; // without brackets
    std::uint16_t port = 0;
    std::string authority;     // "host:port" for messages
    std::string authorization; // "Basic ..." from the proxy URL's userinfo, or empty
    std::string identity;      // distinguishes pools: authority plus credentials (never shown)
};

// The proxy for `target` under `settings` (curl's rules), nullopt for a direct connection.
// Errors (a malformed or unsupported proxy URL) are safe to show.
Result<std::optional<ProxyRoute>, std::string> select_proxy(ProxySettings const& settings,
                                                            Target const& target);

bool is_ip_literal(std::string_view host) noexcept;

// "localhost", a name under ".localhost", 127.0.0.0/8 or ::1: traffic that never leaves the
// machine, the only place plain http may carry credentials.
bool is_loopback(std::string_view host) noexcept;

// The headers that carry credentials (Authorization, Cookie, Proxy-Authorization): whether any
// is present, and removing them all (a request leaving the origin they were meant for).
bool carries_credentials(std::vector<Header> const& headers) noexcept;
void drop_credentials(std::vector<Header>& headers);

} // namespace pinwatch::net::detail
