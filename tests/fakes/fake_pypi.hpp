// A fake PyPI on loopback: the Simple API in its JSON (PEP 691/700) and HTML (PEP 503/592)
// forms and the JSON API (/pypi/<name>[/<version>]/json), with ETags, 304s, gzip, redirects
// for unnormalised names, and switchable faults per project. Tests, the offline demo and the
// benchmark use it. Mutations may come from any thread.
#pragma once

#include "tests/fakes/test_server.hpp"

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace pinwatch::test {

// An advisory in PyPI's per-version JSON (`vulnerabilities`, OSV's shape).
struct FakeAdvisory {
    std::string id;
    std::vector<std::string> aliases;
    std::string summary;
    std::string details;
    std::vector<std::string> fixed_in;
    std::optional<std::string> withdrawn; // "2026-11-25T10:00:00Z" once withdrawn
};

struct FakeRelease {
    FakeRelease() = default;
    FakeRelease(std::string v, std::int64_t uploaded, bool is_yanked = false,
                std::string reason = "", int file_count = 2)
        : version(std::move(v)), upload_time(uploaded), yanked(is_yanked),
          yank_reason(std::move(reason)), files(file_count) {}

    std::string version;
    std::int64_t upload_time = 0; // Unix seconds
    bool yanked = false;
    std::string yank_reason;
    int files = 2; // an sdist and a wheel; 0 = listed without files (PEP 700)
    std::string requires_python = ">=3.9"; // "" = none declared
    std::vector<FakeAdvisory> vulnerabilities;
};

struct FakeProject {
    std::string name; // as published; served under its normalised name
    std::string summary;
    std::map<std::string, std::string> project_urls;
    std::vector<FakeRelease> releases; // in upload order
};

enum class Fault {
    none,
    server_error, // 503
    not_found,    // 404
    garbage,      // not HTTP at all
    bad_json,     // 200 with a body that is not the promised JSON
    stall,        // never answers
    drip,         // one byte every 100 ms
    close,        // drops the connection before answering
};

struct FakePypiStats {
    std::size_t simple_json = 0, simple_html = 0, json_api = 0, not_modified = 0, other = 0;
    std::size_t json_api_not_modified = 0; // 304s of the JSON API (per-version advisories)
    std::size_t json_api_faults = 0;       // JSON API requests answered with a set fault
};

class FakePypi {
  public:
    explicit FakePypi(TestServerOptions options = {});
    ~FakePypi();

    std::string index_url() const; // ".../simple/"
    TestServer& server() { return *server_; }

    void add_project(FakeProject project);
    void add_release(std::string const& project, FakeRelease release);
    void yank(std::string const& project, std::string const& version, std::string reason = "");
    void unyank(std::string const& project, std::string const& version);
    void remove_release(std::string const& project, std::string const& version);
    void remove_project(std::string const& project);
    // Advisories against one release, as its /pypi/<name>/<version>/json lists them.
    void add_vulnerability(std::string const& project, std::string const& version,
                           FakeAdvisory advisory);
    // Sets `withdrawn` on an advisory (it stays listed, as PyPI does).
    void withdraw_vulnerability(std::string const& project, std::string const& version,
                                std::string const& id, std::string when);
    void set_requires_python(std::string const& project, std::string const& version,
                             std::string requires_python);
    // A fault for the JSON API only (/pypi/...), for one project or every one ("*"); the
    // Simple API stays healthy.
    void set_json_api_fault(std::string const& project, Fault fault);
    // Fault for one project (normalised name) or for every project ("*").
    void set_fault(std::string const& project, Fault fault);
    // The project's PEP 792 status (Simple API 1.4) and reason: "" serves none (the project is
    // active). A quarantined project's pages list no files, as the standard says (its releases
    // are kept, and come back when the status changes).
    void set_project_status(std::string const& project, std::string status,
                            std::string reason = "");
    // Only the HTML form, as a PEP 503 index that never learnt JSON.
    void set_html_only(bool html_only);
    // Whether to gzip bodies for clients that accept it (default on).
    void set_gzip(bool gzip);

    // Renders (and gzips) every project's pages now rather than on first request, so a
    // benchmark's first run does not pay for the fake's own work.
    void prerender();

    FakePypiStats stats() const;
    struct RenderedSize {
        std::size_t json = 0, json_gz = 0;
    };
    RenderedSize rendered_size() const;             // of the pages rendered so far
    std::vector<std::string> project_names() const; // normalised

    // A realistic mirror: release counts skewed like PyPI's (most projects a handful, a few
    // with thousands), versions of every PEP 440 shape, some yanks. Deterministic for a seed.
    static std::vector<FakeProject> generate(std::size_t count, unsigned seed, std::int64_t now);

  private:
    struct Rendered {
        std::string json, html, json_gz, html_gz, json_etag, html_etag;
    };
    TestResponse handle(TestRequest const& request);
    TestResponse simple(std::string const& name, TestRequest const& request);
    TestResponse json_api(std::string const& name, std::optional<std::string> const& version,
                          TestRequest const& request);
    Rendered const& rendered(std::string const& key); // under mutex_
    void changed(std::string const& key);             // under mutex_

    mutable std::mutex mutex_;
    std::map<std::string, FakeProject> projects_; // by normalised name
    std::map<std::string, Rendered> cache_;
    std::map<std::string, Fault> faults_;
    std::map<std::string, Fault> json_faults_;
    std::map<std::string, std::pair<std::string, std::string>> statuses_; // status, reason
    std::int64_t serial_ = 1;
    std::map<std::string, std::int64_t> serials_;
    bool html_only_ = false;
    bool gzip_ = true;
    FakePypiStats stats_;
    std::unique_ptr<TestServer> server_;
};

} // namespace pinwatch::test
