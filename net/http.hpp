// Plain HTTP request/response values shared by sources, notifiers and the client.
// No Asio or Beast here: sources build Requests and parse Responses without ever
// seeing a socket, so they can be tested with recorded responses.
#pragma once

#include "common/result.hpp"
#include "common/text.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pinwatch::net {

// Header names are compared case-insensitively; values are kept as received.
using Header = std::pair<std::string, std::string>;

struct Request {
    std::string method = "GET";
    std::string url; // absolute http:// or https:// URL
    std::vector<Header> headers;
    std::string body;
    // Per-request caps; unset means the client's defaults.
    std::optional<std::size_t> body_limit;             // decompressed bytes
    std::optional<std::chrono::milliseconds> deadline; // whole request, redirects included
    // false: a 3xx comes back as the response instead of being followed (webhook deliveries,
    // where a redirect is a failure and a POST must never turn into a GET).
    bool follow_redirects = true;

    Request& header(std::string name, std::string value) {
        headers.emplace_back(std::move(name), std::move(value));
        return *this;
    }
};

struct Response {
    int status = 0;
    std::vector<Header> headers;
    std::string body;           // decoded (gzip removed)
    std::string final_url;      // after redirects
    std::size_t wire_bytes = 0; // bytes received on the socket for this exchange (headers + body)

    // First value of a header, case-insensitive name; nullopt when absent.
    std::optional<std::string_view> header(std::string_view name) const;
};

// Transport-level failure: the server never gave a usable HTTP answer.
// HTTP statuses (404, 503, ...) are not errors at this level; the caller decides.
enum class ErrorKind {
    resolve,   // DNS failed
    connect,   // TCP connect refused/unreachable
    tls,       // handshake or certificate verification failed
    timeout,   // a step or the whole-request deadline expired
    protocol,  // malformed HTTP, bad gzip, connection dropped mid-response
    too_large, // body over the cap (compressed or decompressed)
    redirect,  // too many redirects, https->http, or a bad Location
    proxy,     // proxy refused CONNECT or failed
    bad_url,   // the URL cannot be requested
    cancelled, // shutdown in progress
};

std::string_view to_string(ErrorKind) noexcept;

struct Error {
    ErrorKind kind;
    std::string message; // never contains credentials or query strings with secrets
};

using ::pinwatch::iequals;

// Credentials never appear in messages: see redact_url in common/text.hpp.
using ::pinwatch::redact_url;

// The request for a URL a server named in its answer (a `Link: rel="next"` page): the same
// request sent to `link` (resolved against the request's URL). Credentials stay with their
// origin (scheme, host and port): Authorization, Cookie and Proxy-Authorization are dropped when
// the link leaves it. The client refuses credentials over plain http to any host but loopback.
// The error (an unusable link) is safe to show.
Result<Request, std::string> follow_link(Request const& from, std::string_view link);

// RFC 4648 base64 with padding (Basic credentials, SMTP AUTH).
std::string base64_encode(std::string_view bytes);

// "Basic <base64(user:password)>" for Authorization / Proxy-Authorization.
std::string basic_authorization(std::string_view user, std::string_view password);

} // namespace pinwatch::net
