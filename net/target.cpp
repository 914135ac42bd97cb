// URL parsing for requests and redirects, proxy selection and NO_PROXY matching
// (see detail/target.hpp and ProxySettings in client.hpp).
#include "net/detail/target.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <algorithm>
#include <cstdlib>

namespace pinwatch::net {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

std::optional<std::uint16_t> parse_port(std::string_view s) {
    if (s.empty() || s.size() > 5) return std::nullopt;
    unsigned value = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + unsigned(c - '0');
    }
    if (value == 0 || value > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(value);
}

std::string bracketed(std::string const& host) {
    return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

// Environment variable, lower-case spelling first (curl checks it first too).
std::string env(char const* lower_name, char const* upper_name) {
    if (char const* v = std::getenv(lower_name); v && *v) return v;
    if (char const* v = std::getenv(upper_name); v && *v) return v;
    return {};
}

// An IP address with an optional prefix length ("10.0.0.0/8"), as NO_PROXY entries have.
struct Network {
    boost::asio::ip::address address;
    int prefix = -1; // -1: exact match
};

std::optional<Network> parse_network(std::string_view text) {
    Network net;
    if (auto slash = text.find('/'); slash != std::string_view::npos) {
        auto bits = text.substr(slash + 1);
        if (bits.empty() || bits.size() > 3 ||
            !std::all_of(bits.begin(), bits.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return std::nullopt;
        net.prefix = std::atoi(std::string(bits).c_str());
        text = text.substr(0, slash);
    }
    boost::system::error_code ec;
    net.address = boost::asio::ip::make_address(std::string(text), ec);
    if (ec) return std::nullopt;
    int const max_bits = net.address.is_v4() ? 32 : 128;
    if (net.prefix > max_bits) return std::nullopt;
    return net;
}

bool in_network(boost::asio::ip::address const& a, Network const& net) {
    if (a.is_v4() != net.address.is_v4()) return false;
    if (net.prefix < 0) return a == net.address;
    auto const bytes = [](boost::asio::ip::address const& x) {
        std::array<unsigned char, 16> out{};
        if (x.is_v4()) {
            auto b = x.to_v4().to_bytes();
            std::copy(b.begin(), b.end(), out.begin());
        } else {
            auto b = x.to_v6().to_bytes();
            std::copy(b.begin(), b.end(), out.begin());
        }
        return out;
    };
    auto const x = bytes(a), y = bytes(net.address);
    int bits = net.prefix;
    for (std::size_t i = 0; bits > 0; ++i, bits -= 8) {
        unsigned const mask = bits >= 8 ? 0xffu : (0xffu << (8 - bits)) & 0xffu;
        if ((x[i] & mask) != (y[i] & mask)) return false;
    }
    return true;
}

} // namespace

ProxySettings ProxySettings::from_environment() {
    ProxySettings s;
    // curl's order: the scheme-specific variable, then ALL_PROXY as the fallback.
    s.https_proxy = env("https_proxy", "HTTPS_PROXY");
    s.http_proxy = env("http_proxy", "HTTP_PROXY");
    auto const all = env("all_proxy", "ALL_PROXY");
    if (s.https_proxy.empty()) s.https_proxy = all;
    if (s.http_proxy.empty()) s.http_proxy = all;
    s.no_proxy = env("no_proxy", "NO_PROXY");
    return s;
}

bool no_proxy_matches(std::string_view no_proxy, std::string_view host, std::uint16_t port) {
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    std::string name = lower(host);
    if (!name.empty() && name.back() == '.') name.pop_back();
    if (name.empty()) return false;
    boost::system::error_code ec;
    auto const host_ip = boost::asio::ip::make_address(name, ec);
    bool const host_is_ip = !ec;

    std::size_t pos = 0;
    while (pos <= no_proxy.size()) {
        auto end = no_proxy.find_first_of(", \t", pos);
        if (end == std::string_view::npos) end = no_proxy.size();
        auto entry = trim(no_proxy.substr(pos, end - pos));
        pos = end + 1;
        if (entry.empty()) continue;
        if (entry == "*") return true;

        // Split an optional port: "[v6]:port", "name:port"; a bare IPv6 address has no port.
        std::optional<std::uint16_t> entry_port;
        if (entry.front() == '[') {
            auto close = entry.find(']');
            if (close == std::string_view::npos) continue;
            auto rest = entry.substr(close + 1);
            entry = entry.substr(1, close - 1);
            if (!rest.empty()) {
                if (rest.front() != ':' || !(entry_port = parse_port(rest.substr(1)))) continue;
            }
        } else if (std::count(entry.begin(), entry.end(), ':') == 1) {
            auto colon = entry.find(':');
            if (!(entry_port = parse_port(entry.substr(colon + 1)))) continue;
            entry = entry.substr(0, colon);
        }
        if (entry_port && *entry_port != port) continue;

        if (auto net = parse_network(entry)) {
            if (host_is_ip && in_network(host_ip, *net)) return true;
            continue;
        }
        // A domain matches itself and its subdomains; a leading "." or "*." changes nothing.
        if (entry.substr(0, 2) == "*.")
            entry.remove_prefix(2);
        else if (entry.front() == '.')
            entry.remove_prefix(1);
        std::string domain = lower(entry);
        if (!domain.empty() && domain.back() == '.') domain.pop_back();
        if (domain.empty() || host_is_ip) continue;
        if (name == domain) return true;
        if (name.size() > domain.size() && name.ends_with(domain) &&
            name[name.size() - domain.size() - 1] == '.')
            return true;
    }
    return false;
}

namespace detail {

bool is_ip_literal(std::string_view host) noexcept {
    boost::system::error_code ec;
    boost::asio::ip::make_address(std::string(host), ec);
    return !ec;
}

bool is_loopback(std::string_view host) noexcept {
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    std::string const name = lower(host);
    if (name == "localhost" || name == "localhost." || name.ends_with(".localhost") ||
        name.ends_with(".localhost."))
        return true;
    boost::system::error_code ec;
    auto const address = boost::asio::ip::make_address(name, ec);
    if (ec) return false;
    if (address.is_v6() && address.to_v6().is_v4_mapped())
        return address.to_v6().to_v4().is_loopback();
    return address.is_loopback();
}

namespace {
constexpr std::string_view kCredentialHeaders[] = {"Authorization", "Cookie",
                                                   "Proxy-Authorization"};
}

bool carries_credentials(std::vector<Header> const& headers) noexcept {
    for (auto const& [name, value] : headers)
        for (auto c : kCredentialHeaders)
            if (iequals(name, c)) return true;
    return false;
}

void drop_credentials(std::vector<Header>& headers) {
    std::erase_if(headers, [](Header const& h) {
        for (auto c : kCredentialHeaders)
            if (iequals(h.first, c)) return true;
        return false;
    });
}

std::string Target::origin() const {
    return (https ? "https://" : "http://") + authority;
}

namespace {

Result<Target, std::string> from_url(boost::urls::url_view u) {
    Target t;
    auto const scheme = lower(u.scheme());
    if (scheme == "https")
        t.https = true;
    else if (scheme != "http")
        return fail("unsupported scheme \"" + scheme + "\" (only http and https)");
    if (!u.has_authority() || u.host_type() == boost::urls::host_type::none ||
        u.encoded_host().empty())
        return fail(std::string("no host"));
    if (u.host_type() == boost::urls::host_type::ipvfuture)
        return fail(std::string("unsupported IP literal"));
    t.host = u.host_type() == boost::urls::host_type::name ? lower(u.host_address())
                                                           : std::string(u.host_address());
    if (t.host.find_first_of(std::string_view("\0\r\n /\\", 6)) != std::string::npos)
        return fail(std::string("invalid host name"));
    std::uint16_t const default_port = t.https ? 443 : 80;
    t.port = default_port;
    if (u.has_port() && !u.port().empty()) {
        auto p = parse_port(u.port());
        if (!p) return fail("invalid port \"" + std::string(u.port()) + "\"");
        t.port = *p;
    }
    t.authority = bracketed(t.host) + ":" + std::to_string(t.port);
    t.host_header = t.port == default_port ? bracketed(t.host) : t.authority;
    t.origin_form = std::string(u.encoded_path());
    // Boost.URL 1.81 reads "http://h:junk" as port "" and path "junk"; no valid URL with an
    // authority has a path that does not start with "/".
    if (!t.origin_form.empty() && t.origin_form.front() != '/')
        return fail(std::string("invalid port or path"));
    if (t.origin_form.empty()) t.origin_form = "/";
    if (u.has_query()) t.origin_form += "?" + std::string(u.encoded_query());
    t.url = scheme + "://" + t.host_header + t.origin_form;
    t.has_userinfo = u.has_userinfo();
    if (t.has_userinfo) {
        t.user = u.user();
        t.password = u.password();
    }
    return t;
}

} // namespace

Result<Target, std::string> parse_target(std::string_view url) {
    auto parsed = boost::urls::parse_uri(url);
    if (!parsed) return fail(std::string("not an absolute URL"));
    return from_url(*parsed);
}

Result<Target, std::string> resolve_location(Target const& base, std::string_view location) {
    location = trim(location);
    auto ref = boost::urls::parse_uri_reference(location);
    if (!ref) return fail(std::string("Location is not a URL reference"));
    auto base_url = boost::urls::parse_uri(base.url);
    if (!base_url) return fail(std::string("cannot resolve against the current URL"));
    boost::urls::url resolved;
    if (auto r = boost::urls::resolve(*base_url, *ref, resolved); !r)
        return fail(std::string("cannot resolve Location"));
    return from_url(resolved);
}

Result<std::optional<ProxyRoute>, std::string> select_proxy(ProxySettings const& settings,
                                                            Target const& target) {
    std::string const& proxy = target.https ? settings.https_proxy : settings.http_proxy;
    if (trim(proxy).empty()) return std::optional<ProxyRoute>();
    if (no_proxy_matches(settings.no_proxy, target.host, target.port))
        return std::optional<ProxyRoute>();

    std::string text(trim(proxy));
    if (text.find("://") == std::string::npos) text = "http://" + text; // curl: scheme optional
    auto parsed = boost::urls::parse_uri(text);
    if (!parsed) return fail("bad proxy URL " + redact_url(text));
    auto const scheme = lower(parsed->scheme());
    if (scheme != "http")
        return fail("unsupported proxy scheme \"" + scheme + "\" in " + redact_url(text) +
                    " (only http:// proxies)");
    if (parsed->encoded_host().empty() ||
        (!parsed->encoded_path().empty() && parsed->encoded_path() != "/"))
        return fail("bad proxy URL " + redact_url(text));
    ProxyRoute route;
    route.host = parsed->host_type() == boost::urls::host_type::name
                     ? lower(parsed->host_address())
                     : std::string(parsed->host_address());
    route.port = 1080; // curl's default proxy port
    if (parsed->has_port() && !parsed->port().empty()) {
        auto p = parse_port(parsed->port());
        if (!p) return fail("bad proxy port in " + redact_url(text));
        route.port = *p;
    }
    route.authority = bracketed(route.host) + ":" + std::to_string(route.port);
    route.identity = route.authority;
    if (parsed->has_userinfo()) {
        route.authorization = basic_authorization(parsed->user(), parsed->password());
        route.identity += " " + route.authorization;
    }
    return std::optional<ProxyRoute>(std::move(route));
}

} // namespace detail

Result<Request, std::string> follow_link(Request const& from, std::string_view link) {
    auto base = detail::parse_target(from.url);
    if (!base) return fail("bad URL " + redact_url(from.url) + ": " + base.error());
    auto next = detail::resolve_location(*base, link);
    if (!next) return fail("bad link " + redact_url(link) + ": " + next.error());
    Request out = from;
    out.url = next->url; // never the link's userinfo
    if (next->origin() != base->origin()) {
        detail::drop_credentials(out.headers);
    } else if (base->has_userinfo && !detail::carries_credentials(out.headers)) {
        // The same origin: the credentials the first URL carried go on to its next page.
        out.headers.emplace_back("Authorization", basic_authorization(base->user, base->password));
    }
    return out;
}

} // namespace pinwatch::net
