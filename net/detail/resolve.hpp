// One bounded DNS lookup for the HTTPS and the SMTP client. Internal to net/ (Asio only, no
// Beast). A getaddrinfo that hangs cannot be cancelled (Asio runs it on a private thread and
// only learns of the cancel when it returns), and a parallel_group/awaitable_operators race
// waits for every branch to finish. So the lookup completes into shared state the coroutine
// may have stopped waiting for, and the coroutine waits on a timer that the lookup cancels.
#pragma once

#include "common/result.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace pinwatch::net::detail {

// A lookup in flight. cancel() ends the wait at once (a client shutting down).
struct Lookup {
    explicit Lookup(boost::asio::any_io_executor const& ex) : resolver(ex), done(ex) {}
    void cancel() {
        resolver.cancel();
        done.cancel();
    }
    boost::asio::ip::tcp::resolver resolver;
    boost::asio::steady_timer done;
    bool finished = false;
    boost::system::error_code ec;
    std::vector<boost::asio::ip::tcp::endpoint> endpoints;
};

// The addresses of host:port (an IP literal without a lookup), waiting until `until` at most.
// A wait that ends before the lookup does fails with timed_out when `until` has passed, else
// with operation_aborted (cancelled). While the lookup runs, `*watch` (when given) holds it
// so that the caller can cancel it.
boost::asio::awaitable<
    Result<std::vector<boost::asio::ip::tcp::endpoint>, boost::system::error_code>>
resolve(boost::asio::any_io_executor ex, std::string host, std::uint16_t port,
        std::chrono::steady_clock::time_point until, std::shared_ptr<Lookup>* watch = nullptr);

} // namespace pinwatch::net::detail
