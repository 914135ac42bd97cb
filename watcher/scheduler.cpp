#include "watcher/scheduler.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <deque>
#include <memory>

namespace pinwatch::watcher {

namespace asio = boost::asio;

Scheduler::Scheduler(asio::any_io_executor ex, StateStore& store, Poller& poller,
                     SchedulerOptions options, Clock clock)
    : ex_(ex), store_(store), poller_(poller), options_(options),
      clock_(clock ? std::move(clock) : Clock(unix_now)), finished_(ex) {}

Scheduler::Entry Scheduler::entry_for(StoredSubscription const& s) const {
    Entry e;
    e.due = s.next_due;
    e.name = s.sub.name;
    e.watch = s.sub.source + "\n" + s.sub.locator;
    auto const* source = poller_.sources().find(s.sub.source);
    e.host = source ? source->host(s.sub) : s.sub.source;
    return e;
}

Scheduler::Host& Scheduler::host(std::string const& key, std::string const& source_kind) {
    auto [it, fresh] = hosts_.try_emplace(key);
    if (fresh) {
        auto const* source = poller_.sources().find(source_kind);
        auto const limit = source ? source->max_polls_per_host() : std::nullopt;
        it->second.limit = std::max<std::size_t>(1, limit.value_or(options_.max_polls_per_host));
    }
    return it->second;
}

void Scheduler::reschedule(std::vector<StoredSubscription> const& subs) {
    std::map<std::int64_t, Entry> next;
    for (auto const& s : subs) {
        auto e = entry_for(s);
        host(e.host, s.sub.source);
        if (auto it = entries_.find(s.id); it != entries_.end())
            e.due = std::max(it->second.due, s.next_due);
        next.emplace(s.id, std::move(e));
    }
    entries_ = std::move(next);
    watches_.clear();
    for (auto const& [id, e] : entries_)
        watches_[e.watch].insert(id);
}

std::map<std::string, UnixTime> Scheduler::paused_hosts(UnixTime now) const {
    std::map<std::string, UnixTime> out;
    for (auto const& [key, h] : hosts_)
        if (h.paused_until > now) out.emplace(key, h.paused_until);
    return out;
}

bool Scheduler::may_start(Entry const& e, UnixTime now, bool one_shot) {
    if (in_flight_.size() >= options_.max_polls) return false;
    auto const it = hosts_.find(e.host);
    if (it == hosts_.end()) return true;
    auto const& h = it->second;
    // A one-shot run waits out a short pause, not a long one (GitHub's hour-long reset): its
    // polls then go ahead and fail with the server's reason instead of holding the run.
    bool const paused = h.paused_until > now && !(one_shot && !waits_out(h.paused_until, now));
    return h.in_flight < h.limit && !paused;
}

std::vector<std::int64_t> Scheduler::watch_of(std::int64_t id) const {
    std::vector<std::int64_t> out{id};
    auto const it = entries_.find(id);
    if (it == entries_.end()) return out;
    auto const watch = watches_.find(it->second.watch);
    if (watch == watches_.end()) return out;
    for (auto const other : watch->second)
        if (other != id && entries_.count(other) && !in_flight_.count(other)) out.push_back(other);
    return out;
}

void Scheduler::start(std::int64_t id, UnixTime now) {
    // Every project's subscription of this package on this index: one poll for all of them.
    std::vector<StoredSubscription> group;
    std::vector<std::int64_t> ids;
    for (auto const member : watch_of(id)) {
        // As the round's caller read it, the first time; else as the state has it now.
        std::optional<StoredSubscription> s;
        if (auto const given = given_.find(member); given != given_.end()) {
            s = std::move(*given->second);
            given_.erase(given);
        } else {
            s = store_.subscription(member);
        }
        if (!s || !s->active) {
            entries_.erase(member);
            continue;
        }
        ids.push_back(member);
        group.push_back(std::move(*s));
    }
    if (group.empty()) return;
    auto const key = entry_for(group.front()).host;
    ++host(key, group.front().sub.source).in_flight;
    for (auto const member : ids) {
        in_flight_.insert(member);
        started_.insert(member);
    }
    // For the callbacks once it is done; shared, as the completion handler is moved around.
    auto sub = std::make_shared<StoredSubscription const>(group.front());
    asio::co_spawn(ex_, poller_.poll_group(std::move(group)),
                   [this, id, ids, now, key, sub = std::move(sub)](std::exception_ptr ep,
                                                                   PollOutcome outcome) {
                       for (auto const member : ids)
                           in_flight_.erase(member);
                       auto& h = hosts_[key];
                       if (h.in_flight > 0) --h.in_flight;
                       auto const set_due = [&](UnixTime due) {
                           for (auto const member : ids)
                               if (auto const it = entries_.find(member); it != entries_.end())
                                   it->second.due = due;
                       };
                       if (ep) {
                           // A bug or a state-store failure (disk full, a locked file): back off
                           // this subscription in memory, since its stored next_due could not be
                           // written, and let the caller decide how loudly to say so.
                           int const n = ++crashes_[id];
                           std::string what = "unknown error";
                           try {
                               std::rethrow_exception(ep);
                           } catch (std::exception const& e) {
                               what = e.what();
                           } catch (...) {
                           }
                           set_due(now + options_.crash_backoff.after(n).count());
                           if (on_crash) on_crash(*sub, what, n);
                       } else {
                           if (auto const c = crashes_.find(id); c != crashes_.end()) {
                               if (on_recovered) on_recovered(*sub, c->second);
                               crashes_.erase(c);
                               // The state file takes writes again (a full disk freed): the others
                               // that failed on it need not wait out their backoff of up to an
                               // hour.
                               for (auto const& [other, n] : crashes_)
                                   if (auto e = entries_.find(other); e != entries_.end())
                                       e->second.due = std::min(e->second.due, now);
                           }
                           if (outcome.status != PollStatus::cancelled) set_due(outcome.next_due);
                           if (outcome.pause_host_until)
                               h.paused_until = std::max(h.paused_until, *outcome.pause_host_until);
                           if (outcome.rate_limited && retry_ && retry_(id, key, h.paused_until)) {
                               finished_.cancel();
                               return; // not done yet: polled again after the pause
                           }
                       }
                       if (on_polled && !ep) on_polled(*sub, outcome);
                       finished_.cancel();
                   });
}

std::optional<UnixTime> Scheduler::start_due(UnixTime now) {
    std::optional<UnixTime> next;
    auto consider = [&](UnixTime t) { next = next ? std::min(*next, t) : t; };
    // start() may drop entries (a subscription gone inactive): walk by key, not by iterator.
    std::vector<std::int64_t> ids;
    ids.reserve(entries_.size());
    for (auto const& [id, e] : entries_)
        ids.push_back(id);
    for (auto const id : ids) {
        auto const found = entries_.find(id);
        if (found == entries_.end() || in_flight_.count(id)) continue;
        auto const& e = found->second;
        if (e.due > now) {
            consider(e.due);
            continue;
        }
        if (!may_start(e, now)) {
            // Waiting for its host: woken by a completion, or when the pause ends.
            auto const& h = hosts_[e.host];
            consider(h.paused_until > now ? h.paused_until : now + 60);
            continue;
        }
        start(id, now);
    }
    return next;
}

asio::awaitable<void> Scheduler::poll_each_once(std::vector<StoredSubscription> subs) {
    // One queue per host, in the given order: a full host is skipped in one step, so a wake-up
    // costs the polls it starts, not a walk over everything still waiting.
    std::map<std::string, std::deque<std::int64_t>> waiting;
    std::size_t remaining = 0;
    std::map<std::int64_t, int> retried;
    retry_ = [&](std::int64_t id, std::string const& host, UnixTime paused_until) {
        if (!waits_out(paused_until, clock_())) return false;
        if (retried[id]++ >= options_.rate_limit_retries) return false;
        waiting[host].push_front(id);
        ++remaining;
        started_.erase(id);
        return true;
    };
    started_.clear();
    for (auto& s : subs) {
        auto e = entry_for(s);
        host(e.host, s.sub.source);
        e.due = 0;
        waiting[e.host].push_back(s.id);
        watches_[e.watch].insert(s.id);
        entries_[s.id] = std::move(e);
        ++remaining;
        given_.insert_or_assign(s.id, &s);
    }
    while (remaining > 0 || !in_flight_.empty()) {
        UnixTime const now = clock_();
        std::optional<UnixTime> wake;
        for (auto& [key, queue] : waiting) {
            auto const& h = hosts_[key];
            if (h.paused_until > now && !queue.empty() && waits_out(h.paused_until, now))
                wake = wake ? std::min(*wake, h.paused_until) : h.paused_until;
            while (!queue.empty() && in_flight_.size() < options_.max_polls) {
                auto const id = queue.front();
                auto const e = entries_.find(id);
                if (e != entries_.end() && !may_start(e->second, now, true)) break;
                queue.pop_front();
                --remaining;
                // Polled already, with another project's subscription of the same package.
                if (started_.count(id) || in_flight_.count(id)) continue;
                if (e != entries_.end()) start(id, now);
            }
        }
        if (remaining == 0 && in_flight_.empty()) break;
        // Woken by a completion; a host pause ends by the clock.
        auto const sleep = wake ? std::chrono::seconds(std::max<UnixTime>(0, *wake - now)) +
                                      std::chrono::milliseconds(5)
                                : std::chrono::seconds(3600);
        finished_.expires_after(sleep);
        auto [ec] = co_await finished_.async_wait(asio::as_tuple(asio::use_awaitable));
        (void)ec;
    }
    retry_ = nullptr;
    started_.clear();
    given_.clear();
    poller_.flush();
}

} // namespace pinwatch::watcher
