#include "watcher/diff.hpp"

#include "common/text.hpp"
#include "packaging/specifier.hpp"
#include "packaging/version.hpp"

#include <algorithm>

namespace pinwatch::watcher {
namespace {

using packaging::Version;

Event make_event(StoredSubscription const& s, EventKind kind, UnixTime now) {
    Event e;
    e.kind = kind;
    e.source = s.sub.source;
    e.package = s.sub.name;
    // Events travel to chat rooms and webhooks: an index URL with a token in it must not.
    e.origin = redact_url(s.sub.origin);
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
    u.consecutive_failures = s.consecutive_failures;
}

// One failed poll more. The failing event fires when the count crosses the threshold, from
// whichever path counted it, so it pairs with exactly one recovered event.
void count_failure(StateUpdate& u, StoredSubscription const& s, std::string const& message,
                   UnixTime now, DiffPolicy const& p) {
    u.status = PollStatus::error;
    u.error = message;
    u.consecutive_failures = s.consecutive_failures + 1;
    if (s.consecutive_failures < p.failing_after && u.consecutive_failures >= p.failing_after) {
        auto e = make_event(s, EventKind::source_failing, now);
        e.detail = message;
        u.events.push_back(std::move(e));
    }
}

// A poll that reached the index ends a run of failures; a run that was reported gets one
// "recovered" message.
void count_success(StateUpdate& u, StoredSubscription const& s, UnixTime now, DiffPolicy const& p) {
    u.consecutive_failures = 0;
    if (s.consecutive_failures >= p.failing_after) {
        auto e = make_event(s, EventKind::source_recovered, now);
        e.detail =
            "polls succeed again after " + std::to_string(s.consecutive_failures) + " failures";
        u.events.push_back(std::move(e));
    }
}

// The pinned version's state in a listing: "ok:<pin>", "yanked:<pin>" or "missing:<pin>". When
// it changes (a first poll, a changed pin, a yank), the team hears of it once: a pinned_yanked
// or pin_not_found event, unless a yank transition in this same update said it already. A state
// file from before pinwatch tracked this learns the state silently.
void tell_pin(StateUpdate& u, StoredSubscription const& s, bool found, bool yanked,
              std::optional<std::string> const& reason, UnixTime now) {
    auto const& pin = *s.sub.pinned;
    std::string const notice = (!found ? "missing:" : yanked ? "yanked:" : "ok:") + pin;
    if (s.pin_notice == notice) return;
    u.pin_notice = notice;
    if (found && !yanked) return;
    if (!s.pin_notice && s.baseline_done) return; // learnt silently after an upgrade
    for (auto const& e : u.events)
        if (e.kind == EventKind::pinned_yanked) return;
    auto e = make_event(s, found ? EventKind::pinned_yanked : EventKind::pin_not_found, now);
    e.version = pin;
    if (found && reason) e.detail = *reason;
    if (!found) e.detail = "pinned " + pin + " is not on the index";
    u.events.push_back(std::move(e));
}

} // namespace

bool pin_needs_check(StoredSubscription const& s) {
    if (!s.sub.pinned) return false;
    if (!s.pin_notice) return true;
    auto const colon = s.pin_notice->find(':');
    return colon == std::string::npos || s.pin_notice->substr(colon + 1) != *s.sub.pinned;
}

UpdateType classify_update(std::string const& reference, std::string const& candidate) {
    auto const ref = Version::parse(reference);
    auto const cand = Version::parse(candidate);
    if (!ref || !cand) return UpdateType::none;
    if (*cand == *ref) return UpdateType::none; // the pinned version itself (re)appearing
    if (*cand < *ref) return UpdateType::older;
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
                 Observation const& obs, UnixTime now, UnixTime next_due,
                 DiffPolicy const& policy) {
    StateUpdate u;
    set_common(u, s, now, next_due);

    if (obs.status == Observation::Status::not_modified) {
        u.status = PollStatus::unchanged;
        u.gone = StateUpdate::Gone::clear;
        count_success(u, s, now, policy);
        // The listing is as before, but the pin may have changed: judge it by what is known.
        if (pin_needs_check(s) && s.baseline_done && !known.empty()) {
            auto const key = release_key(*s.sub.pinned);
            StoredRelease const* hit = nullptr;
            for (auto const& [version, r] : known)
                if (release_key(version) == key) hit = &r;
            tell_pin(u, s, hit != nullptr, hit && hit->yanked,
                     hit ? hit->yank_reason : std::nullopt, now);
        }
        return u;
    }
    if (obs.status == Observation::Status::gone) {
        // "Gone" is an answer, not a failure: it ends a failure run without a recovered message
        // (package_gone says what there is to say), and it is reported once per disappearance,
        // however many errors come between two 404s.
        u.status = PollStatus::gone;
        u.error = "the index has no project named " + s.sub.name;
        u.clear_validator = true;
        u.consecutive_failures = 0;
        u.gone = StateUpdate::Gone::set;
        if (s.baseline_done && !s.gone_since) {
            auto e = make_event(s, EventKind::package_gone, now);
            e.detail = *u.error;
            u.events.push_back(std::move(e));
        }
        return u;
    }

    // A CDN edge can serve a page older than one already seen (the source's sequence says so,
    // PyPI's last serial). Diffing it would announce removals, then the same releases again.
    if (obs.sequence && s.sequence && *obs.sequence < *s.sequence) {
        u.status = PollStatus::unchanged;
        u.error = "stale answer (sequence " + std::to_string(*obs.sequence) + " < " +
                  std::to_string(*s.sequence) + "), ignored";
        count_success(u, s, now, policy);
        return u;
    }

    // An index that suddenly lists nothing for a project it knew is far more likely broken
    // (a bad mirror sync, a proxy error page) than a project with every release deleted; PyPI
    // itself answers 404 for that. Refuse the observation instead of announcing mass removals.
    if (obs.releases.empty() && !known.empty()) {
        count_failure(u, s,
                      s.sub.source + ":" + s.sub.name +
                          ": the listing is empty; keeping the known releases",
                      now, policy);
        u.clear_validator = true; // make the next poll fetch the full page again
        return u;
    }

    u.status = PollStatus::ok;
    u.validator = obs.validator;
    u.clear_validator = !obs.validator.has_value();
    u.sequence = obs.sequence;
    u.metadata = obs.metadata;
    u.metadata_version = obs.metadata_version;
    u.source_state = obs.source_state;
    u.gone = StateUpdate::Gone::clear;
    count_success(u, s, now, policy);

    bool const baseline = !s.baseline_done;
    // An empty first listing is no baseline: completing it would make the first real listing
    // announce every release the project ever had. A source that keeps its own state (GitHub)
    // has its baseline once that state is written.
    u.baseline_done = !obs.releases.empty() || obs.source_state.has_value() || s.baseline_done;
    // What the source found beyond the listing, said only once a baseline exists.
    if (!baseline) {
        for (auto const& n : obs.notices) {
            auto e = make_event(s, n.kind, now);
            e.version = n.version;
            e.detail = n.detail;
            if (!n.link.empty()) {
                e.origin = redact_url(n.link);
                e.link = e.origin;
            }
            u.events.push_back(std::move(e));
        }
    }
    if (baseline && !u.baseline_done) u.clear_validator = true;
    auto const reference = baseline ? std::nullopt : reference_version(s.sub, known);

    // Releases are matched by normalised version, so "1.0.0-RC1" in one listing and "1.0.0rc1"
    // in the next (an HTML/JSON switch, another file sorting first) are the same release.
    std::map<std::string, StoredRelease const*> known_by_key;
    for (auto const& [version, r] : known)
        known_by_key.emplace(release_key(version), &r);

    std::map<std::string, bool> seen; // release keys in this listing
    for (auto const& r : obs.releases) {
        auto const key = r.key.empty() ? release_key(r.version) : r.key;
        if (seen.count(key)) continue; // two spellings of one version in one listing
        seen[key] = true;
        auto const it = known_by_key.find(key);
        if (it == known_by_key.end()) {
            StoredRelease stored{r.version, now, r.upload_time, r.yanked, r.yank_reason};
            u.upserts.push_back(stored);
            if (baseline) continue;
            auto e = make_event(s, EventKind::new_release, now);
            e.version = r.version;
            e.update = reference ? classify_update(*reference, r.version) : UpdateType::none;
            e.allowed = specifier_allows(s.sub, r.version);
            if (r.yanked)
                e.detail = "already yanked" + (r.yank_reason ? ": " + *r.yank_reason : "");
            u.events.push_back(std::move(e));
            continue;
        }
        auto const& old = *it->second;
        bool const yank_changed = old.yanked != r.yanked;
        auto const upload = r.upload_time ? r.upload_time : old.upload_time;
        if (yank_changed || old.yank_reason != r.yank_reason || old.upload_time != upload) {
            StoredRelease stored = old; // keeps the stored spelling and first-seen time
            stored.upload_time = upload;
            stored.yanked = r.yanked;
            stored.yank_reason = r.yank_reason;
            u.upserts.push_back(std::move(stored));
        }
        if (!yank_changed || baseline) continue;
        EventKind kind = r.yanked ? EventKind::release_yanked : EventKind::release_unyanked;
        // The team's own pin being yanked is the message that matters; one event, not two.
        if (r.yanked && is_pinned_version(s.sub, r.version)) kind = EventKind::pinned_yanked;
        auto e = make_event(s, kind, now);
        e.version = old.version;
        if (r.yanked && r.yank_reason) e.detail = *r.yank_reason;
        u.events.push_back(std::move(e));
    }
    for (auto const& [key, r] : known_by_key) {
        if (seen.count(key)) continue;
        u.removed.push_back(r->version);
        if (baseline) continue;
        auto e = make_event(s, EventKind::release_removed, now);
        e.version = r->version;
        u.events.push_back(std::move(e));
    }
    if (s.sub.pinned && !obs.releases.empty()) {
        auto const key = release_key(*s.sub.pinned);
        Release const* hit = nullptr;
        for (auto const& r : obs.releases)
            if ((r.key.empty() ? release_key(r.version) : r.key) == key) hit = &r;
        tell_pin(u, s, hit != nullptr, hit && hit->yanked, hit ? hit->yank_reason : std::nullopt,
                 now);
    }
    return u;
}

StateUpdate diff_failure(StoredSubscription const& s, SourceError const& error, UnixTime now,
                         UnixTime next_due, DiffPolicy const& policy) {
    StateUpdate u;
    set_common(u, s, now, next_due);
    count_failure(u, s, error.message, now, policy);
    return u;
}

} // namespace pinwatch::watcher
