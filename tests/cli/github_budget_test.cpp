#define BOOST_TEST_MODULE github_budget
#include <boost/test/unit_test.hpp>

// What a daemon cycle costs on GitHub for 200 watched repositories that did not change, with and
// without a token, measured against the fake GitHub (README, "GitHub": requests per cycle).

#include "cli/commands.hpp"
#include "tests/fakes/fake_github.hpp"
#include "tests/fakes/fake_pypi.hpp"

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace pinwatch;
using namespace pinwatch::test;
namespace fs = std::filesystem;

namespace {

constexpr int kRepos = 200;

struct Cycle {
    std::size_t requests, charged, not_modified, pypi_json;
};

struct Bench {
    fs::path dir;
    FakePypi pypi;
    FakeGithub github;
    explicit Bench(bool token) {
        dir = fs::temp_directory_path() /
              ("pinwatch-gh-budget-" + std::to_string(::getpid()) + (token ? "-t" : "-n"));
        fs::create_directories(dir);
        std::int64_t const now = std::time(nullptr);
        std::string reqs;
        for (int i = 0; i < kRepos; ++i) {
            std::string const name = "pkg" + std::to_string(i);
            pypi.add_project({name,
                              "",
                              {{"Source", "https://github.com/org/" + name}},
                              {{"1.0", now - 100 * 86400}}});
            FakeGithubRepo r;
            r.full_name = "org/" + name;
            r.releases = {{"v1.0", "", "", false, false, now - 100 * 86400}};
            r.tags = {"v1.0"};
            for (int k = 0; k < 5; ++k)
                r.issues.push_back({k + 1, now - (k + 1) * 3 * 86400, "issue"});
            github.add_repo(r);
            reqs += name + "\n";
        }
        // Enough quota that pacing never waits: this counts requests, not seconds.
        github.set_quota(1'000'000'000, 1'000'000'000, 3600);
        std::string gh = "[github]\napi_url = \"" + github.api_url() + "\"\n";
        if (token) {
            github.set_token("ghp_budget");
            gh += "token = \"ghp_budget\"\n";
        }
        std::ofstream(dir / "requirements.txt") << reqs;
        std::ofstream(dir / "pinwatch.toml")
            << "state = \"state.db\"\nrequirements = [\"requirements.txt\"]\nindex_url = \""
            << pypi.index_url() << "\"\n"
            << gh << "[advisories]\nsource = \"index\"\n";
    }
    ~Bench() { fs::remove_all(dir); }
    // Requests for a project's whole JSON page (/pypi/<name>/json), which discovery reads; the
    // PyPI source's own metadata step asks /pypi/<name>/<version>/json.
    std::size_t discovery_requests() {
        std::size_t n = 0;
        for (auto const& r : pypi.server().received()) {
            auto const p = std::string(r.path());
            if (p.rfind("/pypi/", 0) == 0 && std::count(p.begin(), p.end(), '/') == 3) ++n;
        }
        return n;
    }
    Cycle cycle() {
        github.reset_stats();
        auto const json_before = discovery_requests();
        std::ostringstream out, err;
        int const rc =
            cli::run_daemon({"--config", (dir / "pinwatch.toml").string(), "--once"}, out, err);
        BOOST_TEST(rc == 0, err.str());
        auto const s = github.stats();
        return {s.requests, s.charged, s.not_modified, discovery_requests() - json_before};
    }
};

} // namespace

BOOST_AUTO_TEST_CASE(two_hundred_unchanged_repositories) {
    for (bool token : {true, false}) {
        Bench b(token);
        auto const cold = b.cycle();
        auto const warm = b.cycle();
        BOOST_TEST_MESSAGE((token ? "with a token" : "without a token")
                           << ": first cycle " << cold.requests << " GitHub requests ("
                           << cold.charged << " charged) + " << cold.pypi_json
                           << " PyPI JSON; unchanged cycle " << warm.requests << " requests, "
                           << warm.not_modified << " answered 304, " << warm.charged
                           << " charged to the quota");
        // First cycle: the repository, its releases and its issues (tags: it has releases).
        BOOST_TEST(cold.requests == 3u * kRepos);
        BOOST_TEST(cold.pypi_json == std::size_t(kRepos)); // discovery, once a day
        // Unchanged: releases and issues, both conditional, both 304.
        BOOST_TEST(warm.requests == 2u * kRepos);
        BOOST_TEST(warm.not_modified == 2u * kRepos);
        BOOST_TEST(warm.pypi_json == 0u);
        // GitHub charges a 304 only to requests without a token.
        BOOST_TEST(warm.charged == (token ? 0u : 2u * kRepos));
    }
}
