// Message authentication for what pinwatch sends: HMAC-SHA256 (Standard Webhooks signatures)
// and a constant-time comparison. OpenSSL stays in crypto.cpp; notifiers see bytes in, bytes out.
#pragma once

#include <string>
#include <string_view>

namespace pinwatch::net {

// HMAC-SHA256 of `data` keyed by `key`: 32 raw bytes.
std::string hmac_sha256(std::string_view key, std::string_view data);

// SHA-256 of `data`: 32 raw bytes (the dashboard's Content-Security-Policy hashes).
std::string sha256(std::string_view data);

// Whether a and b hold the same bytes, in time that depends only on their lengths.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

} // namespace pinwatch::net
