// The health of a dependency, as teams judge a binding before trusting it: how old it is, how
// often it releases, how fast pull requests get merged and issues closed, how many sit open,
// who stands behind it. Pure: `pinwatch evaluate` fetches the PyPI JSON API and a few GitHub
// endpoints and hands the bodies here; nothing in this file opens a socket.
#pragma once

#include "common/result.hpp"
#include "model/model.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pinwatch::watcher::health {

using model::UnixTime;

// A project as the PyPI JSON API (/pypi/<name>/json) shows it: each release's first upload.
struct PypiProject {
    std::string name;
    std::map<std::string, std::string> project_urls;
    std::string home_page;
    std::vector<std::pair<std::string, UnixTime>> releases; // version, first upload (no empty ones)
};
Result<PypiProject, std::string> parse_pypi_project(std::string const& body);

// Days from opening to merging (pull requests: /pulls?state=closed, unmerged ones skipped) or
// to closing (issues: /issues?state=closed, pull requests skipped).
Result<std::vector<double>, std::string> merge_days(std::string const& pulls_body);
Result<std::vector<double>, std::string> close_days(std::string const& issues_body);
// The pull requests or issues closed most recently, gathered from GitHub's list answers.
// GitHub sorts closed issues and pull requests by `created`, `updated` (or comments,
// popularity) but never by when they were closed, and `updated` moves whenever anyone (a bot)
// comments on an old item. So pages sorted by `updated`, newest first, are read until no item
// not yet seen can be among the `want` closed last: an item's closed_at is never after its
// updated_at, so once `want` items closed at or after T are held and the last item read was
// updated at or before T, every item after it closed at or before T. Then the newest `want` by
// closed_at are measured. `issues_only` leaves pull requests out (the issues endpoint lists both).
struct ClosedItem {
    UnixTime created = 0, closed = 0;
    std::optional<UnixTime> merged; // pull requests: when merged (null: closed unmerged)
};
class RecentlyClosed {
  public:
    explicit RecentlyClosed(bool issues_only, std::size_t want = 100)
        : issues_only_(issues_only), want_(want) {}
    // One page of a `state=closed&sort=updated&direction=desc` answer; an error for a body
    // that is not a list.
    Result<bool, std::string> add_page(std::string const& body);
    // No item on a later page can be among the newest `want`: the last page was short (the
    // list ended), or the last item read was updated before the `want`-th newest close.
    bool complete() const noexcept { return ended_ || settled(); }
    // The `want` items closed last, newest first.
    std::vector<ClosedItem> newest() const;
    std::size_t pages() const noexcept { return pages_; }

  private:
    bool settled() const noexcept;
    bool issues_only_;
    std::size_t want_;
    std::vector<ClosedItem> items_;
    std::optional<UnixTime> last_updated_;
    bool ended_ = false;
    std::size_t pages_ = 0;
};
// The median of days from opening to merging (merged ones among `items`) or to closing.
std::optional<double> median_days_to_merge(std::vector<ClosedItem> const& items);
std::optional<double> median_days_to_close(std::vector<ClosedItem> const& items);

// The number of items a list endpoint holds, from a per_page=1 answer: the page number of its
// rel="last" link, else the items on the page.
std::optional<std::int64_t> count_from_page(std::string const& body, std::string_view link);

std::optional<double> median(std::vector<double> values);

struct Facts {
    std::optional<UnixTime> first_release, last_release;
    std::int64_t releases_last_12_months = 0;
    std::optional<double> median_days_between_releases; // over the last 12 months
    std::optional<std::string> repo;
    std::optional<std::int64_t> open_issues, open_pull_requests;
    std::optional<double> median_days_to_merge, median_days_to_close;
    std::optional<std::string> owner_type; // "organization" or "user"
    std::optional<bool> archived;
    // GitHub could not be read (no answer, a 404, a rate limit): why. Its facts above are then
    // unknown and the verdict rests on PyPI's figures alone.
    std::optional<std::string> github_error;
};
// The release facts from PyPI's answer, as of `now`.
void release_facts(PypiProject const& p, UnixTime now, Facts& into);
// The same from the releases' upload times alone, oldest first (what the state file keeps).
void release_facts(std::vector<UnixTime> const& uploads, UnixTime now, Facts& into);

enum class Verdict { healthy, watch, risky };
char const* to_string(Verdict) noexcept;

struct Judgement {
    Verdict verdict = Verdict::healthy;
    std::vector<std::string> reasons; // every rule that fired, worst first; or why it is healthy
};
// The rules (README "pinwatch evaluate"): risky when archived or silent for two years; watch
// when silent for a year, younger than 90 days, one person's account, pull requests taking over
// 30 days to merge, issues over 90 days to close, or no repository to judge by. When GitHub
// could not be read (github_error), the verdict comes from PyPI's figures and says so.
Judgement judge(Facts const& f, UnixTime now);

} // namespace pinwatch::watcher::health
