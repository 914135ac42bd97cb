#include "watcher/summary.hpp"

#include "packaging/specifier.hpp"
#include "packaging/version.hpp"
#include "watcher/diff.hpp"

#include <algorithm>

namespace pinwatch::watcher {

using packaging::Version;

ReleaseSummary summarize(Subscription const& sub, std::vector<StoredRelease> const& releases,
                         std::optional<std::string> const& python) {
    // Linear scans, no sort of the whole list: a project with 3,000 releases is summarised for
    // every row of every `check`. Only the (usually few) versions newer than the pin are sorted.
    ReleaseSummary out;
    std::optional<Version> pin;
    if (sub.pinned)
        if (auto p = Version::parse(*sub.pinned)) pin = std::move(*p);

    auto const spec = packaging::SpecifierSet::parse(sub.specifier);
    std::optional<bool> const pre_flag = sub.prereleases ? std::optional<bool>(true) : std::nullopt;
    // Pre-releases count as "newer" only where the requirement would accept them: `--pre`, or a
    // specifier that itself names a pre-release (packaging's implicit rule).
    bool const pre_ok = sub.prereleases || (spec && spec->prereleases().value_or(false));

    std::vector<Version> candidates;          // non-yanked, parsed
    std::vector<std::string const*> spelling; // the index's spelling of each candidate
    std::vector<std::optional<std::string> const*> requires_python; // of each candidate
    candidates.reserve(releases.size());
    spelling.reserve(releases.size());
    std::vector<std::size_t> newer;
    std::optional<std::size_t> best_final, best_any;
    for (auto const& r : releases) {
        auto v = Version::parse(r.version);
        if (!v) continue;
        if (pin && *v == *pin) {
            out.pin_found = true;
            if (r.yanked) {
                out.pin_yanked = true;
                out.pin_yank_reason = r.yank_reason;
            }
        }
        if (r.yanked) continue;
        std::size_t const at = candidates.size();
        bool const pre = v->is_prerelease();
        if (pin && *v > *pin && (pre_ok || !pre)) newer.push_back(at);
        candidates.push_back(std::move(*v));
        spelling.push_back(&r.version);
        requires_python.push_back(&r.requires_python);
        // Equal versions spelled twice: the later spelling wins.
        if (!best_any || !(candidates[at] < candidates[*best_any])) best_any = at;
        if (!pre && (!best_final || !(candidates[at] < candidates[*best_final]))) best_final = at;
    }
    if (best_final)
        out.latest = *spelling[*best_final];
    else if (best_any)
        out.latest = *spelling[*best_any];
    std::stable_sort(newer.begin(), newer.end(),
                     [&](std::size_t a, std::size_t b) { return candidates[a] < candidates[b]; });
    for (auto i : newer)
        out.newer.push_back(*spelling[i]);
    if (python && !newer.empty()) {
        auto const& rp = *requires_python[newer.back()];
        if (rp) {
            out.drops_python = excludes_python(*rp, *python);
            if (out.drops_python) out.drops_requires_python = rp;
        }
        for (auto it = newer.rbegin(); it != newer.rend(); ++it) {
            auto const& r = *requires_python[*it];
            if (!r || excludes_python(*r, *python) != true) {
                out.newest_for_python = *spelling[*it];
                break;
            }
        }
    }
    if (spec) {
        auto allowed = spec->filter(candidates, pre_flag);
        if (!allowed.empty()) {
            auto const best = *std::max_element(allowed.begin(), allowed.end());
            for (std::size_t i = candidates.size(); i-- > 0;)
                if (candidates[i] == best) {
                    out.latest_allowed = *spelling[i];
                    break;
                }
        }
    }
    if (pin)
        out.update_type =
            out.newer.empty() ? UpdateType::none : classify_update(pin->str(), out.newer.back());
    return out;
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
