#define BOOST_TEST_MODULE crash
#include <boost/test/unit_test.hpp>

// Crash consistency of the real daemon: `pinwatch run` against the fake PyPI while the test
// publishes releases and yanks, killed with SIGKILL at seeded points and restarted, again and
// again; then left to finish and stopped with SIGTERM. Every kill point is an event (the k-th
// request the fake received, the j-th console line the daemon printed), never a sleep.
// PINWATCH_CRASH_RUNS sets the number of kills (default 12), PINWATCH_CRASH_SEED the seed.

#include "cli/commands.hpp"
#include "notifiers/console/console.hpp"
#include "tests/fakes/fake_pypi.hpp"
#include "watcher/state/outbox.hpp"

#include <SQLiteCpp/Database.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <tuple>
#include <unistd.h>

extern char** environ;

using namespace pinwatch;
using namespace pinwatch::test;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kT = 1700000000;
constexpr auto kDeadline = std::chrono::seconds(60);

int env_int(char const* name, int fallback) {
    char const* v = std::getenv(name);
    return v && *v ? std::atoi(v) : fallback;
}

// Polls `done` until it holds or `limit` passes; the tests wait on events, not on time.
bool wait_until(std::function<bool()> const& done, std::chrono::seconds limit) {
    auto const until = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

std::string read_file(std::string const& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::size_t line_count(std::string const& text) {
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// (kind, package, version): what one published change must produce, once.
using Key = std::tuple<std::string, std::string, std::string>;

Key key_of(model::Event const& e) {
    return {model::to_string(e.kind), e.package, e.version.value_or("")};
}

std::string show(Key const& k) {
    return std::get<0>(k) + " " + std::get<1>(k) + " " + std::get<2>(k);
}

// The real binary as a daemon: stdout (the console notifier) appended to one file across
// restarts, stderr (the logs) to another.
struct Daemon {
    pid_t pid = 0;
    Daemon(std::string const& config, std::string const& console, std::string const& logs) {
        std::string const exe = PINWATCH_BINARY;
        char const* argv[] = {exe.c_str(), "run", "--config", config.c_str(), nullptr};
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, console.c_str(),
                                         O_WRONLY | O_CREAT | O_APPEND, 0644);
        posix_spawn_file_actions_addopen(&actions, 2, logs.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                         0644);
        int const rc =
            posix_spawn(&pid, exe.c_str(), &actions, nullptr, const_cast<char**>(argv), environ);
        posix_spawn_file_actions_destroy(&actions);
        BOOST_REQUIRE(rc == 0);
    }
    ~Daemon() {
        if (pid > 0) kill_now();
    }
    Daemon(Daemon const&) = delete;
    Daemon& operator=(Daemon const&) = delete;
    // Whether it is still running (it must never stop on its own).
    bool running() {
        if (pid <= 0) return false;
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == 0) return true;
        pid = 0;
        return false;
    }
    void kill_now() {
        ::kill(pid, SIGKILL);
        int status = 0;
        ::waitpid(pid, &status, 0);
        pid = 0;
    }
    // SIGTERM; the exit status, or -1 if it had to be killed.
    int stop() {
        ::kill(pid, SIGTERM);
        int status = 0;
        pid_t done = 0;
        if (!wait_until([&] { return (done = ::waitpid(pid, &status, WNOHANG)) != 0; },
                        std::chrono::seconds(15))) {
            kill_now();
            return -1;
        }
        pid = 0;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -2;
    }
};

struct Workspace {
    fs::path dir;
    FakePypi pypi;
    // Pins, by normalised name: a yank of the pin is a pinned_yanked, any other a release_yanked.
    std::map<std::string, std::string> pins{{"demo", "1.0"}, {"alpha", "0.2"}};

    Workspace() {
        dir = fs::temp_directory_path() / ("pinwatch-crash-" + std::to_string(::getpid()));
        fs::remove_all(dir);
        fs::create_directories(dir);
        pypi.add_project({"Demo", "A demo project", {}, {{"1.0", kT}, {"1.1", kT + 100}}});
        pypi.add_project({"other_lib", "Another", {}, {{"2.0", kT}, {"2.1", kT + 10}}});
        pypi.add_project({"alpha", "A third", {}, {{"0.1", kT}, {"0.2", kT + 1}, {"0.3", kT + 2}}});
        pypi.add_project({"beta", "A fourth", {}, {{"5.0", kT}, {"5.1", kT + 5}}});
        std::ofstream(dir / "requirements.txt") << "demo==1.0\nOther.Lib>=2\nalpha==0.2\nbeta\n";
        std::ofstream(dir / "pinwatch.toml")
            << "state = \"state.db\"\nrequirements = [\"requirements.txt\"]\n"
               "index_url = \""
            << pypi.index_url()
            << "\"\ninterval = \"1s\"\njitter = 0\n"
               "[advisories]\nsource = \"index\"\n[http]\ntimeout = \"5s\"\n";
    }
    ~Workspace() {
        if (std::getenv("PINWATCH_CRASH_KEEP") == nullptr) fs::remove_all(dir);
    }
    std::string path(std::string const& name) const { return (dir / name).string(); }
    std::string console() const { return read_file(path("console.log")); }
    std::string logs() const { return read_file(path("daemon.log")); }
};

struct Published {
    std::vector<Key> changes;                                  // every change, in order
    std::vector<std::pair<std::string, std::string>> yankable; // (package, version)
    std::map<std::string, int> next; // per package: the next release number
};

} // namespace

BOOST_AUTO_TEST_CASE(sigkill_at_random_points_loses_nothing_and_repeats_only_the_batch_in_flight) {
    int const runs = std::max(1, env_int("PINWATCH_CRASH_RUNS", 12));
    auto const seed = static_cast<unsigned>(env_int("PINWATCH_CRASH_SEED", 20261201));
    std::mt19937 rng(seed);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };

    Workspace w;
    std::string const config = w.path("pinwatch.toml");
    // The baseline, in process: silent.
    {
        std::ostringstream out, err;
        BOOST_REQUIRE_MESSAGE(cli::run_daemon({"--config", config, "--once"}, out, err) == 0,
                              err.str());
        BOOST_REQUIRE(out.str().empty());
    }

    Published pub;
    for (auto const& [pkg, ver] :
         std::vector<std::pair<std::string, std::string>>{{"demo", "1.0"},
                                                          {"demo", "1.1"},
                                                          {"other-lib", "2.0"},
                                                          {"other-lib", "2.1"},
                                                          {"alpha", "0.1"},
                                                          {"alpha", "0.2"},
                                                          {"alpha", "0.3"},
                                                          {"beta", "5.0"},
                                                          {"beta", "5.1"}})
        pub.yankable.emplace_back(pkg, ver);
    std::map<std::string, std::string> const series{
        {"demo", "1.2."}, {"other-lib", "2.2."}, {"alpha", "0.4."}, {"beta", "5.2."}};
    std::vector<std::string> const packages{"demo", "other-lib", "alpha", "beta"};
    std::vector<std::pair<std::string, std::string>> released; // not yet yankable
    std::int64_t upload = kT + 1000;

    // Releases become yankable once their new_release was printed (so the daemon saw them
    // unyanked first and the expected event is unambiguous).
    auto publish_one = [&] {
        std::string const text = w.console();
        for (auto it = released.begin(); it != released.end();) {
            if (text.find("] new_release " + it->first + " " + it->second + " released") !=
                std::string::npos) {
                pub.yankable.push_back(*it);
                it = released.erase(it);
            } else {
                ++it;
            }
        }
        if (!pub.yankable.empty() && pick(0, 2) == 0) {
            auto const i =
                static_cast<std::size_t>(pick(0, static_cast<int>(pub.yankable.size()) - 1));
            auto const [pkg, ver] = pub.yankable[i];
            pub.yankable.erase(pub.yankable.begin() + static_cast<std::ptrdiff_t>(i));
            w.pypi.yank(pkg, ver, "crash test");
            auto const pin = w.pins.find(pkg);
            bool const pinned = pin != w.pins.end() && pin->second == ver;
            pub.changes.emplace_back(pinned ? "pinned_yanked" : "release_yanked", pkg, ver);
        } else {
            auto const& pkg = packages[static_cast<std::size_t>(pick(0, 3))];
            std::string const ver = series.at(pkg) + std::to_string(++pub.next[pkg]);
            w.pypi.add_release(pkg, {ver, ++upload});
            released.emplace_back(pkg, ver);
            pub.changes.emplace_back("new_release", pkg, ver);
        }
    };

    // For every kill, the console deliveries still pending right after it: only those may be
    // printed again.
    std::map<std::string, int> pending_at_kills; // event id -> kills it was pending at
    std::size_t pending_total = 0;
    int kills = 0, by_request = 0, by_line = 0;

    for (int run = 0; run < runs; ++run) {
        std::size_t const requests = w.pypi.server().requests();
        std::size_t const lines = line_count(w.console());
        Daemon d(config, w.path("console.log"), w.path("daemon.log"));
        int const changes = pick(1, 3);
        for (int c = 0; c < changes; ++c)
            publish_one();
        // What has not been printed yet: then a console-line kill point is sure to come.
        int unprinted = 0;
        {
            auto const text = w.console();
            for (auto const& k : pub.changes)
                unprinted += text.find("] " + show(k) + " ") == std::string::npos &&
                             text.find("] " + show(k) + ",") == std::string::npos;
        }
        bool reached = false;
        if (unprinted > 0 && pick(0, 1) == 0) {
            std::size_t const j = static_cast<std::size_t>(pick(1, std::min(2, unprinted)));
            reached = wait_until(
                [&] { return line_count(w.console()) >= lines + j || !d.running(); }, kDeadline);
            ++by_line;
        } else {
            std::size_t const k = static_cast<std::size_t>(pick(1, 10));
            reached = w.pypi.server().wait_for_requests(requests + k, kDeadline);
            ++by_request;
        }
        BOOST_REQUIRE_MESSAGE(d.running(), "run " << run << ": the daemon stopped on its own:\n"
                                                  << w.logs());
        BOOST_REQUIRE_MESSAGE(reached, "run " << run << ": no kill point within the deadline:\n"
                                              << w.logs());
        d.kill_now();
        ++kills;
        watcher::StateStore store(w.path("state.db"), watcher::StateStore::Access::read_only);
        for (auto const& item : watcher::Outbox(store).pending(
                 "console", std::numeric_limits<model::UnixTime>::max(), 100000))
            ++pending_at_kills[item.event.id], ++pending_total;
    }

    // Quiescence: a last daemon until every change is stored and every delivery acknowledged.
    std::set<Key> const expected(pub.changes.begin(), pub.changes.end());
    std::size_t const requests = w.pypi.server().requests();
    Daemon d(config, w.path("console.log"), w.path("daemon.log"));
    // Its first request means it is polling, so its SIGTERM handler is installed.
    bool const polling = w.pypi.server().wait_for_requests(requests + 1, kDeadline);
    auto settled = [&] {
        watcher::StateStore store(w.path("state.db"), watcher::StateStore::Access::read_only);
        std::set<Key> stored;
        for (auto const& e : store.events(100000))
            stored.insert(key_of(e));
        for (auto const& k : expected)
            if (!stored.count(k)) return false;
        return watcher::Outbox(store).counts().pending == 0;
    };
    bool const done = wait_until(settled, std::chrono::seconds(120));
    int const rc = d.stop();
    BOOST_REQUIRE_MESSAGE(polling, "the last daemon sent no request:\n" << w.logs());
    BOOST_REQUIRE_MESSAGE(done, "not every change was told within 120 s:\n" << w.logs());
    BOOST_TEST(rc == 0, "exit status " << rc << ":\n" << w.logs());

    // The state file survived every kill.
    {
        SQLite::Database db(w.path("state.db"), SQLite::OPEN_READONLY);
        BOOST_TEST(db.execAndGet("PRAGMA integrity_check").getString() == "ok");
    }

    watcher::StateStore store(w.path("state.db"), watcher::StateStore::Access::read_only);
    auto const events = store.events(100000);

    // Every published change produced exactly one stored event, and nothing else was stored.
    std::map<Key, int> stored;
    for (auto const& e : events)
        ++stored[key_of(e)];
    BOOST_TEST(pub.changes.size() == expected.size()); // the test published each change once
    for (auto const& k : expected)
        BOOST_TEST(stored[k] == 1, show(k) << " stored " << stored[k] << " times");
    BOOST_TEST(events.size() == expected.size());
    for (auto const& [k, n] : stored)
        BOOST_TEST(expected.count(k) == 1u, "unexpected event " << show(k));

    // The outbox: one console row per event, every one delivered.
    auto const counts = watcher::Outbox(store).counts();
    BOOST_TEST(counts.pending == 0);
    BOOST_TEST(counts.failed == 0);
    BOOST_TEST(counts.dead == 0);
    BOOST_TEST(counts.delivered == static_cast<std::int64_t>(events.size()));

    // The console: every event at least once; again only if it was in flight at a kill, and at
    // most once more per such kill; no line that is not a stored event.
    std::map<std::string, int> printed;
    {
        std::istringstream in(w.console());
        for (std::string l; std::getline(in, l);)
            ++printed[l];
    }
    std::size_t lines_total = 0, duplicated = 0, extra = 0;
    int most = 0;
    std::set<std::string> rendered;
    for (auto const& e : events) {
        auto const line = notifiers::ConsoleNotifier::render(e);
        rendered.insert(line);
        int const n = printed[line];
        int const allowed = 1 + pending_at_kills[e.id];
        BOOST_TEST(n >= 1, "never printed: " << line);
        BOOST_TEST(n <= allowed,
                   "printed " << n << " times, pending at " << allowed - 1 << " kills: " << line);
        most = std::max(most, n);
        duplicated += n > 1;
        extra += n > 1 ? static_cast<std::size_t>(n - 1) : 0;
    }
    for (auto const& [line, n] : printed) {
        lines_total += static_cast<std::size_t>(n);
        BOOST_TEST(rendered.count(line) == 1u, "a line that is no stored event: '" << line << "'");
    }
    BOOST_TEST(extra <= pending_total);

    std::ostringstream summary;
    summary << "crash: seed " << seed << ", " << runs << " runs, " << kills << " kills ("
            << by_request << " at the k-th request, " << by_line << " at the j-th console line), "
            << pub.changes.size() << " changes published, " << events.size()
            << " events stored (0 duplicates in the events table: "
            << (events.size() == expected.size() ? "yes" : "NO") << "), " << lines_total
            << " console lines, " << duplicated << " events printed more than once (" << extra
            << " extra lines, most copies of one line " << most << "; " << pending_total
            << " deliveries were pending at the kills)";
    BOOST_TEST_MESSAGE(summary.str());
    std::cout << summary.str() << std::endl;
}
