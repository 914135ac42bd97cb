#include "model/model.hpp"

#include <algorithm>
#include <utility>

namespace pinwatch::model {
namespace {
constexpr std::pair<EventKind, char const*> kEventNames[] = {
    {EventKind::new_release, "new_release"},
    {EventKind::release_yanked, "release_yanked"},
    {EventKind::release_unyanked, "release_unyanked"},
    {EventKind::pinned_yanked, "pinned_yanked"},
    {EventKind::pin_not_found, "pin_not_found"},
    {EventKind::release_removed, "release_removed"},
    {EventKind::package_gone, "package_gone"},
    {EventKind::source_failing, "source_failing"},
    {EventKind::source_recovered, "source_recovered"},
};
constexpr std::pair<UpdateType, char const*> kUpdateNames[] = {
    {UpdateType::major, "major"}, {UpdateType::minor, "minor"},
    {UpdateType::patch, "patch"}, {UpdateType::prerelease, "pre-release"},
    {UpdateType::older, "older"}, {UpdateType::none, "none"},
};
constexpr std::pair<PollStatus, char const*> kPollNames[] = {
    {PollStatus::pending, ""},  {PollStatus::ok, "ok"},       {PollStatus::unchanged, "unchanged"},
    {PollStatus::gone, "gone"}, {PollStatus::error, "error"}, {PollStatus::cancelled, "cancelled"},
};
} // namespace

char const* to_string(EventKind k) noexcept {
    for (auto const& [kind, name] : kEventNames)
        if (kind == k) return name;
    return "unknown";
}

std::optional<EventKind> event_kind_from_string(std::string_view s) noexcept {
    for (auto const& [kind, name] : kEventNames)
        if (s == name) return kind;
    return std::nullopt;
}

char const* to_string(UpdateType t) noexcept {
    for (auto const& [type, name] : kUpdateNames)
        if (type == t) return name;
    return "none";
}

std::optional<UpdateType> update_type_from_string(std::string_view s) noexcept {
    if (s == "prerelease") s = "pre-release";
    for (auto const& [type, name] : kUpdateNames)
        if (s == name) return type;
    return std::nullopt;
}

char const* to_string(PollStatus s) noexcept {
    for (auto const& [status, name] : kPollNames)
        if (status == s) return name;
    return "";
}

PollStatus poll_status_from_string(std::string_view s) noexcept {
    for (auto const& [status, name] : kPollNames)
        if (s == name) return status;
    return PollStatus::pending;
}

bool glob_match(std::string_view p, std::string_view t) noexcept {
    // Iterative matcher with one backtrack point: linear in practice, no recursion.
    std::size_t pi = 0, ti = 0, star = std::string_view::npos, mark = 0;
    while (ti < t.size()) {
        if (pi < p.size() && (p[pi] == '?' || p[pi] == t[ti])) {
            ++pi, ++ti;
        } else if (pi < p.size() && p[pi] == '*') {
            star = pi++;
            mark = ti;
        } else if (star != std::string_view::npos) {
            pi = star + 1;
            ti = ++mark;
        } else {
            return false;
        }
    }
    while (pi < p.size() && p[pi] == '*')
        ++pi;
    return pi == p.size();
}

bool route_accepts(Route const& r, Event const& e) {
    if (!r.events.empty() && !r.events.count(e.kind)) return false;
    if (!r.packages.empty() &&
        std::none_of(r.packages.begin(), r.packages.end(),
                     [&](std::string const& g) { return glob_match(g, e.package); }))
        return false;
    if (!r.update_types.empty() && e.kind == EventKind::new_release &&
        (!e.update || !r.update_types.count(*e.update)))
        return false;
    return true;
}

} // namespace pinwatch::model
