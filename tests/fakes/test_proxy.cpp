// The loopback test proxy (see test_proxy.hpp): one coroutine per client connection on a
// private io_context; a CONNECT turns the connection into a two-way byte relay.
#include "tests/fakes/test_proxy.hpp"

#include "net/http.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/parse.hpp>

#include <array>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace pinwatch::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Both ends of a tunnel; whichever direction ends first closes both.
struct Tunnel {
    tcp::socket client;
    tcp::socket origin;
    void close() {
        boost::system::error_code ignored;
        client.close(ignored);
        origin.close(ignored);
    }
};

asio::awaitable<void> relay(std::shared_ptr<Tunnel> tunnel, tcp::socket& from, tcp::socket& to) {
    std::array<char, 16 * 1024> buf;
    for (;;) {
        auto [rec, n] = co_await from.async_read_some(asio::buffer(buf), use_tuple);
        if (rec) break;
        auto [wec, w] = co_await asio::async_write(to, asio::buffer(buf.data(), n), use_tuple);
        if (wec) break;
    }
    tunnel->close();
}

std::string_view canned(int status) {
    switch (status) {
    case 403:
        return "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";
    case 407:
        return "HTTP/1.1 407 Proxy Authentication Required\r\n"
               "Proxy-Authenticate: Basic realm=\"pinwatch-test\"\r\nContent-Length: 0\r\n\r\n";
    default:
        return "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    }
}
} // namespace

struct TestProxy::Impl {
    TestProxyOptions options;
    std::unique_ptr<asio::io_context> ioc = std::make_unique<asio::io_context>(1);
    std::optional<tcp::acceptor> acceptor;
    std::uint16_t port = 0;
    std::thread thread;

    mutable std::mutex mutex;
    mutable std::condition_variable changed;
    std::size_t connect_requests = 0;
    std::size_t tunnels = 0;
    std::size_t forwarded = 0;
    std::vector<std::string> targets;
    std::vector<std::string> authorizations;

    template <class F> void update(F&& f) {
        {
            std::lock_guard lock(mutex);
            f();
        }
        changed.notify_all();
    }

    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] = co_await acceptor->async_accept(use_tuple);
            if (ec) {
                if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
                continue;
            }
            asio::co_spawn(*ioc, session(std::move(socket)), [](std::exception_ptr) {});
        }
    }

    // Parameters by value and no temporaries inside co_await expressions: GCC 12 destroys
    // such temporaries at the wrong time.
    asio::awaitable<std::optional<tcp::socket>> dial(std::string host, std::string port) {
        tcp::resolver resolver(*ioc);
        auto [rec, endpoints] = co_await resolver.async_resolve(host, port, use_tuple);
        if (rec) co_return std::nullopt;
        tcp::socket socket(*ioc);
        auto [cec, ep] = co_await asio::async_connect(socket, endpoints, use_tuple);
        if (cec) co_return std::nullopt;
        co_return std::optional<tcp::socket>(std::move(socket));
    }

    asio::awaitable<void> session(tcp::socket client) {
        beast::flat_buffer buffer;
        for (;;) {
            http::request_parser<http::string_body> parser;
            parser.body_limit(std::uint64_t{64} << 20);
            auto [ec, n] = co_await http::async_read(client, buffer, parser, use_tuple);
            if (ec) co_return;
            auto request = parser.release();
            std::string const target(request.target());
            std::string const authorization(request[http::field::proxy_authorization]);
            bool const is_connect = request.method() == http::verb::connect;
            update([&] {
                targets.push_back(target);
                authorizations.push_back(authorization);
                if (is_connect) ++connect_requests;
            });

            int refusal = 0;
            if (options.refuse)
                refusal = 403;
            else if (options.require_auth) {
                auto colon = options.require_auth->find(':');
                auto expected = net::basic_authorization(
                    std::string_view(*options.require_auth).substr(0, colon),
                    colon == std::string::npos
                        ? std::string_view()
                        : std::string_view(*options.require_auth).substr(colon + 1));
                if (authorization != expected) refusal = 407;
            }
            if (refusal != 0) {
                auto [wec, w] =
                    co_await asio::async_write(client, asio::buffer(canned(refusal)), use_tuple);
                if (wec || !request.keep_alive()) co_return;
                continue;
            }

            if (is_connect) {
                co_await tunnel(std::move(client), buffer, target);
                co_return;
            }
            if (!co_await forward(client, request)) co_return;
        }
    }

    asio::awaitable<void> tunnel(tcp::socket client, beast::flat_buffer& buffer,
                                 std::string const& target) {
        auto colon = target.rfind(':');
        std::optional<tcp::socket> origin;
        if (colon != std::string::npos) {
            std::string host = target.substr(0, colon);
            if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
            std::string port = target.substr(colon + 1);
            origin = co_await dial(std::move(host), std::move(port));
        }
        if (!origin) {
            co_await asio::async_write(client, asio::buffer(canned(502)), use_tuple);
            co_return;
        }
        static constexpr std::string_view established =
            "HTTP/1.1 200 Connection established\r\n\r\n";
        auto [wec, w] = co_await asio::async_write(client, asio::buffer(established), use_tuple);
        if (wec) co_return;
        // Bytes the client sent after its CONNECT head belong to the origin.
        if (buffer.size() > 0) {
            auto [pec, p] = co_await asio::async_write(*origin, buffer.data(), use_tuple);
            if (pec) co_return;
        }
        update([&] { ++tunnels; });
        auto both = std::make_shared<Tunnel>(Tunnel{std::move(client), std::move(*origin)});
        asio::co_spawn(*ioc, relay(both, both->origin, both->client), [](std::exception_ptr) {});
        co_await relay(both, both->client, both->origin);
    }

    // Forwards one absolute-form request; false when the client connection must end.
    asio::awaitable<bool> forward(tcp::socket& client, http::request<http::string_body>& request) {
        auto url = boost::urls::parse_absolute_uri(request.target());
        if (!url || url->scheme() != "http") {
            co_await asio::async_write(client, asio::buffer(canned(502)), use_tuple);
            co_return false;
        }
        std::string host = url->host_address();
        std::string port = url->has_port() ? std::string(url->port()) : "80";
        std::string origin_form(url->encoded_target());
        auto origin = co_await dial(std::move(host), std::move(port));
        if (!origin) {
            co_await asio::async_write(client, asio::buffer(canned(502)), use_tuple);
            co_return false;
        }
        bool const client_keep_alive = request.keep_alive();
        request.target(origin_form.empty() ? "/" : origin_form);
        request.erase(http::field::proxy_authorization);
        request.erase("Proxy-Connection");
        request.keep_alive(false);
        auto [wec, w] = co_await http::async_write(*origin, request, use_tuple);
        if (wec) co_return false;

        beast::flat_buffer origin_buffer;
        http::response_parser<http::string_body> parser;
        parser.body_limit(std::uint64_t{64} << 20);
        if (request.method() == http::verb::head) parser.skip(true);
        auto [rec, r] = co_await http::async_read(*origin, origin_buffer, parser, use_tuple);
        if (rec) {
            co_await asio::async_write(client, asio::buffer(canned(502)), use_tuple);
            co_return false;
        }
        auto response = parser.release();
        response.keep_alive(client_keep_alive);
        update([&] { ++forwarded; });
        auto [cec, c] = co_await http::async_write(client, response, use_tuple);
        co_return !cec && client_keep_alive;
    }
};

TestProxy::TestProxy(TestProxyOptions options) : impl_(std::make_unique<Impl>()) {
    auto& s = *impl_;
    s.options = std::move(options);
    s.acceptor.emplace(*s.ioc);
    tcp::endpoint const endpoint(asio::ip::make_address_v4("127.0.0.1"), 0);
    s.acceptor->open(endpoint.protocol());
    s.acceptor->bind(endpoint);
    s.acceptor->listen(asio::socket_base::max_listen_connections);
    s.port = s.acceptor->local_endpoint().port();
    asio::co_spawn(*s.ioc, s.accept_loop(), [](std::exception_ptr) {});
    s.thread = std::thread([ioc = s.ioc.get()] { ioc->run(); });
}

TestProxy::~TestProxy() {
    auto& s = *impl_;
    s.ioc->stop();
    if (s.thread.joinable()) s.thread.join();
    // Acceptor before its io_context; the io_context then destroys the suspended sessions.
    s.acceptor.reset();
    s.ioc.reset();
}

std::uint16_t TestProxy::port() const noexcept {
    return impl_->port;
}

std::string TestProxy::url() const {
    return "http://127.0.0.1:" + std::to_string(impl_->port);
}

std::string TestProxy::url_with_credentials(std::string_view user,
                                            std::string_view password) const {
    return "http://" + std::string(user) + ":" + std::string(password) +
           "@127.0.0.1:" + std::to_string(impl_->port);
}

std::size_t TestProxy::connect_requests() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->connect_requests;
}
std::size_t TestProxy::tunnels() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->tunnels;
}
std::size_t TestProxy::forwarded() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->forwarded;
}
std::vector<std::string> TestProxy::targets() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->targets;
}
std::vector<std::string> TestProxy::authorizations() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->authorizations;
}
bool TestProxy::wait_for_tunnels(std::size_t n, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(impl_->mutex);
    return impl_->changed.wait_for(lock, timeout, [&] { return impl_->tunnels >= n; });
}

} // namespace pinwatch::test
