#include "watcher/model.hpp"

namespace pinwatch::watcher {
namespace {
constexpr std::pair<EventKind, char const*> kEventNames[] = {
    {EventKind::new_release, "new_release"},
    {EventKind::release_yanked, "release_yanked"},
    {EventKind::release_unyanked, "release_unyanked"},
    {EventKind::pinned_yanked, "pinned_yanked"},
    {EventKind::release_removed, "release_removed"},
    {EventKind::package_gone, "package_gone"},
    {EventKind::source_failing, "source_failing"},
    {EventKind::source_recovered, "source_recovered"},
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
    switch (t) {
    case UpdateType::major: return "major";
    case UpdateType::minor: return "minor";
    case UpdateType::patch: return "patch";
    case UpdateType::prerelease: return "pre-release";
    case UpdateType::older: return "older";
    case UpdateType::none: return "none";
    }
    return "none";
}

} // namespace pinwatch::watcher
