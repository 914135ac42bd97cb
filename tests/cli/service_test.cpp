#define BOOST_TEST_MODULE service
#include <boost/test/unit_test.hpp>

// `pinwatch run` as systemd runs it: the real binary against the fake PyPI, with the test
// playing systemd's side of NOTIFY_SOCKET (READY, STATUS, WATCHDOG, RELOADING, STOPPING) and
// of JOURNAL_STREAM (log lines carry "<N>" priorities), scraping the [metrics] listener as
// Prometheus would, and sending SIGHUP with a bad and then a good config, then SIGTERM.
// Every wait is for an event (a datagram, a log line, a metric), bounded by a generous limit.

#include "tests/fakes/daemon_process.hpp"
#include "tests/fakes/fake_pypi.hpp"

#include <arpa/inet.h>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <netinet/in.h>
#include <regex>
#include <spawn.h>
#include <sstream>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

using namespace pinwatch::test;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kT = 1700000000;
constexpr auto kLimit = std::chrono::seconds(60);

bool wait_until(std::function<bool()> const& done, std::chrono::seconds limit = kLimit) {
    auto const until = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

std::string read_file(fs::path const& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool contains(std::string const& s, std::string const& part) {
    return s.find(part) != std::string::npos;
}

// systemd's end of NOTIFY_SOCKET: a datagram socket collecting every message.
struct NotifySocket {
    fs::path path;
    int fd = -1;
    std::vector<std::string> messages;
    explicit NotifySocket(fs::path p) : path(std::move(p)) {
        fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        BOOST_REQUIRE(fd >= 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        BOOST_REQUIRE(path.string().size() < sizeof addr.sun_path);
        std::strcpy(addr.sun_path, path.c_str());
        BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    }
    ~NotifySocket() { ::close(fd); }
    void drain() {
        char buf[4096];
        for (;;) {
            auto const n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) return;
            messages.emplace_back(buf, static_cast<std::size_t>(n));
        }
    }
    // Waits for a message (from index `from` on) holding `part`; returns its index.
    std::optional<std::size_t> wait_for(std::string const& part, std::size_t from = 0) {
        std::optional<std::size_t> found;
        wait_until([&] {
            drain();
            for (std::size_t i = from; i < messages.size(); ++i)
                if (contains(messages[i], part)) {
                    found = i;
                    return true;
                }
            return false;
        });
        return found;
    }
};

// A plain HTTP request to the loopback listener; the status line's code and the body.
std::pair<int, std::string> http_get(std::uint16_t port, std::string const& target,
                                     std::string const& method = "GET") {
    auto const answer = pinwatch::test::http_request(port, target, method);
    return {answer.status, answer.body};
}

// Prometheus text format, parsed: every sample "name{labels}" -> value, and every family's
// declared TYPE. Fails the test on a line that is not a comment or a sample.
struct Scrape {
    std::map<std::string, double> samples;
    std::map<std::string, std::string> types;
    double at(std::string const& key) const {
        auto it = samples.find(key);
        BOOST_REQUIRE_MESSAGE(it != samples.end(), "no sample " << key);
        return it->second;
    }
};
Scrape parse_prometheus(std::string const& text) {
    Scrape s;
    std::regex const sample(
        R"(^([a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})?) (-?[0-9.eE+-]+|\+Inf|NaN)$)");
    std::regex const type(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)$)");
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        std::smatch m;
        if (std::regex_match(line, m, type)) {
            s.types[m[1]] = m[2];
        } else if (line.rfind("# HELP ", 0) == 0) {
            continue;
        } else if (std::regex_match(line, m, sample)) {
            s.samples[m[1]] = std::stod(m[3]);
        } else {
            BOOST_ERROR("not Prometheus text: '" << line << "'");
        }
    }
    // Every sample belongs to a declared family.
    for (auto const& [key, v] : s.samples) {
        auto name = key.substr(0, key.find('{'));
        for (char const* suffix : {"_bucket", "_sum", "_count"})
            if (!s.types.count(name) && name.size() > std::strlen(suffix) &&
                name.compare(name.size() - std::strlen(suffix), std::string::npos, suffix) == 0)
                name.resize(name.size() - std::strlen(suffix));
        BOOST_TEST(s.types.count(name) == 1u, "no TYPE for " << key);
    }
    return s;
}

struct Workspace {
    fs::path dir;
    FakePypi pypi;
    Workspace() {
        dir = fs::temp_directory_path() / ("pw-svc-" + std::to_string(::getpid()));
        fs::remove_all(dir);
        fs::create_directories(dir);
        pypi.add_project({"Demo", "A demo project", {}, {{"1.0", kT}, {"1.1", kT + 100}}});
        pypi.add_project({"other_lib", "Another", {}, {{"2.0", kT}, {"2.1", kT + 10}}});
        pypi.add_project({"third", "A third", {}, {{"0.1", kT}}});
        write("requirements.txt", "demo==1.0\nOther.Lib>=2\n");
        write("pinwatch.toml", config("requirements.txt", ""));
    }
    ~Workspace() { fs::remove_all(dir); }
    std::string config(std::string const& reqs, std::string const& extra) const {
        return "state = \"state.db\"\nrequirements = [\"" + reqs + "\"]\nindex_url = \"" +
               pypi.index_url() +
               "\"\ninterval = \"1h\"\n[advisories]\nsource = \"index\"\n[http]\ntimeout = "
               "\"5s\"\n" +
               "[metrics]\nlisten = \"127.0.0.1:0\"\n" + extra;
    }
    void write(std::string const& name, std::string const& text) {
        std::ofstream(dir / name, std::ios::binary) << text;
        ::chmod((dir / name).c_str(), 0600);
    }
    std::string path(std::string const& name) const { return (dir / name).string(); }
};

// The binary with NOTIFY_SOCKET and JOURNAL_STREAM set as systemd sets them; stderr goes to
// a file whose device and inode JOURNAL_STREAM names, stdout to another.
struct Service {
    pid_t pid = 0;
    Service(Workspace& w, std::string const& notify) {
        std::string const exe = PINWATCH_BINARY;
        std::string const config = w.path("pinwatch.toml");
        std::ofstream(w.path("journal.log")).flush();
        struct stat st {};
        BOOST_REQUIRE(::stat(w.path("journal.log").c_str(), &st) == 0);
        std::vector<std::string> env;
        for (char** e = environ; *e; ++e)
            if (std::strncmp(*e, "NOTIFY_SOCKET=", 14) != 0 &&
                std::strncmp(*e, "JOURNAL_STREAM=", 15) != 0)
                env.emplace_back(*e);
        env.push_back("NOTIFY_SOCKET=" + notify);
        env.push_back("JOURNAL_STREAM=" + std::to_string(st.st_dev) + ":" +
                      std::to_string(st.st_ino));
        std::vector<char*> envp;
        for (auto& e : env)
            envp.push_back(e.data());
        envp.push_back(nullptr);
        char const* argv[] = {exe.c_str(), "run", "--config", config.c_str(), nullptr};
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, w.path("console.log").c_str(),
                                         O_WRONLY | O_CREAT | O_APPEND, 0600);
        posix_spawn_file_actions_addopen(&actions, 2, w.path("journal.log").c_str(),
                                         O_WRONLY | O_APPEND, 0600);
        int const rc = posix_spawn(&pid, exe.c_str(), &actions, nullptr, const_cast<char**>(argv),
                                   envp.data());
        posix_spawn_file_actions_destroy(&actions);
        BOOST_REQUIRE(rc == 0);
    }
    ~Service() {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
    }
    bool running() {
        int status = 0;
        return pid > 0 && ::waitpid(pid, &status, WNOHANG) == 0;
    }
    int stop() {
        ::kill(pid, SIGTERM);
        int status = 0;
        pid_t done = 0;
        if (!wait_until([&] { return (done = ::waitpid(pid, &status, WNOHANG)) != 0; })) return -1;
        pid = 0;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -2;
    }
};

} // namespace

BOOST_AUTO_TEST_CASE(notify_journal_metrics_reload_and_stop) {
    Workspace w;
    NotifySocket notify(w.dir / "notify.sock");
    Service svc(w, notify.path.string());
    auto const journal = [&] { return read_file(w.dir / "journal.log"); };
    auto const wait_log = [&](std::string const& part) {
        bool const ok = wait_until([&] { return contains(journal(), part); });
        BOOST_TEST(ok, "no log line with '" << part << "' in:\n" << journal());
        return ok;
    };

    // READY=1 with a STATUS line, then a watchdog ping with the polls' outcome.
    auto const ready = notify.wait_for("READY=1");
    BOOST_REQUIRE_MESSAGE(ready, "no READY=1; log:\n" << journal());
    BOOST_TEST(contains(notify.messages[*ready], "STATUS=watching "), notify.messages[*ready]);
    BOOST_REQUIRE(notify.wait_for("WATCHDOG=1"));
    auto const settled = notify.wait_for("STATUS=watching 2 packages, next poll in ");
    BOOST_REQUIRE_MESSAGE(settled, "no settled STATUS; log:\n" << journal());
    BOOST_TEST(std::regex_search(notify.messages[*settled],
                                 std::regex("^WATCHDOG=1\nSTATUS=watching 2 packages, next poll "
                                            "in [0-9]+ s, 0 errors$")),
               notify.messages[*settled]);

    // Journal lines: "<6>" info, no timestamp (the journal stamps its own).
    BOOST_REQUIRE(wait_log("<6>pinwatch watching 2 package(s); state "));
    BOOST_TEST(contains(journal(), "<6>subscribed 2 package(s): pypi:demo, pypi:other-lib\n"),
               journal());

    // The listener: port 0 asked for any free port, and the log says which.
    BOOST_REQUIRE(wait_log("<6>metrics on http://127.0.0.1:"));
    std::smatch m;
    std::string const log = journal();
    BOOST_REQUIRE(
        std::regex_search(log, m, std::regex("metrics on http://127\\.0\\.0\\.1:([0-9]+)/")));
    auto const port = static_cast<std::uint16_t>(std::stoi(m[1]));

    Scrape first;
    BOOST_REQUIRE(wait_until([&] {
        auto [code, body] = http_get(port, "/metrics");
        if (code != 200) return false;
        first = parse_prometheus(body);
        return first.samples["pinwatch_polls_total{result=\"ok\"}"] == 2;
    }));
    BOOST_TEST(first.types.at("pinwatch_polls_total") == "counter");
    BOOST_TEST(first.types.at("pinwatch_poll_request_duration_seconds") == "histogram");
    BOOST_TEST(first.at("pinwatch_packages_watched") == 2);
    BOOST_TEST(first.at("pinwatch_polls_total{result=\"error\"}") == 0);
    BOOST_TEST(first.at("pinwatch_poll_errors_total") == 0);
    BOOST_TEST(first.at("pinwatch_poll_request_duration_seconds_count") == 2);
    BOOST_TEST(first.at("pinwatch_poll_request_duration_seconds_bucket{le=\"+Inf\"}") == 2);
    BOOST_TEST(first.at("pinwatch_events_total{kind=\"new_release\"}") == 0); // a baseline
    BOOST_TEST(first.at("pinwatch_outbox_pending{notifier=\"console\"}") == 0);
    BOOST_TEST(first.at("pinwatch_outbox_oldest_pending_age_seconds{notifier=\"console\"}") == 0);
    BOOST_TEST(first.at("pinwatch_last_cycle_timestamp_seconds") > kT);
    BOOST_TEST(first.at("pinwatch_polls_not_modified_ratio") == 0);
    auto const [hcode, hbody] = http_get(port, "/healthz");
    BOOST_TEST(hcode == 200, hbody);
    BOOST_TEST(contains(hbody, "ok cycle: last loop turn "), hbody);
    BOOST_TEST(contains(hbody, "ok outbox console: 0 pending\n"), hbody);
    BOOST_TEST(http_get(port, "/nope").first == 404);
    BOOST_TEST(http_get(port, "/metrics", "POST").first == 405);
    BOOST_TEST(http_get(port, "/metrics", "HEAD").first == 200);

    // SIGHUP with a broken config: refused with config-check's lines (as errors), and the
    // daemon goes on, listener included.
    w.write("pinwatch.toml", w.config("requirements.txt", "") + "interval = \"soon\"\n");
    std::size_t const before_bad = notify.messages.size();
    ::kill(svc.pid, SIGHUP);
    BOOST_REQUIRE(wait_log("<3>reload refused: 1 problem(s) in " + w.path("pinwatch.toml") +
                           "; the running config stays\n"));
    // The line lands in [metrics], where `interval` is not a key.
    BOOST_TEST(contains(journal(),
                        "<3>" + w.path("pinwatch.toml") + ":11: metrics.interval: unknown key\n"),
               journal());
    auto const reloading = notify.wait_for("RELOADING=1", before_bad);
    BOOST_REQUIRE(reloading);
    auto const refused = notify.wait_for("READY=1", *reloading);
    BOOST_REQUIRE(refused);
    BOOST_TEST(contains(notify.messages[*refused], "STATUS=reload refused: 1 problem(s)"),
               notify.messages[*refused]);
    BOOST_TEST(svc.running());
    // Still serving on the previous config: /healthz says so (degraded, 200) with the reason,
    // and /metrics counts the refusal.
    auto const [rcode, rbody] = http_get(port, "/healthz");
    BOOST_TEST(rcode == 200);
    BOOST_TEST(contains(rbody, "degraded config: reload refused "), rbody);
    BOOST_TEST(contains(rbody, "1 problem(s) in " + w.path("pinwatch.toml") + ", first: " +
                                   w.path("pinwatch.toml") + ":11: metrics.interval: unknown key"),
               rbody);
    auto const after_refusal = parse_prometheus(http_get(port, "/metrics").second).samples;
    BOOST_TEST(after_refusal.at("pinwatch_config_reload_failures_total") == 1);
    BOOST_TEST(after_refusal.at("pinwatch_config_last_reload_successful") == 0);
    BOOST_TEST(after_refusal.at("pinwatch_config_last_reload_timestamp_seconds") > kT);

    // A good config: one package more, one less, a notifier added; the state is kept (the
    // kept package is not polled as new) and the counters go on.
    w.write("more.txt", "demo==1.0\nthird\n");
    w.write("pinwatch.toml", w.config("more.txt", "[notifiers.extra]\ntype = \"console\"\n"));
    std::size_t const before_good = notify.messages.size();
    ::kill(svc.pid, SIGHUP);
    BOOST_REQUIRE(wait_log("<6>reload: done\n"));
    BOOST_TEST(contains(journal(), "<6>reload: notifier extra (console) added\n"), journal());
    BOOST_REQUIRE(wait_log("<6>subscribed 1 package(s): pypi:third\n"));
    BOOST_REQUIRE(
        wait_log("<6>unsubscribed 1 package(s) no longer in the requirements: pypi:other-lib\n"));
    auto const again = notify.wait_for("READY=1", before_good);
    BOOST_REQUIRE(again);
    BOOST_REQUIRE(wait_until([&] {
        auto [code, body] = http_get(port, "/metrics");
        auto s = parse_prometheus(body);
        return code == 200 && s.samples["pinwatch_polls_total{result=\"ok\"}"] == 3 &&
               s.samples["pinwatch_config_reloads_total"] == 1 &&
               s.samples["pinwatch_config_last_reload_successful"] == 1 &&
               s.samples["pinwatch_packages_watched"] == 2 &&
               s.samples.count("pinwatch_outbox_pending{notifier=\"extra\"}") == 1;
    }));
    BOOST_TEST(svc.running());
    BOOST_TEST(!contains(http_get(port, "/healthz").second, "degraded"));

    // SIGTERM: STOPPING=1 and a clean exit.
    std::size_t const before_stop = notify.messages.size();
    BOOST_TEST(svc.stop() == 0, journal());
    BOOST_TEST(notify.wait_for("STOPPING=1", before_stop).has_value());
    BOOST_TEST(contains(journal(), "<6>signal 15: stopping\n"), journal());
    // Nothing but priority-prefixed lines reached the journal stream.
    std::istringstream lines(journal());
    for (std::string line; std::getline(lines, line);)
        BOOST_TEST(std::regex_match(line, std::regex("^<[2-7]>.*")), line);
}

// A config with problems under systemd: the service does not start (exit 2), and each problem
// is in the journal at error priority, as config-check words it.
BOOST_AUTO_TEST_CASE(a_bad_config_is_refused_with_error_lines_in_the_journal) {
    Workspace w;
    w.write("pinwatch.toml", "requirements = [\"missing.txt\"]\ncolour = 1\n");
    NotifySocket notify(w.dir / "notify.sock");
    Service svc(w, notify.path.string());
    int status = 0;
    BOOST_REQUIRE(::waitpid(svc.pid, &status, 0) == svc.pid);
    svc.pid = 0;
    BOOST_TEST(WIFEXITED(status));
    BOOST_TEST(WEXITSTATUS(status) == 2);
    auto const journal = read_file(w.dir / "journal.log");
    BOOST_TEST(journal == "<3>" + w.path("pinwatch.toml") + ":1: requirements: cannot read '" +
                              w.path("missing.txt") + "': No such file or directory\n<3>" +
                              w.path("pinwatch.toml") + ":2: colour: unknown key\n" +
                              "<2>not starting: 2 problem(s) in the config\n");
    notify.drain();
    BOOST_TEST(notify.messages.empty()); // never READY
}

// Outside systemd: readable, timestamped lines with the level spelled out.
BOOST_AUTO_TEST_CASE(terminal_lines_are_readable_and_log_level_filters) {
    Workspace w;
    auto const run_once = [&](std::vector<std::string> extra) {
        std::string const exe = PINWATCH_BINARY;
        std::vector<std::string> args = {exe, "run", "--config", w.path("pinwatch.toml"), "--once"};
        args.insert(args.end(), extra.begin(), extra.end());
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        std::vector<std::string> env;
        for (char** e = environ; *e; ++e)
            if (std::strncmp(*e, "JOURNAL_STREAM=", 15) != 0) env.emplace_back(*e);
        std::vector<char*> envp;
        for (auto& e : env)
            envp.push_back(e.data());
        envp.push_back(nullptr);
        fs::remove(w.path("stderr.log"));
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&actions, 2, w.path("stderr.log").c_str(),
                                         O_WRONLY | O_CREAT | O_TRUNC, 0600);
        pid_t pid = 0;
        BOOST_REQUIRE(posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv.data(), envp.data()) ==
                      0);
        posix_spawn_file_actions_destroy(&actions);
        int status = 0;
        ::waitpid(pid, &status, 0);
        BOOST_TEST(WIFEXITED(status));
        return read_file(w.dir / "stderr.log");
    };
    auto const info = run_once({});
    BOOST_TEST(std::regex_search(info, std::regex("(^|\n)[0-9]{4}-[0-9]{2}-[0-9]{2} "
                                                  "[0-9]{2}:[0-9]{2}:[0-9]{2} info: pinwatch "
                                                  "watching 2 package\\(s\\)")),
               info);
    BOOST_TEST(!contains(info, "<6>"));
    auto const quiet = run_once({"--log-level", "warning"});
    BOOST_TEST(!contains(quiet, "info:"), quiet);
    auto const debug = run_once({"--log-level", "debug"});
    BOOST_TEST(contains(debug, "debug: pypi:demo: "), debug);
}
