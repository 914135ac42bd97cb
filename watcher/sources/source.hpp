// Source: how one kind of place (a PyPI index, later GitHub) is asked about a subscription.
// A source builds requests and reads responses, a page or an endpoint at a time; it opens no
// socket, sleeps nowhere, logs nothing and never touches the state store. The poller does the
// I/O, follows the steps a source asks for, and handles every failure in one place.
#pragma once

#include "common/result.hpp"
#include "model/model.hpp"
#include "net/http.hpp"
#include "packaging/version.hpp"

#include <chrono>
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

// What the source may know from earlier polls, and what the caller wants this time.
struct PollContext {
    std::optional<std::string> validator;        // sent as If-None-Match when set
    std::optional<std::string> metadata_version; // release whose metadata is stored
    bool want_metadata = true; // `check` prints versions only and skips the extra request
    // Read the advisories of this version (the pin) in this poll: they are due. The sources
    // that can (PyPI's per-version JSON) fill Observation::vulnerabilities.
    std::optional<std::string> vulnerabilities_for;
    std::optional<std::string> vulnerability_validator; // ETag of the last reading of it
    std::optional<std::string> source_state;            // what the source kept from its last poll
    // Versions other sources list for the same package (GitHub: which tags PyPI has), as
    // release keys.
    std::vector<std::string> other_versions;
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
    // At most this many polls of one host at once (nullopt: the scheduler's default).
    virtual std::optional<std::size_t> max_polls_per_host() const { return std::nullopt; }
    // Whether PollContext::other_versions is wanted (it costs a query per poll).
    virtual bool wants_other_versions() const { return false; }
    // Where to read the notes of a release (by release key), from this source's state of the
    // same package: another source's new_release event carries it.
    virtual std::optional<std::string> release_link(std::string_view source_state,
                                                    std::string_view project,
                                                    std::string_view version_key) const {
        return std::nullopt;
    }
    virtual SourceRequest first_request(Subscription const& sub, PollContext const& ctx) const = 0;
    // Reads one response into `into` and says what comes next.
    virtual Result<SourceStep, SourceError> parse(Subscription const& sub, PollContext const& ctx,
                                                  SourceRequest const& request,
                                                  net::Response const& response,
                                                  Observation& into) const = 0;
    // An optional step got no answer at all (network trouble): the source may note it in the
    // observation (advisories that could not be read). The poll goes on without that step.
    virtual void optional_step_failed(Subscription const&, SourceRequest const&,
                                      std::string const& /*message*/, Observation&) const {}
};

} // namespace pinwatch::watcher
