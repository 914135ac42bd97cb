// PEP 440 version specifiers (">=1.0", "==1.2.*", "~=2.2", "===foo") and comma-joined sets, with
// the exact validity rules, matching and pre-release handling of pypa/packaging 23.0. Pure and
// I/O-free; never throws on bad input (parse returns the reason).
#pragma once

#include "common/result.hpp"
#include "packaging/version.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pinwatch::packaging {

// One clause of a specifier set.
class Specifier {
  public:
    // Accepts exactly what packaging 23.0's Specifier() accepts: surrounding whitespace and
    // whitespace between operator and version are allowed; each operator has its own version
    // grammar ("~=1" and ">=1.0.*" are rejected, "===" takes any run of non-space characters).
    static Result<Specifier> parse(std::string_view text);

    std::string str() const;               // operator + version as written, whitespace removed
    std::string_view op() const;           // "~=", "==", "!=", "<=", ">=", "<", ">", "==="
    std::string_view version_text() const; // as written; "1.2.*" keeps its ".*"
    bool has_wildcard() const;             // "==1.2.*" or "!=1.2.*"

    // packaging's Specifier.prereleases with no explicit override: true when the operator is
    // inclusive (==, >=, <=, ~=, ===) and names a pre-release or dev release.
    bool prereleases() const;

    // packaging's Specifier.contains(v, prereleases): prereleases=nullopt uses prereleases().
    bool contains(Version const& v, std::optional<bool> prereleases = std::nullopt) const;

    // packaging's Specifier.filter, including "yield pre-releases if nothing else matched".
    std::vector<Version> filter(std::vector<Version> const& versions,
                                std::optional<bool> prereleases = std::nullopt) const;

  private:
    Specifier() = default;
    friend class SpecifierSet;

    bool compare_equal(Version const& v) const;
    bool compare_compatible(Version const& v) const;
    // Version(v.public) as packaging re-reads it; nullopt where 23.0 raises InvalidVersion.
    static std::optional<Version> reparsed_public(Version const& v);

    std::string op_;
    std::string version_;             // as written, surrounding whitespace removed
    bool wildcard_ = false;           // "==1.2.*" / "!=1.2.*"
    std::optional<Version> parsed_;   // version_ (without ".*"); for "===" only if it parses
    std::vector<std::string> prefix_; // split canonical prefix for ".*" and "~=" matching
    std::optional<std::string> arbitrary_lower_; // "===" text lowercased as Python would
    std::string canonical_; // packaging's _canonical_spec version, for de-duplication
};

// A comma-separated set of specifiers; every clause must hold.
class SpecifierSet {
  public:
    // "" (or only commas and whitespace) is the empty set, which contains every final release.
    static Result<SpecifierSet> parse(std::string_view text);

    std::string str() const; // clauses deduplicated, sorted by their str(), joined with ","
    bool empty() const;
    std::vector<Specifier> const& specifiers() const; // deduplicated, sorted like str()

    // packaging's SpecifierSet.prereleases: nullopt for the empty set, else whether any clause
    // allows pre-releases.
    std::optional<bool> prereleases() const;

    bool contains(Version const& v, std::optional<bool> prereleases = std::nullopt) const;
    std::vector<Version> filter(std::vector<Version> const& versions,
                                std::optional<bool> prereleases = std::nullopt) const;
    // The same choice as the positions in `versions` it keeps, in order: no copies.
    std::vector<std::size_t> filter_indices(std::vector<Version> const& versions,
                                            std::optional<bool> prereleases = std::nullopt) const;

    // The version text when the set is exactly one "==" clause without ".*", or one "==="
    // clause; nullopt otherwise.
    std::optional<std::string> pinned() const;

  private:
    std::vector<Specifier> specs_;
};

} // namespace pinwatch::packaging
