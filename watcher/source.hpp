// Source: turns a Subscription into an HTTP request and an HTTP response into an Observation.
// A source opens no socket, sleeps nowhere, logs nothing and never touches the state store;
// the poller does the I/O, retries and bookkeeping. New sources (GitHub) implement this.
#pragma once

#include "common/result.hpp"
#include "net/http.hpp"
#include "watcher/model.hpp"

#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

namespace pinwatch::watcher {

// Why a poll produced no observation, classified so it is handled in one place.
struct SourceError {
    enum class Kind {
        temporary,    // network trouble, 5xx: retry with capped backoff
        permanent,    // 4xx, a payload we cannot read: marked on the subscription
        rate_limited, // 429 / rate-limit headers: pause that host until retry_after
    };
    Kind kind = Kind::temporary;
    std::string message; // "pypi:requests: http 503"
    std::optional<std::chrono::seconds> retry_after;
};

inline std::ostream& operator<<(std::ostream& os, SourceError::Kind k) {
    switch (k) {
    case SourceError::Kind::temporary: return os << "temporary";
    case SourceError::Kind::permanent: return os << "permanent";
    case SourceError::Kind::rate_limited: return os << "rate_limited";
    }
    return os;
}

// What the source needs to know besides the subscription: the validators stored last time.
struct PollContext {
    std::optional<std::string> etag;
};

// The key releases are matched by: the normalised PEP 440 version ("1.0.0-RC1" -> "1.0.0rc1"),
// or the lowercased text for legacy versions packaging cannot parse. Sources fill
// ReleaseInfo::key with it; the diff uses it for stored releases.
std::string release_key(std::string_view version);

class Source {
public:
    virtual ~Source() = default;
    virtual std::string_view kind() const noexcept = 0;
    virtual net::Request request_for(Subscription const& sub, PollContext const& ctx) const = 0;
    virtual Result<Observation, SourceError> parse(Subscription const& sub,
                                                   net::Response const& response) const = 0;
};

} // namespace pinwatch::watcher
