#define BOOST_TEST_MODULE model
#include <boost/test/unit_test.hpp>

#include "model/model.hpp"

using namespace pinwatch::model;

BOOST_AUTO_TEST_CASE(names_round_trip) {
    for (auto k : kAllEventKinds)
        BOOST_TEST((event_kind_from_string(to_string(k)) == k));
    BOOST_TEST(!event_kind_from_string("nope").has_value());
    BOOST_TEST((update_type_from_string("pre-release") == UpdateType::prerelease));
    BOOST_TEST((update_type_from_string("prerelease") == UpdateType::prerelease));
    for (auto s : {PollStatus::pending, PollStatus::ok, PollStatus::unchanged, PollStatus::gone,
                   PollStatus::error, PollStatus::cancelled})
        BOOST_TEST((poll_status_from_string(to_string(s)) == s));
}

BOOST_AUTO_TEST_CASE(globs) {
    BOOST_TEST(glob_match("boto*", "boto3"));
    BOOST_TEST(glob_match("boto*", "boto"));
    BOOST_TEST(!glob_match("boto*", "aioboto3"));
    BOOST_TEST(glob_match("*-stubs", "types-requests-stubs"));
    BOOST_TEST(glob_match("dj?ngo", "django"));
    BOOST_TEST(glob_match("*a*b*c*", "xxaxxbxxcxx"));
    BOOST_TEST(!glob_match("django", "django-rest"));
}

BOOST_AUTO_TEST_CASE(routes_pick_events) {
    Event e;
    e.kind = EventKind::new_release;
    e.package = "django";
    e.update = UpdateType::minor;
    Route all;
    BOOST_TEST(route_accepts(all, e));
    Route majors;
    majors.update_types = {UpdateType::major};
    BOOST_TEST(!route_accepts(majors, e));
    e.update = UpdateType::major;
    BOOST_TEST(route_accepts(majors, e));
    Event yank;
    yank.kind = EventKind::pinned_yanked;
    yank.package = "django";
    BOOST_TEST(route_accepts(majors, yank)); // update types filter new releases only
    Route only_yanks;
    only_yanks.events = {EventKind::pinned_yanked};
    only_yanks.packages = {"dj*"};
    BOOST_TEST(route_accepts(only_yanks, yank));
    BOOST_TEST(!route_accepts(only_yanks, e));
    yank.package = "flask";
    BOOST_TEST(!route_accepts(only_yanks, yank));
}

BOOST_AUTO_TEST_CASE(what_the_team_runs_being_unsafe_is_urgent) {
    BOOST_TEST(is_urgent(EventKind::vulnerability));
    BOOST_TEST(is_urgent(EventKind::vulnerability_withdrawn));
    BOOST_TEST(is_urgent(EventKind::pinned_yanked));
    BOOST_TEST(!is_urgent(EventKind::new_release));
    BOOST_TEST(!is_urgent(EventKind::release_yanked));
    BOOST_TEST(to_string(EventKind::vulnerability_withdrawn) ==
               std::string("vulnerability_withdrawn"));
}

BOOST_AUTO_TEST_CASE(package_rules_replace_the_global_ones_key_by_key) {
    Rules global;
    global.min_release_age = 3600;
    global.update_types = {UpdateType::major};
    RuleOverrides pkg;
    pkg.ignore = std::vector<std::string>{">=5"};
    pkg.update_types = std::set<UpdateType>{};
    auto const r = pkg.over(global);
    BOOST_TEST(r.min_release_age == 3600);
    BOOST_TEST(r.update_types.empty()); // an explicit empty list: every kind
    BOOST_TEST(r.ignore.size() == 1u);
    BOOST_TEST(!r.pre.has_value());
}

BOOST_AUTO_TEST_CASE(parse_fields_parses_the_requirement_once) {
    Subscription s;
    s.specifier = "==2.0.0rc1,>=1.0";
    s.pinned = "2.0.0-RC1";
    s.rules.ignore = {">=3", "not a specifier", "==2.5.*"};
    BOOST_TEST(s.parsed == nullptr);
    parse_fields(s);
    BOOST_TEST(s.parsed != nullptr);
    BOOST_REQUIRE(s.parsed->specifier.has_value());
    BOOST_TEST(s.parsed->specifier->str() == "==2.0.0rc1,>=1.0");
    BOOST_REQUIRE(s.parsed->pinned.has_value());
    BOOST_TEST(s.parsed->pinned->str() == "2.0.0rc1");
    BOOST_TEST(s.parsed->pinned_key.value_or("") == "2.0.0rc1");
    // The specifier names a pre-release: pre-releases are wanted although --pre is not set.
    BOOST_TEST(s.parsed->prereleases_wanted);
    // One parsed rule per ignore rule; one that does not parse never matches.
    BOOST_REQUIRE(s.rules.ignore_sets.size() == 3u);
    BOOST_TEST(s.rules.ignore_sets[0].has_value());
    BOOST_TEST(!s.rules.ignore_sets[1].has_value());
    BOOST_TEST(s.rules.ignore_sets[2]->contains(*pinwatch::packaging::Version::parse("2.5.1")));
    // The settings compare as before; the parsed copy is not part of them.
    Rules plain;
    plain.ignore = s.rules.ignore;
    BOOST_TEST((plain == s.rules));

    // Filled again after a change, and nothing left over from the first time.
    s.specifier = "not valid";
    s.pinned.reset();
    s.prereleases = false;
    s.rules.ignore.clear();
    parse_fields(s);
    BOOST_TEST(!s.parsed->specifier.has_value());
    BOOST_TEST(!s.parsed->pinned.has_value());
    BOOST_TEST(!s.parsed->pinned_key.has_value());
    BOOST_TEST(!s.parsed->prereleases_wanted);
    BOOST_TEST(s.rules.ignore_sets.empty());
    // --pre alone wants pre-releases.
    s.specifier = "";
    s.prereleases = true;
    parse_fields(s);
    BOOST_TEST(s.parsed->specifier.has_value());
    BOOST_TEST(s.parsed->prereleases_wanted);
}

// The state store's parser: what parse_fields gives, shared between subscriptions with the same
// specifier, pin and --pre, and never between different ones.
BOOST_AUTO_TEST_CASE(a_field_parser_shares_what_it_parsed_for_the_same_fields) {
    FieldParser parse(3);
    Subscription a;
    a.specifier = "==2.0.0rc1,>=1.0";
    a.pinned = "2.0.0-RC1";
    a.rules.ignore = {">=3"};
    auto b = a;
    b.name = "other";
    b.rules.ignore = {};
    parse(a);
    parse(b);
    BOOST_TEST(a.parsed == b.parsed); // one parse, shared
    BOOST_TEST(a.parsed->pinned->str() == "2.0.0rc1");
    BOOST_TEST(a.rules.ignore_sets.size() == 1u); // the rules are each their own
    BOOST_TEST(b.rules.ignore_sets.empty());
    auto c = a;
    c.prereleases = true;
    c.specifier = ">=1.0";
    parse(c);
    BOOST_TEST(c.parsed != a.parsed);
    BOOST_TEST(c.parsed->prereleases_wanted);
    auto d = a;
    d.pinned = "2.0.0";
    parse(d);
    BOOST_TEST(d.parsed != a.parsed);
    BOOST_TEST(d.parsed->pinned->str() == "2.0.0");
    // Each field as parse_fields parses it, for every one of them.
    for (auto* s : {&a, &b, &c, &d}) {
        auto plain = *s;
        parse_fields(plain);
        BOOST_TEST(plain.parsed->specifier.has_value() == s->parsed->specifier.has_value());
        if (plain.parsed->specifier)
            BOOST_TEST(plain.parsed->specifier->str() == s->parsed->specifier->str());
        BOOST_TEST((plain.parsed->pinned_key == s->parsed->pinned_key));
        BOOST_TEST(plain.parsed->prereleases_wanted == s->parsed->prereleases_wanted);
    }
    // Past its limit it starts again, still right.
    auto e = a;
    e.specifier = "<9";
    parse(e);
    parse(a);
    BOOST_TEST(e.parsed->specifier->str() == "<9");
    BOOST_TEST(a.parsed->pinned->str() == "2.0.0rc1");
}
