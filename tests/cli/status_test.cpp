#define BOOST_TEST_MODULE status_test
#include <boost/test/unit_test.hpp>

// `pinwatch status` through its command-line entry point, on a state file written through the
// store and the outbox as the daemon writes it: the per-notifier table says how each channel's
// deliveries stand. Times are relative to the real clock but chosen far from any rounding
// boundary, so the columns do not depend on how fast the test runs.

#include "cli/commands.hpp"
#include "watcher/sources/pypi.hpp"
#include "watcher/state/outbox.hpp"
#include "watcher/state/store.hpp"

#include <ctime>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
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
        u.recipients = {{{"team-slack", now}, {"old-hook", now}},
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
    BOOST_TEST(
        contains(missing.err, "no state file at " + dir.path.string() + "/st\\x1b[31mate.db"),
        missing.err);

    std::ofstream(config) << "requirements = [\"r.txt\"]\n\"bell\\u0007\" = 1\n";
    auto bad = run({"--config", config});
    BOOST_TEST(bad.rc == 2);
    BOOST_TEST(!raw_controls(bad.err), bad.err);
    BOOST_TEST(contains(bad.err, "unknown key 'bell\\x07'"), bad.err);

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
