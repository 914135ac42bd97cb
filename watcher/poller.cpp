#include "watcher/poller.hpp"

#include "common/text.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

namespace pinwatch::watcher {

UnixTime unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

bool vulnerabilities_due(StoredSubscription const& s, UnixTime now,
                         std::optional<std::chrono::seconds> interval) {
    if (!s.sub.pinned || !interval) return false;
    // A new pin, a reading that failed, or one older than the interval.
    if (!s.vulns.checked || s.vulns.version != s.sub.pinned || s.vulns.error) return true;
    return now >= *s.vulns.checked + interval->count();
}

Poller::Poller(net::Client& client, StateStore& store, SourceRegistry const& sources, Router router,
               PollerOptions options, Clock clock)
    : client_(client), store_(store), sources_(sources), router_(std::move(router)),
      options_(options), clock_(clock ? std::move(clock) : Clock(unix_now)),
      rng_(std::random_device{}()) {}

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

PollOutcome Poller::finish(StoredSubscription const& s, StateUpdate update,
                           std::optional<UnixTime> pause, std::string const& host) {
    if (options_.keep_schedule) update.next_due = s.next_due;
    outages_.filter(host, update);
    update.recipients.clear();
    for (auto const& e : update.events)
        update.recipients.push_back(router_.recipients(e, update.now));
    bool const quiet = update.status == PollStatus::unchanged && update.events.empty() &&
                       update.upserts.empty() && update.removed.empty() && !update.metadata &&
                       !update.error;
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

boost::asio::awaitable<PollOutcome> Poller::poll(StoredSubscription s) {
    DiffPolicy const policy{options_.failing_after, options_.python};
    if (s.sub.authorization.empty())
        if (auto it = credentials_.find(url_origin(s.sub.locator)); it != credentials_.end())
            s.sub.authorization = it->second;
    Source const* source = sources_.find(s.sub.source);
    if (!source) {
        UnixTime const now = clock_();
        SourceError err{
            SourceError::Kind::permanent, s.sub.source + ":" + s.sub.name + ": no such source", {}};
        co_return finish(s, diff_failure(s, err, now, next_after_success(now, s.sub), policy),
                         std::nullopt, s.sub.source);
    }
    std::string const label = std::string(source->kind()) + ":" + sanitize_text(s.sub.name);

    PollContext ctx;
    // Only a subscription with a baseline may skip the body: otherwise there is nothing to compare.
    if (s.baseline_done) ctx.validator = s.validator;
    ctx.metadata_version = s.metadata_version;
    ctx.want_metadata = options_.want_metadata;
    auto const retry = vuln_retry_.find(s.id);
    bool const vulns_backing_off =
        s.vulns.error && retry != vuln_retry_.end() && clock_() < retry->second.second;
    if (!vulns_backing_off && vulnerabilities_due(s, clock_(), options_.vulnerability_interval)) {
        ctx.vulnerabilities_for = s.sub.pinned;
        // The stored ETag belongs to the stored reading, of the stored version.
        if (s.vulns.version == s.sub.pinned) ctx.vulnerability_validator = s.vulns.validator;
    }
    ctx.source_state = s.source_state;
    if (source->wants_other_versions())
        for (auto const& v : store_.versions_elsewhere(s.sub.name, s.id))
            ctx.other_versions.push_back(release_key(v));

    Observation observed;
    std::optional<SourceError> failure;
    std::optional<std::chrono::seconds> pause;
    auto request = source->first_request(s.sub, ctx);
    std::chrono::steady_clock::duration spent{};
    for (int n = 1;; ++n) {
        auto const sent = std::chrono::steady_clock::now();
        request.ordinal = n;
        auto response = co_await client_.fetch(request.http);
        spent += std::chrono::steady_clock::now() - sent;
        if (!response) {
            if (response.error().kind == net::ErrorKind::cancelled) {
                // Shutting down: write nothing, this poll simply did not happen.
                PollOutcome cancelled;
                cancelled.status = PollStatus::cancelled;
                cancelled.error = response.error().message;
                cancelled.next_due = s.next_due;
                co_return cancelled;
            }
            if (request.optional) {
                spdlog::debug("{}: {}: {}", label, request.step,
                              sanitize_text(response.error().message));
                source->optional_step_failed(
                    s.sub, request, request.step + ": " + response.error().message, observed);
                break;
            }
            failure = SourceError{SourceError::Kind::temporary,
                                  std::string(source->kind()) + ":" + s.sub.name + ": " +
                                      response.error().message,
                                  std::nullopt};
            break;
        }
        auto step = source->parse(s.sub, ctx, request, *response, observed);
        if (!step) {
            if (request.optional) {
                spdlog::debug("{}", sanitize_text(step.error().message));
                source->optional_step_failed(s.sub, request, step.error().message, observed);
                break;
            }
            failure = std::move(step).error();
            if (failure->kind == SourceError::Kind::rate_limited)
                pause = failure->retry_after.value_or(std::chrono::seconds(60));
            break;
        }
        if (step->pause_host)
            pause = std::max(pause.value_or(std::chrono::seconds(0)), *step->pause_host);
        if (!step->next) break;
        if (n >= options_.max_requests_per_poll) {
            failure = SourceError{SourceError::Kind::permanent,
                                  label + ": more than " +
                                      std::to_string(options_.max_requests_per_poll) +
                                      " requests in one poll (a paging loop?)",
                                  std::nullopt};
            break;
        }
        request = std::move(*step->next);
    }

    auto const request_time = std::chrono::duration_cast<std::chrono::microseconds>(spent);
    UnixTime const now = clock_();
    std::optional<UnixTime> const pause_until =
        pause ? std::optional<UnixTime>(now + std::clamp<std::int64_t>(pause->count(), 1, 3600))
              : std::nullopt;
    if (failure) {
        auto update = diff_failure(
            s, *failure, now, next_after_failure(now, s.sub, *failure, s.consecutive_failures + 1),
            policy);
        // Messages carry text from servers: escaped before they reach a log. Logged when the
        // state changes (the first failure of a run), not on every retry.
        if (s.consecutive_failures == 0 || failure->kind == SourceError::Kind::rate_limited)
            spdlog::warn("{}", sanitize_text(failure->message));
        else
            spdlog::debug("{} (failure {} in a row)", sanitize_text(failure->message),
                          s.consecutive_failures + 1);
        auto outcome = finish(s, std::move(update), pause_until, source->host(s.sub));
        outcome.request_time = request_time;
        outcome.rate_limited = failure->kind == SourceError::Kind::rate_limited;
        co_return outcome;
    }
    // Only a full listing is compared with what is known; a 304 or a 404 needs nothing.
    bool const need_known =
        observed.status == Observation::Status::ok ||
        (observed.status == Observation::Status::not_modified && known_releases_needed(s, now));
    auto const known = need_known ? store_.releases(s.id) : std::map<std::string, StoredRelease>{};
    auto update = diff(s, known, observed, now, next_after_success(now, s.sub), policy);
    // A new release another source knows the notes of (GitHub's release page) links to them.
    bool releases = false;
    for (auto const& e : update.events)
        releases = releases || (e.kind == EventKind::new_release && e.version);
    if (releases)
        for (auto const& [kind, state] : store_.source_states_elsewhere(s.sub.name, s.id))
            if (auto const* other = sources_.find(kind))
                for (auto& e : update.events)
                    if (e.kind == EventKind::new_release && e.version && !e.link)
                        e.link = other->release_link(state, s.sub.name, release_key(*e.version));
    bool const works_again = s.consecutive_failures > 0 && update.status != PollStatus::error;
    auto const said = observed.status == Observation::Status::not_modified
                          ? std::string("304 unchanged")
                          : std::string(to_string(update.status));
    // Advisories that cannot be read are said once when that starts, and once when it ends.
    if (update.vulns && update.vulns->error) {
        // Backoff from the poll interval, doubling, up to the advisories' own interval.
        auto& [failures, next] = vuln_retry_[s.id];
        Backoff b{interval_of(s.sub), options_.vulnerability_interval.value_or(interval_of(s.sub))};
        b.cap = std::max(b.cap, b.initial);
        next = now + b.after(++failures).count();
    } else if (update.vulns) {
        vuln_retry_.erase(s.id);
    }
    bool const vulns_failing = update.vulns && update.vulns->error && !s.vulns.error;
    bool const vulns_back = update.vulns && !update.vulns->error && s.vulns.error;
    auto const vulns_error = vulns_failing ? *update.vulns->error : std::string();
    // Logged once stored: a poll whose result the state file refused did not happen.
    auto outcome = finish(s, std::move(update), pause_until, source->host(s.sub));
    spdlog::debug("{}: {} ({} events)", label, said, outcome.events);
    if (works_again) spdlog::info("{}: polls work again", label);
    if (vulns_failing)
        spdlog::warn("{}: {}", label, sanitize_text(vulns_error));
    else if (vulns_back)
        spdlog::info("{}: vulnerabilities can be read again", label);
    outcome.not_modified = observed.status == Observation::Status::not_modified;
    outcome.request_time = request_time;
    co_return outcome;
}

} // namespace pinwatch::watcher
