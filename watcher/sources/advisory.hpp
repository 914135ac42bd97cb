// Advisory sources: where the advisories of many pins are read at once (OSV's querybatch),
// beside the package sources, and the [advisories] settings every command shares (where from,
// how often, which names never leave the box). Like a package source, an advisory source
// builds requests and reads responses; it opens no socket and never touches the state file:
// watcher/advisories.cpp does the I/O and the store keeps the records.
#pragma once

#include "common/result.hpp"
#include "model/model.hpp"
#include "net/http.hpp"
#include "packaging/version.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pinwatch::watcher {

using namespace pinwatch::model;

struct SourceSetup;

// [advisories] (or `check --advisories/--osv-url/--private`).
struct AdvisorySettings {
    enum class From {
        osv,   // an OSV service: one querybatch per 1,000 pins, records by id (the default)
        index, // each pin's per-version JSON API page on its own index (PyPI's `vulnerabilities`)
        none,  // advisories are not read
    };
    From from = From::osv;
    std::string osv_url = "https://api.osv.dev/";
    // How often the pins' advisories are read; unset: the top-level vulnerability_interval.
    std::optional<std::chrono::seconds> interval;
    // Package names or globs ("acme-*") whose names are never sent to the advisory service.
    std::vector<std::string> private_names;
    // Config lines, for messages ("pinwatch.toml:12"); "" from the command line.
    std::string where;
};

std::string_view to_string(AdvisorySettings::From f);
std::optional<AdvisorySettings::From> advisory_from(std::string_view text);

// The settings a command runs with: the daemon's [advisories] table (its interval falling back
// to the top-level vulnerability_interval), `check`'s flags, or the defaults.
AdvisorySettings advisory_settings(SourceSetup const& setup);

// Names matched by PEP 503 normalisation: "Acme_Internal" matches the glob "acme-*".
class PrivateNames {
  public:
    PrivateNames() = default;
    explicit PrivateNames(std::vector<std::string> const& globs);
    bool matches(std::string_view name) const;
    bool empty() const { return globs_.empty(); }

  private:
    std::vector<std::string> globs_; // normalised
};

// Whether a glob is a valid entry of `private` (a project name, possibly with * ? [...]).
std::optional<std::string> private_glob_problem(std::string const& glob);

// What VULN says for a private package, and why.
inline constexpr char const* kPrivateReason =
    "private ([advisories] private): its name is not sent to the advisory service";

// One question of a batch: the advisories of a (PEP 503) name at a version, and the page of the
// answer when a previous one said there is more.
struct AdvisoryQuery {
    std::string name;
    std::string version;
    std::optional<std::string> page_token;
};

// An advisory id an answer names for one query, with the time its record last changed.
struct AdvisoryHit {
    std::string id;
    std::string modified;
};

// The answer to one query of a batch.
struct BatchAnswer {
    std::vector<AdvisoryHit> hits;
    std::optional<std::string> next_page_token; // more hits on another page
};

class AdvisorySource {
  public:
    virtual ~AdvisorySource() = default;
    virtual std::string_view kind() const noexcept = 0; // "osv"
    // Where the names go (said to the operator): "https://api.osv.dev/".
    virtual std::string const& service() const noexcept = 0;
    // At most this many queries in one batch.
    virtual std::size_t batch_limit() const noexcept = 0;
    virtual net::Request batch_request(std::vector<AdvisoryQuery> const& queries) const = 0;
    // One answer per query, in order; an error when the response is not a full answer.
    virtual Result<std::vector<BatchAnswer>, std::string> parse_batch(net::Response const& response,
                                                                      std::size_t asked) const = 0;
    virtual net::Request record_request(std::string const& id) const = 0;
    // The record, or an error (a 404 says the id is unknown: "http 404").
    virtual Result<AdvisoryRecord, std::string>
    parse_record(std::string const& id, net::Response const& response) const = 0;
    // What a record says about package `name` at `version`: the advisory (its `withdrawn` set
    // when the record is withdrawn), or nullopt when the record does not cover that version.
    virtual Result<std::optional<Advisory>, std::string>
    judge(std::string const& body, std::string const& name,
          packaging::Version const& version) const = 0;
};

} // namespace pinwatch::watcher
