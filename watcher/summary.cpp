#include "watcher/summary.hpp"

#include "packaging/specifier.hpp"
#include "packaging/version.hpp"
#include "watcher/diff.hpp"

#include <algorithm>

namespace pinwatch::watcher {
namespace {

using packaging::Version;

// The non-yanked releases, parsed once, in the index's order. Linear scans, no sort of the
// whole list: a project with 3,000 releases is summarised for every row of every `check`.
struct Candidates {
    std::vector<Version> versions;
    std::vector<StoredRelease const*> releases; // the release of each version
    std::vector<std::size_t> newer;             // above the pin (unsorted until sort_newer)
    std::optional<std::size_t> best_final, best_any;
    std::optional<UnixTime> pin_upload; // the pinned release's upload
};

// Reads every release once: the pin's own state, and the candidates for the other stages.
Candidates scan(Subscription const& sub, std::vector<StoredRelease> const& releases,
                ReleaseSummary& out) {
    auto const& pin = sub.parsed->pinned;
    // Pre-releases count as "newer" only where the requirement would accept them.
    bool const pre_ok = sub.parsed->prereleases_wanted;
    Candidates c;
    c.versions.reserve(releases.size());
    c.releases.reserve(releases.size());
    for (auto const& r : releases) {
        auto v = Version::parse(r.version);
        if (!v) continue;
        if (pin && *v == *pin) {
            out.pin_found = true;
            c.pin_upload = r.upload_time;
            if (r.yanked) {
                out.pin_yanked = true;
                out.pin_yank_reason = r.yank_reason;
            }
        }
        if (r.yanked) continue;
        std::size_t const at = c.versions.size();
        bool const pre = v->is_prerelease();
        if (pin && *v > *pin && (pre_ok || !pre)) c.newer.push_back(at);
        c.versions.push_back(std::move(*v));
        c.releases.push_back(&r);
        // Equal versions spelled twice: the later spelling wins.
        auto const raise = [&](std::optional<std::size_t>& best) {
            if (!best || !(c.versions[at] < c.versions[*best])) best = at;
        };
        raise(c.best_any);
        if (!pre) raise(c.best_final);
    }
    // Only the (usually few) versions newer than the pin are sorted.
    std::stable_sort(c.newer.begin(), c.newer.end(),
                     [&](std::size_t a, std::size_t b) { return c.versions[a] < c.versions[b]; });
    return c;
}

// Whether the newest of `newer` drops the target Python, and the newest that still runs on it.
// A target that is no PEP 440 version judges nothing (drops_python stays unknown).
void judge_python(Candidates const& c, std::optional<Version> const& python, ReleaseSummary& out) {
    auto const excludes = [&](std::string const& requires_python) -> std::optional<bool> {
        auto const spec = packaging::SpecifierSet::parse(requires_python);
        if (!spec || !python) return std::nullopt;
        return !spec->contains(*python, true); // as pip judges it: pre-release Pythons count
    };
    auto const& rp = c.releases[c.newer.back()]->requires_python;
    if (rp) {
        out.drops_python = excludes(*rp);
        if (out.drops_python) out.drops_requires_python = rp;
    }
    for (auto it = c.newer.rbegin(); it != c.newer.rend(); ++it) {
        auto const& r = c.releases[*it]->requires_python;
        if (!r || excludes(*r) != true) {
            out.newest_for_python = c.releases[*it]->version;
            break;
        }
    }
}

// The newest non-yanked version the specifier allows (the index's spelling of it).
std::optional<std::string> latest_allowed(Subscription const& sub, Candidates const& c) {
    auto const& spec = sub.parsed->specifier;
    if (!spec) return std::nullopt;
    auto const allowed = spec->filter_indices(
        c.versions, sub.prereleases ? std::optional<bool>(true) : std::nullopt);
    if (allowed.empty()) return std::nullopt;
    auto const best = *std::max_element(allowed.begin(), allowed.end(), [&](auto a, auto b) {
        return c.versions[a] < c.versions[b];
    });
    for (std::size_t i = c.versions.size(); i-- > 0;)
        if (c.versions[i] == c.versions[best]) return c.releases[i]->version;
    return std::nullopt;
}

ReleaseSummary summarize_parsed(Subscription const& sub, std::vector<StoredRelease> const& releases,
                                std::optional<std::string> const& python) {
    ReleaseSummary out;
    auto const c = scan(sub, releases, out);
    auto const latest = c.best_final ? c.best_final : c.best_any;
    if (latest) {
        out.latest = c.releases[*latest]->version;
        auto const& latest_upload = c.releases[*latest]->upload_time;
        if (c.pin_upload && latest_upload)
            out.libyears = libyears_between(*c.pin_upload, *latest_upload);
    }
    for (auto i : c.newer)
        out.newer.push_back(c.releases[i]->version);
    if (python && !c.newer.empty()) {
        auto target = Version::parse(*python);
        judge_python(c, target ? std::optional(std::move(*target)) : std::nullopt, out);
    }
    out.latest_allowed = latest_allowed(sub, c);
    if (auto const& pin = sub.parsed->pinned)
        out.update_type =
            c.newer.empty() ? UpdateType::none : classify_update(*pin, c.versions[c.newer.back()]);
    return out;
}

} // namespace

double libyears_between(UnixTime pinned_upload, UnixTime latest_upload) {
    constexpr double kYear = 365.25 * 86400;
    return latest_upload > pinned_upload
               ? static_cast<double>(latest_upload - pinned_upload) / kYear
               : 0.0;
}

ReleaseSummary summarize(Subscription const& sub, std::vector<StoredRelease> const& releases,
                         std::optional<std::string> const& python) {
    if (sub.parsed) return summarize_parsed(sub, releases, python);
    Subscription copy = sub; // built by hand: parse its fields first
    parse_fields(copy);
    return summarize_parsed(copy, releases, python);
}

ReleaseSummary summarize(Subscription const& sub,
                         std::map<std::string, StoredRelease> const& releases,
                         std::optional<std::string> const& python) {
    std::vector<StoredRelease> v;
    v.reserve(releases.size());
    for (auto const& [_, r] : releases)
        v.push_back(r);
    return summarize(sub, v, python);
}

} // namespace pinwatch::watcher
