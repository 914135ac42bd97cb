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

bool Router::project_reaches(std::string const& project, std::string const& notifier) const {
    auto const it = projects_.find(project);
    return it == projects_.end() || !it->second || it->second->count(notifier) > 0;
}

std::vector<OutboxTarget> Router::recipients(Event const& e, UnixTime now) const {
    std::vector<OutboxTarget> out;
    for (auto const& r : routes_) {
        // The union of the event's projects' notifiers; each project's view of a new release
        // (its update type, its specifier's verdict) is what the notifier's filters judge. One
        // row per notifier, however many projects reach it.
        bool accepted = e.projects.empty() && route_accepts(r, e);
        for (auto const& p : e.projects) {
            if (accepted) break;
            if (!project_reaches(p.name, r.notifier)) continue;
            Event view = e;
            if (p.update) view.update = p.update;
            if (p.allowed) view.allowed = p.allowed;
            accepted = route_accepts(r, view);
        }
        if (!accepted) continue;
        UnixTime const due = r.digest && !is_urgent(e) ? r.digest->next_after(now) : now;
        out.push_back({r.notifier, due});
    }
    return out;
}

struct Dispatcher::State {
    Channel channel;
    std::string name;
    bool running = false;
    bool disabled = false;
    // Paused because the receiver refused its credentials: the state file's record is cleared
    // by `notify-test` succeeding, which lets it deliver again.
    bool paused_for_auth = false;
    bool stop_recorded = false;       // the state file holds a stop for it (cleared on delivery)
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
    // What the state file remembers of stopped channels. Gone stays gone until the URL changes;
    // a refused credential is tried again now (this is a reload, the secret may be fixed), its
    // record kept until a delivery succeeds so a second refusal tells nobody twice.
    for (auto const& stop : outbox_.stops()) {
        auto it = std::find_if(channels_.begin(), channels_.end(),
                               [&](auto const& c) { return c->name == stop.notifier; });
        if (it == channels_.end()) continue; // not configured now; its record waits
        auto& c = **it;
        if (stop.kind == NotifierStop::Kind::gone && stop.fingerprint == c.channel.fingerprint) {
            c.disabled = true;
            c.stop_recorded = true;
            spdlog::warn("notifier {}: stays disabled ({}); change its URL to use it again", c.name,
                         sanitize_text(stop.reason));
        } else if (stop.kind == NotifierStop::Kind::gone) {
            outbox_.clear_stop(c.name);
            spdlog::info("notifier {}: its URL changed since it was disabled: enabled again",
                         c.name);
        } else {
            c.stop_recorded = true;
            spdlog::info("notifier {}: its credentials were refused ({}); trying again", c.name,
                         sanitize_text(stop.reason));
        }
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

std::vector<std::pair<std::string, std::int64_t>> Dispatcher::orphaned() const {
    return outbox_.orphaned();
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

void Dispatcher::resume_cleared() {
    if (std::none_of(channels_.begin(), channels_.end(),
                     [](auto const& c) { return c->paused_for_auth; }))
        return;
    auto const stops = outbox_.stops();
    for (auto& c : channels_) {
        if (!c->paused_for_auth) continue;
        if (std::any_of(stops.begin(), stops.end(),
                        [&](auto const& s) { return s.notifier == c->name; }))
            continue;
        spdlog::info("notifier {}: notify-test succeeded: delivering again", c->name);
        c->paused_for_auth = c->disabled = c->stop_recorded = false;
    }
}

std::optional<UnixTime> Dispatcher::next_due() {
    // A channel paused for its credentials goes again once `notify-test` succeeded with them
    // (it clears the state file's record).
    resume_cleared();
    std::optional<UnixTime> next;
    for (auto const& c : channels_) {
        if (c->running || c->disabled) continue;
        auto due = release_time(*c);
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
    // A channel that finished before another stopped has its notice about it due now: a few
    // rounds, so that `run --once` delivers it too (each round only takes what is due).
    for (int round = 0; round < 3 && !stopping_; ++round) {
        kick(now);
        while (!idle()) {
            idle_.expires_after(std::chrono::hours(1));
            co_await idle_.async_wait(asio::as_tuple(asio::use_awaitable));
        }
        auto const due = next_due();
        if (!due || *due > now) break;
    }
    DispatchStats d;
    d.delivered = totals_.delivered - before.delivered;
    d.retried = totals_.retried - before.retried;
    d.failed = totals_.failed - before.failed;
    d.expired = totals_.expired - before.expired;
    co_return d;
}

void Dispatcher::stop_channel(State& c, NotifierStop::Kind kind, std::string const& why,
                              UnixTime now) {
    bool const auth = kind == NotifierStop::Kind::auth;
    c.disabled = true;
    c.paused_for_auth = auth;
    bool const news = outbox_.record_stop({c.name, kind, why, now, c.channel.fingerprint});
    c.stop_recorded = true;
    if (auth)
        spdlog::error("notifier {}: paused, its credentials were refused: {}; its events wait "
                      "for a fixed secret (a reload) or `pinwatch notify-test`",
                      c.name, sanitize_text(why));
    else
        spdlog::error("notifier {}: disabled: {}", c.name, sanitize_text(why));
    if (!news) return; // the others heard of it when it first stopped
    // Tell the people behind the other notifiers: this channel has gone quiet.
    Event e;
    e.kind = EventKind::notifier_disabled;
    e.source = "pinwatch";
    e.package = c.name;
    e.detail = auth ? "its credentials were refused (" + why +
                          "); its events are kept until the secret is fixed and the config "
                          "reloaded, or `pinwatch notify-test` gets through"
                    : "the receiver says it is gone (" + why +
                          "); it gets nothing until its URL changes in the config";
    e.at = now;
    std::vector<OutboxTarget> others;
    for (auto const& o : channels_)
        if (o.get() != &c && !o->disabled) others.push_back({o->name, now});
    store_.add_event(e, others);
}

UnixTime Dispatcher::retry_time(notifiers::Delivery const& result, int attempts, UnixTime now) {
    if (result.retry_after) {
        // The receiver said when (429 Retry-After): then, the whole batch at once, with a
        // little jitter so that many daemons do not come back in the same second.
        auto const asked = result.retry_after->count();
        double const share = std::min(options_.retry.jitter, options_.retry_after_jitter);
        std::uniform_real_distribution<double> spread(0.0, std::max(0.0, share));
        return now + asked + static_cast<std::int64_t>(static_cast<double>(asked) * spread(rng_));
    }
    return now + options_.retry.after(attempts + 1, rng_).count();
}

std::optional<UnixTime> Dispatcher::release_time(State const& c) const {
    auto const window = c.channel.batch_window.count();
    if (!options_.hold || window <= 0 || c.channel.route.digest) return outbox_.next_due(c.name);
    return outbox_.release_time(c.name, window,
                                std::min<std::int64_t>(window, options_.urgent_hold.count()));
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
        if (settle(c, now)) recovered();
        while (!stopping_) {
            auto items = next_batch(c, now);
            if (items.empty()) break;
            co_await keep_pace(c);
            if (stopping_) break;
            std::vector<Event> events;
            events.reserve(items.size());
            for (auto const& i : items) {
                events.push_back(i.event);
                waiting.erase(i.id);
            }
            auto const result = co_await n.deliver(events);
            c.last_send = std::chrono::steady_clock::now();

            // A channel that stops (gone, credentials refused) refused no event: what it did not
            // deliver stays pending.
            bool const stops = result.disable || result.auth_failed;
            auto const [delivered, retry, failed, attempts] = tally(c, items, result, stops);
            // run --once waits out a short Retry-After itself; otherwise the batch is retried as
            // one: at the receiver's Retry-After, or after the backoff.
            std::int64_t const asked = result.retry_after ? result.retry_after->count() : -1;
            bool const wait_here =
                retry > 0 && !stops && options_.wait_out_retries && asked >= 0 &&
                asked <= options_.max_wait.count() &&
                std::chrono::steady_clock::now() - started + std::chrono::seconds(asked) <=
                    options_.max_wait * 2;
            UnixTime const again = wait_here ? now + asked : retry_time(result, attempts, now);
            c.stats.delivered += delivered;
            totals_.delivered += delivered;
            record_batch(c, items, result, stops ? std::nullopt : std::optional<UnixTime>(again),
                         wait_here, waiting, now);
            recovered();
            if (delivered > 0 && c.stop_recorded && !stops) {
                outbox_.clear_stop(c.name);
                c.stop_recorded = false;
                spdlog::info("notifier {}: delivering again", c.name);
            }
            if (delivered == items.size()) continue;
            spdlog::warn("notifier {}: {} ({} of {} event(s) delivered, {} {}{})", c.name,
                         sanitize_text(result.error), delivered, items.size(), retry,
                         stops ? "kept pending" : "to be retried",
                         failed > 0 ? ", " + std::to_string(failed) + " refused" : "");
            if (stops) {
                stop_channel(
                    c, result.auth_failed ? NotifierStop::Kind::auth : NotifierStop::Kind::gone,
                    result.error, now);
                break;
            }
            if (retry == 0) continue; // only refusals: those are given up; the rest may go
            if (!wait_here) break;
            c.pace->expires_after(std::chrono::seconds(asked));
            co_await c.pace->async_wait(asio::as_tuple(asio::use_awaitable));
            now = std::max(now + asked, clock_());
        }
    } catch (std::exception const& e) {
        recording_failed(c, now, e.what());
    }
    c.stats.retried += waiting.size();
    totals_.retried += waiting.size();
    co_return;
}

// The next batch to send: empty when nothing is due, or when a batch window is not yet over
// (what is due waits to go out with what follows).
std::vector<OutboxItem> Dispatcher::next_batch(State& c, UnixTime now) {
    if (auto const release = release_time(c); release && *release > now) return {};
    bool const digest = c.channel.route.digest.has_value();
    auto items = outbox_.pending(c.name, now,
                                 static_cast<int>(digest ? options_.digest_batch : options_.batch));
    // A digest is grouped by package (stable: in event order within one package).
    if (digest)
        std::stable_sort(items.begin(), items.end(), [](OutboxItem const& a, OutboxItem const& b) {
            return a.event.package < b.event.package;
        });
    return items;
}

// The state file cannot record outcomes (a full disk, a locked file): leave this channel alone
// for a while instead of re-sending the same batch in a loop. Said once per run of failures;
// what was sent and not recorded is recorded later, not sent again (a restart in between sends
// it again: at least once).
void Dispatcher::recording_failed(State& c, UnixTime now, std::string const& what) {
    int const failures = ++c.storage_failures;
    c.retry_at = now + options_.storage_retry.after(failures).count();
    if (failures == 1)
        spdlog::error("notifier {}: recording deliveries failed, retrying in {} s: {}", c.name,
                      *c.retry_at - now, sanitize_text(what));
    else
        spdlog::debug("notifier {}: recording deliveries failed again ({} in a row): {}", c.name,
                      failures, sanitize_text(what));
}

// What the last run left: deliveries sent but not recorded (recorded now, never sent again),
// and items past max_age (given up). True when unrecorded deliveries were recorded.
bool Dispatcher::settle(State& c, UnixTime now) {
    bool const recorded = !c.unrecorded.empty();
    for (auto it = c.unrecorded.begin(); it != c.unrecorded.end();) {
        outbox_.mark_delivered(*it, now);
        it = c.unrecorded.erase(it);
    }
    auto const max_age = c.channel.max_age.value_or(options_.max_age);
    if (int const expired = outbox_.expire(c.name, now - max_age.count()); expired > 0) {
        spdlog::warn("notifier {}: {} notification(s) older than {} s given up undelivered", c.name,
                     expired, max_age.count());
        c.stats.expired += expired;
        totals_.expired += expired;
    }
    return recorded;
}

// The receiver's rate limit (Slack: one message a second per webhook): waits until the next
// send is allowed.
asio::awaitable<void> Dispatcher::keep_pace(State& c) {
    auto const gap = c.channel.notifier->min_interval();
    if (gap.count() <= 0 || c.last_send.time_since_epoch().count() == 0) co_return;
    auto const ready = c.last_send + gap;
    if (ready <= std::chrono::steady_clock::now()) co_return;
    c.pace->expires_at(ready);
    co_await c.pace->async_wait(asio::as_tuple(asio::use_awaitable));
}

// How a batch went: delivered (noted as sent until recorded), to retry (and the most attempts
// among those), refused for good. A channel that stops refused nothing.
Dispatcher::Tally Dispatcher::tally(State& c, std::vector<OutboxItem> const& items,
                                    notifiers::Delivery const& result, bool stops) {
    using S = notifiers::Delivery::Status;
    Tally t;
    for (std::size_t k = 0; k < items.size(); ++k) {
        auto const o = result.outcome(k);
        if (o == S::delivered) {
            ++t.delivered;
            c.unrecorded.insert(items[k].id);
        } else if (o == S::failed && !stops) {
            ++t.failed;
        } else {
            ++t.retry;
            t.attempts = std::max(t.attempts, items[k].attempts);
        }
    }
    return t;
}

// Each item of a batch by its own outcome: delivered, refused for good, kept for a stopped
// channel (`again` unset: due as it was), or retried at `again` (waited out here when
// `wait_here`, then counted as retried only if the run ends first).
void Dispatcher::record_batch(State& c, std::vector<OutboxItem> const& items,
                              notifiers::Delivery const& result, std::optional<UnixTime> again,
                              bool wait_here, std::set<std::int64_t>& waiting, UnixTime now) {
    using S = notifiers::Delivery::Status;
    for (std::size_t k = 0; k < items.size(); ++k) {
        auto const& i = items[k];
        auto const o = result.outcome(k);
        if (o == S::delivered) {
            outbox_.mark_delivered(i.id, now);
            c.unrecorded.erase(i.id);
        } else if (o == S::failed && again) {
            outbox_.mark_failed(i.id, result.error, std::nullopt, now);
            ++c.stats.failed, ++totals_.failed;
        } else if (!again) {
            // Kept for when the channel is back: due as it was, the reason recorded.
            outbox_.mark_failed(i.id, result.error, now, now);
            ++c.stats.retried, ++totals_.retried;
        } else {
            outbox_.mark_failed(i.id, result.error, *again, now);
            if (wait_here)
                waiting.insert(i.id);
            else
                ++c.stats.retried, ++totals_.retried;
        }
    }
}

} // namespace pinwatch::watcher
