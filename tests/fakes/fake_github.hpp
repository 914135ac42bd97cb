// A fake GitHub REST API on loopback: repositories, releases, tags, issues (with and without
// `pull_request`), pull requests, `Link` pagination, ETags and 304s, the x-ratelimit-* headers
// with a quota that runs out (a 304 costs nothing only with a token, as GitHub documents),
// 403/429 with retry-after, a secondary limit without it, 301 for a renamed repository, and
// the contents API for files at a ref (raw or base64 JSON, ETags and 304s; a private
// repository is a 404 without the token, as on GitHub).
// Tests, the offline demo and the request-count measurement use it. Mutations may come from any
// thread.
#pragma once

#include "tests/fakes/test_server.hpp"

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace pinwatch::test {

struct FakeGithubRelease {
    std::string tag, name, body;
    bool draft = false, prerelease = false;
    std::int64_t published = 0; // Unix seconds
};

struct FakeGithubIssue {
    FakeGithubIssue() = default;
    FakeGithubIssue(std::int64_t n, std::int64_t created_at, std::string t, bool pr = false)
        : number(n), created(created_at), title(std::move(t)), pull_request(pr) {}
    std::int64_t number = 0;
    std::int64_t created = 0;
    std::string title;
    bool pull_request = false;          // carries a `pull_request` object
    bool null_pull_request = false;     // carries `"pull_request": null` (an issue)
    std::optional<std::int64_t> closed; // closed at
    std::optional<std::int64_t> merged; // pull requests: merged at
    // The last comment (a bot's on an old item, say): moves updated_at, not closed_at.
    std::optional<std::int64_t> commented;
};

struct FakeGithubRepo {
    std::string full_name; // "owner/name"
    std::string owner_type = "Organization";
    bool archived = false;
    std::int64_t created = 0;
    std::vector<FakeGithubRelease> releases; // any order; served newest first
    std::vector<std::string> tags;           // served as given
    std::vector<FakeGithubIssue> issues;     // issues and pull requests; numbers unique
    bool private_repo = false;               // 404 for every request without the token
    // The contents API: (ref, path) -> the file's bytes.
    std::map<std::pair<std::string, std::string>, std::string> files;
};

enum class GithubFault {
    none,
    server_error,      // 502
    retry_after_403,   // 403 with retry-after: 1 (a secondary limit)
    retry_after_429,   // 429 with retry-after: 1
    secondary_no_hint, // 403 "You have exceeded a secondary rate limit", no retry-after
};

struct FakeGithubStats {
    std::size_t requests = 0;     // every request to /repos/...
    std::size_t not_modified = 0; // 304s
    std::size_t charged = 0;      // requests that cost quota
    std::size_t rate_limited = 0; // 403/429 answers
    std::size_t redirects = 0;
    std::map<std::string, std::size_t> by_endpoint; // "repo", "releases", "tags", "issues",
                                                    // "pulls", "contents"
    std::size_t contents_sent = 0;                  // contents answers with the file (200)
};

class FakeGithub {
  public:
    explicit FakeGithub(TestServerOptions options = {});
    ~FakeGithub();

    std::string api_url() const; // ".../" (the API root, like https://api.github.com/)
    TestServer& server() { return *server_; }

    void add_repo(FakeGithubRepo repo);
    void add_release(std::string const& repo, FakeGithubRelease release);
    void add_tag(std::string const& repo, std::string tag);
    void add_issue(std::string const& repo, FakeGithubIssue issue);
    // The next free issue/PR number of a repository.
    std::int64_t next_number(std::string const& repo) const;
    // Renames a repository: the old name answers 301 to the new one from now on.
    void rename(std::string const& from, std::string const& to);
    void set_fault(std::string const& repo, GithubFault fault, int times = 1 << 30);
    // A file of a repository at a ref, served by the contents API (replaces what was there).
    void set_file(std::string const& repo, std::string const& ref, std::string const& path,
                  std::string content);

    // Quota per window for requests with `Authorization: Bearer <token>` (when a token is set)
    // and without. The window starts at the first request and lasts `window` seconds.
    void set_token(std::string token);
    void set_quota(std::int64_t unauthenticated, std::int64_t authenticated,
                   std::int64_t window_seconds = 3600);
    void set_per_page_cap(int cap); // GitHub's is 100; smaller makes pagination testable

    FakeGithubStats stats() const;
    void reset_stats();

  private:
    TestResponse handle(TestRequest const& request);
    mutable std::mutex mutex_;
    std::map<std::string, FakeGithubRepo> repos_; // by lowercased full name
    std::map<std::string, std::string> renamed_;  // lowercased old name -> new full name
    std::map<std::string, std::pair<GithubFault, int>> faults_;
    std::string token_;
    std::int64_t quota_anon_ = 60, quota_auth_ = 5000, window_ = 3600;
    std::int64_t used_anon_ = 0, used_auth_ = 0, reset_ = 0;
    int per_page_cap_ = 100;
    FakeGithubStats stats_;
    std::unique_ptr<TestServer> server_;
};

} // namespace pinwatch::test
