#include "watcher/daemon.hpp"
#include "watcher/dashboard/dashboard.hpp"

#include "common/text.hpp"
#include "config/environment.hpp"
#include "config/remote_file.hpp"
#include "net/crypto.hpp"
#include "net/http.hpp"
#include "watcher/advisories.hpp"
#include "watcher/compose.hpp"
#include "watcher/state/outbox.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <filesystem>
#include <set>

namespace pinwatch::watcher {

namespace asio = boost::asio;

namespace {

// Where a notifier delivers, as a keyed hash: the state file remembers a channel stopped as
// gone (410) with it and tells a changed URL by it, without ever holding the URL (a Slack
// webhook's path is its token).
std::string notifier_fingerprint(config::NotifierConfig const& nc) {
    std::string where = nc.type + "\n";
    if (nc.settings) where += nc.settings->destination();
    return net::base64_encode(net::hmac_sha256("pinwatch notifier fingerprint", where))
        .substr(0, 22);
}

// The sources this config turns on; what their builds had to say is logged.
SourceRegistry daemon_sources(config::Config const& cfg) {
    SourceSetup setup;
    setup.config = &cfg;
    std::vector<std::string> warnings;
    auto built = make_sources(setup, warnings);
    if (!built) throw std::runtime_error(built.error());
    for (auto const& w : warnings)
        spdlog::warn("{}", w);
    return std::move(*built);
}

// The notifiers with their routes and how long an undelivered item may wait.
std::vector<Dispatcher::Channel> daemon_channels(config::Config const& cfg, std::ostream& console,
                                                 net::Client* client) {
    auto made = make_notifiers(cfg, console, client);
    if (!made) throw std::runtime_error(made.error());
    std::vector<Dispatcher::Channel> channels;
    for (auto& [n, route] : *made) {
        std::optional<std::chrono::seconds> max_age;
        std::string fingerprint;
        std::chrono::seconds batch_window{0};
        for (auto const& nc : cfg.notifiers)
            if (nc.name == route.notifier) {
                max_age = nc.max_age;
                fingerprint = notifier_fingerprint(nc);
                batch_window = nc.batch_window;
            }
        channels.push_back(
            {std::move(n), std::move(route), max_age, std::move(fingerprint), batch_window});
    }
    return channels;
}

// After a storage error, never wait longer than a normal poll would: the file may take writes
// again long before an hour's backoff ends, and a retry costs no more than a poll.
Backoff storage_backoff(DaemonOptions const& options, config::Config const& cfg) {
    Backoff storage = options.storage_backoff.value_or(Backoff{});
    if (!options.storage_backoff) {
        storage.cap =
            std::min(storage.cap, std::chrono::duration_cast<std::chrono::seconds>(cfg.interval));
        storage.initial = std::min(storage.initial, storage.cap);
        storage.jitter = 0.2;
    }
    return storage;
}

PollerOptions poller_options(config::Config const& cfg) {
    PollerOptions popts;
    popts.interval = cfg.interval;
    popts.jitter = cfg.jitter;
    popts.failing_after = cfg.failing_after;
    popts.retry.cap = std::max(std::chrono::seconds(30), cfg.interval);
    // New releases are judged against the Python the team runs (python_version, else the
    // system's python3, asked once).
    popts.python = config::marker_environment(cfg.python_version).value("python_full_version");
    for (auto const& p : config::all_projects(cfg))
        if (p.python_version && p.python_version != cfg.python_version)
            if (auto v = config::marker_environment(p.python_version).value("python_full_version"))
                popts.project_python[p.name] = *v;
    return popts;
}

// Where each project's events may go: its `notifiers`, or every notifier.
Router::ProjectNotifiers project_notifiers(config::Config const& cfg) {
    Router::ProjectNotifiers out;
    for (auto const& p : config::all_projects(cfg))
        out[p.name] = p.notifiers ? std::optional<std::set<std::string>>(std::set<std::string>(
                                        p.notifiers->begin(), p.notifiers->end()))
                                  : std::nullopt;
    return out;
}

// Logs `text` at `level` unless `reported` holds it (it was said at the last reload); `current`
// collects what is true now, so that it is not said again.
void say_once(std::set<std::string> const& reported, std::set<std::string>& current,
              spdlog::level::level_enum level, std::string const& text) {
    if (!reported.count(text)) spdlog::log(level, "{}", text);
    current.insert(text);
}

// The [packages.<name>] tables for a package nobody requires (most likely a typo), as warnings.
std::vector<std::string> unused_package_tables(config::Config const& cfg,
                                               std::vector<Subscription> const& requirements) {
    std::vector<std::string> out;
    auto const unused = [&](std::string const& name, int line, std::string const& table,
                            std::optional<std::string> const& project) {
        bool const used =
            std::any_of(requirements.begin(), requirements.end(), [&](Subscription const& s) {
                return s.name == name && (!project || s.project == *project);
            });
        if (!used)
            out.push_back(sanitize_text(cfg.path + ":" + std::to_string(line) + ": [" + table +
                                        "] matches no requirement"));
    };
    for (auto const& [name, line] : cfg.package_lines)
        unused(name, line, "packages." + name, std::nullopt);
    for (auto const& p : cfg.projects)
        for (auto const& [name, line] : p.package_lines)
            unused(name, line, "projects." + p.name + ".packages." + name, p.name);
    return out;
}

// What each source derives from the requirements (a repository per package), and what the
// sources had to say about it.
struct DerivedSubscriptions {
    std::vector<Subscription> subs;
    std::vector<std::string> warnings;
};

DerivedSubscriptions derive_all(SourceRegistry const& sources,
                                std::vector<Subscription> const& requirements) {
    DerivedSubscriptions out;
    for (auto const* source : sources.all())
        for (auto& d : source->derive(requirements, out.warnings))
            out.subs.push_back(std::move(d.sub));
    return out;
}

// "pypi:requests", or "pypi:requests (api)" for a project's own.
std::string subscription_name(Subscription const& s) {
    return s.source + ":" + s.name +
           (s.project == config::kDefaultProject ? "" : " (" + s.project + ")");
}

// The first 20 names, "and N more".
std::string name_list(std::vector<std::string> const& names) {
    std::string out;
    for (std::size_t i = 0; i < names.size() && i < 20; ++i)
        out += (i ? ", " : "") + sanitize_text(names[i]);
    if (names.size() > 20) out += " and " + std::to_string(names.size() - 20) + " more";
    return out;
}

// What a reload changed, by name (said once, when it happens: a reload, an edited requirements
// file); `before` names the subscriptions that were active.
void say_changes(std::map<std::int64_t, std::string> const& before,
                 std::vector<StoredSubscription> const& active, int dropped) {
    std::vector<std::string> added, removed;
    std::set<std::int64_t> now_active;
    for (auto const& s : active) {
        now_active.insert(s.id);
        if (!before.count(s.id)) added.push_back(subscription_name(s.sub));
    }
    for (auto const& [id, name] : before)
        if (!now_active.count(id)) removed.push_back(name);
    if (!added.empty())
        spdlog::info("subscribed {} package(s): {}", added.size(), name_list(added));
    if (!removed.empty())
        spdlog::info("unsubscribed {} package(s) no longer in the requirements: {}", removed.size(),
                     name_list(removed));
    else if (dropped > 0)
        spdlog::info("unsubscribed {} package(s) no longer in the requirements", dropped);
}

} // namespace

Daemon::Daemon(asio::io_context& io, config::Config const& cfg, DaemonOptions options,
               std::ostream& console)
    : config_(cfg), options_(std::move(options)), wake_(io) {
    sources_ = daemon_sources(cfg);
    {
        SourceSetup setup;
        setup.config = &cfg;
        advisories_ = advisory_settings(setup);
    }
    if (options_.state_path != ":memory:") {
        if (auto problem = state_write_problem(options_.state_path))
            throw std::runtime_error(*problem);
        auto lock = StateLock::acquire(options_.state_path);
        if (!lock) throw std::runtime_error(lock.error());
        lock_.emplace(std::move(*lock));
    }
    store_ = std::make_unique<StateStore>(options_.state_path);
    client_ = make_client(io.get_executor(), client_options(cfg.http));

    DispatcherOptions dopts;
    dopts.wait_out_retries =
        options_.once;           // --once delivers what its cycle produced before it exits
    dopts.hold = !options_.once; // and does not hold it for a batch window
    Backoff const storage = storage_backoff(options_, cfg);
    dopts.storage_retry = storage;
    dispatcher_ = std::make_unique<Dispatcher>(io.get_executor(), *store_,
                                               daemon_channels(cfg, console, client_.get()), dopts);
    dispatcher_->on_idle = [this] { wake_.cancel(); };
    store_->set_routes(dispatcher_->router().routes());
    auto router = dispatcher_->router();
    router.set_projects(project_notifiers(cfg));

    poller_ = std::make_unique<Poller>(*client_, *store_, sources_, std::move(router),
                                       poller_options(cfg));
    SchedulerOptions sopts;
    // Polls in flight per host: a few times the connections, so every connection stays busy.
    sopts.max_polls_per_host = 4 * static_cast<std::size_t>(cfg.http.max_in_flight_per_host);
    sopts.crash_backoff = storage;
    scheduler_ = std::make_unique<Scheduler>(io.get_executor(), *store_, *poller_, sopts);
    watch_scheduler();

    load_ = project_load_options(cfg);
    // Files that live elsewhere, named by any project's `files` (or the top-level
    // `requirements`): one fetcher for all of them, read by every project.
    auto const entries = remote_entries(load_);
    if (!entries.empty()) {
        RemoteFilesOptions ropts;
        ropts.interval = cfg.files_interval;
        SourceSetup setup;
        setup.config = &cfg;
        ropts.hosts = make_file_hosts(setup);
        remote_ = std::make_unique<RemoteFiles>(*client_, std::move(ropts), entries, store_.get());
        for (auto& p : load_)
            p.read_remote = remote_->reader();
    }
    auto shortest = cfg.interval;
    for (auto const& [name, every] : cfg.intervals)
        shortest = std::min(shortest, every);
    reload_every_ = std::min(shortest, std::chrono::seconds(60));
}

// What the daemon hears from its scheduler: counts, metrics, failures said once, and a wake-up
// to deliver what a poll produced.
void Daemon::watch_scheduler() {
    scheduler_->on_polled = [this](StoredSubscription const& s, PollOutcome const& outcome) {
        if (outcome.status == PollStatus::error)
            ++failed_;
        else if (outcome.status != PollStatus::cancelled)
            ++answered_;
        if (outcome.status != PollStatus::cancelled)
            failing_[s.id] = outcome.status == PollStatus::error;
        if (options_.metrics) options_.metrics->record_poll(outcome, unix_now());
        dirty_ = true;
        wake_.cancel();
    };
    scheduler_->on_crash = [this](StoredSubscription const& s, std::string const& what, int n) {
        ++failed_; // a poll whose result could not be written did not happen (run --once: exit 3)
        failing_[s.id] = true;
        if (options_.metrics) options_.metrics->record_crash();
        // Storage trouble repeats every retry: said when it starts, then quietly retried.
        if (n == 1)
            spdlog::error("{}:{}: poll failed: {}", s.sub.source, sanitize_text(s.sub.name),
                          sanitize_text(what));
        else
            spdlog::debug("{}:{}: poll failed again ({} in a row): {}", s.sub.source,
                          sanitize_text(s.sub.name), n, sanitize_text(what));
        dirty_ = true;
        wake_.cancel();
    };
    scheduler_->on_recovered = [this](StoredSubscription const& s, int n) {
        spdlog::info("{}:{}: poll recorded again after {} failure(s)", s.sub.source,
                     sanitize_text(s.sub.name), n);
        dispatcher_->storage_recovered();
    };
}

Daemon::~Daemon() = default;

bool Daemon::quiescent() const {
    return scheduler_->in_flight() == 0 && dispatcher_->idle() && !advisories_running_ &&
           !remote_busy_;
}

std::vector<StoredSubscription> Daemon::advisories_due_now(UnixTime now) const {
    std::vector<StoredSubscription> due;
    PrivateNames const private_names(advisories_.private_names);
    auto const interval = advisories_.interval.value_or(std::chrono::hours(6));
    for (auto& s : store_->subscriptions()) {
        auto const* source = sources_.find(s.sub.source);
        if (!source || !source->has_advisories() || private_names.matches(s.sub.name)) continue;
        if (advisories_due(s, interval, now)) due.push_back(std::move(s));
    }
    return due;
}

void Daemon::start_advisories(UnixTime now) {
    if (!sources_.advisories() || advisories_running_ || stopping_ || now < next_advisories_)
        return;
    // Looked at once a minute at most: finished polls wake the loop far more often, and this
    // reads every subscription.
    next_advisories_ = now + 60;
    std::vector<StoredSubscription> due;
    try {
        due = advisories_due_now(now);
    } catch (std::exception const& e) {
        spdlog::debug("reading the subscriptions for advisories failed: {}", e.what());
        return;
    }
    if (due.empty()) return;
    advisories_running_ = true;
    asio::co_spawn(wake_.get_executor(), advisory_round(std::move(due), now), asio::detached);
}

asio::awaitable<void> Daemon::advisory_round(std::vector<StoredSubscription> due, UnixTime now) {
    auto const* source = sources_.advisories();
    try {
        auto const result = co_await read_advisories(*client_, *store_, *source,
                                                     PrivateNames(advisories_.private_names),
                                                     std::move(due), dispatcher_->router(), now);
        if (result.error) {
            // Said when it starts and when it ends; meanwhile retried with a growing pause, up
            // to the advisories' interval.
            if (advisory_failures_ == 0)
                spdlog::warn("advisories cannot be read: {}", sanitize_text(*result.error));
            Backoff retry{std::chrono::seconds(60),
                          advisories_.interval.value_or(std::chrono::hours(6))};
            retry.cap = std::max(retry.cap, retry.initial);
            next_advisories_ = unix_now() + retry.after(++advisory_failures_).count();
        } else if (!result.cancelled) {
            if (advisory_failures_ > 0) spdlog::info("advisories can be read again");
            advisory_failures_ = 0;
            spdlog::debug("advisories: {} pin(s), {} batch request(s), {} record(s), {} event(s)",
                          result.pins, result.batches, result.records, result.events);
        }
        if (result.events > 0) dirty_ = true;
    } catch (std::exception const& e) {
        spdlog::error("storing advisories failed: {}", sanitize_text(e.what()));
        next_advisories_ = unix_now() + 60;
    }
    advisories_running_ = false;
    wake_.cancel();
}

RemoteFetchStats Daemon::remote_stats() const {
    return remote_ ? remote_->stats() : RemoteFetchStats{};
}

asio::awaitable<void> Daemon::refresh_files(UnixTime now) {
    bool changed = false;
    try {
        changed = co_await remote_->refresh(load_, now);
    } catch (std::exception const& e) {
        spdlog::error("fetching the requirements files failed: {}", sanitize_text(e.what()));
    }
    // A changed file is read again at once, as an edited local file is at the next reload; a
    // 304 changes nothing, so nothing is read or subscribed.
    if (changed || !remote_ready_) next_reload_ = 0;
    remote_ready_ = true;
    remote_busy_ = false;
    wake_.cancel();
}

void Daemon::start_refresh(UnixTime now) {
    remote_busy_ = true;
    asio::co_spawn(wake_.get_executor(), refresh_files(now), asio::detached);
}

std::string Daemon::status_line(UnixTime now) const {
    std::size_t errors = 0;
    for (auto const& [id, failing] : failing_)
        errors += failing ? 1 : 0;
    std::size_t const n = scheduler_->scheduled();
    std::string line = "watching " + std::to_string(n) + (n == 1 ? " package" : " packages");
    if (scheduler_->in_flight() > 0)
        line += ", polling " + std::to_string(scheduler_->in_flight()) + " now";
    else if (next_poll_)
        line += ", next poll in " + std::to_string(std::max<UnixTime>(0, *next_poll_ - now)) + " s";
    line += ", " + std::to_string(errors) + (errors == 1 ? " error" : " errors");
    if (reload_error_) line += "; requirements unreadable";
    return line;
}

std::vector<NotifierQueue> Daemon::outbox_queues() const {
    std::map<std::string, NotifierQueue> queues;
    auto const router = dispatcher_->router(); // a copy: routes() refers into it
    for (auto const& route : router.routes()) {
        auto& q = queues[route.notifier];
        q.notifier = route.notifier;
        q.digest = route.digest.has_value();
    }
    for (auto const& o : Outbox(*store_).by_notifier()) {
        auto it = queues.find(o.notifier);
        if (it == queues.end()) continue; // a notifier no longer configured
        it->second.pending = o.counts.pending;
        it->second.failed = o.counts.failed;
        it->second.dead = o.counts.dead;
        it->second.oldest_pending = o.oldest_pending;
    }
    std::vector<NotifierQueue> out;
    for (auto& [name, q] : queues)
        out.push_back(std::move(q));
    return out;
}

void Daemon::stop() {
    if (stopping_) return;
    stopping_ = true;
    dispatcher_->stop();
    client_->shutdown(); // in-flight fetches end with `cancelled` and write nothing
    wake_.cancel();
}

bool Daemon::reload(UnixTime now) {
    next_reload_ = now + reload_every_.count();
    ++reloads_;
    auto loaded = load_projects(load_);
    // Each problem is logged once, when it appears, not every cycle.
    std::set<std::string> current;
    for (auto const& e : loaded.errors)
        say_once(reported_, current, spdlog::level::err, sanitize_text(e.str()));
    reported_ = std::move(current);
    if (loaded.unreadable && loaded.subscriptions.empty())
        // Without requirements no [packages.<name>] table can be told unused: what was said of
        // them stands until the files can be read again.
        return keep_stored(reload_error_,
                           "no requirements file could be read; keeping the current subscriptions");
    if (reload_error_) spdlog::info("requirements readable again");
    reload_error_.reset();
    std::set<std::string> tables_current;
    for (auto const& text : unused_package_tables(config_, loaded.subscriptions))
        say_once(tables_reported_, tables_current, spdlog::level::warn, text);
    tables_reported_ = std::move(tables_current);
    // Credentials come from the config at each reload, never from the state file.
    poller_->use_index_credentials(loaded.subscriptions);
    std::size_t const n = loaded.subscriptions.size(); // packages; derived ones follow
    auto derived = derive_all(sources_, loaded.subscriptions);
    // Remembered apart from the problems above, which were just replaced: a reload that keeps
    // the stored subscriptions derives nothing, so what the sources said last still stands.
    std::set<std::string> derive_current;
    for (auto const& msg : derived.warnings)
        say_once(derive_reported_, derive_current, spdlog::level::warn, msg);
    derive_reported_ = std::move(derive_current);
    for (auto& d : derived.subs)
        loaded.subscriptions.push_back(std::move(d));

    std::map<std::int64_t, std::string> before;
    for (auto const& s : store_->subscriptions())
        before[s.id] = subscription_name(s.sub);
    auto const dropped = store_subscriptions(loaded, now);
    if (!dropped) return false;
    auto const active = store_->subscriptions();
    say_changes(before, active, *dropped);
    failing_.clear();
    for (auto const& s : active)
        failing_[s.id] = s.last_status == PollStatus::error;
    scheduler_->reschedule(active);
    if (options_.metrics) options_.metrics->set_watched(scheduler_->scheduled());
    if (!disclosed_) {
        // Said once, at start: which names leave the box for the advisory service.
        std::vector<Subscription> requirements(loaded.subscriptions.begin(),
                                               loaded.subscriptions.begin() +
                                                   static_cast<std::ptrdiff_t>(n));
        if (auto told = advisory_disclosure(requirements, advisories_,
                                            "list it in [advisories] private (names or globs)"))
            spdlog::warn("{}", *told);
        disclosed_ = true;
    }
    if (on_reload) on_reload(n);
    return true;
}

// A reload that cannot go through: the stored subscriptions stay on schedule, and `why` is
// said once (remembered in `said`), not at every reload.
bool Daemon::keep_stored(std::optional<std::string>& said, std::string const& why) {
    if (said != why) spdlog::error("{}", why);
    said = why;
    scheduler_->reschedule(store_->subscriptions());
    return false;
}

// The reloaded subscriptions stored, the others deactivated: how many were; nullopt when the
// state file refuses the writes.
std::optional<int> Daemon::store_subscriptions(LoadedRequirements const& loaded, UnixTime now) {
    std::vector<std::int64_t> keep;
    int dropped = 0;
    // A project none of whose files could be read keeps what it had (said once, by reload).
    for (auto const& s : store_->subscriptions())
        if (loaded.unreadable_projects.count(s.sub.project)) keep.push_back(s.id);
    try {
        auto ids = store_->upsert_subscriptions(loaded.subscriptions, now);
        keep.insert(keep.end(), ids.begin(), ids.end());
        dropped = store_->deactivate_others(keep);
    } catch (std::exception const& e) {
        // The state file refuses writes (a full disk, a read-only file): keep polling what is
        // stored, and say so once, not at every reload.
        keep_stored(store_error_, "storing the subscriptions failed: " + sanitize_text(e.what()));
        return std::nullopt;
    }
    if (store_error_) spdlog::info("storing the subscriptions works again");
    store_error_.reset();
    return dropped;
}

asio::awaitable<void> Daemon::deliver(UnixTime now) {
    dirty_ = false;
    try {
        last_delivery_ = co_await dispatcher_->run_once(now);
        // Nothing delivers the items of a notifier removed from the config: say so, or they
        // would wait unseen.
        for (auto const& [name, n] : dispatcher_->orphaned()) {
            last_delivery_.orphaned += static_cast<std::size_t>(n);
            spdlog::warn("notifier {}: {} notification(s) pending, but it is no longer "
                         "configured: nothing will deliver them",
                         sanitize_text(name), n);
        }
    } catch (std::exception const& e) {
        spdlog::error("delivering notifications failed: {}", sanitize_text(e.what()));
    }
}

void Daemon::flush_polls() {
    try {
        if (poller_->flush()) {
            if (options_.metrics) options_.metrics->record_flush(true, unix_now());
            if (flush_failing_) spdlog::info("the state file takes writes again");
            flush_failing_ = false;
        }
    } catch (std::exception const& e) {
        // Unchanged polls only: they are re-polled early if never written. Said once.
        if (!flush_failing_)
            spdlog::error("writing unchanged polls failed: {}", sanitize_text(e.what()));
        flush_failing_ = true;
        if (options_.metrics) options_.metrics->record_flush(false, unix_now());
    }
}

void Daemon::maintain(UnixTime now) {
    // Hourly: events delivered longer ago than [state] keep go, and the WAL is emptied into
    // the database, so neither grows without bound. A refused write is tried next hour.
    if (now >= next_maintenance_) {
        next_maintenance_ = now + 3600;
        try {
            auto const pruned = store_->prune(now - config_.state_keep.count());
            if (pruned.events > 0 || pruned.outbox_rows > 0)
                spdlog::info("state: pruned {} event(s) and {} outbox row(s) older than {} s",
                             pruned.events, pruned.outbox_rows, config_.state_keep.count());
            store_->checkpoint();
        } catch (std::exception const& e) {
            spdlog::debug("state maintenance failed: {}", sanitize_text(e.what()));
        }
    }
    if (options_.metrics) {
        try {
            auto const size = store_->size();
            options_.metrics->set_state_size(size.database, size.wal);
        } catch (std::exception const&) {
        }
    }
}

asio::awaitable<void> Daemon::sleep_until(UnixTime when) {
    auto const now = unix_now();
    wake_.expires_after(std::chrono::seconds(std::max<UnixTime>(0, when - now)) +
                        std::chrono::milliseconds(when > now ? 5 : 50));
    co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<void> Daemon::run() {
    if (options_.once) {
        UnixTime const now = unix_now();
        if (remote_) {
            remote_busy_ = true;
            co_await refresh_files(now);
        }
        try {
            reload(now);
        } catch (std::exception const& e) {
            spdlog::error("reading the requirements failed: {}", sanitize_text(e.what()));
        }
        co_await scheduler_->poll_each_once(store_->subscriptions());
        if (sources_.advisories() && !stopping_) {
            auto due = advisories_due_now(unix_now());
            if (!due.empty()) {
                advisories_running_ = true;
                co_await advisory_round(std::move(due), unix_now());
            }
        }
        // Deliver what this round produced; retries due later are the next run's.
        if (!stopping_) co_await deliver(unix_now());
        co_return;
    }
    while (!stopping_) {
        UnixTime const now = unix_now();
        if (remote_ && !remote_busy_ && remote_->next_due().value_or(now + 1) <= now)
            start_refresh(now);
        // The first reload waits for the first fetch of the files that live elsewhere.
        if (now >= next_reload_ && (!remote_ || remote_ready_)) {
            try {
                reload(now);
            } catch (std::exception const& e) {
                auto const msg = "reading the requirements failed: " + sanitize_text(e.what());
                if (reload_error_ != msg) spdlog::error("{}", msg);
                reload_error_ = msg;
            }
        }
        UnixTime next_wake = std::min<UnixTime>(next_reload_, now + 60);
        if (remote_ && !remote_busy_)
            if (auto due = remote_->next_due()) next_wake = std::min(next_wake, *due);
        next_poll_ = scheduler_->start_due(now);
        start_advisories(now);
        if (next_poll_) next_wake = std::min(next_wake, *next_poll_);
        maintain(now);
        if (options_.metrics) options_.metrics->record_cycle(now);
        if (on_tick) on_tick();
        std::optional<UnixTime> outbox_due;
        try {
            outbox_due = dispatcher_->next_due();
        } catch (std::exception const& e) {
            spdlog::debug("reading the outbox failed: {}", e.what());
        }
        // Each notifier delivers in its own coroutine; the loop only starts them.
        if (dirty_ || (outbox_due && *outbox_due <= now)) {
            dirty_ = false;
            dispatcher_->kick(now);
        }
        if (stopping_) break;
        if (outbox_due && *outbox_due > now) next_wake = std::min(next_wake, *outbox_due);
        // Sleep until something is due; a finished poll cancels the timer to deliver promptly.
        flush_polls();
        co_await sleep_until(next_wake);
    }
    // Let cancelled polls and deliveries unwind; they complete promptly because the client was
    // shut down.
    auto const give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while ((scheduler_->in_flight() > 0 || !dispatcher_->idle() || advisories_running_ ||
            remote_busy_) &&
           std::chrono::steady_clock::now() < give_up) {
        wake_.expires_after(std::chrono::milliseconds(200));
        co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    flush_polls();
    if (scheduler_->in_flight() > 0)
        spdlog::warn("{} poll(s) still in flight at shutdown; their results are dropped",
                     scheduler_->in_flight());
}

std::optional<net::ServerReply> Daemon::dashboard(std::string_view target, UnixTime now) {
    if (!dashboard_cache_) dashboard_cache_ = std::make_unique<dashboard::Cache>();
    return dashboard::serve(target, *store_, sources_, now, dashboard_cache_.get());
}

} // namespace pinwatch::watcher
