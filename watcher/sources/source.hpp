// Source: how one kind of place (a PyPI index, later GitHub) is asked about a subscription.
// A source builds requests and reads responses, a page or an endpoint at a time; it opens no
// socket, sleeps nowhere, logs nothing and never touches the state store. The poller does the
// I/O, follows the steps a source asks for, and handles every failure in one place.
#pragma once

#include "common/json.hpp"
#include "common/result.hpp"
#include "model/model.hpp"
#include "net/http.hpp"
#include "packaging/version.hpp"

#include <any>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace pinwatch::watcher {

using namespace pinwatch::model;

// Why a poll produced no observation, classified so it is handled in one place.
struct SourceError {
    enum class Kind {
        temporary,    // network trouble, 5xx: retry with capped backoff
        permanent,    // 4xx, a payload we cannot read: marked on the subscription
        rate_limited, // 429 / rate-limit headers: pause the whole host until retry_after
    };
    Kind kind = Kind::temporary;
    std::string message; // "pypi:requests: http 503"
    std::optional<std::chrono::seconds> retry_after;
};

inline std::ostream& operator<<(std::ostream& os, SourceError::Kind k) {
    switch (k) {
    case SourceError::Kind::temporary:
        return os << "temporary";
    case SourceError::Kind::permanent:
        return os << "permanent";
    case SourceError::Kind::rate_limited:
        return os << "rate_limited";
    }
    return os;
}

// What the engine knows of a subscription before its poll, for the source to choose what it
// asks this time (Source::prepare): plain values, copied from the state.
struct PollHistory {
    explicit PollHistory(Subscription const& s) : sub(s) {}
    Subscription const& sub;
    UnixTime now = 0;
    std::chrono::seconds interval{15 * 60};      // between polls of this subscription
    bool baseline_done = false;                  // a first poll was recorded
    std::optional<std::string> metadata_version; // the release whose metadata is stored
    // The last reading of the pinned version's advisories: for which version, when, its ETag,
    // and why it failed.
    std::optional<std::string> vulns_version, vulns_validator, vulns_error;
    std::optional<UnixTime> vulns_checked;
    // Release keys the other sources list for the same package (a query: asked on demand).
    std::function<std::vector<std::string>()> versions_elsewhere;
};

// What a poll starts from: what every source may use, and what this source chose to ask.
struct PollContext {
    std::optional<std::string> validator;    // sent as If-None-Match when set
    std::optional<std::string> source_state; // what the source kept from its last poll
    // What this source's prepare() chose for this poll, in the source's own type (PyPI: the
    // metadata and advisories to read; GitHub: the versions the other sources list). Empty:
    // the source's defaults.
    std::any asks;
};

// One request of a poll. `step` names it for the source's own parse (and for logs).
// An optional step (metadata) that fails leaves the poll with what it has.
struct SourceRequest {
    std::string step;
    std::string argument; // the source's own note for parse (a version, a page number)
    net::Request http;
    bool optional = false;
    int ordinal = 1; // the n-th request of this poll (set by the poller)
};

// What to do after one response: ask the next request (a page, another endpoint), and/or
// leave the whole host alone for a while (a rate limit that is near).
struct SourceStep {
    std::optional<SourceRequest> next;
    std::optional<std::chrono::seconds> pause_host;
};

// The key releases are matched by (packaging/version.hpp): sources fill Release::key with it.
using packaging::release_key;

// What `check` and `status` know of one subscription from the state file.
struct SubscriptionView {
    Subscription const& sub;
    bool active = true;
    PollStatus last_status = PollStatus::pending;
    std::optional<std::string> last_error;
    std::optional<std::string> source_state;
    std::optional<UnixTime> last_poll;
    UnixTime next_due = 0;
};

// A subscription a source adds for one of another source's (GitHub: the repository of a PyPI
// package): `from` is that one's index in the list it was derived from.
struct Derived {
    std::size_t from = 0;
    Subscription sub;
};

// What a source adds to one requirement's row of `check`: a cell in its column, words for the
// NOTES column, and the value of its key in the JSON (written by `json`).
struct CheckCell {
    std::string cell = "-";
    std::string notes;                     // sanitised; "" for nothing to say
    bool failed = false;                   // the source could not be asked about it (exit 3)
    std::function<void(JsonWriter&)> json; // unset: null
};

// The table of its own a source's subscriptions get in `status` (GitHub's repositories).
struct StatusTable {
    std::vector<std::string> headers;
    std::string counted; // the footer's words for the rows: "GitHub repositories"
};

// What the dashboard shows of one subscription a source derived for a package (GitHub: the
// package's repository): facts `evaluate`'s rules judge by, and a chart of counts per day.
struct PackageInsight {
    std::optional<std::string> repo;       // "owner/name", for people
    std::optional<std::string> repo_url;   // its web page
    std::optional<std::string> owner_type; // "organization" or "user"
    std::optional<bool> archived;
    std::optional<std::int64_t> open_issues;
    std::string no_repo; // why there is none, when repo is unset
    struct Daily {
        std::string what;                 // "new issues per day"
        std::vector<std::int64_t> counts; // oldest first; the last is the last 24 hours
        double threshold = 0;             // a last day at or above this is a spike
        bool spike = false;               // the last day is one
        int days_known = 0;               // the days of history the counts cover (newest last)
    };
    std::optional<Daily> daily;
};

// Adds the subscription's credentials (Subscription::authorization, from the index URL's
// userinfo) to a request for the origin of its locator, and to nothing else. The client keeps
// them on a same-origin redirect only and never sends them over plain http but to loopback.
inline void with_index_credentials(Subscription const& sub, net::Request& request) {
    if (sub.authorization.empty()) return;
    auto const mine = url_origin(sub.locator);
    if (mine.empty() || url_origin(request.url) != mine) return;
    for (auto const& h : request.headers)
        if (iequals(h.first, "Authorization")) return;
    request.header("Authorization", sub.authorization.reveal());
}

class Source {
  public:
    virtual ~Source() = default;
    virtual std::string_view kind() const noexcept = 0;
    // The budget a poll is counted against (one host, one API): polls of one host share its
    // concurrency limit and its rate-limit pauses.
    virtual std::string host(Subscription const& sub) const = 0;
    // Whether its subscriptions are packages with pins an advisory source (OSV) is asked about.
    virtual bool has_advisories() const noexcept { return false; }
    // At most this many polls of one host at once (nullopt: the scheduler's default).
    virtual std::optional<std::size_t> max_polls_per_host() const { return std::nullopt; }
    // What to ask in this poll, from what is known (PollContext::asks); the source may keep
    // its own memory between polls here (a backoff for a reading that keeps failing).
    virtual std::any prepare(PollHistory const& /*history*/) const { return {}; }
    // Where to read the notes of a release (by release key), from this source's state of the
    // same package: another source's new_release event carries it.
    virtual std::optional<std::string> release_link(std::string_view source_state,
                                                    std::string_view project,
                                                    std::string_view version_key) const {
        return std::nullopt;
    }
    virtual SourceRequest first_request(Subscription const& sub, PollContext const& ctx) const = 0;
    // A poll shared by several projects' subscriptions of one package reads the package once
    // (the listing, for the first of them); a request about another's own pin that this poll
    // did not make (PyPI: the advisories of a different pinned version) comes from here. It is
    // parsed by parse() like any step; what that asks next is not followed. Nullopt: nothing
    // of its own (a note of why may be left in `into`).
    virtual std::optional<SourceRequest> pin_request(Subscription const& /*sub*/,
                                                     PollContext const& /*ctx*/,
                                                     Observation& /*into*/) const {
        return std::nullopt;
    }
    // Reads one response into `into` and says what comes next.
    virtual Result<SourceStep, SourceError> parse(Subscription const& sub, PollContext const& ctx,
                                                  SourceRequest const& request,
                                                  net::Response const& response,
                                                  Observation& into) const = 0;
    // An optional step got no answer at all (network trouble): the source may note it in the
    // observation (advisories that could not be read). The poll goes on without that step.
    virtual void optional_step_failed(Subscription const&, PollContext const&, SourceRequest const&,
                                      std::string const& /*message*/, Observation&) const {}

    // Subscriptions this source derives from the other sources' (the daemon's reload and
    // `check` add them); `warnings` gets what the operator should hear once.
    virtual std::vector<Derived> derive(std::vector<Subscription> const& /*subscriptions*/,
                                        std::vector<std::string>& /*warnings*/) const {
        return {};
    }
    // `check`: the column this source adds (nullopt: none) and its cells, for a requirement of
    // another source; `own` is this source's subscription derived from it, if any.
    virtual std::optional<std::string> check_column() const { return std::nullopt; }
    virtual CheckCell check_cell(Subscription const& /*requirement*/,
                                 SubscriptionView const* /*own*/, UnixTime /*now*/) const {
        return {};
    }
    // `status`: a table of its own for this source's subscriptions (nullopt: they are listed
    // as packages), and one row of it.
    virtual std::optional<StatusTable> status_table() const { return std::nullopt; }
    virtual std::vector<std::string> status_row(SubscriptionView const& /*s*/,
                                                UnixTime /*now*/) const {
        return {};
    }
    // The dashboard: what this source's subscription adds to its package's page and health
    // verdict (nullopt: nothing).
    virtual std::optional<PackageInsight> insight(SubscriptionView const& /*s*/,
                                                  UnixTime /*now*/) const {
        return std::nullopt;
    }
};

} // namespace pinwatch::watcher
