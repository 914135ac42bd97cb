// Dispatcher: decides which notifier an event goes to and when (routing, digests), and delivers
// what the outbox holds. A channel with a batch window holds what is due until the window,
// counted from the oldest item waiting (10 s for an urgent one), ends, then sends it as one. Each
// notifier is delivered by its own coroutine, so one slow or failing channel never delays another;
// per channel it paces sends (the receiver's rate limit), retries with backoff and jitter
// (Retry-After honoured, a batch retried as one), records each event's own outcome, gives up items
// due longer ago than the channel's maximum age, and stops using a channel whose receiver says it
// is gone or refuses its credentials, telling the others (both remembered in the state file: a gone
// channel stays stopped until its URL changes; a refused credential pauses it until a reload or
// `notify-test` succeeds, its events kept pending). At-least-once: an item is marked delivered only
// after its notifier said so; a crash in between re-sends that one batch (with the same event ids)
// on the next start.
#pragma once

#include "common/backoff.hpp"
#include "notifiers/notifier.hpp"
#include "watcher/state/outbox.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace pinwatch::watcher {

// Routes events to notifiers by the notifiers' routes (event kinds, packages, update types),
// and says when each is due: at once, or at the notifier's next digest time (urgent events
// always at once).
class Router {
  public:
    Router() = default;
    explicit Router(std::vector<Route> routes) : routes_(std::move(routes)) {}
    // The notifiers each route accepts `e` for. An event naming projects goes to the union of
    // their notifiers (set_projects), each notifier once.
    std::vector<OutboxTarget> recipients(Event const& e, UnixTime now) const;
    std::vector<Route> const& routes() const { return routes_; }
    // Which notifiers a project's events may reach (nullopt, or a project not named: all).
    using ProjectNotifiers = std::map<std::string, std::optional<std::set<std::string>>>;
    void set_projects(ProjectNotifiers projects) { projects_ = std::move(projects); }
    bool project_reaches(std::string const& project, std::string const& notifier) const;

  private:
    std::vector<Route> routes_;
    ProjectNotifiers projects_;
};

struct DispatchStats {
    std::size_t delivered = 0, retried = 0, failed = 0, expired = 0;
    // Pending items of notifiers no longer configured (filled in by the daemon's --once run).
    std::size_t orphaned = 0;
};

struct DispatcherOptions {
    Backoff retry{std::chrono::seconds(30), std::chrono::seconds(3600), 0.2};
    // After the state file refused a write (a full disk, a read-only file).
    Backoff storage_retry{std::chrono::seconds(30), std::chrono::seconds(3600), 0.2};
    std::chrono::seconds max_age{3 * 86400}; // unless a channel sets its own
    // `run --once`: wait out a receiver's short Retry-After and the pacing of a rate-limited
    // channel instead of leaving the items to the next run.
    bool wait_out_retries = false;
    std::chrono::seconds max_wait{60};
    // A batch the receiver asked to retry after a while (429 Retry-After) is retried as one, at
    // that time plus a jitter of at most this share of it.
    double retry_after_jitter = 0.1;
    std::size_t batch = 50;         // events per deliver() call
    std::size_t digest_batch = 500; // a digest sends everything due in one message
    // Channels with a batch window gather what comes within it into one message (the daemon);
    // `run --once` sends what is due at once.
    bool hold = true;
    // An urgent event (a vulnerable or yanked pin, a withdrawn advisory) waits at most this.
    std::chrono::seconds urgent_hold{10};
};

class Dispatcher {
  public:
    struct Channel {
        std::unique_ptr<notifiers::Notifier> notifier;
        Route route;
        std::optional<std::chrono::seconds> max_age;
        // A keyed hash of where the notifier delivers (its URL, its mail server and
        // recipients), never the URL itself: a channel stopped as gone stays stopped across
        // reloads until this changes.
        std::string fingerprint = {};
        // What becomes ready within this long of the first event waiting goes out as one
        // message (counted from the outbox's due times); 0: each at once. A digest channel
        // gathers by its schedule instead.
        std::chrono::seconds batch_window{0};
    };
    using Clock = std::function<UnixTime()>;
    Dispatcher(boost::asio::any_io_executor ex, StateStore& store, std::vector<Channel> channels,
               DispatcherOptions options = {}, Clock clock = {});
    ~Dispatcher();

    // The routes of every channel, for the store and the poller.
    Router router() const;
    std::vector<std::string> names() const;
    // Starts delivering, for every channel that is idle, enabled and has items due at `now`.
    // Returns at once; `on_idle` is called when a channel's run ends.
    void kick(UnixTime now);
    // kick(), then waits until every channel is idle. Returns what these runs did.
    boost::asio::awaitable<DispatchStats> run_once(UnixTime now);
    // When the next item is due for a channel that is idle and enabled (nullopt: none). A
    // channel paused for its credentials whose record `notify-test` cleared is enabled first.
    std::optional<UnixTime> next_due();
    bool idle() const;
    DispatchStats totals() const { return totals_; }
    std::vector<std::string> disabled() const;
    // Pending items of notifiers no longer configured, by name, with how many: nothing will
    // deliver them (`run --once` and `status` say so).
    std::vector<std::pair<std::string, std::int64_t>> orphaned() const;
    // The state file took a write again: channels backing off after a storage error may try
    // at once instead of waiting out their backoff.
    void storage_recovered();
    void stop();

    std::function<void()> on_idle;

  private:
    struct State;
    boost::asio::awaitable<void> run_channel(State& c, UnixTime now);
    // When a channel's batch window lets it send next (nullopt: nothing pending), or when its
    // next item is due for a channel that does not hold.
    std::optional<UnixTime> release_time(State const& c) const;
    // run_channel's stages: what the last run left, and each item of a batch by its outcome.
    bool settle(State& c, UnixTime now);
    std::vector<OutboxItem> next_batch(State& c, UnixTime now);
    boost::asio::awaitable<void> keep_pace(State& c);
    struct Tally {
        std::size_t delivered = 0, retry = 0, failed = 0;
        int attempts = 0;
    };
    Tally tally(State& c, std::vector<OutboxItem> const& items, notifiers::Delivery const& result,
                bool stops);
    void record_batch(State& c, std::vector<OutboxItem> const& items,
                      notifiers::Delivery const& result, std::optional<UnixTime> again,
                      bool wait_here, std::set<std::int64_t>& waiting, UnixTime now);
    // Stops a channel: gone (until its fingerprint changes) or its credentials refused (until
    // a reload or notify-test); recorded in the state file, the others told once.
    void resume_cleared();
    void stop_channel(State& c, NotifierStop::Kind kind, std::string const& why, UnixTime now);
    // When the next attempt of a batch answered "retry" is due.
    UnixTime retry_time(notifiers::Delivery const& result, int attempts, UnixTime now);
    void recording_failed(State& c, UnixTime now, std::string const& what);

    boost::asio::any_io_executor ex_;
    StateStore& store_;
    Outbox outbox_;
    std::vector<std::unique_ptr<State>> channels_;
    DispatcherOptions options_;
    Clock clock_;
    std::mt19937 rng_;
    DispatchStats totals_;
    boost::asio::steady_timer idle_; // cancelled when a channel's run ends
    bool stopping_ = false;
};

} // namespace pinwatch::watcher
