#include "watcher/diff.hpp"

#include "common/text.hpp"
#include "packaging/specifier.hpp"
#include "packaging/version.hpp"

#include <algorithm>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

namespace pinwatch::watcher {
namespace {

// The pin notice of a requirement the index did not list when it appeared (told once).
constexpr char const* kAbsentNotice = "absent:";

using packaging::Version;

// The subscription with its parsed fields: as loaded (parse_fields ran), or a parsed copy for
// a value built by hand.
Subscription const& parsed(Subscription const& sub, std::optional<Subscription>& copy) {
    if (sub.parsed) return sub;
    copy = sub;
    parse_fields(*copy);
    return *copy;
}

StoredSubscription const& parsed(StoredSubscription const& s,
                                 std::optional<StoredSubscription>& copy) {
    if (s.sub.parsed) return s;
    copy = s;
    parse_fields(copy->sub);
    return *copy;
}

bool allows(Subscription const& sub, Version const& v) {
    auto const& spec = sub.parsed->specifier;
    return spec && spec->contains(v, sub.prereleases ? std::optional<bool>(true) : std::nullopt);
}

bool ignored(Rules const& rules, Version const& v) {
    for (auto const& spec : rules.ignore_sets)
        if (spec && spec->contains(v, true)) return true;
    return false;
}

// As pip judges it: pre-release Pythons count (packaging's check_requires_python).
std::optional<bool> excludes(std::string const& requires_python, Version const& python) {
    auto const spec = packaging::SpecifierSet::parse(requires_python);
    if (!spec) return std::nullopt;
    return !spec->contains(python, true);
}

// What every stage of one diff reads: the subscription (parsed), what is known, what was
// observed, and the target Python parsed once.
struct Poll {
    StoredSubscription const& s;
    std::map<std::string, StoredRelease> const& known;
    Observation const& obs;
    UnixTime now;
    DiffPolicy const& policy;
    std::optional<Version> const& python;             // policy.python, parsed
    ReleaseLinker const& release_link;                // links new releases to their notes
    std::optional<std::optional<Version>> reference_; // reference(), once computed

    // Without a pin, a new release is classified against the newest version the specifier
    // allows among those known before it (what the team would install today; finals
    // preferred), or the newest known release when the specifier allows none: what "how big is
    // this jump" means for a range requirement. Computed when a release is first announced.
    std::optional<Version> const& reference() {
        if (!reference_) reference_ = compute_reference();
        return *reference_;
    }

    std::optional<Version> compute_reference() const {
        auto const& sub = s.sub;
        if (sub.parsed->pinned) return sub.parsed->pinned;
        std::optional<Version> best_final, best_any, allowed_final, allowed_any;
        auto const raise = [](std::optional<Version>& best, Version const& v) {
            if (!best || v > *best) best = v;
        };
        for (auto const& [text, r] : known) {
            if (r.yanked || r.held) continue;
            auto v = Version::parse(text);
            if (!v) continue;
            bool const pre = v->is_prerelease();
            raise(best_any, *v);
            if (!pre) raise(best_final, *v);
            if (!allows(sub, *v)) continue;
            raise(allowed_any, *v);
            if (!pre) raise(allowed_final, *v);
        }
        for (auto* best : {&allowed_final, &allowed_any, &best_final, &best_any})
            if (*best) return std::move(**best);
        return std::nullopt;
    }
};

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
    e.projects.push_back(
        {s.sub.project, s.sub.pinned, s.sub.specifier, s.sub.file, s.sub.direct, {}, {}});
    return e;
}

bool is_pinned_version(Subscription const& sub, std::string const& version) {
    if (!sub.pinned) return false;
    auto const v = Version::parse(version);
    if (sub.parsed->pinned && v) return *sub.parsed->pinned == *v;
    return *sub.pinned == version;
}

bool pin_is_prerelease(Subscription const& sub) {
    return sub.parsed->pinned && sub.parsed->pinned->is_prerelease();
}

// A new release as the team's rules see it: an event to send, or nothing (ignored, a
// pre-release nobody asked for, an update type not wanted).
std::optional<Event> release_event(Poll& p, StoredRelease const& r) {
    auto const& s = p.s;
    auto const& rules = s.sub.rules;
    auto const v = Version::parse(r.version);
    if (v && ignored(rules, *v)) return std::nullopt;
    if (rules.pre == false && v && v->is_prerelease() && !pin_is_prerelease(s.sub))
        return std::nullopt;
    auto const& reference = p.reference();
    auto const update = reference && v ? classify_update(*reference, *v) : UpdateType::none;
    if (!rules.update_types.empty() && !rules.update_types.count(update)) return std::nullopt;
    auto e = make_event(s, EventKind::new_release, p.now);
    e.version = r.version;
    e.update = update;
    e.allowed = v && allows(s.sub, *v);
    e.projects.front().update = e.update;
    e.projects.front().allowed = e.allowed;
    if (r.yanked) e.detail = "already yanked" + (r.yank_reason ? ": " + *r.yank_reason : "");
    if (p.release_link) e.link = p.release_link(v ? release_key(*v) : release_key(r.version));
    if (r.requires_python) {
        e.requires_python = r.requires_python;
        if (p.policy.python) {
            e.drops_python = p.python ? excludes(*r.requires_python, *p.python) : std::nullopt;
            if (e.drops_python) e.python = p.policy.python;
        }
    }
    return e;
}

// When a release may be announced under the package's cooldown (min_release_age), counted
// from its upload (or, where the index gives no time, from when pinwatch first saw it).
UnixTime announce_at(Rules const& rules, StoredRelease const& r) {
    return r.upload_time.value_or(r.first_seen) + rules.min_release_age;
}

// --- the listing, matched against what is known -------------------------------------------

// Which known release each release of the listing is, matched by normalised version, so
// "1.0.0-RC1" in one listing and "1.0.0rc1" in the next (an HTML/JSON switch, another file
// sorting first) are the same release. Stored releases are matched by their text first (the
// index's spelling rarely changes), so only those left over are keyed, not all of them on
// every poll.
struct Matching {
    std::vector<std::string> derived;                 // keys of releases the source left unkeyed
    std::vector<std::string_view> keys;               // of each listed release
    std::vector<bool> first;                          // first of its key in the listing
    std::vector<StoredRelease const*> match;          // the known release, or null (new)
    std::map<std::string, StoredRelease const*> gone; // known, not listed: by release key
};

Matching match_listing(std::map<std::string, StoredRelease> const& known,
                       std::vector<Release> const& releases) {
    Matching m;
    auto const n = releases.size();
    m.derived.reserve(n); // never reallocated: `keys` points into it
    m.keys.reserve(n);
    m.first.assign(n, false);
    m.match.assign(n, nullptr);
    for (auto const& r : releases)
        m.keys.push_back(r.key.empty()
                             ? std::string_view(m.derived.emplace_back(release_key(r.version)))
                             : std::string_view(r.key));
    std::unordered_set<std::string_view> seen; // release keys in this listing
    seen.reserve(n);
    std::size_t matched = 0;            // distinct known releases matched by their text
    std::vector<std::size_t> unmatched; // listed releases whose text names no known release
    for (std::size_t i = 0; i < n; ++i) {
        if (!seen.insert(m.keys[i]).second) continue; // two spellings of one version
        m.first[i] = true;
        if (auto it = known.find(releases[i].version); it != known.end()) {
            m.match[i] = &it->second;
            ++matched;
        } else {
            unmatched.push_back(i);
        }
    }
    if (matched == known.size()) return m; // every known release is listed as it was
    // The known releases left over, by key: respelled ones match here, the rest are gone.
    std::unordered_set<StoredRelease const*> const listed(m.match.begin(), m.match.end());
    std::map<std::string, StoredRelease const*, std::less<>> rest;
    for (auto const& [version, r] : known)
        if (!listed.count(&r)) rest.emplace(release_key(version), &r);
    for (auto i : unmatched)
        if (auto it = rest.find(m.keys[i]); it != rest.end()) m.match[i] = it->second;
    for (auto const& [key, r] : rest)
        if (!seen.count(key)) m.gone.emplace(key, r);
    return m;
}

// What the pin's alternatives are chosen from: every listed release.
std::vector<VersionState> listing_of(std::vector<Release> const& releases) {
    std::vector<VersionState> out;
    out.reserve(releases.size());
    for (auto const& r : releases)
        out.push_back({r.version, r.yanked});
    return out;
}

// --- stages ---------------------------------------------------------------------------------

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

// Vulnerabilities: the advisories of the pin as read in this poll, against those told before:
// each new live advisory is told once (also on a first poll: a vulnerable pin is news whenever
// it is learnt), each told one that is withdrawn or no longer listed is retracted once.
void diff_reading(StateUpdate& u, StoredSubscription const& s, VulnerabilityReading const& reading,
                  UnixTime now) {
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

void diff_vulnerabilities(StateUpdate& u, Poll const& p) {
    if (!p.obs.vulnerabilities || !p.s.sub.pinned) return;
    diff_reading(u, p.s, *p.obs.vulnerabilities, p.now);
}

// Held: releases held by a cooldown whose time is over are announced now, unless they were
// yanked meanwhile (then never); the rest stay held and say when the next one is due.
// `current(old)` gives a held release's state in this poll (its yank status may have changed),
// or nullopt when it is no longer listed.
template <class Current> void diff_held(StateUpdate& u, Poll& p, Current const& current) {
    std::optional<UnixTime> next;
    for (auto const& [version, old] : p.known) {
        if (!old.held) continue;
        std::optional<StoredRelease> listed = current(old);
        if (!listed) continue; // removed from the index: nothing to announce
        StoredRelease r = std::move(*listed);
        r.version = old.version;
        r.first_seen = old.first_seen;
        if (!r.upload_time) r.upload_time = old.upload_time; // an HTML page gives no time
        if (r.yanked) {
            u.released.push_back(old.version); // yanked inside its cooldown: never announced
            continue;
        }
        auto const due = announce_at(p.s.sub.rules, r);
        if (due > p.now) {
            next = std::min(next.value_or(due), due);
            continue;
        }
        u.released.push_back(old.version);
        if (auto e = release_event(p, r)) u.events.push_back(std::move(*e));
    }
    u.set_held_until = true;
    u.held_until = next;
}

// Pin: the pinned version's state in a listing: "ok:<pin>", "yanked:<pin>" or "missing:<pin>".
// When it changes (a first poll, a changed pin, a yank), the team hears of it once: a
// pinned_yanked or pin_not_found event, unless a yank transition in this same update said it
// already. A state file from before pinwatch tracked this learns the state silently.
template <class Listing>
void diff_pin(StateUpdate& u, StoredSubscription const& s, bool found, bool yanked,
              std::optional<std::string> const& reason, Listing const& listing, UnixTime now) {
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
    if (found) e.alternatives = pin_alternatives(s.sub, listing());
    if (!found) e.detail = "pinned " + pin + " is not on the index";
    u.events.push_back(std::move(e));
}

// Unchanged (a 304): the listing is as before, but the pin may have changed, and releases held
// by a cooldown may be due although nothing changed; both are judged by what is known.
void diff_unchanged(StateUpdate& u, Poll& p) {
    auto const& s = p.s;
    u.status = PollStatus::unchanged;
    u.gone = StateUpdate::Gone::clear;
    count_success(u, s, p.now, p.policy);
    if (pin_needs_check(s) && s.baseline_done && !p.known.empty()) {
        StoredRelease const* hit = nullptr;
        if (auto it = p.known.find(*s.sub.pinned); it != p.known.end()) {
            hit = &it->second;
        } else {
            for (auto const& [version, r] : p.known)
                if (release_key(version) == *s.sub.parsed->pinned_key) hit = &r;
        }
        diff_pin(
            u, s, hit != nullptr, hit && hit->yanked, hit ? hit->yank_reason : std::nullopt,
            [&] {
                std::vector<VersionState> listing;
                for (auto const& [version, r] : p.known)
                    listing.push_back({version, r.yanked});
                return listing;
            },
            p.now);
    }
    if (s.held_until && *s.held_until <= p.now && !p.known.empty())
        diff_held(u, p, [](StoredRelease const& old) { return std::optional<StoredRelease>(old); });
    diff_vulnerabilities(u, p);
}

// Gone: "gone" is an answer, not a failure: it ends a failure run without a recovered message
// (package_gone says what there is to say), and it is reported once per disappearance, however
// many errors come between two 404s.
// A requirement the index never listed (a typo, a private package on the wrong index) is told
// once, as pin_not_found, when it first appears; its notice ("absent:<pin>") keeps it from
// being told again at every poll or after a restart.
void diff_gone(StateUpdate& u, StoredSubscription const& s, UnixTime now) {
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
    bool const told = s.pin_notice && s.pin_notice->rfind(kAbsentNotice, 0) == 0;
    if (!s.baseline_done && !told) {
        u.pin_notice = kAbsentNotice + s.sub.pinned.value_or("");
        auto e = make_event(s, EventKind::pin_not_found, now);
        e.version = s.sub.pinned;
        e.detail = *u.error + " (requirement in " + s.sub.file + ":" + std::to_string(s.sub.line) +
                   ", project " + s.sub.project + ")";
        u.events.push_back(std::move(e));
    }
}

// Project status (PEP 792): what the index says about the project, read with each listing. A
// change to a status other than `active` is told, and a return to `active` once. A first
// sighting (nothing stored: a new subscription, or a state file from before pinwatch read it)
// is told only when the project is quarantined: PyPI quarantines suspected malware, which is
// news whenever it is learnt, like an advisory. The other statuses are recorded silently then
// (check and status show them). A changed reason under the same status is recorded, not told.
// Whether the event is urgent follows from the status it carries (model::is_urgent).
void diff_project_status(StateUpdate& u, Poll const& p) {
    if (!p.obs.project_status) return;
    auto const& now_status = *p.obs.project_status;
    auto const& before = p.s.project_status;
    if (before == now_status) return;
    u.project_status = now_status;
    bool const tell = before ? before->status != now_status.status : now_status.quarantined();
    if (!tell) return;
    auto e = make_event(p.s, EventKind::project_status, p.now);
    e.project_status = now_status;
    if (before) e.previous_status = before->status;
    e.detail = now_status.reason.value_or("");
    u.events.push_back(std::move(e));
}

// A quarantined project's page lists no files (PEP 792: the index MUST NOT offer any for
// download). That empty listing is the status, not a broken index and not every release
// deleted: the known releases are kept, nothing is announced about them.
bool quarantined_and_empty(Poll const& p) {
    return p.obs.project_status && p.obs.project_status->quarantined() && p.obs.releases.empty();
}

// A listing not to be believed, refused with the reason; false when it is taken.
bool refuse_listing(StateUpdate& u, Poll const& p) {
    auto const& s = p.s;
    auto const& obs = p.obs;
    // A CDN edge can serve a page older than one already seen (the source's sequence says so,
    // PyPI's last serial). Diffing it would announce removals, then the same releases again.
    if (obs.sequence && s.sequence && *obs.sequence < *s.sequence) {
        u.status = PollStatus::unchanged;
        u.error = "stale answer (sequence " + std::to_string(*obs.sequence) + " < " +
                  std::to_string(*s.sequence) + "), ignored";
        count_success(u, s, p.now, p.policy);
        return true;
    }
    // An index that suddenly lists nothing for a project it knew is far more likely broken
    // (a bad mirror sync, a proxy error page) than a project with every release deleted; PyPI
    // itself answers 404 for that. Refuse the observation instead of announcing mass removals.
    if (obs.releases.empty() && !p.known.empty() && !quarantined_and_empty(p)) {
        count_failure(u, s,
                      s.sub.source + ":" + s.sub.name +
                          ": the listing is empty; keeping the known releases",
                      p.now, p.policy);
        u.clear_validator = true; // make the next poll fetch the full page again
        return true;
    }
    return false;
}

// What an accepted listing records whatever it contains: status, validators, metadata, the
// source's own state, and whether the baseline is complete.
void accept_listing(StateUpdate& u, Poll const& p) {
    auto const& s = p.s;
    auto const& obs = p.obs;
    u.status = PollStatus::ok;
    u.validator = obs.validator;
    u.clear_validator = !obs.validator.has_value();
    u.sequence = obs.sequence;
    u.metadata = obs.metadata;
    u.metadata_version = obs.metadata_version;
    u.source_state = obs.source_state;
    u.gone = StateUpdate::Gone::clear;
    count_success(u, s, p.now, p.policy);
    // An empty first listing is no baseline: completing it would make the first real listing
    // announce every release the project ever had. A source whose baseline is more than its
    // listing says when that is complete.
    u.baseline_done = !obs.releases.empty() || obs.baseline_complete || s.baseline_done;
    if (!s.baseline_done && !u.baseline_done) u.clear_validator = true;
}

// What the source found beyond the listing, said only once a baseline exists.
void diff_notices(StateUpdate& u, Poll const& p) {
    for (auto const& n : p.obs.notices) {
        auto e = make_event(p.s, n.kind, p.now);
        e.version = n.version;
        e.detail = n.detail;
        if (!n.link.empty()) {
            e.origin = redact_url(n.link);
            e.link = e.origin;
        }
        u.events.push_back(std::move(e));
    }
}

// Listing: each listed release against the known one it matched: new releases are stored
// (held by a cooldown, or announced), changed ones rewritten, yank transitions told.
// Returns when the first release held in this poll is due.
std::optional<UnixTime> diff_listing(StateUpdate& u, Poll& p, Matching const& m, bool baseline) {
    auto const& s = p.s;
    auto const now = p.now;
    auto const& releases = p.obs.releases;
    std::optional<UnixTime> held_next;
    for (std::size_t i = 0; i < releases.size(); ++i) {
        if (!m.first[i]) continue;
        auto const& r = releases[i];
        if (!m.match[i]) {
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
            if (auto e = release_event(p, stored)) u.events.push_back(std::move(*e));
            continue;
        }
        auto const& old = *m.match[i];
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
        if (kind == EventKind::pinned_yanked)
            e.alternatives = pin_alternatives(s.sub, listing_of(releases));
        u.events.push_back(std::move(e));
    }
    return held_next;
}

// Gone from the listing: known releases no longer listed are removed (told after a baseline).
void diff_removed(StateUpdate& u, Poll const& p, Matching const& m, bool baseline) {
    for (auto const& [key, r] : m.gone) {
        u.removed.push_back(r->version);
        if (baseline) continue;
        auto e = make_event(p.s, EventKind::release_removed, p.now);
        e.version = r->version;
        u.events.push_back(std::move(e));
    }
}

// A full listing (ok): refused, or recorded and compared stage by stage.
void diff_full(StateUpdate& u, Poll& p) {
    auto const& s = p.s;
    auto const& obs = p.obs;
    if (refuse_listing(u, p)) return;
    accept_listing(u, p);
    diff_project_status(u, p);
    diff_vulnerabilities(u, p);
    if (quarantined_and_empty(p)) return; // the known releases stay as they were
    bool const baseline = !s.baseline_done;
    if (!baseline) diff_notices(u, p);

    auto const m = match_listing(p.known, obs.releases);
    auto const held_next = diff_listing(u, p, m, baseline);
    // Held releases known before: announced, dropped or still waiting.
    if (!baseline) {
        bool const any_held = std::any_of(p.known.begin(), p.known.end(),
                                          [](auto const& k) { return k.second.held; });
        if (any_held || held_next) {
            // The listed release each known one matched.
            std::unordered_map<StoredRelease const*, Release const*> listed;
            for (std::size_t i = 0; i < obs.releases.size(); ++i)
                if (m.match[i]) listed.emplace(m.match[i], &obs.releases[i]);
            diff_held(u, p, [&](StoredRelease const& old) -> std::optional<StoredRelease> {
                auto const it = listed.find(&old);
                if (it == listed.end()) return std::nullopt;
                auto const& r = *it->second;
                return StoredRelease{r.version, p.now,         r.upload_time,
                                     r.yanked,  r.yank_reason, r.requires_python,
                                     false};
            });
            if (held_next) u.held_until = std::min(u.held_until.value_or(*held_next), *held_next);
        }
    }
    diff_removed(u, p, m, baseline);
    if (s.sub.pinned && !obs.releases.empty()) {
        Release const* hit = nullptr;
        for (std::size_t i = 0; i < obs.releases.size(); ++i)
            if (m.keys[i] == *s.sub.parsed->pinned_key) hit = &obs.releases[i];
        diff_pin(
            u, s, hit != nullptr, hit && hit->yanked, hit ? hit->yank_reason : std::nullopt,
            [&] { return listing_of(obs.releases); }, p.now);
    }
}

// A package only pulled in, under `transitive = "urgent"`: what the team runs being unsafe is
// told (a vulnerability, its pin yanked, an advisory withdrawn); new releases and the rest are
// recorded silently.
void keep_what_is_told(StateUpdate& u, Rules const& rules) {
    if (!rules.urgent_only) return;
    std::erase_if(u.events, [](Event const& e) { return !is_urgent(e); });
}

} // namespace

bool known_releases_needed(StoredSubscription const& s, UnixTime now) {
    return pin_needs_check(s) || (s.held_until && *s.held_until <= now);
}

bool ignored_by_rules(Rules const& rules, std::string const& version) {
    if (rules.ignore.empty()) return false;
    auto const v = Version::parse(version);
    if (!v) return false;
    if (rules.ignore_sets.size() == rules.ignore.size()) return ignored(rules, *v);
    for (auto const& text : rules.ignore) // a value built by hand, not parsed yet
        if (auto spec = packaging::SpecifierSet::parse(text); spec && spec->contains(*v, true))
            return true;
    return false;
}

std::optional<bool> excludes_python(std::string const& requires_python, std::string const& python) {
    auto const v = Version::parse(python);
    if (!v) return std::nullopt;
    return excludes(requires_python, *v);
}

std::optional<std::string> smallest_allowed_fix(Subscription const& sub0,
                                                std::vector<std::string> const& fixed_in) {
    std::optional<Subscription> copy;
    auto const& sub = parsed(sub0, copy);
    std::optional<Version> best;
    std::string text;
    for (auto const& f : fixed_in) {
        auto v = Version::parse(f);
        if (!v || !allows(sub, *v)) continue;
        if (!best || *v < *best) best = std::move(*v), text = f;
    }
    if (!best) return std::nullopt;
    return text;
}

std::vector<std::string> pin_alternatives(Subscription const& sub0,
                                          std::vector<VersionState> const& releases) {
    std::vector<std::string> out;
    std::optional<Subscription> copy;
    auto const& sub = parsed(sub0, copy);
    if (!sub.parsed->pinned) return out;
    auto const& pin = *sub.parsed->pinned;
    bool const pre_ok = sub.prereleases || pin.is_prerelease();
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
        if (!v || *v == pin || (v->is_prerelease() && !pre_ok)) continue;
        if (ignored(sub.rules, *v)) continue;
        bool const allowed = allows(sub, *v);
        any_allowed = any_allowed || allowed;
        candidates.push_back({std::move(*v), r.version, allowed});
    }
    Candidate const *below = nullptr, *above = nullptr;
    for (auto const& c : candidates) {
        if (any_allowed && !c.allowed) continue;
        if (c.v < pin && (!below || below->v < c.v)) below = &c;
        if (pin < c.v && (!above || c.v < above->v)) above = &c;
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

UpdateType classify_update(Version const& ref, Version const& cand) {
    if (cand == ref) return UpdateType::none; // the pinned version itself (re)appearing
    if (cand < ref) return UpdateType::older;
    if (cand.is_prerelease()) return UpdateType::prerelease;
    if (cand.epoch_str() != ref.epoch_str() || cand.release_str(0) != ref.release_str(0))
        return UpdateType::major;
    if (cand.release_str(1) != ref.release_str(1)) return UpdateType::minor;
    return UpdateType::patch;
}

UpdateType classify_update(std::string const& reference, std::string const& candidate) {
    auto const ref = Version::parse(reference);
    auto const cand = Version::parse(candidate);
    if (!ref || !cand) return UpdateType::none;
    return classify_update(*ref, *cand);
}

bool specifier_allows(Subscription const& sub0, std::string const& version) {
    auto const v = Version::parse(version);
    if (!v) return false;
    std::optional<Subscription> copy;
    return allows(parsed(sub0, copy), *v);
}

bool specifier_allows(Subscription const& sub0, Version const& version) {
    std::optional<Subscription> copy;
    return allows(parsed(sub0, copy), version);
}

DiffPolicy diff_policy(int failing_after, std::optional<std::string> python) {
    DiffPolicy p{failing_after, std::move(python), std::nullopt};
    if (p.python)
        if (auto v = Version::parse(*p.python)) p.python_version = std::move(*v);
    return p;
}

StateUpdate diff(StoredSubscription const& stored,
                 std::map<std::string, StoredRelease> const& known, Observation const& obs,
                 UnixTime now, UnixTime next_due, DiffPolicy const& policy,
                 ReleaseLinker const& release_link) {
    std::optional<StoredSubscription> copy;
    auto const& s = parsed(stored, copy);
    // A policy built by hand: its target Python parsed here (diff_policy() parses it once).
    std::optional<DiffPolicy> own;
    if (policy.python && !policy.python_version)
        own = diff_policy(policy.failing_after, policy.python);
    auto const& pol = own ? *own : policy;
    Poll p{s, known, obs, now, pol, pol.python_version, release_link, std::nullopt};

    StateUpdate u;
    set_common(u, s, now, next_due);
    switch (obs.status) {
    case Observation::Status::not_modified:
        diff_unchanged(u, p);
        break;
    case Observation::Status::gone:
        diff_gone(u, s, now);
        break;
    case Observation::Status::ok:
        diff_full(u, p);
        break;
    }
    keep_what_is_told(u, s.sub.rules);
    return u;
}

void merge_project_events(std::vector<std::vector<Event>*> const& lists) {
    using Key = std::tuple<EventKind, std::optional<std::string>, std::string, std::string>;
    auto const key_of = [](Event const& e) {
        std::string const advisory = e.advisory ? e.advisory->id : std::string();
        // Another source's notices (a GitHub release) differ by what they link to.
        return Key{e.kind,
                   e.version ? std::optional<std::string>(release_key(*e.version)) : std::nullopt,
                   advisory, e.link.value_or("")};
    };
    std::map<Key, Event*> first;
    for (auto* events : lists) {
        std::vector<Event> kept;
        for (auto& e : *events) {
            auto const k = key_of(e);
            auto const it = first.find(k);
            if (it == first.end()) {
                kept.push_back(std::move(e));
                continue;
            }
            for (auto& p : e.projects)
                it->second->projects.push_back(std::move(p));
        }
        *events = std::move(kept);
        for (auto& e : *events)
            first.emplace(key_of(e), &e);
    }
}

void merge_project_events(std::vector<StateUpdate>& updates) {
    std::vector<std::vector<Event>*> lists;
    for (auto& u : updates)
        lists.push_back(&u.events);
    merge_project_events(lists);
}

StateUpdate diff_failure(StoredSubscription const& s, SourceError const& error, UnixTime now,
                         UnixTime next_due, DiffPolicy const& policy) {
    StateUpdate u;
    set_common(u, s, now, next_due);
    count_failure(u, s, error.message, now, policy);
    keep_what_is_told(u, s.sub.rules);
    return u;
}

AdvisoryDiff diff_advisories(StoredSubscription const& stored, VulnerabilityReading const& reading,
                             UnixTime now) {
    std::optional<StoredSubscription> copy;
    auto const& s = parsed(stored, copy);
    AdvisoryDiff out;
    out.vulns = s.vulns;
    if (!s.sub.pinned) return out;
    StateUpdate u;
    u.subscription_id = s.id;
    u.now = now;
    diff_reading(u, s, reading, now);
    if (u.vulns) out.vulns = std::move(*u.vulns);
    out.events = std::move(u.events);
    return out;
}

} // namespace pinwatch::watcher
