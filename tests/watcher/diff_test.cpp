#define BOOST_TEST_MODULE diff
#include <boost/test/unit_test.hpp>

#include "watcher/diff.hpp"
#include "watcher/sources/pypi.hpp"

using namespace pinwatch::watcher;

namespace {
StoredSubscription stored(std::optional<std::string> pin = "1.2.0", std::string spec = "==1.2.0",
                          bool baseline_done = true) {
    StoredSubscription s;
    s.id = 7;
    s.sub = pypi_subscription("https://pypi.org/simple/", "demo");
    s.sub.pinned = std::move(pin);
    s.sub.specifier = std::move(spec);
    s.baseline_done = baseline_done;
    s.last_status = baseline_done ? PollStatus::ok : PollStatus::pending;
    return s;
}
std::map<std::string, StoredRelease> known(std::initializer_list<std::pair<char const*, bool>> rs) {
    std::map<std::string, StoredRelease> out;
    for (auto const& [v, yanked] : rs)
        out[v] = StoredRelease{v, 100, std::nullopt, yanked, std::nullopt};
    return out;
}
Observation observed(std::initializer_list<std::pair<char const*, bool>> rs) {
    Observation o;
    for (auto const& [v, yanked] : rs) {
        Release r;
        r.version = v;
        r.yanked = yanked;
        if (yanked) r.yank_reason = "oops";
        o.releases.push_back(r);
    }
    o.validator = "\"e2\"";
    return o;
}
} // namespace

BOOST_AUTO_TEST_CASE(first_poll_is_a_silent_baseline_except_for_a_yanked_pin) {
    auto s = stored(std::string("1.0"), "==1.0", false);
    auto u = diff(s, {}, observed({{"1.0", true}, {"2.0", false}}), 1000, 2000);
    // The releases are the baseline; the team's own pin being yanked is said at once.
    BOOST_REQUIRE(u.events.size() == 1u);
    BOOST_TEST(u.events[0].kind == EventKind::pinned_yanked);
    BOOST_TEST(u.events[0].detail == "oops");
    BOOST_TEST(u.pin_notice.value() == "yanked:1.0");
    BOOST_TEST(u.upserts.size() == 2u);
    BOOST_TEST(u.baseline_done);
    BOOST_TEST(u.status == PollStatus::ok);
    BOOST_TEST(u.validator.value_or("") == "\"e2\"");
    BOOST_TEST(u.next_due == 2000);
}

BOOST_AUTO_TEST_CASE(new_release_is_one_classified_event) {
    auto u = diff(stored(), known({{"1.2.0", false}}),
                  observed({{"1.2.0", false}, {"2.0.0", false}}), 1000, 2000);
    BOOST_REQUIRE(u.events.size() == 1u);
    auto const& e = u.events[0];
    BOOST_TEST(to_string(e.kind) == std::string("new_release"));
    BOOST_TEST(e.version.value() == "2.0.0");
    BOOST_TEST(to_string(*e.update) == std::string("major"));
    BOOST_TEST(e.allowed.value() == false);
    BOOST_TEST(e.package == "demo");
    BOOST_TEST(u.upserts.size() == 1u);
}

BOOST_AUTO_TEST_CASE(classification_table) {
    struct Case {
        char const* ref;
        char const* cand;
        UpdateType want;
    } const cases[] = {
        {"1.2.0", "2.0.0", UpdateType::major},
        {"1.2.0", "1.3.0", UpdateType::minor},
        {"1.2.0", "1.2.1", UpdateType::patch},
        {"1.2", "1.2.0.1", UpdateType::patch},
        {"1.2.0", "1.2.0.post1", UpdateType::patch},
        {"1.2.0", "1.3.0rc1", UpdateType::prerelease},
        {"1.2.0", "1.1.9", UpdateType::older},
        {"1.2.0", "1.2.0", UpdateType::none},
        {"1.2", "1.2.0", UpdateType::none},
        {"1.2.0", "1!0.1", UpdateType::major},
        {"0.9", "1.0", UpdateType::major},
        {"1.2.0", "not a version", UpdateType::none},
        {"1.2.0", "99999999999999999999999.0", UpdateType::major},
    };
    for (auto const& c : cases)
        BOOST_TEST(classify_update(c.ref, c.cand) == c.want, c.ref << " -> " << c.cand);
}

BOOST_AUTO_TEST_CASE(allowed_follows_the_specifier_and_prerelease_rule) {
    auto s = stored(std::nullopt, "<3,>=2");
    auto u =
        diff(s, known({{"2.0", false}}),
             observed({{"2.0", false}, {"2.5", false}, {"3.0", false}, {"2.6b1", false}}), 1, 2);
    BOOST_REQUIRE(u.events.size() == 3u);
    std::map<std::string, Event> by;
    for (auto const& e : u.events)
        by[*e.version] = e;
    BOOST_TEST(by["2.5"].allowed.value());
    BOOST_TEST(!by["3.0"].allowed.value());
    BOOST_TEST(!by["2.6b1"].allowed.value()); // pre-releases are not allowed unless asked for
    BOOST_TEST(to_string(*by["2.5"].update) == std::string("minor")); // against newest known
    s.sub.prereleases = true;
    BOOST_TEST(specifier_allows(s.sub, "2.6b1"));
}

BOOST_AUTO_TEST_CASE(yank_and_unyank) {
    auto s = stored("1.0", "==1.0");
    auto u = diff(s, known({{"1.0", false}, {"1.1", false}}),
                  observed({{"1.0", false}, {"1.1", true}}), 1, 2);
    BOOST_REQUIRE(u.events.size() == 1u);
    BOOST_TEST(to_string(u.events[0].kind) == std::string("release_yanked"));
    BOOST_TEST(u.events[0].detail == "oops");
    BOOST_REQUIRE(u.upserts.size() == 1u);
    BOOST_TEST(u.upserts[0].yanked);
    BOOST_TEST(u.upserts[0].first_seen == 100); // history kept

    auto back = diff(s, known({{"1.0", false}, {"1.1", true}}),
                     observed({{"1.0", false}, {"1.1", false}}), 1, 2);
    BOOST_REQUIRE(back.events.size() == 1u);
    BOOST_TEST(to_string(back.events[0].kind) == std::string("release_unyanked"));
}

BOOST_AUTO_TEST_CASE(pinned_yank_is_one_event_and_matches_equal_versions) {
    auto s = stored("1.0.0", "==1.0.0");
    auto u = diff(s, known({{"1.0", false}}), observed({{"1.0", true}}), 1, 2);
    BOOST_REQUIRE(u.events.size() == 1u);
    BOOST_TEST(to_string(u.events[0].kind) == std::string("pinned_yanked"));
}

BOOST_AUTO_TEST_CASE(unchanged_poll_changes_nothing) {
    auto s = stored();
    Observation o;
    o.status = Observation::Status::not_modified;
    auto u = diff(s, known({{"1.2.0", false}}), o, 1, 2);
    BOOST_TEST(u.events.empty());
    BOOST_TEST(u.upserts.empty());
    BOOST_TEST(u.removed.empty());
    BOOST_TEST(u.status == PollStatus::unchanged);
    BOOST_TEST(!u.clear_validator);
    // And a full response equal to what is known is silent too.
    auto same = diff(s, known({{"1.2.0", false}}), observed({{"1.2.0", false}}), 1, 2);
    BOOST_TEST(same.events.empty());
    BOOST_TEST(same.upserts.empty());
}

BOOST_AUTO_TEST_CASE(removed_release_and_empty_listing) {
    auto s = stored();
    auto u =
        diff(s, known({{"1.2.0", false}, {"1.3.0", false}}), observed({{"1.2.0", false}}), 1, 2);
    BOOST_REQUIRE(u.events.size() == 1u);
    BOOST_TEST(to_string(u.events[0].kind) == std::string("release_removed"));
    BOOST_TEST(u.removed == std::vector<std::string>{"1.3.0"});

    // An index that lists nothing is treated as broken, not as "everything removed".
    auto empty = diff(s, known({{"1.2.0", false}}), observed({}), 1, 2);
    BOOST_TEST(empty.events.empty());
    BOOST_TEST(empty.removed.empty());
    BOOST_TEST(empty.status == PollStatus::error);
    BOOST_TEST(empty.consecutive_failures == 1);
}

BOOST_AUTO_TEST_CASE(gone_is_reported_once) {
    auto s = stored();
    Observation gone;
    gone.status = Observation::Status::gone;
    auto u = diff(s, known({{"1.2.0", false}}), gone, 1, 2);
    BOOST_REQUIRE(u.events.size() == 1u);
    BOOST_TEST(to_string(u.events[0].kind) == std::string("package_gone"));
    BOOST_TEST((u.gone == StateUpdate::Gone::set));
    s.gone_since = 1;
    BOOST_TEST(diff(s, {}, gone, 3, 4).events.empty());
    // Errors in between do not make it "new" again.
    SourceError err{SourceError::Kind::temporary, "pypi:demo: timeout", std::nullopt};
    auto failed = diff_failure(s, err, 5, 6);
    BOOST_TEST((failed.gone == StateUpdate::Gone::keep));
    s.last_status = PollStatus::error;
    BOOST_TEST(diff(s, {}, gone, 7, 8).events.empty());
    // Back on the index, then gone again: a new disappearance.
    Observation back = observed({{"1.2.0", false}});
    BOOST_TEST((diff(s, known({{"1.2.0", false}}), back, 9, 10).gone == StateUpdate::Gone::clear));
    s.gone_since.reset();
    BOOST_TEST(diff(s, {}, gone, 11, 12).events.size() == 1u);
    auto fresh = stored("1", "==1", false);
    BOOST_TEST(
        diff(fresh, {}, gone, 1, 2).events.empty()); // a typo'd name on first poll: status only
}

BOOST_AUTO_TEST_CASE(failures_report_once_at_the_threshold_and_recovery_once) {
    auto s = stored();
    SourceError err{SourceError::Kind::temporary, "pypi:demo: http 503", std::nullopt};
    DiffPolicy p{3};
    std::size_t events = 0;
    for (int i = 0; i < 6; ++i) {
        auto u = diff_failure(s, err, i, i + 1, p);
        s.consecutive_failures = u.consecutive_failures;
        events += u.events.size();
        if (u.consecutive_failures == 3) {
            BOOST_REQUIRE(u.events.size() == 1u);
            BOOST_TEST(u.events[0].detail == "pypi:demo: http 503");
        }
        BOOST_TEST(u.status == PollStatus::error);
    }
    BOOST_TEST(events == 1u);
    Observation o;
    o.status = Observation::Status::not_modified;
    auto ok = diff(s, known({{"1.2.0", false}}), o, 10, 11, p);
    BOOST_REQUIRE(ok.events.size() == 1u);
    BOOST_TEST(to_string(ok.events[0].kind) == std::string("source_recovered"));
    BOOST_TEST(ok.consecutive_failures == 0);
}

BOOST_AUTO_TEST_CASE(a_stale_page_is_ignored) {
    auto s = stored();
    s.sequence = 100;
    auto obs = observed({{"1.2.0", false}}); // 1.3.0 missing: an old copy
    obs.sequence = 95;
    auto u = diff(s, known({{"1.2.0", false}, {"1.3.0", false}}), obs, 1, 2);
    BOOST_TEST(u.events.empty());
    BOOST_TEST(u.removed.empty());
    BOOST_TEST(u.upserts.empty());
    BOOST_TEST(!u.validator.has_value()); // its validator is not kept either
    BOOST_TEST(u.error.value().find("stale") != std::string::npos);
    obs.sequence = 101;
    BOOST_TEST(diff(s, known({{"1.2.0", false}, {"1.3.0", false}}), obs, 1, 2).events.size() == 1u);
}

BOOST_AUTO_TEST_CASE(an_empty_first_listing_is_not_a_baseline) {
    auto s = stored("1.0", "==1.0", false);
    auto first = diff(s, {}, observed({}), 1, 2);
    BOOST_TEST(!first.baseline_done);
    BOOST_TEST(first.events.empty());
    auto second = diff(s, {}, observed({{"0.9", false}, {"1.0", false}}), 3, 4);
    BOOST_TEST(second.baseline_done);
    BOOST_TEST(second.events.empty()); // still the silent baseline
}

BOOST_AUTO_TEST_CASE(failing_and_recovered_pair_up_from_every_path) {
    DiffPolicy p{3};
    // Failures before the first success: failing once, recovered with the baseline.
    auto s = stored("1.0", "==1.0", false);
    SourceError err{SourceError::Kind::temporary, "pypi:demo: http 502", std::nullopt};
    std::size_t failing = 0;
    for (int i = 0; i < 4; ++i) {
        auto u = diff_failure(s, err, i, i + 1, p);
        failing += u.events.size();
        s.consecutive_failures = u.consecutive_failures;
    }
    BOOST_TEST(failing == 1u);
    auto base = diff(s, {}, observed({{"1.0", false}}), 10, 11, p);
    BOOST_REQUIRE_EQUAL(base.events.size(), 1u);
    BOOST_TEST(base.events[0].kind == EventKind::source_recovered);

    // Empty listings count as failures and cross the threshold like any other.
    auto t = stored();
    t.consecutive_failures = 2;
    auto empty = diff(t, known({{"1.2.0", false}}), observed({}), 1, 2, p);
    BOOST_REQUIRE_EQUAL(empty.events.size(), 1u);
    BOOST_TEST(empty.events[0].kind == EventKind::source_failing);
}

BOOST_AUTO_TEST_CASE(releases_match_across_spellings_and_events_hide_credentials) {
    auto s = stored();
    s.sub = pypi_subscription("https://user:s3cret@pypi.internal.example/simple/", s.sub.name);
    auto u = diff(s, known({{"1.0.0-RC1", false}, {"1.2.0", false}}),
                  observed({{"1.0.0rc1", true}, {"1.2.0", false}, {"1.3", false}}), 1, 2);
    BOOST_REQUIRE_EQUAL(u.events.size(), 2u); // the yank and 1.3; no removal, no "new" 1.0.0rc1
    for (auto const& e : u.events) {
        BOOST_TEST(e.origin.find("s3cret") == std::string::npos, e.origin);
        BOOST_TEST(e.origin.find("pypi.internal.example") != std::string::npos);
    }
    BOOST_TEST(u.events[0].kind == EventKind::release_yanked);
    BOOST_TEST(*u.events[0].version == "1.0.0-RC1"); // the stored spelling
    BOOST_TEST(u.removed.empty());
}

BOOST_AUTO_TEST_CASE(legacy_versions_match_whatever_their_case) {
    auto s = stored(std::nullopt, "");
    auto obs = observed({{"2004D", false}, {"1.0", false}});
    for (auto& r : obs.releases)
        r.key = release_key(r.version); // as the source fills it
    BOOST_TEST(obs.releases[0].key == "2004d");
    auto u = diff(s, known({{"2004d", false}, {"1.0", false}}), obs, 1, 2);
    BOOST_TEST(u.events.empty());
    BOOST_TEST(u.removed.empty());
}

BOOST_AUTO_TEST_CASE(a_yanked_or_missing_pin_is_told_once_also_after_the_pin_changed) {
    auto s = stored(std::string("1.0"), "==1.0", true);
    s.pin_notice = "ok:1.0";
    auto const listing = observed({{"1.0", false}, {"1.1", true}, {"2.0", false}});
    auto const k = known({{"1.0", false}, {"1.1", true}, {"2.0", false}});
    // Nothing new about 1.0.
    auto quiet = diff(s, k, listing, 1000, 2000);
    BOOST_TEST(quiet.events.empty());
    BOOST_TEST(!quiet.pin_notice.has_value());
    // The pin moves to 1.1, already yanked: one pinned_yanked, from the listing or from a 304.
    s.sub.pinned = "1.1";
    auto moved = diff(s, k, listing, 1000, 2000);
    BOOST_REQUIRE(moved.events.size() == 1u);
    BOOST_TEST(moved.events[0].kind == EventKind::pinned_yanked);
    BOOST_TEST(moved.events[0].version.value() == "1.1");
    BOOST_TEST(moved.pin_notice.value() == "yanked:1.1");
    Observation not_modified;
    not_modified.status = Observation::Status::not_modified;
    BOOST_TEST(pin_needs_check(s));
    auto from_304 = diff(s, k, not_modified, 1000, 2000);
    BOOST_REQUIRE(from_304.events.size() == 1u);
    BOOST_TEST(from_304.events[0].kind == EventKind::pinned_yanked);
    // Told once: the next poll with the notice stored says nothing.
    s.pin_notice = "yanked:1.1";
    BOOST_TEST(!pin_needs_check(s));
    BOOST_TEST(diff(s, k, listing, 1000, 2000).events.empty());
    // A pin the index does not list at all.
    s.sub.pinned = "9.9";
    auto missing = diff(s, k, listing, 1000, 2000);
    BOOST_REQUIRE(missing.events.size() == 1u);
    BOOST_TEST(missing.events[0].kind == EventKind::pin_not_found);
    BOOST_TEST(missing.events[0].detail == "pinned 9.9 is not on the index");
    s.pin_notice = "missing:9.9";
    BOOST_TEST(diff(s, k, listing, 1000, 2000).events.empty());
}

BOOST_AUTO_TEST_CASE(a_state_file_from_before_pin_notices_learns_them_silently) {
    auto s = stored(std::string("1.1"), "==1.1", true); // baseline done, no pin notice yet
    auto u = diff(s, known({{"1.1", true}}), observed({{"1.1", true}}), 1000, 2000);
    BOOST_TEST(u.events.empty());
    BOOST_TEST(u.pin_notice.value() == "yanked:1.1");
}
