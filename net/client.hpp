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

namespace pinwatch::net {

struct ProxySettings {
    std::string http_proxy;  // "http://[user:pass@]host:port" or empty
    std::string https_proxy; // used for https:// targets (CONNECT tunnel)
    std::string no_proxy;    // comma-separated hosts/domains/IPs, "*" for all
    // Reads HTTPS_PROXY/https_proxy, HTTP_PROXY/http_proxy, NO_PROXY/no_proxy.
    static ProxySettings from_environment();
};

struct ClientOptions {
    std::string user_agent;                       // default "pinwatch/<version>"
    std::size_t max_in_flight_per_host = 8;       // requests at once to one host
    std::size_t max_idle_per_host = 8;            // keep-alive connections kept
    std::chrono::milliseconds connect_timeout{10'000}; // resolve + TCP + TLS (+ CONNECT)
    std::chrono::milliseconds deadline{30'000};   // whole request incl. redirects
    int max_redirects = 5;
    std::size_t max_body_bytes = 64u << 20;       // decompressed body cap
    std::size_t max_wire_bytes = 32u << 20;       // compressed (on the wire) cap
    std::optional<std::string> extra_ca_file;     // PEM, added to the system trust store
    ProxySettings proxy = ProxySettings::from_environment();
};

struct ClientStats {
    std::uint64_t requests = 0;           // HTTP exchanges sent (redirect hops count)
    std::uint64_t connections_opened = 0;
    std::uint64_t connections_reused = 0;
    std::uint64_t bytes_received = 0;     // on the wire
    std::uint64_t bytes_sent = 0;
};

class Client {
public:
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
    void shutdown();

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

} // namespace pinwatch::net
