// `pinwatch status`: the state file as a table — what is watched, when it was last polled,
// what it last said, and how the outbox stands. Opens the file read-only: never migrates it,
// never takes a write lock from the daemon.
#include "cli/commands.hpp"
#include "cli/support.hpp"
#include "common/text.hpp"
#include "common/time.hpp"
#include "config/config.hpp"
#include "config/state_path.hpp"
#include "notifiers/notifier.hpp"
#include "notifiers/post.hpp"
#include "watcher/compose.hpp"
#include "watcher/state/fetched_files.hpp"
#include "watcher/state/outbox.hpp"
#include "watcher/summary.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <unistd.h>
#include <variant>

namespace pinwatch::cli {

using namespace pinwatch::watcher;
namespace {

constexpr char const* kStatusUsage =
    R"(usage: pinwatch status [--state FILE | --config FILE] [--events N] [--all]

Shows what the daemon's state file holds: every watched package, its last poll and result,
how each notifier's deliveries stand (pending, delivered, failed, given up; next attempt, the
oldest waiting event, the last error), the outbox and recent events.
  --state FILE    state file (default: the config's `state`, else the default `pinwatch run`
                  would use here: $STATE_DIRECTORY/state.db, else the per-user one, else the
                  systemd service's /var/lib/pinwatch/state.db)
  --config FILE   read the state path from this config (its `state` only: no secrets needed)
  --events N      recent events to list (default 10)
  --all           include packages no longer in the requirements
)";

// Where pinwatch.service keeps its state (StateDirectory=pinwatch; DynamicUser= links it to
// /var/lib/private/pinwatch, which only root may enter).
constexpr char const* kServiceState = "/var/lib/pinwatch/state.db";

// Characters of a notifier's last error in the NOTIFIERS table.
constexpr std::size_t kLastErrorChars = 120;

// "1.5 MB", "12 KB", "512 B" (decimal units, one decimal below 10).
std::string byte_size(std::int64_t bytes) {
    char const* const units[] = {"B", "KB", "MB", "GB"};
    double v = static_cast<double>(bytes);
    int u = 0;
    while (v >= 1000 && u < 3) {
        v /= 1000;
        ++u;
    }
    char buf[32];
    if (u == 0)
        std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(bytes));
    else
        std::snprintf(buf, sizeof buf, v < 10 ? "%.1f %s" : "%.0f %s", v, units[u]);
    return buf;
}

std::string ago(std::optional<UnixTime> t, UnixTime now) {
    return time_ago(t, now);
}

std::string in(UnixTime t, UnixTime now) {
    return time_until(t, now);
}

// Why a state file cannot be opened, in words, before SQLite says only "unable to open
// database file"; nullopt when it looks openable.
std::optional<std::string> why_not_openable(std::string const& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    auto const st = fs::status(path, ec);
    if (st.type() == fs::file_type::directory) return path + " is a folder, not a state file";
    if (st.type() == fs::file_type::not_found || ec == std::errc::no_such_file_or_directory) {
        auto const parent = fs::path(path).parent_path();
        std::error_code pec;
        auto const pst = fs::status(parent.empty() ? fs::path(".") : parent, pec);
        if (pst.type() == fs::file_type::not_found)
            return "no state file at " + path + ": the folder " + parent.string() +
                   " does not exist";
        if (pst.type() != fs::file_type::directory && pst.type() != fs::file_type::unknown && !pec)
            return "no state file at " + path + ": " + parent.string() + " is not a folder";
        return "no state file at " + path +
               " (has `pinwatch run` or `pinwatch check --state` run yet?)";
    }
    if (ec) return "cannot look at " + path + ": " + ec.message();
    if (st.type() != fs::file_type::regular && st.type() != fs::file_type::symlink)
        return path + " is not a regular file";
    if (::access(path.c_str(), R_OK) != 0)
        return "cannot read " + path + ": " + std::generic_category().message(errno);
    return std::nullopt;
}

struct StatusOptions {
    std::optional<std::string> state, config_path;
    int events = 10;
    bool all = false;
};

// The arguments, or the exit status when there is nothing to show (help, a usage error).
std::variant<StatusOptions, int> parse_args(Args const& args, std::ostream& out,
                                            std::ostream& err) {
    StatusOptions o;
    ArgReader r(args);
    while (!r.done()) {
        if (r.flag({"-h", "--help"})) {
            out << kStatusUsage;
            return 0;
        } else if (r.flag({"--state"})) {
            o.state = r.value();
            if (!o.state) {
                err << "pinwatch status: --state needs a file\n";
                return 2;
            }
        } else if (r.flag({"--config", "-c"})) {
            o.config_path = r.value();
            if (!o.config_path) {
                err << "pinwatch status: --config needs a file\n";
                return 2;
            }
        } else if (r.flag({"--all"})) {
            o.all = true;
        } else if (r.flag({"--events"})) {
            auto v = r.value();
            o.events = v && !v->empty() &&
                               v->find_first_not_of("0123456789") == std::string::npos &&
                               v->size() < 6
                           ? std::atoi(v->c_str())
                           : -1;
            if (o.events < 0 || o.events > 10000) {
                err << "pinwatch status: --events: expected a number from 0 to 10000\n";
                return 2;
            }
        } else {
            err << "pinwatch status: unknown argument '" << sanitize_text(r.peek()) << "'\n"
                << kStatusUsage;
            return 2;
        }
    }
    return o;
}

// Where the state file is, and why there (the caller should see which path was looked at);
// nullopt after saying why the config could not be read.
std::optional<std::pair<std::string, std::string>> locate_state(StatusOptions const& o,
                                                                std::ostream& err) {
    auto state = o.state;
    std::string origin;
    if (state) {
        origin = "--state";
    } else if (o.config_path) {
        // Only the `state` setting: the notifiers' secrets are not needed to read the state.
        auto setting = config::read_state_setting(*o.config_path);
        if (!setting) {
            err << sanitize_text(setting.error().str()) << '\n';
            return std::nullopt;
        }
        state = *setting;
        if (state) origin = "`state` in " + *o.config_path;
    }
    if (!state) {
        // As `pinwatch run` would choose under this environment, but nothing is created. An
        // admin's shell has no $STATE_DIRECTORY: when this user has no state file, the service's
        // (StateDirectory=pinwatch) is the one meant.
        auto const where = default_state_location();
        state = where.path;
        origin = "the default under " + where.rule;
        std::error_code ec;
        if (where.rule != "$STATE_DIRECTORY" && !std::filesystem::exists(where.path, ec)) {
            std::error_code sec;
            bool const service = std::filesystem::exists(kServiceState, sec);
            if (service) {
                state = kServiceState;
                origin = "the systemd service's StateDirectory";
            } else {
                origin +=
                    std::string("; nor is there a systemd service's ") + kServiceState +
                    (sec == std::errc::permission_denied ? " that this user may read (try sudo)"
                                                         : "") +
                    "; pass --state or --config";
            }
        }
    }
    return std::pair(*state, origin);
}

// The state file, read-only; nullptr after saying why it cannot be opened.
std::unique_ptr<StateStore> open_state(std::string const& path, std::string const& origin,
                                       std::ostream& err) {
    if (auto why = why_not_openable(path)) {
        err << "pinwatch status: " << sanitize_text(*why) << " [path from " << sanitize_text(origin)
            << "]\n";
        return nullptr;
    }
    std::unique_ptr<StateStore> store;
    try {
        store = std::make_unique<StateStore>(path, StateStore::Access::read_only);
    } catch (std::exception const& e) {
        err << "pinwatch status: " << sanitize_text(e.what()) << '\n';
        return nullptr;
    }
    if (store->read_without_wal())
        err << "pinwatch status: note: " << sanitize_text(path)
            << " read without its write-ahead log (this user may not write its folder); the "
               "daemon's most recent writes may be missing\n";
    return store;
}

// One package's row: its pin, what the index lists, its last poll and what stands out.
std::vector<std::string> package_row(StateStore& store, StoredSubscription const& s, UnixTime now) {
    auto const releases = store.release_list(s.id);
    auto const summary = summarize(s.sub, releases);
    std::string status =
        s.last_status == PollStatus::pending ? "pending" : to_string(s.last_status);
    if (s.last_error) status += ": " + sanitize_text(*s.last_error);
    if (summary.pin_yanked) status += " (pinned version yanked)";
    // The pinned version's advisories as last read (live ones only), or why they were not.
    if (s.sub.pinned && s.vulns.version == s.sub.pinned && !s.vulns.live.empty()) {
        std::string ids;
        for (auto const& a : s.vulns.live)
            ids += (ids.empty() ? "" : ", ") + sanitize_text(a.id);
        status += " (vulnerable: " + ids + ")";
    }
    if (s.sub.pinned && s.vulns.error)
        status += " (advisories not read: " + sanitize_text(*s.vulns.error) + ")";
    // What the index says about the project (PEP 792), when it is not simply active.
    if (s.project_status && !s.project_status->active()) {
        auto const& ps = *s.project_status;
        status += ps.quarantined() ? " (QUARANTINED by the index"
                                   : " (" + sanitize_text(ps.status) + " on the index";
        if (ps.reason) status += ": " + sanitize_text(*ps.reason);
        status += ")";
    }
    std::size_t held = 0;
    for (auto const& r : releases)
        held += r.held ? 1 : 0;
    if (held > 0)
        status += " (" + std::to_string(held) + " release(s) in their cooldown, the next told " +
                  (s.held_until ? in(*s.held_until, now) : std::string("later")) + ")";
    if (!s.active) status += " (unsubscribed)";
    return {s.sub.name,
            s.sub.specifier.empty() ? "*" : s.sub.specifier,
            sanitize_text(summary.latest.value_or("-")),
            std::to_string(releases.size()),
            ago(s.last_poll, now),
            s.active ? in(s.next_due, now) : "-",
            status};
}

// The requirements files that live elsewhere: each one's last fetch (when, and what came of
// it: new content with its ETag, a 304, an error) and the content in use. Returns the rows.
std::size_t write_fetched_files(std::ostream& out, StateStore& store, UnixTime now) {
    auto const files = FetchedFiles(store).all();
    if (files.empty()) return 0;
    std::vector<std::vector<std::string>> rows;
    rows.push_back({"FILE", "LAST FETCH", "RESULT", "CONTENT"});
    for (auto const& f : files) {
        std::string result = "-";
        if (f.outcome == "fetched")
            result = "200" + (f.etag ? ", ETag " + sanitize_text(*f.etag) : std::string());
        else if (f.outcome == "not_modified")
            result = "304 not modified";
        else if (f.outcome == "error")
            result = "error: " + sanitize_text(f.error.value_or("?"));
        std::string content = "none";
        if (f.content)
            content = byte_size(static_cast<std::int64_t>(f.content->size())) + ", read " +
                      ago(f.fetched_at, now);
        rows.push_back({sanitize_text(redact_url_queries(redact_credentials(f.name))),
                        ago(f.checked_at, now), result, content});
    }
    out << "\n";
    write_table(out, rows);
    return files.size();
}

// A source's own table (GitHub's repositories): the rows of its subscriptions.
struct SourceTableRows {
    Source const* source;
    StatusTable table;
    std::vector<std::vector<std::string>> rows;
};

// The package table, then each source's own table; returns the footer's counts.
std::string write_subscriptions(std::ostream& out, StateStore& store, bool all, UnixTime now) {
    std::vector<std::string> warnings;
    SourceSetup setup;
    setup.mode = SourceSetup::Mode::report;
    auto const sources = make_sources(setup, warnings);
    std::vector<SourceTableRows> own;
    if (sources)
        for (auto const* source : sources->all())
            if (auto table = source->status_table()) own.push_back({source, *table, {}});
    // One package table per project ("default" first); a state file with no other project
    // prints one table, as it always did.
    std::map<std::string, std::vector<std::vector<std::string>>> by_project;
    std::size_t packages = 0;
    for (auto const& s : store.subscriptions(!all)) {
        auto const t = std::find_if(own.begin(), own.end(), [&](SourceTableRows const& o) {
            return o.source->kind() == s.sub.source;
        });
        if (t != own.end()) {
            SubscriptionView const view{s.sub,          s.active,    s.last_status, s.last_error,
                                        s.source_state, s.last_poll, s.next_due};
            t->rows.push_back(t->source->status_row(view, now));
            continue;
        }
        ++packages;
        by_project[s.sub.project].push_back(package_row(store, s, now));
    }
    std::vector<std::string> const headers = {"PACKAGE",   "REQUIRED", "LATEST", "RELEASES",
                                              "LAST POLL", "NEXT",     "STATUS"};
    bool const named =
        by_project.size() > 1 || (by_project.size() == 1 && by_project.begin()->first != "default");
    if (!named) {
        std::vector<std::vector<std::string>> rows{headers};
        for (auto& [project, list] : by_project)
            rows.insert(rows.end(), list.begin(), list.end());
        write_table(out, rows);
    }
    auto const one_project = [&](std::string const& project) {
        auto const it = by_project.find(project);
        if (it == by_project.end()) return;
        out << "project " << sanitize_text(project) << " (" << it->second.size()
            << " package(s)):\n";
        std::vector<std::vector<std::string>> rows{headers};
        rows.insert(rows.end(), it->second.begin(), it->second.end());
        write_table(out, rows);
    };
    if (named) {
        bool first = true;
        one_project("default");
        for (auto const& [project, list] : by_project) {
            if (project == "default") continue;
            if (!first || by_project.count("default")) out << "\n";
            first = false;
            one_project(project);
        }
    }
    std::string counts = std::to_string(packages) + " package(s)";
    for (auto& t : own) {
        if (t.rows.empty()) continue;
        out << "\n";
        t.rows.insert(t.rows.begin(), t.table.headers);
        write_table(out, t.rows);
        counts += ", " + std::to_string(t.rows.size() - 1) + " " + t.table.counted;
    }
    if (auto const files = write_fetched_files(out, store, now); files > 0)
        counts += ", " + std::to_string(files) + " fetched file(s)";
    return counts;
}

// Per notifier: how its deliveries stand, when it tries next, how long the oldest event has
// waited, and what went wrong last (a receiver's words: sanitised and cut short).
void write_notifiers(std::ostream& out, StateStore& store, Outbox const& outbox, UnixTime now) {
    auto const per_notifier = outbox.by_notifier();
    // Stopped notifiers say so instead of a next attempt, and rows of a notifier no longer
    // configured (the daemon lists its notifiers in the file) are orphaned: nothing sends them.
    auto const stops = outbox.stops();
    auto const stop_of = [&](std::string const& name) -> NotifierStop const* {
        for (auto const& st : stops)
            if (st.notifier == name) return &st;
        return nullptr;
    };
    auto const configured = store.routes();
    auto const orphaned = [&](std::string const& name) {
        return !configured.empty() &&
               std::none_of(configured.begin(), configured.end(),
                            [&](Route const& r) { return r.notifier == name; });
    };
    auto const stop_text = [&](NotifierStop const& st) {
        return st.kind == NotifierStop::Kind::auth ? std::string("paused: credentials refused")
                                                   : std::string("disabled: gone");
    };
    if (!per_notifier.empty()) {
        std::vector<std::vector<std::string>> table;
        table.push_back({"NOTIFIER", "PENDING", "DELIVERED", "FAILED", "DEAD", "NEXT ATTEMPT",
                         "OLDEST PENDING", "LAST ERROR"});
        for (auto const& n : per_notifier) {
            bool const waiting = n.counts.pending > 0;
            auto const* stop = stop_of(n.notifier);
            bool const orphan = !stop && orphaned(n.notifier);
            std::string next = waiting && n.next_attempt ? in(*n.next_attempt, now) : "-";
            std::optional<std::string> error = n.last_error;
            if (orphan) {
                next = "orphaned";
            } else if (stop) {
                next = stop->kind == NotifierStop::Kind::auth ? "paused" : "disabled";
                error = stop->reason;
            }
            table.push_back(
                {sanitize_text(n.notifier), std::to_string(n.counts.pending),
                 std::to_string(n.counts.delivered), std::to_string(n.counts.failed),
                 std::to_string(n.counts.dead), next,
                 waiting && n.oldest_pending ? ago(n.oldest_pending, now) : "-",
                 error ? notifiers::truncate_text(sanitize_text(*error), kLastErrorChars) : "-"});
        }
        out << "\n";
        write_table(out, table);
    }
    // One line per stopped or orphaned notifier: what happened and what brings it back.
    bool said = false;
    auto const say = [&](std::string const& line) {
        out << (said ? "" : "\n") << line << "\n";
        said = true;
    };
    for (auto const& st : stops)
        say("notifier " + sanitize_text(st.notifier) + ": " + stop_text(st) + " " +
            ago(st.since, now) + " (" +
            notifiers::truncate_text(sanitize_text(st.reason), kLastErrorChars) + "); " +
            (st.kind == NotifierStop::Kind::auth
                 ? "its events wait: fix the secret and reload, or run `pinwatch notify-test`"
                 : "it gets nothing until its URL changes"));
    for (auto const& n : per_notifier)
        if (n.counts.pending > 0 && !stop_of(n.notifier) && orphaned(n.notifier))
            say("notifier " + sanitize_text(n.notifier) + ": " + std::to_string(n.counts.pending) +
                " notification(s) orphaned: it is no longer configured, nothing will send them");
}

} // namespace

int run_status(Args const& args, std::ostream& out, std::ostream& err) {
    auto parsed = parse_args(args, out, err);
    if (auto const* code = std::get_if<int>(&parsed)) return *code;
    auto const& o = std::get<StatusOptions>(parsed);
    auto const located = locate_state(o, err);
    if (!located) return 2;
    auto const& [path, origin] = *located;
    auto store = open_state(path, origin, err);
    if (!store) return 2;
    UnixTime const now = std::time(nullptr);
    auto const counts = write_subscriptions(out, *store, o.all, now);
    Outbox const outbox(*store);
    write_notifiers(out, *store, outbox, now);
    auto const totals = outbox.counts();
    out << "\n"
        << counts << "; outbox: " << totals.pending << " pending, " << totals.delivered
        << " delivered, " << totals.failed << " failed; state " << sanitize_text(path) << "\n";
    // How big the state file is ([state] keep prunes delivered events; the WAL is emptied
    // hourly): a figure to watch on a small state folder.
    auto const size = store->size();
    out << "state file: " << byte_size(size.database) << " (write-ahead log " << byte_size(size.wal)
        << ")\n";
    if (o.events > 0) {
        auto const recent = store->events(o.events);
        if (!recent.empty()) out << "\nrecent events:\n";
        for (auto const& e : recent)
            out << "  " << notifiers::describe(e) << " (" << ago(e.at, now) << ")\n";
    }
    return 0;
}

} // namespace pinwatch::cli
