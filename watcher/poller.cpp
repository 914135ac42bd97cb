#include "watcher/poller.hpp"

#include "notifiers/notifier.hpp"
#include "watcher/summary.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cmath>

namespace pinwatch::watcher {

UnixTime unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Poller::Poller(net::Client& client, StateStore& store, PollerOptions options, Clock clock)
    : client_(client), store_(store), options_(options), clock_(clock ? std::move(clock) : Clock(unix_now)),
      rng_(std::random_device{}()) {}

std::chrono::seconds Poller::interval_of(Subscription const& sub) const {
    return sub.interval ? std::chrono::seconds(*sub.interval) : options_.interval;
}

UnixTime Poller::next_after_success(UnixTime now, Subscription const& sub) {
    double const base = static_cast<double>(interval_of(sub).count());
    std::uniform_real_distribution<double> spread(-options_.jitter, options_.jitter);
    // Jitter spreads polls of many packages over the interval instead of bursts at one second.
    return now + std::max<UnixTime>(1, static_cast<UnixTime>(std::llround(base * (1.0 + spread(rng_)))));
}

UnixTime Poller::next_after_failure(UnixTime now, Subscription const& sub, SourceError const& e, int failures) {
    using K = SourceError::Kind;
    // A server's Retry-After is obeyed, within reason: "Retry-After: 999999999" must not park a
    // package for decades.
    std::int64_t const ceiling = std::max<std::int64_t>(interval_of(sub).count(), 3600);
    auto const asked = [&](std::int64_t fallback) {
        return std::clamp<std::int64_t>(e.retry_after ? e.retry_after->count() : fallback, 1, ceiling);
    };
    if (e.kind == K::rate_limited) return now + asked(60);
    if (e.kind == K::permanent) return next_after_success(now, sub);
    // Temporary: 30s, 60s, 120s ... capped by max_backoff and by the normal interval.
    auto const cap = std::min(options_.max_backoff, interval_of(sub)).count();
    auto const backoff = std::min<std::int64_t>(cap, 30LL << std::min(failures - 1, 20));
    if (e.retry_after) return now + std::max<std::int64_t>(backoff, asked(backoff));
    return now + std::max<std::int64_t>(1, backoff);
}

boost::asio::awaitable<PollOutcome> Poller::poll(StoredSubscription s) {
    Source const& source = pypi_;
    PollContext ctx;
    // Only a subscription with a baseline may skip the body: otherwise there is nothing to compare.
    if (s.baseline_done) ctx.etag = s.etag;
    auto request = source.request_for(s.sub, ctx);
    auto response = co_await client_.fetch(std::move(request));
    UnixTime const now = clock_();

    StateUpdate update;
    if (!response) {
        if (response.error().kind == net::ErrorKind::cancelled) {
            // Shutting down: write nothing, this poll simply did not happen.
            co_return PollOutcome{"cancelled", response.error().message, 0, s.next_due};
        }
        SourceError err{SourceError::Kind::temporary,
                        std::string(source.kind()) + ":" + s.sub.name + ": " + response.error().message,
                        std::nullopt};
        update = diff_failure(s, err, now, next_after_failure(now, s.sub, err, s.consecutive_failures + 1),
                              DiffPolicy{options_.failing_after});
        // Messages carry text from the index and the network: escaped before they reach a log.
        if (s.consecutive_failures == 0) spdlog::warn("{}", notifiers::sanitize_text(err.message));
        else spdlog::debug("{} (failure {} in a row)", notifiers::sanitize_text(err.message),
                           s.consecutive_failures + 1);
    } else {
        auto observed = source.parse(s.sub, *response);
        if (!observed) {
            auto const& err = observed.error();
            update = diff_failure(s, err, now, next_after_failure(now, s.sub, err, s.consecutive_failures + 1),
                                  DiffPolicy{options_.failing_after});
            if (s.consecutive_failures == 0 || err.kind == SourceError::Kind::rate_limited)
                spdlog::warn("{}", notifiers::sanitize_text(err.message));
        } else {
            // Only a full listing is compared with what is known; a 304 or a 404 needs nothing.
            auto const known = observed->status == Observation::Status::ok
                                   ? store_.releases(s.id)
                                   : std::map<std::string, StoredRelease>{};
            update = diff(s, known, *observed, now, next_after_success(now, s.sub), DiffPolicy{options_.failing_after});
            spdlog::debug("{}:{}: {} ({} events)", source.kind(), s.sub.name,
                          response->status == 304 ? "304 unchanged" : update.status, update.events.size());
        }
    }
    store_.apply(update);
    if (options_.fetch_metadata && update.status == "ok") co_await refresh_metadata(s);
    co_return PollOutcome{update.status, update.error, update.events.size(), update.next_due};
}

boost::asio::awaitable<void> Poller::refresh_metadata(StoredSubscription const& s) {
    auto const summary = summarize(s.sub, store_.releases(s.id));
    if (!summary.latest || (s.metadata && s.metadata_version == summary.latest)) co_return;
    auto request = pypi_.metadata_request(s.sub, *summary.latest);
    if (!request) co_return;
    auto response = co_await client_.fetch(std::move(*request));
    if (!response) {
        spdlog::debug("pypi:{}: metadata: {}", s.sub.name, notifiers::sanitize_text(response.error().message));
        co_return; // network trouble: asked again after the next successful poll
    }
    auto meta = pypi_.parse_metadata(*response);
    if (!meta) {
        spdlog::debug("pypi:{}: {}", s.sub.name, notifiers::sanitize_text(meta.error().message));
        // An index without the JSON API (404) or with a broken one would be asked after every
        // poll; remember that this release has none and ask again for the next release.
        if (meta.error().kind == SourceError::Kind::permanent)
            store_.set_metadata(s.id, ProjectMetadata{}, *summary.latest);
        co_return;
    }
    store_.set_metadata(s.id, *meta, *summary.latest);
}

} // namespace pinwatch::watcher
