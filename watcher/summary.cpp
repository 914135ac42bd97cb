#include "watcher/summary.hpp"

#include "packaging/specifier.hpp"
#include "packaging/version.hpp"
#include "watcher/diff.hpp"

#include <algorithm>

namespace pinwatch::watcher {

using packaging::Version;

ReleaseSummary summarize(Subscription const& sub, std::vector<StoredRelease> const& releases) {
    ReleaseSummary out;
    struct Parsed {
        Version v;
        StoredRelease const* r;
    };
    std::vector<Parsed> parsed;
    parsed.reserve(releases.size());
    for (auto const& r : releases)
        if (auto v = Version::parse(r.version)) parsed.push_back({std::move(*v), &r});
    std::sort(parsed.begin(), parsed.end(),
              [](Parsed const& a, Parsed const& b) { return a.v < b.v; });

    std::optional<Version> pin;
    if (sub.pinned)
        if (auto p = Version::parse(*sub.pinned)) pin = std::move(*p);

    auto const spec = packaging::SpecifierSet::parse(sub.specifier);
    std::optional<bool> const pre_flag = sub.prereleases ? std::optional<bool>(true) : std::nullopt;
    // Pre-releases count as "newer" only where the requirement would accept them: `--pre`, or a
    // specifier that itself names a pre-release (packaging's implicit rule).
    bool const pre_ok = sub.prereleases || (spec && spec->prereleases().value_or(false));

    std::vector<Version> candidates;
    std::vector<std::string const*> spelling; // the index's spelling of each candidate
    for (auto const& p : parsed) {
        if (pin && p.v == *pin) {
            out.pin_found = true;
            if (p.r->yanked) {
                out.pin_yanked = true;
                out.pin_yank_reason = p.r->yank_reason;
            }
        }
        if (p.r->yanked) continue;
        candidates.push_back(p.v);
        spelling.push_back(&p.r->version);
        if (pin && p.v > *pin && (pre_ok || !p.v.is_prerelease()))
            out.newer.push_back(p.r->version);
    }
    for (std::size_t i = candidates.size(); i-- > 0;)
        if (!candidates[i].is_prerelease()) {
            out.latest = *spelling[i];
            break;
        }
    if (!out.latest && !candidates.empty()) out.latest = *spelling.back();
    if (spec) {
        auto allowed = spec->filter(candidates, pre_flag);
        if (!allowed.empty()) {
            auto const best = *std::max_element(allowed.begin(), allowed.end());
            // candidates are sorted: the last equal one is the spelling to show
            for (std::size_t i = candidates.size(); i-- > 0;)
                if (candidates[i] == best) {
                    out.latest_allowed = *spelling[i];
                    break;
                }
        }
    }
    if (pin) {
        out.update_type =
            out.newer.empty() ? UpdateType::none : classify_update(pin->str(), out.newer.back());
    }
    return out;
}

ReleaseSummary summarize(Subscription const& sub,
                         std::map<std::string, StoredRelease> const& releases) {
    std::vector<StoredRelease> v;
    v.reserve(releases.size());
    for (auto const& [_, r] : releases)
        v.push_back(r);
    return summarize(sub, v);
}

} // namespace pinwatch::watcher
