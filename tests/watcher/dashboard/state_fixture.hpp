// A state store holding a few pins as polls leave them (releases, a yanked pin, live and
// withdrawn advisories, a failing poll, events and their deliveries, a GitHub repository's
// issues), for the dashboard's tests.
#pragma once

#include "watcher/sources/github/github.hpp"
#include "watcher/sources/pypi/pypi.hpp"
#include "watcher/sources/registry.hpp"
#include "watcher/state/outbox.hpp"
#include "watcher/state/store.hpp"

namespace pinwatch::test {

using namespace pinwatch::watcher;

inline constexpr UnixTime kNow = 1'800'000'000;
inline constexpr UnixTime kYear = 365 * 86400 + 6 * 3600;
inline constexpr char const* kHostile = "<img src=x onerror=alert(1)>";

inline StoredRelease release(std::string v, UnixTime uploaded, bool yanked = false,
                             std::optional<std::string> reason = std::nullopt) {
    StoredRelease r;
    r.version = std::move(v);
    r.first_seen = uploaded;
    r.upload_time = uploaded;
    r.yanked = yanked;
    r.yank_reason = std::move(reason);
    return r;
}

inline Advisory advisory(std::string id, std::string summary) {
    Advisory a;
    a.id = std::move(id);
    a.summary = std::move(summary);
    a.link = "https://osv.dev/vulnerability/" + a.id;
    a.fixed_in = {"9.9"};
    return a;
}

struct StateFixture {
    StateStore store{":memory:"};
    std::map<std::string, std::int64_t> ids;

    std::int64_t pin(std::string const& name, std::string const& version,
                     std::vector<StoredRelease> releases, PollStatus status = PollStatus::ok) {
        auto sub = pypi_subscription("https://user:hunter2@pypi.example/simple/", name);
        sub.specifier = "==" + version;
        sub.pinned = version;
        sub.origin = "https://pypi.example/simple/";
        auto const id = store.upsert_subscription(sub, kNow - 3600);
        StateUpdate u;
        u.subscription_id = id;
        u.now = kNow - 600;
        u.status = status;
        u.baseline_done = true;
        u.upserts = std::move(releases);
        if (status == PollStatus::error) {
            u.error = "pypi:" + name + ": http 503 from https://user:hunter2@pypi.example/";
            u.consecutive_failures = 3;
        }
        VulnerabilityState v;
        v.version = version;
        v.checked = kNow - 600;
        u.vulns = v;
        store.apply(u);
        ids[name] = id;
        return id;
    }

    void vulnerable(std::string const& name, std::string const& version, Advisory a) {
        StateUpdate u;
        u.subscription_id = ids.at(name);
        u.now = kNow - 500;
        u.status = PollStatus::ok;
        u.baseline_done = true;
        VulnerabilityState v;
        v.version = version;
        v.checked = kNow - 500;
        v.live = {a};
        u.vulns = v;
        Event e;
        e.id = "ev-" + a.id;
        e.kind = EventKind::vulnerability;
        e.source = "pypi";
        e.package = name;
        e.version = version;
        e.advisory = a;
        e.at = kNow - 500;
        u.events = {e};
        u.recipients = {{{"console", kNow - 500}, {"slack", kNow - 500}}};
        store.apply(u);
    }

    void event(std::string const& name, Event e, std::vector<OutboxTarget> targets) {
        StateUpdate u;
        u.subscription_id = ids.at(name);
        u.now = e.at;
        u.status = PollStatus::ok;
        u.baseline_done = true;
        u.events = {std::move(e)};
        u.recipients = {std::move(targets)};
        store.apply(u);
    }

    // The standard scene: four pins of the default project.
    StateFixture() {
        // old: pinned two years behind a major release.
        pin("old", "1.0", {release("1.0", kNow - 3 * kYear), release("2.0", kNow - kYear)});
        // fine: up to date.
        pin("fine", "3.1", {release("3.0", kNow - 2 * kYear), release("3.1", kNow - 10 * 86400)});
        // hostile: its pinned version yanked with markup for a reason.
        pin("hostile", "0.1",
            {release("0.1", kNow - kYear, true, std::string(kHostile)),
             release("0.1.1", kNow - kYear / 2)});
        // vuln: a live advisory, and one withdrawn since.
        pin("vuln", "1.0",
            {release("1.0", kNow - 200 * 86400), release("1.1", kNow - 100 * 86400)});
        vulnerable("vuln", "1.0", advisory("GHSA-live-0001", "Request smuggling"));
        auto gone = advisory("GHSA-gone-0002", "A false alarm");
        gone.withdrawn = "2026-11-25T10:00:00Z";
        Event w;
        w.id = "ev-withdrawn";
        w.kind = EventKind::vulnerability_withdrawn;
        w.source = "pypi";
        w.package = "vuln";
        w.version = "1.0";
        w.advisory = gone;
        w.at = kNow - 400;
        event("vuln", w, {{"console", kNow - 400}});
        // broken: its last polls failed.
        pin("broken", "5.0", {release("5.0", kNow - kYear)}, PollStatus::error);
        Outbox outbox(store);
        for (auto const& item : outbox.pending("console", kNow))
            outbox.mark_delivered(item.id, kNow - 300);
    }

    // A GitHub repository for `name`, with `per_day` issues on each of the last 28 days.
    void github(std::string const& name, std::vector<int> const& per_day) {
        auto pypi = *store.subscription(ids.at(name));
        auto sub = github_subscription(pypi.sub, "https://api.github.com/");
        auto const id = store.upsert_subscription(sub, kNow - 3600);
        github_detail::State st;
        st.repo = "example/" + name;
        st.facts.full_name = *st.repo;
        st.facts.html_url = "https://github.com/example/" + name;
        st.facts.owner_type = "Organization";
        st.facts.open_issues = 12;
        st.repo_checked = kNow - 600;
        st.issues_from = kNow - 40 * 86400;
        std::int64_t n = 0;
        for (std::size_t d = 0; d < per_day.size(); ++d)
            for (int k = 0; k < per_day[d]; ++k)
                st.issues.emplace_back(
                    ++n, kNow - static_cast<UnixTime>(per_day.size() - 1 - d) * 86400 - 100 - k);
        StateUpdate u;
        u.subscription_id = id;
        u.now = kNow - 600;
        u.status = PollStatus::ok;
        u.baseline_done = true;
        u.source_state = github_detail::to_json(st);
        store.apply(u);
    }
};

// Every source `status` and `report` know.
inline SourceRegistry report_sources() {
    std::vector<std::string> warnings;
    SourceSetup setup;
    setup.mode = SourceSetup::Mode::report;
    auto r = SourceRegistry::build(setup, warnings);
    if (!r) throw std::runtime_error(r.error());
    return std::move(*r);
}

} // namespace pinwatch::test
