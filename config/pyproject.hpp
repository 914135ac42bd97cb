// Dependencies declared in a pyproject.toml: [project] dependencies,
// [project.optional-dependencies] and PEP 735 [dependency-groups] (with {include-group = "..."}),
// each string read as a PEP 508 requirement. Reads one file with toml++; knows nothing about
// polling or requirements files.
#pragma once

#include "common/result.hpp"
#include "packaging/marker.hpp"
#include "packaging/requirements_file.hpp"

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace pinwatch::config {

using PyprojectError = Diagnostic;

// PEP 735 [dependency-groups] as written (includes not expanded), expanded on demand. Reading
// the file only checks the include graph (unknown groups, cycles), in time linear in the file,
// as PEP 735 asks of tools ("should not eagerly validate all groups"): 30 groups that each
// include the next one twice cost 30 groups to read, not 2^30 strings. parse_pyproject builds
// it; the add_/link members are for that.
class DependencyGroups {
  public:
    // Limits of one expansion: requirement strings in the result, and includes followed to
    // find them (a deep chain of groups included many times).
    static constexpr std::size_t kMaxExpanded = 100'000;
    static constexpr std::size_t kMaxIncludesFollowed = 1'000'000;

    // `name` in any spelling (PEP 503-normalised before the lookup).
    bool contains(std::string_view name) const;
    // Normalised names, sorted.
    std::vector<std::string> names() const;
    std::size_t size() const { return groups_.size(); }

    // The group's requirement strings with its includes expanded in place, in order and with
    // repeats, as PEP 735's reference implementation returns them. An include that names no
    // group, or that closes a cycle, adds nothing (parse_pyproject reported both). Worked out
    // when first asked for and kept (not thread-safe). An unknown group, or one that would
    // expand to more than kMaxExpanded strings (or through more than kMaxIncludesFollowed
    // includes), is an error that says so.
    Result<std::vector<std::string>> expand(std::string_view name) const;
    // expand() for a caller that knows the group is there: throws std::out_of_range for an
    // unknown group and std::length_error for one too large.
    std::vector<std::string> const& at(std::string_view name) const;

    // Building, in file order: a group (normalised and written name), then its items.
    void add_group(std::string normalised, std::string written);
    void add_requirement(std::string text);
    void add_include(std::string written, int line);
    // Resolves the includes once every group is added: each include that names no group, and
    // each that lies on a cycle (with a way round it, "a -> b -> a"), is a problem located at
    // the include's line, in file order. The include graph is walked once (Tarjan's SCCs); the
    // paths of the first kMaxCycleReports cycle includes are searched, the rest counted.
    static constexpr std::size_t kMaxCycleReports = 100;
    std::vector<PyprojectError> link(std::string const& path);

  private:
    struct Item {
        bool include = false;
        std::string text; // the requirement, or the included group as written
        int line = 0;     // of an include
        long target = -1; // an include's group; -1 when it names none
        bool cut = false; // an include that closes a cycle: followed by no expansion
    };
    struct Group {
        std::string name;    // normalised
        std::string written; // as written (first spelling)
        std::vector<Item> items;
        std::size_t expanded = 0; // strings in its expansion, at most kMaxExpanded + 1
    };
    Result<std::size_t> find(std::string_view name) const;
    Result<std::vector<std::string> const*> expanded(std::string_view name) const;
    std::vector<std::size_t> cycle_path(std::size_t from, std::size_t to,
                                        std::vector<long> const& component) const;
    // link()'s stages.
    void resolve_includes(std::string const& path, std::vector<PyprojectError>& problems);
    std::vector<long> walk_components();
    std::size_t expansion_size(Group const& group) const;
    void report_cycles(std::string const& path, std::vector<long> const& component,
                       std::vector<PyprojectError>& problems) const;
    std::string way_text(std::vector<std::size_t> const& way) const;

    std::vector<Group> groups_;
    std::map<std::string, std::size_t, std::less<>> by_name_;
    mutable std::map<std::size_t, std::vector<std::string>> expansions_;
};

struct PyprojectDependencies {
    // One entry per requirement string, in file order: section is "project.dependencies",
    // "project.optional-dependencies" or "dependency-groups", group the PEP 503-normalised
    // extra or group name. Markers are evaluated with extra = "" except in optional
    // dependencies, where extra is the entry's own extra (installing it sets that extra).
    std::vector<packaging::RequirementEntry> entries;
    // PEP 735: every group, expanded (included groups in place, as an installer would see
    // it) when asked for.
    DependencyGroups dependency_groups;
    std::vector<PyprojectError> errors;
};

// Parses `text` as the pyproject.toml at `path` (used in messages and entries). Every problem
// is reported with the file and line (bad TOML, a key of the wrong type, a bad requirement, an
// unknown or cyclic include-group, two groups or extras that normalise to the same name); the
// good entries are kept either way. Linear in the size of the file: groups are expanded only on
// request (DependencyGroups::expand).
PyprojectDependencies parse_pyproject(std::string_view text, std::string const& path,
                                      packaging::Environment const& env);

// Reads the file, then parse_pyproject. An unreadable file is one error with line 0.
PyprojectDependencies read_pyproject(std::string const& path, packaging::Environment const& env);

} // namespace pinwatch::config
