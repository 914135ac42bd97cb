// PEP 508 dependency specifiers ("requests[socks] >=2.8, <3 ; python_version < '3.12'",
// "pkg @ https://host/pkg.zip") with exactly the grammar, validation and printed form of
// pypa/packaging 23.0's Requirement. Pure and I/O-free; it does not decide whether a
// requirement is watchable (requirements_file does).
#pragma once

#include "common/result.hpp"
#include "packaging/marker.hpp"
#include "packaging/specifier.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pinwatch::packaging {

struct Requirement {
    std::string name;                // as written (not normalised), like packaging's .name
    std::vector<std::string> extras; // deduplicated and sorted (packaging keeps a set)
    SpecifierSet specifier;          // empty when none was given
    std::optional<std::string> url;  // the text after "@", validated as packaging does
    std::optional<Marker> marker;

    // packaging.requirements.Requirement(text). Accepts and rejects exactly what 23.0 does:
    // "name (>=1)" with parentheses, a trailing comma in the specifier list, a "\n" at the very
    // end, "name @ url ; marker" only with whitespace before the ';' (without it the ';' and
    // the marker are part of the URL); file: URLs must survive urlparse/urlunparse unchanged,
    // other URLs need a scheme and a host. The error says what was expected and at which
    // column (1-based, in characters).
    static Result<Requirement> parse(std::string_view text);

    // str(Requirement): name, "[extras]", specifier, "@ url", "; marker" — exactly as 23.0
    // prints it (note "name@ url", without a space before the '@').
    std::string str() const;
};

} // namespace pinwatch::packaging
