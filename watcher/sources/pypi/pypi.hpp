// PyPI (and any PEP 503/691 index): version lists, upload times and yank status from the
// Simple API — JSON (PEP 691/700) preferred, HTML (PEP 503/592) as the fallback — and, as an
// optional second step, project metadata from /pypi/<name>/<version>/json where the index has
// that API. Parsing is streaming (RapidJSON SAX): a project with thousands of files builds no DOM.
#pragma once

#include "watcher/sources/advisory.hpp"
#include "watcher/sources/source.hpp"

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <string_view>

namespace pinwatch::watcher {

// How a command runs the PyPI source.
struct PypiSettings {
    bool want_metadata = true; // `check` prints versions only and skips the extra request
    // How often the pinned version's advisories are read (the per-version JSON, with its own
    // ETag); 0 = in every poll (`check`); nullopt = never.
    std::optional<std::chrono::seconds> vulnerability_interval = std::chrono::hours(6);
    // Packages whose advisories are never asked for ([advisories] private).
    PrivateNames private_names;
};

class PypiSource final : public Source {
  public:
    static constexpr std::string_view kKind = "pypi";
    explicit PypiSource(PypiSettings settings = {}) : settings_(settings) {}
    std::string_view kind() const noexcept override { return kKind; }
    std::string host(Subscription const& sub) const override;
    bool has_advisories() const noexcept override { return true; }
    // What one poll reads besides the listing.
    struct Asks {
        bool want_metadata = true;
        std::optional<std::string> metadata_version; // release whose metadata is stored
        // Read the advisories of this version (the pin): they are due.
        std::optional<std::string> vulnerabilities_for;
        std::optional<std::string> vulnerability_validator; // ETag of the last reading of it
        UnixTime now = 0;
        std::chrono::seconds interval{15 * 60}; // the subscription's poll interval
    };
    // The metadata when the newest release changed; the pin's advisories when they are due
    // and not backing off after failed readings.
    std::any prepare(PollHistory const& history) const override;
    SourceRequest first_request(Subscription const& sub, PollContext const& ctx) const override;
    // The advisories of this subscription's pin, when they are due.
    std::optional<SourceRequest> pin_request(Subscription const& sub, PollContext const& ctx,
                                             Observation& into) const override;
    Result<SourceStep, SourceError> parse(Subscription const& sub, PollContext const& ctx,
                                          SourceRequest const& request,
                                          net::Response const& response,
                                          Observation& into) const override;
    void optional_step_failed(Subscription const& sub, PollContext const& ctx,
                              SourceRequest const& request, std::string const& message,
                              Observation& into) const override;

  private:
    // A reading of advisories was made (an error or not): the backoff notes it.
    void advisories_read(Subscription const& sub, Asks const& asks,
                         VulnerabilityReading const& reading) const;
    PypiSettings settings_;
    // Advisory readings that keep failing (an index without a JSON API), by locator: failures
    // in a row and when to try again, so a failing reading is not repeated at every poll. In
    // memory: a restart tries again at once.
    mutable std::map<std::string, std::pair<int, UnixTime>> advisory_retry_;
    // Indexes (by origin) that answered 404 for the page of a version they list: they have no
    // JSON API, so it is asked once per index, not once per pin. In memory, like the backoff.
    mutable std::map<std::string, std::string> no_json_api_;
    std::optional<SourceRequest> vulnerability_request(Subscription const& sub, Asks const& asks,
                                                       Observation& obs) const;
    // parse()'s steps.
    VulnerabilityReading vulnerability_reading(Subscription const& sub,
                                               SourceRequest const& request,
                                               net::Response const& res,
                                               Observation const& obs) const;
    Result<SourceStep, SourceError> read_listing(Subscription const& sub, Asks const& asks,
                                                 net::Response const& res, Observation& obs) const;
};

// Whether the pin's advisories are due in a poll at `history.now`.
bool vulnerabilities_due(PollHistory const& history, std::optional<std::chrono::seconds> interval);

struct SourceEntry;
// The registry's entry for PyPI (and any PEP 503/691 index): on for every command.
SourceEntry pypi_entry();

// A subscription to `name` on the index whose Simple API root is `index_url`: the locator is
// the project's page ("https://pypi.org/simple/requests/"), the origin the index root.
Subscription pypi_subscription(std::string_view index_url, std::string_view name);

// Exposed for tests.
namespace pypi_detail {
// Releases read from one project page, at most. A page listing more (PyPI's largest projects
// have a few thousand) fails that package's poll with a permanent error instead of costing
// memory and time in proportion to what a broken or hostile index sends.
inline constexpr std::size_t kMaxReleases = 50'000;
// 50000 -> "50,000"
std::string with_thousands(std::size_t n);
// "https://pypi.org/simple" -> "https://pypi.org/simple/"
std::string normalise_index_url(std::string_view url);
// The version part of a distribution file name, or "" when it is not a recognised format.
std::string version_from_filename(std::string_view filename, std::string_view project);
// "2015-06-14T14:38:05.875222Z" -> Unix seconds; nullopt on anything else.
std::optional<UnixTime> parse_upload_time(std::string_view text);
Result<Observation, std::string> parse_simple_json(std::string const& body,
                                                   std::string_view project);
Result<Observation, std::string> parse_simple_html(std::string const& body,
                                                   std::string_view project);
// ".../simple/<name>/" -> ".../pypi/<name>/<version>/json"; nullopt without a /simple/ root.
std::optional<std::string> metadata_url(std::string_view locator, std::string_view version);
Result<ProjectMetadata, std::string> parse_metadata(std::string const& body);
// At most this many advisories are read for one version (PyPI lists a handful).
inline constexpr std::size_t kMaxAdvisories = 1000;
// The `vulnerabilities` list of a per-version JSON document (OSV's shape), every entry
// (withdrawn ones too). An answer without the list is an error: it says nothing either way.
Result<std::vector<Advisory>, std::string> parse_vulnerabilities(std::string const& body);
} // namespace pypi_detail

} // namespace pinwatch::watcher
