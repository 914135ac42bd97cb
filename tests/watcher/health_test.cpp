#define BOOST_TEST_MODULE health
#include <boost/test/unit_test.hpp>

#include "watcher/health.hpp"

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
