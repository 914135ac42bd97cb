// Scheduler: which polls run now. Keeps every subscription's next-due time in memory, starts
// polls as they fall due within a budget per host (polls in flight, and pauses a source asked
// for after a rate limit), and backs off a subscription whose poll threw (a bug, a full disk).
// It is the one poll driver: the daemon's loop calls start_due(); `check` and `run --once`
// call poll_each_once(). It never sleeps on its own behalf except inside poll_each_once().
#pragma once

#include "common/backoff.hpp"
#include "watcher/poller.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace pinwatch::watcher {

struct SchedulerOptions {
    std::size_t max_polls_per_host = 32; // a source may ask for fewer (GitHub: one at a time)
    std::size_t max_polls = 256;         // in flight in all
    int rate_limit_retries = 3;          // poll_each_once: polls refused by a rate limit
    // ... retried only when the server's pause ends within this; a longer one (PyPI's 429 with
    // Retry-After: 120, GitHub's spent quota) is not waited for: that poll fails with its reason
    // instead of holding a one-shot run.
    std::chrono::seconds rate_limit_max_wait{60};
    Backoff crash_backoff{std::chrono::seconds(30), std::chrono::seconds(3600)};
};

class Scheduler {
  public:
    using Clock = std::function<UnixTime()>;
    Scheduler(boost::asio::any_io_executor ex, StateStore& store, Poller& poller,
              SchedulerOptions options = {}, Clock clock = {});

    // The subscriptions to keep on schedule, replacing the previous set. A backoff decided in
    // memory (after a poll that threw) outlives the stored next-due time.
    void reschedule(std::vector<StoredSubscription> const& subscriptions);
    // Starts every due poll its host's budget allows. Returns when the next poll is due (or
    // its host's pause ends); nullopt when nothing is scheduled.
    std::optional<UnixTime> start_due(UnixTime now);
    // Polls each subscription once, whatever its schedule, within the same budgets; completes
    // when all are done (or cancelled by the client's shutdown). A poll refused by a rate limit
    // is tried again once its host's pause is over (up to `rate_limit_retries` times, when the
    // pause ends within `rate_limit_max_wait`), so a one-shot run slows down instead of failing.
    boost::asio::awaitable<void> poll_each_once(std::vector<StoredSubscription> subscriptions);

    // Whether poll_each_once waits for a host pause ending at `until` (at most
    // `rate_limit_max_wait`); a longer one is not waited for.
    bool waits_out(UnixTime until, UnixTime now) const {
        return until - now <= options_.rate_limit_max_wait.count();
    }

    std::size_t in_flight() const { return in_flight_.size(); }
    std::size_t scheduled() const { return entries_.size(); }
    // Hosts paused by a rate limit, and until when.
    std::map<std::string, UnixTime> paused_hosts(UnixTime now) const;

    // Called after every poll (the daemon wakes up to deliver what it produced).
    std::function<void(StoredSubscription const&, PollOutcome const&)> on_polled;
    // Called when a poll threw: the exception's message (logging is the caller's policy).
    std::function<void(StoredSubscription const&, std::string const&, int crashes)> on_crash;
    // A poll that crashed before (`crashes` times in a row) completed again.
    std::function<void(StoredSubscription const&, int crashes)> on_recovered;

  private:
    struct Entry {
        UnixTime due = 0;
        std::string host;
        std::string name;
        // Source and locator: the subscriptions of one package on one index (one per project
        // that pins it) are polled together, once.
        std::string watch;
    };
    struct Host {
        std::size_t in_flight = 0;
        std::size_t limit = 0;
        UnixTime paused_until = 0;
    };
    Entry entry_for(StoredSubscription const& s) const;
    Host& host(std::string const& key, std::string const& source);
    bool may_start(Entry const& e, UnixTime now, bool one_shot = false);
    void start(std::int64_t id, UnixTime now);
    // The scheduled subscriptions polled with `id` (its watch's), `id` first, none in flight.
    std::vector<std::int64_t> watch_of(std::int64_t id) const;

    boost::asio::any_io_executor ex_;
    StateStore& store_;
    Poller& poller_;
    SchedulerOptions options_;
    Clock clock_;
    std::map<std::int64_t, Entry> entries_;
    // The scheduled ids of each watch, so a poll finds its watch's other subscriptions without
    // a walk over every entry (may name ids no longer scheduled: entries_ decides).
    std::unordered_map<std::string, std::set<std::int64_t>> watches_;
    // poll_each_once: the subscriptions handed in (its argument, alive while it runs), read
    // once by the caller for the whole round; each is taken by its first poll (a retry reads
    // the state again).
    std::unordered_map<std::int64_t, StoredSubscription*> given_;
    std::map<std::string, Host> hosts_;
    std::map<std::int64_t, int> crashes_; // polls that threw in a row, for their backoff
    std::set<std::int64_t> in_flight_;
    std::set<std::int64_t> started_; // poll_each_once: polled in this round (with another)
    // poll_each_once: takes back a poll a rate limit refused (true: it will run again).
    std::function<bool(std::int64_t, std::string const& host, UnixTime paused_until)> retry_;
    boost::asio::steady_timer finished_; // cancelled whenever a poll completes
};

} // namespace pinwatch::watcher
