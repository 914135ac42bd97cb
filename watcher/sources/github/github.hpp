// GitHub: which repository a PyPI project lives in (from its project_urls), its releases and
// tags, and bursts of newly opened issues. It builds REST requests and reads the answers; it
// opens no socket, logs nothing and keeps what it must remember between polls in the
// subscription's source_state (ETags per endpoint, known tags, issue creation times), so an
// unchanged repository costs conditional requests only. Pure helpers live in github_detail.
#pragma once

#include "common/secret.hpp"
#include "watcher/sources/source.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pinwatch::watcher {

struct GithubSettings {
    std::string api_url = "https://api.github.com/"; // GitHub Enterprise: https://host/api/v3/
    Secret token;                                    // empty: unauthenticated
    int spike_min_issues = 5;
    double spike_p_value = 0.001;
    // Per package (PEP 503 name): "owner/repo", or nullopt for "no GitHub for this one".
    std::map<std::string, std::optional<std::string>> repos;
    // Daemon: spread the quota the server reports over its window. `check`: spend it, and wait
    // for the reset only when it runs out.
    bool spread_budget = true;
    // Read the tags on every poll (`check` shows the latest tag); otherwise only for
    // repositories without releases, whose tags are their releases.
    bool always_tags = false;
    std::chrono::seconds metadata_every{24 * 3600}; // project_urls and the repository's facts
    std::chrono::seconds release_grace{6 * 3600};   // a GitHub release PyPI still lacks after this
    std::function<UnixTime()> clock;                // the time now (default: the system's)
    // [github] repositories = false: GitHub serves requirements files (github: entries) only;
    // no package's repository is watched.
    bool repositories = true;
    // Seconds between polls of a repository ([github] interval; unset: the daemon's interval).
    std::optional<std::chrono::seconds> interval;
};

class GithubSource final : public Source {
  public:
    static constexpr std::string_view kKind = "github";
    explicit GithubSource(GithubSettings settings);
    std::string_view kind() const noexcept override { return kKind; }
    std::string host(Subscription const& sub) const override;
    // GitHub asks for requests made serially.
    std::optional<std::size_t> max_polls_per_host() const override { return 1; }
    // What a poll asks: the versions the other sources list for the package (release keys).
    struct Asks {
        std::vector<std::string> other_versions;
    };
    std::any prepare(PollHistory const& history) const override;
    std::optional<std::string> release_link(std::string_view source_state, std::string_view project,
                                            std::string_view version_key) const override;
    SourceRequest first_request(Subscription const& sub, PollContext const& ctx) const override;
    Result<SourceStep, SourceError> parse(Subscription const& sub, PollContext const& ctx,
                                          SourceRequest const& request,
                                          net::Response const& response,
                                          Observation& into) const override;
    GithubSettings const& settings() const { return settings_; }

    // The plugin (plugin.cpp): a repository per PyPI requirement, `check`'s GITHUB column,
    // `status`'s table of repositories.
    std::vector<Derived> derive(std::vector<Subscription> const& subscriptions,
                                std::vector<std::string>& warnings) const override;
    std::optional<std::string> check_column() const override { return "GITHUB"; }
    CheckCell check_cell(Subscription const& requirement, SubscriptionView const* own,
                         UnixTime now) const override;
    std::optional<StatusTable> status_table() const override;
    std::vector<std::string> status_row(SubscriptionView const& s, UnixTime now) const override;
    std::optional<PackageInsight> insight(SubscriptionView const& s, UnixTime now) const override;

  private:
    UnixTime now() const;
    GithubSettings settings_;
};

// The GitHub subscription that goes with a PyPI one: the locator is the project's PyPI JSON
// API URL ("https://pypi.org/pypi/requests/json"), where project_urls are read, or
// "github:<name>" for an index without that API (then only [github.repos] can name the
// repository). The origin is the GitHub API root.
Subscription github_subscription(Subscription const& pypi, std::string_view api_url);

struct SourceEntry;
// The registry's entry for GitHub ([github], --github, --github-api-url).
SourceEntry github_entry();

namespace github_detail {

struct Release {
    std::string tag, name, url, notes;
    bool draft = false, prerelease = false;
    UnixTime published = 0; // published_at, else created_at
};

struct Issue {
    std::int64_t number = 0;
    UnixTime created = 0;
    std::string title;
    bool pull_request = false;
};

struct Repository {
    std::string full_name, html_url, owner_type; // owner_type: "Organization" or "User"
    std::int64_t open_issues = 0;                // GitHub's open_issues_count (PRs included)
    bool archived = false;
    UnixTime created = 0;
};

struct Pending { // a GitHub release waiting for its PyPI upload
    std::string tag, key, url, detail;
    UnixTime first_seen = 0;
};

// Everything kept between polls, as JSON in source_state.
struct State {
    std::optional<std::string> repo; // "owner/name", as GitHub last spelled it
    std::string found_in;            // "[github.repos]", "project_urls 'Source'", "home_page"
    std::string no_repo;             // why there is none (when repo is unset)
    std::optional<std::string> renamed_from;
    std::optional<std::string> meta_etag;
    UnixTime meta_checked = 0;
    std::optional<std::string> repo_etag;
    UnixTime repo_checked = 0;
    Repository facts;
    std::optional<std::string> releases_etag;
    std::vector<Release> releases; // the newest page
    std::optional<std::string> tags_etag;
    std::vector<std::string> tags; // the newest page
    std::optional<std::string> issues_etag;
    std::int64_t issues_max = 0; // highest issue/PR number seen
    UnixTime issues_from = 0;    // the counts cover issues created since then
    std::vector<std::pair<std::int64_t, UnixTime>> issues; // issues (no PRs) in the window
    std::vector<std::string> newest_titles;                // up to five, newest first
    bool spike = false;
    std::vector<Pending> pending;
    // The quota the server reported last.
    std::optional<std::int64_t> quota_limit, quota_remaining;
    std::optional<UnixTime> quota_reset;
    bool authenticated = false;
    UnixTime polled = 0;
};
std::string to_json(State const& s);
State state_from_json(std::string_view text); // a default State for anything unreadable

// PEP 753 label normalisation: lowercase, punctuation and whitespace removed.
std::string normalise_label(std::string_view label);
// "owner/repo" (lowercased) from a github.com URL in any of its usual spellings.
std::optional<std::string> repo_from_url(std::string_view url);
struct Discovery {
    std::optional<std::string> repo;
    std::string found_in; // which label (or home_page)
};
Discovery discover(std::map<std::string, std::string> const& project_urls,
                   std::string_view home_page);

// The tag's PEP 440 version after a prefix ("v", "release-", "<name>-"), if it has one. The
// name is the project's or the repository's ("owner/name" or "name"; empty: none).
std::optional<std::string> tag_version(std::string_view tag, std::string_view project,
                                       std::string_view repo = {});
// The newest published release that is neither a draft nor a pre-release.
Release const* latest_release(std::vector<Release> const& releases);
// The tag whose version is the highest PEP 440 final version.
std::optional<std::string> latest_tag(std::vector<std::string> const& tags,
                                      std::string_view project, std::string_view repo = {});

Result<std::vector<Release>, std::string> parse_releases(std::string const& body);
Result<std::vector<std::string>, std::string> parse_tags(std::string const& body);
Result<std::vector<Issue>, std::string> parse_issues(std::string const& body);
Result<Repository, std::string> parse_repository(std::string const& body);
// The rel="next" URL of a Link header.
std::optional<std::string> next_link(std::string_view link_header);

// P(X >= n) for X ~ Poisson(mean).
double poisson_tail(std::int64_t n, double mean);

struct SpikeCheck {
    std::int64_t last_24h = 0;
    double mean = 0; // issues a day over the 27 days before the last 24 hours
    double p_value = 1;
    bool spike = false;
};
// Issues created (Unix times) against a trailing 28-day window ending at `now`.
// Only issues after `covered_from` are known: a shorter history gives a mean over fewer days;
// less than one day of it judges nothing.
SpikeCheck check_spike(std::vector<UnixTime> const& created, UnixTime now, int min_issues,
                       double p_value, UnixTime covered_from = 0);
std::vector<UnixTime> issue_times(State const& state);
// Issues created per day over the 28-day window ending at `now`, oldest first (the last is the
// last 24 hours, as check_spike counts them).
std::vector<std::int64_t> daily_counts(std::vector<UnixTime> const& created, UnixTime now);
// The fewest issues in 24 hours that check_spike calls a spike against `mean` a day.
std::int64_t spike_threshold(double mean, int min_issues, double p_value);
// The newest non-draft release (pre-releases included) published in the 72 hours before now.
std::optional<std::string> release_since(std::vector<Release> const& releases, UnixTime now);

// What `check` and `status` show for one repository.
struct Summary {
    std::optional<std::string> repo;
    std::string no_repo;
    std::optional<std::string> latest_release, latest_tag, release_notes_url;
    std::optional<std::int64_t> open_issues;
    SpikeCheck issues;
    std::optional<std::string> since_release;
};
Summary summarize(State const& state, std::string_view project, UnixTime now, int min_issues,
                  double p_value);

} // namespace github_detail

} // namespace pinwatch::watcher
