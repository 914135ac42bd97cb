// A small HTTP proxy on 127.0.0.1 for the proxy tests: CONNECT tunnels (bytes relayed both
// ways) and absolute-form forwarding of plain http requests, optionally demanding Basic
// Proxy-Authorization or refusing everything. Not a general proxy: loopback tests only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pinwatch::test {

struct TestProxyOptions {
    // "user:password": requests without exactly this Basic Proxy-Authorization get a 407.
    std::optional<std::string> require_auth = std::nullopt;
    bool refuse = false; // answer 403 to every CONNECT and every forwarded request
};

class TestProxy {
  public:
    explicit TestProxy(TestProxyOptions options = {});
    ~TestProxy(); // closes every tunnel, stops and joins the thread
    TestProxy(TestProxy const&) = delete;
    TestProxy& operator=(TestProxy const&) = delete;

    std::uint16_t port() const noexcept;
    std::string url() const; // "http://127.0.0.1:PORT"
    // "http://user:password@127.0.0.1:PORT" (user and password taken literally, no escaping)
    std::string url_with_credentials(std::string_view user, std::string_view password) const;

    std::size_t connect_requests() const; // CONNECT requests received (refused ones included)
    std::size_t tunnels() const;          // CONNECT tunnels established
    std::size_t forwarded() const;        // absolute-form requests forwarded to an origin
    // Request targets as received: "host:port" for CONNECT, the absolute URL otherwise.
    std::vector<std::string> targets() const;
    // Proxy-Authorization of each request as received ("" when absent).
    std::vector<std::string> authorizations() const;
    // Block until `tunnels() >= n`; false if `timeout` passes first.
    bool wait_for_tunnels(std::size_t n, std::chrono::milliseconds timeout) const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace pinwatch::test
