#define BOOST_TEST_MODULE end_to_end
#include <boost/test/unit_test.hpp>

// The daemon and `check` against the fake PyPI on loopback, through the real command-line
// entry points: what a user sees is what is asserted.

#include "cli/commands.hpp"
#include "net/http.hpp"
#include "tests/fakes/fake_pypi.hpp"
#include "watcher/state/outbox.hpp"

#include <rapidjson/document.h>

#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <spawn.h>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

using namespace pinwatch;
using namespace pinwatch::test;
namespace fs = std::filesystem;

namespace {

struct Workspace {
    fs::path dir;
    FakePypi pypi;
    Workspace() {
        dir = fs::temp_directory_path() /
              ("pinwatch-e2e-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
        fs::create_directories(dir);
        std::int64_t const t = 1700000000;
        pypi.add_project({"Demo",
                          "A demo project",
                          {{"Source", "https://github.com/example/demo"}},
                          {{"1.0", t}, {"1.1", t + 100}}});
        pypi.add_project(
            {"other_lib", "Another", {}, {{"2.0", t}, {"2.1", t + 10}, {"3.0b1", t + 20}}});
        write("requirements.txt", "demo==1.0\nOther.Lib>=2,<3  # range\n");
        write("pinwatch.toml", "state = \"state.db\"\nrequirements = [\"requirements.txt\"]\n"
                               "index_url = \"" +
                                   pypi.index_url() +
                                   "\"\ninterval = \"1h\"\n"
                                   "[advisories]\nsource = \"index\"\n[http]\ntimeout = \"2s\"\n");
    }
    ~Workspace() { fs::remove_all(dir); }
    static int& counter() {
        static int n = 0;
        return n;
    }
    void write(std::string const& name, std::string const& text) {
        std::ofstream(dir / name, std::ios::binary) << text;
    }
    std::string path(std::string const& name) const { return (dir / name).string(); }

    // One daemon cycle (`run --once`); returns the console lines it printed.
    std::vector<std::string> run_once() {
        std::ostringstream out, err;
        int const rc = cli::run_daemon({"--config", path("pinwatch.toml"), "--once"}, out, err);
        BOOST_TEST_REQUIRE(rc == 0, "run --once failed: " << err.str());
        std::vector<std::string> lines;
        std::istringstream in(out.str());
        for (std::string l; std::getline(in, l);)
            lines.push_back(l);
        return lines;
    }
};

bool contains(std::string const& s, std::string const& part) {
    return s.find(part) != std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_CASE(first_run_is_silent_then_one_event_per_change_and_restarts_are_silent) {
    Workspace w;
    BOOST_TEST(w.run_once().empty());

    w.pypi.add_release("demo", {"2.0.0", 1700001000});
    auto lines = w.run_once();
    BOOST_REQUIRE_EQUAL(lines.size(), 1u);
    BOOST_TEST(contains(lines[0], "new_release"));
    BOOST_TEST(contains(lines[0], "demo 2.0.0"));
    BOOST_TEST(contains(lines[0], "major"));

    w.pypi.yank("other-lib", "2.0", "broken wheel");
    lines = w.run_once();
    BOOST_REQUIRE_EQUAL(lines.size(), 1u);
    BOOST_TEST(contains(lines[0], "release_yanked"));
    BOOST_TEST(contains(lines[0], "broken wheel"));

    // A restart with nothing new says nothing.
    BOOST_TEST(w.run_once().empty());

    // The pinned version yanked: one event, the one that matters.
    w.pypi.yank("demo", "1.0");
    lines = w.run_once();
    BOOST_REQUIRE_EQUAL(lines.size(), 1u);
    BOOST_TEST(contains(lines[0], "pinned_yanked"));

    watcher::StateStore store(w.path("state.db"));
    BOOST_TEST(watcher::Outbox(store).counts().pending == 0);
    BOOST_TEST(watcher::Outbox(store).counts().delivered == 3);
}

BOOST_AUTO_TEST_CASE(an_unchanged_cycle_sends_only_conditional_requests) {
    Workspace w;
    w.run_once();
    auto const before = w.pypi.stats();
    auto const requests_before = w.pypi.server().received().size();
    BOOST_TEST(w.run_once().empty());
    auto const after = w.pypi.stats();
    auto const received = w.pypi.server().received();
    BOOST_TEST(after.simple_json == before.simple_json); // no full page was sent
    BOOST_TEST(after.not_modified == before.not_modified + 2);
    for (std::size_t i = requests_before; i < received.size(); ++i) {
        auto const& r = received[i];
        if (r.path().rfind("/simple/", 0) == 0)
            BOOST_TEST(r.header("if-none-match").has_value(), r.target);
        else
            BOOST_TEST(false, "unexpected request " << r.target);
    }
}

BOOST_AUTO_TEST_CASE(requirement_edits_subscribe_and_unsubscribe_without_losing_history) {
    Workspace w;
    w.run_once();
    w.write("requirements.txt", "demo==1.0\n");
    w.run_once();
    {
        watcher::StateStore store(w.path("state.db"));
        BOOST_TEST(store.subscriptions().size() == 1u);
        BOOST_TEST(store.subscriptions(false).size() == 2u);
    }
    // Back again: its history is still there, so its return is silent.
    w.write("requirements.txt", "demo==1.0\nother-lib>=2\n");
    BOOST_TEST(w.run_once().empty());
}

BOOST_AUTO_TEST_CASE(a_failing_package_costs_its_own_poll_only) {
    Workspace w;
    w.run_once();
    w.pypi.set_fault("demo", Fault::server_error);
    w.pypi.add_release("other-lib", {"2.2", 1700002000});
    auto lines = w.run_once();
    BOOST_REQUIRE_EQUAL(lines.size(), 1u);
    BOOST_TEST(contains(lines[0], "other-lib 2.2"));
    for (auto fault : {Fault::garbage, Fault::bad_json, Fault::close, Fault::stall})
        w.pypi.set_fault("demo", fault), w.run_once();
    // The third failure in a row is reported once; by now there were five.
    watcher::StateStore store(w.path("state.db"));
    int failing = 0;
    for (auto const& e : store.events(100))
        failing += e.kind == watcher::EventKind::source_failing;
    BOOST_TEST(failing == 1);
    auto demo = store.subscriptions()[0];
    BOOST_TEST(demo.sub.name == "demo");
    BOOST_TEST(demo.last_status == model::PollStatus::error);
    BOOST_TEST(demo.consecutive_failures == 5);
    BOOST_TEST(store.releases(demo.id).size() == 2u); // nothing known was lost

    w.pypi.set_fault("demo", Fault::none);
    auto back = w.run_once();
    BOOST_REQUIRE_EQUAL(back.size(), 1u);
    BOOST_TEST(contains(back[0], "source_recovered"));
}

BOOST_AUTO_TEST_CASE(check_reports_pins_latest_and_yanks_as_json) {
    Workspace w;
    w.pypi.yank("demo", "1.0", "security issue");
    w.pypi.add_release("demo", {"1.0.1", 1700003000});
    std::ostringstream out, err;
    int const rc =
        cli::run_check({"-r", w.path("requirements.txt"), "--advisories", "index", "--index-url",
                        w.pypi.index_url(), "--json", "--fail-on", "yanked"},
                       out, err);
    BOOST_TEST(rc == 1); // --fail-on yanked matched
    rapidjson::Document d;
    d.Parse(out.str().c_str());
    BOOST_REQUIRE(!d.HasParseError());
    auto const& reqs = d["requirements"];
    BOOST_REQUIRE_EQUAL(reqs.Size(), 2u);
    auto const& demo = reqs[0];
    BOOST_TEST(std::string(demo["name"].GetString()) == "demo");
    BOOST_TEST(demo["line"].GetInt() == 1);
    BOOST_TEST(std::string(demo["pinned"].GetString()) == "1.0");
    BOOST_TEST(std::string(demo["latest"].GetString()) == "1.1");
    BOOST_TEST(std::string(demo["update_type"].GetString()) == "minor");
    BOOST_TEST(demo["newer"].Size() == 2u);
    BOOST_TEST(std::string(demo["yanked_pin"]["reason"].GetString()) == "security issue");
    BOOST_TEST(demo["error"].IsNull());
    auto const& other = reqs[1];
    BOOST_TEST(std::string(other["specifier"].GetString()) == "<3,>=2");
    BOOST_TEST(other["pinned"].IsNull());
    BOOST_TEST(std::string(other["latest"].GetString()) == "2.1");
    BOOST_TEST(std::string(other["latest_allowed"].GetString()) == "2.1");

    std::ostringstream out2, err2;
    BOOST_TEST(cli::run_check({"-r", w.path("requirements.txt"), "--advisories", "index",
                               "--index-url", w.pypi.index_url(), "-q"},
                              out2, err2) == 0);
    BOOST_TEST(contains(out2.str(), "PINNED VERSION YANKED (security issue)"));
}

// The table fits 120 columns for ordinary names: a long note goes under its row, wrapped;
// one summary line ends it.
BOOST_AUTO_TEST_CASE(check_table_fits_120_columns_and_ends_with_a_summary) {
    Workspace w;
    std::string reason;
    for (int i = 0; i < 12; ++i)
        reason += "the wheel for this platform was built against the wrong ABI ";
    w.pypi.yank("demo", "1.0", reason);
    w.pypi.add_release("demo", {"2.0", 1700003000});
    std::ostringstream out, err;
    BOOST_TEST(cli::run_check({"-r", w.path("requirements.txt"), "--advisories", "index",
                               "--index-url", w.pypi.index_url(), "-q"},
                              out, err) == 0);
    std::istringstream in(out.str());
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);)
        lines.push_back(l);
    BOOST_REQUIRE(lines.size() >= 4u);
    for (auto const& l : lines)
        BOOST_TEST(l.size() <= 120u, l.size() << ": " << l);
    BOOST_TEST(!contains(lines[0], "NOTES"), lines[0]); // the notes went under the rows
    BOOST_TEST(contains(out.str(), "\n    PINNED VERSION YANKED (the wheel"), out.str());
    BOOST_TEST(lines.back() == "2 packages: 1 outdated (1 major), 0 vulnerable, 1 yanked pin, "
                               "0 errors",
               lines.back());

    // Short notes stay in their column.
    w.pypi.unyank("demo", "1.0");
    std::ostringstream out2, err2;
    BOOST_TEST(cli::run_check({"-r", w.path("requirements.txt"), "--advisories", "index",
                               "--index-url", w.pypi.index_url(), "-q"},
                              out2, err2) == 0);
    BOOST_TEST(contains(out2.str(), "NOTES"), out2.str());
    BOOST_TEST(contains(out2.str(), "\n2 packages: 1 outdated (1 major), 0 vulnerable, "
                                    "0 yanked pins, 0 errors\n"),
               out2.str());
}

BOOST_AUTO_TEST_CASE(check_exit_statuses) {
    Workspace w;
    std::ostringstream out, err;
    BOOST_TEST(cli::run_check({}, out, err) == 2);
    BOOST_TEST(cli::run_check({"-r", w.path("missing.txt")}, out, err) == 2);
    BOOST_TEST(
        cli::run_check({"-r", w.path("requirements.txt"), "--fail-on", "sideways"}, out, err) == 2);
    BOOST_TEST(
        cli::run_check({"-r", w.path("requirements.txt"), "--python-version", "3"}, out, err) == 2);
    BOOST_TEST(contains(err.str(), "--python-version"));
    w.pypi.set_fault("other-lib", Fault::not_found);
    std::ostringstream out3, err3;
    BOOST_TEST(cli::run_check({"-r", w.path("requirements.txt"), "--advisories", "index",
                               "--index-url", w.pypi.index_url(), "--json"},
                              out3, err3) == 3);
    rapidjson::Document d;
    d.Parse(out3.str().c_str());
    BOOST_REQUIRE(!d.HasParseError());
    BOOST_TEST(d["requirements"][0]["error"].IsNull());
    BOOST_TEST(contains(d["requirements"][1]["error"].GetString(), "no project named other-lib"));
    // A bad line is reported and the good ones are still checked.
    w.write("requirements.txt", "demo==1.0\nthis is not a requirement\n");
    std::ostringstream out4, err4;
    BOOST_TEST(cli::run_check({"-r", w.path("requirements.txt"), "--advisories", "index",
                               "--index-url", w.pypi.index_url(), "--json"},
                              out4, err4) == 3);
    BOOST_TEST(contains(err4.str(), "requirements.txt:2"));
    d.Parse(out4.str().c_str());
    BOOST_TEST(d["requirements"].Size() == 1u);
}

BOOST_AUTO_TEST_CASE(index_credentials_stay_out_of_the_output) {
    Workspace w;
    auto url = w.pypi.index_url();
    url.insert(url.find("://") + 3, "ci-user:t0ps3cret@");
    std::ostringstream out, err;
    BOOST_TEST(cli::run_check({"-r", w.path("requirements.txt"), "--advisories", "index",
                               "--index-url", url, "--json"},
                              out, err) == 0,
               err.str());
    BOOST_TEST(!contains(out.str() + err.str(), "t0ps3cret"));
    BOOST_TEST(contains(out.str(), "127.0.0.1"));
    // The credentials were used: the request carried them as Basic auth.
    auto const last = w.pypi.server().last_request();
    BOOST_REQUIRE(last.has_value());
    BOOST_TEST(last->header("authorization").has_value());
}

BOOST_AUTO_TEST_CASE(html_only_indexes_work_too) {
    Workspace w;
    w.pypi.set_html_only(true);
    w.pypi.yank("demo", "1.1", "nope");
    std::ostringstream out, err;
    BOOST_TEST(cli::run_check({"-r", w.path("requirements.txt"), "--advisories", "index",
                               "--index-url", w.pypi.index_url(), "--json"},
                              out, err) == 0);
    rapidjson::Document d;
    d.Parse(out.str().c_str());
    BOOST_REQUIRE(!d.HasParseError());
    BOOST_TEST(std::string(d["requirements"][0]["latest"].GetString()) == "1.0"); // 1.1 is yanked
    BOOST_TEST(w.pypi.stats().simple_html == 2u);
    BOOST_TEST(w.pypi.stats().simple_json == 0u);
}

BOOST_AUTO_TEST_CASE(status_shows_packages_errors_and_the_outbox) {
    Workspace w;
    w.run_once();
    w.pypi.add_release("demo", {"1.2", 1700005000});
    w.pypi.set_fault("other-lib", Fault::server_error);
    w.run_once();
    std::ostringstream out, err;
    BOOST_TEST(cli::run_status({"--config", w.path("pinwatch.toml")}, out, err) == 0, err.str());
    auto const text = out.str();
    BOOST_TEST(contains(text, "demo"));
    BOOST_TEST(contains(text, "==1.0"));
    BOOST_TEST(contains(text, "other-lib"));
    BOOST_TEST(contains(text, "error: pypi:other-lib: http 503"));
    BOOST_TEST(contains(text, "outbox: 0 pending, 1 delivered, 0 failed"));
    BOOST_TEST(contains(text, "demo 1.2 released"));
    std::ostringstream out2, err2;
    BOOST_TEST(cli::run_status({"--state", w.path("nope.db")}, out2, err2) == 2);
    BOOST_TEST(contains(err2.str(), "nope.db"));
}

namespace {
// The real binary as a daemon, its stdout in a file.
struct Daemon {
    pid_t pid = 0;
    std::string log;
    Daemon(std::string const& config, std::string log_path) : log(std::move(log_path)) {
        std::string const exe = PINWATCH_BINARY;
        char const* argv[] = {exe.c_str(), "run", "--config", config.c_str(), nullptr};
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                         0644);
        BOOST_REQUIRE(posix_spawn(&pid, exe.c_str(), &actions, nullptr, const_cast<char**>(argv),
                                  environ) == 0);
        posix_spawn_file_actions_destroy(&actions);
    }
    std::string output() const {
        std::ifstream in(log);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }
    // Waits (bounded) for the daemon to print something containing `what`.
    bool wait_for_output(std::string const& what, std::chrono::seconds limit) const {
        auto const until = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < until) {
            if (output().find(what) != std::string::npos) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return false;
    }
    int stop() {
        ::kill(pid, SIGTERM);
        int status = 0;
        auto const until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
        pid_t done = 0;
        while ((done = ::waitpid(pid, &status, WNOHANG)) == 0 &&
               std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (done == 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            return -1;
        }
        return WIFEXITED(status) ? WEXITSTATUS(status) : -2;
    }
};
} // namespace

BOOST_AUTO_TEST_CASE(the_daemon_reports_a_release_once_while_running) {
    Workspace w;
    w.write("pinwatch.toml", "state = \"state.db\"\nrequirements = [\"requirements.txt\"]\n"
                             "index_url = \"" +
                                 w.pypi.index_url() +
                                 "\"\ninterval = \"1s\"\njitter = 0\n"
                                 "[advisories]\nsource = \"index\"\n");
    Daemon d(w.path("pinwatch.toml"), w.path("daemon.log"));
    // Baseline done once both packages were polled twice (the second poll is a 304).
    BOOST_REQUIRE(w.pypi.server().wait_for_requests(6, std::chrono::seconds(30)));
    w.pypi.add_release("demo", {"1.5", 1700006000});
    bool const seen = d.wait_for_output("demo 1.5 released", std::chrono::seconds(30));
    // Two more cycles: the release must not be announced again.
    auto const before = w.pypi.server().requests();
    bool const more = w.pypi.server().wait_for_requests(before + 4, std::chrono::seconds(30));
    int const rc = d.stop();
    BOOST_TEST(seen);
    BOOST_TEST(more);
    BOOST_TEST(rc == 0);
    auto const text = d.output();
    std::size_t count = 0;
    for (auto pos = text.find("new_release"); pos != std::string::npos;
         pos = text.find("new_release", pos + 1))
        ++count;
    BOOST_TEST(count == 1u, text);
}

BOOST_AUTO_TEST_CASE(a_package_with_its_own_interval_is_polled_at_its_own_pace) {
    Workspace w;
    w.write("pinwatch.toml", "state = \"state.db\"\nrequirements = [\"requirements.txt\"]\n"
                             "index_url = \"" +
                                 w.pypi.index_url() +
                                 "\"\ninterval = \"1h\"\njitter = 0\n"
                                 "[intervals]\ndemo = \"1s\"\n[advisories]\nsource = \"index\"\n");
    Daemon d(w.path("pinwatch.toml"), w.path("daemon.log"));
    // First cycle: two Simple pages and two metadata pages; then demo alone, once a second.
    BOOST_REQUIRE(w.pypi.server().wait_for_requests(7, std::chrono::seconds(30)));
    BOOST_TEST(d.stop() == 0);
    int demo = 0, other = 0;
    for (auto const& r : w.pypi.server().received()) {
        demo += r.path() == "/simple/demo/";
        other += r.path() == "/simple/other-lib/";
    }
    BOOST_TEST(demo >= 3);
    BOOST_TEST(other == 1);
}

BOOST_AUTO_TEST_CASE(the_daemon_stops_on_sigterm_within_seconds) {
    Workspace w;
    w.pypi.set_fault("demo", Fault::stall); // a poll is in flight when the signal arrives
    w.write("pinwatch.toml",
            "state = \"state.db\"\nrequirements = [\"requirements.txt\"]\n"
            "index_url = \"" +
                w.pypi.index_url() +
                "\"\n[advisories]\nsource = \"index\"\n[http]\ntimeout = \"120s\"\n");
    std::string const exe = PINWATCH_BINARY;
    std::string const cfg = w.path("pinwatch.toml");
    char const* argv[] = {exe.c_str(), "run", "--config", cfg.c_str(), nullptr};
    pid_t pid = 0;
    BOOST_REQUIRE(
        posix_spawn(&pid, exe.c_str(), nullptr, nullptr, const_cast<char**>(argv), environ) == 0);
    // Wait until the daemon is mid-cycle: both packages asked for, other-lib's answer stored.
    BOOST_REQUIRE(w.pypi.server().wait_for_requests(2, std::chrono::seconds(20)));
    auto other_stored = [&] {
        watcher::StateStore store(w.path("state.db"));
        for (auto const& s : store.subscriptions())
            if (s.sub.name == "other-lib" && s.last_status == model::PollStatus::ok) return true;
        return false;
    };
    auto const wait_until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!other_stored() && std::chrono::steady_clock::now() < wait_until)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto const start = std::chrono::steady_clock::now();
    ::kill(pid, SIGTERM);
    int status = 0;
    pid_t done = 0;
    while ((done = ::waitpid(pid, &status, WNOHANG)) == 0 &&
           std::chrono::steady_clock::now() - start < std::chrono::seconds(15))
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (done == 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        BOOST_FAIL("the daemon did not stop within 15 s of SIGTERM");
    }
    BOOST_TEST(WIFEXITED(status));
    BOOST_TEST(WEXITSTATUS(status) == 0);
    // The finished poll was stored; the stalled one left no trace.
    watcher::StateStore store(w.path("state.db"));
    for (auto const& s : store.subscriptions()) {
        if (s.sub.name == "demo")
            BOOST_TEST(s.last_status == model::PollStatus::pending);
        else
            BOOST_TEST(s.last_status == model::PollStatus::ok);
    }
}

BOOST_AUTO_TEST_CASE(routes_send_each_notifier_only_what_it_asked_for) {
    Workspace w;
    // No default console; one console notifier that wants major releases of demo only, one that
    // wants yanks of anything.
    w.write("pinwatch.toml",
            "state = \"state.db\"\nrequirements = [\"requirements.txt\"]\n"
            "index_url = \"" +
                w.pypi.index_url() +
                "\"\ninterval = \"1h\"\nconsole = false\n"
                "[notifiers.majors]\ntype = \"console\"\nupdate_types = [\"major\"]\n"
                "packages = [\"Demo\"]\nevents = [\"new_release\"]\n"
                "[notifiers.yanks]\ntype = \"console\"\n"
                "events = [\"release_yanked\", \"pinned_yanked\"]\n"
                "[advisories]\nsource = \"index\"\n");
    BOOST_TEST(w.run_once().empty());
    w.pypi.add_release("demo", {"1.0.1", 1700001000});    // a patch: nobody
    w.pypi.add_release("demo", {"2.0.0", 1700001001});    // a major: "majors"
    w.pypi.add_release("other-lib", {"4.0", 1700001002}); // a major of another package: nobody
    w.pypi.yank("other-lib", "2.0", "broken");            // a yank: "yanks"
    auto lines = w.run_once();
    BOOST_REQUIRE_EQUAL(lines.size(), 2u);
    BOOST_TEST((contains(lines[0], "demo 2.0.0") || contains(lines[1], "demo 2.0.0")));
    BOOST_TEST((contains(lines[0], "release_yanked") || contains(lines[1], "release_yanked")));
    watcher::StateStore store(w.path("state.db"));
    watcher::Outbox outbox(store);
    BOOST_TEST(outbox.counts().delivered == 2); // one row per routed delivery, none for the rest
    BOOST_TEST(outbox.counts().pending == 0);
    BOOST_TEST(store.events().size() == 4u); // every change is recorded, routed or not
}

BOOST_AUTO_TEST_CASE(a_second_daemon_on_the_same_state_refuses_to_start_and_names_the_first) {
    Workspace w;
    Daemon first(w.path("pinwatch.toml"), w.path("first.log"));
    // The lock file holds the first daemon's pid once it has started.
    auto const lock = w.path("state.db.lock");
    auto const until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    std::string holder;
    while (std::chrono::steady_clock::now() < until) {
        std::ifstream in(lock);
        std::getline(in, holder);
        if (holder == std::to_string(first.pid)) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    BOOST_REQUIRE_EQUAL(holder, std::to_string(first.pid));
    std::ostringstream out, err;
    BOOST_TEST(cli::run_daemon({"--config", w.path("pinwatch.toml"), "--once"}, out, err) == 2);
    BOOST_TEST(contains(err.str(), "another pinwatch (pid " + std::to_string(first.pid) + ")"),
               err.str());
    BOOST_TEST(out.str().empty());
    BOOST_TEST(first.stop() == 0);
    // Once the first has gone, the lock is free again.
    BOOST_TEST(w.run_once().empty());
}

BOOST_AUTO_TEST_CASE(check_on_the_daemons_state_file_never_moves_its_schedule) {
    Workspace w;
    BOOST_TEST(w.run_once().empty()); // interval 1h: next polls an hour away
    std::map<std::string, model::UnixTime> due;
    {
        watcher::StateStore store(w.path("state.db"));
        for (auto const& s : store.subscriptions())
            due[s.sub.name] = s.next_due;
    }
    BOOST_REQUIRE(due.size() == 2u);
    std::ostringstream out, err;
    BOOST_TEST(
        cli::run_check({"-r", w.path("requirements.txt"), "--advisories", "index", "--index-url",
                        w.pypi.index_url(), "--state", w.path("state.db"), "-q"},
                       out, err) == 0);
    watcher::StateStore store(w.path("state.db"));
    for (auto const& s : store.subscriptions())
        BOOST_TEST(s.next_due == due[s.sub.name], s.sub.name);
}

BOOST_AUTO_TEST_CASE(the_state_file_is_created_owner_only) {
    Workspace w;
    auto const old = ::umask(022);
    BOOST_TEST(w.run_once().empty());
    ::umask(old);
    for (auto const* name : {"state.db", "state.db-wal", "state.db.lock"}) {
        auto const p = fs::path(w.path(name));
        if (!fs::exists(p)) continue; // the WAL may have been checkpointed away
        auto const perms = fs::status(p).permissions() & fs::perms::all;
        BOOST_TEST((perms == (fs::perms::owner_read | fs::perms::owner_write)), name);
    }
}

BOOST_AUTO_TEST_CASE(check_json_stays_parseable_with_debug_logs) {
    Workspace w;
    std::string const exe = PINWATCH_BINARY;
    auto const req = w.path("requirements.txt");
    auto const index = w.pypi.index_url();
    char const* argv[] = {exe.c_str(),   "check",  "-r", req.c_str(), "--index-url",
                          index.c_str(), "--json", "-v", nullptr};
    auto const out_path = w.path("out.json"), err_path = w.path("err.log");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    pid_t pid = 0;
    BOOST_REQUIRE(
        posix_spawn(&pid, exe.c_str(), &actions, nullptr, const_cast<char**>(argv), environ) == 0);
    posix_spawn_file_actions_destroy(&actions);
    int status = 0;
    ::waitpid(pid, &status, 0);
    BOOST_TEST(WIFEXITED(status));
    std::ifstream in(out_path);
    std::stringstream ss;
    ss << in.rdbuf();
    rapidjson::Document d;
    d.Parse(ss.str().c_str());
    BOOST_TEST(!d.HasParseError(), ss.str());
    BOOST_TEST(d.IsObject());
    std::ifstream errs(err_path);
    std::stringstream es;
    es << errs.rdbuf();
    BOOST_TEST(contains(es.str(), " debug: "), es.str()); // the logs went to stderr
}

namespace {
std::string file_bytes(std::string const& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}
std::size_t count_of(std::string const& s, std::string const& part) {
    std::size_t n = 0;
    for (auto at = s.find(part); at != std::string::npos; at = s.find(part, at + 1))
        ++n;
    return n;
}
} // namespace

// Issue #20 defect 4: the index password was part of every package's identity, so a new
// password re-subscribed every package and re-sent every urgent alert under new ids; and it
// was stored in the state file. Now the password is applied per request, from the config.
BOOST_AUTO_TEST_CASE(a_new_index_password_keeps_every_subscription_and_sends_nothing_again) {
    Workspace w;
    FakeAdvisory advisory;
    advisory.id = "PYSEC-2026-1";
    advisory.summary = "remote code execution";
    advisory.fixed_in = {"1.1"};
    w.pypi.add_vulnerability("demo", "1.0", advisory);
    auto const use_password = [&](std::string const& password) {
        auto url = w.pypi.index_url();
        url.insert(url.find("://") + 3, "ci-user:" + password + "@");
        w.write("pinwatch.toml", "state = \"state.db\"\nrequirements = [\"requirements.txt\"]\n"
                                 "index_url = \"" +
                                     url +
                                     "\"\ninterval = \"1h\"\n[advisories]\nsource = "
                                     "\"index\"\n[http]\ntimeout = \"2s\"\n");
    };
    auto const snapshot = [&] {
        watcher::StateStore store(w.path("state.db"), watcher::StateStore::Access::read_only);
        std::map<std::string, std::int64_t> ids;
        for (auto const& s : store.subscriptions(false))
            ids[s.sub.source + ":" + s.sub.name] = s.id;
        return std::pair(ids, store.events(1000).size());
    };
    use_password("OLDPASSWORD");
    auto const first = w.run_once();
    for (auto const& line : first)
        BOOST_TEST_MESSAGE("first run: " << line); // the advisory against the pin, if told
    auto const before = snapshot();
    BOOST_TEST(before.first.size() == 2u);

    use_password("NEWPASSWORD");
    BOOST_TEST(w.run_once().empty()); // nothing re-sent
    auto const after = snapshot();
    BOOST_TEST((after.first == before.first)); // the same subscriptions, no new ones
    BOOST_TEST(after.second == before.second); // and no new events
    auto const last = w.pypi.server().last_request();
    BOOST_REQUIRE(last.has_value());
    BOOST_TEST(last->header("authorization").value_or("") ==
               net::basic_authorization("ci-user", "NEWPASSWORD"));
    // Neither password is anywhere in the state file.
    auto bytes = file_bytes(w.path("state.db"));
    if (fs::exists(w.path("state.db-wal"))) bytes += file_bytes(w.path("state.db-wal"));
    BOOST_TEST(bytes.find("OLDPASSWORD") == std::string::npos);
    BOOST_TEST(bytes.find("NEWPASSWORD") == std::string::npos);
}

// Issue #20 defect 5: SIGPIPE killed the daemon silently when its stdout went away (exit 141,
// no log line). Now EPIPE is said once and the daemon goes on polling, and stops cleanly.
BOOST_AUTO_TEST_CASE(a_closed_stdout_is_said_once_and_the_daemon_goes_on) {
    Workspace w;
    w.write("pinwatch.toml", "state = \"state.db\"\nrequirements = [\"requirements.txt\"]\n"
                             "index_url = \"" +
                                 w.pypi.index_url() +
                                 "\"\ninterval = \"1s\"\njitter = 0\n[advisories]\nsource = "
                                 "\"index\"\n[http]\ntimeout = \"5s\"\n");
    int pipe_fds[2];
    BOOST_REQUIRE(::pipe(pipe_fds) == 0);
    std::string const exe = PINWATCH_BINARY;
    std::string const cfg = w.path("pinwatch.toml");
    std::string const log = w.path("stderr.log");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, log.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    char const* argv[] = {exe.c_str(), "run", "--config", cfg.c_str(), nullptr};
    pid_t pid = 0;
    BOOST_REQUIRE(
        posix_spawn(&pid, exe.c_str(), &actions, nullptr, const_cast<char**>(argv), environ) == 0);
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_fds[1]);
    ::close(pipe_fds[0]); // the reader goes away before the daemon writes anything
    auto const wait_for = [&](auto done) {
        auto const until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (!done()) {
            if (std::chrono::steady_clock::now() >= until) return false;
            int status = 0;
            if (::waitpid(pid, &status, WNOHANG) == pid) {
                BOOST_TEST_MESSAGE(
                    "the daemon died: " << (WIFSIGNALED(status)
                                                ? "signal " + std::to_string(WTERMSIG(status))
                                                : "exit " + std::to_string(WEXITSTATUS(status))));
                pid = 0;
                return false;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return true;
    };
    auto const delivered = [&] {
        try {
            watcher::StateStore store(w.path("state.db"), watcher::StateStore::Access::read_only);
            return watcher::Outbox(store).counts().delivered;
        } catch (std::exception const&) {
            return std::int64_t(0);
        }
    };
    // The baseline is silent; a new release makes the console write to the closed pipe.
    BOOST_REQUIRE(wait_for([&] { return w.pypi.server().requests() >= 2; }));
    w.pypi.add_release("demo", {"2.0.0", 1700001000});
    BOOST_REQUIRE(wait_for([&] { return contains(file_bytes(log), "stdout is closed (EPIPE)"); }));
    BOOST_REQUIRE(wait_for([&] { return delivered() >= 1; }));
    // It goes on: more polls, another release delivered (into the void), said only once.
    auto const requests = w.pypi.server().requests();
    w.pypi.add_release("demo", {"2.0.1", 1700002000});
    BOOST_REQUIRE(wait_for([&] { return delivered() >= 2; }));
    BOOST_REQUIRE(wait_for([&] { return w.pypi.server().requests() >= requests + 4; }));
    BOOST_TEST(count_of(file_bytes(log), "stdout is closed (EPIPE)") == 1u);
    BOOST_REQUIRE(pid != 0);
    ::kill(pid, SIGTERM);
    int status = 0;
    BOOST_REQUIRE(::waitpid(pid, &status, 0) == pid);
    BOOST_TEST(WIFEXITED(status));
    BOOST_TEST(WEXITSTATUS(status) == 0);
}

// PEP 792: what the index says about a project, in `check` (JSON key and NOTES), in the
// daemon's events and in `status`; from the JSON page and from the HTML one.
BOOST_AUTO_TEST_CASE(check_and_the_daemon_show_what_the_index_says_about_a_project) {
    for (bool const html : {false, true}) {
        BOOST_TEST_CONTEXT((html ? "HTML" : "JSON")) {
            Workspace w;
            w.pypi.set_html_only(html);
            w.pypi.set_project_status("demo", "quarantined", "malware <script>x</script>");
            w.pypi.set_project_status("other_lib", "archived", "");
            std::ostringstream out, err;
            cli::run_check({"-r", w.path("requirements.txt"), "--index-url", w.pypi.index_url(),
                            "--json", "-q"},
                           out, err);
            rapidjson::Document d;
            d.Parse(out.str().c_str());
            BOOST_REQUIRE(!d.HasParseError());
            auto const& demo = d["requirements"][0];
            BOOST_REQUIRE(demo["project_status"].IsObject());
            BOOST_TEST(std::string(demo["project_status"]["status"].GetString()) == "quarantined");
            BOOST_TEST(std::string(demo["project_status"]["reason"].GetString()) ==
                       "malware <script>x</script>");
            auto const& other = d["requirements"][1];
            BOOST_TEST(std::string(other["project_status"]["status"].GetString()) == "archived");
            BOOST_TEST(other["project_status"]["reason"].IsNull());
            BOOST_TEST(std::string(other["latest"].GetString()) == "2.1"); // still listed

            std::ostringstream table, err2;
            cli::run_check(
                {"-r", w.path("requirements.txt"), "--index-url", w.pypi.index_url(), "-q"}, table,
                err2);
            BOOST_TEST(
                contains(table.str(), "QUARANTINED by the index (malware <script>x</script>)"),
                table.str());
            BOOST_TEST(contains(table.str(), "archived on the index"), table.str());
        }
    }

    // An active project: {"status": "active", "reason": null}; a project that cannot be read: null.
    Workspace w;
    w.pypi.set_fault("other-lib", Fault::server_error);
    std::ostringstream out, err;
    cli::run_check(
        {"-r", w.path("requirements.txt"), "--index-url", w.pypi.index_url(), "--json", "-q"}, out,
        err);
    rapidjson::Document d;
    d.Parse(out.str().c_str());
    BOOST_REQUIRE(!d.HasParseError());
    BOOST_TEST(std::string(d["requirements"][0]["project_status"]["status"].GetString()) ==
               "active");
    BOOST_TEST(d["requirements"][0]["project_status"]["reason"].IsNull());
    BOOST_TEST(d["requirements"][1]["project_status"].IsNull());
}

BOOST_AUTO_TEST_CASE(the_daemon_tells_a_quarantine_once_and_the_way_back) {
    Workspace w;
    w.run_once(); // the baseline: both active, nothing said
    w.pypi.set_project_status("demo", "quarantined", "reported as malware");
    auto lines = w.run_once();
    BOOST_REQUIRE_EQUAL(lines.size(), 1u);
    BOOST_TEST(contains(lines[0], "demo was quarantined by the index"), lines[0]);
    BOOST_TEST(contains(lines[0], "reported as malware"), lines[0]);
    // The known releases stay (the quarantined page lists none), and nothing is said again.
    BOOST_TEST(w.run_once().empty());
    std::ostringstream out, err;
    BOOST_TEST(cli::run_status({"--config", w.path("pinwatch.toml")}, out, err) == 0, err.str());
    BOOST_TEST(contains(out.str(), "QUARANTINED by the index: reported as malware"), out.str());
    // Back to active: said once.
    w.pypi.set_project_status("demo", "", "");
    lines = w.run_once();
    BOOST_REQUIRE_EQUAL(lines.size(), 1u);
    BOOST_TEST(contains(lines[0], "demo is active again on the index (was quarantined)"), lines[0]);
    BOOST_TEST(w.run_once().empty());
    // Archived: told, and status says so.
    w.pypi.set_project_status("other_lib", "archived", "read only");
    lines = w.run_once();
    BOOST_REQUIRE_EQUAL(lines.size(), 1u);
    BOOST_TEST(contains(lines[0], "other-lib was archived"), lines[0]);
    std::ostringstream out2, err2;
    BOOST_TEST(cli::run_status({"--config", w.path("pinwatch.toml")}, out2, err2) == 0);
    BOOST_TEST(contains(out2.str(), "archived on the index: read only"), out2.str());
}

// A lock file names a second index for one package: `check -r uv.lock` polls it there (with the
// credentials pip would use for that index, from PIP_EXTRA_INDEX_URL), and the rest on the
// index given with --index-url.
BOOST_AUTO_TEST_CASE(check_polls_a_lock_package_on_the_index_its_lock_names) {
    Workspace w;
    FakePypi internal;
    internal.add_project(
        {"internal-auth", "SSO", {}, {{"3.2.0", 1700000000}, {"3.3.0", 1700000500}}});
    std::string const index = internal.index_url(); // http://127.0.0.1:PORT/simple/
    w.write("uv.lock", "version = 1\nrevision = 2\n\n[manifest]\nmembers = [\"app\"]\n\n"
                       "[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n"
                       "source = { virtual = \".\" }\ndependencies = [\n"
                       "    { name = \"demo\" },\n    { name = \"internal-auth\" },\n]\n\n"
                       "[[package]]\nname = \"demo\"\nversion = \"1.0\"\n"
                       "source = { registry = \"" +
                           w.pypi.index_url() +
                           "\" }\n\n"
                           "[[package]]\nname = \"internal-auth\"\nversion = \"3.2.0\"\n"
                           "source = { registry = \"" +
                           index.substr(0, index.size() - 1) + "\" }\n");
    std::string with_auth = index;
    with_auth.insert(with_auth.find("://") + 3, "ci:l0ckp4ss@");
    ::setenv("PIP_EXTRA_INDEX_URL", with_auth.c_str(), 1);
    std::ostringstream out, err;
    int const rc = cli::run_check({"-r", w.path("uv.lock"), "--index-url", w.pypi.index_url(),
                                   "--json", "--python-version", "3.11"},
                                  out, err);
    ::unsetenv("PIP_EXTRA_INDEX_URL");
    BOOST_TEST(rc == 0, err.str());
    BOOST_TEST(!contains(out.str() + err.str(), "l0ckp4ss"));
    rapidjson::Document d;
    d.Parse(out.str().c_str());
    BOOST_REQUIRE_MESSAGE(!d.HasParseError(), out.str() << err.str());
    bool found = false;
    for (auto const& r : d["requirements"].GetArray()) {
        if (std::string(r["name"].GetString()) != "internal-auth") continue;
        found = true;
        BOOST_TEST(std::string(r["pinned"].GetString()) == "3.2.0");
        BOOST_TEST(std::string(r["latest"].GetString()) == "3.3.0");
        BOOST_TEST(r["error"].IsNull());
    }
    BOOST_TEST(found);
    BOOST_TEST(d["requirements"].Size() == 2u); // demo and internal-auth; the member is skipped
    // Asked on the lock's index, with the credentials; the --index-url fake never heard of it.
    bool asked = false;
    for (auto const& req : internal.server().received()) {
        if (req.target.find("/simple/internal-auth/") != 0) continue;
        asked = true;
        BOOST_TEST(req.header("authorization").has_value());
    }
    BOOST_TEST(asked);
    for (auto const& req : w.pypi.server().received())
        BOOST_TEST(req.target.find("internal-auth") == std::string::npos, req.target);
}

// The daemon reads a lock file named in `requirements` like a requirements file: its locked
// packages are watched (a baseline first, then one event per change).
BOOST_AUTO_TEST_CASE(the_daemon_watches_the_packages_of_a_lock_in_requirements) {
    Workspace w;
    w.write("poetry.lock", "[[package]]\nname = \"demo\"\nversion = \"1.1\"\ngroups = [\"main\"]\n"
                           "\n[[package]]\nname = \"other-lib\"\nversion = \"2.0\"\n"
                           "groups = [\"main\"]\nmarkers = \"sys_platform == 'win32'\"\n"
                           "\n[metadata]\nlock-version = \"2.1\"\n");
    w.write("pinwatch.toml", "state = \"state.db\"\nrequirements = [\"poetry.lock\"]\n"
                             "index_url = \"" +
                                 w.pypi.index_url() +
                                 "\"\ninterval = \"1h\"\n[http]\ntimeout = \"2s\"\n");
    BOOST_TEST(w.run_once().empty());
    w.pypi.add_release("demo", {"1.2", 1700001000});
    w.pypi.add_release("other_lib", {"2.2", 1700001000}); // not for Linux: not watched
    auto lines = w.run_once();
    BOOST_REQUIRE_EQUAL(lines.size(), 1u);
    BOOST_TEST(contains(lines[0], "new_release"));
    BOOST_TEST(contains(lines[0], "demo 1.2"));
    BOOST_TEST(contains(lines[0], "you pin 1.1"));
}
