// UTC timestamps as people and protocols read them. One formatter for every channel, so the
// console, Slack, mail and webhooks agree to the second. Standard library only.
#pragma once

#include <cstdint>
#include <ctime>
#include <string>

namespace pinwatch {

// "2026-11-24 21:40:02Z" (for people).
inline std::string utc_text(std::int64_t unix_seconds) {
    char buf[32] = "";
    std::time_t const t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm);
    return buf;
}

// "2026-11-24T21:40:02Z" (RFC 3339, for machines).
inline std::string rfc3339(std::int64_t unix_seconds) {
    auto s = utc_text(unix_seconds);
    s[10] = 'T';
    return s;
}

} // namespace pinwatch
