// pinwatch-fake-github: the fake GitHub API as a program, for trying `check --github`,
// `evaluate` and the daemon's GitHub polls offline. Serves the repositories of the fake PyPI's
// demo set (psf/requests, django/django, urllib3/urllib3, pallets/flask, numpy/numpy) with a few
// weeks of steady issues, and with --demo keeps adding: a burst of issues, a GitHub-only
// release, quiet days.
#include "tests/fakes/fake_github.hpp"

#include <atomic>
#include <chrono>
#include <csignal>
#include <ctime>
#include <iostream>
#include <thread>

using namespace pinwatch::test;

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) {
    g_stop = true;
}

constexpr char const* kUsage =
    R"(usage: pinwatch-fake-github [--token TOKEN] [--quota N] [--demo SECONDS]

Serves a fake GitHub REST API on 127.0.0.1 (an ephemeral port) until SIGINT/SIGTERM.
  --token TOKEN    accept `Authorization: Bearer TOKEN` (quota 5000 an hour)
  --quota N        requests an hour without a token (default 60, as github.com)
  --demo SECONDS   every SECONDS, one change: a burst of 15 issues, a release PyPI lacks, ...
Prints "api_url: <url>" once it is listening.
)";

constexpr std::int64_t kDay = 86400;

void add_demo_repos(FakeGithub& gh, std::int64_t now) {
    struct Repo {
        char const* name;
        char const* owner_type;
        std::vector<char const*> tags; // oldest first
        int issues_a_day;
    };
    Repo const repos[] = {
        {"psf/requests", "Organization", {"v2.29.0", "v2.30.0", "v2.31.0"}, 2},
        {"django/django", "Organization", {"4.2.0", "4.2.1", "4.2.7"}, 5},
        {"urllib3/urllib3", "Organization", {"2.0.7", "2.1.0"}, 1},
        {"pallets/flask", "Organization", {"2.3.3", "3.0.0"}, 1},
        {"numpy/numpy", "Organization", {"v1.26.0", "v1.26.1"}, 8},
    };
    for (auto const& r : repos) {
        FakeGithubRepo repo;
        repo.full_name = r.name;
        repo.owner_type = r.owner_type;
        repo.created = now - 3000 * kDay;
        std::int64_t t = now - static_cast<std::int64_t>(r.tags.size()) * 30 * kDay;
        for (auto const* tag : r.tags) {
            repo.releases.push_back({tag, tag, "Changes in " + std::string(tag), false, false, t});
            repo.tags.insert(repo.tags.begin(), tag);
            t += 30 * kDay;
        }
        std::int64_t n = 1;
        for (int d = 28; d >= 1; --d)
            for (int k = 0; k < r.issues_a_day; ++k) {
                FakeGithubIssue i{n++, now - d * kDay + k * 600, "steady issue"};
                if (k % 3 == 2) i.pull_request = true;
                repo.issues.push_back(i);
            }
        gh.add_repo(std::move(repo));
    }
}

void demo_step(FakeGithub& gh, std::int64_t now) {
    static int counter = 0;
    switch (counter++ % 3) {
    case 0:
        for (int i = 0; i < 15; ++i)
            gh.add_issue("psf/requests",
                         {gh.next_number("psf/requests"), now - 60 + i,
                          "ImportError after upgrading (" + std::to_string(i) + ")"});
        std::cout << "fake-github: 15 new issues on psf/requests" << std::endl;
        break;
    case 1: {
        // Published 7 hours ago: past pinwatch's grace period for PyPI to catch up.
        std::string tag = "v3.1.0rc" + std::to_string(counter);
        gh.add_release("pallets/flask", {tag, "Flask " + tag, "A release candidate.\n\n* things",
                                         false, true, now - 7 * 3600});
        gh.add_tag("pallets/flask", tag);
        std::cout << "fake-github: released pallets/flask " << tag << " (not on PyPI)" << std::endl;
        break;
    }
    default:
        std::cout << "fake-github: a quiet day" << std::endl;
        break;
    }
}

} // namespace

int main(int argc, char** argv) {
    std::string token;
    std::int64_t quota = 60;
    int demo_every = 0;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::cerr << "pinwatch-fake-github: " << a << " needs a value\n";
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--token")
            token = next();
        else if (a == "--quota")
            quota = std::stoll(next());
        else if (a == "--demo")
            demo_every = std::stoi(next());
        else if (a == "-h" || a == "--help") {
            std::cout << kUsage;
            return 0;
        } else {
            std::cerr << "pinwatch-fake-github: unknown argument '" << a << "'\n" << kUsage;
            return 2;
        }
    }
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    TestServerOptions opts;
    opts.record = false; // a long-running server must not keep every request
    FakeGithub gh(opts);
    if (!token.empty()) gh.set_token(token);
    gh.set_quota(quota, 5000, 3600);
    add_demo_repos(gh, std::time(nullptr));
    std::cout << "api_url: " << gh.api_url() << std::endl;
    auto next_step = std::chrono::steady_clock::now() + std::chrono::seconds(demo_every);
    while (!g_stop) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (demo_every > 0 && std::chrono::steady_clock::now() >= next_step) {
            demo_step(gh, std::time(nullptr));
            next_step += std::chrono::seconds(demo_every);
        }
    }
    auto const s = gh.stats();
    std::cout << "fake-github: served " << s.requests << " requests, " << s.not_modified
              << " 304s, " << s.charged << " charged to the quota, " << s.rate_limited
              << " refused by a rate limit" << std::endl;
    return 0;
}
