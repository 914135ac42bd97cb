#define BOOST_TEST_MODULE poller
#include <boost/test/unit_test.hpp>

#include "tests/fakes/fake_pypi.hpp"
#include "tests/fakes/test_server.hpp"
#include "tests/watcher/paged_source.hpp"
#include "watcher/poller.hpp"
#include "watcher/sources/pypi/pypi.hpp"
#include "watcher/state/outbox.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <map>
#include <mutex>

using namespace pinwatch;
using namespace pinwatch::watcher;
using pinwatch::test::TestRequest;
using pinwatch::test::TestResponse;
using pinwatch::test::TestServer;

namespace {

// Pages by path, changeable between polls.
struct Pages {
    std::mutex mutex;
    std::map<std::string, std::string> bodies;
    TestServer server{[this](TestRequest const& r) {
        std::lock_guard lock(mutex);
        auto it = bodies.find(std::string(r.path()));
        return it == bodies.end() ? TestResponse::text("missing", 404)
                                  : TestResponse::text(it->second);
    }};
    void set(std::string path, std::string body) {
        std::lock_guard lock(mutex);
        bodies[std::move(path)] = std::move(body);
    }
};

struct Rig {
    Pages pages;
    StateStore store{":memory:"};
    boost::asio::io_context io;
    net::Client client{io.get_executor(), net::ClientOptions{}};
    SourceRegistry sources;
    Poller poller;
    UnixTime now = 1000;

    explicit Rig(std::vector<Route> routes = {})
        : sources(make_sources()), poller(client, store, sources, Router(std::move(routes)),
                                          options(), [this] { return now; }) {}
    static SourceRegistry make_sources() {
        SourceRegistry r;
        r.add(std::make_unique<test::PagedSource>());
        return r;
    }
    static PollerOptions options() {
        PollerOptions o;
        o.jitter = 0;
        o.interval = std::chrono::seconds(600);
        o.max_requests_per_poll = 5;
        return o;
    }
    std::int64_t subscribe(std::string name, std::string source = "paged") {
        Subscription s;
        s.source = std::move(source);
        s.name = name;
        s.locator = pages.server.url("/" + name + "/1");
        return store.upsert_subscription(s, now);
    }
    PollOutcome poll(std::int64_t id) {
        PollOutcome out;
        bool done = false;
        boost::asio::co_spawn(io, poller.poll(*store.subscription(id)),
                              [&](std::exception_ptr ep, PollOutcome o) {
                                  if (ep) std::rethrow_exception(ep);
                                  out = o;
                                  done = true;
                              });
        // Idle keep-alive connections keep the loop busy: run until this poll is done.
        io.restart();
        while (!done)
            io.run_one();
        return out;
    }
};

} // namespace

BOOST_AUTO_TEST_CASE(follows_pages_and_diffs_the_whole_listing) {
    Route majors;
    majors.notifier = "majors";
    majors.update_types = {UpdateType::major};
    Route console;
    console.notifier = "console";
    Rig rig({console, majors});
    rig.pages.set("/demo/1", "1.0 1.1 | next=/demo/2");
    rig.pages.set("/demo/2", "1.2 | next=/demo/3");
    rig.pages.set("/demo/3", "2.0");
    auto const id = rig.subscribe("demo");
    auto first = rig.poll(id);
    BOOST_TEST((first.status == PollStatus::ok));
    BOOST_TEST(first.events == 0u); // the baseline is silent
    BOOST_TEST(rig.store.releases(id).size() == 4u);
    BOOST_TEST(first.next_due == rig.now + 600);

    rig.pages.set("/demo/3", "2.0 3.0");
    rig.now += 600;
    auto second = rig.poll(id);
    BOOST_TEST(second.events == 1u);
    // Routed in the same transaction: console takes everything, "majors" only major updates.
    Outbox outbox(rig.store);
    BOOST_TEST(outbox.pending("console", rig.now).size() == 1u);
    BOOST_TEST(outbox.pending("majors", rig.now).size() == 1u);
    rig.pages.set("/demo/3", "2.0 3.0 3.0.1");
    rig.now += 600;
    BOOST_TEST(rig.poll(id).events == 1u);
    BOOST_TEST(outbox.pending("console", rig.now).size() == 2u);
    BOOST_TEST(outbox.pending("majors", rig.now).size() == 1u); // a patch is not routed there
}

BOOST_AUTO_TEST_CASE(a_failing_page_costs_the_poll_and_keeps_the_state) {
    Rig rig;
    rig.pages.set("/demo/1", "1.0 | next=/demo/2");
    rig.pages.set("/demo/2", "1.1");
    auto const id = rig.subscribe("demo");
    rig.poll(id);
    BOOST_TEST(rig.store.releases(id).size() == 2u);
    rig.pages.set("/demo/2", "!permanent");
    auto failed = rig.poll(id);
    BOOST_TEST((failed.status == PollStatus::error));
    BOOST_TEST(failed.error.value().find("paged:demo: bad") != std::string::npos);
    BOOST_TEST(rig.store.releases(id).size() == 2u); // nothing half-applied
    BOOST_TEST(rig.store.subscription(id)->consecutive_failures == 1);
}

BOOST_AUTO_TEST_CASE(temporary_failures_back_off_and_rate_limits_pause_the_host) {
    Rig rig;
    auto const id = rig.subscribe("nothing-here"); // 404 from the test server
    auto a = rig.poll(id);
    BOOST_TEST((a.status == PollStatus::error));
    BOOST_TEST(a.next_due == rig.now + 30); // the first retry after 30 s
    auto b = rig.poll(id);
    BOOST_TEST(b.next_due == rig.now + 60);
    BOOST_TEST(!b.pause_host_until.has_value());

    rig.pages.set("/limited/1", "!429");
    auto const limited = rig.subscribe("limited");
    auto c = rig.poll(limited);
    BOOST_TEST(c.pause_host_until.value() == rig.now + 120);
    BOOST_TEST(c.next_due == rig.now + 120);

    rig.pages.set("/asks/1", "1.0 | pause=45");
    auto d = rig.poll(rig.subscribe("asks"));
    BOOST_TEST((d.status == PollStatus::ok));
    BOOST_TEST(d.pause_host_until.value() == rig.now + 45);
}

BOOST_AUTO_TEST_CASE(a_paging_loop_is_cut_off) {
    Rig rig;
    rig.pages.set("/loop/1", "1.0 | next=/loop/1");
    auto const id = rig.subscribe("loop");
    auto out = rig.poll(id);
    BOOST_TEST((out.status == PollStatus::error));
    BOOST_TEST(out.error.value().find("more than 5 requests") != std::string::npos);
    BOOST_TEST(rig.pages.server.requests() == 5u);
}

BOOST_AUTO_TEST_CASE(an_unknown_source_is_a_permanent_error_not_a_crash) {
    Rig rig;
    auto const id = rig.subscribe("demo", "nosuch");
    auto out = rig.poll(id);
    BOOST_TEST((out.status == PollStatus::error));
    BOOST_TEST(out.error.value() == "nosuch:demo: no such source");
    BOOST_TEST(rig.pages.server.requests() == 0u);
}

// The pin's advisories cannot be read (an index without PyPI's JSON API): the listing polls on,
// and the reading is tried again with backoff from the poll interval, not at every poll.
BOOST_AUTO_TEST_CASE(advisories_that_cannot_be_read_are_retried_with_backoff) {
    test::FakePypi pypi;
    pypi.add_project({"Demo", "A demo project", {}, {{"1.0", 100}, {"1.1", 200}}});
    pypi.set_json_api_fault("demo", test::Fault::server_error);
    StateStore store(":memory:");
    boost::asio::io_context io;
    net::Client client(io.get_executor(), net::ClientOptions{});
    auto sources = SourceRegistry::standard();
    UnixTime now = 1000;
    PollerOptions options;
    options.jitter = 0;
    options.interval = std::chrono::seconds(600);
    // The PyPI source reads the pin's advisories every 6 hours (its default).
    Poller poller(client, store, sources, Router{}, options, [&] { return now; });
    auto sub = pypi_subscription(pypi.index_url(), "demo");
    sub.specifier = "==1.0";
    sub.pinned = "1.0";
    auto const id = store.upsert_subscription(sub, now);
    auto const poll = [&] {
        bool done = false;
        PollOutcome out;
        boost::asio::co_spawn(io, poller.poll(*store.subscription(id)),
                              [&](std::exception_ptr ep, PollOutcome o) {
                                  if (ep) std::rethrow_exception(ep);
                                  out = o;
                                  done = true;
                              });
        io.restart();
        while (!done)
            io.run_one();
        poller.flush();
        return out;
    };
    auto const faults = [&] { return pypi.stats().json_api_faults; };

    BOOST_TEST(poll().status == PollStatus::ok); // the listing is read; the advisories are not
    // (The first poll also asked the project's JSON for its metadata, which fails the same way.)
    auto const first = faults();
    BOOST_TEST(first >= 1u);
    BOOST_TEST(store.subscription(id)->vulns.error.has_value());
    // Polls within the backoff (the poll interval, then doubling) leave the JSON API alone.
    now += 60;
    poll();
    BOOST_TEST(faults() == first);
    now = 1000 + 600;
    poll();
    BOOST_TEST(faults() == first + 1);
    now += 600; // the second backoff is 1200 s
    poll();
    BOOST_TEST(faults() == first + 1);
    now = 1600 + 1200;
    poll();
    BOOST_TEST(faults() == first + 2);
    // The JSON API answers again: read at the next try, and then on its own interval.
    pypi.set_json_api_fault("demo", test::Fault::none);
    now = 2800 + 2400;
    poll();
    BOOST_TEST(!store.subscription(id)->vulns.error.has_value());
    auto const reads = pypi.stats().json_api;
    now += 600;
    poll();
    BOOST_TEST(pypi.stats().json_api == reads);
}
