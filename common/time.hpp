// UTC timestamps as people and protocols read them. One formatter for every channel, so the
// console, Slack, mail and webhooks agree to the second. Standard library only.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
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

// "12s ago", "5m ago", "3h ago", "2d ago"; "never" without a time (for tables).
inline std::string time_ago(std::optional<std::int64_t> t, std::int64_t now) {
    if (!t) return "never";
    auto d = now - *t;
    if (d < 0) d = 0;
    if (d < 120) return std::to_string(d) + "s ago";
    if (d < 7200) return std::to_string(d / 60) + "m ago";
    if (d < 172800) return std::to_string(d / 3600) + "h ago";
    return std::to_string(d / 86400) + "d ago";
}

// "now", "in 40s", "in 5m", "in 3h" (for tables).
inline std::string time_until(std::int64_t t, std::int64_t now) {
    auto d = t - now;
    if (d <= 0) return "now";
    if (d < 120) return "in " + std::to_string(d) + "s";
    if (d < 7200) return "in " + std::to_string(d / 60) + "m";
    return "in " + std::to_string(d / 3600) + "h";
}

} // namespace pinwatch
