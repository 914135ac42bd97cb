#include "watcher/dispatcher.hpp"

#include "common/text.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <set>

namespace pinwatch::watcher {

namespace asio = boost::asio;

std::vector<OutboxTarget> Router::recipients(Event const& e, UnixTime now) const {
    std::vector<OutboxTarget> out;
    for (auto const& r : routes_) {
        if (!route_accepts(r, e)) continue;
        UnixTime const due = r.digest && !is_urgent(e.kind) ? r.digest->next_after(now) : now;
        out.push_back({r.notifier, due});
    }
    return out;
}

struct Dispatcher::State {
    Channel channel;
    std::string name;
    bool running = false;
    bool disabled = false;
    std::optional<UnixTime> retry_at; // after a storage error: leave this channel alone until then
    int storage_failures = 0;
    // Delivered, but the state file did not take the mark (a full disk): recorded on the next
    // run instead of being sent again.
    std::set<std::int64_t> unrecorded;
    std::chrono::steady_clock::time_point last_send{};
    std::unique_ptr<asio::steady_timer> pace;
    DispatchStats stats;
};

namespace {
UnixTime system_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}
} // namespace

Dispatcher::Dispatcher(asio::any_io_executor ex, StateStore& store, std::vector<Channel> channels,
                       DispatcherOptions options, Clock clock)
    : ex_(ex), store_(store), outbox_(store), options_(options),
      clock_(clock ? std::move(clock) : Clock(system_now)), rng_(std::random_device{}()),
      idle_(ex) {
    for (auto& c : channels) {
        auto s = std::make_unique<State>();
        s->name = std::string(c.notifier->name());
        s->channel = std::move(c);
        s->pace = std::make_unique<asio::steady_timer>(ex);
        channels_.push_back(std::move(s));
    }
}

Dispatcher::~Dispatcher() = default;

Router Dispatcher::router() const {
    std::vector<Route> routes;
    for (auto const& c : channels_) {
        Route r = c->channel.route;
        r.notifier = c->name;
        routes.push_back(std::move(r));
    }
    return Router(std::move(routes));
}

std::vector<std::string> Dispatcher::names() const {
    std::vector<std::string> out;
    for (auto const& c : channels_)
        out.push_back(c->name);
    return out;
}

std::vector<std::string> Dispatcher::disabled() const {
    std::vector<std::string> out;
    for (auto const& c : channels_)
        if (c->disabled) out.push_back(c->name);
    return out;
}

bool Dispatcher::idle() const {
    return std::none_of(channels_.begin(), channels_.end(),
                        [](auto const& c) { return c->running; });
}

void Dispatcher::stop() {
    stopping_ = true;
    for (auto& c : channels_)
        c->pace->cancel();
}

void Dispatcher::storage_recovered() {
    for (auto& c : channels_)
        if (c->storage_failures > 0) c->retry_at.reset();
}

std::optional<UnixTime> Dispatcher::next_due() const {
    std::optional<UnixTime> next;
    for (auto const& c : channels_) {
        if (c->running || c->disabled) continue;
        auto due = outbox_.next_due(c->name);
        if (!due) continue;
        if (c->retry_at) due = std::max(*due, *c->retry_at);
        next = next ? std::min(*next, *due) : *due;
    }
    return next;
}

void Dispatcher::kick(UnixTime now) {
    if (stopping_) return;
    for (auto& c : channels_) {
        if (c->running || c->disabled) continue;
        if (c->retry_at && *c->retry_at > now) continue;
        c->running = true;
        asio::co_spawn(ex_, run_channel(*c, now), [this, s = c.get()](std::exception_ptr ep) {
            s->running = false;
            if (ep) {
                try {
                    std::rethrow_exception(ep);
                } catch (std::exception const& e) {
                    spdlog::error("notifier {}: {}", s->name, sanitize_text(e.what()));
                }
            }
            idle_.cancel();
            if (on_idle) on_idle();
        });
    }
}

asio::awaitable<DispatchStats> Dispatcher::run_once(UnixTime now) {
    auto const before = totals_;
    kick(now);
    while (!idle()) {
        idle_.expires_after(std::chrono::hours(1));
        co_await idle_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    DispatchStats d;
    d.delivered = totals_.delivered - before.delivered;
    d.retried = totals_.retried - before.retried;
    d.failed = totals_.failed - before.failed;
    d.expired = totals_.expired - before.expired;
    co_return d;
}

void Dispatcher::disable(State& c, std::string const& why, UnixTime now) {
    c.disabled = true;
    spdlog::error("notifier {}: disabled: {}", c.name, sanitize_text(why));
    // Tell the people behind the other notifiers: this channel has gone quiet.
    Event e;
    e.kind = EventKind::notifier_disabled;
    e.source = "pinwatch";
    e.package = c.name;
    e.detail = why;
    e.at = now;
    std::vector<OutboxTarget> others;
    for (auto const& o : channels_)
        if (o.get() != &c && !o->disabled) others.push_back({o->name, now});
    store_.add_event(e, others);
}

asio::awaitable<void> Dispatcher::run_channel(State& c, UnixTime now) {
    auto& n = *c.channel.notifier;
    auto const started = std::chrono::steady_clock::now();
    // Items whose retry this run waits out itself (run --once): counted as retried only if the
    // run ends before they are sent again, so one that then arrives is not reported undelivered.
    std::set<std::int64_t> waiting;
    auto const recovered = [&] {
        if (c.storage_failures > 0)
            spdlog::info("notifier {}: the state file records deliveries again", c.name);
        c.storage_failures = 0;
        c.retry_at.reset();
    };
    try {
        if (!c.unrecorded.empty()) {
            for (auto it = c.unrecorded.begin(); it != c.unrecorded.end();) {
                outbox_.mark_delivered(*it, now);
                it = c.unrecorded.erase(it);
            }
            recovered();
        }
        auto const max_age = c.channel.max_age.value_or(options_.max_age);
        if (int const expired = outbox_.expire(c.name, now - max_age.count()); expired > 0) {
            spdlog::warn("notifier {}: {} notification(s) older than {} s given up undelivered",
                         c.name, expired, max_age.count());
            c.stats.expired += expired;
            totals_.expired += expired;
        }
        bool const digest = c.channel.route.digest.has_value();
        while (!stopping_) {
            auto items = outbox_.pending(
                c.name, now, static_cast<int>(digest ? options_.digest_batch : options_.batch));
            if (items.empty()) break;
            // A digest is grouped by package (stable: in event order within one package).
            if (digest)
                std::stable_sort(items.begin(), items.end(),
                                 [](OutboxItem const& a, OutboxItem const& b) {
                                     return a.event.package < b.event.package;
                                 });
            // The receiver's rate limit (Slack: one message a second per webhook).
            if (auto const gap = n.min_interval();
                gap.count() > 0 && c.last_send.time_since_epoch().count() != 0) {
                auto const ready = c.last_send + gap;
                if (ready > std::chrono::steady_clock::now()) {
                    c.pace->expires_at(ready);
                    co_await c.pace->async_wait(asio::as_tuple(asio::use_awaitable));
                    if (stopping_) break;
                }
            }
            std::vector<Event> events;
            events.reserve(items.size());
            for (auto const& i : items) {
                events.push_back(i.event);
                waiting.erase(i.id);
            }
            auto const result = co_await n.deliver(events);
            c.last_send = std::chrono::steady_clock::now();

            using S = notifiers::Delivery::Status;
            // run --once waits out a short Retry-After itself; otherwise a retry is due after
            // the backoff, or after the receiver's Retry-After when that is longer.
            std::int64_t const asked = result.retry_after ? result.retry_after->count() : -1;
            bool const wait_here =
                result.status == S::retry && options_.wait_out_retries && asked >= 0 &&
                asked <= options_.max_wait.count() &&
                std::chrono::steady_clock::now() - started + std::chrono::seconds(asked) <=
                    options_.max_wait * 2;
            if (result.status == S::delivered) {
                for (auto const& i : items)
                    c.unrecorded.insert(i.id);
                c.stats.delivered += items.size();
                totals_.delivered += items.size();
            }
            for (auto const& i : items) {
                if (result.status == S::delivered) {
                    outbox_.mark_delivered(i.id, now);
                    c.unrecorded.erase(i.id);
                } else if (result.status == S::retry) {
                    auto const backoff = options_.retry.after(i.attempts + 1, rng_).count();
                    auto const in = wait_here ? asked : std::max<std::int64_t>(backoff, asked);
                    outbox_.mark_failed(i.id, result.error, now + in, now);
                    if (wait_here)
                        waiting.insert(i.id);
                    else
                        ++c.stats.retried, ++totals_.retried;
                } else {
                    outbox_.mark_failed(i.id, result.error, std::nullopt, now);
                    ++c.stats.failed, ++totals_.failed;
                }
            }
            recovered();
            if (result.status == S::delivered) continue;
            spdlog::warn("notifier {}: {} ({} event(s) {})", c.name, sanitize_text(result.error),
                         items.size(), result.status == S::retry ? "will be retried" : "given up");
            if (result.disable) {
                disable(c, result.error, now);
                break;
            }
            if (result.status == S::failed) continue; // this batch is lost; the next may go
            if (!wait_here) break;
            c.pace->expires_after(std::chrono::seconds(asked));
            co_await c.pace->async_wait(asio::as_tuple(asio::use_awaitable));
            now = std::max(now + asked, clock_());
        }
    } catch (std::exception const& e) {
        // The state file cannot record outcomes (a full disk, a locked file): leave this channel
        // alone for a while instead of re-sending the same batch in a loop. Said once per run of
        // failures; what was sent and not recorded is recorded later, not sent again (a restart
        // in between sends it again: at least once).
        int const failures = ++c.storage_failures;
        c.retry_at = now + options_.storage_retry.after(failures).count();
        if (failures == 1)
            spdlog::error("notifier {}: recording deliveries failed, retrying in {} s: {}", c.name,
                          *c.retry_at - now, sanitize_text(e.what()));
        else
            spdlog::debug("notifier {}: recording deliveries failed again ({} in a row): {}",
                          c.name, failures, sanitize_text(e.what()));
    }
    c.stats.retried += waiting.size();
    totals_.retried += waiting.size();
    co_return;
}

} // namespace pinwatch::watcher
