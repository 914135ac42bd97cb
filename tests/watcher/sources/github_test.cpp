#define BOOST_TEST_MODULE github_source
#include <boost/test/unit_test.hpp>

#include "tests/fakes/fake_github.hpp"
#include "tests/fakes/fake_pypi.hpp"
#include "watcher/poller.hpp"
#include "watcher/sources/github/github.hpp"
#include "watcher/sources/pypi/pypi.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <mutex>

using namespace pinwatch;
using namespace pinwatch::watcher;
using namespace pinwatch::watcher::github_detail;
using pinwatch::test::FakeGithub;
using pinwatch::test::FakeGithubIssue;
using pinwatch::test::FakeGithubRelease;
using pinwatch::test::FakeGithubRepo;
using pinwatch::test::FakePypi;
using pinwatch::test::GithubFault;

namespace {

constexpr UnixTime kDay = 86400;

// --- pure rules ---------------------------------------------------------------------------

// `per_day[i]` issues on day i of a 28-day window ending at `now` (day 27 = the last 24 h),
// spread evenly inside each day.
std::vector<UnixTime> series(std::vector<int> const& per_day, UnixTime now) {
    std::vector<UnixTime> out;
    for (std::size_t d = 0; d < per_day.size(); ++d) {
        UnixTime const day_end = now - static_cast<UnixTime>(per_day.size() - 1 - d) * kDay;
        for (int k = 0; k < per_day[d]; ++k)
            out.push_back(day_end - 1 -
                          static_cast<UnixTime>(k) * (kDay - 2) / std::max(1, per_day[d]));
    }
    return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(labels_are_normalised_as_pep_753_says) {
    BOOST_TEST(normalise_label("Source Code") == "sourcecode");
    BOOST_TEST(normalise_label("Bug-Tracker") == "bugtracker");
    BOOST_TEST(normalise_label("Release_Notes") == "releasenotes");
    BOOST_TEST(normalise_label(" HOME page ") == "homepage");
}

BOOST_AUTO_TEST_CASE(repository_urls_in_their_usual_spellings) {
    for (std::string url :
         {"https://github.com/psf/requests", "http://github.com/psf/requests/",
          "https://www.github.com/psf/requests.git",
          "https://GitHub.com/PSF/Requests/tree/main/docs",
          "https://github.com/psf/requests/blob/main/HISTORY.md",
          "https://github.com/psf/requests/issues", "https://github.com/psf/requests#readme"})
        BOOST_TEST(repo_from_url(url).value_or("-") == "psf/requests", url);
    BOOST_TEST(!repo_from_url("https://gitlab.com/psf/requests"));
    BOOST_TEST(!repo_from_url("https://github.com/psf"));
    BOOST_TEST(!repo_from_url("https://github.com/sponsors/someone"));
    BOOST_TEST(!repo_from_url("https://notgithub.com/psf/requests"));
    BOOST_TEST(!repo_from_url("https://requests.readthedocs.io"));
}

BOOST_AUTO_TEST_CASE(discovery_tries_labels_in_order_and_skips_other_hosts) {
    // "Source" points elsewhere: the search goes on; "Homepage" loses to "Repository".
    auto d = discover({{"Source", "https://gitlab.com/x/y"},
                       {"Homepage", "https://github.com/home/page"},
                       {"Repository", "https://github.com/the/repo"},
                       {"Funding", "https://github.com/sponsors/the"}},
                      "https://github.com/from/home-page");
    BOOST_TEST(d.repo.value_or("-") == "the/repo");
    BOOST_TEST(d.found_in == "project_urls 'Repository'");
    // Funding and sponsor links never count; home_page is the last resort.
    auto f =
        discover({{"Funding", "https://github.com/a/b"}, {"Sponsor", "https://github.com/c/d"}},
                 "https://github.com/from/home-page");
    BOOST_TEST(f.repo.value_or("-") == "from/home-page");
    BOOST_TEST(f.found_in == "home_page");
    auto i = discover({{"Bug Tracker", "https://github.com/bugs/here/issues"},
                       {"Changelog", "https://github.com/log/there/blob/main/CHANGES"}},
                      "");
    BOOST_TEST(i.repo.value_or("-") == "bugs/here");
    BOOST_TEST(!discover({{"Documentation", "https://github.com/docs/x"}}, "").repo);
}

BOOST_AUTO_TEST_CASE(tags_map_to_pep_440_versions) {
    BOOST_TEST(tag_version("v1.2.3", "x").value_or("-") == "1.2.3");
    BOOST_TEST(tag_version("1.2.3", "x").value_or("-") == "1.2.3");
    BOOST_TEST(tag_version("release-1.2.3", "x").value_or("-") == "1.2.3");
    BOOST_TEST(tag_version("my_pkg-1.2.3", "my-pkg").value_or("-") == "1.2.3");
    BOOST_TEST(tag_version("My.Pkg-v2.0rc1", "my-pkg").value_or("-") == "2.0rc1");
    BOOST_TEST(!tag_version("nightly", "x"));
    BOOST_TEST(!tag_version("other-1.0", "x"));
    BOOST_TEST(latest_tag({"v1.9.0", "v2.0.0rc1", "v1.10.0", "nightly"}, "x").value_or("-") ==
               "v1.10.0");
    BOOST_TEST(!latest_tag({"nightly", "latest"}, "x"));
    // The repository's name is a prefix too (any case, "-", "_", "." spellings), not only the
    // package's.
    BOOST_TEST(tag_version("pkg11.core-2.13.1", "pkg11", "team/pkg11.core").value_or("-") ==
               "2.13.1");
    BOOST_TEST(tag_version("PKG11_Core-v2.13.1", "pkg11", "pkg11.core").value_or("-") == "2.13.1");
    BOOST_TEST(tag_version("py-foo-2.4.4", "foo", "someone/py-foo").value_or("-") == "2.4.4");
    BOOST_TEST(!tag_version("py-foo-2.4.4", "foo"));
    BOOST_TEST(!tag_version("py-bar-2.4.4", "foo", "someone/py-foo"));
    BOOST_TEST(tag_version("foo-1.0", "foo", "someone/py-foo").value_or("-") == "1.0");
    BOOST_TEST(latest_tag({"py-foo-2.4.4", "py-foo-2.10.0", "docs-9.0"}, "foo", "o/py-foo")
                   .value_or("-") == "py-foo-2.10.0");
    BOOST_TEST(!latest_tag({"py-foo-2.4.4"}, "foo", ""));
    std::vector<github_detail::Release> rs(3);
    rs[0] = {"v3.0.0rc1", "", "", "", false, true, 300};
    rs[1] = {"v2.1.0", "", "u", "", false, false, 200};
    rs[2] = {"v9.0.0", "", "", "", true, false, 400};
    BOOST_TEST(latest_release(rs)->tag == "v2.1.0");
}

BOOST_AUTO_TEST_CASE(the_summary_reads_tags_prefixed_with_the_repository_name) {
    github_detail::State st;
    st.repo = "Someone/Py-Foo";
    st.tags = {"py_foo-2.4.4", "Py-Foo-2.10.0", "other-9.0"};
    auto const sum = summarize(st, "foo", 1'700'000'000, 5, 0.001);
    BOOST_TEST(sum.latest_tag.value_or("-") == "Py-Foo-2.10.0");
}

BOOST_AUTO_TEST_CASE(issues_without_pull_requests_and_link_pages) {
    auto items = parse_issues(R"([
      {"number": 3, "created_at": "2026-01-02T00:00:00Z", "title": "a PR", "pull_request": {"url": "x"}},
      {"number": 2, "created_at": "2026-01-01T12:00:00Z", "title": "old style", "pull_request": null},
      {"number": 1, "created_at": "2026-01-01T00:00:00Z", "title": "plain"}])");
    BOOST_REQUIRE(items);
    BOOST_TEST(items->size() == 3u);
    BOOST_TEST((*items)[0].pull_request);
    BOOST_TEST(!(*items)[1].pull_request);
    BOOST_TEST(!(*items)[2].pull_request);
    BOOST_TEST(!parse_issues(R"({"message": "Not Found"})"));
    BOOST_TEST(
        next_link(
            R"(<https://api.github.com/repositories/1/issues?page=2>; rel="next", <https://api.github.com/repositories/1/issues?page=5>; rel="last")")
            .value_or("-") == "https://api.github.com/repositories/1/issues?page=2");
    BOOST_TEST(!next_link(R"(<https://x/?page=1>; rel="prev", <https://x/?page=1>; rel="first")"));
    BOOST_TEST(!next_link(""));
}

BOOST_AUTO_TEST_CASE(poisson_tails) {
    BOOST_TEST(poisson_tail(0, 3.0) == 1.0);
    BOOST_TEST(std::abs(poisson_tail(1, 1.0) - (1 - std::exp(-1.0))) < 1e-12);
    // P(X >= 3 | 2) = 1 - e^-2 (1 + 2 + 2)
    BOOST_TEST(std::abs(poisson_tail(3, 2.0) - (1 - 5 * std::exp(-2.0))) < 1e-12);
    BOOST_TEST(poisson_tail(5, 0.0) == 0.0);
    // Far tail of a busy mean: small but not zero, and monotone.
    double const a = poisson_tail(260, 200), b = poisson_tail(300, 200);
    BOOST_TEST(a < 1e-4);
    BOOST_TEST(b < a);
    BOOST_TEST(b > 0);
}

// The dashboard's chart: counts per day as check_spike counts them, and the line a last day
// must reach to be a spike.
BOOST_AUTO_TEST_CASE(daily_counts_and_the_spike_threshold) {
    UnixTime const now = 100 * kDay;
    std::vector<int> d(28, 2);
    d[0] = 5;
    d[27] = 9;
    auto const times = series(d, now);
    auto const counts = daily_counts(times, now);
    BOOST_TEST_REQUIRE(counts.size() == 28u);
    BOOST_TEST(counts.front() == 5);
    BOOST_TEST(counts[13] == 2);
    BOOST_TEST(counts.back() == check_spike(times, now, 5, 0.001).last_24h);
    // Older than the window, or in the future: not counted.
    auto const none = daily_counts({now - 28 * kDay, now - 40 * kDay, now + 10}, now);
    BOOST_TEST(std::count(none.begin(), none.end(), 0) == 28);
    // Exactly 24 h ago is the day before the last 24 h, as check_spike sees it.
    auto const edge = daily_counts({now - kDay}, now);
    BOOST_TEST(edge[26] == 1);
    BOOST_TEST(edge[27] == 0);
    // The threshold is the first count check_spike calls a spike, for any mean.
    for (double mean : {0.0, 0.5, 2.0, 30.0, 200.0}) {
        auto const t = spike_threshold(mean, 5, 0.001);
        BOOST_TEST(t >= 5);
        BOOST_TEST(poisson_tail(t, mean) < 0.001);
        if (t > 5) BOOST_TEST(poisson_tail(t - 1, mean) >= 0.001);
    }
    BOOST_TEST(spike_threshold(0.0, 5, 0.001) == 5); // nothing usual: min_issues decides
}

BOOST_AUTO_TEST_CASE(spike_statistics_on_synthetic_series) {
    UnixTime const now = 100 * kDay;
    // Steady traffic: 3 a day, 4 in the last 24 h: nothing.
    {
        std::vector<int> d(28, 3);
        d[27] = 4;
        auto c = check_spike(series(d, now), now, 5, 0.001);
        BOOST_TEST(c.last_24h == 4);
        BOOST_TEST(std::abs(c.mean - 3.0) < 1e-9);
        BOOST_TEST(!c.spike);
    }
    // A burst after a release: 2 a day, then 20.
    {
        std::vector<int> d(28, 2);
        d[27] = 20;
        auto c = check_spike(series(d, now), now, 5, 0.001);
        BOOST_TEST(c.last_24h == 20);
        BOOST_TEST(c.spike);
        BOOST_TEST(c.p_value < 1e-8);
    }
    // A quiet repository: 2 issues in four weeks, both today. Below spike_min_issues.
    {
        std::vector<int> d(28, 0);
        d[27] = 2;
        auto c = check_spike(series(d, now), now, 5, 0.001);
        BOOST_TEST(c.last_24h == 2);
        BOOST_TEST(c.mean == 0.0);
        BOOST_TEST(!c.spike);
        // ... but 6 where there were none is one.
        d[27] = 6;
        BOOST_TEST(check_spike(series(d, now), now, 5, 0.001).spike);
    }
    // A busy repository: 200 a day; 215 is noise, 300 is not.
    {
        std::vector<int> d(28, 200);
        d[27] = 215;
        auto c = check_spike(series(d, now), now, 5, 0.001);
        BOOST_TEST(std::abs(c.mean - 200.0) < 1e-9);
        BOOST_TEST(!c.spike);
        d[27] = 300;
        BOOST_TEST(check_spike(series(d, now), now, 5, 0.001).spike);
    }
    // Less than a day of history judges nothing.
    {
        std::vector<int> d(28, 0);
        d[27] = 50;
        BOOST_TEST(!check_spike(series(d, now), now, 5, 0.001, now - kDay / 2).spike);
    }
    // since_release: the newest non-draft release of the last 72 hours, pre-releases included.
    std::vector<github_detail::Release> rs(3);
    rs[0] = {"v1.0", "", "", "", false, false, now - 5 * kDay};
    rs[1] = {"v1.1rc1", "", "", "", false, true, now - 2 * kDay};
    rs[2] = {"v1.1", "", "", "", true, false, now - kDay};
    BOOST_TEST(release_since(rs, now).value_or("-") == "v1.1rc1");
    BOOST_TEST(!release_since(std::vector<github_detail::Release>{rs[0]}, now));
}

BOOST_AUTO_TEST_CASE(state_round_trips_through_json) {
    State s;
    s.repo = "psf/requests";
    s.found_in = "project_urls 'Source'";
    s.releases_etag = "W/\"1\"";
    s.releases.push_back({"v1", "One", "https://x/v1", "notes", false, true, 42});
    s.tags = {"v1", "v0"};
    s.issues = {{5, 100}, {4, 90}};
    s.issues_max = 6;
    s.issues_from = 80;
    s.spike = true;
    s.pending.push_back({"v2", "2", "u", "d", 7});
    s.quota_remaining = 59;
    auto const back = state_from_json(to_json(s));
    BOOST_TEST(to_json(back) == to_json(s));
    BOOST_TEST(!state_from_json("not json").repo);
}

// --- the source against the fake GitHub and the fake PyPI ---------------------------------

namespace {

struct Rig {
    FakePypi pypi;
    FakeGithub github;
    StateStore store{":memory:"};
    boost::asio::io_context io;
    net::Client client{io.get_executor(), net::ClientOptions{}};
    UnixTime now = static_cast<UnixTime>(std::time(nullptr));
    GithubSettings settings;
    std::unique_ptr<SourceRegistry> sources;
    std::unique_ptr<Poller> poller;

    explicit Rig(std::string token = "", bool spread = false) {
        if (!token.empty()) {
            github.set_token(token);
            settings.token = Secret(token);
        }
        settings.api_url = github.api_url();
        settings.spread_budget = spread;
        settings.clock = [this] { return now; };
        build();
    }
    void build() {
        sources = std::make_unique<SourceRegistry>();
        PypiSettings pypi; // versions only: PyPI's metadata is not what these tests read
        pypi.want_metadata = false;
        sources->add(std::make_unique<PypiSource>(pypi));
        sources->add(std::make_unique<GithubSource>(settings));
        PollerOptions o;
        o.jitter = 0;
        poller = std::make_unique<Poller>(client, store, *sources, Router(std::vector<Route>{}), o,
                                          [this] { return now; });
    }
    // A project on PyPI whose Source URL names `repo`, and that repository on GitHub.
    void project(std::string const& name, std::string const& repo,
                 std::vector<std::string> pypi_versions) {
        test::FakeProject p;
        p.name = name;
        p.project_urls = {{"Homepage", "https://example.org"},
                          {"Source", "https://github.com/" + repo + ".git"}};
        for (auto const& v : pypi_versions)
            p.releases.emplace_back(v, now - 10 * kDay);
        pypi.add_project(p);
        FakeGithubRepo r;
        r.full_name = repo;
        r.created = now - 1000 * kDay;
        github.add_repo(r);
    }
    std::pair<std::int64_t, std::int64_t> subscribe(std::string const& name) {
        auto const pypi_sub = pypi_subscription(pypi.index_url(), name);
        auto const gh = github_subscription(pypi_sub, settings.api_url);
        return {store.upsert_subscription(pypi_sub, now), store.upsert_subscription(gh, now)};
    }
    PollOutcome poll(std::int64_t id) {
        PollOutcome out;
        bool done = false;
        boost::asio::co_spawn(io, poller->poll(*store.subscription(id)),
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
    State state(std::int64_t id) {
        return state_from_json(store.subscription(id)->source_state.value_or(""));
    }
    std::vector<Event> events_of(EventKind kind) {
        std::vector<Event> out;
        for (auto const& e : store.events())
            if (e.kind == kind) out.push_back(e);
        return out;
    }
};

} // namespace

BOOST_AUTO_TEST_CASE(a_first_poll_discovers_and_records_silently_then_costs_only_304s) {
    Rig rig("t0ken");
    rig.settings.always_tags = true; // as `check` reads them
    rig.build();
    rig.project("Requests", "psf/requests", {"2.31.0", "2.32.3"});
    rig.github.add_release("psf/requests", {"v2.32.3", "v2.32.3", "Fixes.\n\n* one", false, false,
                                            rig.now - 30 * kDay});
    rig.github.add_release("psf/requests", {"v2.33.0rc1", "", "", false, true, rig.now - kDay});
    rig.github.add_tag("psf/requests", "v2.32.3");
    rig.github.add_tag("psf/requests", "v2.33.0rc1");
    rig.github.add_issue("psf/requests", {1, rig.now - 3 * kDay, "old bug"});
    rig.github.add_issue("psf/requests", {2, rig.now - 3600, "a PR", true});
    rig.github.add_issue("psf/requests", {3, rig.now - 60, "new bug"});
    auto [pypi_id, gh] = rig.subscribe("requests");
    BOOST_TEST((rig.poll(pypi_id).status == PollStatus::ok));
    auto first = rig.poll(gh);
    BOOST_TEST((first.status == PollStatus::ok));
    BOOST_TEST(first.events == 0u);
    auto st = rig.state(gh);
    BOOST_TEST(st.repo.value_or("-") == "psf/requests");
    BOOST_TEST(st.found_in == "project_urls 'Source'");
    BOOST_TEST(st.quota_remaining.value_or(-1) == 5000 - 4); // repo, releases, tags, issues
    auto sum = summarize(st, "requests", rig.now, 5, 0.001);
    BOOST_TEST(sum.latest_release.value_or("-") == "v2.32.3");
    BOOST_TEST(sum.latest_tag.value_or("-") == "v2.32.3");
    BOOST_TEST(sum.release_notes_url.value_or("-") ==
               rig.github.api_url() + "psf/requests/releases/tag/v2.32.3");
    BOOST_TEST(sum.open_issues.value_or(-1) == 3);
    BOOST_TEST(sum.issues.last_24h == 1); // the PR does not count
    BOOST_TEST(rig.store.subscription(gh)->baseline_done);

    // Unchanged: every GitHub request is conditional and answered 304, which costs no quota.
    rig.github.reset_stats();
    rig.now += 3600;
    auto second = rig.poll(gh);
    BOOST_TEST((second.status == PollStatus::ok));
    auto const s2 = rig.github.stats();
    BOOST_TEST(s2.requests == 3u); // releases, tags, issues (metadata is daily)
    BOOST_TEST(s2.not_modified == 3u);
    BOOST_TEST(s2.charged == 0u);

    // The daemon reads tags only for repositories without releases: two requests a poll.
    rig.settings.always_tags = false;
    rig.build();
    rig.github.reset_stats();
    rig.now += 3600;
    rig.poll(gh);
    BOOST_TEST(rig.github.stats().requests == 2u);
    BOOST_TEST(rig.github.stats().by_endpoint["tags"] == 0u);
}

BOOST_AUTO_TEST_CASE(issues_are_paged_by_link_and_pull_requests_skipped) {
    Rig rig;
    rig.github.set_per_page_cap(10);
    rig.project("busy", "org/busy", {"1.0"});
    // 40 issues and 15 PRs over the last 10 days, and one older than the window.
    rig.github.add_issue("org/busy", {1, rig.now - 40 * kDay, "ancient"});
    for (int i = 0; i < 55; ++i)
        rig.github.add_issue("org/busy", {2 + i, rig.now - (55 - i) * 4 * 3600, "issue",
                                          i % 11 == 3 || i % 11 == 7 || i % 11 == 9});
    auto [pypi_id, gh] = rig.subscribe("busy");
    rig.poll(pypi_id);
    rig.poll(gh);
    auto st = rig.state(gh);
    BOOST_TEST(st.issues.size() == 40u);
    BOOST_TEST(st.issues_max == 56);
    BOOST_TEST(rig.github.stats().by_endpoint["issues"] == 6u); // 55 in the window, 10 a page

    // Two new issues: one page read, stopping at the first known number.
    rig.github.add_issue("org/busy", {57, rig.now - 10, "new one"});
    rig.github.add_issue("org/busy", {58, rig.now - 5, "newer one"});
    rig.github.reset_stats();
    rig.now += 60;
    rig.poll(gh);
    BOOST_TEST(rig.github.stats().by_endpoint["issues"] == 1u);
    st = rig.state(gh);
    BOOST_TEST(st.issues.size() == 42u);
    BOOST_TEST(st.newest_titles.front() == "newer one");
}

BOOST_AUTO_TEST_CASE(a_spike_after_a_release_is_told_once_and_its_end_once) {
    Rig rig;
    rig.project("flaky", "org/flaky", {"1.0", "1.1"});
    std::int64_t n = 1;
    for (int d = 1; d < 28; ++d) // one issue a day for four weeks
        rig.github.add_issue("org/flaky", {n++, rig.now - d * kDay - 100, "steady"});
    auto [pypi_id, gh] = rig.subscribe("flaky");
    rig.poll(pypi_id);
    rig.poll(gh); // baseline
    rig.github.add_release("org/flaky", {"v1.1", "1.1", "", false, false, rig.now - 3600});
    for (int i = 0; i < 12; ++i)
        rig.github.add_issue(
            "org/flaky", {n++, rig.now - 1800 + i, "crash on import \x1b[31m" + std::to_string(i)});
    rig.now += 60;
    auto out = rig.poll(gh);
    BOOST_TEST(out.events == 1u);
    auto spikes = rig.events_of(EventKind::issue_spike);
    BOOST_REQUIRE(spikes.size() == 1u);
    BOOST_TEST(spikes[0].version.value_or("-") == "v1.1");
    BOOST_TEST(spikes[0].detail.find("12 new issues in 24 h") != std::string::npos,
               spikes[0].detail);
    BOOST_TEST(spikes[0].detail.find("since release v1.1") != std::string::npos);
    BOOST_TEST(spikes[0].detail.find("crash on import \\x1b[31m11") != std::string::npos,
               spikes[0].detail);
    BOOST_TEST(spikes[0].detail.find('\x1b') == std::string::npos);
    BOOST_TEST(spikes[0].origin == rig.github.api_url() + "org/flaky/issues");

    // The next poll sees the same spike: nothing new.
    rig.now += 600;
    BOOST_TEST(rig.poll(gh).events == 0u);
    // Two days later the burst has left the last 24 hours: over, once.
    rig.now += 2 * kDay;
    BOOST_TEST(rig.poll(gh).events == 1u);
    BOOST_TEST(rig.events_of(EventKind::issue_spike_over).size() == 1u);
    rig.now += 600;
    BOOST_TEST(rig.poll(gh).events == 0u);
}

BOOST_AUTO_TEST_CASE(steady_traffic_raises_nothing) {
    Rig rig;
    rig.project("calm", "org/calm", {"1.0"});
    std::int64_t n = 1;
    for (int h = 28 * 24; h > 0; h -= 6) // four a day, every day
        rig.github.add_issue("org/calm", {n++, rig.now - h * 3600, "steady"});
    auto [pypi_id, gh] = rig.subscribe("calm");
    rig.poll(pypi_id);
    rig.poll(gh);
    for (int i = 0; i < 8; ++i) { // two more days at the same pace
        rig.now += 6 * 3600;
        rig.github.add_issue("org/calm", {n++, rig.now - 10, "steady"});
        BOOST_TEST(rig.poll(gh).events == 0u);
    }
    BOOST_TEST(rig.events_of(EventKind::issue_spike).empty());
}

BOOST_AUTO_TEST_CASE(a_github_release_pypi_lacks_after_the_grace_period_is_its_own_event) {
    Rig rig;
    rig.project("dual", "org/dual", {"1.0"});
    rig.github.add_release("org/dual", {"v1.0", "", "", false, false, rig.now - 20 * kDay});
    auto [pypi_id, gh] = rig.subscribe("dual");
    rig.poll(pypi_id);
    rig.poll(gh);
    // v1.1 reaches both GitHub and PyPI: the PyPI event says it, GitHub stays quiet.
    rig.github.add_release("org/dual", {"v1.1", "", "", false, false, rig.now});
    rig.pypi.add_release("dual", {"1.1", rig.now});
    // v1.2 only on GitHub, with notes.
    rig.github.add_release("org/dual",
                           {"v1.2", "One-two", "Big\nchanges <b>", false, false, rig.now});
    rig.now += 60;
    rig.poll(pypi_id);
    BOOST_TEST(rig.poll(gh).events == 0u); // within the grace period
    BOOST_TEST(rig.state(gh).pending.size() == 1u);
    rig.now += 7 * 3600;
    rig.poll(pypi_id);
    BOOST_TEST(rig.poll(gh).events == 1u);
    auto rel = rig.events_of(EventKind::github_release);
    BOOST_REQUIRE(rel.size() == 1u);
    BOOST_TEST(rel[0].version.value_or("-") == "v1.2");
    BOOST_TEST(rel[0].source == "github");
    BOOST_TEST(rel[0].origin == rig.github.api_url() + "org/dual/releases/tag/v1.2");
    BOOST_TEST(rel[0].detail.find("One-two — Big changes <b>") != std::string::npos, rel[0].detail);
    BOOST_TEST(rel[0].detail.find("not on PyPI after 6 h") != std::string::npos);
    BOOST_TEST(rig.state(gh).pending.empty());
}

BOOST_AUTO_TEST_CASE(tag_only_projects_announce_new_tags) {
    Rig rig;
    rig.project("tagged", "org/tagged", {"1.0"});
    rig.github.add_tag("org/tagged", "1.0");
    auto [pypi_id, gh] = rig.subscribe("tagged");
    rig.poll(pypi_id);
    rig.poll(gh);
    rig.github.add_tag("org/tagged", "1.1");
    rig.now += 7 * 3600;
    rig.poll(gh); // seen, pending
    rig.now += 7 * 3600;
    BOOST_TEST(rig.poll(gh).events == 1u);
    auto rel = rig.events_of(EventKind::github_release);
    BOOST_REQUIRE(rel.size() == 1u);
    BOOST_TEST(rel[0].version.value_or("-") == "1.1");
}

BOOST_AUTO_TEST_CASE(a_renamed_repository_is_followed_and_remembered) {
    Rig rig;
    rig.project("moved", "old-org/moved", {"1.0"});
    rig.github.rename("old-org/moved", "new-org/moved-on");
    auto [pypi_id, gh] = rig.subscribe("moved");
    rig.poll(pypi_id);
    BOOST_TEST((rig.poll(gh).status == PollStatus::ok));
    auto st = rig.state(gh);
    BOOST_TEST(st.repo.value_or("-") == "new-org/moved-on");
    BOOST_TEST(st.renamed_from.value_or("-") == "old-org/moved");
    // Later polls ask for the new name directly.
    rig.github.reset_stats();
    rig.now += 3600;
    rig.poll(gh);
    BOOST_TEST(rig.github.stats().redirects == 0u);
    BOOST_TEST(rig.state(gh).repo.value_or("-") == "new-org/moved-on");
}

BOOST_AUTO_TEST_CASE(overrides_name_the_repository_or_none) {
    Rig rig;
    rig.settings.repos["custom"] = "org/elsewhere";
    rig.build();
    rig.project("custom", "org/unused", {"1.0"});
    rig.github.add_repo({"org/elsewhere", "User", true, rig.now - kDay, {}, {}, {}});
    auto [pypi_id, gh] = rig.subscribe("custom");
    rig.poll(pypi_id);
    rig.poll(gh);
    auto st = rig.state(gh);
    BOOST_TEST(st.repo.value_or("-") == "org/elsewhere");
    BOOST_TEST(st.found_in == "[github.repos]");
    BOOST_TEST(st.facts.archived);
    BOOST_TEST(st.facts.owner_type == "User");
}

BOOST_AUTO_TEST_CASE(rate_limits_pause_the_host_instead_of_failing_for_good) {
    Rig rig;
    rig.project("limited", "org/limited", {"1.0"});
    auto [pypi_id, gh] = rig.subscribe("limited");
    rig.poll(pypi_id);
    // A secondary limit with retry-after: the poll fails as rate-limited and pauses the host.
    rig.github.set_fault("org/limited", GithubFault::retry_after_403, 1);
    auto out = rig.poll(gh);
    BOOST_TEST((out.status == PollStatus::error));
    BOOST_TEST(out.error.value_or("").find("rate limited (retry-after 1 s)") != std::string::npos,
               out.error.value_or(""));
    BOOST_REQUIRE(out.pause_host_until.has_value());
    BOOST_TEST(*out.pause_host_until == rig.now + 1);
    // Without a hint: a minute, as GitHub advises.
    rig.github.set_fault("org/limited", GithubFault::secondary_no_hint, 1);
    out = rig.poll(gh);
    BOOST_TEST(*out.pause_host_until == rig.now + 60);
    // A 429 with retry-after.
    rig.github.set_fault("org/limited", GithubFault::retry_after_429, 1);
    out = rig.poll(gh);
    BOOST_TEST(*out.pause_host_until == rig.now + 1);
    // The primary quota exhausted: paused until the server's reset, never a number of ours.
    rig.github.set_quota(2, 5000, 3000);
    out = rig.poll(gh);
    BOOST_TEST((out.status == PollStatus::error));
    BOOST_TEST(out.error.value_or("").find("rate limit exhausted") != std::string::npos,
               out.error.value_or(""));
    BOOST_REQUIRE(out.pause_host_until.has_value());
    BOOST_TEST(*out.pause_host_until > rig.now + 2000);
    BOOST_TEST(rig.store.subscription(gh)->consecutive_failures > 0);
}

BOOST_AUTO_TEST_CASE(the_daemon_spreads_the_quota_over_its_window) {
    Rig rig("", true);
    rig.github.set_quota(60, 5000, 3600);
    rig.project("paced", "org/paced", {"1.0"});
    auto [pypi_id, gh] = rig.subscribe("paced");
    rig.poll(pypi_id);
    auto out = rig.poll(gh); // 4 GitHub requests of 60 an hour: about 4 minutes' worth
    BOOST_REQUIRE(out.pause_host_until.has_value());
    auto const pause = *out.pause_host_until - rig.now;
    BOOST_TEST(pause >= 4 * 3600 / 60 - 60);
    BOOST_TEST(pause <= 6 * 3600 / 56 + 60);
}

BOOST_AUTO_TEST_CASE(a_pypi_release_event_links_to_its_github_release_notes) {
    Rig rig;
    rig.project("linked", "org/linked", {"1.0"});
    rig.github.add_release("org/linked", {"v1.0", "", "", false, false, rig.now - 20 * kDay});
    auto [pypi_id, gh] = rig.subscribe("linked");
    rig.poll(pypi_id);
    rig.poll(gh);
    // GitHub first, PyPI an hour later: the PyPI event carries the release page.
    rig.github.add_release("org/linked", {"linked-v1.1", "", "notes", false, false, rig.now});
    rig.now += 60;
    BOOST_TEST(rig.poll(gh).events == 0u);
    rig.pypi.add_release("linked", {"1.1", rig.now});
    rig.now += 3600;
    BOOST_TEST(rig.poll(pypi_id).events == 1u);
    auto rel = rig.events_of(EventKind::new_release);
    BOOST_REQUIRE(rel.size() == 1u);
    BOOST_TEST(rel[0].link.value_or("-") ==
               rig.github.api_url() + "org/linked/releases/tag/linked-v1.1");
    // ... and GitHub says nothing of it, then or after the grace period.
    rig.now += 7 * 3600;
    BOOST_TEST(rig.poll(gh).events == 0u);
    BOOST_TEST(rig.events_of(EventKind::github_release).empty());
}

BOOST_AUTO_TEST_CASE(a_refused_token_is_a_permanent_error_that_names_the_setting) {
    Rig rig("wrong");
    rig.github.set_token("right");
    rig.project("denied", "org/denied", {"1.0"});
    auto [pypi_id, gh] = rig.subscribe("denied");
    rig.poll(pypi_id);
    auto out = rig.poll(gh);
    BOOST_TEST((out.status == PollStatus::error));
    BOOST_TEST(out.error.value_or("") ==
               "github:denied: repo: http 401: GitHub refused the token (bad credentials; see "
               "[github] token)");
    BOOST_TEST(out.error.value_or("").find("wrong") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(garbage_from_github_costs_that_poll_and_keeps_what_was_known) {
    // A GitHub that answers the releases endpoint with whatever the test sets.
    std::mutex mutex;
    pinwatch::test::TestResponse releases = pinwatch::test::TestResponse::json("[]");
    pinwatch::test::TestServer server([&](pinwatch::test::TestRequest const& r) {
        std::lock_guard lock(mutex);
        auto const path = std::string(r.path());
        if (path == "/repos/o/r")
            return pinwatch::test::TestResponse::json(
                R"({"full_name": "o/r", "html_url": "https://github.com/o/r", "owner": {"type": "User"}})");
        if (path == "/repos/o/r/releases") return releases;
        return pinwatch::test::TestResponse::json("[]");
    });
    Rig rig;
    rig.settings.api_url = server.url("/");
    rig.settings.repos["odd"] = "o/r";
    rig.build();
    rig.project("odd", "o/unused", {"1.0"});
    auto [pypi_id, gh] = rig.subscribe("odd");
    rig.poll(pypi_id);
    BOOST_TEST((rig.poll(gh).status == PollStatus::ok));
    auto const known = rig.store.subscription(gh)->source_state;
    auto set = [&](pinwatch::test::TestResponse r) {
        std::lock_guard lock(mutex);
        releases = std::move(r);
    };
    struct Case {
        pinwatch::test::TestResponse answer;
        std::string error;
    };
    std::vector<Case> cases;
    cases.push_back({pinwatch::test::TestResponse::json(R"({"message": "not a list"})"),
                     "github:odd: releases: not a JSON list"});
    cases.push_back({pinwatch::test::TestResponse::text("<html>login</html>"),
                     "github:odd: releases: not a JSON list"});
    cases.push_back({pinwatch::test::TestResponse::json("[{\"tag_name\": "),
                     "github:odd: releases: not a JSON list"});
    cases.push_back(
        {pinwatch::test::TestResponse::json("{}", 503), "github:odd: releases: http 503"});
    cases.push_back(
        {pinwatch::test::TestResponse::json("{}", 404), "github:odd: releases: http 404"});
    pinwatch::test::TestResponse cut = pinwatch::test::TestResponse::json("[]");
    cut.close_before_response = true;
    cases.push_back({cut, "github:odd: "});
    for (auto& c : cases) {
        set(c.answer);
        rig.now += 60;
        auto out = rig.poll(gh);
        BOOST_TEST((out.status == PollStatus::error));
        BOOST_TEST(out.error.value_or("").rfind(c.error, 0) == 0u, out.error.value_or(""));
        // What was known stays: the next good answer is compared with it.
        BOOST_TEST((rig.store.subscription(gh)->source_state == known));
    }
    set(pinwatch::test::TestResponse::json("[]"));
    rig.now += 60;
    BOOST_TEST((rig.poll(gh).status == PollStatus::ok));
}

BOOST_AUTO_TEST_CASE(a_spike_under_way_at_the_baseline_is_told_by_the_next_poll) {
    Rig rig;
    rig.project("burning", "org/burning", {"1.0"});
    std::int64_t n = 1;
    for (int d = 1; d < 28; ++d)
        rig.github.add_issue("org/burning", {n++, rig.now - d * kDay - 100, "steady"});
    for (int i = 0; i < 10; ++i)
        rig.github.add_issue("org/burning", {n++, rig.now - 3600 + i, "on fire"});
    auto [pypi_id, gh] = rig.subscribe("burning");
    rig.poll(pypi_id);
    BOOST_TEST(rig.poll(gh).events == 0u); // the baseline is silent
    rig.now += 60;
    BOOST_TEST(rig.poll(gh).events == 1u);
    BOOST_TEST(rig.events_of(EventKind::issue_spike).size() == 1u);
    rig.now += 2 * kDay;
    BOOST_TEST(rig.poll(gh).events == 1u);
    BOOST_TEST(rig.events_of(EventKind::issue_spike_over).size() == 1u);
}
