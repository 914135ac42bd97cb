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
    std::map<std::int64_t, UnixTime> due;
    for (auto const& s : store_.subscriptions()) {
        auto const it = due_.find(s.id);
        // A backoff set in memory (after a crashed poll) outlives the stored next_due.
        due[s.id] = it != due_.end() ? std::max(it->second, s.next_due) : s.next_due;
    }
    due_ = std::move(due);
    if (on_reload) on_reload(keep.size());
    next_reload_ = now + options_.reload_every.count();
}

void Scheduler::start_poll(std::int64_t id, UnixTime now) {
    auto s = store_.subscription(id);
    if (!s || !s->active) {
        due_.erase(id);
        return;
    }
    in_flight_.insert(id);
    asio::co_spawn(
        ex_, [this, s = std::move(*s)]() mutable { return poller_.poll(std::move(s)); },
        [this, id, now](std::exception_ptr ep, PollOutcome outcome) {
            in_flight_.erase(id);
            if (ep) {
                // A bug or a state-store failure (disk full, a locked file): log it and back off
                // this subscription in memory, since its stored next_due could not be written.
                int const n = ++crashes_[id];
                try {
                    std::rethrow_exception(ep);
                } catch (std::exception const& e) {
                    spdlog::error("poll of subscription {} failed: {}", id, e.what());
                }
                if (due_.count(id)) due_[id] = now + std::min<std::int64_t>(3600, 30LL << std::min(n - 1, 10));
            } else {
                crashes_.erase(id);
                if (outcome.status != "cancelled" && due_.count(id)) due_[id] = outcome.next_due;
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
        std::vector<std::int64_t> start;
        for (auto const& [id, due] : due_) {
            if (in_flight_.count(id)) continue;
            if (options_.once) {
                if (!polled_once_.count(id)) start.push_back(id);
            } else if (due <= now) {
                start.push_back(id);
            } else {
                next_wake = std::min(next_wake, due);
            }
        }
        for (auto id : start) {
            if (in_flight_.size() >= options_.max_concurrent_polls) {
                next_wake = now; // woken again when a slot frees
                break;
            }
            if (options_.once) polled_once_.insert(id);
            start_poll(id, now);
        }
        auto const outbox_due = store_.next_outbox_due();
        if (dirty_ || (outbox_due && *outbox_due <= now)) {
            dirty_ = false;
            try {
                co_await dispatcher_.run_once(now);
            } catch (std::exception const& e) {
                spdlog::error("delivering notifications failed: {}", e.what());
            }
        }
        if (stopping_) break;
        if (options_.once && in_flight_.empty() && !dirty_) break;
        if (dirty_) continue; // a poll finished while delivering: deliver again first
        if (auto due = store_.next_outbox_due(); due && !options_.once) next_wake = std::min(next_wake, *due);
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
