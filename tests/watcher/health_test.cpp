#define BOOST_TEST_MODULE health
#include <boost/test/unit_test.hpp>

#include "watcher/health.hpp"

#include <ctime>
#include <string>
#include <vector>

using namespace pinwatch::watcher::health;

namespace {
constexpr pinwatch::model::UnixTime kDay = 86400, kNow = 2000 * kDay;
}

BOOST_AUTO_TEST_CASE(pypi_releases_by_first_upload) {
    auto p = parse_pypi_project(R"({"info": {"name": "Demo", "home_page": "https://github.com/a/b",
      "project_urls": {"Source": "https://github.com/a/b"}},
      "releases": {"1.0": [{"upload_time_iso_8601": "2020-01-02T00:00:00.123Z"},
                           {"upload_time_iso_8601": "2020-01-01T00:00:00Z"}],
                   "1.1": [], "2.0": [{"upload_time_iso_8601": "2021-01-01T00:00:00Z"}]}})");
    BOOST_REQUIRE(p);
    BOOST_TEST(p->releases.size() == 2u); // 1.1 has no files
    BOOST_TEST(p->releases[0].first == "1.0");
    BOOST_TEST(p->releases[0].second == 1577836800);
    BOOST_TEST(p->project_urls.at("Source") == "https://github.com/a/b");
    BOOST_TEST(!parse_pypi_project("[]"));
    BOOST_TEST(!parse_pypi_project(R"({"info": {}})"));
}

BOOST_AUTO_TEST_CASE(durations_medians_and_counts) {
    auto m =
        merge_days(R"([{"created_at": "2020-01-01T00:00:00Z", "merged_at": "2020-01-03T00:00:00Z"},
                           {"created_at": "2020-01-01T00:00:00Z", "merged_at": null},
                           {"created_at": "2020-01-01T00:00:00Z", "merged_at": "2020-01-11T00:00:00Z"}])");
    BOOST_REQUIRE(m);
    BOOST_TEST(m->size() == 2u);
    BOOST_TEST(median(*m).value() == 6.0);
    auto c =
        close_days(R"([{"created_at": "2020-01-01T00:00:00Z", "closed_at": "2020-01-02T00:00:00Z"},
                           {"created_at": "2020-01-01T00:00:00Z", "closed_at": "2020-02-01T00:00:00Z",
                            "pull_request": {"url": "x"}}])");
    BOOST_REQUIRE(c);
    BOOST_TEST(c->size() == 1u); // the pull request is not an issue
    BOOST_TEST(!median({}));
    BOOST_TEST(median({3, 1, 2}).value() == 2.0);
    BOOST_TEST(
        count_from_page(
            "[{}]",
            R"(<https://x/pulls?per_page=1&page=2>; rel="next", <https://x/pulls?per_page=1&page=57>; rel="last")")
            .value() == 57);
    BOOST_TEST(count_from_page("[{}]", "").value() == 1);
    BOOST_TEST(count_from_page("[]", "").value() == 0);
}

BOOST_AUTO_TEST_CASE(verdicts_and_their_reasons) {
    Facts f;
    f.first_release = kNow - 900 * kDay;
    PypiProject p;
    p.releases = {{"1.0", kNow - 900 * kDay},
                  {"1.1", kNow - 100 * kDay},
                  {"1.2", kNow - 40 * kDay},
                  {"1.3", kNow - 10 * kDay}};
    release_facts(p, kNow, f);
    BOOST_TEST(f.releases_last_12_months == 3);
    BOOST_TEST(f.median_days_between_releases.value() == 45.0);
    f.repo = "org/x";
    f.owner_type = "organization";
    f.archived = false;
    f.median_days_to_merge = 3;
    auto j = judge(f, kNow);
    BOOST_TEST(to_string(j.verdict) == std::string("healthy"));
    BOOST_TEST(!j.reasons.empty());

    auto slow = f;
    slow.median_days_to_merge = 45;
    slow.owner_type = "user";
    j = judge(slow, kNow);
    BOOST_TEST(to_string(j.verdict) == std::string("watch"));
    BOOST_TEST(j.reasons.size() == 2u);

    auto old = f;
    old.last_release = kNow - 800 * kDay;
    j = judge(old, kNow);
    BOOST_TEST(to_string(j.verdict) == std::string("risky"));
    BOOST_TEST(j.reasons[0].find("over two years") != std::string::npos, j.reasons[0]);

    auto archived = f;
    archived.archived = true;
    BOOST_TEST(to_string(judge(archived, kNow).verdict) == std::string("risky"));
}

namespace {
std::string iso(pinwatch::model::UnixTime t) {
    char buf[32];
    std::time_t const tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}
// One closed item as GitHub lists it.
std::string item(pinwatch::model::UnixTime created, pinwatch::model::UnixTime closed,
                 pinwatch::model::UnixTime updated, bool pr = false) {
    return R"({"created_at":")" + iso(created) + R"(","closed_at":")" + iso(closed) +
           R"(","updated_at":")" + iso(updated) + R"(")" +
           (pr ? R"(,"pull_request":{"url":"x"})" : "") + "}";
}
std::string page(std::vector<std::string> const& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i)
        out += (i ? "," : "") + items[i];
    return out + "]";
}
} // namespace

BOOST_AUTO_TEST_CASE(the_items_closed_last_are_measured_not_the_ones_updated_last) {
    // Sorted by update: 3 old items a bot touched, then 3 closed lately; want the newest 3.
    RecentlyClosed c(true, 3);
    std::vector<std::string> first{item(kNow - 900 * kDay, kNow - 500 * kDay, kNow - 1),
                                   item(kNow - 900 * kDay, kNow - 500 * kDay, kNow - 2),
                                   item(kNow - 900 * kDay, kNow - 500 * kDay, kNow - 3),
                                   item(kNow - 12 * kDay, kNow - 10 * kDay, kNow - 10 * kDay),
                                   item(kNow - 22 * kDay, kNow - 20 * kDay, kNow - 20 * kDay, true),
                                   item(kNow - 32 * kDay, kNow - 30 * kDay, kNow - 30 * kDay)};
    // Pad to a full page of 100 so the list is not taken as ended.
    for (int i = 0; i < 94; ++i)
        first.push_back(item(kNow - 50 * kDay, kNow - 40 * kDay, kNow - 40 * kDay - i));
    BOOST_REQUIRE(c.add_page(page(first)));
    // 3 issues closed at or after 40 days ago are held, and the last item was updated at
    // 40 days + 93 s ago: nothing later can be newer. (The pull request is left out.)
    BOOST_TEST(c.complete());
    auto const newest = c.newest();
    BOOST_REQUIRE_EQUAL(newest.size(), 3u);
    BOOST_TEST(newest[0].closed == kNow - 10 * kDay);
    BOOST_TEST(newest[1].closed == kNow - 30 * kDay);
    BOOST_TEST(median_days_to_close(newest).value() == 2.0);

    // Fewer than wanted on a full page, all updated lately: not complete; a short page ends it.
    RecentlyClosed more(false, 3);
    std::vector<std::string> touched;
    for (int i = 0; i < 100; ++i)
        touched.push_back(item(kNow - 900 * kDay, kNow - 800 * kDay, kNow - i));
    BOOST_REQUIRE(more.add_page(page(touched)));
    BOOST_TEST(!more.complete()); // 100 old ones held, but a later page may hold newer closes
    BOOST_REQUIRE(more.add_page(page({item(kNow - 3 * kDay, kNow - kDay, kNow - kDay)})));
    BOOST_TEST(more.complete());
    BOOST_TEST(more.newest()[0].closed == kNow - kDay);
    BOOST_TEST(!more.add_page("{}"));
}

BOOST_AUTO_TEST_CASE(without_github_the_verdict_rests_on_pypi_and_says_so) {
    Facts f;
    f.first_release = kNow - 900 * kDay;
    f.last_release = kNow - 10 * kDay;
    f.releases_last_12_months = 4;
    f.repo = "o/r";
    f.github_error = "http 404";
    auto const j = judge(f, kNow);
    BOOST_TEST(to_string(j.verdict) == std::string("healthy"));
    BOOST_REQUIRE(!j.reasons.empty());
    BOOST_TEST(j.reasons.back() == "GitHub not read (http 404): judged by PyPI's figures alone");
    f.last_release = kNow - 800 * kDay; // PyPI's figures alone can still make it risky
    BOOST_TEST(to_string(judge(f, kNow).verdict) == std::string("risky"));
}
