// A small plain-HTTP/1.1 server for the daemon's own endpoints (/metrics, /healthz, the
// dashboard): GET and HEAD only, small requests, a bounded number of connections, every read
// and write under a deadline. It answers through a handler and knows nothing of what it serves.
// Beast stays in the .cpp file.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pinwatch::net {

struct ServerReply {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
    // More response headers (a Content-Security-Policy). Every answer also says
    // X-Content-Type-Options: nosniff and Cache-Control: no-store.
    std::vector<std::pair<std::string, std::string>> headers;
};

class Server {
  public:
    // Called for each GET/HEAD with the request target ("/metrics?x"); runs on the executor.
    using Handler = std::function<ServerReply(std::string_view target)>;

    // Binds and listens on host:port (an IP address; port 0 picks a free one). Throws
    // std::runtime_error saying which address could not be used and why.
    Server(boost::asio::any_io_executor ex, std::string const& host, std::uint16_t port,
           Handler handler);
    ~Server();
    Server(Server const&) = delete;
    Server& operator=(Server const&) = delete;

    std::uint16_t port() const;
    // Stops accepting and closes open connections.
    void stop();

  private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

} // namespace pinwatch::net
