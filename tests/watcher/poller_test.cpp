#define BOOST_TEST_MODULE poller
#include <boost/test/unit_test.hpp>

#include "tests/fakes/fake_pypi.hpp"
#include "tests/fakes/test_server.hpp"
#include "tests/watcher/paged_source.hpp"
#include "watcher/poller.hpp"
#include "watcher/sources/github/github.hpp"
#include "watcher/sources/pypi/pypi.hpp"
#include "watcher/state/outbox.hpp"
#include "watcher/summary.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <map>
#include <mutex>
#include <set>

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
    // Advisories from the index's JSON API (`source = "index"`; OSV is the default since issue
    // 17): the PyPI source reads the pin's advisories every 6 hours (its default).
    SourceRegistry sources;
    sources.add(std::make_unique<PypiSource>());
    UnixTime now = 1000;
    PollerOptions options;
    options.jitter = 0;
    options.interval = std::chrono::seconds(600);
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

// Issue #20 defect 3: the GitHub token followed a `Link: rel="next"` to any host. A fake GitHub
// whose issues page links to another port: that server must see the next page's request, and
// no token with it; GitHub's own origin keeps getting it.
BOOST_AUTO_TEST_CASE(the_github_token_stays_on_githubs_origin_when_a_link_points_elsewhere) {
    TestServer elsewhere([](TestRequest const&) { return TestResponse::json("[]"); });
    std::string const next = elsewhere.url("/repos/o/r/issues?page=2");
    TestServer github([&](TestRequest const& r) {
        auto const path = std::string(r.path());
        if (path == "/repos/o/r")
            return TestResponse::json(
                R"({"full_name":"o/r","html_url":"https://github.com/o/r",)"
                R"("open_issues_count":1,"created_at":"2020-01-01T00:00:00Z",)"
                R"("owner":{"type":"Organization"}})");
        if (path == "/repos/o/r/releases" || path == "/repos/o/r/tags")
            return TestResponse::json("[]");
        if (path == "/repos/o/r/issues")
            return TestResponse::json(R"([{"number":7,"title":"broken",)"
                                      R"("created_at":"2023-11-14T19:26:40Z"}])")
                .header("Link", "<" + next + ">; rel=\"next\"");
        return TestResponse::text("missing", 404);
    });
    UnixTime const now = 1'700'000'000;
    GithubSettings settings;
    settings.api_url = github.url("/");
    settings.token = Secret("ghp_sekrit_token");
    settings.repos["demo"] = "o/r";
    settings.clock = [now] { return now; };
    SourceRegistry sources;
    sources.add(std::make_unique<GithubSource>(settings));
    StateStore store(":memory:");
    boost::asio::io_context io;
    net::ClientOptions copts;
    copts.proxy = {};
    net::Client client(io.get_executor(), copts);
    PollerOptions popts;
    popts.jitter = 0;
    Poller poller(client, store, sources, Router{}, popts, [now] { return now; });
    Subscription s;
    s.source = "github";
    s.name = "demo";
    s.locator = "github:demo";
    s.origin = settings.api_url;
    auto const id = store.upsert_subscription(s, now);

    PollOutcome outcome;
    bool done = false;
    boost::asio::co_spawn(io, poller.poll(*store.subscription(id)),
                          [&](std::exception_ptr ep, PollOutcome o) {
                              if (ep) std::rethrow_exception(ep);
                              outcome = o;
                              done = true;
                          });
    while (!done)
        io.run_one();

    BOOST_TEST(outcome.status != PollStatus::error, outcome.error.value_or(""));
    auto const seen_there = elsewhere.received();
    BOOST_TEST_REQUIRE(seen_there.size() == 1u); // the next page was asked for...
    BOOST_TEST(seen_there[0].target == "/repos/o/r/issues?page=2");
    BOOST_TEST(!seen_there[0].header("Authorization")); // ...without the token
    for (auto const& r : github.received())
        BOOST_TEST(r.header("Authorization").value_or("") == "Bearer ghp_sekrit_token", r.target);
}

namespace {

// The events of one kind in the store.
std::size_t count_events(StateStore const& store, EventKind kind) {
    std::size_t n = 0;
    for (auto const& e : store.events(1'000'000))
        n += e.kind == kind;
    return n;
}

// `n` packages on the fake PyPI, each subscribed; polls them all once per call.
struct Mirror {
    test::FakePypi pypi;
    StateStore store{":memory:"};
    boost::asio::io_context io;
    net::Client client{io.get_executor(), [] {
                           net::ClientOptions o;
                           o.proxy = {};
                           return o;
                       }()};
    SourceRegistry sources = make_sources();
    UnixTime now = 1000;
    Poller poller;
    std::vector<std::int64_t> ids;
    explicit Mirror(std::size_t n)
        : poller(client, store, sources, Router{}, options(), [this] { return now; }) {
        for (std::size_t i = 0; i < n; ++i) {
            auto const name = "pkg" + std::to_string(i);
            pypi.add_project({name, "", {}, {{"1.0", 100}}});
            ids.push_back(
                store.upsert_subscription(pypi_subscription(pypi.index_url(), name), now));
        }
    }
    static SourceRegistry make_sources() {
        PypiSettings settings;
        settings.want_metadata = false;
        settings.vulnerability_interval.reset();
        SourceRegistry r;
        r.add(std::make_unique<PypiSource>(settings));
        return r;
    }
    static PollerOptions options() {
        PollerOptions o;
        o.jitter = 0;
        return o; // failing_after: the default, 3 polls in a row
    }
    void poll_all() {
        now += 60;
        std::size_t left = ids.size();
        for (auto id : ids)
            boost::asio::co_spawn(io, poller.poll(*store.subscription(id)),
                                  [&](std::exception_ptr ep, PollOutcome) {
                                      if (ep) std::rethrow_exception(ep);
                                      --left;
                                  });
        io.restart();
        while (left > 0)
            io.run_one();
        poller.flush();
    }
};

} // namespace

// Issue #20: an index outage told source_failing and source_recovered for every package (1,500
// packages: 3,000 events). Most of the host's polls failing together is one outage: one pair.
BOOST_AUTO_TEST_CASE(an_outage_of_the_whole_index_is_one_pair_of_events) {
    Mirror m(1500);
    m.poll_all(); // baselines
    m.pypi.set_fault("*", test::Fault::server_error);
    for (int i = 0; i < 4; ++i)
        m.poll_all();
    BOOST_TEST(count_events(m.store, EventKind::source_failing) == 1u);
    auto const failing = m.store.events(1);
    BOOST_TEST_REQUIRE(failing.size() == 1u);
    BOOST_TEST(failing[0].package ==
               ascii_lower(m.pypi.index_url().substr(0, m.pypi.index_url().find("/simple/"))));
    BOOST_TEST(failing[0].detail.find("most polls of this host fail") != std::string::npos);
    m.pypi.set_fault("*", test::Fault::none);
    m.poll_all();
    m.poll_all();
    BOOST_TEST(count_events(m.store, EventKind::source_failing) == 1u);
    BOOST_TEST(count_events(m.store, EventKind::source_recovered) == 1u);
}

// Only some packages failing (a few broken project pages) is told per package, as before.
BOOST_AUTO_TEST_CASE(a_few_failing_packages_are_told_one_by_one) {
    Mirror m(20);
    m.poll_all();
    m.pypi.set_fault("pkg3", test::Fault::server_error);
    m.pypi.set_fault("pkg7", test::Fault::server_error);
    for (int i = 0; i < 4; ++i)
        m.poll_all();
    auto const events = m.store.events(100);
    std::set<std::string> failing;
    for (auto const& e : events)
        if (e.kind == EventKind::source_failing) failing.insert(e.package);
    BOOST_TEST((failing == std::set<std::string>{"pkg3", "pkg7"}));
    m.pypi.set_fault("pkg3", test::Fault::none);
    m.poll_all();
    BOOST_TEST(count_events(m.store, EventKind::source_recovered) == 1u);
}

// A poll whose listing changed leaves the summary of the releases as now stored, in the same
// transaction; a poll that changed nothing leaves it standing.
BOOST_AUTO_TEST_CASE(a_changed_listing_leaves_the_summary_of_the_releases_stored) {
    Rig rig;
    rig.pages.set("/demo/1", "1.0 1.1 | next=/demo/2");
    rig.pages.set("/demo/2", "2.0");
    auto const id = rig.subscribe("demo");
    rig.poll(id);
    auto const check = [&](std::string const& latest) {
        auto const s = rig.store.subscription(id);
        auto const saved = rig.store.current_summary(id);
        BOOST_REQUIRE(saved.has_value());
        auto const read = read_summary(*saved, s->sub);
        BOOST_REQUIRE(read.has_value());
        auto const worked = summarize(s->sub, rig.store.release_list(id));
        BOOST_TEST(read->latest.value_or("") == latest);
        BOOST_TEST(worked.latest.value_or("") == latest);
        BOOST_TEST(read->release_count == worked.release_count);
    };
    check("2.0");
    rig.pages.set("/demo/2", "2.0 3.0");
    rig.now += 600;
    rig.poll(id);
    check("3.0");
    rig.pages.set("/demo/2", "3.0"); // 1.x kept below 2.0 and one gone
    rig.pages.set("/demo/1", "1.0 | next=/demo/2");
    rig.now += 600;
    rig.poll(id);
    check("3.0");
    BOOST_TEST(rig.store.releases(id).size() == 2u);
    BOOST_TEST(rig.store.current_summary(id).has_value());
}
