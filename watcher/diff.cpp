#include "watcher/diff.hpp"

#include "packaging/specifier.hpp"
#include "packaging/version.hpp"

#include <algorithm>

namespace pinwatch::watcher {
namespace {

using packaging::Version;

Event make_event(StoredSubscription const& s, EventKind kind, UnixTime now) {
    Event e;
    e.kind = kind;
    e.package = s.sub.name;
    e.index_url = s.sub.index_url;
    e.pinned = s.sub.pinned;
    e.specifier = s.sub.specifier;
    e.at = now;
    return e;
}

bool is_pinned_version(Subscription const& sub, std::string const& version) {
    if (!sub.pinned) return false;
    auto const pin = Version::parse(*sub.pinned);
    auto const v = Version::parse(version);
    if (pin && v) return *pin == *v;
    return *sub.pinned == version;
}

// Without a pin, a new release is classified against the newest release known before it
// (finals preferred), which is what "how big is this jump" means for a range requirement.
std::optional<std::string> reference_version(Subscription const& sub,
                                             std::map<std::string, StoredRelease> const& known) {
    if (sub.pinned && Version::parse(*sub.pinned)) return sub.pinned;
    std::optional<Version> best_final, best_any;
    for (auto const& [text, r] : known) {
        auto v = Version::parse(text);
        if (!v || r.yanked) continue;
        if (!best_any || *v > *best_any) best_any = *v;
        if (!v->is_prerelease() && (!best_final || *v > *best_final)) best_final = *v;
    }
    if (best_final) return best_final->str();
    if (best_any) return best_any->str();
    return std::nullopt;
}

void set_common(StateUpdate& u, StoredSubscription const& s, UnixTime now, UnixTime next_due) {
    u.subscription_id = s.id;
    u.now = now;
    u.next_due = next_due;
    u.baseline_done = s.baseline_done;
}

// A success after a run of failures that was reported is worth one "recovered" message.
void maybe_recovered(StateUpdate& u, StoredSubscription const& s, UnixTime now, DiffPolicy const& p) {
    if (s.consecutive_failures >= p.failing_after) {
        auto e = make_event(s, EventKind::source_recovered, now);
        e.detail = "polls succeed again after " + std::to_string(s.consecutive_failures) + " failures";
        u.events.push_back(std::move(e));
    }
}

} // namespace

UpdateType classify_update(std::string const& reference, std::string const& candidate) {
    auto const ref = Version::parse(reference);
    auto const cand = Version::parse(candidate);
    if (!ref || !cand) return UpdateType::none;
    if (*cand <= *ref) return UpdateType::older;
    if (cand->is_prerelease()) return UpdateType::prerelease;
    if (cand->epoch_str() != ref->epoch_str() || cand->release_str(0) != ref->release_str(0))
        return UpdateType::major;
    if (cand->release_str(1) != ref->release_str(1)) return UpdateType::minor;
    return UpdateType::patch;
}

bool specifier_allows(Subscription const& sub, std::string const& version) {
    auto const v = Version::parse(version);
    auto const spec = packaging::SpecifierSet::parse(sub.specifier);
    if (!v || !spec) return false;
    return spec->contains(*v, sub.prereleases ? std::optional<bool>(true) : std::nullopt);
}

StateUpdate diff(StoredSubscription const& s, std::map<std::string, StoredRelease> const& known,
                 Observation const& obs, UnixTime now, UnixTime next_due, DiffPolicy const& policy) {
    StateUpdate u;
    set_common(u, s, now, next_due);
    u.consecutive_failures = 0;

    if (obs.status == Observation::Status::not_modified) {
        u.status = "unchanged";
        maybe_recovered(u, s, now, policy);
        return u;
    }
    if (obs.status == Observation::Status::gone) {
        u.status = "gone";
        u.error = "the index has no project named " + s.sub.name;
        u.clear_etag = true;
        if (s.baseline_done && s.last_status != "gone") {
            auto e = make_event(s, EventKind::package_gone, now);
            e.detail = *u.error;
            u.events.push_back(std::move(e));
        }
        return u;
    }

    u.status = "ok";
    u.etag = obs.etag;
    u.clear_etag = !obs.etag.has_value();
    u.last_serial = obs.last_serial;

    // An index that suddenly lists nothing for a project it knew is far more likely broken
    // (a bad mirror sync, a proxy error page) than a project with every release deleted; PyPI
    // itself answers 404 for that. Refuse the observation instead of announcing mass removals.
    if (obs.releases.empty() && !known.empty()) {
        u.status = "error";
        u.error = "pypi:" + s.sub.name + ": the index listed no releases; keeping the known ones";
        u.clear_etag = true; // make the next poll fetch the full page again
        u.etag.reset();
        u.consecutive_failures = s.consecutive_failures + 1;
        return u;
    }

    bool const baseline = !s.baseline_done;
    u.baseline_done = true;
    auto const reference = baseline ? std::nullopt : reference_version(s.sub, known);

    std::map<std::string, bool> seen;
    for (auto const& r : obs.releases) {
        seen[r.version] = true;
        auto const it = known.find(r.version);
        if (it == known.end()) {
            StoredRelease stored{r.version, now, r.upload_time, r.yanked, r.yank_reason};
            u.upserts.push_back(stored);
            if (baseline) continue;
            auto e = make_event(s, EventKind::new_release, now);
            e.version = r.version;
            e.update = reference ? classify_update(*reference, r.version) : UpdateType::none;
            e.allowed = specifier_allows(s.sub, r.version);
            if (r.yanked) e.detail = "already yanked" + (r.yank_reason ? ": " + *r.yank_reason : "");
            u.events.push_back(std::move(e));
            continue;
        }
        auto const& old = it->second;
        bool const yank_changed = old.yanked != r.yanked;
        if (yank_changed || old.yank_reason != r.yank_reason || old.upload_time != r.upload_time) {
            StoredRelease stored = old;
            stored.upload_time = r.upload_time ? r.upload_time : old.upload_time;
            stored.yanked = r.yanked;
            stored.yank_reason = r.yank_reason;
            u.upserts.push_back(std::move(stored));
        }
        if (!yank_changed || baseline) continue;
        EventKind kind = r.yanked ? EventKind::release_yanked : EventKind::release_unyanked;
        // The team's own pin being yanked is the message that matters; one event, not two.
        if (r.yanked && is_pinned_version(s.sub, r.version)) kind = EventKind::pinned_yanked;
        auto e = make_event(s, kind, now);
        e.version = r.version;
        if (r.yanked && r.yank_reason) e.detail = *r.yank_reason;
        u.events.push_back(std::move(e));
    }
    for (auto const& [version, r] : known) {
        if (seen.count(version)) continue;
        u.removed.push_back(version);
        if (baseline) continue;
        auto e = make_event(s, EventKind::release_removed, now);
        e.version = version;
        u.events.push_back(std::move(e));
    }
    if (!baseline) maybe_recovered(u, s, now, policy);
    return u;
}

StateUpdate diff_failure(StoredSubscription const& s, SourceError const& error, UnixTime now,
                         UnixTime next_due, DiffPolicy const& policy) {
    StateUpdate u;
    set_common(u, s, now, next_due);
    u.status = "error";
    u.error = error.message;
    u.consecutive_failures = s.consecutive_failures + 1;
    if (u.consecutive_failures == policy.failing_after) {
        auto e = make_event(s, EventKind::source_failing, now);
        e.detail = error.message;
        u.events.push_back(std::move(e));
    }
    return u;
}

} // namespace pinwatch::watcher
