// pinwatch-bench-diff: the per-poll cost of diff() on the benchmark mirror's largest project
// (3,000 releases, `pinwatch-fake-pypi --projects 500 --seed 1`), as the poller pays it: the
// subscription and its known releases read back from a state store, one new release listed.
// Prints microseconds per diff() (median of the runs); under callgrind, count the instructions
// of diff() alone with --toggle-collect (see the README's "Benchmark").
//
// Usage: pinwatch-bench-diff [--iterations N] [--specifier SPEC]
#include "tests/fakes/fake_pypi.hpp"
#include "watcher/diff.hpp"
#include "watcher/sources/pypi/pypi.hpp"
#include "watcher/state/store.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace pinwatch;
using namespace pinwatch::watcher;

namespace {

Observation listing(test::FakeProject const& project, std::size_t count) {
    Observation obs;
    obs.status = Observation::Status::ok;
    obs.validator = "\"bench\"";
    for (std::size_t i = 0; i < count; ++i) {
        auto const& f = project.releases[i];
        Release r;
        r.version = f.version;
        r.key = release_key(f.version); // as the PyPI source fills it while parsing
        r.upload_time = f.upload_time;
        r.yanked = f.yanked;
        if (f.yanked && !f.yank_reason.empty()) r.yank_reason = f.yank_reason;
        if (!f.requires_python.empty()) r.requires_python = f.requires_python;
        obs.releases.push_back(std::move(r));
    }
    return obs;
}

} // namespace

int main(int argc, char** argv) {
    int iterations = 200;
    std::string specifier; // the mirror's requirements subscribe its first project without one
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--iterations") && i + 1 < argc)
            iterations = std::max(1, std::atoi(argv[++i]));
        else if (!std::strcmp(argv[i], "--specifier") && i + 1 < argc)
            specifier = argv[++i];
        else {
            std::fprintf(stderr, "usage: pinwatch-bench-diff [--iterations N] [--specifier S]\n");
            return 2;
        }
    }
    UnixTime const now = 1'800'000'000;
    auto const projects = test::FakePypi::generate(500, 1, now);
    auto const& project = projects.front();
    auto const total = project.releases.size();

    StateStore store(":memory:");
    auto sub = pypi_subscription("https://pypi.example/simple/", project.name);
    sub.specifier = specifier;
    auto const id = store.upsert_subscription(sub, now);
    DiffPolicy const policy{3, std::string("3.11.7")};
    // The baseline: every release but the newest, stored as a first poll stores them.
    store.apply(
        diff(*store.subscription(id), {}, listing(project, total - 1), now, now + 600, policy));
    // What the poller hands diff() on the next poll: the subscription and the known releases
    // read back from the store, and a listing with one release more.
    auto const stored = *store.subscription(id);
    auto const known = store.releases(id);
    auto const observed = listing(project, total);

    std::vector<double> micros;
    std::size_t events = 0;
    for (int i = 0; i < iterations; ++i) {
        auto const t0 = std::chrono::steady_clock::now();
        auto const u = diff(stored, known, observed, now + 600, now + 1200, policy);
        auto const t1 = std::chrono::steady_clock::now();
        events = u.events.size();
        micros.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
    std::sort(micros.begin(), micros.end());
    std::printf("project %s: %zu releases known, %zu listed, %zu event(s) per diff\n",
                project.name.c_str(), known.size(), observed.releases.size(), events);
    std::printf("diff(): median %.0f us, min %.0f us over %d runs\n", micros[micros.size() / 2],
                micros.front(), iterations);
    return 0;
}
