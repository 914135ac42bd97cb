// Scheduler: the daemon's loop. Re-reads the requirements each cycle (subscribing and
// unsubscribing without a restart), starts the polls that are due, hands new outbox rows to
// the dispatcher, and sleeps until the next thing is due. stop() ends it promptly: in-flight
// polls are cancelled and write nothing, so no cycle is left half-written.
#pragma once

#include "watcher/dispatcher.hpp"
#include "watcher/poller.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <vector>

namespace pinwatch::watcher {

struct SchedulerOptions {
    std::chrono::seconds reload_every{60}; // re-read requirements at most this often
    std::size_t max_concurrent_polls = 256; // the client bounds requests per host beneath this
    bool once = false; // poll every subscription once regardless of schedule, deliver, return
};

class Scheduler {
public:
    // Returns the subscriptions the requirements describe now (errors are the loader's to log).
    using Loader = std::function<std::vector<Subscription>()>;

    Scheduler(boost::asio::any_io_executor ex, StateStore& store, Poller& poller, Dispatcher& dispatcher,
              net::Client& client, Loader loader, SchedulerOptions options = {});

    boost::asio::awaitable<void> run();
    void stop();

    // Called once per loop turn (the systemd watchdog hooks in here).
    std::function<void()> on_tick;
    // Called after each cycle's subscriptions are known (count of active subscriptions).
    std::function<void(std::size_t)> on_reload;

private:
    void reload(UnixTime now);
    void start_poll(std::int64_t id, UnixTime now);

    boost::asio::any_io_executor ex_;
    StateStore& store_;
    Poller& poller_;
    Dispatcher& dispatcher_;
    net::Client& client_;
    Loader loader_;
    SchedulerOptions options_;
    boost::asio::steady_timer wake_;
    // The schedule lives in memory (id -> next due), refreshed from the store on reload and by
    // each poll's outcome: a wake-up costs a walk over this map, not a query per subscription.
    std::map<std::int64_t, UnixTime> due_;
    std::map<std::int64_t, int> crashes_; // polls that threw in a row, for their backoff
    std::set<std::int64_t> in_flight_;
    std::set<std::int64_t> polled_once_; // --once: each subscription is polled one time
    bool stopping_ = false;
    // The outbox may hold rows to deliver: true at start (a previous run may have left some)
    // and after every poll.
    bool dirty_ = true;
    UnixTime next_reload_ = 0;
};

} // namespace pinwatch::watcher
