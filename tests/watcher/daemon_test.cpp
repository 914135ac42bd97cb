#define BOOST_TEST_MODULE daemon_test
#include <boost/test/unit_test.hpp>

// Daemon::reload as the run loop calls it at every reload interval, driven directly (no loop, no
// timer, no network): what it logs about the requirements and the config, reload after reload.

#include "tests/fakes/captured_log.hpp"
#include "watcher/compose.hpp"
#include "watcher/daemon.hpp"

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <unistd.h>

using namespace pinwatch;
namespace fs = std::filesystem;

using pinwatch::testing::CapturedLog;
using pinwatch::testing::count_lines;

namespace {

struct Workspace {
    fs::path dir = fs::temp_directory_path() / ("pinwatch-daemon-" + std::to_string(::getpid()));
    Workspace() {
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    ~Workspace() { fs::remove_all(dir); }
    void requirements(std::string const& text) const {
        std::ofstream(dir / "requirements.txt") << text;
    }
    // An index whose URL does not end in /simple/ has no JSON API: GitHub cannot find the
    // packages' repositories. Nothing is ever fetched here: the tests only reload.
    std::optional<config::Config> config() const {
        std::ofstream(dir / "pinwatch.toml")
            << "state = \"state.db\"\nrequirements = [\"requirements.txt\"]\n"
            << "index_url = \"https://127.0.0.1:9/packages/\"\ninterval = \"1h\"\n"
            << "[packages.unused]\nignore = [\"==2.*\"]\n"
            << "[github]\napi_url = \"https://127.0.0.1:9/\"\ntoken = \"ghp_test\"\n";
        auto cfg = watcher::load_config((dir / "pinwatch.toml").string());
        if (!cfg)
            for (auto const& e : cfg.error())
                BOOST_TEST_MESSAGE(e.str());
        if (!cfg) return std::nullopt;
        return std::move(*cfg);
    }
};

// What the GitHub source says of a package whose index has no JSON API to find its repository.
std::string no_repository(std::string const& name) {
    return "github:" + name + ": the index has no JSON API to find its repository";
}

// A daemon on the workspace's config with its log captured; the tests drive its reloads
// directly (no loop, no timer).
struct RunningDaemon {
    std::optional<config::Config> cfg;
    watcher::DaemonOptions options;
    boost::asio::io_context io;
    std::ostringstream console;
    CapturedLog log; // before the daemon: it captures what the daemon says from the start
    std::unique_ptr<watcher::Daemon> daemon;

    explicit RunningDaemon(Workspace const& w) : cfg(w.config()) {
        BOOST_TEST_REQUIRE(bool(cfg));
        options.state_path = (w.dir / "state.db").string();
        daemon = std::make_unique<watcher::Daemon>(io, *cfg, options, console);
    }
};

} // namespace

// A warning the sources give while deriving subscriptions (GitHub: a package whose repository
// cannot be found) and a [packages.<name>] table nobody requires are each said once while they
// last, said again when they come back after going away, and never at a reload that changes
// nothing.
BOOST_AUTO_TEST_CASE(each_warning_is_said_once_while_it_lasts_and_again_when_it_comes_back) {
    Workspace w;
    w.requirements("alpha==1.0\nbeta==1.0\n");
    RunningDaemon running(w);
    auto& daemon = *running.daemon;
    auto& log = running.log;
    std::string const unused = "[packages.unused] matches no requirement";
    model::UnixTime now = 1700000000;
    auto reload = [&] {
        BOOST_TEST_REQUIRE(daemon.reload(now += 60));
        auto text = log.take();
        BOOST_TEST_MESSAGE("reload " << daemon.reloads() << ":\n" << text);
        return text;
    };

    auto text = reload();
    BOOST_TEST(count_lines(text, no_repository("alpha")) == 1u, text);
    BOOST_TEST(count_lines(text, no_repository("beta")) == 1u, text);
    BOOST_TEST(count_lines(text, unused) == 1u, text);

    // The same requirements, the same config: nothing new to say.
    text = reload();
    BOOST_TEST(count_lines(text, "github:") == 0u, text);
    BOOST_TEST(count_lines(text, unused) == 0u, text);
    text = reload();
    BOOST_TEST(count_lines(text, "github:") == 0u, text);
    BOOST_TEST(count_lines(text, unused) == 0u, text);

    // alpha goes, and `unused` is required now: their warnings are gone, beta's still stands.
    w.requirements("beta==1.0\nunused==1.0\n");
    text = reload();
    BOOST_TEST(count_lines(text, "github:alpha") == 0u, text);
    BOOST_TEST(count_lines(text, no_repository("beta")) == 0u, text);
    BOOST_TEST(count_lines(text, no_repository("unused")) == 1u, text);
    BOOST_TEST(count_lines(text, unused) == 0u, text);

    // Both come back: each is said once more, and only once.
    w.requirements("alpha==1.0\nbeta==1.0\n");
    text = reload();
    BOOST_TEST(count_lines(text, no_repository("alpha")) == 1u, text);
    BOOST_TEST(count_lines(text, no_repository("beta")) == 0u, text);
    BOOST_TEST(count_lines(text, "github:unused") == 0u, text);
    BOOST_TEST(count_lines(text, unused) == 1u, text);
    text = reload();
    BOOST_TEST(count_lines(text, "github:") == 0u, text);
    BOOST_TEST(count_lines(text, unused) == 0u, text);
    BOOST_TEST(daemon.reloads() == 6u);
}

// A reload that finds no requirements file keeps the stored subscriptions and derives nothing:
// the sources' warnings from before still stand, and are not said again once the file is back.
BOOST_AUTO_TEST_CASE(an_unreadable_stretch_does_not_repeat_what_the_sources_said) {
    Workspace w;
    w.requirements("alpha==1.0\n");
    RunningDaemon running(w);
    auto& daemon = *running.daemon;
    auto& log = running.log;

    BOOST_TEST_REQUIRE(daemon.reload(1700000000));
    auto text = log.take();
    BOOST_TEST(count_lines(text, no_repository("alpha")) == 1u, text);

    fs::remove(w.dir / "requirements.txt");
    BOOST_TEST(!daemon.reload(1700000060));
    text = log.take();
    BOOST_TEST(count_lines(text, "no requirements file could be read") == 1u, text);
    BOOST_TEST(daemon.requirements_unreadable());

    w.requirements("alpha==1.0\n");
    BOOST_TEST_REQUIRE(daemon.reload(1700000120));
    text = log.take();
    BOOST_TEST(count_lines(text, "requirements readable again") == 1u, text);
    BOOST_TEST(count_lines(text, "github:") == 0u, text);
}

// Without requirements, which [packages.<name>] tables match none cannot be told: an unreadable
// stretch says nothing of them, and what was said before it stands.
BOOST_AUTO_TEST_CASE(an_unreadable_stretch_does_not_call_every_packages_table_unused) {
    Workspace w;
    w.requirements("alpha==1.0\nunused==1.0\n");
    RunningDaemon running(w);
    auto& daemon = *running.daemon;
    auto& log = running.log;

    BOOST_TEST_REQUIRE(daemon.reload(1700000000));
    auto text = log.take();
    BOOST_TEST(count_lines(text, "matches no requirement") == 0u, text);

    fs::remove(w.dir / "requirements.txt");
    BOOST_TEST(!daemon.reload(1700000060));
    text = log.take();
    BOOST_TEST(count_lines(text, "no requirements file could be read") == 1u, text);
    BOOST_TEST(count_lines(text, "matches no requirement") == 0u, text);

    w.requirements("alpha==1.0\n");
    BOOST_TEST_REQUIRE(daemon.reload(1700000120));
    text = log.take();
    BOOST_TEST(count_lines(text, "[packages.unused] matches no requirement") == 1u, text);
}
