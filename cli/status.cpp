// `pinwatch status`: the state file as a table — what is watched, when it was last polled,
// what it last said, and how the outbox stands. Opens the file read-only: never migrates it,
// never takes a write lock from the daemon.
#include "cli/commands.hpp"
#include "cli/support.hpp"
#include "common/text.hpp"
#include "config/config.hpp"
#include "config/state_path.hpp"
#include "notifiers/notifier.hpp"
#include "notifiers/post.hpp"
#include "watcher/sources/github.hpp"
#include "watcher/state/outbox.hpp"
#include "watcher/summary.hpp"

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <unistd.h>

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

std::string ago(std::optional<UnixTime> t, UnixTime now) {
    if (!t) return "never";
    auto d = now - *t;
    if (d < 0) d = 0;
    if (d < 120) return std::to_string(d) + "s ago";
    if (d < 7200) return std::to_string(d / 60) + "m ago";
    if (d < 172800) return std::to_string(d / 3600) + "h ago";
    return std::to_string(d / 86400) + "d ago";
}

std::string in(UnixTime t, UnixTime now) {
    auto d = t - now;
    if (d <= 0) return "now";
    if (d < 120) return "in " + std::to_string(d) + "s";
    if (d < 7200) return "in " + std::to_string(d / 60) + "m";
    return "in " + std::to_string(d / 3600) + "h";
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

} // namespace

int run_status(Args const& args, std::ostream& out, std::ostream& err) {
    std::optional<std::string> state, config_path;
    int events = 10;
    bool all = false;
    ArgReader r(args);
    while (!r.done()) {
        if (r.flag({"-h", "--help"})) {
            out << kStatusUsage;
            return 0;
        } else if (r.flag({"--state"})) {
            state = r.value();
            if (!state) {
                err << "pinwatch status: --state needs a file\n";
                return 2;
            }
        } else if (r.flag({"--config", "-c"})) {
            config_path = r.value();
            if (!config_path) {
                err << "pinwatch status: --config needs a file\n";
                return 2;
            }
        } else if (r.flag({"--all"})) {
            all = true;
        } else if (r.flag({"--events"})) {
            auto v = r.value();
            events = v && !v->empty() && v->find_first_not_of("0123456789") == std::string::npos &&
                             v->size() < 6
                         ? std::atoi(v->c_str())
                         : -1;
            if (events < 0 || events > 10000) {
                err << "pinwatch status: --events: expected a number from 0 to 10000\n";
                return 2;
            }
        } else {
            err << "pinwatch status: unknown argument '" << sanitize_text(r.peek()) << "'\n"
                << kStatusUsage;
            return 2;
        }
    }
    // Where the file is and why there: the caller should see which path was looked at.
    std::string origin;
    if (state) {
        origin = "--state";
    } else if (config_path) {
        // Only the `state` setting: the notifiers' secrets are not needed to read the state.
        auto setting = config::read_state_setting(*config_path);
        if (!setting) {
            err << sanitize_text(setting.error().str()) << '\n';
            return 2;
        }
        state = *setting;
        if (state) origin = "`state` in " + *config_path;
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
    std::string const path = *state;
    if (auto why = why_not_openable(path)) {
        err << "pinwatch status: " << sanitize_text(*why) << " [path from " << sanitize_text(origin)
            << "]\n";
        return 2;
    }
    std::unique_ptr<StateStore> store;
    try {
        store = std::make_unique<StateStore>(path, StateStore::Access::read_only);
    } catch (std::exception const& e) {
        err << "pinwatch status: " << sanitize_text(e.what()) << '\n';
        return 2;
    }
    if (store->read_without_wal())
        err << "pinwatch status: note: " << sanitize_text(path)
            << " read without its write-ahead log (this user may not write its folder); the "
               "daemon's most recent writes may be missing\n";
    UnixTime const now = std::time(nullptr);
    auto subs = store->subscriptions(!all);
    std::vector<std::vector<std::string>> rows;
    rows.push_back({"PACKAGE", "REQUIRED", "LATEST", "RELEASES", "LAST POLL", "NEXT", "STATUS"});
    // GitHub repositories get their own table: the repository, the quota the server reported
    // with the last answer, and the last result.
    std::vector<std::vector<std::string>> repos;
    repos.push_back({"REPOSITORY", "PACKAGE", "LAST POLL", "NEXT", "QUOTA LEFT", "STATUS"});
    std::size_t packages = 0;
    for (auto const& s : subs) {
        if (s.sub.source == GithubSource::kKind) {
            auto const st = github_detail::state_from_json(s.source_state.value_or(""));
            std::string quota = "-";
            if (st.quota_remaining && st.quota_limit) {
                quota = std::to_string(*st.quota_remaining) + "/" + std::to_string(*st.quota_limit);
                if (st.quota_reset) quota += ", resets " + in(*st.quota_reset, now);
                if (!st.authenticated) quota += " (no token)";
            }
            std::string status =
                s.last_status == PollStatus::pending ? "pending" : to_string(s.last_status);
            if (s.last_error) status += ": " + sanitize_text(*s.last_error);
            if (!st.repo && !st.no_repo.empty()) status += ": " + sanitize_text(st.no_repo);
            if (st.renamed_from)
                status += " (renamed from " + sanitize_text(*st.renamed_from) + ")";
            if (st.spike) status += " (ISSUE SPIKE)";
            if (!s.active) status += " (unsubscribed)";
            repos.push_back({sanitize_text(st.repo.value_or("-")), s.sub.name,
                             ago(s.last_poll, now), s.active ? in(s.next_due, now) : "-", quota,
                             status});
            continue;
        }
        ++packages;
        auto const releases = store->release_list(s.id);
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
        std::size_t held = 0;
        for (auto const& r : releases)
            held += r.held ? 1 : 0;
        if (held > 0)
            status += " (" + std::to_string(held) +
                      " release(s) in their cooldown, the next told " +
                      (s.held_until ? in(*s.held_until, now) : std::string("later")) + ")";
        if (!s.active) status += " (unsubscribed)";
        rows.push_back({s.sub.name, s.sub.specifier.empty() ? "*" : s.sub.specifier,
                        sanitize_text(summary.latest.value_or("-")),
                        std::to_string(releases.size()), ago(s.last_poll, now),
                        s.active ? in(s.next_due, now) : "-", status});
    }
    write_table(out, rows);
    if (repos.size() > 1) {
        out << "\n";
        write_table(out, repos);
    }
    Outbox const outbox(*store);
    // Per notifier: how its deliveries stand, when it tries next, how long the oldest event has
    // waited, and what went wrong last (a receiver's words: sanitised and cut short).
    auto const per_notifier = outbox.by_notifier();
    // Stopped notifiers say so instead of a next attempt, and rows of a notifier no longer
    // configured (the daemon lists its notifiers in the file) are orphaned: nothing sends them.
    auto const stops = outbox.stops();
    auto const stop_of = [&](std::string const& name) -> NotifierStop const* {
        for (auto const& st : stops)
            if (st.notifier == name) return &st;
        return nullptr;
    };
    auto const configured = store->routes();
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
    auto const counts = outbox.counts();
    out << "\n"
        << packages << " package(s)"
        << (repos.size() > 1 ? ", " + std::to_string(repos.size() - 1) + " GitHub repositories"
                             : std::string())
        << "; outbox: " << counts.pending << " pending, " << counts.delivered << " delivered, "
        << counts.failed << " failed; state " << sanitize_text(path) << "\n";
    if (events > 0) {
        auto const recent = store->events(events);
        if (!recent.empty()) out << "\nrecent events:\n";
        for (auto const& e : recent)
            out << "  " << notifiers::describe(e) << " (" << ago(e.at, now) << ")\n";
    }
    return 0;
}

} // namespace pinwatch::cli
