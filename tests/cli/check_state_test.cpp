#define BOOST_TEST_MODULE check_state
#include <boost/test/unit_test.hpp>

// `check --state` run again (warm) says exactly what a first run (cold) and a run without a
// state file say, though a warm run reads each pin's saved summary instead of its releases;
// whatever changed between two runs (the requirement, --pre, --python-version, the index) is
// worked out again. And the marker probe's answer is kept in the state file per interpreter.

#include "cli/commands.hpp"
#include "tests/fakes/fake_osv.hpp"
#include "tests/fakes/fake_pypi.hpp"
#include "watcher/state/store.hpp"

#include <algorithm>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

using namespace pinwatch;
using namespace pinwatch::test;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kT = 1'700'000'000;

struct Workspace {
    fs::path dir;
    FakePypi pypi;
    FakeOsv osv;
    Workspace() {
        dir = fs::temp_directory_path() / ("pinwatch-check-state-" + std::to_string(::getpid()) +
                                           "-" + std::to_string(counter()++));
        fs::create_directories(dir);
        FakeRelease yanked("1.0", kT, true, "broken wheel");
        FakeRelease two("2.0", kT + 300);
        two.requires_python = ">=3.12";
        pypi.add_project({"Demo", "A demo", {}, {yanked, {"1.1", kT + 100}, two}});
        pypi.add_project(
            {"other_lib", "Another", {}, {{"2.0", kT}, {"2.1", kT + 10}, {"3.0b1", kT + 20}}});
        pypi.add_project({"early", "Pre-releases only", {}, {{"0.1a1", kT}, {"0.1b2", kT + 5}}});
        pypi.add_project({"moved", "Its pin is not on the index", {}, {{"5.0", kT}}});
        FakeAdvisory a;
        a.id = "PYSEC-2099-1";
        a.summary = "A hole";
        a.fixed_in = {"2.0"};
        pypi.add_vulnerability("demo", "1.1", a);
        FakeVuln v; // the same advisory, as OSV publishes it
        v.id = a.id;
        v.package = "demo";
        v.summary = a.summary;
        v.versions = {"1.1"};
        v.events = {{"introduced", "0"}, {"fixed", "2.0"}};
        osv.add(v);
    }
    ~Workspace() { fs::remove_all(dir); }
    static int& counter() {
        static int n = 0;
        return n;
    }
    std::string path(std::string const& name) const { return (dir / name).string(); }
    void requirements(std::string const& text) const {
        std::ofstream(dir / "requirements.txt", std::ios::binary) << text;
    }

    struct Run {
        int rc = 0;
        std::string out, err;
    };
    // `check` in this process, with --state FILE when `state` is given.
    Run check(std::vector<std::string> extra, bool with_state = true) const {
        std::vector<std::string> args = {
            "-r", path("requirements.txt"), "--index-url", pypi.index_url(),
            "-q", "--advisories",           "index"};
        if (with_state) args.insert(args.end(), {"--state", path("state.db")});
        args.insert(args.end(), extra.begin(), extra.end());
        std::ostringstream out, err;
        Run r;
        r.rc = cli::run_check(args, out, err);
        r.out = out.str();
        r.err = err.str();
        return r;
    }
};

bool contains(std::string const& s, std::string const& part) {
    return s.find(part) != std::string::npos;
}

// The same output for the same mirror: cold, warm, and without a state file.
void same_three_ways(Workspace const& w, std::vector<std::string> const& flags) {
    auto const truth = w.check(flags, false);
    auto const cold = w.check(flags);
    auto const warm = w.check(flags);
    BOOST_TEST(cold.rc == truth.rc);
    BOOST_TEST(warm.rc == truth.rc);
    BOOST_TEST(cold.out == truth.out);
    BOOST_TEST(warm.out == truth.out);
}

} // namespace

BOOST_AUTO_TEST_CASE(a_warm_check_prints_what_a_cold_one_and_one_without_state_print) {
    Workspace w;
    w.requirements("demo==1.0\nOther.Lib>=2,<3\nearly\nmoved==4.0\nnot-on-the-index==1.0\n"
                   "demo-two==1  # not there either\n");
    for (auto const& flags : std::vector<std::vector<std::string>>{
             {"--json", "--python-version", "3.11.4"}, {"--python-version", "3.11.4"}}) {
        fs::remove(w.path("state.db"));
        auto const cold = w.check(flags);
        auto const warm = w.check(flags);
        auto const without = w.check(flags, false);
        BOOST_TEST(cold.rc == 3); // two packages the index does not know
        BOOST_TEST(warm.rc == cold.rc);
        BOOST_TEST(without.rc == cold.rc);
        BOOST_TEST(warm.out == cold.out);
        BOOST_TEST(without.out == cold.out);
    }
    auto const json = w.check({"--json", "--python-version", "3.11.4"}).out;
    BOOST_TEST(contains(json, R"("name":"demo")"));
    BOOST_TEST(contains(json, R"("reason":"broken wheel")"));
    BOOST_TEST(contains(json, R"("drops_python":true)"));
    BOOST_TEST(contains(json, R"("pin_on_index":false)")); // moved==4.0
    // The warm run read saved summaries: every pin on the index has a current one.
    watcher::StateStore store(w.path("state.db"));
    int current = 0;
    for (auto const& s : store.subscriptions())
        current += store.current_summary(s.id).has_value();
    BOOST_TEST(current == static_cast<int>(store.subscriptions().size()));
    BOOST_TEST(current == 6); // those the index does not list too: nothing to summarise
}

// Each input a summary depends on, changed between two runs with the index answering 304: the
// warm run says what a run without a state file says, and that differs from before (so a saved
// summary that missed the input would show). Advisories are left out here (an edited pin's
// advisories: an_edited_pin_is_judged_by_the_file_advisories_included).
BOOST_AUTO_TEST_CASE(a_changed_input_is_worked_out_again_never_served_stale) {
    Workspace w;
    std::vector<std::string> const json = {"--json", "--python-version", "3.11.4", "--advisories",
                                           "none"};
    w.requirements("demo>=1.0\nOther.Lib>=2,<3\n");
    auto const before = w.check(json);
    BOOST_TEST(contains(before.out, R"("latest_allowed":"2.0")"));
    BOOST_TEST(contains(before.out, R"("latest_allowed":"2.1")"));

    // The specifier edited.
    w.requirements("demo>=1.0,<2\nOther.Lib>=2,<3\n");
    auto const edited = w.check(json);
    BOOST_TEST(contains(edited.out, R"("latest_allowed":"1.1")"));
    BOOST_TEST(edited.out == w.check(json, false).out);

    // A pin, then another pin.
    w.requirements("demo==1.1\nOther.Lib>=2,<3\n");
    auto const pinned = w.check(json);
    BOOST_TEST(contains(pinned.out, R"("newer":["2.0"],"update_type":"major")"));
    BOOST_TEST(pinned.out == w.check(json, false).out);
    w.requirements("demo==2.0\nOther.Lib>=2,<3\n");
    auto const repinned = w.check(json);
    BOOST_TEST(contains(repinned.out, R"("newer":[],"update_type":"none")"));
    BOOST_TEST(repinned.out == w.check(json, false).out);

    // --pre, then without it again.
    w.requirements("demo==2.0\nOther.Lib>=2\n");
    BOOST_TEST(contains(w.check(json).out, R"("latest_allowed":"2.1")"));
    auto with_pre = json;
    with_pre.push_back("--pre");
    auto const pre = w.check(with_pre);
    BOOST_TEST(contains(pre.out, R"("latest_allowed":"3.0b1")"));
    BOOST_TEST(pre.out == w.check(with_pre, false).out);
    auto const final_only = w.check(json);
    BOOST_TEST(contains(final_only.out, R"("latest_allowed":"2.1")"));
    BOOST_TEST(final_only.out == w.check(json, false).out);

    // The target Python: 2.0 needs 3.12.
    w.requirements("demo==1.1\n");
    auto const old_python = w.check(json);
    BOOST_TEST(contains(old_python.out, R"("drops_python":true)"));
    std::vector<std::string> const newer_python = {"--json", "--python-version", "3.12.1",
                                                   "--advisories", "none"};
    auto const new_python = w.check(newer_python);
    BOOST_TEST(contains(new_python.out, R"("drops_python":false)"));
    BOOST_TEST(new_python.out == w.check(newer_python, false).out);

    // The index lists a new release (a 200 among the 304s): the poll's summary has it.
    w.pypi.add_release("demo", {"2.1", kT + 400});
    auto const released = w.check(json);
    BOOST_TEST(contains(released.out, R"("latest":"2.1")"));
    BOOST_TEST(released.out == w.check(json, false).out);
    w.pypi.yank("demo", "1.1", "oops");
    auto const yanked = w.check(json);
    BOOST_TEST(contains(yanked.out, R"("reason":"oops")"));
    BOOST_TEST(yanked.out == w.check(json, false).out);
    same_three_ways(w, json);
}

// A pin or specifier edited between two runs (the index answering 304): the warm run judges
// every row by the file as it is now, its advisories included (from the index or in an OSV
// round), exactly as a run without a state file does; the state file then holds the file's
// requirement, so the run after it is warm again.
BOOST_AUTO_TEST_CASE(an_edited_pin_is_judged_by_the_file_advisories_included) {
    Workspace w;
    for (auto const& from : std::vector<std::vector<std::string>>{
             {"--advisories", "index"}, {"--advisories", "osv", "--osv-url", w.osv.url()}}) {
        fs::remove(w.path("state.db"));
        auto json = from;
        json.insert(json.end(), {"--json", "--python-version", "3.11.4"});
        auto const same_as_without_state = [&](std::string const& requirements) {
            w.requirements(requirements);
            auto const warm = w.check(json);
            auto const truth = w.check(json, false);
            BOOST_TEST(warm.rc == truth.rc);
            BOOST_TEST(warm.out == truth.out);
            BOOST_TEST(!contains(warm.out, "not read"));
            return warm.out;
        };
        same_as_without_state("demo==2.0\nOther.Lib>=2,<3\n"); // cold
        // The pin edited to a vulnerable version, and back.
        BOOST_TEST(contains(same_as_without_state("demo==1.1\nOther.Lib>=2,<3\n"),
                            R"("vulnerabilities":[{"id":"PYSEC-2099-1")"));
        BOOST_TEST(contains(same_as_without_state("demo==2.0\nOther.Lib>=2,<3\n"),
                            R"("vulnerabilities":[])"));
        // A specifier edited into a pin, and a pin into a specifier.
        BOOST_TEST(contains(same_as_without_state("demo==1.1\nOther.Lib==2.0\n"),
                            R"("newer":["2.1"],"update_type":"minor")"));
        same_as_without_state("demo>=1.0\nOther.Lib>=2\n");
        same_as_without_state("demo==1.1\nOther.Lib>=2\n");
        // The state file holds the requirement as the file says it now.
        watcher::StateStore store(w.path("state.db"));
        for (auto const& s : store.subscriptions()) {
            BOOST_TEST_CONTEXT(s.sub.name) {
                BOOST_TEST((s.sub.name == "demo" ? s.sub.pinned == "1.1" : !s.sub.pinned));
                BOOST_TEST(s.sub.specifier == (s.sub.name == "demo" ? "==1.1" : ">=2"));
            }
        }
    }
}

// A daemon's state file (it keeps the daemon's routes): a check whose pin differs from the one
// the daemon watches is judged on a temporary state, and says so; the daemon's subscription
// stays as it was (its pin, its advisories' reading, its releases), so the daemon tells the
// team nothing again. A check by the daemon's own requirements uses the file as before.
BOOST_AUTO_TEST_CASE(a_daemons_pin_is_never_rewritten_by_a_check_with_another) {
    Workspace w;
    std::vector<std::string> const json = {"--json", "--python-version", "3.11.4"};
    w.requirements("demo==1.1\nOther.Lib>=2,<3\n");
    BOOST_TEST(w.check(json).rc == 0); // the daemon's pins, polled
    {
        watcher::StateStore store(w.path("state.db"));
        model::Route team;
        team.notifier = "team-slack";
        store.set_routes({team});
    }
    auto const daemons = [&] {
        watcher::StateStore store(w.path("state.db"));
        auto all = store.subscriptions();
        auto const it = std::find_if(all.begin(), all.end(),
                                     [](auto const& s) { return s.sub.name == "demo"; });
        BOOST_REQUIRE(it != all.end());
        return std::pair(*it, store.releases(it->id).count("2.1"));
    };
    auto const [before, _] = daemons();
    BOOST_TEST((before.vulns.version == "1.1"));
    BOOST_TEST(before.vulns.live.size() == 1u);

    w.pypi.add_release("demo", {"2.1", kT + 400});
    w.requirements("demo==2.0\nOther.Lib>=2,<3\n");
    auto const other = w.check(json);
    BOOST_TEST(other.rc == 0);
    BOOST_TEST(other.out == w.check(json, false).out);
    BOOST_TEST(contains(other.out, R"("vulnerabilities":[])"));
    BOOST_TEST(contains(other.err, "is a daemon's state file and it watches demo: ==1.1 there, "
                                   "==2.0 here: checking without it"),
               other.err);
    auto const [after, knows_21] = daemons();
    BOOST_TEST(after.sub.specifier == "==1.1");
    BOOST_TEST((after.sub.pinned == "1.1"));
    BOOST_TEST((after.vulns == before.vulns));
    BOOST_TEST((after.pin_notice == before.pin_notice));
    BOOST_TEST(knows_21 == 0u); // the daemon tells the team of 2.1 itself

    // By the daemon's own requirements: the file is used (the release is known in it now).
    w.requirements("demo==1.1\nOther.Lib>=2,<3\n");
    auto const own = w.check(json);
    BOOST_TEST(own.out == w.check(json, false).out);
    BOOST_TEST(!contains(own.err, "daemon"));
    BOOST_TEST(daemons().second == 1u);
}

namespace {

// The real binary with PATH leading to `bin` first; returns its exit status.
int run_binary(std::vector<std::string> args, fs::path const& bin, fs::path const& log,
               fs::path const& out) {
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) {
        std::string const v = *e;
        if (v.rfind("PATH=", 0) != 0 && v.rfind("PINWATCH_FAKE_PYTHON_LOG=", 0) != 0)
            env.push_back(v);
    }
    env.push_back("PATH=" + bin.string() + ":/usr/bin:/bin");
    env.push_back("PINWATCH_FAKE_PYTHON_LOG=" + log.string());
    std::vector<char*> envp;
    for (auto& v : env)
        envp.push_back(v.data());
    envp.push_back(nullptr);
    std::string const exe = PINWATCH_BINARY;
    args.insert(args.begin(), exe);
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = 0;
    int const spawned = posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    BOOST_REQUIRE(spawned == 0);
    int status = 0;
    BOOST_REQUIRE(::waitpid(pid, &status, 0) == pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int lines_in(fs::path const& file) {
    std::ifstream in(file);
    int n = 0;
    for (std::string line; std::getline(in, line);)
        ++n;
    return n;
}

std::string text_of(fs::path const& file) {
    std::ifstream in(file);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

} // namespace

// python3 runs once per interpreter for a state file: a warm `check --state` recalls its
// answer; a replaced interpreter is asked again; a script (a pyenv shim) is asked every time,
// and so is every run without a state file.
BOOST_AUTO_TEST_CASE(the_marker_probe_is_remembered_per_interpreter_in_the_state_file) {
    Workspace w;
    w.requirements("demo==1.1\n");
    auto const bin = w.dir / "bin";
    fs::create_directories(bin);
    auto const python = bin / "python3";
    fs::copy_file(PINWATCH_FAKE_PYTHON3, python);
    auto const log = w.dir / "runs.log";
    auto const out = w.dir / "out.json";
    std::vector<std::string> const args = {"check",
                                           "-r",
                                           w.path("requirements.txt"),
                                           "--index-url",
                                           w.pypi.index_url(),
                                           "--json",
                                           "-q",
                                           "--advisories",
                                           "none",
                                           "--state",
                                           w.path("state.db")};
    BOOST_TEST(run_binary(args, bin, log, out) == 0);
    BOOST_TEST(lines_in(log) == 1);
    // The fake's Python judged the pin's newer release (2.0 asks for 3.12; it is 3.99.7).
    BOOST_TEST(contains(text_of(out), R"("drops_python":false)"));
    auto const first = text_of(out);
    BOOST_TEST(run_binary(args, bin, log, out) == 0);
    BOOST_TEST(run_binary(args, bin, log, out) == 0);
    BOOST_TEST(lines_in(log) == 1); // recalled, twice
    BOOST_TEST(text_of(out) == first);

    // Without a state file nothing is kept.
    std::vector<std::string> const no_state(args.begin(), args.end() - 2);
    BOOST_TEST(run_binary(no_state, bin, log, out) == 0);
    BOOST_TEST(lines_in(log) == 2);
    BOOST_TEST(text_of(out) == first);

    // Another interpreter in its place (an upgrade): asked again, then recalled.
    fs::remove(python);
    fs::copy_file(PINWATCH_FAKE_PYTHON3, python);
    std::ofstream(python, std::ios::app | std::ios::binary) << "an upgrade";
    BOOST_TEST(run_binary(args, bin, log, out) == 0);
    BOOST_TEST(lines_in(log) == 3);
    BOOST_TEST(run_binary(args, bin, log, out) == 0);
    BOOST_TEST(lines_in(log) == 3);

    // A script in front of it picks its interpreter as it likes: never recalled.
    auto const real = w.dir / "real-python3";
    fs::rename(python, real);
    std::ofstream(python) << "#!/bin/sh\nexec '" << real.string() << "' \"$@\"\n";
    fs::permissions(python, fs::perms::owner_all);
    BOOST_TEST(run_binary(args, bin, log, out) == 0);
    BOOST_TEST(run_binary(args, bin, log, out) == 0);
    BOOST_TEST(lines_in(log) == 5);
    BOOST_TEST(text_of(out) == first);
}
