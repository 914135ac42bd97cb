// The HTTPS client: one per io_context, shared by every source and notifier.
// Owns connection pools, TLS context, proxy handling and caps. Beast stays in client.cpp
// so that including this header costs only Asio's declarations.
#pragma once

#include "common/result.hpp"
#include "net/http.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace pinwatch::net {

struct ProxySettings {
    std::string http_proxy;  // "http://[user:pass@]host:port" or empty
    std::string https_proxy; // used for https:// targets (CONNECT tunnel)
    std::string no_proxy;    // comma-separated hosts/domains/IPs, "*" for all
    // Reads HTTPS_PROXY/https_proxy, HTTP_PROXY/http_proxy, NO_PROXY/no_proxy (lower case
    // wins, as in curl), with ALL_PROXY/all_proxy as the fallback for both schemes.
    // Proxy URLs are http:// only (CONNECT tunnels https inside); the port defaults to 1080.
    static ProxySettings from_environment();
};

// True when NO_PROXY-style `no_proxy` exempts host:port from the proxy, with curl's rules:
// entries separated by commas (or blanks); "*" matches everything; a domain matches itself and
// its subdomains ("example.com" and ".example.com" both match "a.example.com", never
// "badexample.com"); IP addresses match exactly or by CIDR ("10.0.0.0/8", "::1");
// "host:port" / "[v6]:port" match that port only; case and a trailing dot are ignored.
// Loopback is NOT exempt unless listed ("localhost,127.0.0.1,::1"), as in curl.
bool no_proxy_matches(std::string_view no_proxy, std::string_view host, std::uint16_t port);

struct ClientOptions {
    std::string user_agent;                            // default "pinwatch/<version>"
    std::size_t max_in_flight_per_host = 8;            // requests at once to one host
    std::size_t max_idle_per_host = 8;                 // keep-alive connections kept
    std::chrono::milliseconds connect_timeout{10'000}; // resolve + TCP + TLS (+ CONNECT)
    std::chrono::milliseconds deadline{30'000};        // whole request incl. redirects
    int max_redirects = 5;
    std::size_t max_body_bytes = 64u << 20;   // decompressed body cap
    std::size_t max_wire_bytes = 32u << 20;   // compressed (on the wire) cap
    std::optional<std::string> extra_ca_file; // PEM, added to the system trust store
    ProxySettings proxy = ProxySettings::from_environment();
};

struct ClientStats {
    std::uint64_t requests = 0; // HTTP exchanges sent (redirect hops count)
    std::uint64_t connections_opened = 0;
    std::uint64_t connections_reused = 0;
    std::uint64_t bytes_received = 0; // on the wire
    std::uint64_t bytes_sent = 0;
};

// Threading: a Client and its fetches belong to one executor (the io_context's single thread);
// fetch() must be awaited from coroutines running there. stats() may be read from any thread.
// Destroy the Client before its io_context. To co_spawn a fetch with a completion handler,
// wrap it in a coroutine returning void: Result has no default value for the handler.
class Client {
  public:
    // Throws std::runtime_error if options.extra_ca_file cannot be loaded.
    Client(boost::asio::any_io_executor ex, ClientOptions options);
    ~Client();
    Client(Client const&) = delete;
    Client& operator=(Client const&) = delete;

    // Sends the request, follows redirects, decodes gzip. Never throws for network
    // trouble: failures come back as Error values.
    boost::asio::awaitable<Result<Response, Error>> fetch(Request request);

    ClientStats stats() const;
    ClientOptions const& options() const;
    // Closes idle connections and makes pending/future fetches fail with `cancelled`.
    // Safe from any thread: it runs on the client's executor (at once when called there).
    void shutdown();

  private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

} // namespace pinwatch::net
