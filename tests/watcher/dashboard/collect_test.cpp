#define BOOST_TEST_MODULE dashboard_collect
#include <boost/test/unit_test.hpp>

#include "tests/watcher/dashboard/state_fixture.hpp"
#include "watcher/dashboard/dashboard.hpp"

#include <algorithm>
#include <filesystem>
#include <unistd.h>

using namespace pinwatch;
using namespace pinwatch::test;
using namespace pinwatch::watcher::dashboard;
namespace tt = boost::test_tools;

namespace {
Pin const& find(Section const& s, std::string const& name) {
    auto it =
        std::find_if(s.pins.begin(), s.pins.end(), [&](Pin const& p) { return p.package == name; });
    BOOST_REQUIRE_MESSAGE(it != s.pins.end(), "no pin " << name);
    return *it;
}
std::vector<std::string> names(Section const& s) {
    std::vector<std::string> out;
    for (auto const& p : s.pins)
        out.push_back(p.package);
    return out;
}
} // namespace

BOOST_AUTO_TEST_CASE(overview_reads_every_pin_into_the_default_project_urgent_first) {
    StateFixture f;
    auto const sources = report_sources();
    auto const o = collect_overview(f.store, sources, kNow);
    BOOST_REQUIRE(o.sections.size() == 1u);
    auto const& s = o.sections.front();
    BOOST_TEST(s.project == "default");
    // Vulnerable, then yanked, then failing, then the major update, then the rest.
    BOOST_TEST((names(s) == std::vector<std::string>{"vuln", "hostile", "broken", "old", "fine"}));

    auto const& old = find(s, "old");
    BOOST_TEST(old.latest.value() == "2.0");
    BOOST_TEST(old.update.value() == UpdateType::major);
    BOOST_TEST(old.libyears.value() == 2.0, tt::tolerance(1e-9));
    BOOST_TEST(find(s, "fine").libyears.value() == 0.0);
    BOOST_TEST(find(s, "vuln").libyears.value() == 100.0 * 86400 / (365.25 * 86400),
               tt::tolerance(1e-9));

    auto const& hostile = find(s, "hostile");
    BOOST_TEST(hostile.yanked);
    BOOST_TEST(hostile.yank_reason.value() == kHostile);

    auto const& vuln = find(s, "vuln");
    BOOST_REQUIRE(vuln.advisories.size() == 1u); // the withdrawn one is not live
    BOOST_TEST(vuln.advisories[0].id == "GHSA-live-0001");
    BOOST_REQUIRE(vuln.last_event.has_value());
    BOOST_TEST(vuln.last_event->kind == EventKind::vulnerability_withdrawn);

    auto const& broken = find(s, "broken");
    BOOST_TEST(broken.failing);
    // The error is shown without the index's credentials.
    BOOST_TEST(broken.error.value().find("hunter2") == std::string::npos);
    BOOST_TEST(broken.error.value().find("http 503") != std::string::npos);

    // evaluate's rules on what the state holds: silent for a year, no repository: watch.
    BOOST_TEST(health::to_string(old.health.value().verdict) == std::string("watch"));
    BOOST_TEST(health::to_string(find(s, "broken").health.value().verdict) == std::string("watch"));

    auto const c = count(s.pins);
    BOOST_TEST(c.pins == 5u);
    BOOST_TEST(c.outdated == 3u); // old (major), hostile (patch), vuln (minor)
    BOOST_TEST(c.major == 1u);
    BOOST_TEST(c.minor == 1u);
    BOOST_TEST(c.patch == 1u);
    BOOST_TEST(c.vulnerable == 1u);
    BOOST_TEST(c.yanked == 1u);
    BOOST_TEST(c.failing == 1u);
    BOOST_TEST(c.libyears == 2.0 + 0.5 + 100.0 / 365.25, tt::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(a_repository_is_insight_about_a_pin_not_a_pin) {
    StateFixture f;
    std::vector<int> days(28, 1);
    days.back() = 9;
    f.github("old", days);
    auto const sources = report_sources();
    auto const o = collect_overview(f.store, sources, kNow);
    BOOST_TEST(o.sections.front().pins.size() == 5u);
    // With a repository to judge by, an organisation's: only the year of silence is left.
    auto const& old = find(o.sections.front(), "old");
    auto const& reasons = old.health.value().reasons;
    BOOST_TEST(std::none_of(reasons.begin(), reasons.end(), [](std::string const& r) {
        return r.find("no GitHub repository") != std::string::npos;
    }));
    auto const page = collect_package(f.store, sources, "old", kNow);
    BOOST_REQUIRE(page.has_value());
    BOOST_REQUIRE(page->insight.has_value());
    BOOST_TEST(page->insight->repo.value() == "example/old");
    BOOST_REQUIRE(page->insight->daily.has_value());
    auto const& d = *page->insight->daily;
    BOOST_REQUIRE(d.counts.size() == 28u);
    BOOST_TEST(d.counts.back() == 9);
    BOOST_TEST(d.counts.front() == 1);
    BOOST_TEST(d.threshold >= 5);
    BOOST_TEST(d.spike);
}

BOOST_AUTO_TEST_CASE(package_page_has_releases_advisories_and_where_events_went) {
    StateFixture f;
    auto const sources = report_sources();
    BOOST_TEST(!collect_package(f.store, sources, "nothing-here", kNow).has_value());
    auto const page = collect_package(f.store, sources, "vuln", kNow);
    BOOST_REQUIRE(page.has_value());
    BOOST_TEST(page->pins.size() == 1u);
    BOOST_TEST(page->releases.size() == 2u);
    BOOST_REQUIRE(page->advisories.size() == 2u);
    BOOST_TEST(page->advisories[0].advisory.id == "GHSA-live-0001");
    BOOST_TEST(page->advisories[0].live);
    BOOST_TEST(page->advisories[0].told.value() == kNow - 500);
    BOOST_TEST(page->advisories[1].advisory.id == "GHSA-gone-0002");
    BOOST_TEST(!page->advisories[1].live);
    BOOST_REQUIRE(page->events.size() == 2u); // newest first
    BOOST_TEST(page->events[0].event.kind == EventKind::vulnerability_withdrawn);
    auto const& told = page->events[1];
    BOOST_REQUIRE(told.deliveries.size() == 2u);
    BOOST_TEST(told.deliveries[0].notifier == "console");
    BOOST_TEST(told.deliveries[0].state == "delivered");
    BOOST_TEST(told.deliveries[0].delivered_at.value() == kNow - 300);
    BOOST_TEST(told.deliveries[1].notifier == "slack");
    BOOST_TEST(told.deliveries[1].state == "pending");
    BOOST_TEST(!told.deliveries[1].delivered_at.has_value());
}

BOOST_AUTO_TEST_CASE(every_pin_is_in_the_default_project_until_projects_exist) {
    Subscription s;
    s.name = "x";
    BOOST_TEST(project_of(s) == "default");
}

BOOST_AUTO_TEST_CASE(the_cache_follows_every_write_of_releases) {
    StateFixture f;
    auto const sources = report_sources();
    Cache cache;
    auto o = collect_overview(f.store, sources, kNow, &cache);
    BOOST_TEST(find(o.sections[0], "fine").latest.value() == "3.1");
    BOOST_TEST(cache.size() == 5u);
    // A poll stores a new release of one pin: that pin's figures change, the others are kept.
    StateUpdate u;
    u.subscription_id = f.ids.at("fine");
    u.now = kNow;
    u.status = PollStatus::ok;
    u.baseline_done = true;
    u.upserts = {release("4.0", kNow - 60)};
    f.store.apply(u);
    o = collect_overview(f.store, sources, kNow, &cache);
    auto const& fine = find(o.sections[0], "fine");
    BOOST_TEST(fine.latest.value() == "4.0");
    BOOST_TEST(fine.update.value() == UpdateType::major);
    // A yank is a write of releases too.
    u.upserts = {release("4.0", kNow - 60, true, std::string("broken wheel"))};
    f.store.apply(u);
    o = collect_overview(f.store, sources, kNow, &cache);
    BOOST_TEST(find(o.sections[0], "fine").latest.value() == "3.1");
}

BOOST_AUTO_TEST_CASE(the_cache_forgets_what_another_process_wrote) {
    auto const path = std::filesystem::temp_directory_path() /
                      ("pw-dash-cache-" + std::to_string(::getpid()) + ".db");
    std::filesystem::remove(path);
    {
        StateStore daemon(path.string());
        auto sub = pypi_subscription("https://pypi.example/simple/", "pkg");
        sub.specifier = "==1.0";
        sub.pinned = "1.0";
        auto const id = daemon.upsert_subscription(sub, kNow);
        StateUpdate u;
        u.subscription_id = id;
        u.now = kNow;
        u.status = PollStatus::ok;
        u.baseline_done = true;
        u.upserts = {release("1.0", kNow - kYear)};
        daemon.apply(u);
        auto const sources = report_sources();
        Cache cache;
        BOOST_TEST(
            !collect_overview(daemon, sources, kNow, &cache).sections[0].pins[0].libyears.value());
        {
            // `check --state` on the daemon's file, through its own connection.
            StateStore other(path.string());
            u.upserts = {release("2.0", kNow)};
            other.apply(u);
        }
        auto const o = collect_overview(daemon, sources, kNow, &cache);
        BOOST_TEST(o.sections[0].pins[0].latest.value() == "2.0");
        BOOST_TEST(o.sections[0].pins[0].libyears.value() == 1.0, tt::tolerance(1e-9));
    }
    for (auto const* suffix : {"", "-wal", "-shm"})
        std::filesystem::remove(path.string() + suffix);
}

namespace {
// Every pin's summary saved beside its releases, as the polls leave it.
void save_every_summary(StateFixture& f) {
    std::vector<std::pair<std::int64_t, SavedSummary>> all;
    for (auto const& s : f.store.subscriptions())
        all.emplace_back(s.id,
                         save_summary(s.sub, f.store.release_list(s.id), s.release_generation));
    f.store.save_summaries(all);
}
} // namespace

// The overview starts from the summaries the state file keeps when they fit, one query for many
// pins or one each for a few, and shows exactly what it shows from the releases themselves.
BOOST_AUTO_TEST_CASE(the_overview_reads_saved_summaries_and_shows_the_same) {
    for (int extra : {0, 40}) {
        BOOST_TEST_CONTEXT(extra << " more pins") {
            StateFixture f;
            for (int i = 0; i < extra; ++i)
                f.pin("more-" + std::to_string(i), "1.0",
                      {release("1.0", kNow - kYear), release("1.1", kNow - 86400)});
            auto const sources = report_sources();
            auto const from_releases = render_overview(collect_overview(f.store, sources, kNow));
            save_every_summary(f);
            BOOST_TEST(render_overview(collect_overview(f.store, sources, kNow)) == from_releases);

            // Proof that they are read: one worked out from other releases, saved for the
            // releases as they are, shows (a real one never differs from its releases).
            auto const fine = *f.store.subscription(f.ids.at("fine"));
            auto other = f.store.release_list(fine.id);
            other.push_back(release("9.0", kNow - 86400));
            f.store.save_summaries(
                {{fine.id, save_summary(fine.sub, other, fine.release_generation)}});
            auto const o = collect_overview(f.store, sources, kNow);
            BOOST_TEST(find(o.sections.front(), "fine").latest.value() == "9.0");
            // Its releases written again (a poll): the saved one no longer fits.
            StateUpdate u;
            u.subscription_id = fine.id;
            u.now = kNow;
            u.status = PollStatus::ok;
            u.baseline_done = true;
            u.upserts = {release("3.1", kNow - 10 * 86400)};
            f.store.apply(u);
            auto const again = collect_overview(f.store, sources, kNow);
            BOOST_TEST(find(again.sections.front(), "fine").latest.value() == "3.1");
        }
    }
}
