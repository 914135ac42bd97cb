// The HTTPS client (see client.hpp): connection pools, TLS, proxies, timeouts, gzip, caps.
// All Beast and OpenSSL use is confined to this file; it runs on the caller's io_context and
// never blocks it. Failures leave as Error values whose messages carry no credentials.
#include "net/client.hpp"

#include "net/detail/gzip.hpp"
#include "net/detail/target.hpp"
#include "net/tls.hpp"
#include "pinwatch_version.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <deque>
#include <limits>
#include <map>
#include <stdexcept>
#include <unordered_set>

namespace pinwatch::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::uint32_t kHeaderLimit = 64 * 1024;

struct Counters {
    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> opened{0};
    std::atomic<std::uint64_t> reused{0};
    std::atomic<std::uint64_t> received{0};
    std::atomic<std::uint64_t> sent{0};
};

// Beast hands every socket read and write to the stream's rate policy, so counting there sees
// the bytes on the wire (TLS records included) without wrapping the stream. Never throttles.
class CountingPolicy {
  public:
    explicit CountingPolicy(std::shared_ptr<Counters> counters) : counters_(std::move(counters)) {}
    std::uint64_t received() const noexcept { return received_; }

  private:
    friend class beast::rate_policy_access;
    static constexpr auto all = (std::numeric_limits<std::size_t>::max)();
    std::size_t available_read_bytes() const noexcept { return all; }
    std::size_t available_write_bytes() const noexcept { return all; }
    void transfer_read_bytes(std::size_t n) noexcept {
        received_ += n;
        counters_->received.fetch_add(n, std::memory_order_relaxed);
    }
    void transfer_write_bytes(std::size_t n) noexcept {
        counters_->sent.fetch_add(n, std::memory_order_relaxed);
    }
    void on_timer() noexcept {}

    std::shared_ptr<Counters> counters_;
    std::uint64_t received_ = 0;
};

using Stream = beast::basic_stream<tcp, asio::any_io_executor, CountingPolicy>;
using TlsStream = beast::ssl_stream<Stream>;

// One keep-alive connection: plain, or TLS over TCP (possibly inside a proxy tunnel).
struct Connection {
    Connection(asio::any_io_executor ex, std::shared_ptr<Counters> counters, ssl::context* tls_ctx,
               std::string pool_key)
        : key(std::move(pool_key)) {
        Stream stream(CountingPolicy(std::move(counters)), std::move(ex));
        if (tls_ctx)
            tls.emplace(std::move(stream), *tls_ctx);
        else
            plain.emplace(std::move(stream));
    }

    Stream& tcp() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
    void close() { tcp().close(); }

    std::string key;
    std::optional<Stream> plain;
    std::optional<TlsStream> tls;
    beast::flat_buffer buffer;
    std::array<char, 16 * 1024> chunk; // body bytes land here before decoding
    bool idle = false;                 // parked in its pool
    std::uint64_t idle_epoch = 0;      // tells a stale idle-watch completion from a current one
};

// A fetch queued for a request slot; release() hands its slot over and wakes it.
struct Waiter {
    asio::steady_timer* timer;
    bool granted = false;
};

struct HostPool {
    std::vector<std::shared_ptr<Connection>> idle; // most recently used last
    std::size_t in_flight = 0;
    std::deque<Waiter*> waiters; // FIFO: first come, first served
};

// A getaddrinfo that hangs cannot be cancelled (Asio runs it on a private thread and only
// learns of the cancel when it returns), and a parallel_group/awaitable_operators race waits
// for every branch to finish. So the resolve completes into shared state the coroutine may
// have stopped waiting for, and the coroutine waits on a timer that the resolve cancels.
struct ResolveState {
    explicit ResolveState(asio::any_io_executor const& ex) : resolver(ex), done(ex) {}
    tcp::resolver resolver;
    asio::steady_timer done;
    bool finished = false;
    error_code ec;
    std::vector<tcp::endpoint> endpoints;
};

// What shutdown() must reach to stop one fetch wherever it is suspended.
struct Pending {
    std::shared_ptr<Connection> conn;
    std::shared_ptr<ResolveState> resolving;
    asio::steady_timer* timer = nullptr;
};

enum class Step {
    resolve,
    connect,
    proxy_connect,
    tunnel,
    handshake,
    write,
    read_header,
    read_body
};

// "connect pypi.org:443: ..." in errors; "... exceeded connecting to pypi.org:443" in timeouts.
std::string step_name(Step step, std::string const& where) {
    switch (step) {
    case Step::resolve:
        return "resolve " + where;
    case Step::connect:
        return "connect " + where;
    case Step::proxy_connect:
        return "connect to proxy " + where;
    case Step::tunnel:
        return "proxy CONNECT " + where;
    case Step::handshake:
        return "TLS handshake with " + where;
    case Step::write:
        return "write request to " + where;
    case Step::read_header:
        return "read response headers from " + where;
    case Step::read_body:
        return "read body from " + where;
    }
    return where;
}

std::string step_during(Step step, std::string const& where) {
    switch (step) {
    case Step::resolve:
        return "resolving " + where;
    case Step::connect:
        return "connecting to " + where;
    case Step::proxy_connect:
        return "connecting to proxy " + where;
    case Step::tunnel:
        return "in proxy CONNECT " + where;
    case Step::handshake:
        return "in TLS handshake with " + where;
    case Step::write:
        return "writing request to " + where;
    case Step::read_header:
        return "reading response headers from " + where;
    case Step::read_body:
        return "reading body from " + where;
    }
    return where;
}

ErrorKind step_kind(Step step) {
    switch (step) {
    case Step::resolve:
        return ErrorKind::resolve;
    case Step::connect:
        return ErrorKind::connect;
    case Step::proxy_connect:
    case Step::tunnel:
        return ErrorKind::proxy;
    case Step::handshake:
        return ErrorKind::tls;
    default:
        return ErrorKind::protocol;
    }
}

std::string format_duration(std::chrono::milliseconds d) {
    if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + "s";
    return std::to_string(d.count()) + "ms";
}

std::string describe(error_code const& ec) {
    std::string text = ec.message();
    if (!text.empty() && text.front() >= 'A' && text.front() <= 'Z')
        text.front() = static_cast<char>(text.front() - 'A' + 'a');
    return text;
}

// The time limit that governs a step, for the message when it runs out.
struct Limit {
    Clock::time_point at;
    std::string name; // "deadline 30s" or "connect timeout 10s"
};

// The connection went away under us (typically a keep-alive the server had already closed).
bool is_disconnect(error_code const& ec) {
    return ec == http::error::end_of_stream || ec == asio::error::eof ||
           ec == asio::error::connection_reset || ec == asio::error::connection_aborted ||
           ec == asio::error::broken_pipe || ec == ssl::error::stream_truncated;
}

bool valid_header_name(std::string_view name) {
    static constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               extra.find(c) != std::string_view::npos;
    });
}

bool valid_header_value(std::string_view value) {
    return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

bool has_header(std::vector<Header> const& headers, std::string_view name) {
    return std::any_of(headers.begin(), headers.end(),
                       [&](Header const& h) { return iequals(h.first, name); });
}

void erase_header(std::vector<Header>& headers, std::string_view name) {
    std::erase_if(headers, [&](Header const& h) { return iequals(h.first, name); });
}

bool is_gzip(std::string_view content_encoding) {
    while (!content_encoding.empty() && content_encoding.front() == ' ')
        content_encoding.remove_prefix(1);
    while (!content_encoding.empty() && content_encoding.back() == ' ')
        content_encoding.remove_suffix(1);
    return iequals(content_encoding, "gzip") || iequals(content_encoding, "x-gzip");
}

bool is_redirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// A failed exchange; `stale` marks a reused connection found dead before any answer arrived.
struct Failure {
    Error error;
    bool stale = false;
};

struct Exchanged {
    Response response;
    bool keep_alive = false;
};

} // namespace

struct Client::Impl : std::enable_shared_from_this<Client::Impl> {
    Impl(asio::any_io_executor executor, ClientOptions opts)
        : ex(std::move(executor)), options(std::move(opts)), tls(ssl::context::tls_client) {
        user_agent = options.user_agent.empty() ? std::string("pinwatch/") + pinwatch::kVersion
                                                : options.user_agent;
        options.user_agent = user_agent;
        options.max_in_flight_per_host = std::max<std::size_t>(options.max_in_flight_per_host, 1);
        // The trust store and protocol floor every TLS connection of pinwatch shares.
        configure_tls_client(tls, options.extra_ca_file);
    }

    asio::any_io_executor ex;
    ClientOptions options;
    std::string user_agent;
    ssl::context tls;
    std::shared_ptr<Counters> counters = std::make_shared<Counters>();
    std::map<std::string, HostPool> pools; // never erased: waiters and guards hold references
    std::unordered_set<Pending*> pending;
    bool stopped = false;

    Error cancelled(std::string const& during) const {
        return Error{ErrorKind::cancelled, "cancelled (client shut down) " + during};
    }

    // Maps a failed step to an Error whose message names the step and the peer.
    Error classify(error_code const& ec, Step step, std::string const& where,
                   Limit const& limit) const {
        if (stopped) return cancelled(step_during(step, where));
        if (ec == beast::error::timeout || ec == asio::error::timed_out ||
            (ec == asio::error::operation_aborted && Clock::now() >= limit.at))
            return Error{ErrorKind::timeout, limit.name + " exceeded " + step_during(step, where)};
        // Not our shutdown and not our clock: the caller cancelled the fetch (for example
        // through a cancellation slot or an awaitable_operators race).
        if (ec == asio::error::operation_aborted)
            return Error{ErrorKind::cancelled,
                         "cancelled by the caller " + step_during(step, where)};
        if (ec == http::error::body_limit)
            return Error{ErrorKind::too_large,
                         "response body from " + where + " exceeds max_wire_bytes (" +
                             std::to_string(options.max_wire_bytes) + " bytes on the wire)"};
        if (ec == http::error::header_limit)
            return Error{ErrorKind::too_large, "response headers from " + where + " exceed " +
                                                   std::to_string(kHeaderLimit) + " bytes"};
        if (step == Step::read_header && ec == http::error::end_of_stream)
            return Error{ErrorKind::protocol,
                         "connection closed by " + where + " before any response"};
        if (ec == http::error::partial_message || ec == ssl::error::stream_truncated)
            return Error{ErrorKind::protocol, step_name(step, where) +
                                                  ": connection closed before the end of the "
                                                  "message (truncated)"};
        return Error{step_kind(step), step_name(step, where) + ": " + describe(ec)};
    }

    // --- request slots -----------------------------------------------------------------

    // Takes one of the host's request slots, queueing (FIFO) behind earlier fetches when all
    // are taken. Nothing spins: a queued fetch sleeps on its timer until release() wakes it.
    asio::awaitable<std::optional<Error>> acquire(HostPool& pool, Pending& op,
                                                  std::string const& where, Limit const& limit) {
        if (pool.in_flight < options.max_in_flight_per_host && pool.waiters.empty()) {
            ++pool.in_flight;
            co_return std::nullopt;
        }
        asio::steady_timer timer(ex, limit.at);
        Waiter waiter{&timer};
        pool.waiters.push_back(&waiter);
        QueueGuard queued{this, &pool, &waiter};
        op.timer = &timer;
        co_await timer.async_wait(use_tuple);
        op.timer = nullptr;
        if (waiter.granted && !stopped) {
            queued.claimed = true;
            co_return std::nullopt;
        }
        if (stopped) co_return cancelled("waiting for a connection slot to " + where);
        if (Clock::now() < limit.at)
            co_return Error{ErrorKind::cancelled,
                            "cancelled by the caller waiting for a connection slot to " + where};
        co_return Error{ErrorKind::timeout,
                        limit.name + " exceeded waiting for a connection slot to " + where};
    }

    void release(HostPool& pool) {
        if (!pool.waiters.empty()) {
            // Hand the slot straight to the longest waiter: no newcomer can barge in.
            Waiter* next = pool.waiters.front();
            pool.waiters.pop_front();
            next->granted = true;
            next->timer->cancel();
            return;
        }
        --pool.in_flight;
    }

    // Leaves the queue however the waiting coroutine ends (even destroyed while suspended),
    // passing on a slot that was handed over but not used.
    struct QueueGuard {
        Impl* impl;
        HostPool* pool;
        Waiter* waiter;
        bool claimed = false;
        ~QueueGuard() {
            if (!waiter->granted)
                std::erase(pool->waiters, waiter);
            else if (!claimed)
                impl->release(*pool);
        }
    };

    struct SlotGuard {
        Impl* impl;
        HostPool* pool;
        ~SlotGuard() { impl->release(*pool); }
    };

    struct PendingScope {
        Impl* impl;
        Pending* op;
        PendingScope(Impl* i, Pending* p) : impl(i), op(p) { impl->pending.insert(op); }
        ~PendingScope() { impl->pending.erase(op); }
    };

    // --- idle connections ----------------------------------------------------------------

    std::shared_ptr<Connection> take_idle(HostPool& pool) {
        while (!pool.idle.empty()) {
            auto conn = std::move(pool.idle.back());
            pool.idle.pop_back();
            conn->idle = false;
            error_code ignored;
            conn->tcp().socket().cancel(ignored); // ends the idle watch
            if (conn->tcp().socket().is_open()) return conn;
        }
        return nullptr;
    }

    // Ends a healthy connection we no longer want. TLS gets a close_notify first, bounded so
    // that a peer that never answers cannot keep the io_context busy.
    void retire(std::shared_ptr<Connection> conn) {
        if (!conn->tls || stopped || !conn->tcp().socket().is_open()) {
            conn->close();
            return;
        }
        conn->tcp().expires_after(std::chrono::milliseconds(500));
        auto& tls_stream = *conn->tls;
        tls_stream.async_shutdown([conn = std::move(conn)](error_code) {
            // Servers commonly close the TCP connection without answering our close_notify,
            // so this ends in ssl::error::stream_truncated (or eof, or a timeout): all fine,
            // the exchange is already complete (Beast issue #38).
            conn->close();
        });
    }

    void park(HostPool& pool, std::shared_ptr<Connection> conn) {
        if (stopped || conn->buffer.size() != 0 || pool.idle.size() >= options.max_idle_per_host) {
            retire(std::move(conn));
            return;
        }
        conn->idle = true;
        auto const epoch = ++conn->idle_epoch;
        pool.idle.push_back(conn);
        // An idle connection has nothing to read. If it becomes readable, the server closed it
        // (or sent junk): drop it now rather than fail the next request on it.
        auto watch = [weak_impl = weak_from_this(), weak_conn = std::weak_ptr<Connection>(conn),
                      epoch](error_code) {
            auto impl = weak_impl.lock();
            auto c = weak_conn.lock();
            // Taken out of the pool (or parked again) since: this completion is stale.
            if (!impl || !c || !c->idle || c->idle_epoch != epoch) return;
            impl->drop_idle(c);
        };
        conn->tcp().socket().async_wait(tcp::socket::wait_read, std::move(watch));
    }

    void drop_idle(std::shared_ptr<Connection> const& conn) {
        if (auto it = pools.find(conn->key); it != pools.end()) std::erase(it->second.idle, conn);
        conn->idle = false;
        conn->close();
    }

    // --- connecting ----------------------------------------------------------------------

    asio::awaitable<Result<std::vector<tcp::endpoint>, error_code>>
    resolve(Pending& op, std::string host, std::uint16_t port, Clock::time_point until) {
        // IP literals need no resolver.
        error_code literal_ec;
        auto address = asio::ip::make_address(host, literal_ec);
        if (!literal_ec) co_return std::vector<tcp::endpoint>{tcp::endpoint(address, port)};

        auto state = std::make_shared<ResolveState>(ex);
        state->done.expires_at(until);
        state->resolver.async_resolve(host, std::to_string(port),
                                      [state](error_code ec, tcp::resolver::results_type r) {
                                          state->ec = ec;
                                          for (auto const& entry : r)
                                              state->endpoints.push_back(entry.endpoint());
                                          state->finished = true;
                                          state->done.cancel();
                                      });
        op.resolving = state;
        co_await state->done.async_wait(use_tuple);
        op.resolving.reset();
        if (!state->finished) {
            state->resolver.cancel();
            // Our clock ran out, or someone (shutdown, the caller) cancelled the wait.
            bool const expired = !stopped && Clock::now() >= until;
            co_return fail(
                error_code(expired ? asio::error::timed_out : asio::error::operation_aborted));
        }
        if (state->ec) co_return fail(state->ec);
        co_return std::move(state->endpoints);
    }

    // Resolve, TCP connect, proxy CONNECT and TLS handshake: all bounded by connect_timeout
    // (and by the request's deadline, whichever comes first).
    asio::awaitable<Result<std::shared_ptr<Connection>, Error>>
    connect(Pending& op, detail::Target const& target,
            std::optional<detail::ProxyRoute> const& route, std::string const& key,
            Limit const& deadline) {
        auto const connect_limit = Clock::now() + options.connect_timeout;
        Limit const limit = connect_limit < deadline.at
                                ? Limit{connect_limit, "connect timeout " +
                                                           format_duration(options.connect_timeout)}
                                : deadline;
        std::string const dial_host = route ? route->host : target.host;
        std::uint16_t const dial_port = route ? route->port : target.port;
        std::string const dial_where = route ? route->authority : target.authority;

        auto conn = std::make_shared<Connection>(ex, counters, target.https ? &tls : nullptr, key);
        op.conn = conn;
        auto& stream = conn->tcp();

        // Look up the server (or the proxy).
        auto endpoints = co_await resolve(op, dial_host, dial_port, limit.at);
        if (!endpoints) {
            if (route)
                co_return fail(classify(endpoints.error(), Step::proxy_connect, dial_where, limit));
            auto const& ec = endpoints.error();
            if (stopped || ec == asio::error::timed_out || ec == asio::error::operation_aborted)
                co_return fail(classify(ec, Step::resolve, dial_host, limit));
            co_return fail(Error{ErrorKind::resolve, "resolve " + dial_host + ": " + describe(ec)});
        }

        // Open the TCP connection, trying each address in turn.
        stream.expires_at(limit.at);
        auto [cec, ep] = co_await stream.async_connect(*endpoints, use_tuple);
        if (cec)
            co_return fail(
                classify(cec, route ? Step::proxy_connect : Step::connect, dial_where, limit));
        error_code ignored;
        stream.socket().set_option(tcp::no_delay(true), ignored);

        // Through a proxy, an https origin is reached inside a CONNECT tunnel.
        if (route && target.https) {
            if (auto err = co_await open_tunnel(*conn, target, *route, limit))
                co_return fail(std::move(*err));
        }

        // TLS with the origin: SNI, verification of the chain and of the origin's name.
        if (target.https) {
            if (auto err = co_await handshake(*conn, target, limit))
                co_return fail(std::move(*err));
        }
        counters->opened.fetch_add(1, std::memory_order_relaxed);
        co_return conn;
    }

    asio::awaitable<std::optional<Error>> open_tunnel(Connection& conn,
                                                      detail::Target const& target,
                                                      detail::ProxyRoute const& route,
                                                      Limit const& limit) {
        auto& stream = conn.tcp();
        std::string const where = target.authority + " via proxy " + route.authority;
        http::request<http::empty_body> req{http::verb::connect, target.authority, 11};
        req.set(http::field::host, target.authority);
        req.set(http::field::user_agent, user_agent);
        if (!route.authorization.empty())
            req.set(http::field::proxy_authorization, route.authorization);

        // Ask the proxy for a tunnel to the origin.
        stream.expires_at(limit.at);
        auto [wec, wn] = co_await http::async_write(stream, req, use_tuple);
        if (wec) co_return classify(wec, Step::tunnel, where, limit);

        // Read its answer; a 2xx to CONNECT has no body, so the parser must not wait for one.
        http::response_parser<http::empty_body> parser;
        parser.header_limit(kHeaderLimit);
        parser.skip(true);
        auto [rec, rn] = co_await http::async_read(stream, conn.buffer, parser, use_tuple);
        if (rec) co_return classify(rec, Step::tunnel, where, limit);
        auto const status = parser.get().result_int();
        if (status / 100 != 2)
            co_return Error{ErrorKind::proxy, "proxy " + route.authority + " refused CONNECT to " +
                                                  target.authority + ": " + std::to_string(status) +
                                                  " " + std::string(parser.get().reason())};
        if (conn.buffer.size() != 0)
            co_return Error{ErrorKind::proxy, "proxy " + route.authority +
                                                  " sent data before the tunnel to " +
                                                  target.authority + " was used"};
        co_return std::nullopt;
    }

    asio::awaitable<std::optional<Error>> handshake(Connection& conn, detail::Target const& target,
                                                    Limit const& limit) {
        auto& stream = *conn.tls;
        // SNI, and verification always on: the chain against the trust store, then the name.
        auto why = std::make_shared<std::string>();
        if (!prepare_tls_client(stream, target.host, why))
            co_return Error{ErrorKind::tls,
                            "TLS handshake with " + target.authority + ": cannot set SNI"};
        beast::get_lowest_layer(stream).expires_at(limit.at);
        auto [ec] = co_await stream.async_handshake(ssl::stream_base::client, use_tuple);
        if (!ec) co_return std::nullopt;
        if (!why->empty() && !stopped && ec != beast::error::timeout)
            co_return Error{ErrorKind::tls, "TLS handshake with " + target.authority +
                                                ": certificate verification failed: " + *why};
        co_return classify(ec, Step::handshake, target.authority, limit);
    }

    // --- one request/response exchange ---------------------------------------------------

    template <class AsyncStream>
    asio::awaitable<Result<Exchanged, Failure>>
    round_trip(AsyncStream& stream, Connection& conn, http::request<http::string_body>& req,
               std::string const& where, Limit const& limit, std::size_t body_limit,
               char const* body_limit_name) {
        auto& lowest = conn.tcp();
        auto const received_before = lowest.rate_policy().received();
        counters->requests.fetch_add(1, std::memory_order_relaxed);

        // Send the request; the absolute deadline bounds this and every later socket step.
        lowest.expires_at(limit.at);
        auto [wec, wn] = co_await http::async_write(stream, req, use_tuple);
        if (wec)
            co_return fail(Failure{classify(wec, Step::write, where, limit), is_disconnect(wec)});

        // Read the status line and headers, skipping interim 1xx answers (103 Early Hints).
        std::optional<http::response_parser<http::buffer_body>> parsing;
        for (bool first = true;; first = false) {
            parsing.emplace();
            parsing->header_limit(kHeaderLimit);
            parsing->body_limit(options.max_wire_bytes);
            if (req.method() == http::verb::head) parsing->skip(true);
            auto [hec, hn] =
                co_await http::async_read_header(stream, conn.buffer, *parsing, use_tuple);
            if (hec)
                co_return fail(Failure{classify(hec, Step::read_header, where, limit),
                                       first && !parsing->got_some() && is_disconnect(hec)});
            auto const status = parsing->get().result_int();
            if (status / 100 != 1 || status == 101) break;
        }
        auto& parser = *parsing;

        Exchanged out;
        auto& head = parser.get();
        out.response.status = static_cast<int>(head.result_int());
        for (auto const& field : head)
            out.response.headers.emplace_back(std::string(field.name_string()),
                                              std::string(field.value()));

        // gzip is collected as it arrives and inflated at the end; any other coding is passed
        // through untouched.
        std::optional<detail::GzipDecoder> gzip;
        if (auto coding = head.find(http::field::content_encoding);
            coding != head.end() && is_gzip(coding->value()))
            gzip.emplace();
        auto const too_large = [&] {
            return Failure{Error{ErrorKind::too_large, "response body from " + where + " exceeds " +
                                                           body_limit_name + " (" +
                                                           std::to_string(body_limit) + " bytes" +
                                                           (gzip ? " decompressed)" : ")")}};
        };
        if (auto length = parser.content_length(); length && !gzip && *length > body_limit)
            co_return fail(too_large());
        if (auto length = parser.content_length(); length && !gzip)
            out.response.body.reserve(static_cast<std::size_t>(*length));

        // Read the body a chunk at a time, so neither the wire form nor the decoded form is
        // ever held beyond its cap.
        std::string& body = out.response.body;
        while (!parser.is_done()) {
            parser.get().body().data = conn.chunk.data();
            parser.get().body().size = conn.chunk.size();
            auto [bec, bn] = co_await http::async_read(stream, conn.buffer, parser, use_tuple);
            if (bec == http::error::need_buffer) bec = {};
            if (bec == ssl::error::stream_truncated) {
                // The server closed without TLS close_notify (Beast issue #38). That ends a
                // body delimited by end-of-stream; with a Content-Length or chunking put_eof
                // reports the body as truncated.
                error_code eof_ec;
                parser.put_eof(eof_ec);
                bec = eof_ec ? error_code(http::error::partial_message) : error_code();
            }
            std::string_view const bytes(conn.chunk.data(),
                                         conn.chunk.size() - parser.get().body().size);
            if (gzip) {
                if (gzip->feed(bytes) != detail::GzipDecoder::Status::ok)
                    co_return fail(
                        Failure{Error{ErrorKind::protocol,
                                      "corrupt gzip body from " + where + ": " + gzip->message()}});
            } else {
                if (body.size() + bytes.size() > body_limit) co_return fail(too_large());
                body.append(bytes);
            }
            if (bec) co_return fail(Failure{classify(bec, Step::read_body, where, limit)});
        }
        if (gzip) {
            switch (gzip->finish(body, body_limit)) {
            case detail::GzipDecoder::Status::ok:
                break;
            case detail::GzipDecoder::Status::too_large:
                co_return fail(too_large());
            case detail::GzipDecoder::Status::corrupt:
                co_return fail(
                    Failure{Error{ErrorKind::protocol,
                                  "corrupt gzip body from " + where + ": " + gzip->message()}});
            }
        }

        out.response.wire_bytes =
            static_cast<std::size_t>(lowest.rate_policy().received() - received_before);
        out.keep_alive = parser.keep_alive() && req.keep_alive();
        co_return out;
    }

    // One hop: a request slot, a connection (reused or new), the exchange, and the one retry
    // a reused connection that turned out dead gets for an idempotent request.
    asio::awaitable<Result<Response, Error>>
    exchange(Pending& op, detail::Target const& target, std::string const& method,
             std::vector<Header> const& headers, std::string const& body, Limit const& limit,
             std::size_t body_limit, char const* body_limit_name) {
        auto route = detail::select_proxy(options.proxy, target);
        if (!route) co_return fail(Error{ErrorKind::proxy, route.error()});
        bool const via_proxy = route->has_value();
        std::string key = target.origin();
        if (via_proxy) key += " via " + (*route)->identity;
        std::string const where = target.authority;
        HostPool& pool = pools[key];

        // Wait for one of this host's request slots.
        if (auto err = co_await acquire(pool, op, where, limit)) co_return fail(std::move(*err));
        SlotGuard slot{this, &pool};

        // Build the request: plain http through a proxy uses the absolute-form target.
        http::request<http::string_body> req;
        req.method_string(method);
        req.target(via_proxy && !target.https ? target.url : target.origin_form);
        req.version(11);
        if (!has_header(headers, "Host")) req.set(http::field::host, target.host_header);
        if (!has_header(headers, "User-Agent")) req.set(http::field::user_agent, user_agent);
        if (!has_header(headers, "Accept-Encoding")) req.set(http::field::accept_encoding, "gzip");
        if (via_proxy && !target.https && !(*route)->authorization.empty())
            req.set(http::field::proxy_authorization, (*route)->authorization);
        for (auto const& [name, value] : headers)
            req.insert(name, value);
        if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
            req.body() = body;
            req.prepare_payload();
        }
        bool const idempotent = method == "GET" || method == "HEAD";

        for (int attempt = 0;; ++attempt) {
            if (stopped) co_return fail(cancelled("before sending a request to " + where));
            // The retry always opens a new connection: idle ones parked as long as the dead
            // one are likely dead too.
            auto conn = attempt == 0 ? take_idle(pool) : nullptr;
            bool const reused = conn != nullptr;
            if (reused) {
                counters->reused.fetch_add(1, std::memory_order_relaxed);
                op.conn = conn;
            } else {
                auto opened = co_await connect(op, target, *route, key, limit);
                if (!opened) {
                    op.conn.reset();
                    co_return fail(std::move(opened).error());
                }
                conn = std::move(*opened);
            }

            Result<Exchanged, Failure> result = fail(Failure{});
            if (conn->tls)
                result = co_await round_trip(*conn->tls, *conn, req, where, limit, body_limit,
                                             body_limit_name);
            else
                result = co_await round_trip(*conn->plain, *conn, req, where, limit, body_limit,
                                             body_limit_name);
            op.conn.reset();

            if (result) {
                if (result->keep_alive)
                    park(pool, std::move(conn));
                else
                    retire(std::move(conn));
                co_return std::move(result->response);
            }
            conn->close();
            // A kept-alive connection the server had already dropped: try once more on a new
            // one, but only when repeating the request cannot do harm.
            if (result.error().stale && reused && idempotent && attempt == 0 && !stopped &&
                Clock::now() < limit.at)
                continue;
            co_return fail(std::move(result.error().error));
        }
    }

    // The whole fetch: validation, then hops until a non-redirect answer.
    asio::awaitable<Result<Response, Error>> fetch(Request request) {
        auto self = shared_from_this(); // the Client may go away while we are suspended
        if (stopped) co_return fail(cancelled("before fetching " + redact_url(request.url)));
        auto const budget = request.deadline.value_or(options.deadline);
        Limit const limit{Clock::now() + budget, "deadline " + format_duration(budget)};
        Pending op;
        PendingScope scope(this, &op);

        auto parsed = detail::parse_target(request.url);
        if (!parsed)
            co_return fail(Error{ErrorKind::bad_url,
                                 "bad URL " + redact_url(request.url) + ": " + parsed.error()});
        for (auto const& [name, value] : request.headers)
            if (!valid_header_name(name) || !valid_header_value(value))
                co_return fail(
                    Error{ErrorKind::bad_url,
                          "invalid header \"" +
                              std::string(valid_header_name(name) ? name : "(bad name)") +
                              "\" for " + redact_url(request.url)});
        std::size_t const body_limit = request.body_limit.value_or(options.max_body_bytes);
        char const* const body_limit_name =
            request.body_limit ? "the request's body_limit" : "max_body_bytes";
        std::string method = request.method.empty() ? std::string("GET") : request.method;
        detail::Target target = std::move(*parsed);
        // The URL's userinfo becomes an Authorization header here, so it follows the rule every
        // credential follows: kept on a same-origin redirect, dropped on any other. Userinfo in
        // a Location header is never used.
        if (target.has_userinfo && !has_header(request.headers, "Authorization"))
            request.headers.emplace_back("Authorization",
                                         basic_authorization(target.user, target.password));

        for (int redirects = 0;; ++redirects) {
            // Credentials never cross the network in the clear: plain http only to loopback.
            if (!target.https && !detail::is_loopback(target.host) &&
                detail::carries_credentials(request.headers))
                co_return fail(
                    Error{ErrorKind::bad_url, "refusing to send credentials over plain http to " +
                                                  target.authority + " (use https)"});
            auto response = co_await exchange(op, target, method, request.headers, request.body,
                                              limit, body_limit, body_limit_name);
            if (!response) co_return response;
            auto location = response->header("Location");
            if (!is_redirect(response->status) || !location || !request.follow_redirects) {
                response->final_url = target.url;
                co_return response;
            }

            // Follow the redirect, within bounds and never from https down to http.
            if (redirects >= options.max_redirects)
                co_return fail(
                    Error{ErrorKind::redirect, "too many redirects (max " +
                                                   std::to_string(options.max_redirects) +
                                                   ") fetching " + redact_url(request.url)});
            auto next = detail::resolve_location(target, *location);
            if (!next)
                co_return fail(Error{ErrorKind::redirect,
                                     "bad redirect from " + redact_url(target.url) + " to " +
                                         redact_url(*location) + ": " + next.error()});
            if (target.https && !next->https)
                co_return fail(Error{ErrorKind::redirect, "refusing redirect from https to http: " +
                                                              redact_url(target.url) + " -> " +
                                                              redact_url(next->url)});
            // 303 always, and 301/302 after POST (as browsers and curl do), continue with GET.
            if ((response->status == 303 && method != "HEAD") ||
                ((response->status == 301 || response->status == 302) && method == "POST")) {
                method = "GET";
                request.body.clear();
                erase_header(request.headers, "Content-Type");
                erase_header(request.headers, "Content-Length");
            }
            // Credentials stay with the origin they were meant for.
            if (next->origin() != target.origin()) detail::drop_credentials(request.headers);
            target = std::move(*next);
        }
    }

    void shutdown() {
        stopped = true;
        for (auto& [key, pool] : pools) {
            for (auto& conn : pool.idle) {
                conn->idle = false;
                conn->close();
            }
            pool.idle.clear();
            for (auto* waiter : pool.waiters)
                waiter->timer->cancel();
        }
        for (auto* op : pending) {
            if (op->conn) op->conn->close();
            if (op->resolving) {
                op->resolving->resolver.cancel();
                op->resolving->done.cancel();
            }
            if (op->timer) op->timer->cancel();
        }
    }
};

Client::Client(asio::any_io_executor ex, ClientOptions options)
    : impl_(std::make_shared<Impl>(std::move(ex), std::move(options))) {}

Client::~Client() {
    shutdown();
}

asio::awaitable<Result<Response, Error>> Client::fetch(Request request) {
    auto impl = impl_;
    co_return co_await impl->fetch(std::move(request));
}

ClientStats Client::stats() const {
    auto const& c = *impl_->counters;
    ClientStats s;
    s.requests = c.requests.load(std::memory_order_relaxed);
    s.connections_opened = c.opened.load(std::memory_order_relaxed);
    s.connections_reused = c.reused.load(std::memory_order_relaxed);
    s.bytes_received = c.received.load(std::memory_order_relaxed);
    s.bytes_sent = c.sent.load(std::memory_order_relaxed);
    return s;
}

ClientOptions const& Client::options() const {
    return impl_->options;
}

void Client::shutdown() {
    // On the client's executor: runs at once when called from it (the usual case: a signal
    // handler on the same io_context), otherwise as soon as that executor gets to it.
    asio::dispatch(impl_->ex, [impl = impl_] { impl->shutdown(); });
}

} // namespace pinwatch::net
