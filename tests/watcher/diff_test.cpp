#define BOOST_TEST_MODULE diff
#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "watcher/diff.hpp"
#include "watcher/sources/pypi/pypi.hpp"

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
    // A typo'd name on its first poll is told once (#16: it used to be silent), as
    // pin_not_found, and not again at the next poll (its notice is kept).
    auto fresh = stored("1", "==1", false);
    auto const first = diff(fresh, {}, gone, 1, 2);
    BOOST_REQUIRE(first.events.size() == 1u);
    BOOST_TEST(first.events[0].kind == EventKind::pin_not_found);
    BOOST_TEST(first.events[0].detail.find("no project named") != std::string::npos);
    BOOST_REQUIRE(first.pin_notice.has_value());
    fresh.pin_notice = first.pin_notice;
    fresh.gone_since = 1;
    BOOST_TEST(diff(fresh, {}, gone, 3, 4).events.empty());
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

// --- what is worth telling: advisories, yanked pins, Python drops, rules -----------------

namespace {
Advisory advisory(std::string id, std::vector<std::string> fixed = {"1.3.0"},
                  std::optional<std::string> withdrawn = std::nullopt) {
    Advisory a;
    a.id = std::move(id);
    a.aliases = {"CVE-2026-0001"};
    a.summary = "remote code execution";
    a.link = "https://osv.dev/vulnerability/" + a.id;
    a.fixed_in = std::move(fixed);
    a.withdrawn = std::move(withdrawn);
    return a;
}
Observation with_advisories(Observation o, std::string version, std::vector<Advisory> list) {
    VulnerabilityReading r;
    r.version = std::move(version);
    r.advisories = std::move(list);
    r.validator = "\"v1\"";
    o.vulnerabilities = std::move(r);
    return o;
}
Observation not_modified() {
    Observation o;
    o.status = Observation::Status::not_modified;
    return o;
}
// Applies what an update says about the advisories to the stored subscription.
void remember(StoredSubscription& s, StateUpdate const& u) {
    if (u.vulns) s.vulns = *u.vulns;
}
std::vector<Event> of_kind(StateUpdate const& u, EventKind k) {
    std::vector<Event> out;
    for (auto const& e : u.events)
        if (e.kind == k) out.push_back(e);
    return out;
}
} // namespace

BOOST_AUTO_TEST_CASE(an_advisory_is_told_once_and_its_withdrawal_retracts_it_once) {
    auto s = stored();
    auto const k = known({{"1.2.0", false}, {"1.3.0", false}});
    auto const listing = observed({{"1.2.0", false}, {"1.3.0", false}});

    // Published: one urgent event with everything the team needs.
    auto u = diff(s, k, with_advisories(listing, "1.2.0", {advisory("PYSEC-1")}), 1000, 2000);
    auto told = of_kind(u, EventKind::vulnerability);
    BOOST_REQUIRE_EQUAL(told.size(), 1u);
    BOOST_TEST(is_urgent(told[0].kind));
    BOOST_TEST(told[0].version.value() == "1.2.0");
    BOOST_TEST(told[0].advisory->id == "PYSEC-1");
    BOOST_TEST(told[0].advisory->aliases.at(0) == "CVE-2026-0001");
    BOOST_TEST(told[0].advisory->fixed_in.at(0) == "1.3.0");
    BOOST_TEST(!told[0].advisory->fix_allowed.has_value()); // '==1.2.0' allows no fix
    BOOST_TEST(u.vulns->live.size() == 1u);
    BOOST_TEST(u.vulns->validator.value() == "\"v1\"");
    BOOST_TEST(u.vulns->checked.value() == 1000);
    remember(s, u);

    // Read again (a full answer, then a 304): nothing new.
    u = diff(s, k, with_advisories(listing, "1.2.0", {advisory("PYSEC-1")}), 1100, 2100);
    BOOST_TEST(u.events.empty());
    remember(s, u);
    auto nm = not_modified();
    nm.vulnerabilities = VulnerabilityReading{"1.2.0", true, {}, std::nullopt, std::nullopt};
    u = diff(s, k, nm, 1200, 2200);
    BOOST_TEST(u.events.empty());
    BOOST_TEST(u.vulns->live.size() == 1u);
    remember(s, u);

    // Withdrawn upstream: one retraction naming when; never live again.
    u = diff(
        s, k,
        with_advisories(listing, "1.2.0", {advisory("PYSEC-1", {"1.3.0"}, "2026-11-25T10:00:00Z")}),
        1300, 2300);
    auto retracted = of_kind(u, EventKind::vulnerability_withdrawn);
    BOOST_REQUIRE_EQUAL(retracted.size(), 1u);
    BOOST_TEST(u.events.size() == 1u);
    BOOST_TEST(retracted[0].advisory->id == "PYSEC-1");
    BOOST_TEST(retracted[0].advisory->withdrawn.value() == "2026-11-25T10:00:00Z");
    BOOST_TEST(retracted[0].detail == "withdrawn 2026-11-25T10:00:00Z");
    BOOST_TEST(u.vulns->live.empty());
    remember(s, u);
    u = diff(
        s, k,
        with_advisories(listing, "1.2.0", {advisory("PYSEC-1", {"1.3.0"}, "2026-11-25T10:00:00Z")}),
        1400, 2400);
    BOOST_TEST(u.events.empty());
}

BOOST_AUTO_TEST_CASE(a_withdrawn_advisory_is_never_live_and_a_vanished_one_is_retracted) {
    auto s = stored();
    auto const k = known({{"1.2.0", false}});
    auto const listing = observed({{"1.2.0", false}});
    auto u = diff(s, k,
                  with_advisories(listing, "1.2.0",
                                  {advisory("OLD", {}, "2020-01-01T00:00:00Z"), advisory("NEW")}),
                  1000, 2000);
    auto told = of_kind(u, EventKind::vulnerability);
    BOOST_REQUIRE_EQUAL(told.size(), 1u);
    BOOST_TEST(told[0].advisory->id == "NEW");
    remember(s, u);
    // The index stops listing it altogether: retracted, saying so.
    u = diff(s, k, with_advisories(listing, "1.2.0", {}), 1100, 2100);
    auto retracted = of_kind(u, EventKind::vulnerability_withdrawn);
    BOOST_REQUIRE_EQUAL(retracted.size(), 1u);
    BOOST_TEST(retracted[0].detail == "no longer listed for 1.2.0");
}

BOOST_AUTO_TEST_CASE(a_new_pin_gets_its_own_advisories_and_no_retraction_of_the_old) {
    auto s = stored();
    auto const k = known({{"1.2.0", false}, {"1.3.0", false}});
    auto const listing = observed({{"1.2.0", false}, {"1.3.0", false}});
    auto u = diff(s, k, with_advisories(listing, "1.2.0", {advisory("A")}), 1000, 2000);
    remember(s, u);
    s.sub.pinned = "1.3.0";
    s.sub.specifier = "==1.3.0";
    u = diff(s, k, with_advisories(listing, "1.3.0", {advisory("B", {"1.4"})}), 1100, 2100);
    BOOST_TEST(of_kind(u, EventKind::vulnerability_withdrawn).empty());
    auto told = of_kind(u, EventKind::vulnerability);
    BOOST_REQUIRE_EQUAL(told.size(), 1u);
    BOOST_TEST(told[0].advisory->id == "B");
    BOOST_TEST(u.vulns->version.value() == "1.3.0");
}

BOOST_AUTO_TEST_CASE(advisories_that_cannot_be_read_keep_what_was_told_and_say_why) {
    auto s = stored();
    auto const k = known({{"1.2.0", false}});
    auto u = diff(s, k, with_advisories(observed({{"1.2.0", false}}), "1.2.0", {advisory("A")}),
                  1000, 2000);
    remember(s, u);
    auto failed = observed({{"1.2.0", false}});
    failed.vulnerabilities = VulnerabilityReading{
        "1.2.0", false, {}, std::nullopt, std::string("vulnerabilities: http 503")};
    u = diff(s, k, failed, 1100, 2100);
    BOOST_TEST(u.events.empty()); // not a retraction
    BOOST_TEST(u.vulns->error.value() == "vulnerabilities: http 503");
    BOOST_TEST(u.vulns->live.size() == 1u);
    BOOST_TEST(u.vulns->checked.value() == 1000);
}

BOOST_AUTO_TEST_CASE(the_fix_offered_is_the_smallest_the_specifier_allows) {
    auto s = stored(std::nullopt, ">=1.0,<2");
    BOOST_TEST(smallest_allowed_fix(s.sub, {"2.1", "1.4.1", "1.5", "bad"}).value() == "1.4.1");
    BOOST_TEST(!smallest_allowed_fix(s.sub, {"2.0", "3.1"}).has_value());
    BOOST_TEST(!smallest_allowed_fix(s.sub, {}).has_value());
    // Pre-releases only where the requirement takes them.
    BOOST_TEST(!smallest_allowed_fix(s.sub, {"1.5rc1"}).has_value());
    s.sub.prereleases = true;
    BOOST_TEST(smallest_allowed_fix(s.sub, {"1.5rc1"}).value() == "1.5rc1");
}

BOOST_AUTO_TEST_CASE(a_yanked_pin_names_the_nearest_non_yanked_versions) {
    auto s = stored("1.2.0", "==1.2.0");
    auto const k = known({{"1.0.0", false},
                          {"1.1.0", false},
                          {"1.2.0", false},
                          {"1.2.1", false},
                          {"1.3.0", false},
                          {"2.0rc1", false}});
    auto u = diff(s, k,
                  observed({{"1.0.0", false},
                            {"1.1.0", true},
                            {"1.2.0", true},
                            {"1.2.1", false},
                            {"1.3.0", false},
                            {"2.0rc1", false}}),
                  1000, 2000);
    auto yanked = of_kind(u, EventKind::pinned_yanked);
    BOOST_REQUIRE_EQUAL(yanked.size(), 1u);
    BOOST_TEST(is_urgent(EventKind::pinned_yanked));
    // 1.1.0 is yanked too, so below it is 1.0.0; above, 1.2.1.
    BOOST_TEST(yanked[0].alternatives == (std::vector<std::string>{"1.0.0", "1.2.1"}),
               boost::test_tools::per_element());
    // Ignored versions are never offered.
    s.sub.rules.ignore = {"<1.1"};
    BOOST_TEST(pin_alternatives(s.sub, {{"1.0.0", false}, {"1.2.0", true}, {"1.3.0", false}}) ==
                   (std::vector<std::string>{"1.3.0"}),
               boost::test_tools::per_element());
    // Nothing else to move to: an empty list (the message says so).
    BOOST_TEST(pin_alternatives(s.sub, {{"1.2.0", true}}).empty());
}

BOOST_AUTO_TEST_CASE(a_release_that_drops_the_target_python_says_so) {
    auto s = stored();
    auto obs = observed({{"1.2.0", false}, {"1.3.0", false}, {"1.4.0", false}});
    obs.releases[1].requires_python = ">=3.8";
    obs.releases[2].requires_python = ">=3.12";
    DiffPolicy policy;
    policy.python = "3.11.2";
    auto u = diff(s, known({{"1.2.0", false}}), obs, 1000, 2000, policy);
    BOOST_REQUIRE_EQUAL(u.events.size(), 2u);
    for (auto const& e : u.events) {
        if (*e.version == "1.3.0") {
            BOOST_TEST(e.drops_python.value() == false);
        } else {
            BOOST_TEST(e.drops_python.value() == true);
            BOOST_TEST(e.requires_python.value() == ">=3.12");
            BOOST_TEST(e.python.value() == "3.11.2");
        }
    }
    // Stored with the release, for `check`.
    for (auto const& r : u.upserts)
        if (r.version == "1.4.0") BOOST_TEST(r.requires_python.value() == ">=3.12");
    BOOST_TEST(excludes_python("<3.11", "3.11.0").value());
    BOOST_TEST(!excludes_python(">=3.8,<4", "3.13.0a1").value()); // pre-release Pythons count
    BOOST_TEST(!excludes_python("not a specifier", "3.11").has_value());
}

BOOST_AUTO_TEST_CASE(a_cooldown_holds_fresh_releases_and_never_announces_one_yanked_inside_it) {
    auto s = stored("1.2.0", "==1.2.0");
    s.sub.rules.min_release_age = 3600;
    auto k = known({{"1.2.0", false}});
    auto obs = observed({{"1.2.0", false}, {"1.2.1", false}, {"1.3.0", false}, {"1.4.0", false}});
    obs.releases[1].upload_time = 10000 - 7200; // out for two hours: told now
    obs.releases[2].upload_time = 10000 - 600;  // out for ten minutes: held
    obs.releases[3].upload_time = 10000 - 60;   // a minute: held, then yanked
    auto u = diff(s, k, obs, 10000, 11000);
    BOOST_REQUIRE_EQUAL(u.events.size(), 1u);
    BOOST_TEST(*u.events[0].version == "1.2.1");
    BOOST_TEST(u.set_held_until);
    BOOST_TEST(u.held_until.value() == 10000 - 600 + 3600);
    for (auto const& r : u.upserts) {
        k[r.version] = r;
        BOOST_TEST(r.held == (r.version == "1.3.0" || r.version == "1.4.0"), r.version);
    }
    s.held_until = u.held_until;
    s.pin_notice = u.pin_notice; // the pin was judged in that poll

    // Before the cooldown ends (a 304): nothing; the poller need not even read the releases.
    BOOST_TEST(!known_releases_needed(s, 12000));
    // Once it ends: 1.3.0 is told; 1.4.0 (yanked meanwhile) never is, not even its yank.
    BOOST_TEST(known_releases_needed(s, 13000));
    k["1.4.0"].yanked = true;
    auto later = diff(s, k, not_modified(), 13000, 14000);
    BOOST_REQUIRE_EQUAL(later.events.size(), 1u);
    BOOST_TEST(later.events[0].kind == EventKind::new_release);
    BOOST_TEST(*later.events[0].version == "1.3.0");
    BOOST_TEST(later.released == (std::vector<std::string>{"1.3.0", "1.4.0"}),
               boost::test_tools::per_element());
    BOOST_TEST(!later.held_until.has_value());

    // A yank seen in a full listing while held: no release_yanked either.
    auto s2 = stored("1.2.0", "==1.2.0");
    s2.sub.rules.min_release_age = 3600;
    auto k2 = known({{"1.2.0", false}, {"1.4.0", false}});
    k2["1.4.0"].held = true;
    k2["1.4.0"].upload_time = 9990;
    auto yanked = diff(s2, k2, observed({{"1.2.0", false}, {"1.4.0", true}}), 10000, 11000);
    BOOST_TEST(yanked.events.empty());
    BOOST_TEST(yanked.released == (std::vector<std::string>{"1.4.0"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(urgent_events_never_wait_for_the_cooldown) {
    auto s = stored("1.2.0", "==1.2.0");
    s.sub.rules.min_release_age = 86400;
    s.sub.rules.update_types = {UpdateType::major};
    s.sub.rules.ignore = {">=0"};
    auto u = diff(
        s, known({{"1.2.0", false}, {"1.3.0", false}}),
        with_advisories(observed({{"1.2.0", true}, {"1.3.0", false}}), "1.2.0", {advisory("A")}),
        1000, 2000);
    BOOST_TEST(of_kind(u, EventKind::pinned_yanked).size() == 1u);
    BOOST_TEST(of_kind(u, EventKind::vulnerability).size() == 1u);
}

BOOST_AUTO_TEST_CASE(ignore_update_types_and_pre_rules_pick_what_is_told) {
    auto const base = observed(
        {{"4.2.0", false}, {"4.2.9", false}, {"5.0", false}, {"4.3rc1", false}, {"4.1.9", false}});
    auto const k = known({{"4.2.0", false}});
    auto versions = [](StateUpdate const& u) {
        std::vector<std::string> out;
        for (auto const& e : u.events)
            out.push_back(*e.version);
        std::sort(out.begin(), out.end());
        return out;
    };
    auto s = stored("4.2.0", "==4.2.0");
    // No rules: everything, as before.
    BOOST_TEST(versions(diff(s, k, base, 1000, 2000)) ==
                   (std::vector<std::string>{"4.1.9", "4.2.9", "4.3rc1", "5.0"}),
               boost::test_tools::per_element());
    // ignore = ">=5": the major is silent.
    s.sub.rules.ignore = {">=5"};
    BOOST_TEST(versions(diff(s, k, base, 1000, 2000)) ==
                   (std::vector<std::string>{"4.1.9", "4.2.9", "4.3rc1"}),
               boost::test_tools::per_element());
    // pre = false: pre-releases are not told (unless the pin is one).
    s.sub.rules.pre = false;
    BOOST_TEST(versions(diff(s, k, base, 1000, 2000)) ==
                   (std::vector<std::string>{"4.1.9", "4.2.9"}),
               boost::test_tools::per_element());
    auto pre_pin = stored("4.3b1", "==4.3b1");
    pre_pin.sub.rules.pre = false;
    auto const pre_known = known({{"4.3b1", false}});
    BOOST_TEST(versions(diff(pre_pin, pre_known, observed({{"4.3b1", false}, {"4.3rc1", false}}),
                             1000, 2000)) == (std::vector<std::string>{"4.3rc1"}),
               boost::test_tools::per_element());
    // update_types = ["patch"]: only the patch.
    s.sub.rules.update_types = {UpdateType::patch};
    BOOST_TEST(versions(diff(s, k, base, 1000, 2000)) == (std::vector<std::string>{"4.2.9"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(without_a_pin_a_release_is_compared_with_the_newest_the_specifier_allows) {
    auto s = stored(std::nullopt, "<5,>=4");
    auto const k = known({{"4.2.0", false}, {"5.0.0", false}});
    auto u =
        diff(s, k, observed({{"4.2.0", false}, {"5.0.0", false}, {"4.3.0", false}}), 1000, 2000);
    BOOST_REQUIRE_EQUAL(u.events.size(), 1u);
    // Against 4.2.0 (what the team installs), not 5.0.0 (which it cannot).
    BOOST_TEST(u.events[0].update.value() == UpdateType::minor);
    BOOST_TEST(u.events[0].allowed.value());
}

BOOST_AUTO_TEST_CASE(a_source_says_when_its_baseline_is_complete) {
    // An empty first listing is no baseline, unless the source says its baseline is complete
    // (one whose baseline is its own state); the diff names no source for that.
    auto s = stored(std::nullopt, "", false);
    Observation empty;
    empty.validator = "\"e1\"";
    auto u = diff(s, {}, empty, 1000, 2000);
    BOOST_TEST(!u.baseline_done);
    BOOST_TEST(u.clear_validator);
    empty.baseline_complete = true;
    u = diff(s, {}, empty, 1000, 2000);
    BOOST_TEST(u.baseline_done);
    BOOST_TEST(!u.clear_validator);
}

BOOST_AUTO_TEST_CASE(parsed_and_hand_built_subscriptions_diff_alike) {
    // The diff reads the parsed fields; a value built by hand (never through parse_fields) is
    // parsed first, so both give the same events.
    auto hand = stored(std::nullopt, ">=1.0,<3");
    hand.sub.rules.ignore = {"==2.1.*"};
    auto loaded = hand;
    parse_fields(loaded.sub);
    auto const k = known({{"1.0", false}, {"2.0", false}});
    auto const o = observed(
        {{"1.0", false}, {"2.0", false}, {"2.1.0", false}, {"2.2.0", false}, {"3.0", false}});
    for (auto const* s : {&hand, &loaded}) {
        auto const u = diff(*s, k, o, 1000, 2000);
        BOOST_REQUIRE(u.events.size() == 2u); // 2.1.0 is ignored
        BOOST_TEST(u.events[0].version.value() == "2.2.0");
        BOOST_TEST(to_string(*u.events[0].update) == std::string("minor")); // against 2.0
        BOOST_TEST(u.events[0].allowed.value());
        BOOST_TEST(u.events[1].version.value() == "3.0");
        BOOST_TEST(to_string(*u.events[1].update) == std::string("major"));
        BOOST_TEST(!u.events[1].allowed.value());
    }
}

// #16: one observation, judged per pin. The same release is a major for a project pinning 1.x
// and a patch its range allows for one on 2.x; each event names its project and pin.
BOOST_AUTO_TEST_CASE(one_observation_is_judged_per_pin) {
    auto api = stored("1.4.0", "==1.4.0");
    api.sub.project = "api";
    api.sub.file = "/srv/api/requirements.txt";
    api.sub.direct = true;
    auto worker = stored("2.0.0", "<3,>=2");
    worker.sub.project = "worker";
    worker.sub.pinned = "2.0.0";
    auto const before = known({{"1.4.0", false}, {"2.0.0", false}});
    auto const now = observed({{"1.4.0", false}, {"2.0.0", false}, {"2.0.1", false}});
    auto const a = diff(api, before, now, 5, 6);
    auto const w = diff(worker, before, now, 5, 6);
    BOOST_REQUIRE(a.events.size() == 1u);
    BOOST_REQUIRE(w.events.size() == 1u);
    BOOST_TEST(a.events[0].update.value() == UpdateType::major);
    BOOST_TEST(a.events[0].allowed.value() == false);
    BOOST_TEST(w.events[0].update.value() == UpdateType::patch);
    BOOST_TEST(w.events[0].allowed.value() == true);
    BOOST_REQUIRE(a.events[0].projects.size() == 1u);
    auto const& p = a.events[0].projects[0];
    BOOST_TEST(p.name == "api");
    BOOST_TEST(p.pinned.value_or("") == "1.4.0");
    BOOST_TEST(p.specifier == "==1.4.0");
    BOOST_TEST(p.file == "/srv/api/requirements.txt");
    BOOST_TEST(p.direct.value_or(false) == true);
    BOOST_TEST(p.update.value() == UpdateType::major);
    BOOST_TEST(w.events[0].projects.at(0).name == "worker");
}

// #16: a package only pulled in, under transitive = "urgent": its new releases are recorded
// silently, its pin being yanked is told.
BOOST_AUTO_TEST_CASE(a_transitive_package_tells_urgent_events_only) {
    auto s = stored("1.2.0", "==1.2.0");
    s.sub.direct = false;
    s.sub.rules.urgent_only = true;
    auto const quiet =
        diff(s, known({{"1.2.0", false}}), observed({{"1.2.0", false}, {"1.3.0", false}}), 5, 6);
    BOOST_TEST(quiet.events.empty());
    BOOST_TEST(quiet.upserts.size() == 1u); // recorded all the same
    auto const yanked = diff(s, known({{"1.2.0", false}, {"1.3.0", false}}),
                             observed({{"1.2.0", true}, {"1.3.0", false}}), 7, 8);
    BOOST_REQUIRE(yanked.events.size() == 1u);
    BOOST_TEST(yanked.events[0].kind == EventKind::pinned_yanked);
    // The same package asked for directly: its release is told.
    s.sub.rules.urgent_only = false;
    BOOST_TEST(
        diff(s, known({{"1.2.0", false}}), observed({{"1.2.0", false}, {"1.3.0", false}}), 5, 6)
            .events.size() == 1u);
}

// #16: one poll shared by two projects: the same release told to both is one event naming
// both (on the first update), each project with its own view; a yank only one pin cares
// about stays its own.
BOOST_AUTO_TEST_CASE(events_saying_the_same_thing_merge_into_one_naming_every_project) {
    auto api = stored("1.4.0", "==1.4.0");
    api.sub.project = "api";
    auto worker = stored("2.0.0", "==2.0.0");
    worker.sub.project = "worker";
    worker.id = 8;
    auto const before = known({{"1.4.0", false}, {"2.0.0", false}});
    auto const now = observed({{"1.4.0", false}, {"2.0.0", true}, {"2.0.1", false}});
    std::vector<StateUpdate> updates{diff(api, before, now, 5, 6), diff(worker, before, now, 5, 6)};
    merge_project_events(updates);
    // api: new_release 2.0.1 (both), release_yanked 2.0.0; worker: pinned_yanked 2.0.0 only.
    auto const count = [](StateUpdate const& u, EventKind k) {
        return std::count_if(u.events.begin(), u.events.end(),
                             [&](Event const& e) { return e.kind == k; });
    };
    BOOST_TEST(count(updates[0], EventKind::new_release) == 1);
    BOOST_TEST(count(updates[1], EventKind::new_release) == 0);
    BOOST_TEST(count(updates[1], EventKind::pinned_yanked) == 1);
    auto const& release =
        *std::find_if(updates[0].events.begin(), updates[0].events.end(),
                      [](Event const& e) { return e.kind == EventKind::new_release; });
    BOOST_REQUIRE(release.projects.size() == 2u);
    BOOST_TEST(release.projects[0].name == "api");
    BOOST_TEST(release.projects[0].update.value() == UpdateType::major);
    BOOST_TEST(release.projects[1].name == "worker");
    BOOST_TEST(release.projects[1].update.value() == UpdateType::patch);
    BOOST_TEST(release.projects[1].pinned.value_or("") == "2.0.0");
}
// --- PEP 792: what the index says about the project ---------------------------------------

namespace {
Observation with_status(Observation o, std::string status, std::optional<std::string> reason) {
    o.project_status = ProjectStatus{std::move(status), std::move(reason)};
    return o;
}
} // namespace

BOOST_AUTO_TEST_CASE(a_quarantined_project_is_told_at_first_sighting_urgently_and_once) {
    // A new subscription (its first poll, a baseline) to a project the index quarantined: the
    // page lists no files, and that is news at once, like an advisory against the pin.
    auto s = stored("1.2.0", "==1.2.0", false);
    auto const page = with_status(Observation{}, "quarantined", "malware reported");
    auto u = diff(s, {}, page, 1000, 2000);
    auto told = of_kind(u, EventKind::project_status);
    BOOST_REQUIRE_EQUAL(told.size(), 1u);
    BOOST_TEST(is_urgent(told[0]));
    BOOST_TEST(!is_urgent(EventKind::project_status)); // the kind alone is not urgent
    BOOST_TEST(told[0].project_status->status == "quarantined");
    BOOST_TEST(told[0].project_status->reason.value() == "malware reported");
    BOOST_TEST(told[0].detail == "malware reported");
    BOOST_TEST(!told[0].previous_status.has_value());
    BOOST_TEST(u.project_status.value().status == "quarantined");
    BOOST_TEST(u.status == PollStatus::ok);
    // The next poll says the same: nothing more.
    s.project_status = u.project_status;
    u = diff(s, {}, page, 1100, 2100);
    BOOST_TEST(u.events.empty());
    BOOST_TEST(!u.project_status.has_value()); // nothing to write either
}

BOOST_AUTO_TEST_CASE(a_quarantined_projects_empty_page_keeps_the_known_releases_silently) {
    // Known releases, then the index quarantines the project and lists no files: no mass
    // removal, no "empty listing" failure; one urgent event.
    auto s = stored();
    s.project_status = ProjectStatus{};
    auto const k = known({{"1.2.0", false}, {"1.3.0", false}});
    auto u = diff(s, k, with_status(Observation{}, "quarantined", std::nullopt), 1000, 2000);
    BOOST_REQUIRE_EQUAL(u.events.size(), 1u);
    BOOST_TEST(u.events[0].kind == EventKind::project_status);
    BOOST_TEST(u.events[0].previous_status.value() == "active");
    BOOST_TEST(is_urgent(u.events[0]));
    BOOST_TEST(u.removed.empty());
    BOOST_TEST(u.status == PollStatus::ok);
    BOOST_TEST(u.consecutive_failures == 0);
    // Without the status, the same empty page is a broken index (as before).
    auto broken = diff(s, k, Observation{}, 1000, 2000);
    BOOST_TEST(broken.status == PollStatus::error);
    BOOST_TEST(broken.events.empty());
}

BOOST_AUTO_TEST_CASE(changes_of_project_status_are_told_once_and_back_to_active_too) {
    auto s = stored();
    auto const k = known({{"1.2.0", false}});
    auto const listing = observed({{"1.2.0", false}});
    // A first sighting of a project that is archived is recorded silently (check shows it).
    auto u = diff(s, k, with_status(listing, "archived", "moved to demo2"), 1000, 2000);
    BOOST_TEST(u.events.empty());
    BOOST_TEST(u.project_status.value().status == "archived");
    s.project_status = u.project_status;
    // archived -> active: said once, not urgent.
    u = diff(s, k, with_status(listing, "active", std::nullopt), 1100, 2100);
    auto told = of_kind(u, EventKind::project_status);
    BOOST_REQUIRE_EQUAL(told.size(), 1u);
    BOOST_TEST(told[0].project_status->active());
    BOOST_TEST(told[0].previous_status.value() == "archived");
    BOOST_TEST(!is_urgent(told[0]));
    s.project_status = u.project_status;
    u = diff(s, k, with_status(listing, "active", std::nullopt), 1200, 2200);
    BOOST_TEST(u.events.empty());
    // active -> deprecated: told, not urgent; a new reason under the same status: recorded only.
    u = diff(s, k, with_status(listing, "deprecated", "use demo2"), 1300, 2300);
    BOOST_REQUIRE_EQUAL(of_kind(u, EventKind::project_status).size(), 1u);
    BOOST_TEST(!is_urgent(u.events[0]));
    s.project_status = u.project_status;
    u = diff(s, k, with_status(listing, "deprecated", "use demo3"), 1400, 2400);
    BOOST_TEST(u.events.empty());
    BOOST_TEST(u.project_status.value().reason.value() == "use demo3");
    s.project_status = u.project_status;
    // deprecated -> quarantined: urgent.
    u = diff(s, k, with_status(listing, "quarantined", std::nullopt), 1500, 2500);
    BOOST_REQUIRE_EQUAL(u.events.size(), 1u);
    BOOST_TEST(is_urgent(u.events[0]));
    BOOST_TEST(u.events[0].previous_status.value() == "deprecated");
    // A status PEP 792 does not define is told as a change (not taken for "active").
    s.project_status = ProjectStatus{};
    u = diff(s, k, with_status(listing, "frozen", std::nullopt), 1600, 2600);
    BOOST_REQUIRE_EQUAL(u.events.size(), 1u);
    BOOST_TEST(!is_urgent(u.events[0]));
    // A 304 says nothing about the status: the stored one stands.
    s.project_status = ProjectStatus{"archived", std::nullopt};
    u = diff(s, k, not_modified(), 1700, 2700);
    BOOST_TEST(u.events.empty());
    BOOST_TEST(!u.project_status.has_value());
}

BOOST_AUTO_TEST_CASE(a_quarantine_ignores_the_packages_rules) {
    // Like the other urgent kinds, the package's rules (cooldown, update types, ignore) never
    // hold a quarantine back.
    auto s = stored("1.2.0", "==1.2.0");
    s.project_status = ProjectStatus{};
    s.sub.rules.min_release_age = 86400;
    s.sub.rules.update_types = {UpdateType::major};
    s.sub.rules.ignore = {">=0"};
    s.sub.rules.pre = false;
    auto u =
        diff(s, known({{"1.2.0", false}}),
             with_status(observed({{"1.2.0", false}}), "quarantined", std::nullopt), 1000, 2000);
    BOOST_REQUIRE_EQUAL(of_kind(u, EventKind::project_status).size(), 1u);
    BOOST_TEST(is_urgent(u.events[0]));
}

// A new release leaves the diff with its notes' link, asked of the linker by the release's
// key (normalised: "V2.0.0" is "2.0.0"); the events are not rewritten after the diff.
BOOST_AUTO_TEST_CASE(new_releases_leave_the_diff_linked_to_their_notes) {
    std::vector<std::string> asked;
    ReleaseLinker const link = [&](std::string const& key) -> std::optional<std::string> {
        asked.push_back(key);
        if (key == "2.0.0") return "https://github.com/o/demo/releases/tag/v2.0.0";
        return std::nullopt;
    };
    auto u = diff(stored(), known({{"1.2.0", false}}),
                  observed({{"1.2.0", false}, {"V2.0.0", false}, {"1.3.0", false}}), 1000, 2000,
                  DiffPolicy{}, link);
    BOOST_REQUIRE_EQUAL(u.events.size(), 2u);
    for (auto const& e : u.events) {
        BOOST_TEST(to_string(e.kind) == std::string("new_release"));
        if (*e.version == "V2.0.0")
            BOOST_TEST(e.link.value_or("") == "https://github.com/o/demo/releases/tag/v2.0.0");
        else
            BOOST_TEST(!e.link.has_value());
    }
    std::sort(asked.begin(), asked.end());
    BOOST_TEST(asked == (std::vector<std::string>{"1.3.0", "2.0.0"}),
               boost::test_tools::per_element());
}

// Only a release announced is linked: a baseline, an unchanged listing and a 304 ask nothing.
BOOST_AUTO_TEST_CASE(no_new_release_asks_the_linker_nothing) {
    int asked = 0;
    ReleaseLinker const link = [&](std::string const&) -> std::optional<std::string> {
        ++asked;
        return "https://example.invalid/notes";
    };
    diff(stored(std::string("1.0"), "==1.0", false), {}, observed({{"1.0", false}, {"2.0", false}}),
         1000, 2000, DiffPolicy{}, link);
    diff(stored(), known({{"1.2.0", false}}), observed({{"1.2.0", false}}), 1000, 2000,
         DiffPolicy{}, link);
    Observation not_modified;
    not_modified.status = Observation::Status::not_modified;
    diff(stored(), known({{"1.2.0", false}}), not_modified, 1000, 2000, DiffPolicy{}, link);
    BOOST_TEST(asked == 0);
}

// diff_policy parses the target Python once; a diff with it judges exactly as one with the
// text alone (which each diff parses), and a target that is no version judges nothing.
BOOST_AUTO_TEST_CASE(a_policy_parses_the_target_python_once) {
    auto const policy = diff_policy(3, "3.11.2");
    BOOST_REQUIRE(policy.python_version.has_value());
    BOOST_TEST(policy.python_version->str() == "3.11.2");
    BOOST_TEST(!diff_policy(3, "three").python_version.has_value());
    BOOST_TEST(!diff_policy(3, std::nullopt).python_version.has_value());
    auto obs = observed({{"1.2.0", false}, {"1.3.0", false}});
    obs.releases[1].requires_python = ">=3.12";
    DiffPolicy by_hand;
    by_hand.python = "3.11.2";
    for (DiffPolicy const* p : {&policy, static_cast<DiffPolicy const*>(&by_hand)}) {
        auto u = diff(stored(), known({{"1.2.0", false}}), obs, 1000, 2000, *p);
        BOOST_REQUIRE_EQUAL(u.events.size(), 1u);
        BOOST_TEST(u.events[0].drops_python.value() == true);
        BOOST_TEST(u.events[0].python.value() == "3.11.2");
    }
}
