// A fake OSV API on loopback (api.osv.dev's shape): POST /v1/querybatch with its 1,000-query
// limit (a 1,001st is a 400) and paging by next_page_token, GET /v1/vulns/{id}, withdrawn
// records (left out of query answers, as OSV does), and records the answers name for versions
// their ranges do not cover (OSV and PyPI have drifted). It records every package name it was
// asked about, so a test can assert what left the box. Mutations may come from any thread.
#pragma once

#include "tests/fakes/test_server.hpp"

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace pinwatch::test {

struct FakeVuln {
    std::string id;
    std::vector<std::string> aliases;
    std::string summary;
    std::string package;               // as published; matched by PEP 503 name
    std::vector<std::string> versions; // affected[].versions
    // One ECOSYSTEM range's events, in order: {"introduced","1.0"}, {"fixed","1.2"}, ...
    std::vector<std::pair<std::string, std::string>> events;
    // Versions the query answers name it for; empty: `versions`.
    std::vector<std::string> returned_for;
    std::string modified = "2026-01-01T00:00:00Z";
    std::optional<std::string> withdrawn;
    std::optional<std::string> link; // database_specific.url
};

struct FakeOsvStats {
    std::size_t batches = 0;   // querybatch requests answered 200
    std::size_t rejected = 0;  // querybatch requests refused (400: too many queries, bad body)
    std::size_t queries = 0;   // queries in answered batches
    std::size_t records = 0;   // GET /v1/vulns/{id}
    std::size_t pages = 0;     // queries that carried a page_token
    std::size_t not_found = 0; // records asked for that do not exist
    std::size_t faults = 0;    // requests answered with the set fault
};

class FakeOsv {
  public:
    FakeOsv();
    ~FakeOsv();
    std::string url() const; // "http://127.0.0.1:PORT/"
    TestServer& server() { return *server_; }

    void add(FakeVuln vuln); // replaces one with the same id
    // Sets `withdrawn` and a newer `modified`: queries no longer name it.
    void withdraw(std::string const& id, std::string when);
    // Queries stop naming it for any version (the record stays, unchanged).
    void stop_returning(std::string const& id);
    void set_modified(std::string const& id, std::string modified);
    // At most this many ids per result before a next_page_token (default: all).
    void set_page_size(std::size_t n);
    // Every request answered 503 (down) or with a body that is not JSON (garbage).
    enum class Fault { none, down, garbage };
    void set_fault(Fault f);

    FakeOsvStats stats() const;
    // Every package name any query carried, as sent.
    std::set<std::string> names_seen() const;
    // How many times each record was fetched.
    std::map<std::string, std::size_t> record_fetches() const;

  private:
    TestResponse handle(TestRequest const& request);
    TestResponse querybatch(TestRequest const& request);
    std::string record_json(FakeVuln const& v) const;

    mutable std::mutex mutex_;
    std::map<std::string, FakeVuln> vulns_;
    std::set<std::string> hidden_;
    std::size_t page_size_ = 0;
    Fault fault_ = Fault::none;
    FakeOsvStats stats_;
    std::set<std::string> names_;
    std::map<std::string, std::size_t> fetches_;
    std::unique_ptr<TestServer> server_;
};

} // namespace pinwatch::test
