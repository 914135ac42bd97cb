// The advisory round: the pins' advisories read from an advisory source (OSV) for many
// subscriptions at once — one batch request per 1,000 pins, then only the records not known
// or changed since — judged per pin, diffed against what was told, and written with their
// events in one transaction. The daemon runs a round when pins are due; `check` runs one over
// every pin. Names matching [advisories] private are never asked about.
#pragma once

#include "net/client.hpp"
#include "watcher/dispatcher.hpp"
#include "watcher/sources/advisory.hpp"
#include "watcher/state/store.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace pinwatch::watcher {

struct AdvisoryRoundResult {
    std::size_t pins = 0;    // pins asked about
    std::size_t batches = 0; // batch requests (pages included)
    std::size_t records = 0; // records fetched
    std::size_t events = 0;  // vulnerability and vulnerability_withdrawn events
    // The batch could not be read (every pin's reading says why); the caller backs off.
    std::optional<std::string> error;
    bool cancelled = false; // shutting down: nothing was written
};

// Whether a pinned subscription's advisories are due at `now`: never read, read for another
// pin, last reading failed, or older than `interval`.
bool advisories_due(StoredSubscription const& s, std::chrono::seconds interval, UnixTime now);

// One round over `subs` (those without a pin, or whose name `private_names` matches, are left
// out). Reads and writes the records and readings through `store`; events are routed by
// `router`.
boost::asio::awaitable<AdvisoryRoundResult> read_advisories(net::Client& client, StateStore& store,
                                                            AdvisorySource const& source,
                                                            PrivateNames const& private_names,
                                                            std::vector<StoredSubscription> subs,
                                                            Router const& router, UnixTime now);

// What the operator should hear once: how many names of packages from an index other than
// pypi.org go to which advisory service, and how to keep them here. nullopt: none do.
std::optional<std::string> advisory_disclosure(std::vector<Subscription> const& requirements,
                                               AdvisorySettings const& settings,
                                               std::string_view how_to_hold_back);

} // namespace pinwatch::watcher
