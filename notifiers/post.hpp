// What the channels that POST to a URL (Slack, webhook) share: reading Retry-After, keeping
// the secret URL out of every message, excerpts of error bodies, and remembering what already
// arrived so a retried batch does not repeat it. Pure helpers; no channel's own rules here.
#pragma once

#include "common/secret.hpp"
#include "net/http.hpp"

#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace pinwatch::config {
struct Reader;
struct ChannelTable;
} // namespace pinwatch::config

namespace pinwatch::notifiers {

// The longest pause a receiver's Retry-After may impose; a larger ask is clamped to it.
inline constexpr std::chrono::seconds kMaxRetryAfter{3600};

// net::parse_retry_after clamped to [0, kMaxRetryAfter]; nullopt when absent or unreadable.
std::optional<std::chrono::seconds>
retry_after(net::Response const& response,
            std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// `text` with every trace of `url` replaced by "<redacted>": the URL as given and as redacted,
// its path, each path segment (of 4 characters or more) and its query (a Slack webhook's path
// is its token); and the same for every secret the process has resolved (remembered_secrets in
// common/secret.hpp: signing keys, tokens, passwords). For client error messages and bodies
// echoed back by a server.
std::string scrub(std::string_view text, std::string_view url);

// `text` with every occurrence of `secret` replaced by "<redacted>" (one shorter than 4
// characters is too common to be a credential and is left alone).
std::string redact_all(std::string text, std::string_view secret);

// For the channels that post: `[<where>]: missing key '<key>' (<what>, or env:NAME, ...)`
// unless the table has it.
void require_key(config::Reader& r, config::ChannelTable const& t, std::string const& key,
                 std::string const& what);
// The endpoint `key` names (a secret reference resolved and checked by config::check_endpoint)
// into `out`, when the table has it.
void read_endpoint(config::Reader& r, config::ChannelTable const& t, std::string const& key,
                   Secret& out);

// The start of a response body, safe for an error message: scrubbed of `url`, sanitised
// (no control characters), at most `max_chars` characters ("..." marks a cut).
std::string body_excerpt(std::string_view body, std::string_view url, std::size_t max_chars = 200);

// Text cut to at most `max_chars` characters (never inside a UTF-8 sequence), `marker` added
// where it was cut.
std::string truncate_text(std::string_view text, std::size_t max_chars,
                          std::string_view marker = "…");

// A small memory of keys (event ids, a message's ids) delivered recently. When a batch fails
// half-way, the dispatcher retries all of it; what already arrived is skipped instead of sent
// twice. Bounded: the oldest keys are forgotten first.
class RecentlyDelivered {
  public:
    explicit RecentlyDelivered(std::size_t capacity = 1024) : capacity_(capacity) {}
    bool contains(std::string_view key) const;
    void remember(std::string key);
    void forget(std::string_view key);

  private:
    std::size_t capacity_;
    std::deque<std::string> keys_;
};

} // namespace pinwatch::notifiers
