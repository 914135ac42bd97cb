// The loopback test server (see test_server.hpp): an accept loop and one coroutine per
// connection on a private io_context, answering through the user's handler.
#include "tests/fakes/test_server.hpp"

#include "net/http.hpp"
#include "tests/fakes/test_certs.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

#include <zlib.h>

#include <array>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unistd.h>

namespace pinwatch::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

bool has_header(std::vector<Header> const& headers, std::string_view name) {
    for (auto const& h : headers)
        if (net::iequals(h.first, name)) return true;
    return false;
}

bool contains_token(std::string_view value, std::string_view token) {
    // Good enough for Accept-Encoding / Connection as clients send them; "gzip;q=0" is a refusal.
    std::string lowered(value);
    for (auto& c : lowered)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto at = lowered.find(token);
    if (at == std::string::npos) return false;
    auto after = std::string_view(lowered).substr(at + token.size());
    return after.rfind(";q=0", 0) != 0 || after.rfind(";q=0.", 0) == 0;
}

bool status_has_body(int status) {
    return !(status / 100 == 1 || status == 204 || status == 304);
}

std::string write_temp_file(std::string const& contents) {
    auto pattern =
        (std::filesystem::temp_directory_path() / "pinwatch-test-ca-XXXXXX.pem").string();
    int fd = ::mkstemps(pattern.data(), 4);
    if (fd < 0) throw std::runtime_error("test server: cannot create CA file in temp directory");
    auto written = ::write(fd, contents.data(), contents.size());
    ::close(fd);
    if (written != static_cast<ssize_t>(contents.size()))
        throw std::runtime_error("test server: cannot write CA file " + pattern);
    return pattern;
}

} // namespace

std::string gzip_compress(std::string_view data) {
    z_stream zs{};
    // windowBits 15 + 16 selects the gzip wrapper rather than raw zlib.
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK)
        throw std::runtime_error("gzip_compress: deflateInit2 failed");
    std::string out(deflateBound(&zs, static_cast<uLong>(data.size())) + 32, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    int rc = deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) throw std::runtime_error("gzip_compress: deflate failed");
    return out;
}

std::optional<std::string_view> TestRequest::header(std::string_view name) const {
    for (auto const& [n, v] : headers)
        if (net::iequals(n, name)) return std::string_view(v);
    return std::nullopt;
}

std::string_view TestRequest::path() const {
    std::string_view t = target;
    return t.substr(0, t.find('?'));
}

TestResponse TestResponse::text(std::string body, int status) {
    TestResponse r;
    r.status = status;
    r.body = std::move(body);
    r.header("Content-Type", "text/plain; charset=utf-8");
    return r;
}

TestResponse TestResponse::json(std::string body, int status) {
    TestResponse r;
    r.status = status;
    r.body = std::move(body);
    r.header("Content-Type", "application/json");
    return r;
}

TestResponse TestResponse::redirect(int status, std::string location) {
    TestResponse r;
    r.status = status;
    r.header("Location", std::move(location));
    return r;
}

struct TestServer::Impl {
    TestServerOptions options;
    std::unique_ptr<asio::io_context> ioc = std::make_unique<asio::io_context>(1);
    std::optional<tcp::acceptor> acceptor;
    std::optional<asio::ssl::context> tls;
    std::string ca_pem;
    std::string ca_file;
    std::uint16_t port = 0;
    std::thread thread;

    mutable std::mutex mutex;
    mutable std::condition_variable changed;
    std::shared_ptr<Handler const> handler;
    std::size_t requests = 0;
    std::size_t connections = 0;
    std::size_t closed = 0;
    std::size_t in_flight = 0;
    std::size_t max_in_flight = 0;
    std::vector<TestRequest> received;

    template <class F> void update(F&& f) {
        {
            std::lock_guard lock(mutex);
            f();
        }
        changed.notify_all();
    }

    template <class Pred> bool wait(std::chrono::milliseconds timeout, Pred pred) const {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, timeout, pred);
    }

    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] = co_await acceptor->async_accept(use_tuple);
            if (ec) {
                if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
                continue; // e.g. EMFILE: keep serving the connections we have
            }
            boost::system::error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);
            std::uint64_t id = 0;
            update([&] { id = ++connections; });
            asio::co_spawn(*ioc, session(std::move(socket), id), [](std::exception_ptr) {});
        }
    }

    // Counts the connection as closed however the session coroutine ends (including when the
    // io_context is destroyed with the coroutine suspended).
    struct ClosedGuard {
        Impl* self;
        ~ClosedGuard() {
            self->update([&] { ++self->closed; });
        }
    };

    asio::awaitable<void> session(tcp::socket socket, std::uint64_t id) {
        ClosedGuard guard{this};
        if (options.mute) {
            asio::steady_timer forever(socket.get_executor(),
                                       asio::steady_timer::time_point::max());
            co_await forever.async_wait(use_tuple);
            co_return;
        }
        if (tls) {
            asio::ssl::stream<tcp::socket> stream(std::move(socket), *tls);
            auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, use_tuple);
            if (!ec) co_await serve(stream, id);
            // No TLS close_notify: the client must cope with peers that just close (Beast #38).
        } else {
            co_await serve(socket, id);
            boost::system::error_code ignored;
            socket.shutdown(tcp::socket::shutdown_send, ignored);
        }
    }

    struct InFlightGuard {
        Impl* self;
        bool active = true;
        void release() {
            if (!active) return;
            active = false;
            self->update([&] { --self->in_flight; });
        }
        ~InFlightGuard() { release(); }
    };

    template <class Stream> asio::awaitable<void> serve(Stream& stream, std::uint64_t id) {
        beast::flat_buffer buffer;
        for (;;) {
            http::request_parser<http::string_body> parser;
            parser.header_limit(64 * 1024);
            parser.body_limit(std::uint64_t{64} << 20);
            auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_tuple);
            if (ec) co_return;

            auto message = parser.release();
            TestRequest request;
            request.method = std::string(message.method_string());
            request.target = std::string(message.target());
            for (auto const& field : message)
                request.headers.emplace_back(std::string(field.name_string()),
                                             std::string(field.value()));
            request.body = std::move(message.body());
            request.connection = id;
            bool const keep_alive = message.keep_alive();

            std::shared_ptr<Handler const> current;
            update([&] {
                current = handler;
                ++requests;
                max_in_flight = std::max(max_in_flight, ++in_flight);
                if (options.record) received.push_back(request);
            });
            // "In flight" ends when the answer starts going out: a client that has read the
            // whole answer can never see this request still counted.
            InFlightGuard in_flight_guard{this};

            TestResponse response;
            try {
                response = (*current)(request);
            } catch (std::exception const& e) {
                response = TestResponse::text(std::string("handler threw: ") + e.what(), 500);
            }

            if (response.delay.count() > 0) {
                asio::steady_timer timer(stream.get_executor(), response.delay);
                co_await timer.async_wait(use_tuple);
            }
            if (response.stall) {
                in_flight_guard.release();
                co_await drain(stream);
                co_return;
            }
            if (response.close_before_response) co_return;
            in_flight_guard.release();
            if (response.garbage) {
                static constexpr std::string_view junk = "this is not HTTP at all\r\n\r\n";
                co_await asio::async_write(stream, asio::buffer(junk), use_tuple);
                co_return;
            }

            std::string const wire = serialize(request, response);
            if (response.drip.count() > 0) {
                asio::steady_timer timer(stream.get_executor());
                for (char const& byte : wire) {
                    auto [wec, wn] =
                        co_await asio::async_write(stream, asio::buffer(&byte, 1), use_tuple);
                    if (wec) co_return;
                    timer.expires_after(response.drip);
                    co_await timer.async_wait(use_tuple);
                }
            } else {
                auto [wec, wn] = co_await asio::async_write(stream, asio::buffer(wire), use_tuple);
                if (wec) co_return;
            }

            bool const announced_close = [&] {
                for (auto const& [name, value] : response.headers)
                    if (net::iequals(name, "Connection") && contains_token(value, "close"))
                        return true;
                return false;
            }();
            if (response.truncate_body || response.until_close || response.close_after ||
                announced_close || !keep_alive)
                co_return;
        }
    }

    // Reads and discards until the client goes away (or the server stops).
    template <class Stream> asio::awaitable<void> drain(Stream& stream) {
        std::array<char, 1024> sink;
        for (;;) {
            auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), use_tuple);
            if (ec) co_return;
        }
    }

    static std::string serialize(TestRequest const& request, TestResponse const& response) {
        std::vector<Header> headers = response.headers;
        std::string body = response.body;
        auto accept = request.header("Accept-Encoding");
        if (response.gzip && accept && contains_token(*accept, "gzip")) {
            body = gzip_compress(body);
            headers.emplace_back("Content-Encoding", "gzip");
            headers.emplace_back("Vary", "Accept-Encoding");
        }
        bool const with_body = status_has_body(response.status);
        if (with_body && !response.until_close && !has_header(headers, "Content-Length") &&
            !has_header(headers, "Transfer-Encoding")) {
            auto announced = body.size();
            if (response.truncate_body) announced += std::max<std::size_t>(body.size(), 1);
            headers.emplace_back("Content-Length", std::to_string(announced));
        }

        std::string wire;
        wire.reserve(256 + body.size());
        if (response.early_hints)
            wire.append("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n");
        auto reason =
            http::obsolete_reason(http::int_to_status(static_cast<unsigned>(response.status)));
        wire.append("HTTP/1.1 ").append(std::to_string(response.status)).append(" ");
        wire.append(reason.data(), reason.size()).append("\r\n");
        for (auto const& [name, value] : headers)
            wire.append(name).append(": ").append(value).append("\r\n");
        wire.append("\r\n");
        if (with_body && request.method != "HEAD") wire.append(body);
        return wire;
    }
};

TestServer::TestServer(Handler handler, TestServerOptions options)
    : impl_(std::make_unique<Impl>()) {
    auto& s = *impl_;
    s.options = options;
    s.handler = std::make_shared<Handler const>(std::move(handler));
    if (options.tls) {
        auto certs = options.wrong_name ? make_test_certificates({"wrong.invalid"}, {})
                                        : make_test_certificates({"localhost"}, {"127.0.0.1"});
        s.tls.emplace(asio::ssl::context::tls_server);
        s.tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                           asio::ssl::context::no_sslv3);
        s.tls->use_certificate_chain(asio::buffer(certs.leaf_cert_pem));
        s.tls->use_private_key(asio::buffer(certs.leaf_key_pem), asio::ssl::context::pem);
        s.ca_pem = certs.ca_cert_pem;
        s.ca_file = write_temp_file(s.ca_pem);
    }
    s.acceptor.emplace(*s.ioc);
    tcp::endpoint const endpoint(asio::ip::make_address_v4("127.0.0.1"), 0);
    s.acceptor->open(endpoint.protocol());
    s.acceptor->bind(endpoint);
    s.acceptor->listen(asio::socket_base::max_listen_connections);
    s.port = s.acceptor->local_endpoint().port();
    asio::co_spawn(*s.ioc, s.accept_loop(), [](std::exception_ptr) {});
    s.thread = std::thread([ioc = s.ioc.get()] { ioc->run(); });
}

TestServer::~TestServer() {
    stop();
    if (!impl_->ca_file.empty()) std::remove(impl_->ca_file.c_str());
}

void TestServer::stop() {
    auto& s = *impl_;
    if (!s.ioc) return;
    s.ioc->stop();
    if (s.thread.joinable()) s.thread.join();
    // The acceptor goes before its io_context; destroying the io_context then destroys the
    // suspended session coroutines, which closes their sockets.
    s.acceptor.reset();
    s.ioc.reset();
}

std::uint16_t TestServer::port() const noexcept {
    return impl_->port;
}

std::string TestServer::base_url() const {
    return (impl_->options.tls ? "https://localhost:" : "http://127.0.0.1:") +
           std::to_string(impl_->port);
}

std::string TestServer::url(std::string_view target) const {
    return base_url() + std::string(target);
}

std::string const& TestServer::ca_file() const noexcept {
    return impl_->ca_file;
}
std::string const& TestServer::ca_pem() const noexcept {
    return impl_->ca_pem;
}

void TestServer::set_handler(Handler handler) {
    auto next = std::make_shared<Handler const>(std::move(handler));
    impl_->update([&] { impl_->handler = std::move(next); });
}

std::size_t TestServer::requests() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->requests;
}
std::size_t TestServer::connections() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->connections;
}
std::size_t TestServer::connections_closed() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->closed;
}
std::size_t TestServer::in_flight() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->in_flight;
}
std::size_t TestServer::max_in_flight() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->max_in_flight;
}
std::vector<TestRequest> TestServer::received() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->received;
}
std::optional<TestRequest> TestServer::last_request() const {
    std::lock_guard lock(impl_->mutex);
    if (impl_->received.empty()) return std::nullopt;
    return impl_->received.back();
}

bool TestServer::wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const {
    return impl_->wait(timeout, [&] { return impl_->requests >= n; });
}
bool TestServer::wait_for_connections(std::size_t n, std::chrono::milliseconds timeout) const {
    return impl_->wait(timeout, [&] { return impl_->connections >= n; });
}
bool TestServer::wait_for_connections_closed(std::size_t n,
                                             std::chrono::milliseconds timeout) const {
    return impl_->wait(timeout, [&] { return impl_->closed >= n; });
}

} // namespace pinwatch::test
