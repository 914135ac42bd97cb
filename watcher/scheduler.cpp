#include "watcher/scheduler.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace pinwatch::watcher {

namespace asio = boost::asio;

Scheduler::Scheduler(asio::any_io_executor ex, StateStore& store, Poller& poller, Dispatcher& dispatcher,
                     net::Client& client, Loader loader, SchedulerOptions options)
    : ex_(ex), store_(store), poller_(poller), dispatcher_(dispatcher), client_(client),
      loader_(std::move(loader)), options_(options), wake_(ex) {}

void Scheduler::stop() {
    if (stopping_) return;
    stopping_ = true;
    client_.shutdown(); // in-flight fetches end with `cancelled` and write nothing
    wake_.cancel();
}

void Scheduler::reload(UnixTime now) {
    auto const subs = loader_();
    auto const keep = store_.upsert_subscriptions(subs, now);
    int const dropped = store_.deactivate_others(keep);
    if (dropped > 0) spdlog::info("unsubscribed {} package(s) no longer in the requirements", dropped);
    if (on_reload) on_reload(keep.size());
    next_reload_ = now + options_.reload_every.count();
}

void Scheduler::start_poll(StoredSubscription s) {
    in_flight_.insert(s.id);
    auto const id = s.id;
    asio::co_spawn(
        ex_, [this, s = std::move(s)]() mutable { return poller_.poll(std::move(s)); },
        [this, id](std::exception_ptr ep, PollOutcome) {
            in_flight_.erase(id);
            if (ep) {
                // A bug or a state-store failure (disk full): log it; the subscription keeps its
                // old next_due and is retried, and the daemon lives on.
                try {
                    std::rethrow_exception(ep);
                } catch (std::exception const& e) {
                    spdlog::error("poll of subscription {} failed: {}", id, e.what());
                }
            }
            dirty_ = true;
            wake_.cancel();
        });
}

asio::awaitable<void> Scheduler::run() {
    while (!stopping_) {
        UnixTime const now = unix_now();
        if (on_tick) on_tick();
        if (now >= next_reload_) {
            try {
                reload(now);
            } catch (std::exception const& e) {
                spdlog::error("reading the requirements failed: {}", e.what());
                next_reload_ = now + options_.reload_every.count();
            }
        }
        UnixTime next_wake = std::min<UnixTime>(next_reload_, now + 60);
        for (auto& s : store_.subscriptions()) {
            if (in_flight_.count(s.id)) continue;
            if (options_.once && polled_once_.count(s.id)) continue;
            if (s.next_due <= now || options_.once) {
                if (in_flight_.size() >= options_.max_concurrent_polls) {
                    next_wake = now; // woken again when a slot frees
                    break;
                }
                if (options_.once) polled_once_.insert(s.id);
                start_poll(std::move(s));
            } else {
                next_wake = std::min(next_wake, s.next_due);
            }
        }
        if (dirty_) {
            dirty_ = false;
            try {
                co_await dispatcher_.run_once(now);
            } catch (std::exception const& e) {
                spdlog::error("delivering notifications failed: {}", e.what());
            }
        }
        if (stopping_) break;
        if (options_.once && in_flight_.empty() && !dirty_) break;
        if (options_.once) next_wake = now + 60; // woken by completions
        // Sleep until something is due; a finished poll cancels the timer to dispatch promptly.
        wake_.expires_after(std::chrono::seconds(std::max<UnixTime>(0, next_wake - unix_now())) +
                            std::chrono::milliseconds(next_wake > now ? 5 : 50));
        co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    // Let cancelled polls unwind; they complete promptly because the client was shut down.
    auto const give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!in_flight_.empty() && std::chrono::steady_clock::now() < give_up) {
        wake_.expires_after(std::chrono::milliseconds(200));
        co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (!in_flight_.empty())
        spdlog::warn("{} poll(s) still in flight at shutdown; their results are dropped", in_flight_.size());
}

} // namespace pinwatch::watcher
