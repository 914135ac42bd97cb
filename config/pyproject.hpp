// Dependencies declared in a pyproject.toml: [project] dependencies,
// [project.optional-dependencies] and PEP 735 [dependency-groups] (with {include-group = "..."}),
// each string read as a PEP 508 requirement. Reads one file with toml++; knows nothing about
// polling or requirements files.
#pragma once

#include "common/result.hpp"
#include "packaging/marker.hpp"
#include "packaging/requirements_file.hpp"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace pinwatch::config {

using PyprojectError = Diagnostic;

struct PyprojectDependencies {
    // One entry per requirement string, in file order: section is "project.dependencies",
    // "project.optional-dependencies" or "dependency-groups", group the PEP 503-normalised
    // extra or group name. Markers are evaluated with extra = "" except in optional
    // dependencies, where extra is the entry's own extra (installing it sets that extra).
    std::vector<packaging::RequirementEntry> entries;
    // PEP 735: each group (normalised name) resolved to its requirement strings, included
    // groups expanded in place, as an installer would see it.
    std::map<std::string, std::vector<std::string>> dependency_groups;
    std::vector<PyprojectError> errors;
};

// Parses `text` as the pyproject.toml at `path` (used in messages and entries). Every problem
// is reported with the file and line (bad TOML, a key of the wrong type, a bad requirement, an
// unknown or cyclic include-group, two groups or extras that normalise to the same name); the
// good entries are kept either way.
PyprojectDependencies parse_pyproject(std::string_view text, std::string const& path,
                                      packaging::Environment const& env);

// Reads the file, then parse_pyproject. An unreadable file is one error with line 0.
PyprojectDependencies read_pyproject(std::string const& path, packaging::Environment const& env);

} // namespace pinwatch::config
