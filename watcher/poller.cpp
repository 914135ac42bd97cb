#include "watcher/poller.hpp"

#include "common/text.hpp"
#include "watcher/summary.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

namespace pinwatch::watcher {

namespace {
// What the releases mean once `update` is written (SavedSummary), worked out here from the
// releases the poll just compared (`known`, read at s.release_generation) with the update
// applied, so that later polls answered 304 need not read them back. Only when the update
// moves the releases and they were read: otherwise the saved one still holds, or is retired.
void attach_summary(StoredSubscription const& s, bool known_read,
                    std::map<std::string, StoredRelease> known, StateUpdate& update) {
    if (!known_read ||
        (update.upserts.empty() && update.removed.empty() && update.released.empty()))
        return;
    for (auto const& r : update.upserts)
        known.insert_or_assign(r.version, r);
    for (auto const& v : update.removed)
        known.erase(v);
    for (auto const& v : update.released)
        if (auto it = known.find(v); it != known.end()) it->second.held = false;
    std::vector<StoredRelease> after;
    after.reserve(known.size());
    for (auto& [_, r] : known)
        after.push_back(std::move(r));
    update.summary = save_summary(s.sub, after, s.release_generation);
}
} // namespace

UnixTime unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Poller::Poller(net::Client& client, StateStore& store, SourceRegistry const& sources, Router router,
               PollerOptions options, Clock clock)
    : client_(client), store_(store), sources_(sources), router_(std::move(router)),
      options_(options), policy_(diff_policy(options.failing_after, options.python)),
      clock_(clock ? std::move(clock) : Clock(unix_now)), rng_(std::random_device{}()) {
    for (auto const& [project, python] : options_.project_python)
        project_policies_.emplace(project, diff_policy(options_.failing_after, python));
}

DiffPolicy const& Poller::policy_for(Subscription const& sub) const {
    auto const it = project_policies_.find(sub.project);
    return it == project_policies_.end() ? policy_ : it->second;
}

std::chrono::seconds Poller::interval_of(Subscription const& sub) const {
    return sub.interval ? std::chrono::seconds(*sub.interval) : options_.interval;
}

UnixTime Poller::next_after_success(UnixTime now, Subscription const& sub) {
    double const base = static_cast<double>(interval_of(sub).count());
    std::uniform_real_distribution<double> spread(-options_.jitter, options_.jitter);
    // Jitter spreads polls of many packages over the interval instead of bursts at one second.
    return now +
           std::max<UnixTime>(1, static_cast<UnixTime>(std::llround(base * (1.0 + spread(rng_)))));
}

UnixTime Poller::next_after_failure(UnixTime now, Subscription const& sub, SourceError const& e,
                                    int failures) {
    using K = SourceError::Kind;
    // A server's Retry-After is obeyed, within reason: "Retry-After: 999999999" must not park a
    // package for decades.
    std::int64_t const ceiling = std::max<std::int64_t>(interval_of(sub).count(), 3600);
    auto const asked = [&](std::int64_t fallback) {
        return std::clamp<std::int64_t>(e.retry_after ? e.retry_after->count() : fallback, 1,
                                        ceiling);
    };
    if (e.kind == K::rate_limited) return now + asked(60);
    if (e.kind == K::permanent) return next_after_success(now, sub);
    Backoff retry = options_.retry;
    retry.cap = std::min(retry.cap, interval_of(sub));
    auto const backoff = retry.after(failures).count();
    if (e.retry_after) return now + std::max<std::int64_t>(backoff, asked(backoff));
    return now + backoff;
}

// Who each of the update's events goes to.
void Poller::route(StateUpdate& update) const {
    update.recipients.clear();
    for (auto const& e : update.events)
        update.recipients.push_back(router_.recipients(e, update.now));
}

// A poll that changed nothing but its schedule: its write can wait for the next one that counts.
bool Poller::is_quiet(StateUpdate const& update) {
    return update.status == PollStatus::unchanged && update.events.empty() &&
           update.upserts.empty() && update.removed.empty() && !update.metadata && !update.error;
}

PollOutcome Poller::finish(StoredSubscription const& s, StateUpdate update,
                           std::optional<UnixTime> pause, std::string const& host) {
    if (options_.keep_schedule) update.next_due = s.next_due;
    outages_.filter(host, update);
    route(update);
    bool const quiet = is_quiet(update);
    bool stored = !quiet;
    if (quiet) {
        deferred_.push_back(update);
        if (deferred_.size() >= 256) stored = flush();
    } else {
        store_.apply(update);
    }
    PollOutcome outcome;
    outcome.stored = stored;
    outcome.status = update.status;
    outcome.error = update.error;
    outcome.events = update.events.size();
    outcome.next_due = update.next_due;
    outcome.pause_host_until = pause;
    for (auto const& e : update.events)
        outcome.event_kinds.push_back(e.kind);
    return outcome;
}

void Poller::use_index_credentials(std::vector<Subscription> const& configured) {
    credentials_.clear();
    for (auto const& s : configured)
        if (!s.authorization.empty()) credentials_[url_origin(s.locator)] = s.authorization;
}

bool Poller::flush() {
    if (deferred_.empty()) return false;
    auto batch = std::move(deferred_);
    deferred_.clear();
    store_.apply_all(batch);
    return true;
}

PollContext Poller::choose(StoredSubscription const& s, Source const& source) const {
    PollContext ctx;
    // Only a subscription with a baseline may skip the body: otherwise there is nothing to compare.
    if (s.baseline_done) ctx.validator = s.validator;
    ctx.source_state = s.source_state;
    PollHistory history(s.sub);
    history.now = clock_();
    history.interval = interval_of(s.sub);
    history.baseline_done = s.baseline_done;
    history.metadata_version = s.metadata_version;
    history.vulns_version = s.vulns.version;
    history.vulns_validator = s.vulns.validator;
    history.vulns_error = s.vulns.error;
    history.vulns_checked = s.vulns.checked;
    history.versions_elsewhere = [this, &s] {
        std::vector<std::string> keys;
        for (auto const& v : store_.versions_elsewhere(s.sub.name, s.id))
            keys.push_back(release_key(v));
        return keys;
    };
    ctx.asks = source.prepare(history);
    return ctx;
}

boost::asio::awaitable<Poller::Fetched>
Poller::fetch(StoredSubscription const& s, Source const& source, PollContext const& ctx) {
    std::string const label = std::string(source.kind()) + ":" + sanitize_text(s.sub.name);
    Fetched f;
    auto request = source.first_request(s.sub, ctx);
    std::chrono::steady_clock::duration spent{};
    for (int n = 1;; ++n) {
        auto const sent = std::chrono::steady_clock::now();
        request.ordinal = n;
        auto response = co_await client_.fetch(request.http);
        spent += std::chrono::steady_clock::now() - sent;
        if (!response) {
            if (response.error().kind == net::ErrorKind::cancelled) {
                // Shutting down: write nothing, this poll simply did not happen.
                f.cancelled = true;
                f.cancel_reason = response.error().message;
                break;
            }
            if (request.optional) {
                spdlog::debug("{}: {}: {}", label, request.step,
                              sanitize_text(response.error().message));
                source.optional_step_failed(s.sub, ctx, request,
                                            request.step + ": " + response.error().message,
                                            f.observed);
                break;
            }
            f.failure = SourceError{SourceError::Kind::temporary,
                                    std::string(source.kind()) + ":" + s.sub.name + ": " +
                                        response.error().message,
                                    std::nullopt};
            break;
        }
        auto step = source.parse(s.sub, ctx, request, *response, f.observed);
        if (!step) {
            if (request.optional) {
                spdlog::debug("{}", sanitize_text(step.error().message));
                source.optional_step_failed(s.sub, ctx, request, step.error().message, f.observed);
                break;
            }
            f.failure = std::move(step).error();
            if (f.failure->kind == SourceError::Kind::rate_limited)
                f.pause = f.failure->retry_after.value_or(std::chrono::seconds(60));
            break;
        }
        if (step->pause_host)
            f.pause = std::max(f.pause.value_or(std::chrono::seconds(0)), *step->pause_host);
        if (!step->next) break;
        if (n >= options_.max_requests_per_poll) {
            f.failure = SourceError{SourceError::Kind::permanent,
                                    label + ": more than " +
                                        std::to_string(options_.max_requests_per_poll) +
                                        " requests in one poll (a paging loop?)",
                                    std::nullopt};
            break;
        }
        request = std::move(*step->next);
    }
    f.request_time = std::chrono::duration_cast<std::chrono::microseconds>(spent);
    co_return f;
}

PollOutcome Poller::record_failure(StoredSubscription const& s, Source const& source,
                                   SourceError const& failure, std::optional<UnixTime> pause_until,
                                   UnixTime now) {
    auto const& policy = policy_for(s.sub);
    auto update =
        diff_failure(s, failure, now,
                     next_after_failure(now, s.sub, failure, s.consecutive_failures + 1), policy);
    // Messages carry text from servers: escaped before they reach a log. Logged when the
    // state changes (the first failure of a run), not on every retry.
    if (s.consecutive_failures == 0 || failure.kind == SourceError::Kind::rate_limited)
        spdlog::warn("{}", sanitize_text(failure.message));
    else
        spdlog::debug("{} (failure {} in a row)", sanitize_text(failure.message),
                      s.consecutive_failures + 1);
    auto outcome = finish(s, std::move(update), pause_until, source.host(s.sub));
    outcome.rate_limited = failure.kind == SourceError::Kind::rate_limited;
    return outcome;
}

ReleaseLinker Poller::release_links(StoredSubscription const& s) const {
    using States = std::vector<std::pair<std::string, std::string>>;
    return [this, &s, states = std::optional<States>()](
               std::string const& key) mutable -> std::optional<std::string> {
        if (!states) states = store_.source_states_elsewhere(s.sub.name, s.id);
        for (auto const& [kind, state] : *states)
            if (auto const* other = sources_.find(kind))
                if (auto link = other->release_link(state, s.sub.name, key)) return link;
        return std::nullopt;
    };
}

PollOutcome Poller::record_success(StoredSubscription const& s, Source const& source,
                                   Observation const& observed, std::optional<UnixTime> pause_until,
                                   UnixTime now) {
    auto const& policy = policy_for(s.sub);
    std::string const label = std::string(source.kind()) + ":" + sanitize_text(s.sub.name);
    // Only a full listing is compared with what is known; a 304 or a 404 needs nothing.
    bool const need_known =
        observed.status == Observation::Status::ok ||
        (observed.status == Observation::Status::not_modified && known_releases_needed(s, now));
    auto known = need_known ? store_.releases(s.id) : std::map<std::string, StoredRelease>{};
    auto update =
        diff(s, known, observed, now, next_after_success(now, s.sub), policy, release_links(s));
    attach_summary(s, need_known, std::move(known), update);
    bool const works_again = s.consecutive_failures > 0 && update.status != PollStatus::error;
    auto const said = observed.status == Observation::Status::not_modified
                          ? std::string("304 unchanged")
                          : std::string(to_string(update.status));
    // Advisories that cannot be read are said once when that starts, and once when it ends.
    bool const vulns_failing = update.vulns && update.vulns->error && !s.vulns.error;
    bool const vulns_back = update.vulns && !update.vulns->error && s.vulns.error;
    auto const vulns_error = vulns_failing ? *update.vulns->error : std::string();
    // Logged once stored: a poll whose result the state file refused did not happen.
    auto outcome = finish(s, std::move(update), pause_until, source.host(s.sub));
    spdlog::debug("{}: {} ({} events)", label, said, outcome.events);
    if (works_again) spdlog::info("{}: polls work again", label);
    if (vulns_failing)
        spdlog::warn("{}: {}", label, sanitize_text(vulns_error));
    else if (vulns_back)
        spdlog::info("{}: vulnerabilities can be read again", label);
    outcome.not_modified = observed.status == Observation::Status::not_modified;
    return outcome;
}

void Poller::with_credentials(StoredSubscription& s) const {
    if (s.sub.authorization.empty())
        if (auto it = credentials_.find(url_origin(s.sub.locator)); it != credentials_.end())
            s.sub.authorization = it->second;
}

PollOutcome Poller::finish_group(std::vector<StateUpdate> updates, std::optional<UnixTime> pause,
                                 std::string const& host) {
    std::vector<StateUpdate> write;
    PollOutcome outcome;
    outcome.status = updates.front().status;
    outcome.error = updates.front().error;
    outcome.next_due = updates.front().next_due;
    outcome.pause_host_until = pause;
    for (auto& update : updates)
        outages_.filter(host, update);
    // Same package, same release or advisory: one event naming every project, routed to the
    // union of their notifiers.
    merge_project_events(updates);
    for (auto& update : updates) {
        route(update);
        bool const quiet = is_quiet(update);
        outcome.events += update.events.size();
        for (auto const& e : update.events)
            outcome.event_kinds.push_back(e.kind);
        if (quiet)
            deferred_.push_back(std::move(update));
        else
            write.push_back(std::move(update));
    }
    outcome.stored = !write.empty();
    if (!write.empty())
        store_.apply_all(write); // one transaction for every project's share of the poll
    if (deferred_.size() >= 256) outcome.stored = flush() || outcome.stored;
    return outcome;
}

boost::asio::awaitable<void> Poller::fetch_pin(StoredSubscription const& s, Source const& source,
                                               Observation& observed) {
    auto const ctx = choose(s, source);
    auto request = source.pin_request(s.sub, ctx, observed);
    if (!request) co_return;
    request->ordinal = 1;
    auto response = co_await client_.fetch(request->http);
    if (!response) {
        if (response.error().kind != net::ErrorKind::cancelled)
            source.optional_step_failed(s.sub, ctx, *request,
                                        request->step + ": " + response.error().message, observed);
        co_return;
    }
    auto step = source.parse(s.sub, ctx, *request, *response, observed);
    if (!step) source.optional_step_failed(s.sub, ctx, *request, step.error().message, observed);
}

boost::asio::awaitable<PollOutcome> Poller::poll_group(std::vector<StoredSubscription> group) {
    if (group.size() == 1) co_return co_await poll(std::move(group.front()));
    for (auto& s : group)
        with_credentials(s);
    Source const* source = sources_.find(group.front().sub.source);
    if (!source) {
        PollOutcome last;
        for (auto& s : group)
            last = co_await poll(std::move(s));
        co_return last;
    }
    // The one that asks: a subscription without a baseline needs the full listing, so it leads
    // and no validator is sent; so also when the others' validators differ (a 304 to one of
    // them would say nothing of the others' listing).
    std::size_t lead = 0;
    for (std::size_t i = 0; i < group.size(); ++i)
        if (!group[i].baseline_done) {
            lead = i;
            break;
        }
    auto ctx = choose(group[lead], *source);
    bool const same = std::all_of(group.begin(), group.end(), [&](StoredSubscription const& s) {
        return s.baseline_done && s.validator == group[lead].validator;
    });
    if (!same) ctx.validator.reset();
    auto fetched = co_await fetch(group[lead], *source, ctx);
    if (fetched.cancelled) {
        PollOutcome cancelled;
        cancelled.status = PollStatus::cancelled;
        cancelled.error = fetched.cancel_reason;
        cancelled.next_due = group[lead].next_due;
        co_return cancelled;
    }
    // The others' own pins (their advisories), where they differ from the leader's.
    std::vector<Observation> observed(group.size());
    for (std::size_t i = 0; i < group.size() && !fetched.failure; ++i) {
        observed[i] = fetched.observed;
        if (i == lead || group[i].sub.pinned == group[lead].sub.pinned) continue;
        observed[i].vulnerabilities.reset();
        co_await fetch_pin(group[i], *source, observed[i]);
    }
    UnixTime const now = clock_();
    std::optional<UnixTime> const pause_until =
        fetched.pause ? std::optional<UnixTime>(
                            now + std::clamp<std::int64_t>(fetched.pause->count(), 1, 3600))
                      : std::nullopt;
    std::string const label =
        std::string(source->kind()) + ":" + sanitize_text(group[lead].sub.name);
    // One schedule for all of them, so they stay one poll.
    UnixTime const next_due = fetched.failure
                                  ? next_after_failure(now, group[lead].sub, *fetched.failure,
                                                       group[lead].consecutive_failures + 1)
                                  : next_after_success(now, group[lead].sub);
    std::vector<StateUpdate> updates;
    for (std::size_t i = 0; i < group.size(); ++i) {
        auto const& s = group[i];
        auto const& policy = policy_for(s.sub); // each project's own Python
        if (fetched.failure) {
            updates.push_back(diff_failure(s, *fetched.failure, now, next_due, policy));
            continue;
        }
        auto const& obs = observed[i];
        bool const need_known =
            obs.status == Observation::Status::ok ||
            (obs.status == Observation::Status::not_modified && known_releases_needed(s, now));
        auto known = need_known ? store_.releases(s.id) : std::map<std::string, StoredRelease>{};
        updates.push_back(diff(s, known, obs, now, next_due, policy, release_links(s)));
        attach_summary(s, need_known, std::move(known), updates.back());
    }
    if (fetched.failure) {
        if (group[lead].consecutive_failures == 0 ||
            fetched.failure->kind == SourceError::Kind::rate_limited)
            spdlog::warn("{}", sanitize_text(fetched.failure->message));
        else
            spdlog::debug("{} (failure {} in a row)", sanitize_text(fetched.failure->message),
                          group[lead].consecutive_failures + 1);
    }
    if (options_.keep_schedule)
        for (std::size_t i = 0; i < group.size(); ++i)
            updates[i].next_due = group[i].next_due;
    auto outcome = finish_group(std::move(updates), pause_until, source->host(group[lead].sub));
    spdlog::debug("{}: one poll for {} projects ({} events)", label, group.size(), outcome.events);
    outcome.not_modified =
        !fetched.failure && fetched.observed.status == Observation::Status::not_modified;
    outcome.rate_limited =
        fetched.failure && fetched.failure->kind == SourceError::Kind::rate_limited;
    outcome.request_time = fetched.request_time;
    co_return outcome;
}

boost::asio::awaitable<PollOutcome> Poller::poll(StoredSubscription s) {
    with_credentials(s);
    Source const* source = sources_.find(s.sub.source);
    if (!source) {
        UnixTime const now = clock_();
        SourceError err{
            SourceError::Kind::permanent, s.sub.source + ":" + s.sub.name + ": no such source", {}};
        auto const& policy = policy_for(s.sub);
        co_return finish(s, diff_failure(s, err, now, next_after_success(now, s.sub), policy),
                         std::nullopt, s.sub.source);
    }
    auto const ctx = choose(s, *source);
    auto fetched = co_await fetch(s, *source, ctx);
    if (fetched.cancelled) {
        PollOutcome cancelled;
        cancelled.status = PollStatus::cancelled;
        cancelled.error = fetched.cancel_reason;
        cancelled.next_due = s.next_due;
        co_return cancelled;
    }
    UnixTime const now = clock_();
    std::optional<UnixTime> const pause_until =
        fetched.pause ? std::optional<UnixTime>(
                            now + std::clamp<std::int64_t>(fetched.pause->count(), 1, 3600))
                      : std::nullopt;
    auto outcome = fetched.failure ? record_failure(s, *source, *fetched.failure, pause_until, now)
                                   : record_success(s, *source, fetched.observed, pause_until, now);
    outcome.request_time = fetched.request_time;
    co_return outcome;
}

} // namespace pinwatch::watcher
