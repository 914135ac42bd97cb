#include "net/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <map>
#include <stdexcept>

namespace pinwatch::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {
constexpr std::size_t kMaxConnections = 16;
constexpr auto kIoTimeout = std::chrono::seconds(10);
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
} // namespace

// One client connection. `waiting`: it has sent nothing since it connected or since its last
// answer, so closing it loses nobody's request.
struct Connection {
    explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}
    beast::tcp_stream stream;
    bool waiting = true;
};

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
    asio::any_io_executor ex;
    tcp::acceptor acceptor;
    Handler handler;
    std::map<std::uint64_t, std::shared_ptr<Connection>> open; // by arrival, oldest first
    std::uint64_t accepted = 0;
    bool stopped = false;

    Impl(asio::any_io_executor e, Handler h)
        : ex(std::move(e)), acceptor(ex), handler(std::move(h)) {}

    asio::awaitable<void> accept_loop() {
        auto self = shared_from_this();
        while (!stopped) {
            auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
            if (stopped || ec == asio::error::operation_aborted) co_return;
            if (ec) continue; // a connection reset before accept: the next one is fine
            if (open.size() >= kMaxConnections && !make_room())
                continue; // every slot is busy answering: dropped, a scraper retries
            auto conn = std::make_shared<Connection>(std::move(socket));
            auto const id = ++accepted;
            open.emplace(id, conn);
            asio::co_spawn(ex, session(id, conn), asio::detached);
        }
    }

    // Full: the oldest connection that has sent nothing gives way, so sockets left open and
    // silent (16 of them made /healthz fail for everyone) never lock out a health probe.
    bool make_room() {
        for (auto it = open.begin(); it != open.end(); ++it) {
            if (!it->second->waiting) continue;
            beast::error_code ignored;
            it->second->stream.socket().close(ignored);
            open.erase(it);
            return true;
        }
        return false;
    }

    asio::awaitable<void> session(std::uint64_t id, std::shared_ptr<Connection> conn) {
        auto self = shared_from_this();
        auto* stream = &conn->stream;
        beast::flat_buffer buffer(8192);
        while (!stopped) {
            http::request_parser<http::empty_body> parser;
            parser.header_limit(8192);
            parser.body_limit(0);
            stream->expires_after(kIoTimeout);
            if (buffer.size() == 0) {
                // Nothing pipelined: wait for the first bytes as a connection that may give way.
                conn->waiting = true;
                auto [rec, rn] = co_await stream->async_read_some(buffer.prepare(8192), use_tuple);
                if (rec) break;
                buffer.commit(rn);
            }
            conn->waiting = false;
            auto [ec, n] = co_await http::async_read(*stream, buffer, parser, use_tuple);
            if (ec) break;
            auto const& req = parser.get();
            http::response<http::string_body> res;
            res.version(11);
            res.set(http::field::server, "pinwatch");
            res.set("X-Content-Type-Options", "nosniff");
            res.keep_alive(req.keep_alive());
            if (req.method() != http::verb::get && req.method() != http::verb::head) {
                res.result(http::status::method_not_allowed);
                res.set(http::field::allow, "GET, HEAD");
                res.set(http::field::content_type, "text/plain; charset=utf-8");
                res.body() = "only GET and HEAD\n";
            } else {
                ServerReply reply;
                try {
                    reply = handler(std::string_view(req.target().data(), req.target().size()));
                } catch (std::exception const& e) {
                    reply = {500, "text/plain; charset=utf-8", "internal error\n", {}};
                }
                res.result(static_cast<unsigned>(reply.status));
                res.set(http::field::content_type, reply.content_type);
                res.set(http::field::cache_control, "no-store");
                for (auto const& [name, value] : reply.headers)
                    res.set(name, value);
                res.body() = std::move(reply.body);
            }
            res.prepare_payload();
            stream->expires_after(kIoTimeout);
            http::serializer<false, http::string_body> sr(res);
            boost::system::error_code wec;
            if (req.method() == http::verb::head) {
                // The headers a GET would get (Content-Length included), without the body.
                auto [e, wn] = co_await http::async_write_header(*stream, sr, use_tuple);
                wec = e;
            } else {
                auto [e, wn] = co_await http::async_write(*stream, sr, use_tuple);
                wec = e;
            }
            if (wec || !res.keep_alive()) break;
        }
        beast::error_code ignored;
        stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream->close();
        open.erase(id);
    }
};

Server::Server(asio::any_io_executor ex, std::string const& host, std::uint16_t port,
               Handler handler)
    : impl_(std::make_shared<Impl>(ex, std::move(handler))) {
    auto const where = host + ":" + std::to_string(port);
    boost::system::error_code ec;
    auto const address = asio::ip::make_address(host, ec);
    if (ec) throw std::runtime_error("cannot listen on " + where + ": not an IP address");
    tcp::endpoint const endpoint(address, port);
    auto& a = impl_->acceptor;
    if (a.open(endpoint.protocol(), ec); !ec)
        if (a.set_option(asio::socket_base::reuse_address(true), ec); !ec)
            if (a.bind(endpoint, ec); !ec) a.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error("cannot listen on " + where + ": " + ec.message());
    asio::co_spawn(ex, impl_->accept_loop(), asio::detached);
}

Server::~Server() {
    stop();
}

std::uint16_t Server::port() const {
    boost::system::error_code ec;
    return impl_->acceptor.local_endpoint(ec).port();
}

void Server::stop() {
    if (impl_->stopped) return;
    impl_->stopped = true;
    boost::system::error_code ec;
    impl_->acceptor.close(ec);
    for (auto const& [id, conn] : impl_->open)
        conn->stream.socket().close(ec);
}

} // namespace pinwatch::net
