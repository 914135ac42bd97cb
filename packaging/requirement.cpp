#include "packaging/requirement.hpp"

#include "packaging/pep508.hpp"
#include "packaging/urlsplit.hpp"

#include <algorithm>
#include <utility>

namespace pinwatch::packaging {

namespace {

// Requirement.__init__'s URL check.
Result<void> validate_url(std::string const& text) {
    Result<url::ParseResult> parsed = url::urlparse(text);
    if (!parsed) return fail("Invalid URL '" + text + "': " + parsed.error());
    if (parsed->scheme == "file") {
        if (url::urlunparse(*parsed) != text)
            return fail("Invalid URL '" + text +
                        "': a file: URL must read back unchanged (file:///absolute/path)");
        return {};
    }
    if (parsed->scheme.empty() || parsed->netloc.empty())
        return fail("Invalid URL '" + text + "': expected a scheme and a host");
    return {};
}

} // namespace

Result<Requirement> Requirement::parse(std::string_view text) {
    Result<pep508::ParsedRequirement> parsed = pep508::parse_requirement(text);
    if (!parsed) return fail(parsed.error());

    Requirement req;
    req.name = std::move(parsed->name);
    if (!parsed->url.empty()) {
        if (auto ok = validate_url(parsed->url); !ok) return fail(ok.error());
        req.url = std::move(parsed->url);
    }
    req.extras = std::move(parsed->extras);
    std::sort(req.extras.begin(), req.extras.end());
    req.extras.erase(std::unique(req.extras.begin(), req.extras.end()), req.extras.end());

    Result<SpecifierSet> spec = SpecifierSet::parse(parsed->specifier);
    if (!spec) return fail("Invalid specifier '" + parsed->specifier + "': " + spec.error());
    req.specifier = std::move(*spec);

    if (parsed->marker) req.marker.emplace(std::move(*parsed->marker));
    return req;
}

std::string Requirement::str() const {
    std::string out = name;
    if (!extras.empty()) {
        out += '[';
        for (std::size_t i = 0; i < extras.size(); ++i) {
            if (i) out += ',';
            out += extras[i];
        }
        out += ']';
    }
    if (!specifier.empty()) out += specifier.str();
    if (url) {
        out += "@ " + *url;
        if (marker) out += ' ';
    }
    if (marker) out += "; " + marker->str();
    return out;
}

} // namespace pinwatch::packaging
