// config_changes: every difference a reload applies, one line each, secrets never shown.
#define BOOST_TEST_MODULE config_changes
#include <boost/test/unit_test.hpp>

#include "config/changes.hpp"

#include <algorithm>

using namespace pinwatch;
using namespace pinwatch::config;

namespace {

bool has(std::vector<std::string> const& lines, std::string const& line) {
    return std::find(lines.begin(), lines.end(), line) != lines.end();
}

std::string all(std::vector<std::string> const& lines) {
    std::string out;
    for (auto const& l : lines)
        out += l + "\n";
    return out;
}

NotifierConfig notifier(std::string name, std::string type) {
    NotifierConfig n;
    n.name = std::move(name);
    n.type = std::move(type);
    n.route.notifier = n.name;
    return n;
}

} // namespace

BOOST_AUTO_TEST_CASE(an_unchanged_config_changes_nothing) {
    Config c;
    c.requirements = {"/srv/a.txt"};
    c.notifiers = {notifier("team", "slack")};
    BOOST_TEST(config_changes(c, c).empty());
}

// What issue #18 saw missing from the reload log: update_types added to a notifier and a new
// [packages.x] rule.
BOOST_AUTO_TEST_CASE(routes_and_package_rules_are_named) {
    Config before;
    before.notifiers = {notifier("team", "slack"), notifier("ops", "email")};
    Config after = before;
    after.notifiers[0].route.update_types = {model::UpdateType::major};
    after.notifiers[0].route.digest = model::parse_digest("daily 09:00");
    after.notifiers[1].route.events = {model::EventKind::vulnerability};
    after.notifiers[1].route.packages = {"django*"};
    after.notifiers[1].max_age = std::chrono::seconds(3600);
    after.notifiers[1].batch_window = std::chrono::seconds(30);
    model::RuleOverrides django;
    django.ignore = std::vector<std::string>{">=6"};
    after.packages["django"] = django;
    auto const lines = config_changes(before, after);
    BOOST_TEST(has(lines, "notifier team: update_types major (was all)"), all(lines));
    BOOST_TEST(has(lines, "notifier team: digest daily 09:00 (was none)"), all(lines));
    BOOST_TEST(has(lines, "notifier ops: events vulnerability (was all)"), all(lines));
    BOOST_TEST(has(lines, "notifier ops: packages django* (was all)"), all(lines));
    BOOST_TEST(has(lines, "notifier ops: max_age 3600 s (was default)"), all(lines));
    BOOST_TEST(has(lines, "notifier ops: batch_window 30 s (was 0 s)"), all(lines));
    BOOST_TEST(has(lines, "[packages.django] added"), all(lines));
    BOOST_TEST(lines.size() == 7u, all(lines));

    // Changing the package's rule names what changed in it; removing it says so.
    Config later = after;
    later.packages["django"].ignore = std::vector<std::string>{">=7"};
    BOOST_TEST(all(config_changes(after, later)) == "[packages.django] ignore >=7 (was >=6)\n");
    later.packages.clear();
    BOOST_TEST(has(config_changes(after, later), "[packages.django] removed"));
}

BOOST_AUTO_TEST_CASE(rules_intervals_files_and_notifiers) {
    Config before;
    before.requirements = {"/srv/a.txt", "/srv/b.txt"};
    before.notifiers = {notifier("team", "slack"), notifier("old", "webhook")};
    Config after = before;
    after.requirements = {"/srv/a.txt", "/srv/c.txt"};
    after.interval = std::chrono::seconds(60);
    after.vulnerability_interval = std::chrono::seconds(3600);
    after.intervals["boto3"] = std::chrono::seconds(86400);
    after.rules.min_release_age = 7 * 86400;
    after.rules.pre = false;
    after.notifiers = {notifier("team", "email"), notifier("new", "console")};
    after.console = false;
    after.python_version = "3.12";
    after.state_keep = std::chrono::seconds(86400);
    auto const lines = config_changes(before, after);
    for (auto const* line : {
             "requirements + /srv/c.txt, - /srv/b.txt",
             "interval 60 s (was 900 s)",
             "vulnerability_interval 3600 s (was 21600 s)",
             "[intervals] boto3 86400 s",
             "min_release_age 604800 s (was 0 s)",
             "pre false (was unset)",
             "notifier team changed from slack to email",
             "notifier new (console) added",
             "notifier old (webhook) removed",
             "console notifier off",
             "python_version 3.12 (was native)",
             "[state] keep 86400 s (was 7776000 s)",
         })
        BOOST_TEST(has(lines, line), line << "\n" << all(lines));
}

// An index URL may hold a password: a change is named, never shown.
BOOST_AUTO_TEST_CASE(an_index_url_change_shows_no_credentials) {
    Config before, after;
    before.index_url = "https://alice:old-pass@pypi.internal.example/simple/";
    after.index_url = "https://alice:new-pass@pypi.internal.example/simple/";
    auto const lines = config_changes(before, after);
    BOOST_TEST(all(lines) == "index_url changed\n");
}
