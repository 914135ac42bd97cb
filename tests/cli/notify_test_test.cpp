#define BOOST_TEST_MODULE notify_test_test
#include <boost/test/unit_test.hpp>

// `pinwatch notify-test` through its command-line entry point, against the fake Slack, the
// Standard Webhooks receiver and a real SMTP server (aiosmtpd), all on 127.0.0.1: what a user
// sees (one line per notifier, the exit status) is what is asserted, and no secret of the
// config ever appears in it.

#include "cli/commands.hpp"
#include "tests/fakes/fake_slack.hpp"
#include "tests/fakes/smtp_fake.hpp"
#include "tests/fakes/webhook_receiver.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace pinwatch;
using namespace pinwatch::test;
namespace fs = std::filesystem;

namespace {

constexpr char const* kWhsec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr char const* kPassword = "s3cret-Pa55word";

bool contains(std::string const& s, std::string_view part) {
    return s.find(part) != std::string::npos;
}

std::vector<std::string> lines_of(std::string const& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);)
        lines.push_back(l);
    return lines;
}

// A config folder of its own; secrets in files next to the config (mode 600), referenced
// relatively, as the README recommends.
struct Workspace {
    fs::path dir;
    Workspace() {
        static int counter = 0;
        dir = fs::temp_directory_path() / ("pinwatch-notify-test-" + std::to_string(::getpid()) +
                                           "-" + std::to_string(counter++));
        fs::create_directories(dir);
        write("requirements.txt", "demo==1.0\n");
    }
    ~Workspace() { fs::remove_all(dir); }
    void write(std::string const& name, std::string const& text) {
        std::ofstream(dir / name, std::ios::binary) << text;
    }
    void write_secret(std::string const& name, std::string const& text) {
        write(name, text + "\n");
        fs::permissions(dir / name, fs::perms::owner_read | fs::perms::owner_write);
    }
    std::string path(std::string const& name) const { return (dir / name).string(); }
    // The config: a state file that must stay untouched, the given notifier tables.
    void config(std::string const& tables, bool console = false) {
        write("pinwatch.toml", std::string("state = \"state.db\"\nrequirements = "
                                           "[\"requirements.txt\"]\nconsole = ") +
                                   (console ? "true" : "false") + "\n" + tables);
    }

    struct Run {
        int rc = -1;
        std::string out, err;
        std::vector<std::string> lines;
    };
    Run notify_test(std::vector<std::string> extra = {}) {
        std::vector<std::string> args{"--config", path("pinwatch.toml")};
        args.insert(args.end(), extra.begin(), extra.end());
        std::ostringstream out, err;
        Run r;
        r.rc = cli::run_notify_test(args, out, err);
        r.out = out.str();
        r.err = err.str();
        r.lines = lines_of(r.out);
        BOOST_TEST_MESSAGE("exit " << r.rc << "\nstdout:\n" << r.out << "stderr:\n" << r.err);
        return r;
    }
};

std::string slack_table(std::string const& name = "team-slack") {
    return "[notifiers." + name + "]\ntype = \"slack\"\nwebhook_url = \"file:slack-url\"\n";
}

std::string webhook_table() {
    return std::string("[notifiers.audit-hook]\ntype = \"webhook\"\nurl = \"file:hook-url\"\n"
                       "secret = \"") +
           kWhsec + "\"\n";
}

std::string email_table(std::uint16_t port, std::string const& ca_file) {
    return "[notifiers.ops-mail]\ntype = \"email\"\nsmtp_url = \"smtp://localhost:" +
           std::to_string(port) +
           "\"\nusername = \"pinwatch\"\npassword = \"file:smtp-password\"\n"
           "from = \"pinwatch <pinwatch@example.com>\"\nto = [\"dev-team@example.com\"]\n"
           "[http]\nextra_ca_file = \"" +
           ca_file + "\"\n";
}

// Nothing secret in anything printed: the Slack token, the webhook URL's path and query, the
// password, the signing key.
void require_no_secret(Workspace::Run const& r, std::vector<std::string> const& secrets) {
    for (auto const& s : secrets) {
        BOOST_TEST(!contains(r.out, s), "stdout shows a secret: " << r.out);
        BOOST_TEST(!contains(r.err, s), "stderr shows a secret: " << r.err);
    }
}

} // namespace

BOOST_AUTO_TEST_CASE(help_and_usage_errors) {
    std::ostringstream out, err;
    BOOST_TEST(cli::run_notify_test({"--help"}, out, err) == 0);
    BOOST_TEST(contains(out.str(), "usage: pinwatch notify-test --config FILE [--notifier NAME]"));

    std::ostringstream out2, err2;
    BOOST_TEST(cli::run_notify_test({}, out2, err2) == 2);
    BOOST_TEST(contains(err2.str(), "--config FILE is required"));

    std::ostringstream out3, err3;
    BOOST_TEST(cli::run_notify_test({"--config", "x.toml", "--bogus"}, out3, err3) == 2);
    BOOST_TEST(contains(err3.str(), "unknown argument '--bogus'"));
}

BOOST_AUTO_TEST_CASE(a_config_error_is_printed_like_run_and_exits_2) {
    Workspace w;
    w.config("[notifiers.team-slack]\ntype = \"slack\"\nwebhook_url = \"env:PINWATCH_NO_SUCH\"\n");
    ::unsetenv("PINWATCH_NO_SUCH");
    auto r = w.notify_test();
    BOOST_TEST(r.rc == 2);
    BOOST_TEST(r.out.empty());
    BOOST_TEST(contains(r.err, "pinwatch.toml:"));
    BOOST_TEST(contains(r.err, "notifiers.team-slack.webhook_url"));
    BOOST_TEST(contains(r.err, "'PINWATCH_NO_SUCH' is not set"));
}

// notify-test checks the config as config-check does: every problem config-check reports is
// reported, the same lines, and nothing is sent (issue #18: it used to stop at 2 of 3).
BOOST_AUTO_TEST_CASE(every_problem_config_check_reports_is_reported) {
    Workspace w;
    FakeSlack slack;
    w.write_secret("slack-url", slack.webhook_url());
    ::unsetenv("PINWATCH_NO_SUCH_PASSWORD");
    w.write("pinwatch.toml",
            "requirements = [\"requirements.txt\", \"missing.txt\"]\nconsole = false\n" +
                slack_table() +
                "[notifiers.ops-mail]\ntype = \"email\"\nsmtp_url = \"smtp://localhost:25\"\n"
                "username = \"pinwatch\"\npassword = \"env:PINWATCH_NO_SUCH_PASSWORD\"\n"
                "from = \"pinwatch@example.com\"\nto = [\"dev@example.com\"]\n"
                "[http]\ntimout = \"5s\"\n");
    std::ostringstream cout, cerr;
    BOOST_TEST(cli::run_config_check({"--config", w.path("pinwatch.toml")}, cout, cerr) == 1);
    auto problems = lines_of(cerr.str());
    BOOST_REQUIRE_GE(problems.size(), 4u); // three problems and the summary line
    problems.pop_back();

    auto r = w.notify_test();
    BOOST_TEST(r.rc == 2);
    BOOST_TEST(r.out.empty());
    auto const got = lines_of(r.err);
    BOOST_REQUIRE_EQUAL(got.size(), problems.size() + 1);
    for (std::size_t i = 0; i < problems.size(); ++i)
        BOOST_TEST(got[i] == problems[i]);
    BOOST_TEST(contains(r.err, "missing.txt"));
    BOOST_TEST(contains(r.err, "PINWATCH_NO_SUCH_PASSWORD"));
    BOOST_TEST(contains(r.err, "http.timout: unknown key (did you mean 'timeout'?)"));
    BOOST_TEST(contains(got.back(), "3 problem(s); nothing was sent"), got.back());
    BOOST_TEST(slack.posts().empty());
}

// After one line per notifier on stdout, one summary line on stderr.
BOOST_AUTO_TEST_CASE(a_summary_follows_the_notifier_lines) {
    Workspace w;
    FakeSlack slack;
    w.write_secret("slack-url", slack.webhook_url());
    w.config(slack_table(), true);
    slack.script({FakeSlack::no_service()});
    auto r = w.notify_test();
    BOOST_TEST(r.rc == 1);
    BOOST_TEST(contains(r.err, "notify-test: 2 notifiers: 1 ok, 1 failed\n"), r.err);
    auto ok = w.notify_test({"--notifier", "console"});
    BOOST_TEST(ok.rc == 0);
    BOOST_TEST(contains(ok.err, "notify-test: 1 notifier: 1 ok, 0 failed\n"), ok.err);
}

// Config lines and names are shown with their control characters made visible (ESC, BEL, NUL
// from a config file or the command line never reach the terminal raw).
BOOST_AUTO_TEST_CASE(control_characters_in_the_config_are_sanitised) {
    auto const raw_controls = [](std::string const& s) {
        for (char c : s)
            if (static_cast<unsigned char>(c) < 0x20 && c != '\n') return true;
        return false;
    };
    Workspace w;
    w.config("\"colour\\u001b[31m\" = 1\n[notifiers.\"bell\\u0007\"]\ntype = \"console\"\n"
             "digest = \"sometimes\\u0000\"\n");
    auto bad = w.notify_test();
    BOOST_TEST(bad.rc == 2);
    BOOST_TEST(!raw_controls(bad.err), bad.err);
    BOOST_TEST(contains(bad.err, "colour\\x1b[31m: unknown key"), bad.err);
    BOOST_TEST(contains(bad.err, "got 'sometimes\\x00'"), bad.err);

    w.config("[notifiers.\"bell\\u0007\"]\ntype = \"console\"\n");
    auto named = w.notify_test({"--notifier", "x\x1b[2J"});
    BOOST_TEST(named.rc == 2);
    BOOST_TEST(!raw_controls(named.err), named.err);
    BOOST_TEST(contains(named.err, "no notifier named 'x\\x1b[2J'; the config has bell\\x07"),
               named.err);
}

BOOST_AUTO_TEST_CASE(slack_ok_then_no_service_fails_with_slacks_error_and_exit_1) {
    Workspace w;
    FakeSlack slack;
    w.write_secret("slack-url", slack.webhook_url());
    w.config(slack_table());

    auto ok = w.notify_test();
    BOOST_TEST(ok.rc == 0);
    BOOST_REQUIRE_EQUAL(ok.lines.size(), 1u);
    BOOST_TEST(ok.lines[0] == "team-slack  ok");
    auto posts = slack.posts();
    BOOST_REQUIRE_EQUAL(posts.size(), 1u);
    BOOST_TEST(contains(posts[0].body, "*pinwatch-test* 1.0.0 → *1.0.1*"));
    BOOST_TEST(contains(posts[0].body, "a test message from pinwatch notify-test"));
    BOOST_TEST(contains(posts[0].body, "pinwatch event evt_test_"));
    require_no_secret(ok, {slack.token(), slack.webhook_url()});

    slack.script({FakeSlack::no_service()});
    auto gone = w.notify_test();
    BOOST_TEST(gone.rc == 1);
    BOOST_REQUIRE_EQUAL(gone.lines.size(), 1u);
    BOOST_TEST(gone.lines[0] == "team-slack  failed: slack team-slack: HTTP 404: no_service");
    require_no_secret(gone, {slack.token(), slack.webhook_url()});

    // A test never touches the state file.
    BOOST_TEST(!fs::exists(w.path("state.db")));
}

BOOST_AUTO_TEST_CASE(webhook_delivery_is_signed_and_verified_by_the_receiver) {
    Workspace w;
    WebhookReceiver receiver(kWhsec);
    w.write_secret("hook-url", receiver.url());
    w.config(webhook_table());

    auto r = w.notify_test();
    BOOST_TEST(r.rc == 0);
    BOOST_REQUIRE_EQUAL(r.lines.size(), 1u);
    BOOST_TEST(r.lines[0] == "audit-hook  ok");
    auto got = receiver.deliveries();
    BOOST_REQUIRE_EQUAL(got.size(), 1u);
    BOOST_TEST(got[0].verified, got[0].problem);
    BOOST_TEST(got[0].id.rfind("evt_test_", 0) == 0u);
    BOOST_TEST(contains(got[0].body, "\"type\":\"new_release\""));
    BOOST_TEST(contains(got[0].body, "\"package\":\"pinwatch-test\""));
    BOOST_TEST(contains(got[0].body, "\"update_type\":\"patch\""));
    BOOST_TEST(contains(got[0].body, "\"allowed\":false"));

    receiver.script({TestResponse::text("it's gone", 410)});
    auto gone = w.notify_test();
    BOOST_TEST(gone.rc == 1);
    BOOST_REQUIRE_EQUAL(gone.lines.size(), 1u);
    BOOST_TEST(contains(gone.lines[0], "audit-hook  failed: webhook audit-hook: HTTP 410"));
    for (auto const* run : {&r, &gone})
        require_no_secret(*run, {"s3cr3tPathToken", "s3cr3tQueryToken", receiver.url(),
                                 std::string(kWhsec).substr(6)});
}

BOOST_AUTO_TEST_CASE(
    email_goes_through_a_real_smtp_server_and_a_refusal_is_shown_without_the_password) {
    Workspace w;
    SmtpFake server({.user = "pinwatch", .password = kPassword});
    w.write_secret("smtp-password", kPassword);
    w.config(email_table(server.port(), server.ca_file()));

    auto r = w.notify_test();
    BOOST_TEST(r.rc == 0);
    BOOST_REQUIRE_EQUAL(r.lines.size(), 1u);
    BOOST_TEST(r.lines[0] == "ops-mail  ok");
    auto got = server.messages();
    BOOST_REQUIRE_EQUAL(got.size(), 1u);
    BOOST_TEST(got[0].tls);
    BOOST_TEST(got[0].login.value_or("") == "pinwatch");
    BOOST_TEST(got[0].header("Subject").value_or("") == "pinwatch: pinwatch-test 1.0.1 (patch)");
    BOOST_TEST(got[0].header("X-Pinwatch-Event-Ids").value_or("").rfind("evt_test_", 0) == 0u);
    auto text = got[0].parts.find("text/plain");
    BOOST_REQUIRE(text != got[0].parts.end());
    BOOST_TEST(contains(text->second, "Detail: a test message from pinwatch notify-test"));
    require_no_secret(r, {kPassword});

    // A server that quotes the credentials in its refusal: the reply code and text are shown,
    // the password is not.
    SmtpFake hostile({.user = "pinwatch", .password = "the-right-one", .echo_credentials = true});
    w.config(email_table(hostile.port(), hostile.ca_file()));
    auto refused = w.notify_test();
    BOOST_TEST(refused.rc == 1);
    BOOST_REQUIRE_EQUAL(refused.lines.size(), 1u);
    BOOST_TEST(contains(refused.lines[0], "ops-mail  failed: email ops-mail: "));
    BOOST_TEST(contains(refused.lines[0], "535"));
    require_no_secret(refused, {kPassword});
    BOOST_TEST(hostile.messages().empty());
}

BOOST_AUTO_TEST_CASE(every_notifier_gets_one_event_and_notifier_picks_one) {
    Workspace w;
    FakeSlack slack;
    WebhookReceiver receiver(kWhsec);
    w.write_secret("slack-url", slack.webhook_url());
    w.write_secret("hook-url", receiver.url());
    w.config(slack_table() + webhook_table(), /*console=*/true);

    auto all = w.notify_test();
    BOOST_TEST(all.rc == 0);
    // The console notifier prints its line as usual, then one result line per notifier, in
    // the daemon's order.
    BOOST_REQUIRE_EQUAL(all.lines.size(), 4u);
    BOOST_TEST(contains(all.lines[0], "new_release pinwatch-test 1.0.1"));
    BOOST_TEST(all.lines[1] == "console     ok");
    BOOST_TEST(all.lines[2] == "team-slack  ok");
    BOOST_TEST(all.lines[3] == "audit-hook  ok");
    BOOST_TEST(slack.posts().size() == 1u);
    BOOST_TEST(receiver.deliveries().size() == 1u);

    auto one = w.notify_test({"--notifier", "audit-hook"});
    BOOST_TEST(one.rc == 0);
    BOOST_REQUIRE_EQUAL(one.lines.size(), 1u);
    BOOST_TEST(one.lines[0] == "audit-hook  ok");
    BOOST_TEST(slack.posts().size() == 1u); // untouched
    BOOST_TEST(receiver.deliveries().size() == 2u);

    auto console = w.notify_test({"--notifier=console"});
    BOOST_TEST(console.rc == 0);
    BOOST_REQUIRE_EQUAL(console.lines.size(), 2u);
    BOOST_TEST(contains(console.lines[0], "new_release pinwatch-test 1.0.1"));
    BOOST_TEST(console.lines[1] == "console  ok");
    BOOST_TEST(slack.posts().size() == 1u);
    BOOST_TEST(receiver.deliveries().size() == 2u);

    // One failing notifier makes the whole test fail, and says which.
    slack.script({FakeSlack::no_service()});
    auto mixed = w.notify_test();
    BOOST_TEST(mixed.rc == 1);
    BOOST_REQUIRE_EQUAL(mixed.lines.size(), 4u);
    BOOST_TEST(mixed.lines[2] == "team-slack  failed: slack team-slack: HTTP 404: no_service");
    BOOST_TEST(mixed.lines[3] == "audit-hook  ok");
    for (auto const* run : {&all, &one, &console, &mixed})
        require_no_secret(*run, {slack.token(), "s3cr3tPathToken", "s3cr3tQueryToken"});
    BOOST_TEST(!fs::exists(w.path("state.db")));
}

BOOST_AUTO_TEST_CASE(an_unknown_name_exits_2_with_the_names) {
    Workspace w;
    FakeSlack slack;
    w.write_secret("slack-url", slack.webhook_url());
    w.config(slack_table(), /*console=*/true);
    auto r = w.notify_test({"--notifier", "team-slak"});
    BOOST_TEST(r.rc == 2);
    BOOST_TEST(r.out.empty());
    BOOST_TEST(r.err == "pinwatch notify-test: no notifier named 'team-slak'; the config has "
                        "console, team-slack\n");
    BOOST_TEST(slack.posts().empty());
}

BOOST_AUTO_TEST_CASE(https_uses_the_configs_http_settings_and_shows_tls_errors) {
    Workspace w;
    FakeSlack slack(TestServerOptions{.tls = true});
    w.write_secret("slack-url", slack.webhook_url());

    // The throwaway CA is unknown to the system store: the TLS error is the reason shown.
    w.config(slack_table());
    auto untrusted = w.notify_test();
    BOOST_TEST(untrusted.rc == 1);
    BOOST_REQUIRE_EQUAL(untrusted.lines.size(), 1u);
    BOOST_TEST(contains(untrusted.lines[0], "team-slack  failed: slack team-slack: tls: "));
    BOOST_TEST(contains(untrusted.lines[0], "certificate verification failed"));
    BOOST_TEST(slack.posts().empty());

    // [http] extra_ca_file reaches the client the notifiers post through, as in the daemon.
    w.config(slack_table() + "[http]\nextra_ca_file = \"" + slack.server().ca_file() + "\"\n");
    auto trusted = w.notify_test();
    BOOST_TEST(trusted.rc == 0);
    BOOST_REQUIRE_EQUAL(trusted.lines.size(), 1u);
    BOOST_TEST(trusted.lines[0] == "team-slack  ok");
    BOOST_TEST(slack.posts().size() == 1u);
    for (auto const* run : {&untrusted, &trusted})
        require_no_secret(*run, {slack.token()});
}
