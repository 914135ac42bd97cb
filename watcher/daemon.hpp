// Daemon: pinwatch as a service, built from a validated Config. Owns the pieces (state,
// HTTPS client, sources, notifiers, dispatcher, poller, scheduler) and the policies that
// span them: re-reading the requirements, when to deliver, how loudly to report an error
// (once per change of state, not once per cycle), and a prompt, clean stop.
#pragma once

#include "common/backoff.hpp"
#include "config/config.hpp"
#include "net/server.hpp"
#include "watcher/metrics.hpp"
#include "watcher/remote_files.hpp"
#include "watcher/scheduler.hpp"
#include "watcher/sources/advisory.hpp"
#include "watcher/state/lock.hpp"
#include "watcher/subscriptions.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace pinwatch::watcher {

namespace dashboard {
class Cache;
}

struct DaemonOptions {
    std::string state_path;
    bool once = false; // poll everything once, deliver, return (cron, tests)
    // How long to leave a poll or a notifier alone after the state file refused a write (a full
    // disk, a read-only file); unless set (tests set it shorter), 30 s doubling up to the poll
    // interval or an hour, whichever is shorter.
    std::optional<Backoff> storage_backoff;
    // Counted into when set; owned by the caller so counters outlive a reload's new Daemon.
    Metrics* metrics = nullptr;
};

class Daemon {
  public:
    // Throws std::runtime_error with a message for the operator on start-up errors (state file,
    // CA file, a notifier that cannot be built).
    Daemon(boost::asio::io_context& io, config::Config const& config, DaemonOptions options,
           std::ostream& console);
    ~Daemon();

    // Runs until stop() (or, with `once`, until one round is polled and delivered).
    boost::asio::awaitable<void> run();
    void stop();

    std::size_t watched() const { return scheduler_->scheduled(); }
    // No poll or delivery is running: after run() returned, the Daemon may be destroyed while
    // its io_context goes on (a reload builds the next one).
    bool quiescent() const;
    // What the last delivery round did (`run --once` reports failures in its exit status).
    DispatchStats last_delivery() const { return last_delivery_; }
    // Polls that reached their source (any answer) and polls that failed, since start.
    std::size_t polls_answered() const { return answered_; }
    std::size_t polls_failed() const { return failed_; }
    // The last reload found no readable requirements file.
    bool requirements_unreadable() const { return reload_error_.has_value(); }
    // The daemon's state store, for tests and operator tools (e.g. set_max_page_count to
    // simulate a full disk). Use it only from the thread running the daemon.
    StateStore& store() { return *store_; }
    // The dashboard's answer for `target` ("/", "/package/<name>") from this daemon's state,
    // nullopt for a path that is not the dashboard's. Keeps what it summarised between calls.
    std::optional<net::ServerReply> dashboard(std::string_view target, UnixTime now);
    // Called once per loop turn (the systemd watchdog hooks in here).
    std::function<void()> on_tick;
    // One line saying what the daemon is doing, for systemd's STATUS=:
    // "watching 142 packages, next poll in 40 s, 0 errors".
    std::string status_line(UnixTime now) const;
    // Every routed notifier's outbox now (for /metrics and /healthz).
    std::vector<NotifierQueue> outbox_queues() const;
    // How many times the requirements were read into subscriptions (a reload), since start.
    std::size_t reloads() const { return reloads_; }
    // What fetching the requirements files that live elsewhere cost (all zero without any).
    RemoteFetchStats remote_stats() const;
    // Called after each reload with the number of packages (GitHub repositories not counted).
    std::function<void(std::size_t)> on_reload;
    // Reads the requirements into subscriptions now, as run() does every reload interval (tests
    // drive it directly); false when the stored subscriptions were kept. Call it only from the
    // thread running the daemon.
    bool reload(UnixTime now);

  private:
    void watch_scheduler();
    bool keep_stored(std::optional<std::string>& said, std::string const& why);
    std::optional<int> store_subscriptions(LoadedRequirements const& loaded, UnixTime now);
    boost::asio::awaitable<void> deliver(UnixTime now);
    boost::asio::awaitable<void> sleep_until(UnixTime when);
    void flush_polls();
    // The pins' advisories from the advisory source (OSV), when some are due: one round at a
    // time, in its own coroutine; a round that cannot read the service backs off.
    void start_advisories(UnixTime now);
    boost::asio::awaitable<void> advisory_round(std::vector<StoredSubscription> due, UnixTime now);
    std::vector<StoredSubscription> advisories_due_now(UnixTime now) const;
    void maintain(UnixTime now); // retention ([state] keep), WAL checkpoint, size for /metrics
    // Fetches the files that live elsewhere that are due; a change reads the requirements again.
    boost::asio::awaitable<void> refresh_files(UnixTime now);
    void start_refresh(UnixTime now);

    config::Config config_;
    DaemonOptions options_;
    std::vector<LoadOptions> load_; // one per project
    std::chrono::seconds reload_every_{60};
    std::optional<StateLock> lock_; // held for the daemon's life: one daemon per state file
    std::unique_ptr<StateStore> store_;
    std::unique_ptr<net::Client> client_;
    SourceRegistry sources_;
    AdvisorySettings advisories_;
    bool advisories_running_ = false;
    UnixTime next_advisories_ = 0;
    int advisory_failures_ = 0;
    bool disclosed_ = false; // the names sent to the advisory service were said
    std::unique_ptr<Dispatcher> dispatcher_;
    std::unique_ptr<Poller> poller_;
    std::unique_ptr<Scheduler> scheduler_;
    std::unique_ptr<RemoteFiles> remote_; // only when the requirements name such files
    bool remote_busy_ = false;            // a refresh is running
    bool remote_ready_ = false;           // the first refresh is done (the first reload waits)
    std::size_t reloads_ = 0;
    boost::asio::steady_timer wake_;
    // Logged at the last reload, so each is said once while it lasts: the problems reading the
    // requirements and the config, and what the sources said deriving subscriptions from them.
    std::set<std::string> reported_, derive_reported_;
    std::optional<std::string> reload_error_;
    std::optional<std::string> store_error_; // the last reload could not store subscriptions
    DispatchStats last_delivery_;
    bool stopping_ = false;
    bool flush_failing_ = false;
    std::size_t answered_ = 0, failed_ = 0;
    std::optional<UnixTime> next_poll_;
    std::map<std::int64_t, bool> failing_; // subscription -> its last poll failed
    bool dirty_ = true; // the outbox may hold rows to deliver (a previous run may have left some)
    UnixTime next_reload_ = 0;
    UnixTime next_maintenance_ = 0;
    std::unique_ptr<dashboard::Cache> dashboard_cache_;
};

} // namespace pinwatch::watcher
