#define BOOST_TEST_MODULE status_test
#include <boost/test/unit_test.hpp>

// `pinwatch status` through its command-line entry point, on a state file written through the
// store and the outbox as the daemon writes it: the per-notifier table says how each channel's
// deliveries stand. Times are relative to the real clock but chosen far from any rounding
// boundary, so the columns do not depend on how fast the test runs.

#include "cli/commands.hpp"
#include "watcher/sources/pypi/pypi.hpp"
#include "watcher/state/outbox.hpp"
#include "watcher/state/store.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <regex>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

using namespace pinwatch;
using namespace pinwatch::watcher;
namespace fs = std::filesystem;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        static int counter = 0;
        path = fs::temp_directory_path() /
               ("pinwatch-status-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
};

bool contains(std::string const& s, std::string_view part) {
    return s.find(part) != std::string::npos;
}

Subscription sub(std::string name) {
    Subscription s = pypi_subscription("https://pypi.org/simple/", name);
    s.specifier = "==1.0";
    s.pinned = "1.0";
    s.file = "requirements.txt";
    s.line = 1;
    return s;
}

Event release(std::string id, std::string version, UnixTime at) {
    Event e;
    e.id = std::move(id);
    e.kind = EventKind::new_release;
    e.source = "pypi";
    e.package = "demo";
    e.origin = "https://pypi.org/simple/";
    e.version = std::move(version);
    e.update = UpdateType::minor;
    e.allowed = false;
    e.pinned = "1.0";
    e.specifier = "==1.0";
    e.at = at;
    return e;
}

struct Status {
    int rc = -1;
    std::string out, err;
};
Status status(std::string const& path) {
    std::ostringstream out, err;
    Status s;
    s.rc = cli::run_status({"--state", path}, out, err);
    s.out = out.str();
    s.err = err.str();
    BOOST_TEST_MESSAGE("exit " << s.rc << "\nstdout:\n" << s.out << "stderr:\n" << s.err);
    return s;
}

// The cells of a table row (columns are two or more spaces apart; no cell here has two spaces
// in a row or is empty).
std::vector<std::string> cells(std::string const& line) {
    static std::regex const gap(" {2,}");
    return {std::sregex_token_iterator(line.begin(), line.end(), gap, -1),
            std::sregex_token_iterator()};
}

// The NOTIFIERS table: from its header line to the next blank line, as cells.
std::vector<std::vector<std::string>> notifier_table(std::string const& out) {
    std::vector<std::vector<std::string>> rows;
    std::istringstream in(out);
    bool inside = false;
    for (std::string l; std::getline(in, l);) {
        if (l.rfind("NOTIFIER ", 0) == 0) inside = true;
        if (!inside) continue;
        if (l.empty()) break;
        rows.push_back(cells(l));
    }
    return rows;
}

std::size_t characters(std::string const& s) {
    std::size_t n = 0;
    for (unsigned char c : s)
        n += (c & 0xC0) != 0x80;
    return n;
}

} // namespace

BOOST_AUTO_TEST_CASE(no_outbox_rows_no_notifiers_table) {
    TempDir dir;
    auto const path = (dir.path / "state.db").string();
    {
        StateStore store(path);
        store.upsert_subscription(sub("demo"), std::time(nullptr));
    }
    auto const s = status(path);
    BOOST_TEST(s.rc == 0);
    BOOST_TEST(!contains(s.out, "NOTIFIER"));
    BOOST_TEST(contains(s.out, "1 package(s); outbox: 0 pending, 0 delivered, 0 failed; state "));
}

BOOST_AUTO_TEST_CASE(one_row_per_notifier_with_counts_next_attempt_age_and_last_error) {
    TempDir dir;
    auto const path = (dir.path / "state.db").string();
    UnixTime const now = std::time(nullptr);
    std::string const hostile = "slack team-slack: HTTP 503: \x1b[31m" + std::string(300, 'x');
    {
        StateStore store(path);
        Outbox outbox(store);
        auto const id = store.upsert_subscription(sub("demo"), now - 3 * 86400);
        StateUpdate u;
        u.subscription_id = id;
        u.now = now - 600;
        u.status = PollStatus::ok;
        u.baseline_done = true;
        u.next_due = now + 3600;
        u.events = {release("evt_old", "1.1", now - 2 * 86400 - 3600),
                    release("evt_mid", "1.2", now - 3 * 3600),
                    release("evt_new", "1.3", now - 600)};
        // (old-hook's item fell due with its event: max_age counts from the due time.)
        u.recipients = {{{"team-slack", now}, {"old-hook", now - 2 * 86400 - 3600}},
                        {{"team-slack", now}, {"ops-mail", now}},
                        {{"team-slack", now}}};
        store.apply(u);

        auto const item = [&](std::string const& notifier, std::string const& event) {
            for (auto const& i : outbox.pending(notifier, now + 365 * 86400))
                if (i.event.id == event) return i.id;
            BOOST_FAIL("no pending outbox row for " << notifier << " / " << event);
            return std::int64_t{0};
        };
        // team-slack: the oldest event waits for a retry in three and a half hours, after an
        // error a hostile receiver wrote; the two newer ones arrived.
        outbox.mark_failed(item("team-slack", "evt_old"), hostile, now + 3 * 3600 + 1800, now);
        outbox.mark_delivered(item("team-slack", "evt_mid"), now);
        outbox.mark_delivered(item("team-slack", "evt_new"), now);
        // ops-mail: refused for good.
        outbox.mark_failed(
            item("ops-mail", "evt_mid"),
            "email ops-mail: smtp mail.example.com:587: 550 5.1.1 mailbox unavailable",
            std::nullopt, now);
        // old-hook: its one event waited more than a day and was given up.
        BOOST_TEST(outbox.expire("old-hook", now - 86400) == 1);
    }

    auto const s = status(path);
    BOOST_TEST(s.rc == 0);
    BOOST_TEST(s.out.find('\x1b') == std::string::npos); // no escape sequence reaches a terminal
    auto const table = notifier_table(s.out);
    BOOST_REQUIRE_EQUAL(table.size(), 4u);
    BOOST_TEST(
        (table[0] == std::vector<std::string>{"NOTIFIER", "PENDING", "DELIVERED", "FAILED", "DEAD",
                                              "NEXT ATTEMPT", "OLDEST PENDING", "LAST ERROR"}));

    // By name. old-hook's last error is whatever giving up recorded; its counts are what count.
    BOOST_REQUIRE_GE(table[1].size(), 7u);
    BOOST_TEST((std::vector<std::string>(table[1].begin(), table[1].begin() + 7) ==
                std::vector<std::string>{"old-hook", "0", "0", "0", "1", "-", "-"}));

    BOOST_TEST((table[2] == std::vector<std::string>{
                                "ops-mail", "0", "0", "1", "0", "-", "-",
                                "email ops-mail: smtp mail.example.com:587: 550 5.1.1 mailbox "
                                "unavailable"}));

    BOOST_REQUIRE_EQUAL(table[3].size(), 8u);
    BOOST_TEST((std::vector<std::string>(table[3].begin(), table[3].begin() + 7) ==
                std::vector<std::string>{"team-slack", "1", "2", "0", "0", "in 3h", "2d ago"}));
    auto const& last_error = table[3][7];
    // Sanitised (ESC shown as text), cut to 120 characters plus the mark of the cut.
    BOOST_TEST(last_error.rfind("slack team-slack: HTTP 503: \\x1b[31mxxx", 0) == 0u);
    BOOST_TEST(characters(last_error) == 121u);
    BOOST_TEST(last_error.substr(last_error.size() - 3) == "…");

    // The summary line stays.
    BOOST_TEST(contains(s.out, "1 package(s); outbox: 1 pending, 2 delivered, 1 failed; state " +
                                   path + "\n"));
}

namespace {

Status status_args(std::vector<std::string> const& args) {
    std::ostringstream out, err;
    Status s;
    s.rc = cli::run_status(args, out, err);
    s.out = out.str();
    s.err = err.str();
    BOOST_TEST_MESSAGE("exit " << s.rc << "\nstdout:\n" << s.out << "stderr:\n" << s.err);
    return s;
}

std::string file_bytes(fs::path const& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Sets (or unsets) an environment variable for one scope.
struct EnvVar {
    std::string name;
    std::optional<std::string> saved;
    EnvVar(std::string n, std::optional<std::string> value) : name(std::move(n)) {
        if (char const* v = std::getenv(name.c_str())) saved = v;
        if (value)
            ::setenv(name.c_str(), value->c_str(), 1);
        else
            ::unsetenv(name.c_str());
    }
    ~EnvVar() {
        if (saved)
            ::setenv(name.c_str(), saved->c_str(), 1);
        else
            ::unsetenv(name.c_str());
    }
};

// A command as a user who may read but not write: as root, in a child that drops to nobody
// (root ignores file modes); otherwise as this user. nullopt when it cannot be done.
using Command = std::function<int(std::ostream& out, std::ostream& err)>;
std::optional<Status> as_reader(Command const& command) {
    if (::geteuid() != 0) {
        std::ostringstream out, err;
        int const rc = command(out, err);
        return Status{rc, out.str(), err.str()};
    }
    int fds[2];
    if (::pipe(fds) != 0) return std::nullopt;
    pid_t const pid = ::fork();
    if (pid < 0) return std::nullopt;
    if (pid == 0) {
        ::close(fds[0]);
        if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(99);
        std::ostringstream out, err;
        int const rc = command(out, err);
        std::string const text = std::to_string(rc) + "\n" + out.str() + "\x1f" + err.str();
        auto written = ::write(fds[1], text.data(), text.size());
        (void)written;
        ::_exit(0);
    }
    ::close(fds[1]);
    std::string text;
    char buf[4096];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;)
        text.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    int wstatus = 0;
    ::waitpid(pid, &wstatus, 0);
    if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0 || text.empty()) return std::nullopt;
    Status s;
    auto const nl = text.find('\n');
    auto const sep = text.find('\x1f');
    s.rc = std::stoi(text.substr(0, nl));
    s.out = text.substr(nl + 1, sep - nl - 1);
    s.err = text.substr(sep + 1);
    BOOST_TEST_MESSAGE("as nobody: exit " << s.rc << "\nstdout:\n"
                                          << s.out << "stderr:\n"
                                          << s.err);
    return s;
}

std::optional<Status> status_as_reader(std::string const& path) {
    return as_reader([&](std::ostream& out, std::ostream& err) {
        return cli::run_status({"--state", path}, out, err);
    });
}

} // namespace

BOOST_AUTO_TEST_CASE(a_newer_state_file_says_upgrade_pinwatch) {
    TempDir dir;
    auto const path = (dir.path / "state.db").string();
    {
        StateStore store(path);
        store.upsert_subscription(sub("demo"), std::time(nullptr));
    }
    {
        SQLite::Database db(path, SQLite::OPEN_READWRITE);
        db.exec("PRAGMA user_version = " + std::to_string(StateStore::latest_schema_version() + 1));
    }
    auto const s = status(path);
    BOOST_TEST(s.rc == 2);
    BOOST_TEST(contains(s.err, "upgrade pinwatch"));
    BOOST_TEST(!contains(s.err, "migrate"));
}

BOOST_AUTO_TEST_CASE(status_never_writes_the_state_file) {
    TempDir dir;
    auto const path = (dir.path / "state.db").string();
    {
        StateStore store(path);
        store.upsert_subscription(sub("demo"), std::time(nullptr));
    }
    auto const before = file_bytes(path);
    auto const mtime = fs::last_write_time(path);
    auto const s = status(path);
    BOOST_TEST(s.rc == 0);
    BOOST_TEST(contains(s.out, "demo"));
    BOOST_TEST((file_bytes(path) == before));
    BOOST_TEST((fs::last_write_time(path) == mtime));
    // The read-only store refuses writes outright.
    StateStore ro(path, StateStore::Access::read_only);
    BOOST_CHECK_THROW(ro.upsert_subscription(sub("other"), std::time(nullptr)), std::exception);
    BOOST_TEST((file_bytes(path) == before));
}

BOOST_AUTO_TEST_CASE(a_reader_who_may_not_write_the_file_or_its_folder_gets_the_status) {
    TempDir dir;
    auto const folder = dir.path / "ro";
    fs::create_directories(folder);
    auto const path = (folder / "state.db").string();
    {
        StateStore store(path);
        store.upsert_subscription(sub("demo"), std::time(nullptr));
    }
    auto const before = file_bytes(path);
    fs::permissions(path, fs::perms(0444));
    fs::permissions(folder, fs::perms(0555));
    fs::permissions(dir.path, fs::perms(0755));
    auto const s = status_as_reader(path);
    fs::permissions(folder, fs::perms(0755));
    if (!s) {
        BOOST_TEST_MESSAGE("could not run as an unprivileged user; permission part skipped");
        return;
    }
    BOOST_TEST(s->rc == 0);
    BOOST_TEST(contains(s->out, "demo"));
    BOOST_TEST(!contains(s->err, "readonly database"));
    BOOST_TEST((file_bytes(path) == before));
}

BOOST_AUTO_TEST_CASE(a_reader_beside_a_running_daemon_gets_the_status) {
    // The daemon holds the file open (its -wal and -shm exist, owned by it, 0644 here so that
    // another user may read them but not write them).
    TempDir dir;
    fs::permissions(dir.path, fs::perms(0755));
    auto const path = (dir.path / "state.db").string();
    StateStore daemon(path);
    daemon.upsert_subscription(sub("demo"), std::time(nullptr));
    fs::permissions(path, fs::perms(0644));
    for (auto const* suffix : {"-wal", "-shm"})
        if (fs::exists(path + suffix)) fs::permissions(path + suffix, fs::perms(0644));
    auto const s = status_as_reader(path);
    if (!s) {
        BOOST_TEST_MESSAGE("could not run as an unprivileged user; permission part skipped");
        return;
    }
    BOOST_TEST(s->rc == 0);
    BOOST_TEST(contains(s->out, "demo"));
}

BOOST_AUTO_TEST_CASE(an_unopenable_path_says_why) {
    TempDir dir;
    auto const missing_folder = status((dir.path / "nope" / "state.db").string());
    BOOST_TEST(missing_folder.rc == 2);
    BOOST_TEST(contains(missing_folder.err,
                        "the folder " + (dir.path / "nope").string() + " does not exist"));
    BOOST_TEST(!contains(missing_folder.err, "unable to open database file"));

    auto const folder = status(dir.path.string());
    BOOST_TEST(folder.rc == 2);
    BOOST_TEST(contains(folder.err, dir.path.string() + " is a folder, not a state file"));
    BOOST_TEST(!contains(folder.err, "unable to open database file"));

    auto const missing_file = status((dir.path / "state.db").string());
    BOOST_TEST(missing_file.rc == 2);
    BOOST_TEST(contains(missing_file.err, "no state file at " + (dir.path / "state.db").string()));
    BOOST_TEST(!fs::exists(dir.path / "state.db"));
}

BOOST_AUTO_TEST_CASE(config_without_state_uses_the_daemons_default_and_creates_nothing) {
    TempDir dir;
    auto const service = dir.path / "var-lib-pinwatch";
    auto const home = dir.path / "home";
    fs::create_directories(service);
    fs::create_directories(home);
    std::ofstream(dir.path / "pinwatch.toml")
        << "requirements = [\"requirements.txt\"]\n[advisories]\nsource = \"index\"\n";
    std::ofstream(dir.path / "requirements.txt") << "demo==1.0\n";
    EnvVar const sd("STATE_DIRECTORY", service.string());
    EnvVar const h("HOME", home.string());
    EnvVar const x("XDG_STATE_HOME", std::nullopt);
    auto const config = (dir.path / "pinwatch.toml").string();

    // Nothing yet: it says which path it looked at, and creates nothing anywhere.
    auto const none = status_args({"--config", config});
    BOOST_TEST(none.rc == 2);
    BOOST_TEST(contains(none.err, (service / "state.db").string()));
    BOOST_TEST(contains(none.err, "$STATE_DIRECTORY"));
    BOOST_TEST(fs::is_empty(home));
    BOOST_TEST(fs::is_empty(service));

    {
        StateStore store((service / "state.db").string());
        store.upsert_subscription(sub("demo"), std::time(nullptr));
    }
    auto const found = status_args({"--config", config});
    BOOST_TEST(found.rc == 0);
    BOOST_TEST(contains(found.out, "demo"));
    BOOST_TEST(contains(found.out, (service / "state.db").string()));
    BOOST_TEST(fs::is_empty(home));

    // Without $STATE_DIRECTORY: the per-user default, still not created, and a hint.
    EnvVar const unset("STATE_DIRECTORY", std::nullopt);
    auto const user = status_args({"--config", config});
    BOOST_TEST(user.rc == 2);
    BOOST_TEST(contains(user.err, (home / ".local" / "state" / "pinwatch" / "state.db").string()));
    BOOST_TEST(contains(user.err, "--state"));
    BOOST_TEST(fs::is_empty(home));
}

// `status --config` on a state file at state/state.db under `dir` that watches "demo": it
// finds the file from the config and shows the package.
static Status status_of_config(TempDir const& dir, std::string const& config) {
    fs::create_directories(dir.path / "state");
    {
        StateStore store((dir.path / "state" / "state.db").string());
        store.upsert_subscription(sub("demo"), std::time(nullptr));
    }
    auto s = status_args({"--config", config});
    BOOST_TEST(s.rc == 0, s.err);
    BOOST_TEST(contains(s.out, "demo"));
    BOOST_TEST(contains(s.out, (dir.path / "state" / "state.db").string()));
    return s;
}

// `status --config` needs only the config's `state`: notifiers whose secrets this shell cannot
// resolve (no $CREDENTIALS_DIRECTORY, an unset variable), even unknown keys, do not stop it.
BOOST_AUTO_TEST_CASE(status_with_a_config_needs_no_secrets) {
    TempDir dir;
    EnvVar const creds("CREDENTIALS_DIRECTORY", std::nullopt);
    EnvVar const hook("PINWATCH_STATUS_TEST_UNSET", std::nullopt);
    auto const config = (dir.path / "pinwatch.toml").string();
    std::ofstream(config) << "requirements = [\"missing.txt\"]\nstate = \"state/state.db\"\n"
                             "[notifiers.team]\ntype = \"slack\"\n"
                             "webhook_url = \"credential:slack-webhook\"\n"
                             "[notifiers.hook]\ntype = \"webhook\"\n"
                             "url = \"env:PINWATCH_STATUS_TEST_UNSET\"\nsecret = \"file:nope\"\n";
    auto const s = status_of_config(dir, config);
    BOOST_TEST(!contains(s.err, "credential"), s.err);
}

// The [state] table form (`path`, `keep`) names the state file as `state = "..."` does.
BOOST_AUTO_TEST_CASE(status_with_a_config_reads_the_state_table) {
    TempDir dir;
    auto const config = (dir.path / "pinwatch.toml").string();
    std::ofstream(config) << "requirements = [\"missing.txt\"]\n"
                             "[state]\npath = \"state/state.db\"\nkeep = \"2h\"\n";
    auto const s = status_of_config(dir, config);
}

// An admin's shell has no $STATE_DIRECTORY: when the user has no state file of its own, status
// also looks for the systemd service's, and says so when there is none.
BOOST_AUTO_TEST_CASE(without_a_state_of_its_own_status_names_the_services_path) {
    TempDir dir;
    EnvVar const sd("STATE_DIRECTORY", std::nullopt);
    EnvVar const x("XDG_STATE_HOME", (dir.path / "xdg").string());
    auto const s = status_args({});
    BOOST_TEST(s.rc == 2);
    BOOST_TEST(contains(s.err, (dir.path / "xdg" / "pinwatch" / "state.db").string()), s.err);
    std::error_code ec;
    if (!fs::exists("/var/lib/pinwatch/state.db", ec)) // a machine without the service
        BOOST_TEST(contains(s.err, "/var/lib/pinwatch/state.db"), s.err);
}

// Paths, config lines and arguments are shown with their control characters made visible: a
// state path with ESC in it (from the config) or a config line holding one never reaches the
// terminal raw.
BOOST_AUTO_TEST_CASE(control_characters_from_config_and_paths_are_sanitised) {
    TempDir dir;
    auto const raw_controls = [](std::string const& s) {
        for (char c : s)
            if (static_cast<unsigned char>(c) < 0x20 && c != '\n') return true;
        return false;
    };
    auto const run = [](std::vector<std::string> const& args) {
        std::ostringstream out, err;
        Status s;
        s.rc = cli::run_status(args, out, err);
        s.out = out.str();
        s.err = err.str();
        return s;
    };
    auto const config = (dir.path / "pinwatch.toml").string();
    std::ofstream(config) << "requirements = [\"r.txt\"]\nstate = \"st\\u001b[31mate.db\"\n";
    auto missing = run({"--config", config});
    BOOST_TEST(missing.rc == 2);
    BOOST_TEST(!raw_controls(missing.err), missing.err);
    BOOST_TEST(contains(missing.err, dir.path.string() + "/st\\x1b[31mate.db"), missing.err);

    // status reads only `state` from a config (issue #18): a bad `state` in a config whose
    // name holds a BEL is the error shown.
    auto const bell = (dir.path / "bell\x07.toml").string();
    std::ofstream(bell) << "requirements = [\"r.txt\"]\nstate = 5\n";
    auto bad = run({"--config", bell});
    BOOST_TEST(bad.rc == 2);
    BOOST_TEST(!raw_controls(bad.err), bad.err);
    BOOST_TEST(contains(bad.err, "bell\\x07.toml:2: state: expected a string"), bad.err);

    auto arg = run({"--frob\x1b[2J"});
    BOOST_TEST(arg.rc == 2);
    BOOST_TEST(!raw_controls(arg.err), arg.err);
    BOOST_TEST(contains(arg.err, "unknown argument '--frob\\x1b[2J'"), arg.err);

    auto const folder = dir.path / "a\x07z";
    fs::create_directories(folder);
    auto const path = (folder / "state.db").string();
    {
        StateStore store(path);
        store.upsert_subscription(sub("demo"), std::time(nullptr));
    }
    auto ok = run({"--state", path});
    BOOST_TEST(ok.rc == 0, ok.err);
    BOOST_TEST(!raw_controls(ok.out), ok.out);
    BOOST_TEST(contains(ok.out, "a\\x07z/state.db"), ok.out);
}

// `run` on a state file this user may read but not write refuses to start (exit 2) and says
// which file, whose it is and what to do, instead of SQLite's "attempt to write a readonly
// database"; the file is untouched. The same for a folder it may not write when the side files
// (-wal, -shm, .lock) are not there yet.
BOOST_AUTO_TEST_CASE(run_refuses_a_state_file_it_may_not_write_and_says_why) {
    TempDir dir;
    auto const folder = dir.path / "state";
    fs::create_directories(folder);
    auto const path = (folder / "state.db").string();
    {
        StateStore store(path);
        store.upsert_subscription(sub("demo"), std::time(nullptr));
    }
    std::ofstream(dir.path / "requirements.txt") << "demo==1.0\n";
    std::ofstream(dir.path / "pinwatch.toml")
        << "state = \"" << path << "\"\nrequirements = [\"requirements.txt\"]\n"
        << "index_url = \"http://127.0.0.1:9/simple/\"\n[advisories]\nsource = \"index\"\n";
    auto const config = (dir.path / "pinwatch.toml").string();
    auto const run = [&](std::ostream& out, std::ostream& err) {
        return cli::run_daemon({"--config", config, "--once"}, out, err);
    };
    fs::permissions(dir.path, fs::perms(0755));
    fs::permissions(dir.path / "pinwatch.toml", fs::perms(0644));
    fs::permissions(dir.path / "requirements.txt", fs::perms(0644));
    auto const before = file_bytes(path);

    // The file itself.
    fs::permissions(path, fs::perms(0644));
    auto const s = as_reader(run);
    if (!s || ::geteuid() != 0) {
        BOOST_TEST_MESSAGE("not root: cannot run as another user; permission part skipped");
        return;
    }
    BOOST_TEST(s->rc == 2);
    BOOST_TEST(contains(s->err, "the state file " + path));
    BOOST_TEST(contains(s->err, "is not writable by this user (uid 65534)"));
    BOOST_TEST(contains(s->err, "pinwatch status"));
    BOOST_TEST(!contains(s->err, "readonly database"));
    BOOST_TEST((file_bytes(path) == before));

    // A writable file in a folder it may not write, with no side files yet.
    fs::remove(path + "-wal");
    fs::remove(path + "-shm");
    fs::remove(path + ".lock");
    fs::permissions(path, fs::perms(0666));
    fs::permissions(folder, fs::perms(0755));
    auto const f = as_reader(run);
    fs::permissions(path, fs::perms(0600));
    BOOST_TEST_REQUIRE(bool(f));
    BOOST_TEST(f->rc == 2);
    BOOST_TEST(contains(f->err, "the folder " + folder.string()));
    BOOST_TEST(contains(f->err, "-wal, -shm and .lock"));
    BOOST_TEST((file_bytes(path) == before));
}

BOOST_AUTO_TEST_CASE(vulnerable_pins_unreadable_advisories_and_cooldowns_are_shown) {
    TempDir dir;
    auto const path = (dir.path / "state.db").string();
    UnixTime const now = std::time(nullptr);
    {
        StateStore store(path);
        auto const id = store.upsert_subscription(sub("demo"), now);
        auto const other = store.upsert_subscription(sub("other"), now);
        Advisory a;
        a.id = "PYSEC-2026-1";
        a.summary = "bad";
        StateUpdate u;
        u.subscription_id = id;
        u.now = now;
        u.status = PollStatus::ok;
        u.baseline_done = true;
        u.next_due = now + 3600;
        u.vulns = VulnerabilityState{"1.0", std::nullopt, now, std::nullopt, {a}};
        u.upserts = {StoredRelease{"1.1", now, now, false, std::nullopt, std::nullopt, true}};
        u.set_held_until = true;
        u.held_until = now + 7200 + 30;
        store.apply(u);
        StateUpdate v = u;
        v.subscription_id = other;
        v.upserts.clear();
        v.set_held_until = false;
        v.vulns = VulnerabilityState{
            std::nullopt, std::nullopt, std::nullopt, std::string("vulnerabilities: http 503"), {}};
        store.apply(v);
    }
    auto const s = status(path);
    BOOST_TEST(s.rc == 0);
    BOOST_TEST(contains(s.out, "ok (vulnerable: PYSEC-2026-1) (1 release(s) in their cooldown, "
                               "the next told in 2h"));
    BOOST_TEST(contains(s.out, "ok (advisories not read: vulnerabilities: http 503)"));
}
