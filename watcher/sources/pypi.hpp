// PyPI (and any PEP 503/691 index): version lists, upload times and yank status from the
// Simple API — JSON (PEP 691/700) preferred, HTML (PEP 503/592) as the fallback — and, as an
// optional second step, project metadata from /pypi/<name>/<version>/json where the index has
// that API. Parsing is streaming (RapidJSON SAX): a project with thousands of files builds no DOM.
#pragma once

#include "watcher/sources/source.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace pinwatch::watcher {

class PypiSource final : public Source {
  public:
    static constexpr std::string_view kKind = "pypi";
    std::string_view kind() const noexcept override { return kKind; }
    std::string host(Subscription const& sub) const override;
    SourceRequest first_request(Subscription const& sub, PollContext const& ctx) const override;
    Result<SourceStep, SourceError> parse(Subscription const& sub, PollContext const& ctx,
                                          SourceRequest const& request,
                                          net::Response const& response,
                                          Observation& into) const override;
    void optional_step_failed(Subscription const& sub, SourceRequest const& request,
                              std::string const& message, Observation& into) const override;
};

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
