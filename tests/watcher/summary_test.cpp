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

namespace {
// Every field of two summaries, for a readable failure.
void same(ReleaseSummary const& a, ReleaseSummary const& b) {
    BOOST_TEST((a.latest == b.latest));
    BOOST_TEST((a.latest_allowed == b.latest_allowed));
    BOOST_TEST(a.newer == b.newer, boost::test_tools::per_element());
    BOOST_TEST((a.update_type == b.update_type));
    BOOST_TEST((a.pin_yanked == b.pin_yanked));
    BOOST_TEST((a.pin_yank_reason == b.pin_yank_reason));
    BOOST_TEST((a.pin_found == b.pin_found));
    BOOST_TEST((a.drops_python == b.drops_python));
    BOOST_TEST((a.drops_requires_python == b.drops_requires_python));
    BOOST_TEST((a.newest_for_python == b.newest_for_python));
    BOOST_TEST((a.libyears == b.libyears));
    BOOST_TEST((a.release_count == b.release_count));
}

// Releases with upload times, Requires-Python and a yank reason no JSON could carry as is.
std::vector<StoredRelease> rich() {
    std::vector<StoredRelease> r = {
        {"1.0", 1, 1'600'000'000, true, std::string("broken\n\xff wheel"), ">=3.6", false},
        {"1.1", 2, 1'610'000'000, false, std::nullopt, ">=3.6", false},
        {"1.2", 3, 1'620'000'000, false, std::nullopt, std::nullopt, false},
        {"2.0", 4, 1'630'000'000, false, std::nullopt, ">=3.10", false},
        {"2.1rc1", 5, 1'640'000'000, false, std::nullopt, ">=3.12", false},
        {"not a version", 6, std::nullopt, false, std::nullopt, std::nullopt, false},
        {"0.9", 7, std::nullopt, true, std::nullopt, std::nullopt, true},
    };
    return r;
}
} // namespace

// The saved form says exactly what summarize() says of the same releases, for every kind of
// requirement and target Python, byte for byte.
BOOST_AUTO_TEST_CASE(a_saved_summary_reads_back_as_the_releases_summarised) {
    auto const releases = rich();
    std::vector<Subscription> subs = {
        req("==1.0", "1.0"),       req(">=1,<2"),       req(""),
        req("==1.1", "1.1", true), req("==3.0", "3.0"), req("not a specifier")};
    for (auto const& sub : subs)
        for (auto const& python :
             {std::optional<std::string>(), std::optional<std::string>("3.8.1"),
              std::optional<std::string>("3.12.0"), std::optional<std::string>("not-a-version")}) {
            BOOST_TEST_CONTEXT("specifier '" << sub.specifier << "', python "
                                             << python.value_or("none")) {
                auto const saved = save_summary(sub, releases, 7);
                BOOST_TEST(saved.generation == 7);
                auto const read = read_summary(saved, sub, python);
                BOOST_REQUIRE(read.has_value());
                same(*read, summarize(sub, releases, python));
            }
        }
    auto const saved = save_summary(req("==1.0", "1.0"), releases, 1);
    auto const read = read_summary(saved, req("==1.0", "1.0"));
    BOOST_TEST(read->pin_yank_reason.value() == "broken\n\xff wheel");
    BOOST_TEST(read->release_count == 7u);
    // Every upload time, oldest first, for the dashboard's health figures.
    BOOST_TEST((saved.uploads == std::vector<UnixTime>{1'600'000'000, 1'610'000'000, 1'620'000'000,
                                                       1'630'000'000, 1'640'000'000}));
}

// A saved summary holds only for the inputs it was worked out for: each one changed (the pin,
// the specifier, --pre) makes it unusable, so the reader works it out again.
BOOST_AUTO_TEST_CASE(a_saved_summary_is_refused_for_other_inputs) {
    auto const releases = rich();
    auto const saved = save_summary(req("==1.1", "1.1"), releases, 3);
    BOOST_TEST(read_summary(saved, req("==1.1", "1.1")).has_value());
    BOOST_TEST(!read_summary(saved, req("==1.2", "1.2")).has_value()); // another pin
    BOOST_TEST(!read_summary(saved, req("==1.1", std::nullopt)).has_value());
    BOOST_TEST(!read_summary(saved, req("~=1.1", "1.1")).has_value());       // another specifier
    BOOST_TEST(!read_summary(saved, req("==1.1", "1.1", true)).has_value()); // --pre
    // Each of them would have said something else.
    BOOST_TEST(summarize(req("==1.1", "1.1", true), releases).newer.size() !=
               summarize(req("==1.1", "1.1"), releases).newer.size());
    // The target Python is no input: it is judged when the summary is read.
    BOOST_TEST(read_summary(saved, req("==1.1", "1.1"), "3.8.0")->drops_python.value() == true);
    BOOST_TEST(read_summary(saved, req("==1.1", "1.1"), "3.11.0")->drops_python.value() == false);
    // A damaged body is refused, never half read.
    auto broken = saved;
    broken.body.pop_back();
    BOOST_TEST(!read_summary(broken, req("==1.1", "1.1")).has_value());
    broken.body = "garbage";
    BOOST_TEST(!read_summary(broken, req("==1.1", "1.1")).has_value());
}

// Numbers too long for a count or a time, or no digits at all, make a body unreadable, not a
// wrong summary.
BOOST_AUTO_TEST_CASE(a_saved_summary_with_numbers_out_of_range_is_refused) {
    auto saved = save_summary(req("==1.1", "1.1"), rich(), 1);
    BOOST_REQUIRE(saved.body.rfind("i7;", 0) == 0u); // the release count comes first
    for (std::string const bad :
         {"i99999999999999999999;", "i;", "i-;", "i1x;", "i-7;", "n", "s1:7"}) {
        auto broken = saved;
        broken.body = bad + saved.body.substr(3);
        BOOST_TEST(!read_summary(broken, req("==1.1", "1.1")).has_value(), bad);
    }
    auto same = saved;
    same.body = "i000000000000000007;" + saved.body.substr(3); // 18 digits: still seven
    BOOST_TEST(read_summary(same, req("==1.1", "1.1"))->release_count == 7u);
}
