// Poller: polls one subscription end to end — request, response, parse, diff, one state
// transaction — and decides when it is due next. This is where failures are classified and
// logged (once), so sources and the store stay free of policy.
#pragma once

#include "net/client.hpp"
#include "watcher/diff.hpp"
#include "watcher/pypi_source.hpp"
#include "watcher/state_store.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <random>
#include <string>

namespace pinwatch::watcher {

struct PollerOptions {
    std::chrono::seconds interval{15 * 60};
    double jitter = 0.1;              // next poll in interval * (1 +/- jitter)
    std::chrono::seconds max_backoff{15 * 60}; // temporary failures retry sooner, capped here
    int failing_after = 3;
    bool fetch_metadata = true;       // summary/project URLs when a new latest appears
};

struct PollOutcome {
    std::string status;               // "ok", "unchanged", "gone", "error"
    std::optional<std::string> error;
    std::size_t events = 0;
    UnixTime next_due = 0;
};

class Poller {
public:
    using Clock = std::function<UnixTime()>;
    Poller(net::Client& client, StateStore& store, PollerOptions options, Clock clock = {});

    boost::asio::awaitable<PollOutcome> poll(StoredSubscription subscription);


private:
    boost::asio::awaitable<void> refresh_metadata(StoredSubscription const& s);
    std::chrono::seconds interval_of(Subscription const& sub) const;
    UnixTime next_after_success(UnixTime now, Subscription const& sub);
    UnixTime next_after_failure(UnixTime now, Subscription const& sub, SourceError const& e, int failures);

    net::Client& client_;
    StateStore& store_;
    PollerOptions options_;
    Clock clock_;
    PypiSource pypi_;
    std::mt19937 rng_;
};

UnixTime unix_now();

} // namespace pinwatch::watcher
