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

// Without a pin, a new release is classified against the newest version the specifier allows
// among those known before it (what the team would install today; finals preferred), or the
// newest known release when the specifier allows none: what "how big is this jump" means for
// a range requirement.
std::optional<std::string> reference_version(Subscription const& sub,
                                             std::map<std::string, StoredRelease> const& known) {
    if (sub.pinned && Version::parse(*sub.pinned)) return sub.pinned;
    std::optional<Version> best_final, best_any, allowed_final, allowed_any;
    for (auto const& [text, r] : known) {
        auto v = Version::parse(text);
        if (!v || r.yanked || r.held) continue;
        bool const pre = v->is_prerelease();
        if (!best_any || *v > *best_any) best_any = *v;
        if (!pre && (!best_final || *v > *best_final)) best_final = *v;
        if (!specifier_allows(sub, text)) continue;
        if (!allowed_any || *v > *allowed_any) allowed_any = *v;
        if (!pre && (!allowed_final || *v > *allowed_final)) allowed_final = *v;
    }
    for (auto const* best : {&allowed_final, &allowed_any, &best_final, &best_any})
        if (*best) return (*best)->str();
    return std::nullopt;
}

bool pin_is_prerelease(Subscription const& sub) {
    if (!sub.pinned) return false;
    auto const v = Version::parse(*sub.pinned);
    return v && v->is_prerelease();
}

// A new release as the team's rules see it: an event to send, or nothing (ignored, a
// pre-release nobody asked for, an update type not wanted).
std::optional<Event> release_event(StoredSubscription const& s,
                                   std::optional<std::string> const& reference,
                                   StoredRelease const& r, DiffPolicy const& policy, UnixTime now) {
    auto const& rules = s.sub.rules;
    if (ignored_by_rules(rules, r.version)) return std::nullopt;
    auto const v = Version::parse(r.version);
    if (rules.pre == false && v && v->is_prerelease() && !pin_is_prerelease(s.sub))
        return std::nullopt;
    auto const update = reference ? classify_update(*reference, r.version) : UpdateType::none;
    if (!rules.update_types.empty() && !rules.update_types.count(update)) return std::nullopt;
    auto e = make_event(s, EventKind::new_release, now);
    e.version = r.version;
    e.update = update;
    e.allowed = specifier_allows(s.sub, r.version);
    if (r.yanked) e.detail = "already yanked" + (r.yank_reason ? ": " + *r.yank_reason : "");
    if (r.requires_python) {
        e.requires_python = r.requires_python;
        if (policy.python) {
            e.drops_python = excludes_python(*r.requires_python, *policy.python);
            if (e.drops_python) e.python = policy.python;
        }
    }
    return e;
}

// When a release may be announced under the package's cooldown (min_release_age), counted
// from its upload (or, where the index gives no time, from when pinwatch first saw it).
UnixTime announce_at(Rules const& rules, StoredRelease const& r) {
    return r.upload_time.value_or(r.first_seen) + rules.min_release_age;
}

// Held releases whose cooldown is over are announced now, unless they were yanked meanwhile
// (then never); the rest stay held and say when the next one is due. `current` gives a held
// release's state in this poll (its yank status may have changed).
void release_held(StateUpdate& u, StoredSubscription const& s,
                  std::map<std::string, StoredRelease> const& known,
                  std::map<std::string, StoredRelease const*> const& current,
                  std::optional<std::string> const& reference, DiffPolicy const& policy,
                  UnixTime now) {
    std::optional<UnixTime> next;
    for (auto const& [version, old] : known) {
        if (!old.held) continue;
        auto const it = current.find(release_key(version));
        if (it == current.end()) continue; // removed from the index: nothing to announce
        StoredRelease r = *it->second;
        r.version = old.version;
        r.first_seen = old.first_seen;
        if (!r.upload_time) r.upload_time = old.upload_time; // an HTML page gives no time
        if (r.yanked) {
            u.released.push_back(old.version); // yanked inside its cooldown: never announced
            continue;
        }
        auto const due = announce_at(s.sub.rules, r);
        if (due > now) {
            next = std::min(next.value_or(due), due);
            continue;
        }
        u.released.push_back(old.version);
        if (auto e = release_event(s, reference, r, policy, now)) u.events.push_back(std::move(*e));
    }
    u.set_held_until = true;
    u.held_until = next;
}

// The advisories of the pin as read in this poll, against those told before: each new live
// advisory is told once (also on a first poll: a vulnerable pin is news whenever it is
// learnt), each told one that is withdrawn or no longer listed is retracted once.
void diff_vulnerabilities(StateUpdate& u, StoredSubscription const& s, Observation const& obs,
                          UnixTime now) {
    if (!obs.vulnerabilities || !s.sub.pinned) return;
    auto const& reading = *obs.vulnerabilities;
    VulnerabilityState next = s.vulns;
    if (reading.error) {
        next.error = reading.error;
        u.vulns = std::move(next);
        return;
    }
    bool const same_pin = s.vulns.version && *s.vulns.version == reading.version;
    if (reading.not_modified && !same_pin) {
        next.error = "vulnerabilities: 304 for a version never read";
        u.vulns = std::move(next);
        return;
    }
    std::vector<Advisory> live;
    if (reading.not_modified) {
        live = s.vulns.live;
    } else {
        for (auto const& a : reading.advisories) {
            if (a.withdrawn) continue; // never live
            if (std::any_of(live.begin(), live.end(),
                            [&](Advisory const& b) { return b.id == a.id; }))
                continue;
            live.push_back(a);
            live.back().fix_allowed = smallest_allowed_fix(s.sub, a.fixed_in);
        }
    }
    auto const has = [](std::vector<Advisory> const& list, std::string const& id) {
        return std::any_of(list.begin(), list.end(), [&](Advisory const& a) { return a.id == id; });
    };
    std::vector<Advisory> const none;
    auto const& told = same_pin ? s.vulns.live : none;
    for (auto const& a : live) {
        if (has(told, a.id)) continue;
        auto e = make_event(s, EventKind::vulnerability, now);
        e.version = reading.version;
        e.advisory = a;
        e.detail = a.summary;
        u.events.push_back(std::move(e));
    }
    for (auto const& a : told) {
        if (has(live, a.id)) continue;
        auto e = make_event(s, EventKind::vulnerability_withdrawn, now);
        e.version = reading.version;
        e.advisory = a;
        e.detail = "no longer listed for " + reading.version;
        for (auto const& w : reading.advisories)
            if (w.id == a.id && w.withdrawn) {
                e.advisory->withdrawn = w.withdrawn;
                e.detail = "withdrawn " + *w.withdrawn;
            }
        u.events.push_back(std::move(e));
    }
    next.version = reading.version;
    if (!reading.not_modified) next.validator = reading.validator;
    next.checked = now;
    next.error.reset();
    next.live = std::move(live);
    u.vulns = std::move(next);
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
              std::optional<std::string> const& reason, std::vector<VersionState> const& listing,
              UnixTime now) {
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
    if (found) e.alternatives = pin_alternatives(s.sub, listing);
    if (!found) e.detail = "pinned " + pin + " is not on the index";
    u.events.push_back(std::move(e));
}

} // namespace

bool known_releases_needed(StoredSubscription const& s, UnixTime now) {
    return pin_needs_check(s) || (s.held_until && *s.held_until <= now);
}

bool ignored_by_rules(Rules const& rules, std::string const& version) {
    if (rules.ignore.empty()) return false;
    auto const v = Version::parse(version);
    if (!v) return false;
    for (auto const& text : rules.ignore)
        if (auto spec = packaging::SpecifierSet::parse(text); spec && spec->contains(*v, true))
            return true;
    return false;
}

std::optional<bool> excludes_python(std::string const& requires_python, std::string const& python) {
    auto const spec = packaging::SpecifierSet::parse(requires_python);
    auto const v = Version::parse(python);
    if (!spec || !v) return std::nullopt;
    // As pip judges it: pre-release Pythons count (packaging's check_requires_python).
    return !spec->contains(*v, true);
}

std::optional<std::string> smallest_allowed_fix(Subscription const& sub,
                                                std::vector<std::string> const& fixed_in) {
    std::optional<Version> best;
    std::string text;
    for (auto const& f : fixed_in) {
        auto v = Version::parse(f);
        if (!v || !specifier_allows(sub, f)) continue;
        if (!best || *v < *best) best = std::move(*v), text = f;
    }
    if (!best) return std::nullopt;
    return text;
}

std::vector<std::string> pin_alternatives(Subscription const& sub,
                                          std::vector<VersionState> const& releases) {
    std::vector<std::string> out;
    if (!sub.pinned) return out;
    auto const pin = Version::parse(*sub.pinned);
    if (!pin) return out;
    bool const pre_ok = sub.prereleases || pin->is_prerelease();
    struct Candidate {
        Version v;
        std::string text;
        bool allowed;
    };
    std::vector<Candidate> candidates;
    bool any_allowed = false;
    for (auto const& r : releases) {
        if (r.yanked) continue;
        auto v = Version::parse(r.version);
        if (!v || *v == *pin || (v->is_prerelease() && !pre_ok)) continue;
        if (ignored_by_rules(sub.rules, r.version)) continue;
        bool const allowed = specifier_allows(sub, r.version);
        any_allowed = any_allowed || allowed;
        candidates.push_back({std::move(*v), r.version, allowed});
    }
    Candidate const *below = nullptr, *above = nullptr;
    for (auto const& c : candidates) {
        if (any_allowed && !c.allowed) continue;
        if (c.v < *pin && (!below || below->v < c.v)) below = &c;
        if (*pin < c.v && (!above || c.v < above->v)) above = &c;
    }
    if (below) out.push_back(below->text);
    if (above) out.push_back(above->text);
    return out;
}

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
            std::vector<VersionState> listing;
            for (auto const& [version, r] : known) {
                if (release_key(version) == key) hit = &r;
                listing.push_back({version, r.yanked});
            }
            tell_pin(u, s, hit != nullptr, hit && hit->yanked,
                     hit ? hit->yank_reason : std::nullopt, listing, now);
        }
        // Releases held by a cooldown may be due although nothing changed.
        if (s.held_until && *s.held_until <= now && !known.empty()) {
            std::map<std::string, StoredRelease const*> current;
            for (auto const& [version, r] : known)
                current.emplace(release_key(version), &r);
            release_held(u, s, known, current, reference_version(s.sub, known), policy, now);
        }
        diff_vulnerabilities(u, s, obs, now);
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
    diff_vulnerabilities(u, s, obs, now);

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
    std::vector<VersionState> listing; // what the pin's alternatives are chosen from
    listing.reserve(obs.releases.size());
    for (auto const& r : obs.releases)
        listing.push_back({r.version, r.yanked});

    std::map<std::string, bool> seen;  // release keys in this listing
    std::optional<UnixTime> held_next; // when the next release held by a cooldown is due
    for (auto const& r : obs.releases) {
        auto const key = r.key.empty() ? release_key(r.version) : r.key;
        if (seen.count(key)) continue; // two spellings of one version in one listing
        seen[key] = true;
        auto const it = known_by_key.find(key);
        if (it == known_by_key.end()) {
            StoredRelease stored{r.version,         now,  r.upload_time, r.yanked, r.yank_reason,
                                 r.requires_python, false};
            // A cooldown holds the announcement of a fresh, unyanked release; it is told when
            // the cooldown is over (if it is not yanked by then).
            if (!baseline && !r.yanked && s.sub.rules.min_release_age > 0 &&
                announce_at(s.sub.rules, stored) > now) {
                stored.held = true;
                auto const due = announce_at(s.sub.rules, stored);
                held_next = std::min(held_next.value_or(due), due);
            }
            u.upserts.push_back(stored);
            if (baseline || stored.held) continue;
            if (auto e = release_event(s, reference, stored, policy, now))
                u.events.push_back(std::move(*e));
            continue;
        }
        auto const& old = *it->second;
        bool const yank_changed = old.yanked != r.yanked;
        auto const upload = r.upload_time ? r.upload_time : old.upload_time;
        if (yank_changed || old.yank_reason != r.yank_reason || old.upload_time != upload ||
            old.requires_python != r.requires_python) {
            StoredRelease stored = old; // keeps the stored spelling and first-seen time
            stored.upload_time = upload;
            stored.yanked = r.yanked;
            stored.yank_reason = r.yank_reason;
            stored.requires_python = r.requires_python;
            u.upserts.push_back(std::move(stored));
        }
        if (!yank_changed || baseline) continue;
        // A release still in its cooldown was never announced: its yank is no news either.
        if (old.held) continue;
        EventKind kind = r.yanked ? EventKind::release_yanked : EventKind::release_unyanked;
        // The team's own pin being yanked is the message that matters; one event, not two.
        if (r.yanked && is_pinned_version(s.sub, r.version)) kind = EventKind::pinned_yanked;
        auto e = make_event(s, kind, now);
        e.version = old.version;
        if (r.yanked && r.yank_reason) e.detail = *r.yank_reason;
        if (kind == EventKind::pinned_yanked) e.alternatives = pin_alternatives(s.sub, listing);
        u.events.push_back(std::move(e));
    }
    // Held releases known before: announced, dropped or still waiting.
    if (!baseline) {
        std::map<std::string, StoredRelease> current_store;
        for (auto const& r : obs.releases) {
            auto const key = r.key.empty() ? release_key(r.version) : r.key;
            current_store.emplace(key, StoredRelease{r.version, now, r.upload_time, r.yanked,
                                                     r.yank_reason, r.requires_python, false});
        }
        std::map<std::string, StoredRelease const*> current;
        for (auto const& [key, r] : current_store)
            current.emplace(key, &r);
        bool any_held = false;
        for (auto const& [v, r] : known)
            any_held = any_held || r.held;
        if (any_held || held_next) {
            release_held(u, s, known, current, reference, policy, now);
            if (held_next) u.held_until = std::min(u.held_until.value_or(*held_next), *held_next);
        }
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
                 listing, now);
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
