#define BOOST_TEST_MODULE summary
#include <boost/test/unit_test.hpp>

#include "watcher/summary.hpp"

using namespace pinwatch::watcher;

namespace {
std::vector<StoredRelease> rel(std::initializer_list<std::pair<char const*, bool>> rs) {
    std::vector<StoredRelease> out;
    for (auto const& [v, y] : rs)
        out.push_back(StoredRelease{v, 0, std::nullopt, y,
                                    y ? std::optional<std::string>("bad") : std::nullopt});
    return out;
}
Subscription req(std::string spec, std::optional<std::string> pin = std::nullopt,
                 bool pre = false) {
    Subscription s;
    s.name = "x";
    s.specifier = std::move(spec);
    s.pinned = std::move(pin);
    s.prereleases = pre;
    return s;
}
} // namespace

BOOST_AUTO_TEST_CASE(pinned_requirement) {
    auto s = summarize(req("==1.0", "1.0"), rel({{"0.9", false},
                                                 {"1.0", true},
                                                 {"1.0.1", false},
                                                 {"1.1", false},
                                                 {"2.0rc1", false},
                                                 {"1.2", true}}));
    BOOST_TEST(s.latest.value() == "1.1");
    BOOST_TEST(s.latest_allowed.has_value() == false); // only the yanked 1.0 matches
    BOOST_TEST((s.newer == std::vector<std::string>{"1.0.1", "1.1"}));
    BOOST_TEST(to_string(*s.update_type) == std::string("minor"));
    BOOST_TEST(s.pin_yanked);
    BOOST_TEST(s.pin_yank_reason.value() == "bad");
    BOOST_TEST(s.pin_found);
}

BOOST_AUTO_TEST_CASE(pin_matches_equal_spellings_and_up_to_date_is_none) {
    auto s = summarize(req("==1.0.0", "1.0.0"), rel({{"1.0", false}}));
    BOOST_TEST(s.pin_found);
    BOOST_TEST(s.newer.empty());
    BOOST_TEST(to_string(*s.update_type) == std::string("none"));
}

BOOST_AUTO_TEST_CASE(range_requirement_uses_the_specifier) {
    auto s = summarize(
        req(">=2,<3"),
        rel({{"2.0", false}, {"2.5", false}, {"2.6", true}, {"3.0", false}, {"2.7b1", false}}));
    BOOST_TEST(s.latest.value() == "3.0");
    BOOST_TEST(s.latest_allowed.value() == "2.5");
    BOOST_TEST(s.newer.empty()); // nothing pinned, nothing "newer than the pin"
    BOOST_TEST(!s.update_type.has_value());
}

BOOST_AUTO_TEST_CASE(prereleases_only_when_allowed) {
    auto const rs = rel({{"1.0", false}, {"1.1b1", false}});
    auto plain = summarize(req("==1.0", "1.0"), rs);
    BOOST_TEST(plain.newer.empty());
    auto pre = summarize(req("==1.0", "1.0", true), rs);
    BOOST_TEST((pre.newer == std::vector<std::string>{"1.1b1"}));
    BOOST_TEST(to_string(*pre.update_type) == std::string("pre-release"));
    // A specifier naming a pre-release allows them (packaging's implicit rule).
    auto named = summarize(req(">=1.1a1"), rs);
    BOOST_TEST(named.latest_allowed.value() == "1.1b1");
}

BOOST_AUTO_TEST_CASE(only_prereleases_on_the_index) {
    auto s = summarize(req(""), rel({{"0.1a1", false}, {"0.1b2", false}}));
    BOOST_TEST(s.latest.value() == "0.1b2");
    BOOST_TEST(s.latest_allowed.value() ==
               "0.1b2"); // an empty specifier falls back to pre-releases
}

BOOST_AUTO_TEST_CASE(everything_yanked_or_unparseable) {
    auto s = summarize(req(""), rel({{"1.0", true}, {"not-a-version", false}}));
    BOOST_TEST(!s.latest.has_value());
    BOOST_TEST(!s.latest_allowed.has_value());
}

BOOST_AUTO_TEST_CASE(the_newest_upgrade_dropping_the_target_python_is_flagged) {
    auto releases = rel({{"1.0", false}, {"1.1", false}, {"1.2", false}, {"2.0", false}});
    releases[1].requires_python = ">=3.8";
    releases[2].requires_python = ">=3.8";
    releases[3].requires_python = ">=3.10";
    auto const s = summarize(req("==1.0", "1.0"), releases, std::string("3.9.18"));
    BOOST_TEST(s.drops_python.value());
    BOOST_TEST(s.drops_requires_python.value() == ">=3.10");
    BOOST_TEST(s.newest_for_python.value() == "1.2"); // the newest that still runs on 3.9
    auto const ok = summarize(req("==1.0", "1.0"), releases, std::string("3.12.1"));
    BOOST_TEST(!ok.drops_python.value());
    BOOST_TEST(ok.newest_for_python.value() == "2.0");
    // No target Python, or nothing newer: not judged.
    BOOST_TEST(!summarize(req("==1.0", "1.0"), releases).drops_python.has_value());
    BOOST_TEST(
        !summarize(req("==2.0", "2.0"), releases, std::string("3.9.18")).drops_python.has_value());
    // Nothing declared: nothing to judge, and every newer version counts as running.
    auto const bare = summarize(req("==1.0", "1.0"), rel({{"1.0", false}, {"1.1", false}}),
                                std::string("3.9.18"));
    BOOST_TEST(!bare.drops_python.has_value());
    BOOST_TEST(bare.newest_for_python.value() == "1.1");
}

BOOST_AUTO_TEST_CASE(libyears_between_the_pins_upload_and_the_latests) {
    constexpr UnixTime kYear = 365 * 86400 + 6 * 3600; // 365.25 days
    auto releases = rel({{"1.0", false}, {"1.1", false}, {"2.0", false}, {"3.0a1", false}});
    releases[0].upload_time = 1'000'000'000;
    releases[1].upload_time = 1'000'000'000 + kYear / 2;
    releases[2].upload_time = 1'000'000'000 + 2 * kYear;
    releases[3].upload_time = 1'000'000'000 + 3 * kYear; // a pre-release is not the latest
    auto s = summarize(req("==1.0", "1.0"), releases);
    BOOST_TEST(s.libyears.value() == 2.0, boost::test_tools::tolerance(1e-9));
    s = summarize(req("==1.1", "1.1"), releases);
    BOOST_TEST(s.libyears.value() == 1.5, boost::test_tools::tolerance(1e-9));
    s = summarize(req("==2.0", "2.0"), releases);
    BOOST_TEST(s.libyears.value() == 0.0); // the pin is the latest
    // A backport uploaded after the latest lags nothing (never negative).
    StoredRelease backport;
    backport.version = "1.0.1";
    backport.upload_time = 1'000'000'000 + 4 * kYear;
    releases.push_back(backport);
    s = summarize(req("==1.0.1", "1.0.1"), releases);
    BOOST_TEST(s.libyears.value() == 0.0);
    // No pin, or an upload time unknown: no figure.
    BOOST_TEST(!summarize(req(">=1"), releases).libyears);
    releases[0].upload_time.reset();
    BOOST_TEST(!summarize(req("==1.0", "1.0"), releases).libyears);
    BOOST_TEST(libyears_between(0, 2 * kYear) == 2.0, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(libyears_between(kYear, 0) == 0.0);
}
