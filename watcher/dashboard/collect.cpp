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
health::Judgement judge(std::vector<StoredRelease> const& releases, PackageInsight const* insight,
                        UnixTime now) {
    health::PypiProject project;
    for (auto const& r : releases)
        if (r.upload_time) project.releases.emplace_back(r.version, *r.upload_time);
    std::sort(project.releases.begin(), project.releases.end(),
              [](auto const& a, auto const& b) { return a.second < b.second; });
    health::Facts facts;
    health::release_facts(project, now, facts);
    if (insight && insight->repo) {
        facts.repo = insight->repo;
        facts.owner_type = insight->owner_type;
        facts.archived = insight->archived;
        facts.open_issues = insight->open_issues;
    }
    return health::judge(facts, now);
}

Pin make_pin(StoredSubscription const& s, std::vector<StoredRelease> const& releases,
             PackageInsight const* insight, std::optional<Event> last_event, UnixTime now) {
    Pin p;
    p.project = project_of(s.sub);
    p.package = s.sub.name;
    p.specifier = s.sub.specifier;
    p.pinned = s.sub.pinned;
    auto const summary = summarize(s.sub, releases);
    p.latest = summary.latest;
    p.libyears = summary.libyears;
    p.yanked = summary.pin_yanked;
    p.yank_reason = summary.pin_yank_reason;
    p.failing = s.last_status == PollStatus::error || s.last_status == PollStatus::gone;
    if (p.failing) p.error = redact_credentials(s.last_error.value_or(to_string(s.last_status)));
    if (s.last_status != PollStatus::pending && !releases.empty()) p.update = summary.update_type;
    if (s.sub.pinned && s.vulns.version == s.sub.pinned) p.advisories = s.vulns.live;
    if (!releases.empty()) p.health = judge(releases, insight, now);
    p.last_poll = s.last_poll;
    p.last_event = std::move(last_event);
    return p;
}

} // namespace

std::string project_of(Subscription const&) {
    // Projects (#16) give every subscription its project; until then every pin is the
    // top-level requirements', the "default" project's.
    return "default";
}

Overview collect_overview(StateStore const& store, SourceRegistry const& sources, UnixTime now) {
    Overview o;
    o.now = now;
    auto const subs = store.subscriptions(true);
    auto const releases = store.all_releases(true);
    auto const last = store.last_events();
    auto const facts = insights(subs, sources, now);
    static std::vector<StoredRelease> const kNone;
    std::map<std::string, std::vector<Pin>> by_project;
    for (auto const& s : subs) {
        if (!is_pin(sources, s.sub.source)) continue;
        auto const r = releases.find(s.id);
        auto const e = last.find(s.id);
        auto const in = facts.find(s.sub.name);
        auto pin = make_pin(s, r == releases.end() ? kNone : r->second,
                            in == facts.end() ? nullptr : &in->second,
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
        page.pins.push_back(
            make_pin(s, releases, page.insight ? &*page.insight : nullptr,
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
