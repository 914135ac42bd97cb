#define BOOST_TEST_MODULE client_test
#include <boost/test/unit_test.hpp>

// The HTTPS client against the loopback test server and test proxy: pooling, limits, TLS,
// redirects, gzip, caps, deadlines, faults, proxies, secrets in messages, shutdown.
// Tests wait on events (results, server counters); durations only bound failures.

#include "net/client.hpp"
#include "pinwatch_version.hpp"
#include "tests/fakes/scratch_dir.hpp"
#include "tests/fakes/test_proxy.hpp"
#include "tests/fakes/test_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <thread>

namespace asio = boost::asio;
using namespace pinwatch;
using namespace pinwatch::net;
using namespace pinwatch::test;
using namespace std::chrono_literals;
using namespace boost::asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;
using FetchResult = Result<Response, Error>;

namespace {

// Only a failure bound: a broken client fails the test instead of hanging it.
constexpr auto kBound = 20s;

ClientOptions options() {
    ClientOptions o;
    o.proxy = {}; // never the environment's proxies in tests
    o.deadline = 10s;
    o.connect_timeout = 5s;
    return o;
}

std::string message_of(FetchResult const& r) {
    return r ? "ok " + std::to_string(r->status)
             : std::string(to_string(r.error().kind)) + ": " + r.error().message;
}

// Each evaluates its argument once (it is often the fetch itself).
#define REQUIRE_OK(expr)                                                                           \
    do {                                                                                           \
        auto const& r_ = (expr);                                                                   \
        BOOST_REQUIRE_MESSAGE(r_.has_value(), message_of(r_));                                     \
    } while (false)
#define REQUIRE_ERROR(expr, k)                                                                     \
    do {                                                                                           \
        auto const& r_ = (expr);                                                                   \
        BOOST_REQUIRE_MESSAGE(!r_.has_value(), "expected an error, got " + message_of(r_));        \
        BOOST_TEST_MESSAGE(message_of(r_));                                                        \
        BOOST_TEST(to_string(r_.error().kind) == to_string(k), message_of(r_));                    \
    } while (false)

long long ms_since(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

bool contains(std::string const& haystack, std::string_view needle) {
    return haystack.find(needle) != std::string::npos;
}

// co_spawn with a completion handler needs a default-constructible result, which Result is
// not: spawn this instead and read `out` once it completes.
asio::awaitable<void> fetch_into(Client& client, Request request, std::optional<FetchResult>& out) {
    out.emplace(co_await client.fetch(std::move(request)));
}

void rethrow(std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
}

// One io_context driven by the test thread and one Client on it.
struct Harness {
    asio::io_context ioc;
    std::unique_ptr<Client> client;

    explicit Harness(ClientOptions o = options())
        : client(std::make_unique<Client>(ioc.get_executor(), std::move(o))) {}
    ~Harness() { client.reset(); } // before its io_context

    // Runs the io_context until every slot is filled (or kBound passes: a failure).
    void run_until(std::function<bool()> done) {
        if (ioc.stopped()) ioc.restart();
        auto const give_up = Clock::now() + kBound;
        while (!done() && Clock::now() < give_up)
            if (ioc.run_one_until(give_up) == 0 && ioc.stopped()) break;
        BOOST_REQUIRE_MESSAGE(done(), "did not finish within the failure bound");
    }

    FetchResult fetch(Request request) {
        std::optional<FetchResult> out;
        asio::co_spawn(ioc, fetch_into(*client, std::move(request), out), rethrow);
        run_until([&] { return out.has_value(); });
        return std::move(*out);
    }
    FetchResult get(std::string url) {
        Request r;
        r.url = std::move(url);
        return fetch(std::move(r));
    }

    std::vector<FetchResult> fetch_all(std::vector<Request> requests) {
        std::vector<std::optional<FetchResult>> out(requests.size());
        for (std::size_t i = 0; i < requests.size(); ++i)
            asio::co_spawn(ioc, fetch_into(*client, std::move(requests[i]), out[i]), rethrow);
        run_until([&] {
            return std::all_of(out.begin(), out.end(), [](auto const& r) { return r.has_value(); });
        });
        std::vector<FetchResult> results;
        for (auto& r : out)
            results.push_back(std::move(*r));
        return results;
    }
};

TestResponse hello(TestRequest const& r) {
    return TestResponse::text("hello " + std::string(r.path()));
}

// A port with nothing listening: bound, then closed.
std::uint16_t closed_port() {
    asio::io_context ioc;
    asio::ip::tcp::acceptor acceptor(ioc, {asio::ip::make_address_v4("127.0.0.1"), 0});
    auto port = acceptor.local_endpoint().port();
    acceptor.close();
    return port;
}

std::string random_bytes(std::size_t n) {
    std::mt19937 gen(42);
    std::string s(n, '\0');
    for (auto& c : s)
        c = static_cast<char>(gen());
    return s;
}

} // namespace

// --- basics --------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(plain_get) {
    TestServer server(hello);
    Harness h;
    auto r = h.get(server.url("/hi?x=1"));
    REQUIRE_OK(r);
    BOOST_TEST(r->status == 200);
    BOOST_TEST(r->body == "hello /hi");
    BOOST_TEST(r->header("content-type").value_or("") == "text/plain; charset=utf-8");
    BOOST_TEST(r->final_url == server.url("/hi?x=1"));
    BOOST_TEST(r->wire_bytes > r->body.size());
    auto s = h.client->stats();
    BOOST_TEST(s.requests == 1u);
    BOOST_TEST(s.connections_opened == 1u);
    BOOST_TEST(s.bytes_sent > 0u);
    BOOST_TEST(s.bytes_received >= r->wire_bytes);
    auto seen = server.last_request();
    BOOST_REQUIRE(seen);
    BOOST_TEST(seen->method == "GET");
    BOOST_TEST(seen->target == "/hi?x=1");
    BOOST_TEST(seen->header("Host").value_or("") == "127.0.0.1:" + std::to_string(server.port()));
}

BOOST_AUTO_TEST_CASE(user_agent_and_accept_encoding_sent) {
    TestServer server(hello);
    {
        Harness h;
        REQUIRE_OK(h.get(server.url("/")));
        auto seen = server.last_request();
        BOOST_TEST(seen->header("User-Agent").value_or("") ==
                   std::string("pinwatch/") + pinwatch::kVersion);
        BOOST_TEST(seen->header("Accept-Encoding").value_or("") == "gzip");
        BOOST_TEST(h.client->options().user_agent == std::string("pinwatch/") + kVersion);
    }
    {
        auto o = options();
        o.user_agent = "custom/1.0";
        Harness h(o);
        Request req;
        req.url = server.url("/");
        req.header("Accept-Encoding", "identity").header("X-Extra", "1");
        REQUIRE_OK(h.fetch(req));
        auto seen = server.last_request();
        BOOST_TEST(seen->header("User-Agent").value_or("") == "custom/1.0");
        BOOST_TEST(seen->header("Accept-Encoding").value_or("") == "identity");
        BOOST_TEST(seen->header("X-Extra").value_or("") == "1");
    }
}

BOOST_AUTO_TEST_CASE(head_request_has_no_body_and_keeps_connection) {
    TestServer server(
        [](TestRequest const&) { return TestResponse::text(std::string(5000, 'x')); });
    Harness h;
    Request req;
    req.method = "HEAD";
    req.url = server.url("/");
    auto r = h.fetch(req);
    REQUIRE_OK(r);
    BOOST_TEST(r->body.empty());
    BOOST_TEST(r->header("Content-Length").value_or("") == "5000");
    REQUIRE_OK(h.get(server.url("/")));
    BOOST_TEST(h.client->stats().connections_opened == 1u);
}

BOOST_AUTO_TEST_CASE(interim_1xx_answers_are_skipped) {
    TestServer server([](TestRequest const& r) {
        auto resp = hello(r);
        resp.early_hints = true;
        return resp;
    });
    Harness h;
    auto r = h.get(server.url("/hinted"));
    REQUIRE_OK(r);
    BOOST_TEST(r->status == 200);
    BOOST_TEST(r->body == "hello /hinted");
    REQUIRE_OK(h.get(server.url("/again")));
    BOOST_TEST(h.client->stats().connections_opened == 1u);
}

BOOST_AUTO_TEST_CASE(post_sends_body) {
    TestServer server([](TestRequest const& r) { return TestResponse::text("got " + r.body); });
    Harness h;
    Request req;
    req.method = "POST";
    req.url = server.url("/submit");
    req.body = "payload";
    req.header("Content-Type", "text/plain");
    auto r = h.fetch(req);
    REQUIRE_OK(r);
    BOOST_TEST(r->body == "got payload");
    BOOST_TEST(server.last_request()->header("Content-Length").value_or("") == "7");
}

BOOST_AUTO_TEST_CASE(bad_urls_and_headers_rejected) {
    Harness h;
    REQUIRE_ERROR(h.get("not a url"), ErrorKind::bad_url);
    REQUIRE_ERROR(h.get("ftp://example.com/file"), ErrorKind::bad_url);
    REQUIRE_ERROR(h.get("http:///nohost"), ErrorKind::bad_url);
    REQUIRE_ERROR(h.get("http://example.com:99999/"), ErrorKind::bad_url);
    Request req;
    req.url = "http://127.0.0.1:1/";
    req.header("X-Injected", "a\r\nEvil: yes");
    REQUIRE_ERROR(h.fetch(req), ErrorKind::bad_url);
    BOOST_TEST(h.client->stats().requests == 0u);
}

BOOST_AUTO_TEST_CASE(missing_extra_ca_file_is_a_startup_error) {
    auto o = options();
    o.extra_ca_file = "/nonexistent/pinwatch-ca.pem";
    asio::io_context ioc;
    BOOST_CHECK_THROW(Client(ioc.get_executor(), o), std::runtime_error);
}

// --- pooling and limits --------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(keep_alive_reuses_one_connection) {
    TestServer server(hello);
    Harness h;
    for (int i = 0; i < 5; ++i) {
        auto r = h.get(server.url("/n" + std::to_string(i)));
        REQUIRE_OK(r);
        BOOST_TEST(r->body == "hello /n" + std::to_string(i));
    }
    auto s = h.client->stats();
    BOOST_TEST(s.connections_opened == 1u);
    BOOST_TEST(s.connections_reused == 4u);
    BOOST_TEST(s.requests == 5u);
    BOOST_TEST(server.connections() == 1u);
}

BOOST_AUTO_TEST_CASE(in_flight_limit_per_host) {
    TestServer server([](TestRequest const& r) {
        auto resp = hello(r);
        resp.delay = 30ms; // keeps each request in flight long enough to overlap
        return resp;
    });
    auto o = options();
    o.max_in_flight_per_host = 2;
    Harness h(o);
    std::vector<Request> requests(10);
    for (std::size_t i = 0; i < requests.size(); ++i)
        requests[i].url = server.url("/r" + std::to_string(i));
    auto results = h.fetch_all(std::move(requests));
    for (std::size_t i = 0; i < results.size(); ++i) {
        REQUIRE_OK(results[i]);
        BOOST_TEST(results[i]->body == "hello /r" + std::to_string(i));
    }
    BOOST_TEST(server.requests() == 10u);
    BOOST_TEST(server.max_in_flight() <= 2u);
    BOOST_TEST(server.max_in_flight() >= 1u);
    BOOST_TEST(h.client->stats().connections_opened <= 2u);
}

BOOST_AUTO_TEST_CASE(deadline_applies_while_queued_for_a_slot) {
    TestServer server([](TestRequest const& r) {
        auto resp = hello(r);
        resp.stall = r.path() == "/stall";
        return resp;
    });
    auto o = options();
    o.max_in_flight_per_host = 1;
    Harness h(o);
    Request stalled;
    stalled.url = server.url("/stall");
    stalled.deadline = 2s;
    Request queued;
    queued.url = server.url("/queued");
    queued.deadline = 200ms; // expires while the stalled request holds the only slot
    auto results = h.fetch_all({stalled, queued});
    REQUIRE_ERROR(results[1], ErrorKind::timeout);
    BOOST_TEST(contains(results[1].error().message, "waiting for a connection slot"));
    REQUIRE_ERROR(results[0], ErrorKind::timeout);
    BOOST_TEST(server.requests() == 1u);
    REQUIRE_OK(h.get(server.url("/later"))); // the slot came back
}

BOOST_AUTO_TEST_CASE(idle_connections_capped_per_host) {
    TestServer server([](TestRequest const& r) {
        auto resp = hello(r);
        resp.delay = 20ms;
        return resp;
    });
    auto o = options();
    o.max_in_flight_per_host = 3;
    o.max_idle_per_host = 1;
    Harness h(o);
    std::vector<Request> requests(3);
    for (auto& r : requests)
        r.url = server.url("/");
    for (auto& r : h.fetch_all(std::move(requests)))
        REQUIRE_OK(r);
    BOOST_TEST(h.client->stats().connections_opened == 3u);
    // Two of the three are closed instead of parked.
    BOOST_TEST(server.wait_for_connections_closed(2, kBound));
    REQUIRE_OK(h.get(server.url("/")));
    BOOST_TEST(h.client->stats().connections_opened == 3u);
    BOOST_TEST(h.client->stats().connections_reused == 1u);
}

BOOST_AUTO_TEST_CASE(dead_keep_alive_connection_retried_once_for_get) {
    std::atomic<int> second_attempts{0};
    TestServer server([&](TestRequest const& r) {
        // The second request's first attempt finds the server dropping the connection.
        if (r.path() == "/second" && second_attempts++ == 0) {
            TestResponse drop;
            drop.close_before_response = true;
            return drop;
        }
        return hello(r);
    });
    Harness h;
    REQUIRE_OK(h.get(server.url("/first")));
    auto r = h.get(server.url("/second"));
    REQUIRE_OK(r);
    BOOST_TEST(r->body == "hello /second");
    BOOST_TEST(second_attempts.load() == 2);
    BOOST_TEST(server.requests() == 3u);
    BOOST_TEST(h.client->stats().connections_opened == 2u);
}

BOOST_AUTO_TEST_CASE(retry_uses_a_fresh_connection_not_another_idle_one) {
    std::atomic<bool> dropping{false};
    TestServer server([&](TestRequest const& r) {
        auto resp = hello(r);
        resp.delay = 20ms; // overlap the warm-up requests so that each gets its own connection
        // Every connection opened for the warm-up is dropped when next used.
        resp.close_before_response = dropping && r.connection <= 2;
        return resp;
    });
    auto o = options();
    o.max_in_flight_per_host = 2;
    Harness h(o);
    std::vector<Request> warm_up(2);
    for (auto& r : warm_up)
        r.url = server.url("/warm");
    for (auto& r : h.fetch_all(warm_up))
        REQUIRE_OK(r);
    BOOST_REQUIRE(h.client->stats().connections_opened == 2u); // two idle connections now
    dropping = true;
    auto r = h.get(server.url("/after"));
    REQUIRE_OK(r);
    BOOST_TEST(r->body == "hello /after");
    BOOST_TEST(h.client->stats().connections_opened == 3u);
    BOOST_TEST(server.last_request()->connection == 3u);
}

BOOST_AUTO_TEST_CASE(dead_keep_alive_connection_not_retried_for_post) {
    std::atomic<int> posts{0};
    TestServer server([&](TestRequest const& r) {
        if (r.method == "POST" && posts++ == 0) {
            TestResponse drop;
            drop.close_before_response = true;
            return drop;
        }
        return hello(r);
    });
    Harness h;
    REQUIRE_OK(h.get(server.url("/first")));
    Request post;
    post.method = "POST";
    post.url = server.url("/submit");
    post.body = "x";
    auto r = h.fetch(post);
    REQUIRE_ERROR(r, ErrorKind::protocol);
    BOOST_TEST(posts.load() == 1);
    BOOST_TEST(server.requests() == 2u);
}

BOOST_AUTO_TEST_CASE(fresh_connection_closed_before_response_is_an_error) {
    TestServer server([](TestRequest const&) {
        TestResponse drop;
        drop.close_before_response = true;
        return drop;
    });
    Harness h;
    auto r = h.get(server.url("/"));
    REQUIRE_ERROR(r, ErrorKind::protocol);
    BOOST_TEST(contains(r.error().message, "127.0.0.1:" + std::to_string(server.port())));
    BOOST_TEST(server.requests() == 1u); // no retry on a fresh connection
}

BOOST_AUTO_TEST_CASE(server_closing_idle_connection_is_survived) {
    TestServer server([](TestRequest const& r) {
        auto resp = hello(r);
        resp.close_after = r.path() == "/first"; // keep-alive promised, then dropped
        return resp;
    });
    Harness h;
    REQUIRE_OK(h.get(server.url("/first")));
    BOOST_TEST(server.wait_for_connections_closed(1, kBound));
    h.ioc.poll(); // let the idle watch see the close if it already can
    auto r = h.get(server.url("/second"));
    REQUIRE_OK(r);
    BOOST_TEST(r->body == "hello /second");
    BOOST_TEST(h.client->stats().connections_opened == 2u);
    BOOST_TEST(server.requests() == 2u);
}

// --- TLS -------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(tls_with_extra_ca) {
    TestServer server(hello, {.tls = true});
    auto o = options();
    o.extra_ca_file = server.ca_file();
    Harness h(o);
    auto r = h.get(server.url("/secure"));
    REQUIRE_OK(r);
    BOOST_TEST(r->body == "hello /secure");
    BOOST_TEST(r->final_url == "https://localhost:" + std::to_string(server.port()) + "/secure");
    REQUIRE_OK(h.get(server.url("/again")));
    BOOST_TEST(h.client->stats().connections_opened == 1u);
    BOOST_TEST(h.client->stats().connections_reused == 1u);
}

BOOST_AUTO_TEST_CASE(tls_unknown_ca_fails) {
    TestServer server(hello, {.tls = true});
    Harness h; // system trust store only: the throwaway CA is unknown
    auto r = h.get(server.url("/"));
    REQUIRE_ERROR(r, ErrorKind::tls);
    BOOST_TEST(contains(r.error().message, "localhost:" + std::to_string(server.port())));
    BOOST_TEST(contains(r.error().message, "certificate"));
    BOOST_TEST(server.requests() == 0u);
}

// The system trust store as $SSL_CERT_FILE / $SSL_CERT_DIR name it, restored afterwards.
struct SystemStore {
    ScratchDir dir{"pinwatch-certs"};
    std::string bundle;
    SystemStore(std::string const& ca_pem, bool hashed_links) {
        bundle = dir.write("bundle.pem", ca_pem);
        if (hashed_links) {
            // The link `openssl rehash` would make: the subject hash, ".0".
            BIO* bio = BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size()));
            X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
            BIO_free(bio);
            BOOST_REQUIRE(cert);
            char name[32];
            std::snprintf(name, sizeof name, "%08lx.0", X509_subject_name_hash(cert));
            X509_free(cert);
            std::filesystem::create_symlink("bundle.pem", dir.path(name));
        }
        ::setenv("SSL_CERT_FILE", bundle.c_str(), 1);
        ::setenv("SSL_CERT_DIR", dir.dir.c_str(), 1);
    }
    ~SystemStore() {
        ::unsetenv("SSL_CERT_FILE");
        ::unsetenv("SSL_CERT_DIR");
    }
};

// A bundle beside its `openssl rehash` links (Debian's /etc/ssl/certs) is trusted through the
// links, read as handshakes need them; one without links is read whole. Either way the
// system store trusts exactly what the bundle holds.
BOOST_AUTO_TEST_CASE(tls_system_store_with_and_without_hashed_links) {
    TestServer server(hello, {.tls = true});
    for (bool links : {true, false}) {
        BOOST_TEST_CONTEXT("hashed links: " << links) {
            SystemStore store(server.ca_pem(), links);
            Harness h; // no extra CA file: the system store alone
            REQUIRE_OK(h.get(server.url("/system")));
        }
    }
}

BOOST_AUTO_TEST_CASE(tls_hashed_system_store_trusts_nothing_else) {
    TestServer trusted(hello, {.tls = true});
    TestServer other(hello, {.tls = true});
    BOOST_REQUIRE(trusted.ca_pem() != other.ca_pem());
    SystemStore store(trusted.ca_pem(), true);
    Harness h;
    auto r = h.get(other.url("/"));
    REQUIRE_ERROR(r, ErrorKind::tls);
    BOOST_TEST(contains(r.error().message, "certificate"));
    BOOST_TEST(other.requests() == 0u);
}

BOOST_AUTO_TEST_CASE(tls_wrong_host_name_fails) {
    TestServer server(hello, {.tls = true, .wrong_name = true});
    auto o = options();
    o.extra_ca_file = server.ca_file(); // the chain is trusted; only the name is wrong
    Harness h(o);
    auto r = h.get(server.url("/"));
    REQUIRE_ERROR(r, ErrorKind::tls);
    BOOST_TEST(contains(r.error().message, "does not match host name localhost"));
    BOOST_TEST(server.requests() == 0u);
}

BOOST_AUTO_TEST_CASE(tls_body_ended_by_close_without_close_notify) {
    TestServer server(
        [](TestRequest const&) {
            auto resp = TestResponse::text("until the end");
            resp.until_close = true;
            return resp;
        },
        {.tls = true});
    auto o = options();
    o.extra_ca_file = server.ca_file();
    Harness h(o);
    auto r = h.get(server.url("/"));
    REQUIRE_OK(r);
    BOOST_TEST(r->body == "until the end");
}

BOOST_AUTO_TEST_CASE(tls_truncated_body_is_an_error) {
    TestServer server(
        [](TestRequest const&) {
            auto resp = TestResponse::text(std::string(100, 'x'));
            resp.truncate_body = true;
            return resp;
        },
        {.tls = true});
    auto o = options();
    o.extra_ca_file = server.ca_file();
    Harness h(o);
    REQUIRE_ERROR(h.get(server.url("/")), ErrorKind::protocol);
}

BOOST_AUTO_TEST_CASE(connect_timeout_bounds_a_stuck_tls_handshake) {
    TestServer server(hello, {.tls = true, .mute = true});
    auto o = options();
    o.extra_ca_file = server.ca_file();
    o.connect_timeout = 200ms;
    Harness h(o);
    auto start = Clock::now();
    auto r = h.get(server.url("/"));
    REQUIRE_ERROR(r, ErrorKind::timeout);
    BOOST_TEST(contains(r.error().message, "connect timeout 200ms exceeded"));
    BOOST_TEST(contains(r.error().message, "TLS handshake"));
    BOOST_TEST(ms_since(start) < 10'000);
}

// --- redirects -----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(redirect_relative) {
    TestServer server([](TestRequest const& r) {
        if (r.path() == "/dir/a") return TestResponse::redirect(302, "b?x=1");
        return TestResponse::text("at " + r.target);
    });
    Harness h;
    auto r = h.get(server.url("/dir/a"));
    REQUIRE_OK(r);
    BOOST_TEST(r->body == "at /dir/b?x=1");
    BOOST_TEST(r->final_url == server.url("/dir/b?x=1"));
    BOOST_TEST(h.client->stats().requests == 2u);
    BOOST_TEST(h.client->stats().connections_opened == 1u);
}

BOOST_AUTO_TEST_CASE(redirect_absolute_to_another_server) {
    TestServer target(hello);
    TestServer origin(
        [&](TestRequest const&) { return TestResponse::redirect(301, target.url("/there")); });
    Harness h;
    auto r = h.get(origin.url("/go"));
    REQUIRE_OK(r);
    BOOST_TEST(r->body == "hello /there");
    BOOST_TEST(r->final_url == target.url("/there"));
}

BOOST_AUTO_TEST_CASE(redirect_limit_exceeded) {
    TestServer server([](TestRequest const& r) {
        auto n = std::stoi(std::string(r.path().substr(1)));
        return TestResponse::redirect(302, "/" + std::to_string(n + 1));
    });
    auto o = options();
    o.max_redirects = 3;
    Harness h(o);
    auto r = h.get(server.url("/0"));
    REQUIRE_ERROR(r, ErrorKind::redirect);
    BOOST_TEST(contains(r.error().message, "too many redirects"));
    BOOST_TEST(server.requests() == 4u); // the first request and three redirects
}

BOOST_AUTO_TEST_CASE(redirect_https_to_http_refused) {
    TestServer plain(hello);
    TestServer secure(
        [&](TestRequest const&) { return TestResponse::redirect(302, plain.url("/x")); },
        {.tls = true});
    auto o = options();
    o.extra_ca_file = secure.ca_file();
    Harness h(o);
    auto r = h.get(secure.url("/"));
    REQUIRE_ERROR(r, ErrorKind::redirect);
    BOOST_TEST(contains(r.error().message, "https to http"));
    BOOST_TEST(plain.requests() == 0u);
}

BOOST_AUTO_TEST_CASE(redirect_303_turns_post_into_get) {
    TestServer server([](TestRequest const& r) {
        if (r.path() == "/form") return TestResponse::redirect(303, "/done");
        return TestResponse::text(r.method + " " + r.target + " [" + r.body + "]");
    });
    Harness h;
    Request post;
    post.method = "POST";
    post.url = server.url("/form");
    post.body = "a=1";
    post.header("Content-Type", "application/x-www-form-urlencoded");
    auto r = h.fetch(post);
    REQUIRE_OK(r);
    BOOST_TEST(r->body == "GET /done []");
    BOOST_TEST(!server.last_request()->header("Content-Type"));
}

BOOST_AUTO_TEST_CASE(redirect_307_keeps_method_and_body) {
    TestServer server([](TestRequest const& r) {
        if (r.path() == "/old") return TestResponse::redirect(307, "/new");
        return TestResponse::text(r.method + " " + r.body);
    });
    Harness h;
    Request put;
    put.method = "PUT";
    put.url = server.url("/old");
    put.body = "data";
    auto r = h.fetch(put);
    REQUIRE_OK(r);
    BOOST_TEST(r->body == "PUT data");
}

BOOST_AUTO_TEST_CASE(cross_origin_redirect_drops_credentials) {
    TestServer other(hello);
    TestServer origin([&](TestRequest const& r) {
        if (r.path() == "/same") return TestResponse::redirect(302, "/next");
        if (r.path() == "/next") return TestResponse::redirect(302, other.url("/away"));
        return TestResponse::text("?");
    });
    Harness h;
    Request req;
    req.url = origin.url("/same");
    req.header("Authorization", "Bearer sekrit").header("Cookie", "session=1");
    REQUIRE_OK(h.fetch(req));
    auto seen = origin.received();
    BOOST_REQUIRE(seen.size() == 2u);
    BOOST_TEST(seen[1].header("Authorization").value_or("") == "Bearer sekrit"); // same origin
    BOOST_TEST(!other.last_request()->header("Authorization"));
    BOOST_TEST(!other.last_request()->header("Cookie"));
}

BOOST_AUTO_TEST_CASE(deadline_covers_all_redirect_hops) {
    TestServer server([](TestRequest const& r) {
        auto n = std::stoi(std::string(r.path().substr(1)));
        auto resp = TestResponse::redirect(302, "/" + std::to_string(n + 1));
        resp.delay = 120ms;
        return resp;
    });
    auto o = options();
    o.max_redirects = 20;
    o.deadline = 500ms;
    Harness h(o);
    auto start = Clock::now();
    auto r = h.get(server.url("/0"));
    REQUIRE_ERROR(r, ErrorKind::timeout);
    BOOST_TEST(contains(r.error().message, "deadline 500ms exceeded"));
    BOOST_TEST(server.requests() >= 2u); // it did follow redirects before running out
    BOOST_TEST(ms_since(start) < 10'000);
}

// --- gzip and caps -------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(gzip_decoded) {
    std::string text;
    for (int i = 0; i < 5000; ++i)
        text += "line " + std::to_string(i % 10) + " of the body\n";
    TestServer server([&](TestRequest const&) {
        auto resp = TestResponse::text(text);
        resp.gzip = true;
        return resp;
    });
    Harness h;
    auto r = h.get(server.url("/big"));
    REQUIRE_OK(r);
    BOOST_TEST(r->body == text);
    BOOST_TEST(r->header("Content-Encoding").value_or("") == "gzip");
    BOOST_TEST(r->wire_bytes < text.size() / 4); // it really travelled compressed
    BOOST_TEST(server.last_request()->header("Accept-Encoding").value_or("") == "gzip");
    REQUIRE_OK(h.get(server.url("/big"))); // and the connection stays usable
    BOOST_TEST(h.client->stats().connections_opened == 1u);
}

BOOST_AUTO_TEST_CASE(gzip_corrupt_is_protocol_error) {
    TestServer server([](TestRequest const& r) {
        TestResponse resp;
        if (r.path() == "/garbled") {
            resp.body = std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10) +
                        "definitely not deflate data";
        } else { // a valid stream cut before its trailer
            auto gz = gzip_compress(std::string(10000, 'a'));
            resp.body = gz.substr(0, gz.size() - 6);
        }
        resp.header("Content-Encoding", "gzip");
        return resp;
    });
    Harness h;
    auto garbled = h.get(server.url("/garbled"));
    REQUIRE_ERROR(garbled, ErrorKind::protocol);
    BOOST_TEST(contains(garbled.error().message, "corrupt gzip"));
    auto cut = h.get(server.url("/cut"));
    REQUIRE_ERROR(cut, ErrorKind::protocol);
    BOOST_TEST(contains(cut.error().message, "corrupt gzip"));
}

BOOST_AUTO_TEST_CASE(decompressed_cap_exceeded) {
    TestServer server([](TestRequest const&) {
        auto resp = TestResponse::text(std::string(1 << 20, '0')); // 1 MiB, compresses to ~1 KiB
        resp.gzip = true;
        return resp;
    });
    {
        auto o = options();
        o.max_body_bytes = 100'000;
        Harness h(o);
        auto r = h.get(server.url("/"));
        REQUIRE_ERROR(r, ErrorKind::too_large);
        BOOST_TEST(contains(r.error().message, "max_body_bytes (100000 bytes decompressed)"));
    }
    {
        Harness h; // the default cap admits it; the per-request limit does not
        REQUIRE_OK(h.get(server.url("/")));
        Request req;
        req.url = server.url("/");
        req.body_limit = 50'000;
        auto r = h.fetch(req);
        REQUIRE_ERROR(r, ErrorKind::too_large);
        BOOST_TEST(contains(r.error().message, "body_limit (50000 bytes"));
    }
}

BOOST_AUTO_TEST_CASE(wire_cap_exceeded) {
    TestServer server([](TestRequest const& r) {
        auto resp = TestResponse::text(random_bytes(10'000)); // incompressible
        resp.gzip = r.path() == "/gzip";
        return resp;
    });
    auto o = options();
    o.max_wire_bytes = 1000;
    Harness h(o);
    for (auto path : {"/plain", "/gzip"}) {
        auto r = h.get(server.url(path));
        REQUIRE_ERROR(r, ErrorKind::too_large);
        BOOST_TEST(contains(r.error().message, "max_wire_bytes (1000 bytes"));
    }
}

// The handler writes the chunked framing itself; the server then adds no Content-Length.
TestResponse chunked(std::string const& body, std::size_t piece) {
    TestResponse resp;
    resp.header("Transfer-Encoding", "chunked");
    char size[32];
    for (std::size_t at = 0; at < body.size(); at += piece) {
        auto part = body.substr(at, piece);
        std::snprintf(size, sizeof size, "%zx\r\n", part.size());
        resp.body += size + part + "\r\n";
    }
    resp.body += "0\r\n\r\n";
    return resp;
}

BOOST_AUTO_TEST_CASE(chunked_bodies_plain_and_gzip) {
    std::string const text = std::string(30'000, 'c') + "end";
    TestServer server([&](TestRequest const& r) {
        if (r.path() == "/gzip")
            return chunked(gzip_compress(text), 1000).header("Content-Encoding", "gzip");
        return chunked(text, 4096);
    });
    Harness h;
    for (auto path : {"/plain", "/gzip"}) {
        auto r = h.get(server.url(path));
        REQUIRE_OK(r);
        BOOST_TEST(r->body == text, path);
    }
    BOOST_TEST(h.client->stats().connections_opened == 1u); // chunked framing keeps keep-alive
}

BOOST_AUTO_TEST_CASE(chunked_body_caps_apply_while_streaming) {
    std::string const text = random_bytes(50'000);
    TestServer server([&](TestRequest const&) { return chunked(text, 1000); });
    {
        auto o = options();
        o.max_body_bytes = 20'000;
        Harness h(o);
        auto r = h.get(server.url("/"));
        REQUIRE_ERROR(r, ErrorKind::too_large);
        BOOST_TEST(contains(r.error().message, "max_body_bytes (20000 bytes)"));
    }
    {
        auto o = options();
        o.max_wire_bytes = 10'000;
        Harness h(o);
        auto r = h.get(server.url("/"));
        REQUIRE_ERROR(r, ErrorKind::too_large);
        BOOST_TEST(contains(r.error().message, "max_wire_bytes (10000 bytes"));
    }
}

BOOST_AUTO_TEST_CASE(identity_body_over_cap_refused) {
    TestServer server(
        [](TestRequest const&) { return TestResponse::text(std::string(5000, 'x')); });
    auto o = options();
    o.max_body_bytes = 4000;
    Harness h(o);
    auto r = h.get(server.url("/"));
    REQUIRE_ERROR(r, ErrorKind::too_large);
    BOOST_TEST(contains(r.error().message, "max_body_bytes (4000 bytes)"));
}

BOOST_AUTO_TEST_CASE(not_modified_passthrough) {
    TestServer server([](TestRequest const& r) {
        if (r.header("If-None-Match").value_or("") == "\"v1\"") {
            TestResponse resp;
            resp.status = 304;
            resp.header("ETag", "\"v1\"");
            return resp;
        }
        return TestResponse::json("{}").header("ETag", "\"v1\"");
    });
    Harness h;
    auto fresh = h.get(server.url("/pypi/x/json"));
    REQUIRE_OK(fresh);
    BOOST_TEST(fresh->status == 200);
    Request conditional;
    conditional.url = server.url("/pypi/x/json");
    conditional.header("If-None-Match", std::string(fresh->header("ETag").value_or("")));
    auto r = h.fetch(conditional);
    REQUIRE_OK(r);
    BOOST_TEST(r->status == 304);
    BOOST_TEST(r->body.empty());
    BOOST_TEST(r->header("ETag").value_or("") == "\"v1\"");
    BOOST_TEST(h.client->stats().connections_opened == 1u);
}

// --- deadlines and faults ------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(drip_server_cannot_outlast_the_deadline) {
    TestServer server([](TestRequest const&) {
        auto resp = TestResponse::text(std::string(1024, 'd'));
        resp.drip = 100ms; // one byte every 100 ms: ~2 minutes for the whole answer
        return resp;
    });
    auto o = options();
    o.deadline = 300ms;
    Harness h(o);
    auto start = Clock::now();
    auto r = h.get(server.url("/slow"));
    auto elapsed = ms_since(start);
    REQUIRE_ERROR(r, ErrorKind::timeout);
    BOOST_TEST(contains(r.error().message, "deadline 300ms exceeded reading"));
    BOOST_TEST(contains(r.error().message, "127.0.0.1:" + std::to_string(server.port())));
    BOOST_TEST(elapsed < 5'000);
}

BOOST_AUTO_TEST_CASE(stalled_server_hits_deadline) {
    TestServer server([](TestRequest const&) {
        TestResponse resp;
        resp.stall = true;
        return resp;
    });
    Harness h; // client default deadline 10 s; the request's own deadline wins
    Request req;
    req.url = server.url("/");
    req.deadline = 200ms;
    auto start = Clock::now();
    auto r = h.fetch(req);
    REQUIRE_ERROR(r, ErrorKind::timeout);
    BOOST_TEST(contains(r.error().message, "deadline 200ms exceeded reading response headers"));
    BOOST_TEST(ms_since(start) < 5'000);
}

BOOST_AUTO_TEST_CASE(connection_refused) {
    auto port = closed_port();
    Harness h;
    auto r = h.get("http://127.0.0.1:" + std::to_string(port) + "/");
    REQUIRE_ERROR(r, ErrorKind::connect);
    BOOST_TEST(r.error().message ==
               "connect 127.0.0.1:" + std::to_string(port) + ": connection refused");
}

BOOST_AUTO_TEST_CASE(garbage_response_is_protocol_error) {
    TestServer server([](TestRequest const&) {
        TestResponse resp;
        resp.garbage = true;
        return resp;
    });
    Harness h;
    REQUIRE_ERROR(h.get(server.url("/")), ErrorKind::protocol);
}

BOOST_AUTO_TEST_CASE(truncated_body_is_protocol_error) {
    TestServer server([](TestRequest const&) {
        auto resp = TestResponse::text(std::string(100, 'x'));
        resp.truncate_body = true;
        return resp;
    });
    Harness h;
    auto r = h.get(server.url("/"));
    REQUIRE_ERROR(r, ErrorKind::protocol);
    BOOST_TEST(contains(r.error().message, "truncated"));
}

BOOST_AUTO_TEST_CASE(body_ended_by_close) {
    TestServer server([](TestRequest const&) {
        auto resp = TestResponse::text("close-delimited");
        resp.until_close = true;
        return resp;
    });
    Harness h;
    auto r = h.get(server.url("/"));
    REQUIRE_OK(r);
    BOOST_TEST(r->body == "close-delimited");
    REQUIRE_OK(h.get(server.url("/")));
    BOOST_TEST(h.client->stats().connections_opened == 2u); // not reusable after EOF framing
}

// --- proxies -------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(https_through_proxy_connect_tunnel) {
    TestServer server(hello, {.tls = true});
    TestProxy proxy({.require_auth = "user:secret"});
    auto o = options();
    o.extra_ca_file = server.ca_file();
    o.proxy.https_proxy = proxy.url_with_credentials("user", "secret");
    Harness h(o);
    auto r = h.get(server.url("/tunnelled"));
    REQUIRE_OK(r);
    BOOST_TEST(r->body == "hello /tunnelled");
    REQUIRE_OK(h.get(server.url("/again"))); // same tunnel, kept alive
    BOOST_TEST(proxy.connect_requests() == 1u);
    BOOST_TEST(proxy.tunnels() == 1u);
    BOOST_REQUIRE(proxy.targets().size() == 1u);
    BOOST_TEST(proxy.targets()[0] == "localhost:" + std::to_string(server.port()));
    BOOST_TEST(proxy.authorizations()[0] == "Basic dXNlcjpzZWNyZXQ=");
    BOOST_TEST(!server.last_request()->header("Proxy-Authorization")); // never to the origin
}

BOOST_AUTO_TEST_CASE(proxy_rejecting_credentials) {
    TestServer server(hello, {.tls = true});
    TestProxy proxy({.require_auth = "user:secret"});
    auto o = options();
    o.extra_ca_file = server.ca_file();
    o.proxy.https_proxy = proxy.url_with_credentials("user", "wrongpass");
    Harness h(o);
    auto r = h.get(server.url("/"));
    REQUIRE_ERROR(r, ErrorKind::proxy);
    BOOST_TEST(contains(r.error().message, "407"));
    BOOST_TEST(!contains(r.error().message, "wrongpass"));
    BOOST_TEST(server.requests() == 0u);
}

BOOST_AUTO_TEST_CASE(proxy_refusing_connect) {
    TestServer server(hello, {.tls = true});
    TestProxy proxy({.refuse = true});
    auto o = options();
    o.extra_ca_file = server.ca_file();
    o.proxy.https_proxy = proxy.url();
    Harness h(o);
    auto r = h.get(server.url("/"));
    REQUIRE_ERROR(r, ErrorKind::proxy);
    BOOST_TEST(contains(r.error().message, "refused CONNECT"));
    BOOST_TEST(contains(r.error().message, "403"));
}

BOOST_AUTO_TEST_CASE(unreachable_proxy) {
    auto port = closed_port();
    TestServer server(hello);
    auto o = options();
    o.proxy.http_proxy = "http://user:hunter2@127.0.0.1:" + std::to_string(port);
    Harness h(o);
    auto r = h.get(server.url("/"));
    REQUIRE_ERROR(r, ErrorKind::proxy);
    BOOST_TEST(contains(r.error().message, "proxy 127.0.0.1:" + std::to_string(port)));
    BOOST_TEST(!contains(r.error().message, "hunter2"));
}

BOOST_AUTO_TEST_CASE(http_through_proxy_absolute_form) {
    TestServer server(hello);
    TestProxy proxy({.require_auth = "u:p"});
    auto o = options();
    o.proxy.http_proxy = proxy.url_with_credentials("u", "p");
    Harness h(o);
    auto r = h.get(server.url("/via?q=1"));
    REQUIRE_OK(r);
    BOOST_TEST(r->body == "hello /via");
    BOOST_TEST(proxy.forwarded() == 1u);
    BOOST_TEST(proxy.connect_requests() == 0u);
    BOOST_REQUIRE(proxy.targets().size() == 1u);
    BOOST_TEST(proxy.targets()[0] == server.url("/via?q=1")); // absolute-form
    BOOST_TEST(proxy.authorizations()[0] == "Basic dTpw");
    BOOST_TEST(server.last_request()->target == "/via?q=1");
}

BOOST_AUTO_TEST_CASE(no_proxy_bypasses_proxy) {
    TestServer server(hello);
    TestProxy proxy;
    auto o = options();
    o.proxy.http_proxy = proxy.url();
    o.proxy.no_proxy = "example.com, 127.0.0.1";
    Harness h(o);
    REQUIRE_OK(h.get(server.url("/direct")));
    BOOST_TEST(proxy.targets().empty());
    BOOST_TEST(server.requests() == 1u);
}

BOOST_AUTO_TEST_CASE(bad_proxy_setting_is_proxy_error) {
    auto o = options();
    o.proxy.https_proxy = "socks5://user:pw@127.0.0.1:1080";
    Harness h(o);
    auto r = h.get("https://example.com/");
    REQUIRE_ERROR(r, ErrorKind::proxy);
    BOOST_TEST(!contains(r.error().message, "pw@"));
}

BOOST_AUTO_TEST_CASE(no_proxy_matching) {
    struct Case {
        char const* no_proxy;
        char const* host;
        std::uint16_t port;
        bool bypass;
    };
    Case const cases[] = {
        {"", "example.com", 443, false},
        {"*", "anything.example", 80, true},
        {"example.com", "example.com", 443, true},
        {"example.com", "www.example.com", 443, true},
        {"example.com", "badexample.com", 443, false},
        {".example.com", "example.com", 443, true},
        {".example.com", "a.b.example.com", 443, true},
        {"*.example.com", "a.example.com", 443, true},
        {"EXAMPLE.com", "www.Example.COM.", 443, true},
        {"example.com.", "example.com", 443, true},
        {"other.org, example.com", "example.com", 443, true},
        {"other.org,example.com", "example.org", 443, false},
        {"  spaced.org  example.com ", "example.com", 80, true},
        {"com", "example.com", 443, true},
        {"127.0.0.1", "127.0.0.1", 80, true},
        {"127.0.0.1", "127.0.0.2", 80, false},
        {"", "127.0.0.1", 80, false},          // loopback is not implicitly exempt
        {"localhost", "127.0.0.1", 80, false}, // names never match IP literals
        {"10.0.0.0/8", "10.20.30.40", 80, true},
        {"10.0.0.0/8", "11.0.0.1", 80, false},
        {"::1", "::1", 80, true},
        {"::1", "[::1]", 80, true},
        {"[::1]:8080", "::1", 8080, true},
        {"[::1]:8080", "::1", 8081, false},
        {"fd00::/8", "fd12::1", 443, true},
        {"example.com:8443", "example.com", 8443, true},
        {"example.com:8443", "example.com", 443, false},
        {"example.com:bad", "example.com", 443, false},
        {"pypi.org", "files.pythonhosted.org", 443, false},
    };
    for (auto const& c : cases)
        BOOST_TEST(no_proxy_matches(c.no_proxy, c.host, c.port) == c.bypass,
                   "NO_PROXY=\"" << c.no_proxy << "\" host " << c.host << ":" << c.port);
}

BOOST_AUTO_TEST_CASE(proxy_settings_from_environment) {
    ::setenv("HTTPS_PROXY", "http://upper:1", 1);
    ::setenv("https_proxy", "http://lower:2", 1);
    ::setenv("HTTP_PROXY", "http://plain:3", 1);
    ::unsetenv("http_proxy");
    ::setenv("NO_PROXY", "internal.example", 1);
    ::unsetenv("no_proxy");
    ::unsetenv("ALL_PROXY");
    ::unsetenv("all_proxy");
    auto s = ProxySettings::from_environment();
    BOOST_TEST(s.https_proxy == "http://lower:2"); // lower case wins, as in curl
    BOOST_TEST(s.http_proxy == "http://plain:3");
    BOOST_TEST(s.no_proxy == "internal.example");
    ::unsetenv("HTTPS_PROXY");
    ::unsetenv("https_proxy");
    ::unsetenv("HTTP_PROXY");
    ::setenv("ALL_PROXY", "http://all:4", 1);
    s = ProxySettings::from_environment();
    BOOST_TEST(s.https_proxy == "http://all:4");
    BOOST_TEST(s.http_proxy == "http://all:4");
    ::unsetenv("ALL_PROXY");
    ::unsetenv("NO_PROXY");
}

// --- secrets --------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(secrets_never_in_error_messages) {
    std::vector<std::string> messages;
    auto const record = [&](FetchResult const& r) {
        BOOST_REQUIRE_MESSAGE(!r.has_value(), "expected a failure");
        messages.push_back(r.error().message);
    };
    {
        Harness h;
        auto port = std::to_string(closed_port());
        record(h.get("http://alice:pa55word@127.0.0.1:" + port + "/x?token=t0ken"));
        record(h.get("ftp://alice:pa55word@example.com/x?token=t0ken"));
        record(h.get("http://alice:pa55word@exa mple.com/x?token=t0ken"));
    }
    {
        TestServer server([](TestRequest const&) {
            TestResponse resp;
            resp.stall = true;
            return resp;
        });
        Harness h;
        Request req;
        req.url =
            "http://alice:pa55word@127.0.0.1:" + std::to_string(server.port()) + "/x?token=t0ken";
        req.deadline = 100ms;
        record(h.fetch(req));
    }
    {
        TestServer secure(
            [](TestRequest const&) {
                return TestResponse::redirect(302,
                                              "http://alice:pa55word@127.0.0.1:1/x?token=t0ken");
            },
            {.tls = true});
        auto o = options();
        o.extra_ca_file = secure.ca_file();
        Harness h(o);
        record(h.get(secure.url("/start?token=t0ken")));
    }
    {
        TestServer loop(
            [](TestRequest const&) { return TestResponse::redirect(302, "/again?token=t0ken"); });
        auto o = options();
        o.max_redirects = 1;
        Harness h(o);
        record(h.get("http://alice:pa55word@127.0.0.1:" + std::to_string(loop.port()) +
                     "/x?token=t0ken"));
    }
    for (auto const& m : messages) {
        BOOST_TEST_MESSAGE(m);
        BOOST_TEST(!contains(m, "pa55word"), m);
        BOOST_TEST(!contains(m, "alice"), m);
        BOOST_TEST(!contains(m, "t0ken"), m);
        BOOST_TEST(!contains(m, "token="), m);
    }
}

BOOST_AUTO_TEST_CASE(url_userinfo_becomes_basic_authorization) {
    TestServer server(hello);
    Harness h;
    REQUIRE_OK(h.get("http://alice:pa55word@127.0.0.1:" + std::to_string(server.port()) + "/"));
    BOOST_TEST(server.last_request()->header("Authorization").value_or("") ==
               basic_authorization("alice", "pa55word"));
}

// Issue #20: the index's basic auth (URL userinfo) follows the rule an Authorization header
// follows: kept on a same-origin redirect, never sent to another origin.
BOOST_AUTO_TEST_CASE(url_userinfo_stays_with_its_origin_across_redirects) {
    TestServer other(hello);
    TestServer origin([&](TestRequest const& r) {
        if (r.path() == "/simple/demo") return TestResponse::redirect(301, "/simple/demo/");
        if (r.path() == "/simple/demo/") return TestResponse::redirect(302, other.url("/files"));
        return TestResponse::text("?");
    });
    Harness h;
    REQUIRE_OK(
        h.get("http://alice:pa55word@127.0.0.1:" + std::to_string(origin.port()) + "/simple/demo"));
    auto const seen = origin.received();
    BOOST_REQUIRE(seen.size() == 2u);
    for (auto const& r : seen)
        BOOST_TEST(r.header("Authorization").value_or("") ==
                   basic_authorization("alice", "pa55word"));
    BOOST_REQUIRE(other.requests() == 1u);
    BOOST_TEST(!other.last_request()->header("Authorization"));
}

// Plain http carries credentials to loopback only: anything else is refused before a connection
// is made (so no network is needed to test it), for a header and for userinfo alike.
BOOST_AUTO_TEST_CASE(credentials_are_never_sent_over_plain_http_to_another_host) {
    Harness h;
    Request bearer;
    bearer.url = "http://index.example.invalid/simple/";
    bearer.header("Authorization", "Bearer t0ken");
    auto r = h.fetch(bearer);
    REQUIRE_ERROR(r, ErrorKind::bad_url);
    BOOST_TEST(contains(r.error().message, "refusing to send credentials over plain http"));
    BOOST_TEST(!contains(r.error().message, "t0ken"));
    auto u = h.get("http://alice:pa55word@10.1.2.3:8080/simple/");
    REQUIRE_ERROR(u, ErrorKind::bad_url);
    BOOST_TEST(contains(u.error().message, "10.1.2.3:8080"));
    BOOST_TEST(!contains(u.error().message, "pa55word"));
    // Loopback by name or address is fine (the tests' own servers are reached that way).
    TestServer local(hello);
    REQUIRE_OK(h.get("http://alice:pa55word@localhost:" + std::to_string(local.port()) + "/"));
    // And a redirect to a plain-http host elsewhere loses the credentials instead.
    TestServer bounce([](TestRequest const&) {
        return TestResponse::redirect(302, "http://127.0.0.1:1/elsewhere");
    });
    Request carried;
    carried.url = bounce.url("/");
    carried.header("Authorization", "Bearer t0ken");
    auto c = h.fetch(carried);
    BOOST_REQUIRE(!c);
    BOOST_TEST(!contains(c.error().message, "refusing to send credentials"), message_of(c));
}

// --- cancellation and shutdown -------------------------------------------------------------

BOOST_AUTO_TEST_CASE(caller_cancellation_ends_fetch_and_client_stays_usable) {
    TestServer server([](TestRequest const& r) {
        auto resp = hello(r);
        resp.stall = r.path() == "/stall";
        return resp;
    });
    Harness h;
    std::optional<FetchResult> cancelled;
    std::optional<std::size_t> winner;
    auto race = [&]() -> asio::awaitable<void> {
        asio::steady_timer timer(co_await asio::this_coro::executor, 100ms);
        Request req;
        req.url = server.url("/stall");
        // The timer wins; awaitable_operators then cancels the fetch through its slot.
        auto result = co_await (fetch_into(*h.client, req, cancelled) ||
                                timer.async_wait(asio::use_awaitable));
        winner = result.index();
    };
    auto start = Clock::now();
    asio::co_spawn(h.ioc, race(), rethrow);
    h.run_until([&] { return winner.has_value(); });
    BOOST_TEST(*winner == 1u);
    BOOST_TEST(ms_since(start) < 5'000); // not the 10 s deadline
    BOOST_REQUIRE(cancelled.has_value());
    REQUIRE_ERROR(*cancelled, ErrorKind::cancelled);
    BOOST_TEST(contains(cancelled->error().message, "cancelled by the caller"));
    auto r = h.get(server.url("/after"));
    REQUIRE_OK(r);
    BOOST_TEST(r->body == "hello /after");
}

BOOST_AUTO_TEST_CASE(shutdown_cancels_in_flight_and_queued_fetches) {
    TestServer server([](TestRequest const&) {
        TestResponse resp;
        resp.stall = true;
        return resp;
    });
    asio::io_context ioc;
    auto work = asio::make_work_guard(ioc);
    std::thread runner([&] { ioc.run(); });
    auto o = options();
    o.max_in_flight_per_host = 1; // the second fetch waits for a slot
    o.deadline = 60s;
    auto client = std::make_unique<Client>(ioc.get_executor(), o);

    Request req;
    req.url = server.url("/stalled");
    std::optional<FetchResult> first, second, late;
    auto in_flight = asio::co_spawn(ioc, fetch_into(*client, req, first), asio::use_future);
    auto queued = asio::co_spawn(ioc, fetch_into(*client, req, second), asio::use_future);
    BOOST_REQUIRE(server.wait_for_requests(1, kBound)); // the first is waiting on the server

    auto start = Clock::now();
    asio::post(ioc, [&] { client->shutdown(); });
    BOOST_REQUIRE(in_flight.wait_for(kBound) == std::future_status::ready);
    BOOST_REQUIRE(queued.wait_for(kBound) == std::future_status::ready);
    auto elapsed = ms_since(start);
    in_flight.get();
    queued.get();
    REQUIRE_ERROR(*first, ErrorKind::cancelled);
    REQUIRE_ERROR(*second, ErrorKind::cancelled);
    BOOST_TEST(elapsed < 5'000);

    auto after = asio::co_spawn(ioc, fetch_into(*client, req, late), asio::use_future);
    BOOST_REQUIRE(after.wait_for(kBound) == std::future_status::ready);
    after.get();
    REQUIRE_ERROR(*late, ErrorKind::cancelled);
    BOOST_TEST(server.requests() == 1u);

    work.reset();
    ioc.stop();
    runner.join();
    client.reset();
}
