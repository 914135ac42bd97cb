#define BOOST_TEST_MODULE config
#include <boost/test/unit_test.hpp>

#include "config/config.hpp"
#include "config/reader.hpp"
#include "notifiers/email/email.hpp"
#include "notifiers/registry.hpp"
#include "notifiers/slack/slack.hpp"
#include "notifiers/webhook/webhook.hpp"
#include "tests/fakes/config_errors.hpp"
#include "tests/fakes/special_files.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <unistd.h>

#include <algorithm>

using namespace pinwatch::config;
using pinwatch::net::SmtpSecurity;
using pinwatch::notifiers::EmailConfig;
using pinwatch::notifiers::SlackConfig;
using pinwatch::notifiers::WebhookConfig;
namespace fs = std::filesystem;

using namespace pinwatch::testing;

namespace {
// A config with notifiers, read as the commands read it: each channel's keys by its registry
// entry's reader (config/ reads only what every notifier has).
pinwatch::Result<Config, std::vector<ConfigError>> parse_channels(std::string const& text,
                                                                  std::string const& path) {
    return parse_config(text, path, {}, pinwatch::notifiers::channel_readers());
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
    BOOST_TEST(text.find("bad.toml:6: python_version") != std::string::npos, text);
    BOOST_TEST(text.find("bad.toml:2: interval") != std::string::npos, text);
    BOOST_TEST(text.find("bad.toml:3: jitter") != std::string::npos, text);
    BOOST_TEST(text.find("bad.toml:4: index_url") != std::string::npos, text);
    BOOST_TEST(text.find("bad.toml:5: colour: unknown key") != std::string::npos, text);
    BOOST_TEST(text.find("bad.toml:8: http.max_in_flight_per_host") != std::string::npos, text);
    BOOST_TEST(text.find("bad.toml:9: http.timout: unknown key") != std::string::npos, text);
}

// A mistyped key gets the nearest key its table takes, only when it is a likely typo.
BOOST_AUTO_TEST_CASE(unknown_keys_suggest_the_nearest_known_key) {
    auto c = parse_channels(R"(requirements = ["r.txt"]
intervall = "15m"
colour = "blue"
[http]
timout = "1s"
[metrics]
listn = "127.0.0.1:9464"
[notifiers.team]
type = "slack"
webhook_ur1 = "https://hooks.slack.com/services/T0/B0/x"
evnets = ["new_release"]
[notifiers.hook]
type = "webhook"
url = "https://hooks.example.com/x"
secrt = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
[packages.django]
ignor = ["5.*"]
)",
                            "typo.toml");
    BOOST_REQUIRE(!c.has_value());
    auto const text = all(c.error());
    for (char const* line :
         {"typo.toml:2: intervall: unknown key (did you mean 'interval'?)",
          "typo.toml:3: colour: unknown key\n",
          "typo.toml:5: http.timout: unknown key (did you mean 'timeout'?)",
          "typo.toml:7: metrics.listn: unknown key (did you mean 'listen'?)",
          "typo.toml:10: notifiers.team.webhook_ur1: unknown key (did you mean 'webhook_url'?)",
          "typo.toml:11: notifiers.team.evnets: unknown key (did you mean 'events'?)",
          "typo.toml:15: notifiers.hook.secrt: unknown key (did you mean 'secret'?)",
          "typo.toml:17: packages.django.ignor: unknown key (did you mean 'ignore'?)"})
        BOOST_TEST(text.find(line) != std::string::npos, line << "\nin:\n" << text);
}

BOOST_AUTO_TEST_CASE(bad_intervals) {
    auto c = parse_config(
        "requirements = [\"r.txt\"]\n[intervals]\n\"-bad-\" = \"5m\"\nok = \"never\"\n", "i.toml");
    BOOST_REQUIRE(!c.has_value());
    BOOST_TEST(c.error().size() == 2u);
    BOOST_TEST(c.error()[0].str().find("i.toml:3: intervals.-bad-") == 0u, c.error()[0].str());
    BOOST_TEST(c.error()[1].str().find("i.toml:4: intervals.ok") == 0u, c.error()[1].str());
}

BOOST_AUTO_TEST_CASE(intervals_that_name_one_package_twice) {
    auto c = parse_config("requirements = [\"r.txt\"]\n[intervals]\nRequests = \"5m\"\n"
                          "django = \"1h\"\nrequests = \"1h\"\nDJANGO = \"2h\"\n"
                          "other = \"3h\"\n",
                          "i.toml");
    BOOST_REQUIRE(!c.has_value());
    BOOST_TEST(all(c.error()) ==
               "i.toml:5: intervals.requests: 'requests' (line 5) and 'Requests' (line 3) "
               "name the same package 'requests' once normalised (PEP 503); keep one\n"
               "i.toml:6: intervals.DJANGO: 'DJANGO' (line 6) and 'django' (line 4) "
               "name the same package 'django' once normalised (PEP 503); keep one\n");
    // Distinct packages are fine.
    auto ok = parse_config("requirements = [\"r.txt\"]\n[intervals]\nRequests = \"5m\"\n"
                           "requests-oauthlib = \"1h\"\n",
                           "i.toml");
    BOOST_REQUIRE(ok.has_value());
    BOOST_TEST(ok->intervals.size() == 2u);
    BOOST_TEST(ok->intervals.at("requests").count() == 300);
}

// Only a regular file of 4 MiB at most is read as the config: a directory says so (not
// "nothing to watch"), a device or a FIFO is refused at once instead of filling memory or
// waiting forever for a writer.
BOOST_AUTO_TEST_CASE(the_config_must_be_a_regular_file) {
    auto const dir = fs::temp_directory_path() / ("pinwatch-config-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    auto const error_of = [](std::string const& path) {
        auto c = load_config(path);
        BOOST_REQUIRE(!c.has_value());
        BOOST_REQUIRE(c.error().size() == 1u);
        return c.error()[0].str();
    };
    BOOST_TEST(error_of(dir.string()) ==
               dir.string() + ": cannot read the config file: not a regular file (a directory)");
    BOOST_TEST(error_of("/dev/zero") ==
               "/dev/zero: cannot read the config file: not a regular file (a character device)");
    {
        pinwatch::testing::Fifo fifo(dir / "fifo.toml");
        BOOST_TEST(error_of(fifo.str()) ==
                   fifo.str() + ": cannot read the config file: not a regular file (a FIFO)");
    }
    auto const big = pinwatch::testing::write_file_of_size(dir / "big.toml", 5 * 1024 * 1024);
    BOOST_TEST(error_of(big) == big + ": cannot read the config file: larger than 4 MiB");
    BOOST_TEST(error_of((dir / "missing.toml").string()) ==
               (dir / "missing.toml").string() +
                   ": cannot read the config file: No such file or directory");
    fs::remove_all(dir);
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
    auto c = parse_channels(R"(
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

// #18: Slack and email gather what comes within a minute into one message by default; a
// webhook and the console take each event at once; any notifier may say its own window.
BOOST_AUTO_TEST_CASE(batch_windows_by_channel_and_by_table) {
    auto c = parse_channels(R"(requirements = ["r.txt"]
[notifiers.team]
type = "slack"
webhook_url = "https://hooks.slack.com/services/T0/B0/x"
[notifiers.hook]
type = "webhook"
url = "https://hooks.example.com/pinwatch"
secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
[notifiers.quick]
type = "slack"
webhook_url = "https://hooks.slack.com/services/T0/B0/y"
batch_window = "5s"
[notifiers.shell]
type = "console"
[notifiers.gathered]
type = "console"
batch_window = "2m"
)",
                            "p.toml");
    BOOST_REQUIRE_MESSAGE(c.has_value(), (c.has_value() ? std::string() : all(c.error())));
    BOOST_REQUIRE(c->notifiers.size() == 5u);
    BOOST_TEST(c->notifiers[0].batch_window.count() == 60);
    BOOST_TEST(c->notifiers[1].batch_window.count() == 0);
    BOOST_TEST(c->notifiers[2].batch_window.count() == 5);
    BOOST_TEST(c->notifiers[3].batch_window.count() == 0);
    BOOST_TEST(c->notifiers[4].batch_window.count() == 120);

    auto bad = parse_channels(R"(requirements = ["r.txt"]
[notifiers.team]
type = "slack"
webhook_url = "https://hooks.slack.com/services/T0/B0/x"
batch_window = "soon"
)",
                              "p.toml");
    BOOST_REQUIRE(!bad.has_value());
    auto const text = all(bad.error());
    BOOST_TEST(text.find("p.toml:5: notifiers.team.batch_window: expected a duration") !=
                   std::string::npos,
               text);
}

BOOST_AUTO_TEST_CASE(notifier_mistakes_are_named_with_their_line) {
    auto c = parse_channels(R"(requirements = ["r.txt"]
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
    BOOST_TEST(text.find("p.toml:3: notifiers.a.type: unknown notifier type 'carrier-pigeon' "
                         "(expected console") != std::string::npos,
               text);
    BOOST_TEST(text.find("p.toml:4: notifiers.b.type: missing") != std::string::npos, text);
    BOOST_TEST(text.find("p.toml:8: notifiers.c.events: unknown event kind 'new_releases'") !=
                   std::string::npos,
               text);
    BOOST_TEST(text.find("p.toml:9: notifiers.c.update_types: unknown update type 'huge'") !=
                   std::string::npos,
               text);
    BOOST_TEST(text.find("p.toml:10: notifiers.c.colour: unknown key") != std::string::npos, text);
    BOOST_TEST(text.find("p.toml:13: notifiers.d.packages: expected a list of strings") !=
                   std::string::npos,
               text);
}

BOOST_AUTO_TEST_CASE(slack_and_webhook_notifiers_resolve_their_secrets) {
    std::string tmpl = (fs::temp_directory_path() / "pinwatch-config-XXXXXX").string();
    BOOST_REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    fs::path const dir(tmpl);
    std::ofstream(dir / "hook-url") << kHookUrl << "\n";
    fs::permissions(dir / "hook-url", fs::perms::owner_read | fs::perms::owner_write);
    ScopedEnv slack("PINWATCH_TEST_SLACK_URL", kSlackUrl);
    ScopedEnv key("PINWATCH_TEST_WEBHOOK_SECRET", kWhsec);

    auto c = parse_channels(R"(requirements = ["r.txt"]
[notifiers.team-slack]
type = "slack"
webhook_url = "env:PINWATCH_TEST_SLACK_URL"
events = ["new_release"]
[notifiers.audit-hook]
type = "webhook"
url = "file:hook-url"
secret = "env:PINWATCH_TEST_WEBHOOK_SECRET"
[notifiers.local]
type = "slack"
webhook_url = "http://127.0.0.1:8080/services/x"
)",
                            (dir / "pinwatch.toml").string());
    fs::remove_all(dir);
    BOOST_REQUIRE_MESSAGE(c.has_value(), (c.has_value() ? std::string() : all(c.error())));
    BOOST_REQUIRE(c->notifiers.size() == 3u);
    std::map<std::string, NotifierConfig const*> by_name;
    for (auto const& n : c->notifiers)
        by_name[n.name] = &n;
    auto const& s = *by_name.at("team-slack");
    BOOST_TEST(s.type == "slack");
    BOOST_TEST(s.as<SlackConfig>()->webhook_url.reveal() == kSlackUrl);
    BOOST_TEST(s.route.events.size() == 1u);
    auto const& w = *by_name.at("audit-hook");
    BOOST_TEST(w.type == "webhook");
    BOOST_TEST(w.as<WebhookConfig>()->url.reveal() == kHookUrl);
    // The key bytes: base64 "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" decodes to 24 bytes.
    BOOST_TEST(w.as<WebhookConfig>()->signing_key.reveal().size() == 24u);
    BOOST_TEST(w.as<WebhookConfig>()->signing_key.reveal().substr(0, 3) == "\x31\xf2\x90");
    BOOST_TEST(by_name.at("local")->as<SlackConfig>()->webhook_url.reveal() ==
               "http://127.0.0.1:8080/services/x");
}

BOOST_AUTO_TEST_CASE(notifier_setting_errors_say_what_and_where_without_the_secret) {
    ScopedEnv bad_url("PINWATCH_TEST_BAD_URL", "http://hooks.slack.com/services/s3cr3t");
    ScopedEnv bad_key("PINWATCH_TEST_BAD_KEY", "s3cr3t-not-a-whsec-key");
    ::unsetenv("PINWATCH_TEST_NOT_SET");
    auto c = parse_channels(R"(requirements = ["r.txt"]
[notifiers.a-unset]
type = "slack"
webhook_url = "env:PINWATCH_TEST_NOT_SET"
[notifiers.b-plain-http]
type = "slack"
webhook_url = "http://hooks.slack.com/services/T0/B0/s3cr3t"
[notifiers.c-env-http]
type = "slack"
webhook_url = "env:PINWATCH_TEST_BAD_URL"
[notifiers.d-missing]
type = "slack"
[notifiers.e-wrong-key]
type = "slack"
webhook_url = "https://hooks.slack.com/services/s3cr3t"
url = "https://example.com/"
[notifiers.f-bad-secret]
type = "webhook"
url = "https://hooks.example.com/s3cr3t"
secret = "whsec_!!s3cr3t"
[notifiers.g-env-secret]
type = "webhook"
url = "ftp://s3cr3t@example.com/"
secret = "env:PINWATCH_TEST_BAD_KEY"
[notifiers.h-nothing]
type = "webhook"
[notifiers.i-number]
type = "slack"
webhook_url = 42
[notifiers.j-type]
type = "pager"
[notifiers.k-no-host]
type = "webhook"
url = "https://:443/s3cr3t"
secret = "whsec_"
[notifiers.l-spoofed-localhost]
type = "slack"
webhook_url = "http://localhost.evil.example/s3cr3t"
[notifiers.m-console]
type = "console"
secret = "x"
)",
                            "n.toml");
    BOOST_REQUIRE(!c.has_value());
    require_no_secrets(c.error());
    std::string const https = "an https:// URL (http:// only to 127.0.0.1 or localhost)";
    std::string const whsec = "a Standard Webhooks key: \"whsec_\" followed by base64";
    std::set<std::string> const expected{
        "n.toml:4: notifiers.a-unset.webhook_url: env: environment variable "
        "'PINWATCH_TEST_NOT_SET' is not set",
        "n.toml:7: notifiers.b-plain-http.webhook_url: expected " + https,
        "n.toml:10: notifiers.c-env-http.webhook_url: env:PINWATCH_TEST_BAD_URL does not "
        "hold " +
            https,
        "n.toml:11: notifiers.d-missing.webhook_url: missing (the incoming webhook's URL, "
        "or env:NAME, file:PATH, credential:NAME)",
        "n.toml:16: notifiers.e-wrong-key.url: unknown key (type 'slack' takes "
        "webhook_url)",
        "n.toml:20: notifiers.f-bad-secret.secret: expected " + whsec,
        "n.toml:23: notifiers.g-env-secret.url: expected " + https,
        "n.toml:24: notifiers.g-env-secret.secret: env:PINWATCH_TEST_BAD_KEY does not "
        "hold " +
            whsec,
        "n.toml:25: notifiers.h-nothing.url: missing (the URL, or env:NAME, file:PATH, "
        "credential:NAME)",
        "n.toml:25: notifiers.h-nothing.secret: missing (a Standard Webhooks key "
        "\"whsec_...\", or env:NAME, file:PATH, credential:NAME)",
        "n.toml:29: notifiers.i-number.webhook_url: expected a string",
        "n.toml:31: notifiers.j-type.type: unknown notifier type 'pager' (expected "
        "console, slack, webhook, email)",
        "n.toml:34: notifiers.k-no-host.url: expected " + https + " with a host",
        "n.toml:35: notifiers.k-no-host.secret: expected " + whsec,
        "n.toml:38: notifiers.l-spoofed-localhost.webhook_url: expected " + https,
        "n.toml:41: notifiers.m-console.secret: unknown key (type 'console' takes no "
        "settings)",
    };
    auto const got = messages(c.error());
    for (auto const& e : expected)
        BOOST_TEST(got.count(e) == 1u, "missing: " << e << "\ngot:\n" << all(c.error()));
    for (auto const& g : got)
        BOOST_TEST(expected.count(g) == 1u, "unexpected: " << g);
}

BOOST_AUTO_TEST_CASE(secret_files_others_can_read_are_refused_by_name) {
    std::string tmpl = (fs::temp_directory_path() / "pinwatch-config-XXXXXX").string();
    BOOST_REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    fs::path const dir(tmpl);
    std::ofstream(dir / "slack-url") << kSlackUrl << "\n";
    fs::permissions(dir / "slack-url", fs::perms::owner_read | fs::perms::owner_write |
                                           fs::perms::group_read | fs::perms::others_read);
    auto c = parse_channels(R"(requirements = ["r.txt"]
[notifiers.team-slack]
type = "slack"
webhook_url = "file:slack-url"
)",
                            (dir / "pinwatch.toml").string());
    fs::remove_all(dir);
    BOOST_REQUIRE(!c.has_value());
    BOOST_REQUIRE(c.error().size() == 1u);
    BOOST_TEST(c.error()[0].str() ==
               (dir / "pinwatch.toml").string() + ":4: notifiers.team-slack.webhook_url: file: '" +
                   (dir / "slack-url").string() +
                   "' is readable by group or others (mode 0644); restrict it with chmod 600");
    require_no_secrets(c.error());
}

// --- [notifiers.<name>] type = "email" --------------------------------------------------------

BOOST_AUTO_TEST_CASE(an_email_notifier) {
    auto c = parse_channels(R"(requirements = ["r.txt"]
[notifiers.ops-mail]
type = "email"
smtp_url = "smtp://mail.example.com:587"
starttls = true
username = "pinwatch"
password = "file:/etc/pinwatch/smtp-password"
from = "pinwatch <pinwatch@example.com>"
to = ["dev-team@example.com", "ops@example.com"]
events = ["new_release"]
)",
                            "/etc/pinwatch/pinwatch.toml");
    BOOST_REQUIRE_MESSAGE(c.has_value(), (c.has_value() ? std::string() : all(c.error())));
    BOOST_REQUIRE_EQUAL(c->notifiers.size(), 1u);
    auto const& n = c->notifiers[0];
    BOOST_TEST(n.name == "ops-mail");
    BOOST_TEST(n.type == "email");
    BOOST_REQUIRE(n.as<EmailConfig>() != nullptr);
    auto const& e = *n.as<EmailConfig>();
    BOOST_TEST(e.smtp_url == "smtp://mail.example.com:587");
    BOOST_TEST(e.host == "mail.example.com");
    BOOST_TEST(e.port == 587);
    BOOST_TEST((e.security == SmtpSecurity::starttls));
    BOOST_TEST(e.username.value() == "pinwatch");
    BOOST_TEST(e.password_ref.value() == "file:/etc/pinwatch/smtp-password"); // not resolved here
    BOOST_TEST(e.from.display_name == "pinwatch");
    BOOST_TEST(e.from.address == "pinwatch@example.com");
    BOOST_REQUIRE_EQUAL(e.to.size(), 2u);
    BOOST_TEST(e.to[1].address == "ops@example.com");
    BOOST_TEST(n.route.events.size() == 1u);
}

BOOST_AUTO_TEST_CASE(email_schemes_ports_and_starttls) {
    auto parse = [](std::string const& extra) {
        return parse_channels("requirements = [\"r.txt\"]\n[notifiers.m]\ntype = \"email\"\n"
                              "from = \"a@example.com\"\nto = [\"b@example.com\"]\n" +
                                  extra,
                              "m.toml");
    };
    auto smtps = parse("smtp_url = \"smtps://mail.example.com\"\n");
    BOOST_REQUIRE(smtps.has_value());
    BOOST_TEST(smtps->notifiers[0].as<EmailConfig>()->port == 465);
    BOOST_TEST((smtps->notifiers[0].as<EmailConfig>()->security == SmtpSecurity::implicit_tls));
    BOOST_TEST(!smtps->notifiers[0].as<EmailConfig>()->username.has_value());

    auto smtp = parse("smtp_url = \"SMTP://mail.example.com/\"\n");
    BOOST_REQUIRE(smtp.has_value());
    BOOST_TEST(smtp->notifiers[0].as<EmailConfig>()->port == 587);
    BOOST_TEST((smtp->notifiers[0].as<EmailConfig>()->security == SmtpSecurity::starttls));

    auto plain = parse("smtp_url = \"smtp://127.0.0.1:2525\"\nstarttls = false\n");
    BOOST_REQUIRE(plain.has_value());
    BOOST_TEST(plain->notifiers[0].as<EmailConfig>()->host == "127.0.0.1");
    BOOST_TEST(plain->notifiers[0].as<EmailConfig>()->port == 2525);
    BOOST_TEST((plain->notifiers[0].as<EmailConfig>()->security == SmtpSecurity::plain));

    auto v6 = parse("smtp_url = \"smtps://[::1]:4650\"\n");
    BOOST_REQUIRE(v6.has_value());
    BOOST_TEST(v6->notifiers[0].as<EmailConfig>()->host == "::1");
    BOOST_TEST(v6->notifiers[0].as<EmailConfig>()->port == 4650);
}

BOOST_AUTO_TEST_CASE(email_settings_are_checked_key_by_key) {
    auto messages = [](std::string const& table) {
        auto c = parse_channels(
            "requirements = [\"r.txt\"]\n[notifiers.m]\ntype = \"email\"\n" + table, "m.toml");
        std::vector<std::string> out;
        if (c.has_value()) return out;
        for (auto const& e : c.error())
            out.push_back(e.str());
        std::sort(out.begin(), out.end());
        return out;
    };
    using V = std::vector<std::string>;
    auto const good = std::string("from = \"a@example.com\"\nto = [\"b@example.com\"]\n");

    BOOST_TEST(
        (messages("") == V{"m.toml:2: notifiers.m.from: missing (type \"email\" needs smtp_url, "
                           "from and to)",
                           "m.toml:2: notifiers.m.smtp_url: missing (type \"email\" needs "
                           "smtp_url, from and to)",
                           "m.toml:2: notifiers.m.to: missing (type \"email\" needs smtp_url, from "
                           "and to)"}));
    BOOST_TEST((messages(good + "smtp_url = \"https://mail.example.com\"\n") ==
                V{"m.toml:6: notifiers.m.smtp_url: expected smtp://host[:port] (STARTTLS, "
                  "port 587 by default) or smtps://host[:port] (implicit TLS, port 465 by "
                  "default)"}));
    BOOST_TEST((messages(good + "smtp_url = \"smtp://u:pw@mail.example.com\"\n") ==
                V{"m.toml:6: notifiers.m.smtp_url: credentials go in 'username' and "
                  "'password', not in the URL"}));
    BOOST_TEST((messages(good + "smtp_url = \"smtp://mail.example.com:0\"\n") ==
                V{"m.toml:6: notifiers.m.smtp_url: invalid port '0' (expected 1 to 65535)"}));
    BOOST_TEST((messages(good + "smtp_url = \"smtp://mail.example.com/x?y\"\n") ==
                V{"m.toml:6: notifiers.m.smtp_url: no path, query or fragment allowed; "
                  "expected smtp://host[:port] (STARTTLS, port 587 by default) or "
                  "smtps://host[:port] (implicit TLS, port 465 by default)"}));
    BOOST_TEST((messages(good + "smtp_url = \"smtps://mail.example.com\"\nstarttls = false\n") ==
                V{"m.toml:7: notifiers.m.starttls: only meaningful for smtp:// (smtps:// "
                  "is always implicit TLS)"}));
    BOOST_TEST((messages(good + "smtp_url = \"smtp://m.example.com\"\nstarttls = \"no\"\n") ==
                V{"m.toml:7: notifiers.m.starttls: expected true or false"}));
    BOOST_TEST((messages(good + "smtp_url = \"smtp://m.example.com\"\npassword = \"env:PW\"\n") ==
                V{"m.toml:7: notifiers.m.password: needs 'username' too"}));
    BOOST_TEST((messages(good + "smtp_url = \"smtp://m.example.com\"\nusername = \"u\"\n") ==
                V{"m.toml:7: notifiers.m.username: needs 'password' too"}));
    BOOST_TEST((messages(good + "smtp_url = \"smtp://m.example.com\"\nusername = \"\"\n"
                                "password = \"\"\n") ==
                V{"m.toml:7: notifiers.m.username: expected a non-empty name without "
                  "control characters",
                  "m.toml:8: notifiers.m.password: expected a secret: a literal, env:NAME, "
                  "file:PATH or credential:NAME"}));
    BOOST_TEST((messages(good + "smtp_url = \"smtp://m.example.com\"\nstarttls = false\n"
                                "username = \"u\"\npassword = \"env:PW\"\n") ==
                V{"m.toml:8: notifiers.m.username: AUTH needs TLS; use smtps:// or remove "
                  "starttls = false"}));
    BOOST_TEST((messages("smtp_url = \"smtp://m.example.com\"\nfrom = \"pinwatch\"\nto = []\n") ==
                V{"m.toml:5: notifiers.m.from: the address has no '@' (expected \"Name "
                  "<local@domain>\" or local@domain)",
                  "m.toml:6: notifiers.m.to: expected a list of at least one address"}));
    BOOST_TEST((messages("smtp_url = \"smtp://m.example.com\"\nfrom = \"a@example.com\"\n"
                         "to = [\"ok@example.com\", \"x@example.com\\r\\nBcc: y@evil\"]\n") ==
                V{"m.toml:6: notifiers.m.to: control characters (such as CR or LF) are not "
                  "allowed in \"x@example.com\\x0d\\x0aBcc: y@evil\""}));
    BOOST_TEST((messages("smtp_url = \"smtp://m.example.com\"\nfrom = \"a@example.com\"\n"
                         "to = \"b@example.com\"\n") ==
                V{"m.toml:6: notifiers.m.to: expected a list of at least one address"}));
}

BOOST_AUTO_TEST_CASE(email_keys_belong_to_email_notifiers_only) {
    auto c = parse_channels("requirements = [\"r.txt\"]\n[notifiers.c]\ntype = \"console\"\n"
                            "smtp_url = \"smtp://m.example.com\"\n",
                            "c.toml");
    BOOST_REQUIRE(!c.has_value());
    BOOST_TEST(all(c.error()) == "c.toml:4: notifiers.c.smtp_url: not a setting of type "
                                 "'console' (only of type 'email')\n");
    auto untyped =
        parse_channels("requirements = [\"r.txt\"]\n[notifiers.x]\nevents = []\n", "x.toml");
    BOOST_REQUIRE(!untyped.has_value());
    BOOST_TEST(all(untyped.error()) == "x.toml:2: notifiers.x.type: missing (expected one "
                                       "of: console, slack, webhook, email)\n");
}

BOOST_AUTO_TEST_CASE(rules_globally_and_per_package) {
    auto c = parse_config(R"(requirements = ["r.txt"]
update_types = ["major", "minor", "patch"]
min_release_age = "3d"
vulnerability_interval = "12h"
[packages.Django]
ignore = ">=5"
pre = true
[packages."zope.interface"]
update_types = ["patch"]
min_release_age = 0
ignore = ["==4.2.3", ">=6,<7"]
)",
                          "p.toml");
    BOOST_REQUIRE_MESSAGE(c.has_value(), (c.has_value() ? std::string() : all(c.error())));
    using pinwatch::model::UpdateType;
    BOOST_TEST(c->rules.update_types.size() == 3u);
    BOOST_TEST(c->rules.min_release_age == 3 * 86400);
    BOOST_TEST(!c->rules.pre.has_value());
    BOOST_TEST(c->vulnerability_interval.count() == 12 * 3600);
    auto const django = c->packages.at("django").over(c->rules);
    BOOST_TEST(django.ignore == (std::vector<std::string>{">=5"}),
               boost::test_tools::per_element());
    BOOST_TEST(django.pre.value());
    BOOST_TEST(django.min_release_age == 3 * 86400); // inherited
    BOOST_TEST(django.update_types.size() == 3u);
    auto const zope = c->packages.at("zope-interface").over(c->rules);
    BOOST_TEST(zope.min_release_age == 0);
    BOOST_TEST((zope.update_types == std::set<UpdateType>{UpdateType::patch}));
    BOOST_TEST(zope.ignore == (std::vector<std::string>{"==4.2.3", "<7,>=6"}),
               boost::test_tools::per_element());
    BOOST_TEST(c->package_lines.at("django") == 5);
    // Defaults: every release, no cooldown, advisories every 6 hours.
    auto d = parse_config("requirements = [\"r.txt\"]\n", "p.toml");
    BOOST_TEST((d->rules == pinwatch::model::Rules{}));
    BOOST_TEST(d->vulnerability_interval.count() == 6 * 3600);
}

BOOST_AUTO_TEST_CASE(bad_rules_name_the_file_line_and_key) {
    auto c = parse_config(R"(requirements = ["r.txt"]
update_types = ["huge"]
ignore = ">=five"
min_release_age = "soon"
[packages.django]
ignor = ">=5"
pre = "yes"
[packages.Django]
ignore = ">=5"
[packages."not a name!"]
ignore = ">=1"
[packages]
flask = 3
)",
                          "p.toml");
    BOOST_REQUIRE(!c.has_value());
    auto const m = all(c.error());
    BOOST_TEST(m.find("p.toml:2: update_types: unknown update type 'huge'") != std::string::npos,
               m);
    BOOST_TEST(m.find("p.toml:3: ignore: '>=five' is not a PEP 440 specifier") != std::string::npos,
               m);
    BOOST_TEST(m.find("p.toml:4: min_release_age: expected a duration") != std::string::npos, m);
    BOOST_TEST(m.find("p.toml:6: packages.django.ignor: unknown key") != std::string::npos, m);
    BOOST_TEST(m.find("p.toml:7: packages.django.pre: expected true or false") != std::string::npos,
               m);
    BOOST_TEST(m.find("name the same package 'django'") != std::string::npos, m);
    BOOST_TEST(m.find("[packages.not a name!]: not a valid project name") != std::string::npos, m);
    BOOST_TEST(m.find("p.toml:13: packages.flask: expected a table [packages.flask]") !=
                   std::string::npos,
               m);
}

// Issue #20: [state] keep, the retention of delivered events (default 90 days), validated like
// every other duration; `state = "path"` keeps working, and [state] path does the same.
BOOST_AUTO_TEST_CASE(state_table_path_and_keep) {
    auto plain = parse_config("requirements = [\"r.txt\"]\nstate = \"s.db\"\n", "/etc/p/p.toml");
    BOOST_REQUIRE(plain.has_value());
    BOOST_TEST(plain->state.value() == "/etc/p/s.db");
    BOOST_TEST(plain->state_keep.count() == 90 * 86400);
    auto table = parse_config(
        "requirements = [\"r.txt\"]\n[state]\npath = \"s.db\"\nkeep = \"30d\"\n", "/etc/p/p.toml");
    BOOST_REQUIRE_MESSAGE(table.has_value(), (table ? std::string() : all(table.error())));
    BOOST_TEST(table->state.value() == "/etc/p/s.db");
    BOOST_TEST(table->state_keep.count() == 30 * 86400);
    auto bad = parse_config("requirements = [\"r.txt\"]\n[state]\nkeep = \"forever\"\nsize = 3\n",
                            "k.toml");
    BOOST_REQUIRE(!bad.has_value());
    BOOST_REQUIRE(bad.error().size() == 2u);
    BOOST_TEST(bad.error()[0].str() == "k.toml:3: state.keep: expected a duration from 3600s to "
                                       "366d, like \"90s\", \"15m\", \"1h\" or a number of "
                                       "seconds");
    BOOST_TEST(bad.error()[1].str().rfind("k.toml:4: state.size: unknown key", 0) == 0u,
               bad.error()[1].str());
}

// A channel config has never heard of (Matrix, say) is one reader: config reads the keys every
// notifier has, hands the channel its own, lists it among the types and keeps what it read.
struct MatrixSettings final : ChannelSettings {
    std::string room;
    std::string destination() const override { return room; }
};

BOOST_AUTO_TEST_CASE(a_new_channel_is_one_reader_config_does_not_name) {
    ChannelReaders const channels{{"console",
                                   {},
                                   [](Reader& r, ChannelTable const& t) {
                                       reject_foreign_keys(r, t, {}, false);
                                       return std::shared_ptr<ChannelSettings const>(
                                           std::make_shared<MatrixSettings>());
                                   }},
                                  {"matrix", {"room"}, [](Reader& r, ChannelTable const& t) {
                                       auto s = std::make_shared<MatrixSettings>();
                                       reject_foreign_keys(r, t, {"room"}, false);
                                       if (auto const* v = t.at("room"))
                                           if (auto room = r.string(*v, t.full("room")))
                                               s->room = *room;
                                       return std::shared_ptr<ChannelSettings const>(s);
                                   }}};
    auto ok = parse_config("requirements = [\"r.txt\"]\n[notifiers.chat]\ntype = \"matrix\"\n"
                           "room = \"!ops:example.org\"\nevents = [\"new_release\"]\n",
                           "m.toml", {}, channels);
    BOOST_REQUIRE_MESSAGE(ok.has_value(), (ok ? std::string() : all(ok.error())));
    BOOST_REQUIRE_EQUAL(ok->notifiers.size(), 1u);
    BOOST_REQUIRE(ok->notifiers[0].as<MatrixSettings>() != nullptr);
    BOOST_TEST(ok->notifiers[0].as<MatrixSettings>()->room == "!ops:example.org");
    BOOST_TEST(ok->notifiers[0].route.events.size() == 1u);

    auto bad = parse_config("requirements = [\"r.txt\"]\n[notifiers.chat]\ntype = \"slack\"\n"
                            "rooom = 1\n[notifiers.c]\ntype = \"console\"\nroom = \"x\"\n",
                            "m.toml", {}, channels);
    BOOST_REQUIRE(!bad.has_value());
    BOOST_TEST(all(bad.error()) ==
               "m.toml:3: notifiers.chat.type: unknown notifier type 'slack' (expected console, "
               "matrix)\n"
               "m.toml:4: notifiers.chat.rooom: unknown key (did you mean 'room'?)\n"
               "m.toml:7: notifiers.c.room: unknown key (type 'console' takes no settings)\n");
}
