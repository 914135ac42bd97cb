#define BOOST_TEST_MODULE scheduler
#include <boost/test/unit_test.hpp>

#include "tests/fakes/test_server.hpp"
#include "tests/watcher/paged_source.hpp"
#include "watcher/scheduler.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>

using namespace pinwatch;
using namespace pinwatch::watcher;
using pinwatch::test::TestRequest;
using pinwatch::test::TestResponse;
using pinwatch::test::TestServer;

namespace {

struct Rig {
    std::atomic<int> answered{0};
    TestServer server;
    StateStore store{":memory:"};
    boost::asio::io_context io;
    net::Client client{io.get_executor(), net::ClientOptions{}};
    SourceRegistry sources;
    Poller poller;
    Scheduler scheduler;
    UnixTime now = 1000;

    Rig(std::optional<std::size_t> per_host, SchedulerOptions so, TestServer::Handler handler)
        : server(std::move(handler)), sources(make_sources(per_host)),
          poller(client, store, sources, Router{}, options(), [this] { return now; }),
          scheduler(io.get_executor(), store, poller, so, [this] { return now; }) {}
    static SourceRegistry make_sources(std::optional<std::size_t> per_host) {
        SourceRegistry r;
        r.add(std::make_unique<test::PagedSource>(per_host));
        return r;
    }
    static PollerOptions options() {
        PollerOptions o;
        o.jitter = 0;
        o.interval = std::chrono::seconds(600);
        return o;
    }
    std::vector<StoredSubscription> subscribe(int n) {
        for (int i = 0; i < n; ++i) {
            Subscription s;
            s.source = "paged";
            s.name = "p" + std::to_string(i);
            s.locator = server.url("/" + s.name + "/1");
            store.upsert_subscription(s, now);
        }
        return store.subscriptions();
    }
    void run_once(std::vector<StoredSubscription> subs) {
        bool done = false;
        boost::asio::co_spawn(io, scheduler.poll_each_once(std::move(subs)),
                              [&](std::exception_ptr ep) {
                                  if (ep) std::rethrow_exception(ep);
                                  done = true;
                              });
        run_until([&] { return done; });
    }
    // Idle keep-alive connections keep the loop busy: run until the condition holds.
    template <class F> void run_until(F&& done) {
        io.restart();
        while (!done())
            io.run_one();
    }
};

} // namespace

BOOST_AUTO_TEST_CASE(poll_each_once_polls_everything_within_the_host_budget) {
    SchedulerOptions so;
    so.max_polls_per_host = 3;
    Rig rig(std::nullopt, so, [](TestRequest const&) {
        TestResponse r = TestResponse::text("1.0");
        r.delay = std::chrono::milliseconds(20); // overlapping polls, so the budget matters
        return r;
    });
    auto subs = rig.subscribe(12);
    int polled = 0;
    rig.scheduler.on_polled = [&](StoredSubscription const&, PollOutcome const& o) {
        polled += o.status == PollStatus::ok;
    };
    rig.run_once(subs);
    BOOST_TEST(polled == 12);
    BOOST_TEST(rig.server.requests() == 12u);
    BOOST_TEST(rig.server.max_in_flight() <= 3u);
    BOOST_TEST(rig.server.max_in_flight() >= 2u);
}

BOOST_AUTO_TEST_CASE(a_source_may_ask_for_one_poll_at_a_time_per_host) {
    Rig rig(std::size_t{1}, SchedulerOptions{}, [](TestRequest const&) {
        TestResponse r = TestResponse::text("1.0");
        r.delay = std::chrono::milliseconds(10);
        return r;
    });
    rig.run_once(rig.subscribe(5));
    BOOST_TEST(rig.server.requests() == 5u);
    BOOST_TEST(rig.server.max_in_flight() == 1u);
}

BOOST_AUTO_TEST_CASE(start_due_keeps_the_schedule_and_honours_a_host_pause) {
    Rig rig(std::nullopt, SchedulerOptions{}, [](TestRequest const& r) {
        return TestResponse::text(r.path() == "/p0/1" ? "!429" : "1.0");
    });
    auto subs = rig.subscribe(2);
    rig.scheduler.reschedule(subs);
    int done = 0;
    rig.scheduler.on_polled = [&](StoredSubscription const&, PollOutcome const&) { ++done; };
    // Both are due now (next_due = creation time). p0 hits a rate limit: 120 s pause of the host.
    auto next = rig.scheduler.start_due(rig.now);
    BOOST_TEST(rig.scheduler.in_flight() == 2u);
    rig.run_until([&] { return done == 2; });
    BOOST_TEST(done == 2);
    BOOST_TEST(rig.scheduler.paused_hosts(rig.now).size() == 1u);
    // p1 was polled fine: due again in 600 s; p0 in 120 s. Nothing starts before then.
    rig.now += 60;
    next = rig.scheduler.start_due(rig.now);
    BOOST_TEST(rig.scheduler.in_flight() == 0u);
    BOOST_TEST(next.value() == 1000 + 120);
    rig.now = 1000 + 120;
    rig.scheduler.start_due(rig.now);
    BOOST_TEST(rig.scheduler.in_flight() == 1u); // p0 again; p1 waits for its own time
    rig.run_until([&] { return done == 3; });
    BOOST_TEST(done == 3);
}

BOOST_AUTO_TEST_CASE(a_poll_that_throws_is_backed_off_in_memory) {
    Rig rig(std::nullopt, SchedulerOptions{},
            [](TestRequest const&) { return TestResponse::text("!throw"); });
    rig.scheduler.reschedule(rig.subscribe(1));
    std::vector<std::string> crashes;
    rig.scheduler.on_crash = [&](StoredSubscription const& s, std::string const& what, int n) {
        crashes.push_back(s.sub.name + " " + std::to_string(n) + ": " + what);
    };
    rig.scheduler.start_due(rig.now);
    rig.run_until([&] { return crashes.size() == 1u; });
    BOOST_REQUIRE(crashes.size() == 1u);
    BOOST_TEST(crashes[0] == "p0 1: a bug in the source");
    // Backed off 30 s, then 60 s: the stored next_due (never written) does not matter.
    BOOST_TEST(rig.scheduler.start_due(rig.now).value() == 1000 + 30);
    rig.now += 30;
    rig.scheduler.start_due(rig.now);
    rig.run_until([&] { return crashes.size() == 2u; });
    BOOST_TEST(crashes.size() == 2u);
    BOOST_TEST(rig.scheduler.start_due(rig.now).value() == 1030 + 60);
    // A reload does not forget the backoff.
    rig.scheduler.reschedule(rig.store.subscriptions());
    BOOST_TEST(rig.scheduler.start_due(rig.now).value() == 1030 + 60);
}

// A poll that works again after failures (the state file takes writes again after a full disk)
// brings forward the others backing off after failures of their own, instead of leaving them
// to wait out a backoff of up to an hour.
BOOST_AUTO_TEST_CASE(a_recovery_brings_forward_the_others_backing_off) {
    std::atomic<bool> p1_broken{true};
    Rig rig(std::size_t{1}, SchedulerOptions{}, [&](TestRequest const& req) {
        bool const broken = req.target.find("/p0/") != std::string::npos || p1_broken;
        return TestResponse::text(broken ? "!throw" : "1.0");
    });
    rig.scheduler.reschedule(rig.subscribe(2));
    std::map<std::string, int> crashes, recovered;
    std::size_t polled = 0;
    rig.scheduler.on_crash = [&](StoredSubscription const& s, std::string const&, int n) {
        crashes[s.sub.name] = n;
    };
    rig.scheduler.on_recovered = [&](StoredSubscription const& s, int n) {
        recovered[s.sub.name] = n;
    };
    rig.scheduler.on_polled = [&](StoredSubscription const&, PollOutcome const&) { ++polled; };
    // One poll at a time: p0, then p1; both fail twice (due again at 1030, then 1090).
    for (int round = 1; round <= 2; ++round) {
        rig.scheduler.start_due(rig.now);
        rig.run_until([&] { return crashes["p0"] == round; });
        rig.scheduler.start_due(rig.now);
        rig.run_until([&] { return crashes["p1"] == round; });
        rig.now += 30;
    }
    BOOST_TEST(rig.scheduler.start_due(rig.now).value() == 1090);
    // p1's cause goes away; p0's not. At 1090 p0 fails a third time (backed off to 1210), then
    // p1 works again...
    rig.now = 1090;
    p1_broken = false;
    rig.scheduler.start_due(rig.now);
    rig.run_until([&] { return crashes["p0"] == 3; });
    rig.scheduler.start_due(rig.now);
    rig.run_until([&] { return polled == 1u; });
    BOOST_TEST(recovered["p1"] == 2);
    // ... which makes p0 due at once, not at 1210.
    rig.scheduler.start_due(rig.now);
    BOOST_TEST_REQUIRE(rig.scheduler.in_flight() == 1u);
    rig.run_until([&] { return crashes["p0"] == 4; });
}
