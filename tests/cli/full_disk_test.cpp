#define BOOST_TEST_MODULE full_disk_test
#include <boost/test/unit_test.hpp>

// A full disk under the daemon's real code path: `run --once` rounds (a Daemon with `once`, as
// `pinwatch run --once` builds it) against the fake PyPI, on a state file whose connection is
// capped by PRAGMA max_page_count, so the poll that must record a new release fails with
// "database or disk is full". Each round is driven to its end (no sleeps, no timing).

#include "config/config.hpp"
#include "tests/fakes/fake_pypi.hpp"
#include "watcher/daemon.hpp"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace pinwatch;
namespace fs = std::filesystem;
namespace asio = boost::asio;

namespace {

bool contains(std::string const& s, std::string const& part) {
    return s.find(part) != std::string::npos;
}

std::size_t count_lines(std::string const& text, std::string const& part) {
    std::size_t n = 0;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);)
        n += contains(l, part);
    return n;
}

// spdlog into a string for one scope.
struct CapturedLog {
    std::ostringstream text;
    std::shared_ptr<spdlog::logger> saved = spdlog::default_logger();
    CapturedLog() {
        auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(text);
        auto logger = std::make_shared<spdlog::logger>("test", sink);
        logger->set_level(spdlog::level::debug);
        logger->set_pattern("%l %v");
        spdlog::set_default_logger(logger);
    }
    ~CapturedLog() { spdlog::set_default_logger(saved); }
    std::string take() {
        auto s = text.str();
        text.str("");
        return s;
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
            << "[http]\ntimeout = \"5s\"\n";
    }
    ~Workspace() { fs::remove_all(dir); }

    // One `run --once` round; `full` lowers the state file's max_page_count to the pages it
    // already holds (no room to grow) before the round starts.
    Round run_once(CapturedLog& log, bool full) {
        auto cfg = config::load_config((dir / "pinwatch.toml").string());
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
};

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
