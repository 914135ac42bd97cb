#include "watcher/evaluator.hpp"

#include "common/text.hpp"
#include "common/time.hpp"
#include "net/client.hpp"
#include "packaging/name.hpp"
#include "watcher/sources/github/github.hpp"

#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cstdlib>

namespace pinwatch::watcher {

namespace asio = boost::asio;

namespace {

std::string json_root(std::string const& index_url) {
    // ".../simple/" -> ".../pypi/"; PyPI's own index for anything else would be a guess.
    std::string root = index_url;
    if (root.empty() || root.back() != '/') root += '/';
    constexpr std::string_view kSimple = "simple/";
    if (root.size() >= kSimple.size() &&
        root.compare(root.size() - kSimple.size(), kSimple.size(), kSimple) == 0)
        return root.substr(0, root.size() - kSimple.size()) + "pypi/";
    return "";
}

// Pages of closed pull requests (and of closed issues) read at most per package.
constexpr int kClosedPages = 5;

} // namespace

Evaluator::Evaluator(net::Client& client, EvaluatorSetup setup)
    : client_(client), api_(std::move(setup.github_api_url)), token_(std::move(setup.github_token)),
      pypi_root_(json_root(setup.index_url)) {
    if (api_.empty() || api_.back() != '/') api_ += '/';
}

asio::awaitable<Evaluation> Evaluator::evaluate(std::string name, UnixTime now) {
    Evaluation ev;
    ev.name = packaging::canonicalize_name(name);
    if (pypi_root_.empty()) {
        ev.error = "the index has no JSON API (its URL does not end in /simple/)";
        co_return ev;
    }
    net::Request pr;
    pr.url = pypi_root_ + ev.name + "/json";
    pr.header("Accept", "application/json");
    pr.body_limit = 64u << 20;
    auto pres = co_await client_.fetch(pr);
    if (!pres) {
        ev.error = "pypi: " + pres.error().message;
        co_return ev;
    }
    if (pres->status == 404) {
        ev.error = "pypi: no project named " + ev.name;
        co_return ev;
    }
    if (pres->status != 200) {
        ev.error = "pypi: http " + std::to_string(pres->status);
        co_return ev;
    }
    auto project = health::parse_pypi_project(pres->body);
    if (!project) {
        ev.error = project.error();
        co_return ev;
    }
    health::release_facts(*project, now, ev.facts);
    auto const found = github_detail::discover(project->project_urls, project->home_page);
    if (!found.repo) {
        ev.github_error = "no GitHub repository found in the project's URLs";
    } else if (auto e = co_await github(*found.repo, ev.facts)) {
        // GitHub could not be read: its facts are unknown (null), the PyPI figures stand
        // and the verdict is judged from them, saying so.
        auto const repo = ev.facts.repo.value_or(*found.repo);
        health::Facts pypi_only;
        pypi_only.first_release = ev.facts.first_release;
        pypi_only.last_release = ev.facts.last_release;
        pypi_only.releases_last_12_months = ev.facts.releases_last_12_months;
        pypi_only.median_days_between_releases = ev.facts.median_days_between_releases;
        pypi_only.repo = repo;
        pypi_only.github_error = *e;
        ev.facts = std::move(pypi_only);
        ev.github_error = *e;
    }
    ev.judgement = health::judge(ev.facts, now);
    ev.judged = true;
    co_return ev;
}

asio::awaitable<Result<net::Response, std::string>> Evaluator::get(std::string const& path) {
    net::Request r;
    r.url = api_ + path;
    r.header("Accept", "application/vnd.github+json");
    r.header("X-GitHub-Api-Version", "2022-11-28");
    if (!token_.empty()) r.header("Authorization", "Bearer " + token_.reveal());
    r.body_limit = 16u << 20;
    auto res = co_await client_.fetch(r);
    if (!res) co_return fail(res.error().message);
    if (res->status == 403 || res->status == 429) {
        std::string why = "http " + std::to_string(res->status) + ": rate limited";
        if (auto reset = res->header("x-ratelimit-reset"))
            why += " until " + utc_text(std::atoll(std::string(*reset).c_str()));
        co_return fail(why);
    }
    if (res->status != 200) co_return fail(path + ": http " + std::to_string(res->status));
    co_return std::move(*res);
}

// The repository's facts; an error message when a request fails.
asio::awaitable<std::optional<std::string>> Evaluator::github(std::string const& repo,
                                                              health::Facts& f) {
    auto r = co_await get("repos/" + repo);
    if (!r) co_return r.error();
    auto facts = github_detail::parse_repository(r->body);
    if (!facts) co_return facts.error();
    f.repo = facts->full_name;
    f.archived = facts->archived;
    f.owner_type = ascii_lower(facts->owner_type);
    auto open_prs = co_await get("repos/" + f.repo.value() + "/pulls?state=open&per_page=1");
    if (!open_prs) co_return open_prs.error();
    f.open_pull_requests =
        health::count_from_page(open_prs->body, open_prs->header("link").value_or(""));
    // open_issues_count counts pull requests too.
    f.open_issues =
        std::max<std::int64_t>(0, facts->open_issues - f.open_pull_requests.value_or(0));
    // Closed pull requests and issues in the order they were closed (see recently_closed).
    auto pulls = co_await recently_closed(*f.repo, "pulls", false);
    if (!pulls) co_return pulls.error();
    f.median_days_to_merge = health::median_days_to_merge(*pulls);
    auto issues = co_await recently_closed(*f.repo, "issues", true);
    if (!issues) co_return issues.error();
    f.median_days_to_close = health::median_days_to_close(*issues);
    co_return std::nullopt;
}

// The 100 pull requests (or issues, pull requests left out) closed most recently. GitHub
// cannot sort by closing time, and sorting by `updated` lets a bot's comment on an old
// item move it: pages sorted by `updated` are read until no later item can be among the
// 100 closed last (health::RecentlyClosed), at most kClosedPages of them.
asio::awaitable<Result<std::vector<health::ClosedItem>, std::string>>
Evaluator::recently_closed(std::string const& repo, char const* endpoint, bool issues_only) {
    health::RecentlyClosed closed(issues_only);
    for (int page = 1; page <= kClosedPages && !closed.complete(); ++page) {
        auto r = co_await get(
            "repos/" + repo + "/" + endpoint +
            "?state=closed&sort=updated&direction=desc&per_page=100&page=" + std::to_string(page));
        if (!r) co_return fail(r.error());
        if (auto added = closed.add_page(r->body); !added) co_return fail(added.error());
    }
    co_return closed.newest();
}

} // namespace pinwatch::watcher
