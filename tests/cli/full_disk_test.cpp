#define BOOST_TEST_MODULE full_disk_test
#include <boost/test/unit_test.hpp>

// A full disk under the daemon's real code path: `run --once` rounds (a Daemon with `once`, as
// `pinwatch run --once` builds it) against the fake PyPI, on a state file whose connection is
// capped by PRAGMA max_page_count, so the poll that must record a new release fails with
// "database or disk is full". Each round is driven to its end (no sleeps, no timing).

#include "config/config.hpp"
#include "tests/fakes/captured_log.hpp"
#include "tests/fakes/fake_pypi.hpp"
#include "watcher/compose.hpp"
#include "watcher/daemon.hpp"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <unistd.h>

using namespace pinwatch;
namespace fs = std::filesystem;
namespace asio = boost::asio;

using pinwatch::testing::CapturedLog;
using pinwatch::testing::count_lines;

namespace {

bool contains(std::string const& s, std::string const& part) {
    return s.find(part) != std::string::npos;
}

// A string buffer that says when its stream is flushed (the console notifier flushes after each
// batch it prints): the moment between "sent" and "recorded as sent".
struct WatchedBuffer : std::stringbuf {
    std::function<void()> on_sync;
    int sync() override {
        if (on_sync) on_sync();
        return 0;
    }
};

struct Round {
    std::string console, log;
    std::size_t answered = 0, failed = 0;
};

struct Workspace {
    fs::path dir;
    test::FakePypi pypi;
    std::int64_t const t = 1700000000;
    Workspace() {
        dir = fs::temp_directory_path() / ("pinwatch-full-disk-" + std::to_string(::getpid()));
        fs::create_directories(dir);
        pypi.add_project({"Demo", "A demo project", {}, {{"1.0", t}, {"1.1", t + 100}}});
        std::ofstream(dir / "requirements.txt") << "demo==1.0\n";
        std::ofstream(dir / "pinwatch.toml")
            << "state = \"state.db\"\nrequirements = [\"requirements.txt\"]\n"
            << "index_url = \"" << pypi.index_url() << "\"\ninterval = \"1h\"\n"
            << "[advisories]\nsource = \"index\"\n[http]\ntimeout = \"5s\"\n";
    }
    ~Workspace() { fs::remove_all(dir); }

    // One `run --once` round; `full` lowers the state file's max_page_count to the pages it
    // already holds (no room to grow) before the round starts.
    Round run_once(CapturedLog& log, bool full) {
        auto cfg = watcher::load_config((dir / "pinwatch.toml").string());
        BOOST_TEST_REQUIRE(bool(cfg));
        watcher::DaemonOptions options;
        options.state_path = cfg->state.value_or((dir / "state.db").string());
        options.once = true;
        asio::io_context io;
        std::ostringstream console;
        Round r;
        {
            watcher::Daemon daemon(io, *cfg, options, console);
            if (full) daemon.store().set_max_page_count(1); // SQLite keeps the pages in use
            bool done = false;
            asio::co_spawn(io, daemon.run(), [&](std::exception_ptr ep) {
                done = true;
                daemon.stop();
                io.stop();
                BOOST_TEST(!ep, "the daemon must not stop on a full disk");
            });
            io.run();
            BOOST_TEST(done);
            r.answered = daemon.polls_answered();
            r.failed = daemon.polls_failed();
        }
        r.console = console.str();
        r.log = log.take();
        BOOST_TEST_MESSAGE("console:\n" << r.console << "log:\n" << r.log);
        return r;
    }

    // The daemon as `pinwatch run` runs it (not --once), polling every second, with storage
    // backoff shortened to one second. `step` runs at every turn of the daemon's loop, on its
    // thread, and returns true to stop it. A minute is the safety net for a test that hangs,
    // not a timing assumption: every step waits on an event (a poll counted, a line logged).
    // `on_print` runs when the console notifier flushes what it printed.
    std::string run_live(std::function<bool(watcher::Daemon&, std::string const& console)> step,
                         std::function<void(watcher::Daemon&, std::string const&)> on_print = {}) {
        std::ofstream(dir / "pinwatch.toml")
            << "state = \"state.db\"\nrequirements = [\"requirements.txt\"]\n"
            << "index_url = \"" << pypi.index_url() << "\"\ninterval = \"1s\"\njitter = 0\n"
            << "[advisories]\nsource = \"index\"\n[http]\ntimeout = \"5s\"\n";
        auto cfg = watcher::load_config((dir / "pinwatch.toml").string());
        BOOST_TEST_REQUIRE(bool(cfg));
        watcher::DaemonOptions options;
        options.state_path = (dir / "state.db").string();
        options.storage_backoff = Backoff{std::chrono::seconds(1), std::chrono::seconds(1), 0.0};
        asio::io_context io;
        WatchedBuffer buffer;
        std::ostream console(&buffer);
        {
            watcher::Daemon daemon(io, *cfg, options, console);
            if (on_print) buffer.on_sync = [&] { on_print(daemon, buffer.str()); };
            bool done = false, timed_out = false;
            daemon.on_tick = [&] {
                if (step(daemon, buffer.str())) daemon.stop();
            };
            asio::steady_timer guard(io, std::chrono::seconds(60));
            guard.async_wait([&](boost::system::error_code ec) {
                if (ec) return;
                timed_out = true;
                daemon.stop();
            });
            asio::co_spawn(io, daemon.run(), [&](std::exception_ptr ep) {
                done = true;
                guard.cancel();
                BOOST_TEST(!ep, "the daemon must not stop on a storage error");
            });
            while (!done && io.run_one()) {
            }
            BOOST_TEST(done);
            BOOST_TEST(!timed_out, "the daemon never reached the end of the scenario");
        }
        return buffer.str();
    }
};

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

} // namespace

BOOST_AUTO_TEST_CASE(a_full_disk_loses_no_event_and_repeats_none) {
    Workspace w;
    CapturedLog log;

    // Baseline: recorded silently.
    auto const first = w.run_once(log, false);
    BOOST_TEST(first.console.empty());

    // A release is published whose metadata (a long summary) needs room the file does not have.
    w.pypi.add_project({"Demo",
                        std::string(256 * 1024, 's'),
                        {},
                        {{"1.0", w.t}, {"1.1", w.t + 100}, {"1.2", w.t + 200}}});

    for (int round = 0; round < 3; ++round) {
        auto const r = w.run_once(log, true);
        // Not recorded, so not told: nothing on the console, and the round says it failed.
        BOOST_TEST(r.console.empty());
        BOOST_TEST(r.answered == 0u);
        BOOST_TEST(r.failed == 1u);
        // The storage error is logged once per round, at error level, and says what it is.
        BOOST_TEST(count_lines(r.log, "database or disk is full") == 1u);
        BOOST_TEST(count_lines(r.log, "error ") == 1u);
    }

    // Space returns: the release is told exactly once.
    auto const back = w.run_once(log, false);
    BOOST_TEST(count_lines(back.console, "demo 1.2") == 1u);
    std::size_t lines = 0;
    std::istringstream in(back.console);
    for (std::string l; std::getline(in, l);)
        lines += !l.empty();
    BOOST_TEST(lines == 1u);
    BOOST_TEST(count_lines(back.log, "database or disk is full") == 0u);

    // And never again.
    for (int round = 0; round < 2; ++round) {
        auto const r = w.run_once(log, false);
        BOOST_TEST(r.console.empty());
    }
}

// The running daemon (not --once): a poll that cannot store its release backs off instead of
// retrying in a loop, says so once with the package's name, says when it works again, and the
// release is told exactly once.
BOOST_AUTO_TEST_CASE(a_running_daemon_backs_off_on_a_full_disk_and_tells_once) {
    Workspace w;
    CapturedLog log;
    int phase = 0;
    std::size_t answered = 0;
    Clock::time_point full_since;
    double full_for = 0;
    std::size_t failures = 0;
    auto const console = w.run_live([&](watcher::Daemon& d, std::string const& out) {
        switch (phase) {
        case 0: // the silent baseline
            if (d.polls_answered() < 1) return false;
            BOOST_TEST(out.empty());
            w.pypi.add_project({"Demo",
                                std::string(256 * 1024, 's'),
                                {},
                                {{"1.0", w.t}, {"1.1", w.t + 100}, {"1.2", w.t + 200}}});
            d.store().set_max_page_count(1);
            full_since = Clock::now();
            phase = 1;
            return false;
        case 1: // full: let it fail three times
            if (d.polls_failed() < 3) return false;
            full_for = seconds_since(full_since);
            failures = d.polls_failed();
            BOOST_TEST(out.empty());
            d.store().set_max_page_count(1 << 30);
            answered = d.polls_answered();
            phase = 2;
            return false;
        default: // space is back: told, then quiet for a few more polls
            return contains(out, "demo 1.2") && d.polls_answered() >= answered + 3;
        }
    });
    auto const text = log.take();
    BOOST_TEST_MESSAGE("console:\n" << console << "log:\n" << text);
    // Backing off: with a one-second backoff, k failed polls take more than k - 2 seconds (a
    // hot loop made twenty a second).
    BOOST_TEST(static_cast<double>(failures) <= full_for + 2.0);
    BOOST_TEST(count_lines(text, "error pypi:demo: poll failed: database or disk is full") == 1u);
    BOOST_TEST(count_lines(text, "error ") == 1u);
    BOOST_TEST(count_lines(text, "pypi:demo: poll recorded again") == 1u);
    BOOST_TEST(count_lines(console, "demo 1.2") == 1u);
    BOOST_TEST(count_lines(console, "new_release") == 1u);
}

// The running daemon whose state file turns read-only between printing an event and recording
// it as delivered: the mark cannot be written, and the daemon neither prints it again while the
// file refuses writes nor after it takes them again.
BOOST_AUTO_TEST_CASE(a_running_daemon_never_resends_what_it_could_not_record) {
    Workspace w;
    CapturedLog log;
    int phase = 0;
    std::size_t answered = 0;
    auto const console = w.run_live(
        [&](watcher::Daemon& d, std::string const& out) {
            switch (phase) {
            case 0:
                if (d.polls_answered() < 1) return false;
                w.pypi.add_project({"Demo",
                                    "A demo project",
                                    {},
                                    {{"1.0", w.t}, {"1.1", w.t + 100}, {"1.2", w.t + 200}}});
                answered = d.polls_answered();
                phase = 1;
                return false;
            case 1: // see on_print below
                return false;
            case 2: // delivered once, not recorded: wait for two retries of the record
                if (count_lines(log.text.str(), "recording deliveries failed again") < 2)
                    return false;
                BOOST_TEST(count_lines(out, "demo 1.2") == 1u);
                d.store().set_query_only(false);
                spdlog::info("test: the state file takes writes again");
                answered = d.polls_answered();
                phase = 3;
                return false;
            default:
                return contains(log.text.str(), "records deliveries again") &&
                       d.polls_answered() >= answered + 2;
            }
        },
        [&](watcher::Daemon& d, std::string const& out) {
            if (phase == 1 && contains(out, "demo 1.2")) {
                d.store().set_query_only(true);
                phase = 2;
            }
        });
    auto const text = log.take();
    BOOST_TEST_MESSAGE("console:\n" << console << "log:\n" << text);
    BOOST_TEST(count_lines(console, "demo 1.2") == 1u);
    BOOST_TEST(count_lines(console, "new_release") == 1u);
    BOOST_TEST(count_lines(text, "readonly database") >= 1u);
    BOOST_TEST(count_lines(text, "error notifier console: recording deliveries failed") == 1u);
    // Once writable, the next attempt records it (no stale error from the failed statement).
    auto const off = text.find("test: the state file takes writes again");
    BOOST_TEST_REQUIRE(off != std::string::npos);
    BOOST_TEST(count_lines(text.substr(off), "failed") == 0u);

    // A restart finds nothing left to send.
    CapturedLog again;
    auto const r = w.run_once(again, false);
    BOOST_TEST(r.console.empty());
}
