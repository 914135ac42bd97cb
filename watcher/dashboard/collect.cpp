// The dashboard's data: the state file read through the store's queries (one query per kind of
// row, however many pins), summarised as `check` and `status` summarise it, judged by
// `evaluate`'s rules on what the state holds.
#include "common/text.hpp"
#include "packaging/name.hpp"
#include "watcher/dashboard/dashboard.hpp"
#include "watcher/sources/registry.hpp"
#include "watcher/summary.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace pinwatch::watcher::dashboard {
namespace {

// A source whose subscriptions `status` lists in a table of their own derives them from the
// pins (GitHub's repositories): they are facts about a pin, not pins.
bool is_pin(SourceRegistry const& sources, std::string const& kind) {
    auto const* source = sources.find(kind);
    return !source || !source->status_table();
}

SubscriptionView view_of(StoredSubscription const& s) {
    return SubscriptionView{s.sub,          s.active,    s.last_status, s.last_error,
                            s.source_state, s.last_poll, s.next_due};
}

// Every derived subscription's insight, by package name.
std::map<std::string, PackageInsight> insights(std::vector<StoredSubscription> const& subs,
                                               SourceRegistry const& sources, UnixTime now) {
    std::map<std::string, PackageInsight> out;
    for (auto const& s : subs) {
        if (is_pin(sources, s.sub.source)) continue;
        if (auto in = sources.find(s.sub.source)->insight(view_of(s), now))
            out.emplace(s.sub.name, std::move(*in));
    }
    return out;
}

// `evaluate`'s facts from what the state holds: the releases' uploads, and the repository's
// facts when a source watches one.
health::Judgement judge(std::vector<UnixTime> const& uploads, PackageInsight const* insight,
                        UnixTime now) {
    health::Facts facts;
    health::release_facts(uploads, now, facts);
    if (insight && insight->repo) {
        facts.repo = insight->repo;
        facts.owner_type = insight->owner_type;
        facts.archived = insight->archived;
        facts.open_issues = insight->open_issues;
    }
    return health::judge(facts, now);
}

std::string pin_key(Subscription const& sub) {
    return sub.specifier + '\n' + sub.pinned.value_or("") + '\n' + (sub.prereleases ? "pre" : "");
}

Pin make_pin(StoredSubscription const& s, Cache::Entry const& derived,
             PackageInsight const* insight, std::optional<Event> last_event, UnixTime now) {
    Pin p;
    p.project = project_of(s.sub);
    p.package = s.sub.name;
    p.specifier = s.sub.specifier;
    p.pinned = s.sub.pinned;
    auto const& summary = derived.summary;
    p.latest = summary.latest;
    p.libyears = summary.libyears;
    p.yanked = summary.pin_yanked;
    p.yank_reason = summary.pin_yank_reason;
    p.failing = s.last_status == PollStatus::error || s.last_status == PollStatus::gone;
    if (p.failing) p.error = redact_credentials(s.last_error.value_or(to_string(s.last_status)));
    if (s.last_status != PollStatus::pending && derived.has_releases)
        p.update = summary.update_type;
    if (s.sub.pinned && s.vulns.version == s.sub.pinned) p.advisories = s.vulns.live;
    if (derived.has_releases) p.health = judge(derived.uploads, insight, now);
    p.last_poll = s.last_poll;
    p.last_event = std::move(last_event);
    return p;
}

} // namespace

void Cache::sync(StateStore const& store) {
    auto const version = store.data_version();
    if (version != data_version_) entries_.clear();
    data_version_ = version;
}

Cache::Entry const* Cache::find(StateStore const& store, StoredSubscription const& s) const {
    auto const it = entries_.find(s.id);
    if (it == entries_.end() || it->second.writes != store.release_writes(s.id) ||
        it->second.pin != pin_key(s.sub))
        return nullptr;
    return &it->second;
}

Cache::Entry const& Cache::put(StateStore const& store, StoredSubscription const& s,
                               std::vector<StoredRelease> const& releases) {
    Entry e;
    e.writes = store.release_writes(s.id);
    e.pin = pin_key(s.sub);
    e.summary = summarize(s.sub, releases);
    e.has_releases = !releases.empty();
    for (auto const& r : releases)
        if (r.upload_time) e.uploads.push_back(*r.upload_time);
    std::sort(e.uploads.begin(), e.uploads.end());
    return entries_[s.id] = std::move(e);
}

Cache::Entry const* Cache::put(StateStore const& store, StoredSubscription const& s,
                               SavedSummary const& saved) {
    auto summary = read_summary(saved, s.sub);
    if (!summary) return nullptr;
    Entry e;
    e.writes = store.release_writes(s.id);
    e.pin = pin_key(s.sub);
    e.has_releases = summary->release_count > 0;
    e.summary = std::move(*summary);
    e.uploads = saved.uploads;
    return &(entries_[s.id] = std::move(e));
}

std::string project_of(Subscription const& sub) {
    // The project whose files pin it ("default" for the top-level requirements).
    return sub.project;
}

Overview collect_overview(StateStore const& store, SourceRegistry const& sources, UnixTime now,
                          Cache* cache) {
    Overview o;
    o.now = now;
    Cache local;
    Cache& c = cache ? *cache : local;
    c.sync(store);
    auto const subs = store.subscriptions(true);
    auto const last = store.last_events();
    auto const facts = insights(subs, sources, now);
    // The pins whose releases must be read: one query for all of them when many are (a cold
    // cache), else one per pin.
    std::vector<StoredSubscription const*> stale;
    for (auto const& s : subs)
        if (is_pin(sources, s.sub.source) && !c.find(store, s)) stale.push_back(&s);
    static std::vector<StoredRelease> const kNone;
    // The summaries the polls left, where they still fit: one query for many, else one each.
    if (stale.size() > 32) {
        auto const saved = store.current_summaries(true);
        std::erase_if(stale, [&](StoredSubscription const* s) {
            auto const it = saved.find(s->id);
            return it != saved.end() && c.put(store, *s, it->second);
        });
    } else {
        std::erase_if(stale, [&](StoredSubscription const* s) {
            auto const saved = store.current_summary(s->id, true);
            return saved && c.put(store, *s, *saved);
        });
    }
    if (stale.size() > 32) {
        auto const all = store.all_releases(true);
        for (auto const* s : stale) {
            auto const r = all.find(s->id);
            c.put(store, *s, r == all.end() ? kNone : r->second);
        }
    } else {
        for (auto const* s : stale)
            c.put(store, *s, store.release_list(s->id));
    }
    std::map<std::string, std::vector<Pin>> by_project;
    for (auto const& s : subs) {
        if (!is_pin(sources, s.sub.source)) continue;
        auto const e = last.find(s.id);
        auto const in = facts.find(s.sub.name);
        auto pin = make_pin(s, *c.find(store, s), in == facts.end() ? nullptr : &in->second,
                            e == last.end() ? std::nullopt : std::optional<Event>(e->second), now);
        by_project[pin.project].push_back(std::move(pin));
    }
    for (auto& [project, pins] : by_project) {
        sort_urgent_first(pins);
        o.sections.push_back({project, std::move(pins)});
    }
    std::stable_partition(o.sections.begin(), o.sections.end(),
                          [](Section const& s) { return s.project == "default"; });
    return o;
}

std::optional<PackagePage> collect_package(StateStore const& store, SourceRegistry const& sources,
                                           std::string const& name, UnixTime now) {
    PackagePage page;
    page.now = now;
    auto const subs = store.subscriptions(true);
    auto const facts = insights(subs, sources, now);
    if (auto in = facts.find(name); in != facts.end()) page.insight = in->second;
    auto const last = store.last_events();
    std::set<std::string> live;
    for (auto const& s : subs) {
        if (s.sub.name != name || !is_pin(sources, s.sub.source)) continue;
        auto releases = store.release_list(s.id);
        auto const e = last.find(s.id);
        Cache one;
        page.pins.push_back(
            make_pin(s, one.put(store, s, releases), page.insight ? &*page.insight : nullptr,
                     e == last.end() ? std::nullopt : std::optional<Event>(e->second), now));
        for (auto const& a : page.pins.back().advisories)
            if (live.insert(a.id).second) page.advisories.push_back({a, true, std::nullopt});
        if (page.releases.empty()) page.releases = std::move(releases);
    }
    if (page.pins.empty()) return std::nullopt;
    page.events = store.package_events(name);
    // Advisories told before: each one's newest event says whether it is withdrawn.
    std::set<std::string> seen;
    for (auto const& e : page.events) {
        if (!e.event.advisory) continue;
        auto const& id = e.event.advisory->id;
        if (!seen.insert(id).second) continue;
        if (live.count(id)) {
            for (auto& a : page.advisories)
                if (a.advisory.id == id) a.told = e.event.at;
            continue;
        }
        if (e.event.kind == EventKind::vulnerability_withdrawn || e.event.advisory->withdrawn)
            page.advisories.push_back({*e.event.advisory, false, e.event.at});
    }
    return page;
}

} // namespace pinwatch::watcher::dashboard
