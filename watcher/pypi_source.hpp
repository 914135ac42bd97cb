// PyPI (and any PEP 503/691 index): version lists, upload times and yank status from the
// Simple API — JSON (PEP 691/700) preferred, HTML (PEP 503/592) as the fallback — and project
// metadata from /pypi/<name>/<version>/json where the index has that API.
// Parsing is streaming (RapidJSON SAX): a project with thousands of files builds no DOM.
#pragma once

#include "watcher/source.hpp"

#include <string>
#include <string_view>

namespace pinwatch::watcher {

class PypiSource final : public Source {
public:
    std::string_view kind() const noexcept override { return "pypi"; }
    net::Request request_for(Subscription const& sub, PollContext const& ctx) const override;
    Result<Observation, SourceError> parse(Subscription const& sub,
                                           net::Response const& response) const override;

    // Metadata of one release: summary and project URLs (for display and GitHub mapping).
    // Derived from the Simple API root: ".../simple/" -> ".../pypi/<name>/<version>/json".
    // nullopt when the index URL does not end in /simple/ (no JSON API to guess).
    std::optional<net::Request> metadata_request(Subscription const& sub,
                                                 std::string const& version) const;
    Result<ProjectMetadata, SourceError> parse_metadata(net::Response const& response) const;
};

// Exposed for tests.
namespace pypi_detail {
// "https://pypi.org/simple" -> "https://pypi.org/simple/"
std::string normalise_index_url(std::string_view url);
// The version part of a distribution file name, or "" when it is not a recognised format.
std::string version_from_filename(std::string_view filename, std::string_view project);
// "2015-06-14T14:38:05.875222Z" -> Unix seconds; nullopt on anything else.
std::optional<UnixTime> parse_upload_time(std::string_view text);
Result<Observation, std::string> parse_simple_json(std::string const& body, std::string_view project);
Result<Observation, std::string> parse_simple_html(std::string const& body, std::string_view project);
} // namespace pypi_detail

} // namespace pinwatch::watcher
