#define BOOST_TEST_MODULE github_e2e
#include <boost/test/unit_test.hpp>

// GitHub through the real command-line entry points, against the fake PyPI and the fake GitHub
// on loopback: `check --github`, the daemon's GitHub polls and events, `status`, `evaluate`.

#include "cli/commands.hpp"
#include "net/http.hpp"
#include "tests/fakes/captured_log.hpp"
#include "tests/fakes/fake_github.hpp"
#include "tests/fakes/fake_pypi.hpp"
#include "watcher/sources/github/github.hpp"
#include "watcher/state/fetched_files.hpp"
#include "watcher/state/store.hpp"

#include <rapidjson/document.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace pinwatch;
using namespace pinwatch::test;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kDay = 86400;

struct ScopedEnv {
    std::string name;
    ScopedEnv(std::string n, char const* value) : name(std::move(n)) {
        if (value)
            ::setenv(name.c_str(), value, 1);
        else
            ::unsetenv(name.c_str());
    }
    ~ScopedEnv() { ::unsetenv(name.c_str()); }
};

bool contains(std::string const& s, std::string const& part) {
    return s.find(part) != std::string::npos;
}

struct Workspace {
    fs::path dir;
    FakePypi pypi;
    FakeGithub github;
    std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));

    Workspace() {
        static int counter = 0;
        dir = fs::temp_directory_path() /
              ("pinwatch-gh-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        fs::create_directories(dir);
        // requests: on GitHub, steady issues; flaky: on GitHub; plain: no repository anywhere.
        pypi.add_project({"requests",
                          "HTTP",
                          {{"Documentation", "https://requests.readthedocs.io"},
                           {"Source", "https://github.com/psf/requests"}},
                          {{"2.31.0", now - 200 * kDay}, {"2.32.3", now - 30 * kDay}}});
        pypi.add_project({"flaky",
                          "Flaky",
                          {{"Homepage", "https://github.com/org/flaky/"}},
                          {{"1.0", now - 100 * kDay}}});
        pypi.add_project({"plain",
                          "No repo",
                          {{"Homepage", "https://plain.example"}},
                          {{"0.1", now - 10 * kDay}}});
        FakeGithubRepo r;
        r.full_name = "psf/requests";
        r.created = now - 4000 * kDay;
        r.releases = {{"v2.31.0", "v2.31.0", "old", false, false, now - 200 * kDay},
                      {"v2.32.3", "v2.32.3", "* Fix", false, false, now - 30 * kDay},
                      {"v2.33.0b1", "", "", false, true, now - 5 * kDay}};
        r.tags = {"v2.33.0b1", "v2.32.3", "v2.31.0"};
        for (int d = 0; d < 28; ++d)
            r.issues.push_back(
                {d + 1, now - (28 - d) * kDay + 3600, "steady " + std::to_string(d)});
        github.add_repo(r);
        FakeGithubRepo f;
        f.full_name = "org/flaky";
        f.owner_type = "User";
        f.created = now - 300 * kDay;
        f.releases = {{"v1.0", "", "", false, false, now - 100 * kDay}};
        for (int d = 0; d < 28; ++d)
            f.issues.push_back({d + 1, now - (28 - d) * kDay + 3600, "steady"});
        github.add_repo(f);
        // Quick pacing in tests: the daemon spreads the quota over the window.
        github.set_quota(100000, 1000000, 3600);
        write("requirements.txt", "requests==2.31.0\nflaky>=1\nplain\n");
    }
    ~Workspace() { fs::remove_all(dir); }
    void write(std::string const& name, std::string const& text) {
        std::ofstream(dir / name, std::ios::binary) << text;
    }
    std::string path(std::string const& name) const { return (dir / name).string(); }
    void config(std::string extra = "") {
        write("pinwatch.toml", "state = \"state.db\"\nrequirements = [\"requirements.txt\"]\n"
                               "index_url = \"" +
                                   pypi.index_url() +
                                   "\"\ninterval = \"1h\"\n[advisories]\nsource = "
                                   "\"index\"\n[http]\ntimeout = \"5s\"\n"
                                   "[github]\napi_url = \"" +
                                   github.api_url() + "\"\n" + extra);
    }
    int check(std::vector<std::string> extra, std::string& out, std::string& err) {
        std::vector<std::string> args = {"-r",
                                         path("requirements.txt"),
                                         "--index-url",
                                         pypi.index_url(),
                                         "--github-api-url",
                                         github.api_url(),
                                         "-q"};
        args.insert(args.end(), extra.begin(), extra.end());
        std::ostringstream o, e;
        int const rc = cli::run_check(args, o, e);
        out = o.str();
        err = e.str();
        return rc;
    }
    std::vector<std::string> run_once() {
        std::ostringstream out, err;
        int const rc = cli::run_daemon({"--config", path("pinwatch.toml"), "--once"}, out, err);
        BOOST_TEST_REQUIRE(rc == 0, "run --once failed: " << err.str());
        std::vector<std::string> lines;
        std::istringstream in(out.str());
        for (std::string l; std::getline(in, l);)
            lines.push_back(l);
        return lines;
    }
};

rapidjson::Value const& requirement(rapidjson::Document const& d, std::string const& name) {
    for (auto const& r : d["requirements"].GetArray())
        if (name == r["name"].GetString()) return r;
    BOOST_FAIL("no requirement " + name);
    return d["requirements"][0];
}

} // namespace

BOOST_AUTO_TEST_CASE(check_github_adds_the_github_object_per_requirement) {
    Workspace w;
    ScopedEnv no_token("GITHUB_TOKEN", nullptr);
    std::string out, err;
    int const rc = w.check({"--json"}, out, err);
    BOOST_TEST(rc == 0, err);
    BOOST_TEST(contains(err, "no GITHUB_TOKEN"), err);
    rapidjson::Document d;
    d.Parse(out.c_str());
    BOOST_REQUIRE(!d.HasParseError());
    auto const& g = requirement(d, "requests")["github"];
    BOOST_REQUIRE(g.IsObject());
    BOOST_TEST(std::string(g["repo"].GetString()) == "psf/requests");
    BOOST_TEST(std::string(g["latest_release"].GetString()) == "v2.32.3");
    BOOST_TEST(std::string(g["latest_tag"].GetString()) == "v2.32.3");
    BOOST_TEST(std::string(g["release_notes_url"].GetString()) ==
               w.github.api_url() + "psf/requests/releases/tag/v2.32.3");
    BOOST_TEST(g["open_issues"].GetInt() == 28);
    BOOST_TEST(g["issues_last_24h"].GetInt() == 1);
    BOOST_TEST(g["issues_daily_mean"].GetDouble() == 1.0);
    BOOST_TEST(g["issue_spike"].IsNull());
    BOOST_TEST(g["error"].IsNull());
    // No repository: null, with the reason in the table.
    BOOST_TEST(requirement(d, "plain")["github"].IsNull());
    BOOST_TEST(requirement(d, "flaky")["github"]["repo"].GetString() == std::string("org/flaky"));

    std::string table;
    BOOST_TEST(w.check({}, table, err) == 0);
    BOOST_TEST(contains(table, "GITHUB"), table);
    BOOST_TEST(contains(table, "psf/requests v2.32.3, 28 open, 1 new in 24 h"), table);
    BOOST_TEST(contains(table, "no GitHub repository: no GitHub repository in the project's PyPI "
                               "project_urls or home_page"),
               table);
}

BOOST_AUTO_TEST_CASE(check_reports_a_spike_and_a_github_failure_exits_3) {
    Workspace w;
    w.github.add_release("org/flaky", {"v1.1", "", "", false, false, w.now - 7200});
    for (int i = 0; i < 15; ++i)
        w.github.add_issue("org/flaky", {100 + i, w.now - 3000 + i, "broken after 1.1"});
    std::string out, err;
    BOOST_TEST(w.check({"--json"}, out, err) == 0, err);
    rapidjson::Document d;
    d.Parse(out.c_str());
    BOOST_REQUIRE(!d.HasParseError());
    auto const& spike = requirement(d, "flaky")["github"]["issue_spike"];
    BOOST_REQUIRE(spike.IsObject());
    BOOST_TEST(spike["issues_last_24h"].GetInt() == 16);
    BOOST_TEST(spike["expected"].GetDouble() == 1.0);
    BOOST_TEST(spike["p_value"].GetDouble() < 1e-9);
    BOOST_TEST(std::string(spike["since_release"].GetString()) == "v1.1");

    w.github.set_fault("psf/requests", GithubFault::server_error);
    BOOST_TEST(w.check({"--json"}, out, err) == 3);
    d.Parse(out.c_str());
    BOOST_REQUIRE(!d.HasParseError());
    auto const& g = requirement(d, "requests")["github"];
    BOOST_REQUIRE(g.IsObject());
    BOOST_TEST(contains(g["error"].GetString(), "github:requests: repo: http 502"),
               g["error"].GetString());
    BOOST_TEST(requirement(d, "requests")["error"].IsNull()); // PyPI was fine
}

BOOST_AUTO_TEST_CASE(a_token_is_sent_and_never_shown) {
    Workspace w;
    w.github.set_token("ghp_s3cr3tTOKEN");
    ScopedEnv token("GITHUB_TOKEN", "ghp_s3cr3tTOKEN");
    std::string out, err;
    BOOST_TEST(w.check({"--json", "-v"}, out, err) == 0, err);
    BOOST_TEST(!contains(out + err, "s3cr3t"));
    BOOST_TEST(!contains(err, "no GITHUB_TOKEN"));
    for (auto const& r : w.github.server().received())
        BOOST_TEST(r.header("authorization").value_or("") == "Bearer ghp_s3cr3tTOKEN");
    // A second check on the same state: all conditional, all 304, no quota spent.
    BOOST_TEST(w.check({"--json", "--state", w.path("s.db")}, out, err) == 0);
    w.github.reset_stats();
    BOOST_TEST(w.check({"--json", "--state", w.path("s.db")}, out, err) == 0);
    auto const st = w.github.stats();
    BOOST_TEST(st.charged == 0u);
    BOOST_TEST(st.not_modified == st.requests);
}

BOOST_AUTO_TEST_CASE(a_rate_limited_check_slows_down_instead_of_failing) {
    Workspace w;
    ScopedEnv no_token("GITHUB_TOKEN", nullptr);
    // Six unauthenticated requests per two seconds; each repository costs four.
    w.github.set_quota(6, 1000, 2);
    w.github.set_fault("org/flaky", GithubFault::retry_after_403, 1);
    std::string out, err;
    BOOST_TEST(w.check({"--json"}, out, err) == 0, err << out);
    rapidjson::Document d;
    d.Parse(out.c_str());
    BOOST_REQUIRE(!d.HasParseError());
    BOOST_TEST(requirement(d, "requests")["github"]["error"].IsNull());
    BOOST_TEST(requirement(d, "flaky")["github"]["error"].IsNull());
    BOOST_TEST(requirement(d, "flaky")["github"]["repo"].GetString() == std::string("org/flaky"));
    // The quota was never overrun: only the injected secondary limit was met.
    BOOST_TEST(w.github.stats().rate_limited == 1u);
}

// A quota spent until a reset an hour away is not waited for: the check ends now, the
// repositories GitHub refused say so in github.error, and the exit status is 3.
BOOST_AUTO_TEST_CASE(a_quota_spent_for_an_hour_fails_the_check_instead_of_holding_it) {
    Workspace w;
    ScopedEnv no_token("GITHUB_TOKEN", nullptr);
    w.github.set_quota(6, 1000, 3600); // six unauthenticated requests an hour
    std::string out, err;
    auto const started = std::chrono::steady_clock::now();
    BOOST_TEST(w.check({"--json"}, out, err) == 3, err << out);
    BOOST_TEST_MESSAGE(
        "took " << std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()
                << " s");
    rapidjson::Document d;
    d.Parse(out.c_str());
    BOOST_REQUIRE(!d.HasParseError());
    std::size_t refused = 0;
    for (auto const& r : d["requirements"].GetArray())
        if (r["github"].IsObject() && r["github"]["error"].IsString())
            refused += contains(r["github"]["error"].GetString(), "rate limit");
    BOOST_TEST(refused >= 1u, out);
    BOOST_TEST(!contains(err, "waiting"), err);
}

BOOST_AUTO_TEST_CASE(the_daemon_watches_github_and_tells_every_notifier) {
    Workspace w;
    w.config("[github.repos]\nplain = \"org/flaky\"\nflaky = false\n");
    BOOST_TEST(w.run_once().empty()); // the baseline is silent

    // A burst of issues after a release; a GitHub-only release published 7 hours ago.
    w.github.add_release("psf/requests", {"v2.33.0", "2.33", "Breaking \x1b[2J change", false,
                                          false, w.now - 7 * 3600});
    for (int i = 0; i < 12; ++i)
        w.github.add_issue("psf/requests",
                           {200 + i, w.now - 600 + i, "2.33 breaks <b>imports</b>"});
    auto lines = w.run_once();
    BOOST_REQUIRE_EQUAL(lines.size(), 2u);
    std::string const all = lines[0] + "\n" + lines[1];
    BOOST_TEST(contains(all, "github_release requests v2.33.0 released on GitHub"), all);
    BOOST_TEST(contains(all, "not on PyPI after 6 h"), all);
    BOOST_TEST(contains(all, "Breaking \\x1b[2J change"), all);
    BOOST_TEST(contains(all, "issue_spike requests: a spike of new GitHub issues: 13 new issues in "
                             "24 h"),
               all);
    BOOST_TEST(contains(all, "since release v2.33.0"), all);
    // Nothing twice.
    BOOST_TEST(w.run_once().empty());

    // status: one row per repository, with the quota the server reported.
    std::ostringstream out, err;
    BOOST_TEST(cli::run_status({"--state", w.path("state.db")}, out, err) == 0, err.str());
    auto const s = out.str();
    BOOST_TEST(contains(s, "REPOSITORY"), s);
    BOOST_TEST(contains(s, "psf/requests"), s);
    BOOST_TEST(contains(s, "(no token)"), s);
    BOOST_TEST(contains(s, "(ISSUE SPIKE)"), s);
    BOOST_TEST(contains(s, "3 package(s), 2 GitHub repositories"), s);
    // [github.repos]: `plain` is watched through org/flaky, `flaky` not at all.
    watcher::StateStore store(w.path("state.db"));
    int github_subs = 0;
    for (auto const& sub : store.subscriptions())
        if (sub.sub.source == "github") {
            ++github_subs;
            BOOST_TEST(sub.sub.name != "flaky");
            if (sub.sub.name == "plain")
                BOOST_TEST(
                    watcher::github_detail::state_from_json(*sub.source_state).repo.value_or("-") ==
                    "org/flaky");
        }
    BOOST_TEST(github_subs == 2);
}

BOOST_AUTO_TEST_CASE(evaluate_judges_each_dependency) {
    Workspace w;
    ScopedEnv no_token("GITHUB_TOKEN", nullptr);
    // requests: an organisation, released within the year, PRs merged in 2 days.
    for (int i = 0; i < 4; ++i) {
        FakeGithubIssue pr{500 + i, w.now - 40 * kDay, "pr", true};
        pr.closed = pr.merged = w.now - 38 * kDay;
        w.github.add_issue("psf/requests", pr);
    }
    w.github.add_issue("psf/requests", {600, w.now - kDay, "open pr", true});
    // flaky: one person's account, archived.
    w.github.add_repo({"org/flaky", "User", true, w.now - 300 * kDay, {}, {}, {}});
    std::ostringstream out, err;
    int const rc =
        cli::run_evaluate({"requests", "flaky", "plain", "--index-url", w.pypi.index_url(),
                           "--github-api-url", w.github.api_url(), "--json"},
                          out, err);
    BOOST_TEST(rc == 0, err.str());
    rapidjson::Document d;
    d.Parse(out.str().c_str());
    BOOST_REQUIRE(!d.HasParseError());
    auto const& p = d["packages"];
    BOOST_REQUIRE_EQUAL(p.Size(), 3u);
    auto const& req = p[0];
    BOOST_TEST(std::string(req["verdict"].GetString()) == "healthy");
    BOOST_TEST(req["age_days"].GetInt() == 200);
    BOOST_TEST(req["releases_last_12_months"].GetInt() == 2);
    BOOST_TEST(req["median_days_between_releases"].GetDouble() == 170.0);
    BOOST_TEST(req["days_since_last_release"].GetInt() == 30);
    BOOST_TEST(req["open_pull_requests"].GetInt() == 1);
    BOOST_TEST(req["open_issues"].GetInt() == 28);
    BOOST_TEST(req["median_days_to_merge_pr"].GetDouble() == 2.0);
    BOOST_TEST(std::string(req["owner_type"].GetString()) == "organization");
    BOOST_TEST(req["archived"].GetBool() == false);
    auto const& flaky = p[1];
    BOOST_TEST(std::string(flaky["verdict"].GetString()) == "risky");
    BOOST_TEST(contains(flaky["reasons"][0].GetString(), "archived"));
    auto const& plain = p[2];
    BOOST_TEST(std::string(plain["verdict"].GetString()) == "watch");
    BOOST_TEST(plain["repo"].IsNull());
    BOOST_TEST(contains(plain["reasons"][0].GetString(), "young"));

    std::ostringstream table;
    BOOST_TEST(cli::run_evaluate({"requests", "--index-url", w.pypi.index_url(), "--github-api-url",
                                  w.github.api_url()},
                                 table, err) == 0);
    BOOST_TEST(contains(table.str(), "VERDICT"), table.str());
    BOOST_TEST(contains(table.str(), "healthy"), table.str());
    BOOST_TEST(cli::run_evaluate({}, table, err) == 2);
    BOOST_TEST(cli::run_evaluate({"no such name!"}, table, err) == 2);
}

// Closed issues and pull requests are measured in the order they were closed: a bot's comment
// on old, long-closed items moves their updated_at, not them into the measured set.
BOOST_AUTO_TEST_CASE(evaluate_measures_the_items_closed_last_whatever_a_bot_touched) {
    Workspace w;
    ScopedEnv no_token("GITHUB_TOKEN", nullptr);
    auto n = w.github.next_number("psf/requests");
    // 100 issues and 100 pull requests closed (merged) in the last 100 days, each in 1 day.
    for (int i = 0; i < 100; ++i) {
        FakeGithubIssue issue{n++, w.now - (i + 2) * kDay, "fixed"};
        issue.closed = w.now - (i + 1) * kDay;
        w.github.add_issue("psf/requests", issue);
        FakeGithubIssue pr{n++, w.now - (i + 2) * kDay, "merged", true};
        pr.closed = pr.merged = w.now - (i + 1) * kDay;
        w.github.add_issue("psf/requests", pr);
    }
    // 60 old ones of each, closed 3 years ago after 400 days open, which a bot commented on
    // today: sorted by `updated`, they come first.
    for (int i = 0; i < 60; ++i) {
        FakeGithubIssue issue{n++, w.now - 1500 * kDay, "stale"};
        issue.closed = w.now - 1100 * kDay;
        issue.commented = w.now - 3600;
        w.github.add_issue("psf/requests", issue);
        FakeGithubIssue pr{n++, w.now - 1500 * kDay, "stale", true};
        pr.closed = pr.merged = w.now - 1100 * kDay;
        pr.commented = w.now - 3600;
        w.github.add_issue("psf/requests", pr);
    }
    std::ostringstream out, err;
    BOOST_TEST(cli::run_evaluate({"requests", "--index-url", w.pypi.index_url(), "--github-api-url",
                                  w.github.api_url(), "--json"},
                                 out, err) == 0,
               err.str());
    rapidjson::Document d;
    d.Parse(out.str().c_str());
    BOOST_REQUIRE(!d.HasParseError());
    auto const& req = d["packages"][0];
    BOOST_TEST(req["median_days_to_close_issue"].GetDouble() == 1.0);
    BOOST_TEST(req["median_days_to_merge_pr"].GetDouble() == 1.0);
    BOOST_TEST(std::string(req["verdict"].GetString()) == "healthy");
    BOOST_TEST(req["github_error"].IsNull());
    // Two pages of each were needed (160 touched + 100 closed later, by update time).
    BOOST_TEST(w.github.stats().by_endpoint["issues"] >= 2u);
}

// GitHub unreadable (its repository 404s, or the quota is spent): PyPI's figures and a
// verdict from them, GitHub's figures null, the reason given; exit 0 (every package judged).
BOOST_AUTO_TEST_CASE(evaluate_without_github_still_judges_by_pypi) {
    Workspace w;
    ScopedEnv no_token("GITHUB_TOKEN", nullptr);
    w.pypi.add_project({"ghost",
                        "Its repository is gone",
                        {{"Source", "https://github.com/org/ghost"}},
                        {{"1.0", w.now - 400 * kDay}, {"1.1", w.now - 20 * kDay}}});
    std::ostringstream out, err;
    int const rc = cli::run_evaluate({"ghost", "--index-url", w.pypi.index_url(),
                                      "--github-api-url", w.github.api_url(), "--json"},
                                     out, err);
    BOOST_TEST(rc == 0, err.str());
    rapidjson::Document d;
    d.Parse(out.str().c_str());
    BOOST_REQUIRE(!d.HasParseError());
    auto const& g = d["packages"][0];
    BOOST_TEST(g["age_days"].GetInt() == 400);
    BOOST_TEST(g["releases_last_12_months"].GetInt() == 1);
    BOOST_TEST(g["days_since_last_release"].GetInt() == 20);
    BOOST_TEST(std::string(g["verdict"].GetString()) == "healthy");
    BOOST_TEST(std::string(g["repo"].GetString()) == "org/ghost");
    for (auto const* key : {"open_issues", "open_pull_requests", "median_days_to_merge_pr",
                            "median_days_to_close_issue", "owner_type", "archived"})
        BOOST_TEST(g[key].IsNull(), key);
    BOOST_TEST(g["error"].IsNull());
    BOOST_REQUIRE(g["github_error"].IsString());
    BOOST_TEST(contains(g["github_error"].GetString(), "404"), g["github_error"].GetString());
    auto const& reasons = g["reasons"];
    BOOST_TEST(contains(reasons[reasons.Size() - 1].GetString(), "judged by PyPI's figures alone"));

    // Rate limited after the first request: the same, with the limit as the reason; the
    // text table says it too.
    w.github.set_quota(1, 5000);
    std::ostringstream table, err2;
    BOOST_TEST(cli::run_evaluate({"requests", "--index-url", w.pypi.index_url(), "--github-api-url",
                                  w.github.api_url()},
                                 table, err2) == 0,
               err2.str());
    BOOST_TEST(contains(table.str(), "healthy"), table.str());
    BOOST_TEST(contains(table.str(), "rate limited"), table.str());
    // Without a repository at all: GitHub's reason says so (the verdict rule for it stands).
    std::ostringstream out3;
    BOOST_TEST(cli::run_evaluate({"plain", "--index-url", w.pypi.index_url(), "--github-api-url",
                                  w.github.api_url(), "--json"},
                                 out3, err) == 0);
    rapidjson::Document d3;
    d3.Parse(out3.str().c_str());
    BOOST_TEST(contains(d3["packages"][0]["github_error"].GetString(), "no GitHub repository"));
    // PyPI unreadable: no verdict, exit 3.
    std::ostringstream out4;
    BOOST_TEST(cli::run_evaluate({"nonexistent", "--index-url", w.pypi.index_url(),
                                  "--github-api-url", w.github.api_url(), "--json"},
                                 out4, err) == 3);
}

// Requirements files kept on GitHub (issue #16): `check -r github:...` fetches the file and its
// relative include once; a bad spec is a usage error; the daemon keeps each file's ETag, so the
// next run's fetch is a 304, and `status` shows each file's last fetch.
BOOST_AUTO_TEST_CASE(requirements_files_from_github_through_check_run_and_status) {
    Workspace w;
    ScopedEnv no_token("GITHUB_TOKEN", nullptr);
    std::string const spec = "github:org/flaky/deploy/requirements.txt@main";
    w.github.set_file("org/flaky", "main", "deploy/requirements.txt",
                      "requests==2.31.0\n-r base.txt\n");
    w.github.set_file("org/flaky", "main", "deploy/base.txt", "plain\n");
    std::ostringstream out, err;
    int rc = cli::run_check({"-r", spec, "--index-url", w.pypi.index_url(), "--github-api-url",
                             w.github.api_url(), "--json", "-q"},
                            out, err);
    BOOST_TEST(rc == 0, err.str());
    rapidjson::Document d;
    d.Parse(out.str().c_str());
    BOOST_REQUIRE(!d.HasParseError());
    BOOST_TEST(requirement(d, "requests")["file"].GetString() == spec);
    BOOST_TEST(requirement(d, "plain")["file"].GetString() ==
               std::string("github:org/flaky/deploy/base.txt@main"));

    std::ostringstream bad_out, bad_err;
    BOOST_TEST(cli::run_check({"-r", "github:acme"}, bad_out, bad_err) == 2);
    BOOST_TEST(contains(bad_err.str(), "-r github:acme: expected github:OWNER/REPO/PATH@REF"),
               bad_err.str());

    w.write("pinwatch.toml", "state = \"state.db\"\nrequirements = [\"" + spec +
                                 "\"]\nindex_url = \"" + w.pypi.index_url() +
                                 "\"\ninterval = \"1h\"\n[http]\ntimeout = \"5s\"\n"
                                 "[github]\napi_url = \"" +
                                 w.github.api_url() + "\"\nrepositories = false\n");
    w.github.reset_stats(); // `check --github-api-url` above asked for repositories
    w.run_once();
    std::ostringstream status;
    BOOST_TEST(cli::run_status({"--state", w.path("state.db")}, status, err) == 0, err.str());
    BOOST_TEST(contains(status.str(), "FILE"), status.str());
    BOOST_TEST(contains(status.str(), spec), status.str());
    BOOST_TEST(contains(status.str(), "200, ETag"), status.str());
    BOOST_TEST(contains(status.str(), "2 fetched file(s)"), status.str());
    // No repository is watched with `repositories = false`: GitHub served the files only.
    BOOST_TEST(w.github.stats().by_endpoint.count("releases") == 0u);

    w.github.reset_stats();
    w.run_once();
    BOOST_TEST(w.github.stats().not_modified == 2u);
    BOOST_TEST(w.github.stats().contents_sent == 0u);
    std::ostringstream again;
    BOOST_TEST(cli::run_status({"--state", w.path("state.db")}, again, err) == 0, err.str());
    BOOST_TEST(contains(again.str(), "304 not modified"), again.str());
}

// `deps -r https://...`: the file and its URL-relative include are fetched once (over TLS; the
// test server's CA through OpenSSL's SSL_CERT_FILE), and a password in the URL is never shown.
BOOST_AUTO_TEST_CASE(deps_reads_a_requirements_file_from_an_https_url) {
    TestServer files(
        [](TestRequest const& r) {
            if (r.path() == "/team/requirements.txt")
                return TestResponse::text("requests==2.31.0\n-r base.txt\n");
            if (r.path() == "/team/base.txt") return TestResponse::text("flask==3.0.0\n");
            return TestResponse::text("not found", 404);
        },
        TestServerOptions{.tls = true});
    ScopedEnv ca("SSL_CERT_FILE", files.ca_file().c_str());
    auto const url = "https://deploy:pa55word@" +
                     files.url("/team/requirements.txt").substr(std::string("https://").size());
    std::ostringstream out, err;
    BOOST_TEST(cli::run_deps({"-r", url, "--json"}, out, err) == 0, err.str());
    rapidjson::Document d;
    d.Parse(out.str().c_str());
    BOOST_REQUIRE(!d.HasParseError());
    auto const& reqs = d["requirements"].GetArray();
    BOOST_REQUIRE(reqs.Size() == 2u);
    BOOST_TEST(reqs[0]["file"].GetString() == files.url("/team/requirements.txt"));
    BOOST_TEST(reqs[1]["name"].GetString() == std::string("flask"));
    BOOST_TEST(reqs[1]["file"].GetString() == files.url("/team/base.txt"));
    BOOST_TEST(!contains(out.str() + err.str(), "pa55word"));
    for (auto const& r : files.received())
        BOOST_TEST(r.header("authorization").value_or("") ==
                   "Basic " + net::base64_encode("deploy:pa55word"));
}

// A requirements file fetched from a URL whose query string holds its token (GitLab's
// `?private_token=`, a pre-signed `?X-Amz-Signature=`): the server gets the token with every
// request (an include's own query too), and no output, log line, status table or event shows it:
// the file goes by https://host/path?… there.
BOOST_AUTO_TEST_CASE(a_token_in_a_files_query_string_is_sent_and_never_shown) {
    Workspace w;
    std::string const secret = "SECRET123";
    TestServer files(
        [&](TestRequest const& r) {
            if (!contains(r.target, "token=" + secret)) return TestResponse::text("no token", 403);
            if (r.path() == "/team/r.txt")
                return TestResponse::text("requests==2.31.0\nnot a requirement ===\n"
                                          "-r base.txt?token=" +
                                          secret + "\n");
            if (r.path() == "/team/base.txt") return TestResponse::text("plain\n");
            return TestResponse::text("not found", 404);
        },
        TestServerOptions{.tls = true});
    ScopedEnv ca("SSL_CERT_FILE", files.ca_file().c_str());
    auto const url = files.url("/team/r.txt") + "?token=" + secret;
    auto const missing = files.url("/team/gone.txt") + "?private_token=" + secret;
    auto const shown_name = files.url("/team/r.txt") + "?\u2026";
    pinwatch::testing::CapturedLog log;
    std::string said; // every output and log line of every command below

    auto const check = [&](std::vector<std::string> args, std::string& out, std::string& err) {
        args.insert(args.end(),
                    {"--index-url", w.pypi.index_url(), "--github-api-url", w.github.api_url()});
        std::ostringstream o, e;
        cli::run_check(args, o, e);
        out = o.str();
        err = e.str();
    };
    std::string out, err;
    check({"-r", url, "-r", missing}, out, err);
    said += out + err;
    BOOST_TEST(contains(err, shown_name + ":2: invalid requirement"), err);
    BOOST_TEST(contains(err, files.url("/team/gone.txt") + "?\u2026: could not open"), err);
    check({"-r", url}, out, err);
    said += out + err;
    BOOST_TEST(contains(out, "requests"), out);
    check({"-r", url, "--json"}, out, err);
    said += out + err;
    rapidjson::Document d;
    d.Parse(out.c_str());
    BOOST_REQUIRE(!d.HasParseError());
    BOOST_TEST(requirement(d, "requests")["file"].GetString() == shown_name);
    BOOST_TEST(requirement(d, "plain")["file"].GetString() ==
               files.url("/team/base.txt") + "?\u2026");

    for (bool json : {false, true}) {
        std::ostringstream o, e;
        std::vector<std::string> args = {"-r", url, "-r", missing};
        if (json) args.push_back("--json");
        cli::run_deps(args, o, e);
        said += o.str() + e.str();
        BOOST_TEST(contains(o.str(), "plain"), o.str());
        BOOST_TEST(contains(o.str() + e.str(), shown_name), o.str() + e.str());
    }

    w.write("pinwatch.toml", "state = \"state.db\"\nrequirements = [\"" + url + "\", \"" + missing +
                                 "\"]\nindex_url = \"" + w.pypi.index_url() +
                                 "\"\ninterval = \"1h\"\n[advisories]\nsource = \"index\"\n"
                                 "[http]\ntimeout = \"5s\"\n");
    std::ostringstream run_out, run_err;
    cli::run_daemon({"--config", w.path("pinwatch.toml"), "--once"}, run_out, run_err);
    said += run_out.str() + run_err.str();
    std::ostringstream status, status_err;
    BOOST_TEST(cli::run_status({"--state", w.path("state.db")}, status, status_err) == 0,
               status_err.str());
    said += status.str() + status_err.str();
    BOOST_TEST(contains(status.str(), shown_name), status.str());
    BOOST_TEST(contains(status.str(), "3 fetched file(s)"), status.str());
    {
        // The state file keeps each file under its name without the query.
        watcher::StateStore store(w.path("state.db"), watcher::StateStore::Access::read_only);
        auto const kept = watcher::FetchedFiles(store).all();
        BOOST_TEST(kept.size() == 3u);
        for (auto const& f : kept)
            BOOST_TEST(!contains(f.name, secret), f.name);
    }

    said += log.take();
    BOOST_TEST(contains(said, "requirements file " + files.url("/team/gone.txt") + "?\u2026"),
               said);
    BOOST_TEST(!contains(said, secret), said);
    // Fetched all the same: the server saw the token in every request's target.
    std::size_t includes = 0;
    for (auto const& r : files.received()) {
        BOOST_TEST(contains(r.target, "token=" + secret), r.target);
        includes += r.path() == "/team/base.txt";
    }
    BOOST_TEST(includes >= 3u);
}

// `check --config` with projects whose files live on GitHub: every project's remote files are
// fetched once (through the config's [github] api_url), and each project reads its own.
BOOST_AUTO_TEST_CASE(check_config_reads_each_projects_files_from_github) {
    Workspace w;
    ScopedEnv no_token("GITHUB_TOKEN", nullptr);
    std::string const api = "github:org/flaky/api/requirements.txt@main";
    std::string const worker = "github:org/flaky/worker/requirements.txt@v2";
    w.github.set_file("org/flaky", "main", "api/requirements.txt", "requests==2.31.0\n");
    w.github.set_file("org/flaky", "v2", "worker/requirements.txt", "flaky>=1\n");
    w.write("worker.txt", "plain\n");
    w.write("projects.toml", "index_url = \"" + w.pypi.index_url() +
                                 "\"\n[advisories]\nsource = \"index\"\n"
                                 "[projects.api]\nfiles = [\"" +
                                 api + "\"]\n[projects.worker]\nfiles = [\"" + worker +
                                 "\", \"worker.txt\"]\n"
                                 "[github]\napi_url = \"" +
                                 w.github.api_url() + "\"\nrepositories = false\n");
    std::ostringstream out, err;
    int const rc = cli::run_check({"--config", w.path("projects.toml"), "--json", "-q"}, out, err);
    BOOST_TEST(rc == 0, err.str());
    rapidjson::Document d;
    d.Parse(out.str().c_str());
    BOOST_REQUIRE(!d.HasParseError());
    std::vector<std::string> files;
    for (auto const& r : d["requirements"].GetArray())
        files.push_back(std::string(r["project"].GetString()) + ":" + r["name"].GetString() + "@" +
                        r["file"].GetString());
    std::sort(files.begin(), files.end());
    std::vector<std::string> const want = {"api:requests@" + api, "worker:flaky@" + worker,
                                           "worker:plain@" + w.path("worker.txt")};
    BOOST_TEST(files == want, boost::test_tools::per_element());
    BOOST_TEST(w.github.stats().contents_sent == 2u);

    // --project picks one project; only its files are fetched.
    w.github.reset_stats();
    std::ostringstream one, err1;
    BOOST_TEST(
        cli::run_check({"--config", w.path("projects.toml"), "--project", "api", "--json", "-q"},
                       one, err1) == 0,
        err1.str());
    BOOST_TEST(w.github.stats().contents_sent == 1u);
    BOOST_TEST(contains(one.str(), api), one.str());
    BOOST_TEST(!contains(one.str(), worker), one.str());
}
