#define BOOST_TEST_MODULE config
#include <boost/test/unit_test.hpp>

#include "config/config.hpp"

using namespace pinwatch::config;

namespace {
std::string all(std::vector<ConfigError> const& errors) {
    std::string out;
    for (auto const& e : errors)
        out += e.str() + "\n";
    return out;
}
} // namespace

BOOST_AUTO_TEST_CASE(a_full_config) {
    auto c = parse_config(R"(
state = "state.db"
requirements = ["requirements.txt", "/abs/dev.txt"]
pyproject = "pyproject.toml"
index_url = "https://pypi.internal.example/simple/"
interval = "1h30m"
jitter = 0.2
python_version = "3.11"
pre = true
failing_after = 5
console = false
[intervals]
Requests = "5m"
"zope.interface" = 3600
[http]
timeout = "45s"
connect_timeout = 5
max_in_flight_per_host = 4
extra_ca_file = "ca.pem"
)",
                          "/etc/pinwatch/pinwatch.toml");
    BOOST_REQUIRE_MESSAGE(c.has_value(), (c.has_value() ? std::string() : all(c.error())));
    BOOST_TEST(c->state.value() == "/etc/pinwatch/state.db");
    BOOST_TEST((c->requirements ==
                std::vector<std::string>{"/etc/pinwatch/requirements.txt", "/abs/dev.txt"}));
    BOOST_TEST((c->pyproject == std::vector<std::string>{"/etc/pinwatch/pyproject.toml"}));
    BOOST_TEST(c->index_url.value() == "https://pypi.internal.example/simple/");
    BOOST_TEST(c->interval.count() == 5400);
    BOOST_TEST(c->jitter == 0.2);
    BOOST_TEST(c->python_version.value() == "3.11");
    BOOST_TEST(c->pre);
    BOOST_TEST(c->failing_after == 5);
    BOOST_TEST(!c->console);
    BOOST_TEST(c->intervals.at("requests").count() == 300);
    BOOST_TEST(c->intervals.at("zope-interface").count() == 3600);
    BOOST_TEST(c->http.timeout.count() == 45000);
    BOOST_TEST(c->http.connect_timeout.count() == 5000);
    BOOST_TEST(c->http.max_in_flight_per_host == 4);
    BOOST_TEST(c->http.extra_ca_file.value() == "/etc/pinwatch/ca.pem");
}

BOOST_AUTO_TEST_CASE(defaults) {
    auto c = parse_config("requirements = [\"r.txt\"]\n", "p.toml");
    BOOST_REQUIRE(c.has_value());
    BOOST_TEST(c->interval.count() == 900);
    BOOST_TEST(!c->state.has_value());
    BOOST_TEST(!c->index_url.has_value());
    BOOST_TEST(c->console);
}

BOOST_AUTO_TEST_CASE(every_problem_is_reported_with_file_line_and_key) {
    auto c = parse_config(R"(requirements = ["r.txt"]
interval = "soon"
jitter = 2
index_url = "ftp://x"
colour = "blue"
python_version = "three"
[http]
max_in_flight_per_host = 0
timout = "1s"
)",
                          "bad.toml");
    BOOST_REQUIRE(!c.has_value());
    auto const text = all(c.error());
    BOOST_TEST(c.error().size() == 7u, text);
    BOOST_TEST(text.find("bad.toml:6: key 'python_version'") != std::string::npos, text);
    BOOST_TEST(text.find("bad.toml:2: key 'interval'") != std::string::npos, text);
    BOOST_TEST(text.find("bad.toml:3: key 'jitter'") != std::string::npos, text);
    BOOST_TEST(text.find("bad.toml:4: key 'index_url'") != std::string::npos, text);
    BOOST_TEST(text.find("bad.toml:5: unknown key 'colour'") != std::string::npos, text);
    BOOST_TEST(text.find("bad.toml:8: key 'http.max_in_flight_per_host'") != std::string::npos,
               text);
    BOOST_TEST(text.find("bad.toml:9: unknown key 'timout' in [http]") != std::string::npos, text);
}

BOOST_AUTO_TEST_CASE(bad_intervals) {
    auto c = parse_config(
        "requirements = [\"r.txt\"]\n[intervals]\n\"-bad-\" = \"5m\"\nok = \"never\"\n", "i.toml");
    BOOST_REQUIRE(!c.has_value());
    BOOST_TEST(c.error().size() == 2u);
    BOOST_TEST(c.error()[0].str().find("i.toml:3: key 'intervals.-bad-'") == 0u,
               c.error()[0].str());
    BOOST_TEST(c.error()[1].str().find("i.toml:4: key 'intervals.ok'") == 0u, c.error()[1].str());
}

BOOST_AUTO_TEST_CASE(invalid_toml_and_nothing_to_watch) {
    auto bad = parse_config("interval = \n", "x.toml");
    BOOST_REQUIRE(!bad.has_value());
    BOOST_TEST(bad.error()[0].str().find("x.toml:1: invalid TOML") == 0u, bad.error()[0].str());
    auto empty = parse_config("interval = \"1m\"\n", "x.toml");
    BOOST_REQUIRE(!empty.has_value());
    BOOST_TEST(empty.error()[0].message.find("nothing to watch") != std::string::npos);
    auto missing = load_config("/nonexistent/pinwatch.toml");
    BOOST_REQUIRE(!missing.has_value());
    BOOST_TEST(missing.error()[0].str().find("/nonexistent/pinwatch.toml") == 0u);
}

BOOST_AUTO_TEST_CASE(durations) {
    BOOST_TEST(parse_duration("90s")->count() == 90);
    BOOST_TEST(parse_duration("15m")->count() == 900);
    BOOST_TEST(parse_duration("2h")->count() == 7200);
    BOOST_TEST(parse_duration("1d")->count() == 86400);
    BOOST_TEST(parse_duration("1h30m")->count() == 5400);
    BOOST_TEST(parse_duration("45")->count() == 45);
    BOOST_TEST(!parse_duration("").has_value());
    BOOST_TEST(!parse_duration("1h30").has_value());
    BOOST_TEST(!parse_duration("-5s").has_value());
    BOOST_TEST(!parse_duration("5 m").has_value());
    BOOST_TEST(!parse_duration("99999999999999s").has_value());
}

BOOST_AUTO_TEST_CASE(notifier_tables_with_routes) {
    auto c = parse_config(R"(
requirements = ["r.txt"]
[notifiers.majors]
type = "console"
events = ["new_release", "pinned_yanked"]
packages = ["Django", "boto*", "Zope.Interface"]
update_types = ["major", "prerelease"]
[notifiers.all]
type = "console"
)",
                          "/etc/pinwatch/pinwatch.toml");
    BOOST_REQUIRE_MESSAGE(c.has_value(), (c.has_value() ? std::string() : all(c.error())));
    BOOST_REQUIRE(c->notifiers.size() == 2u);
    auto const& m = c->notifiers[0];
    BOOST_TEST(m.name == "majors");
    BOOST_TEST(m.type == "console");
    BOOST_TEST(m.route.notifier == "majors");
    BOOST_TEST(m.route.events.size() == 2u);
    // Names are PEP 503-normalised; a glob keeps its wildcards.
    BOOST_TEST((m.route.packages == std::vector<std::string>{"django", "boto*", "zope-interface"}));
    BOOST_TEST(m.route.update_types.size() == 2u);
    BOOST_TEST(c->notifiers[1].route.events.empty()); // everything
}

BOOST_AUTO_TEST_CASE(notifier_mistakes_are_named_with_their_line) {
    auto c = parse_config(R"(requirements = ["r.txt"]
[notifiers.a]
type = "carrier-pigeon"
[notifiers.b]
events = ["new_release"]
[notifiers.c]
type = "console"
events = ["new_releases"]
update_types = ["huge"]
colour = "red"
[notifiers.d]
type = "console"
packages = "django"
)",
                          "p.toml");
    BOOST_REQUIRE(!c.has_value());
    auto const text = all(c.error());
    BOOST_TEST(text.find("p.toml:3: key 'notifiers.a.type': unknown notifier type 'carrier-pigeon' "
                         "(expected console") != std::string::npos,
               text);
    BOOST_TEST(text.find("p.toml:4: [notifiers.b]: missing key 'type'") != std::string::npos, text);
    BOOST_TEST(text.find("p.toml:8: key 'notifiers.c.events': unknown event kind 'new_releases'") !=
                   std::string::npos,
               text);
    BOOST_TEST(text.find("p.toml:9: key 'notifiers.c.update_types': unknown update type 'huge'") !=
                   std::string::npos,
               text);
    BOOST_TEST(text.find("p.toml:10: unknown key 'colour' in [notifiers.c]") != std::string::npos,
               text);
    BOOST_TEST(text.find("p.toml:13: key 'notifiers.d.packages': expected a list of strings") !=
                   std::string::npos,
               text);
}
