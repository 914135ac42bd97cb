// Loopback HTTP/1.1 (and HTTPS) server for tests, the fake PyPI, the offline demo and the
// benchmark: a user handler answers each request, with switchable faults. One io_context on
// one thread of its own; no thread per connection and no sleeping except `delay` and `drip`.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pinwatch::test {

using Header = std::pair<std::string, std::string>;

struct TestRequest {
    std::string method;          // "GET", "POST", ...
    std::string target;          // as sent: "/pypi/x/json?q" (absolute-form if sent to a proxy)
    std::vector<Header> headers; // in arrival order, names as sent
    std::string body;
    std::uint64_t connection = 0; // 1-based number of the connection it arrived on

    // First value of a header, case-insensitive name; nullopt when absent.
    std::optional<std::string_view> header(std::string_view name) const;
    // The target without its query string.
    std::string_view path() const;
};

// What the handler answers. Content-Length is added unless the handler sets it (or the status
// has no body). The fault switches are honoured in the order they are listed.
struct TestResponse {
    int status = 200;
    std::vector<Header> headers;
    std::string body;

    std::chrono::milliseconds delay{0}; // wait this long before answering (a timer, not a sleep)
    bool stall = false;                 // read the request, never answer (until the client leaves)
    bool close_before_response = false; // read the request, then close the connection
    bool garbage = false;               // answer with bytes that are not HTTP, then close
    bool early_hints = false;           // send an interim "103 Early Hints" before the answer
    bool gzip = false;                  // gzip the body if the request's Accept-Encoding allows
    std::chrono::milliseconds drip{0};  // send the response one byte per period
    bool truncate_body = false;         // announce a longer Content-Length, send the body, close
    bool until_close = false; // no Content-Length: the body ends when the server closes (1.0 style)
    // Close the connection after answering without saying so (the keep-alive promise is
    // broken, as by a server's idle timeout). To announce it, add "Connection: close".
    bool close_after = false;

    TestResponse& header(std::string name, std::string value) {
        headers.emplace_back(std::move(name), std::move(value));
        return *this;
    }
    static TestResponse text(std::string body, int status = 200);
    static TestResponse json(std::string body, int status = 200);
    static TestResponse redirect(int status, std::string location);
};

struct TestServerOptions {
    bool tls = false;        // HTTPS with a throwaway CA (see TestServer::ca_file)
    bool wrong_name = false; // TLS: certificate only for "wrong.invalid" (hostname mismatch)
    bool mute = false;       // accept connections, never read or write (TLS handshakes hang)
    bool record = true;      // keep a copy of every request for received()/last_request()
};

class TestServer {
  public:
    // Called on the server's thread, one request at a time. An exception becomes a 500.
    using Handler = std::function<TestResponse(TestRequest const&)>;

    explicit TestServer(Handler handler, TestServerOptions options = {});
    ~TestServer(); // stop()
    TestServer(TestServer const&) = delete;
    TestServer& operator=(TestServer const&) = delete;

    std::uint16_t port() const noexcept;
    // "http://127.0.0.1:PORT" or, with TLS, "https://localhost:PORT" (the certificate's name).
    std::string base_url() const;
    std::string url(std::string_view target) const; // base_url() + target
    // PEM file of the CA that signed the server certificate (for ClientOptions::extra_ca_file);
    // empty without TLS. Removed when the server is destroyed.
    std::string const& ca_file() const noexcept;
    std::string const& ca_pem() const noexcept;

    void set_handler(Handler handler); // takes effect for the next request

    std::size_t requests() const;              // requests read completely
    std::size_t connections() const;           // connections accepted
    std::size_t connections_closed() const;    // connections that have ended (either side)
    std::size_t in_flight() const;             // requests read and not yet fully answered
    std::size_t max_in_flight() const;         // the most requests being answered at once
    std::vector<TestRequest> received() const; // every request so far (if options.record)
    std::optional<TestRequest> last_request() const;

    // Block until the counter reaches n; false if `timeout` passes first.
    bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const;
    bool wait_for_connections(std::size_t n, std::chrono::milliseconds timeout) const;
    bool wait_for_connections_closed(std::size_t n, std::chrono::milliseconds timeout) const;

    // Closes every connection, stops the thread and joins it. Idempotent.
    void stop();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// gzip (RFC 1952) of `data`, for handlers that build their own encoded bodies.
std::string gzip_compress(std::string_view data);

} // namespace pinwatch::test
