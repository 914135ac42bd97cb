#define BOOST_TEST_MODULE config_check
#include <boost/test/unit_test.hpp>

// check_config: what `run` and `config-check` verify before the daemon starts. Each kind of
// mistake is asserted with its exact message, and all of them come out of one check.

#include "config/check.hpp"
#include "notifiers/registry.hpp"
#include "notifiers/slack/slack.hpp"
#include "tests/fakes/scratch_dir.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

using namespace pinwatch::config;
namespace fs = std::filesystem;

namespace {

// config-check as the commands run it: each notifier channel's keys read by its registry
// entry (config/ reads only what every notifier has).
ConfigCheck check(std::string const& path) {
    return check_config(path, {}, pinwatch::notifiers::channel_readers());
}

struct Dir : pinwatch::test::ScratchDir {
    Dir() : ScratchDir("pinwatch-check") {}
};

std::vector<std::string> lines(std::vector<ConfigError> const& v) {
    std::vector<std::string> out;
    for (auto const& e : v)
        out.push_back(e.str());
    return out;
}

std::string joined(std::vector<ConfigError> const& v) {
    std::string out;
    for (auto const& e : v)
        out += e.str() + "\n";
    return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_good_config_passes) {
    Dir d;
    d.write("requirements.txt", "requests==2.31.0\n");
    auto const cfg = d.write("pinwatch.toml", "requirements = [\"requirements.txt\"]\n");
    auto const c = check(cfg);
    BOOST_TEST(c.ok(), joined(c.errors));
    BOOST_TEST(c.warnings.empty());
    BOOST_REQUIRE(c.config.has_value());
    BOOST_TEST(c.config->requirements.at(0) == d.path("requirements.txt"));
}

// One config holding one mistake of each kind: every one is reported, in file order, each
// with its line and key, and no secret value appears anywhere.
BOOST_AUTO_TEST_CASE(every_kind_of_mistake_at_once) {
    Dir d;
    ::unsetenv("PINWATCH_CHECK_UNSET");
    d.write("slack-url", "https://hooks.slack.com/services/T0/B0/s3cr3t", 0644);
    d.write("requirements.txt", "requests\n");
    auto const cfg = d.write("pinwatch.toml", R"(requirements = ["requirements.txt", "missing.txt"]
pyproject = ["nope/pyproject.toml"]
interval = "soon"
jitter = "lots"
index_url = "ftp://mirror.example/simple/"
colour = "blue"
[http]
timeout = "10 minutes"
extra_ca_file = "no-ca.pem"
[notifiers.pager]
type = "carrier-pigeon"
[notifiers.team]
type = "slack"
webhook_url = "env:PINWATCH_CHECK_UNSET"
[notifiers.ops]
type = "slack"
webhook_url = "file:slack-url"
[notifiers.hook]
type = "webhook"
url = "http://example.com/hook"
[notifiers.mail]
type = "email"
smtp_url = "smtp://mail.example.com"
username = "pinwatch"
password = "env:PINWATCH_CHECK_UNSET"
from = "pinwatch@example.com"
to = ["team@example.com"]
)");
    auto const c = check(cfg);
    BOOST_TEST(!c.ok());
    BOOST_TEST(!c.config.has_value());
    auto const p = cfg + ":";
    std::vector<std::string> const expected = {
        p + "1: requirements: cannot read '" + d.path("missing.txt") +
            "': No such file or directory",
        p + "2: pyproject: cannot read '" + d.path("nope/pyproject.toml") +
            "': No such file or directory",
        p + "3: interval: expected a duration from 1s to 366d, like \"90s\", \"15m\", \"1h\" or "
            "a number of seconds",
        p + "4: jitter: expected a fraction from 0 to 0.5",
        p + "5: index_url: expected an http:// or https:// URL",
        p + "6: colour: unknown key",
        p + "8: http.timeout: expected a duration from 1s to 366d, like \"90s\", \"15m\", \"1h\" "
            "or a number of seconds",
        p + "9: http.extra_ca_file: cannot read '" + d.path("no-ca.pem") +
            "': No such file or directory",
        p + "11: notifiers.pager.type: unknown notifier type 'carrier-pigeon' (expected console, "
            "slack, webhook, email)",
        p + "14: notifiers.team.webhook_url: env: environment variable 'PINWATCH_CHECK_UNSET' "
            "is not set",
        p + "17: notifiers.ops.webhook_url: file: '" + d.path("slack-url") +
            "' is readable by group or others (mode 0644); restrict it with chmod 600",
        p + "18: notifiers.hook.secret: missing (a Standard Webhooks key \"whsec_...\", or "
            "env:NAME, file:PATH, credential:NAME)",
        p + "20: notifiers.hook.url: expected an https:// URL (http:// only to 127.0.0.1 or "
            "localhost)",
        p + "25: notifiers.mail.password: env: environment variable 'PINWATCH_CHECK_UNSET' is "
            "not set",
    };
    auto const got = lines(c.errors);
    BOOST_TEST(got == expected, boost::test_tools::per_element());
    for (auto const& e : got)
        BOOST_TEST(e.find("s3cr3t") == std::string::npos, e);
}

BOOST_AUTO_TEST_CASE(a_requirements_path_that_is_a_folder) {
    Dir d;
    fs::create_directories(d.dir / "reqs");
    auto const cfg = d.write("pinwatch.toml", "\n\nrequirements = \"reqs\"\n");
    auto const c = check(cfg);
    BOOST_TEST(joined(c.errors) == cfg + ":3: requirements: cannot read '" + d.path("reqs") +
                                       "': not a regular file (a directory)\n");
}

BOOST_AUTO_TEST_CASE(invalid_toml_and_an_unreadable_config) {
    Dir d;
    auto const cfg = d.write("pinwatch.toml", "requirements = [\"r.txt\"\n");
    auto const c = check(cfg);
    BOOST_REQUIRE(c.errors.size() == 1u);
    BOOST_TEST(c.errors[0].str().rfind(cfg + ":1: invalid TOML: ", 0) == 0u, c.errors[0].str());
    auto const missing = check(d.path("absent.toml"));
    BOOST_TEST(joined(missing.errors) ==
               d.path("absent.toml") +
                   ": cannot read the config file: No such file or directory\n");
}

BOOST_AUTO_TEST_CASE(nothing_to_watch_names_the_key) {
    Dir d;
    auto const cfg = d.write("pinwatch.toml", "interval = \"5m\"\n");
    BOOST_TEST(joined(check(cfg).errors) ==
               cfg + ": requirements: nothing to watch: set 'requirements' (and/or 'pyproject') "
                     "to a list of files, or add [projects.<name>] tables with 'files'\n");
}

// A literal secret is allowed, but in a file others can read it is said, per key.
BOOST_AUTO_TEST_CASE(literal_secrets_in_a_readable_file_are_a_warning) {
    Dir d;
    d.write("requirements.txt", "requests\n");
    std::string const text = "requirements = [\"requirements.txt\"]\n"
                             "[notifiers.team]\ntype = \"slack\"\n"
                             "webhook_url = \"https://hooks.slack.com/services/T0/B0/s3cr3t\"\n"
                             "[notifiers.hook]\ntype = \"webhook\"\n"
                             "url = \"https://hooks.example.com/in\"\n"
                             "secret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"\n";
    auto const cfg = d.write("pinwatch.toml", text, 0644);
    auto const c = check(cfg);
    BOOST_TEST(c.ok(), joined(c.errors));
    std::string const tail = ": a literal secret in a file readable by group or others (mode "
                             "0644); use env:NAME, file:PATH or credential:NAME, or chmod 600 the "
                             "file\n";
    BOOST_TEST(joined(c.warnings) == cfg + ":4: notifiers.team.webhook_url" + tail + cfg +
                                         ":7: notifiers.hook.url" + tail + cfg +
                                         ":8: notifiers.hook.secret" + tail);
    BOOST_TEST(joined(c.warnings).find("s3cr3t") == std::string::npos);
    // Owner-only: nothing to say.
    ::chmod(cfg.c_str(), 0600);
    BOOST_TEST(check(cfg).warnings.empty());
    // References in a readable file are fine: they are not secrets.
    ::setenv("PINWATCH_CHECK_URL", "https://hooks.slack.com/services/T0/B0/s3cr3t", 1);
    auto const refs = d.write("refs.toml",
                              "requirements = [\"requirements.txt\"]\n[notifiers.team]\n"
                              "type = \"slack\"\nwebhook_url = \"env:PINWATCH_CHECK_URL\"\n",
                              0644);
    auto const r = check(refs);
    BOOST_TEST(r.ok(), joined(r.errors));
    BOOST_TEST(r.warnings.empty(), joined(r.warnings));
    ::unsetenv("PINWATCH_CHECK_URL");
}

BOOST_AUTO_TEST_CASE(credential_references_read_credentials_directory) {
    Dir d;
    d.write("requirements.txt", "requests\n");
    fs::create_directories(d.dir / "creds");
    d.write("creds/slack", "https://hooks.slack.com/services/T0/B0/s3cr3t\n", 0400);
    auto const cfg = d.write("pinwatch.toml", "requirements = [\"requirements.txt\"]\n"
                                              "[notifiers.team]\ntype = \"slack\"\n"
                                              "webhook_url = \"credential:slack\"\n");
    ::unsetenv("CREDENTIALS_DIRECTORY");
    auto const without = check(cfg);
    BOOST_REQUIRE(without.errors.size() == 1u);
    BOOST_TEST(
        without.errors[0].str().rfind(cfg + ":4: notifiers.team.webhook_url: credential:", 0) == 0u,
        without.errors[0].str());
    ::setenv("CREDENTIALS_DIRECTORY", (d.dir / "creds").c_str(), 1);
    auto const with = check(cfg);
    BOOST_TEST(with.ok(), joined(with.errors));
    BOOST_REQUIRE(with.config.has_value());
    BOOST_TEST(
        with.config->notifiers.at(0).as<pinwatch::notifiers::SlackConfig>()->webhook_url.reveal() ==
        "https://hooks.slack.com/services/T0/B0/s3cr3t");
    ::unsetenv("CREDENTIALS_DIRECTORY");
}

BOOST_AUTO_TEST_CASE(metrics_listener_settings) {
    Dir d;
    d.write("requirements.txt", "requests\n");
    auto const check = [&](std::string const& table) {
        auto const cfg =
            d.write("pinwatch.toml", "requirements = [\"requirements.txt\"]\n" + table);
        return check_config(cfg);
    };
    auto const ok = check("[metrics]\nlisten = \"127.0.0.1:9464\"\n");
    BOOST_REQUIRE(ok.ok());
    BOOST_REQUIRE(ok.config->metrics.has_value());
    BOOST_TEST(ok.config->metrics->host == "127.0.0.1");
    BOOST_TEST(ok.config->metrics->port == 9464);
    BOOST_TEST(ok.config->metrics->outbox_stale.count() == 3600);
    auto const v6 = check("[metrics]\nlisten = \"[::1]:9000\"\noutbox_stale = \"2h\"\n");
    BOOST_REQUIRE(v6.ok());
    BOOST_TEST(v6.config->metrics->host == "::1");
    BOOST_TEST(v6.config->metrics->outbox_stale.count() == 7200);
    BOOST_TEST(!check("").config->metrics.has_value()); // off by default

    std::string const p = d.path("pinwatch.toml") + ":";
    BOOST_TEST(joined(check("[metrics]\nlisten = \"0.0.0.0:9464\"\n").errors) ==
               p + "3: metrics.listen: 0.0.0.0 is not a loopback address; set allow_remote = "
                   "true in [metrics] to serve metrics beyond this machine\n");
    BOOST_TEST(check("[metrics]\nlisten = \"0.0.0.0:9464\"\nallow_remote = true\n").ok());
    for (auto const* bad : {"localhost:9464", "127.0.0.1", "::1:9464", "127.0.0.1:70000",
                            "300.1.1.1:80", "127.0.0.1:"})
        BOOST_TEST(joined(check("[metrics]\nlisten = \"" + std::string(bad) + "\"\n").errors) ==
                       p +
                           "3: metrics.listen: expected an IP address and port, like "
                           "\"127.0.0.1:9464\" or \"[::1]:9464\", got '" +
                           bad + "'\n",
                   bad);
    BOOST_TEST(joined(check("[metrics]\nport = 1\n").errors) ==
               p + "2: metrics.listen: missing (an address like \"127.0.0.1:9464\")\n" + p +
                   "3: metrics.port: unknown key\n");
}

// Issue #20 defect 7: a world-writable config or requirements file, and a `file:` secret owned
// by another user or in a world-writable folder, were accepted: any local user could redirect
// the notifiers or the index. Each is refused, as file:line: key: message with the fix.
BOOST_AUTO_TEST_CASE(files_others_can_change_are_refused) {
    Dir d;
    auto const req = d.write("requirements.txt", "requests\n", 0664);
    auto const cfg = d.write("pinwatch.toml", "requirements = [\"requirements.txt\"]\n", 0666);
    auto c = check(cfg);
    BOOST_TEST(
        lines(c.errors) ==
            (std::vector<std::string>{
                cfg + ":1: requirements: '" + req +
                    "' is writable by group or others (mode 0664); chmod go-w '" + req + "'",
                cfg + ": config: '" + cfg +
                    "' is writable by group or others (mode 0666); chmod go-w '" + cfg + "'"}),
        boost::test_tools::per_element());
    ::chmod(req.c_str(), 0644);
    ::chmod(cfg.c_str(), 0644);
    BOOST_TEST(check(cfg).ok(), joined(check(cfg).errors));

    // A folder others may write without the sticky bit: they could swap the file.
    fs::create_directories(d.dir / "open");
    auto const open = (d.dir / "open").string();
    ::chmod(open.c_str(), 0777);
    d.write("open/requirements.txt", "requests\n", 0644);
    auto const inner = d.write("open/pinwatch.toml", "requirements = [\"requirements.txt\"]\n");
    c = check(inner);
    BOOST_TEST(!c.ok());
    BOOST_TEST(joined(c.errors).find(inner + ": config: '" + inner + "' is in the folder '" + open +
                                     "', which others may write without the sticky bit (mode "
                                     "0777); chmod o-w '" +
                                     open + "'") != std::string::npos,
               joined(c.errors));
    ::chmod(open.c_str(), 01777); // sticky, like /tmp: only owners rename or remove
    BOOST_TEST(check(inner).ok(), joined(check(inner).errors));
}

BOOST_AUTO_TEST_CASE(file_secrets_others_can_change_are_refused) {
    Dir d;
    d.write("requirements.txt", "requests\n", 0644);
    auto const secret = d.write("slack-url", "https://hooks.slack.com/services/T0/B0/s3cr3t", 0620);
    auto const cfg = d.write("pinwatch.toml", "requirements = [\"requirements.txt\"]\n"
                                              "[notifiers.ops]\ntype = \"slack\"\n"
                                              "webhook_url = \"file:slack-url\"\n");
    auto c = check(cfg);
    BOOST_TEST(lines(c.errors) == (std::vector<std::string>{
                                      cfg + ":4: notifiers.ops.webhook_url: file: '" + secret +
                                      "' is writable by group or others (mode 0620); chmod go-w '" +
                                      secret + "'"}),
               boost::test_tools::per_element());
    ::chmod(secret.c_str(), 0600);
    BOOST_TEST(check(cfg).ok(), joined(check(cfg).errors));

    // In a folder others may write (no sticky bit).
    fs::create_directories(d.dir / "open");
    auto const open = (d.dir / "open").string();
    auto const moved = d.write("open/slack-url", "https://hooks.slack.com/services/T0/B0/s3cr3t");
    ::chmod(open.c_str(), 0777);
    auto const cfg2 = d.write("other.toml", "requirements = [\"requirements.txt\"]\n"
                                            "[notifiers.ops]\ntype = \"slack\"\n"
                                            "webhook_url = \"file:open/slack-url\"\n");
    c = check(cfg2);
    BOOST_TEST(joined(c.errors).find(cfg2 + ":4: notifiers.ops.webhook_url: file: '" + moved +
                                     "' is in the folder '" + open + "'") != std::string::npos,
               joined(c.errors));
    ::chmod(open.c_str(), 0700);

    // Owned by another user: only possible to set up as root.
    if (::geteuid() != 0) {
        BOOST_TEST_MESSAGE("not root: cannot give a file to another user; that part skipped");
        return;
    }
    BOOST_REQUIRE(::chown(secret.c_str(), 65534, 65534) == 0);
    c = check(cfg);
    BOOST_TEST(lines(c.errors) == (std::vector<std::string>{
                                      cfg + ":4: notifiers.ops.webhook_url: file: '" + secret +
                                      "' belongs to another user (uid 65534, pinwatch runs "
                                      "as uid 0); chown 0 '" +
                                      secret + "' and chmod 600 it"}),
               boost::test_tools::per_element());
    for (auto const& e : lines(c.errors))
        BOOST_TEST(e.find("s3cr3t") == std::string::npos, e);
}
