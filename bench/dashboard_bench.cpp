// pinwatch-bench-dashboard: the server time of the dashboard's overview for N pins (default
// 1,000) of the benchmark mirror (`pinwatch-fake-pypi --projects N --seed 1`, release counts
// skewed like PyPI's): a state file on disk holding every release, each pin on an older
// release, some with a live advisory and some events; then serve("/") as the daemon answers
// it (the state read, summarised, judged and rendered). Cold: the first request, every release
// read. Steady: the daemon's cache kept between requests while 1% of the pins get a new
// release between two requests (as polls write them). Prints the medians and the slowest, the
// split of a cold request, and the page's size. Asserts nothing.
//
// The state is filled as polls leave it: each pin's releases with their summary beside them.
//
// Usage: pinwatch-bench-dashboard [--pins N] [--iterations N]
#include "tests/fakes/fake_pypi.hpp"
#include "watcher/dashboard/dashboard.hpp"
#include "watcher/sources/pypi/pypi.hpp"
#include "watcher/sources/registry.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <unistd.h>
#include <vector>

using namespace pinwatch;
using namespace pinwatch::watcher;

namespace {

using Clock = std::chrono::steady_clock;

double ms(Clock::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

// Fills `store` with one pin per project: pinned a third of the way through its releases.
void fill(StateStore& store, std::vector<test::FakeProject> const& projects, UnixTime now) {
    std::vector<Subscription> subs;
    for (auto const& p : projects) {
        auto sub = pypi_subscription("https://pypi.example/simple/", p.name);
        auto const& pinned = p.releases[p.releases.size() / 3].version;
        sub.specifier = "==" + pinned;
        sub.pinned = pinned;
        sub.file = "requirements.txt";
        subs.push_back(std::move(sub));
    }
    auto const ids = store.upsert_subscriptions(subs, now - 86400);
    std::vector<StateUpdate> updates;
    for (std::size_t i = 0; i < projects.size(); ++i) {
        StateUpdate u;
        u.subscription_id = ids[i];
        u.now = now - 600;
        u.status = PollStatus::ok;
        u.baseline_done = true;
        u.next_due = now + 900;
        for (auto const& f : projects[i].releases) {
            StoredRelease r;
            r.version = f.version;
            r.first_seen = f.upload_time;
            r.upload_time = f.upload_time;
            r.yanked = f.yanked;
            if (f.yanked && !f.yank_reason.empty()) r.yank_reason = f.yank_reason;
            u.upserts.push_back(std::move(r));
        }
        // As a poll leaves it: the summary of the releases it wrote, beside them.
        u.summary = save_summary(subs[i], u.upserts, 0);
        VulnerabilityState v;
        v.version = subs[i].pinned;
        v.checked = now - 600;
        if (i % 25 == 0) {
            Advisory a;
            a.id = "GHSA-bench-" + std::to_string(i);
            a.summary = "A benchmark advisory against " + projects[i].name;
            a.fixed_in = {projects[i].releases.back().version};
            v.live = {a};
        }
        u.vulns = v;
        if (i % 3 == 0) {
            Event e;
            e.id = "bench-" + std::to_string(i);
            e.kind = EventKind::new_release;
            e.source = "pypi";
            e.package = projects[i].name;
            e.version = projects[i].releases.back().version;
            e.at = now - 3600;
            u.events = {e};
            u.recipients = {{{"console", now - 3600}}};
        }
        updates.push_back(std::move(u));
    }
    store.apply_all(updates);
}

} // namespace

int main(int argc, char** argv) {
    std::size_t pins = 1000;
    int iterations = 30;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--pins") && i + 1 < argc)
            pins = static_cast<std::size_t>(std::max(1, std::atoi(argv[++i])));
        else if (!std::strcmp(argv[i], "--iterations") && i + 1 < argc)
            iterations = std::max(1, std::atoi(argv[++i]));
        else {
            std::fprintf(stderr, "usage: pinwatch-bench-dashboard [--pins N] [--iterations N]\n");
            return 2;
        }
    }
    UnixTime const now = 1'800'000'000;
    auto const projects = test::FakePypi::generate(pins, 1, now);
    auto const path = std::filesystem::temp_directory_path() /
                      ("pinwatch-bench-dashboard-" + std::to_string(::getpid()) + ".db");
    std::size_t releases = 0;
    for (auto const& p : projects)
        releases += p.releases.size();
    std::vector<double> total, read, render, steady;
    std::size_t bytes = 0;
    {
        StateStore store(path.string());
        fill(store, projects, now);
        std::vector<std::string> warnings;
        SourceSetup setup;
        setup.mode = SourceSetup::Mode::report;
        auto const sources = SourceRegistry::build(setup, warnings);
        if (!sources) {
            std::fprintf(stderr, "%s\n", sources.error().c_str());
            return 1;
        }
        for (int i = 0; i < iterations; ++i) {
            auto const t0 = Clock::now();
            auto const reply = dashboard::serve("/", store, *sources, now);
            auto const t1 = Clock::now();
            auto const data = dashboard::collect_overview(store, *sources, now);
            auto const t2 = Clock::now();
            auto const page = dashboard::render_overview(data);
            auto const t3 = Clock::now();
            bytes = reply->body.size();
            total.push_back(ms(t1 - t0));
            read.push_back(ms(t2 - t1));
            render.push_back(ms(t3 - t2));
        }
        // Steady state: one cache across requests, 1% of the pins polled with news between two.
        dashboard::Cache cache;
        dashboard::serve("/", store, *sources, now, &cache);
        auto const subs = store.subscriptions(true);
        for (int i = 0; i < iterations; ++i) {
            std::vector<StateUpdate> polls;
            for (std::size_t k = 0; k < subs.size(); k += 100) {
                StateUpdate u;
                u.subscription_id = subs[(k + static_cast<std::size_t>(i)) % subs.size()].id;
                u.now = now;
                u.status = PollStatus::ok;
                u.baseline_done = true;
                u.next_due = now + 900;
                StoredRelease r;
                r.version = "9999." + std::to_string(i);
                r.first_seen = now;
                r.upload_time = now;
                u.upserts.push_back(r);
                // The poll's summary of its releases with the new one, as the poller writes it.
                auto const s = store.subscription(u.subscription_id);
                auto releases = store.release_list(s->id);
                releases.push_back(std::move(r));
                u.summary = save_summary(s->sub, releases, s->release_generation);
                polls.push_back(std::move(u));
            }
            store.apply_all(polls);
            auto const t0 = Clock::now();
            auto const reply = dashboard::serve("/", store, *sources, now, &cache);
            steady.push_back(ms(Clock::now() - t0));
        }
    }
    for (auto const* suffix : {"", "-wal", "-shm"})
        std::filesystem::remove(path.string() + suffix);
    auto median = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        return v[v.size() / 2];
    };
    std::printf("dashboard overview, %zu pins (%zu releases), %d runs each: steady (cache, 1%% of "
                "pins changed between requests) median %.1f ms, slowest %.1f ms; cold median "
                "%.1f ms (state read + summaries %.1f ms, HTML %.1f ms); page %zu bytes "
                "(%.0f KiB)\n",
                pins, releases, iterations, median(steady),
                *std::max_element(steady.begin(), steady.end()), median(total), median(read),
                median(render), bytes, bytes / 1024.0);
    return 0;
}
