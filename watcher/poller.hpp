// Poller: polls one subscription end to end — the source's requests (every page or endpoint it
// asks for), the diff, one state transaction with the routed events — and decides when it is
// due next. Failures are classified and logged here (once), so sources and the store stay free
// of policy. The poller names no source: it asks the registry.
#pragma once

#include "common/backoff.hpp"
#include "net/client.hpp"
#include "watcher/diff.hpp"
#include "watcher/dispatcher.hpp"
#include "watcher/host_outages.hpp"
#include "watcher/sources/registry.hpp"
#include "watcher/state/store.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>

namespace pinwatch::watcher {

struct PollerOptions {
    std::chrono::seconds interval{15 * 60};
    double jitter = 0.1; // next poll in interval * (1 +/- jitter)
    // Temporary failures retry sooner: 30 s, 60 s, ... capped here and by the interval.
    Backoff retry{std::chrono::seconds(30), std::chrono::seconds(15 * 60)};
    int failing_after = 3;
    int max_requests_per_poll = 100; // pages and endpoints of one poll, against a looping server
    // `check --state`: record what was seen but leave the stored schedule (next due) as it was,
    // so a one-shot check never moves a daemon's polls.
    bool keep_schedule = false;
    // The Python the team runs ("3.11.2"), for drops_python; nullopt = not judged.
    std::optional<std::string> python;
    // A project's own Python where its [projects.<name>] python_version names one ("3.12.0").
    std::map<std::string, std::string> project_python;
};

struct PollOutcome {
    PollStatus status = PollStatus::pending;
    std::optional<std::string> error;
    std::size_t events = 0;
    UnixTime next_due = 0;
    std::optional<UnixTime> pause_host_until; // the source asked to leave its host alone
    // For metrics: the answer was a 304, the time spent in requests, the kinds of the events.
    bool not_modified = false;
    std::chrono::microseconds request_time{0};
    std::vector<EventKind> event_kinds;
    bool rate_limited = false; // the poll was refused by a rate limit
    // Written to the state file already; false for an unchanged poll held back for a batched
    // write (Poller::flush), whose success the caller learns from flush().
    bool stored = false;
};

class Poller {
  public:
    using Clock = std::function<UnixTime()>;
    Poller(net::Client& client, StateStore& store, SourceRegistry const& sources, Router router,
           PollerOptions options, Clock clock = {});

    boost::asio::awaitable<PollOutcome> poll(StoredSubscription subscription);
    // Polls the subscriptions of one package on one index (same source and locator: one per
    // project that pins it) with ONE poll of the source, judges what was seen per subscription
    // (a release may be a major for one project and allowed for another), merges the events
    // that say the same thing into one naming every project, and writes it all in one
    // transaction. A single subscription is poll().
    boost::asio::awaitable<PollOutcome> poll_group(std::vector<StoredSubscription> group);
    // Writes the updates of unchanged polls held back so far, in one transaction. Unchanged
    // polls (a 304, no event) are batched: losing them in a crash costs an early re-poll.
    bool flush(); // false: there was nothing to write
    // The index credentials of the subscriptions as configured now (Subscription::authorization,
    // from the index URL's userinfo), by origin: applied to each stored subscription when it is
    // polled, since the state file keeps none. Replaces what was set before.
    void use_index_credentials(std::vector<Subscription> const& configured);
    SourceRegistry const& sources() const { return sources_; }
    void set_router(Router router) { router_ = std::move(router); }

  private:
    // The stages of a poll: what the source asks this time, its requests, and the state
    // transaction for a failure or for what was observed.
    struct Fetched {
        Observation observed;
        std::optional<SourceError> failure;
        std::optional<std::chrono::seconds> pause; // the source asked to leave its host alone
        std::chrono::microseconds request_time{0};
        bool cancelled = false;
        std::string cancel_reason;
    };
    PollContext choose(StoredSubscription const& s, Source const& source) const;
    boost::asio::awaitable<Fetched> fetch(StoredSubscription const& s, Source const& source,
                                          PollContext const& ctx);
    PollOutcome record_failure(StoredSubscription const& s, Source const& source,
                               SourceError const& failure, std::optional<UnixTime> pause_until,
                               UnixTime now);
    PollOutcome record_success(StoredSubscription const& s, Source const& source,
                               Observation const& observed, std::optional<UnixTime> pause_until,
                               UnixTime now);
    // The diff's link from a new release to its notes where another source of the package
    // knows them (GitHub's release page); the other sources' states are read when the diff
    // first asks, so a poll without a new release reads nothing.
    ReleaseLinker release_links(StoredSubscription const& s) const;
    std::chrono::seconds interval_of(Subscription const& sub) const;
    UnixTime next_after_success(UnixTime now, Subscription const& sub);
    UnixTime next_after_failure(UnixTime now, Subscription const& sub, SourceError const& e,
                                int failures);
    void route(StateUpdate& update) const;
    static bool is_quiet(StateUpdate const& update);
    PollOutcome finish(StoredSubscription const& s, StateUpdate update,
                       std::optional<UnixTime> pause, std::string const& host);
    PollOutcome finish_group(std::vector<StateUpdate> updates, std::optional<UnixTime> pause,
                             std::string const& host);
    // A member of a shared poll whose pin differs from the one polled: what the source asks
    // about its own pin (its advisories), read into `observed`.
    boost::asio::awaitable<void> fetch_pin(StoredSubscription const& s, Source const& source,
                                           Observation& observed);
    void with_credentials(StoredSubscription& s) const;

    net::Client& client_;
    StateStore& store_;
    SourceRegistry const& sources_;
    Router router_;
    PollerOptions options_;
    DiffPolicy policy_; // from options_, the target Python parsed once
    std::map<std::string, DiffPolicy> project_policies_; // the projects with their own Python
    // The policy a subscription is judged by: its project's Python, else the team's.
    DiffPolicy const& policy_for(Subscription const& sub) const;
    Clock clock_;
    std::mt19937 rng_;
    std::vector<StateUpdate> deferred_;
    HostOutages outages_;                       // one failing/recovered pair per host in an outage
    std::map<std::string, Secret> credentials_; // origin -> "Basic ..."
};

UnixTime unix_now();

} // namespace pinwatch::watcher
