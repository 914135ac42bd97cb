// PEP 440 versions with the exact semantics of pypa/packaging 23.0 (Debian 12's python3-packaging):
// which strings parse, their normalised form and their total order. Pure and I/O-free: no
// logging, no exceptions for bad input (parse returns the reason), no std::regex on user text.
#pragma once

#include "common/result.hpp"

#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pinwatch::packaging {

// A parsed, normalised PEP 440 version. Every number is kept as decimal digits without leading
// zeros, so releases like 1.20240101000000000000000 compare correctly instead of overflowing.
class Version {
  public:
    // Accepts exactly what packaging 23.0's Version() accepts (surrounding whitespace, "v"
    // prefix, any case, alternative spellings and separators). The error says why, e.g.
    // "invalid version '1.0+': local version label is empty after '+'".
    static Result<Version> parse(std::string_view text);
    static Result<Version> parse(std::u32string_view text); // same, on decoded code points

    std::string str() const;            // normalised form, exactly packaging's str(Version(...))
    std::string public_version() const; // str() without "+local"
    std::string base_version() const;   // epoch and release only: "1!2.0"

    bool is_prerelease() const; // has a pre-release or a dev segment
    bool is_postrelease() const;
    bool is_devrelease() const;
    bool has_local() const;

    // Release segments as written (1.0.0 has three; trailing zeros are kept here but ignored by
    // comparison).
    std::size_t release_size() const;
    std::optional<std::uint64_t> release_u64(std::size_t i) const; // 0 past the end
    std::string const& release_str(std::size_t i) const;           // "0" past the end

    // The other parts, normalised. Numbers are digit strings without leading zeros.
    std::string const& epoch_str() const; // "0" when no epoch was written
    struct Pre {
        std::string label;  // "a", "b" or "rc" (23.0 keeps "prevıew"/"previ̇ew" spellings as is)
        std::string number; // "0" when omitted
    };
    std::optional<Pre> const& pre() const;
    std::optional<std::string> const& post() const;
    std::optional<std::string> const& dev() const;
    // Local segments, lowercased, numeric ones without leading zeros: "ubuntu.1" -> {"ubuntu","1"}.
    std::vector<std::string> const& local_segments() const;
    std::string local() const; // "ubuntu.1", or "" without a local label

    // packaging.utils.canonicalize_version: str() with trailing ".0" release segments removed
    // when strip_trailing_zero is set.
    std::string canonical(bool strip_trailing_zero = true) const;

    // packaging's _cmpkey order: epoch, release without trailing zeros, then dev-only releases
    // before pre-releases, pre < final < post, dev before its non-dev twin, then local labels.
    friend std::strong_ordering operator<=>(Version const& a, Version const& b);
    friend bool operator==(Version const& a, Version const& b); // 1.0 == 1.0.0

  private:
    Version() = default;
    friend class VersionParser;
    friend class Specifier; // re-reads versions the way packaging's operators do

    std::string epoch_ = "0";
    std::vector<std::string> release_;
    std::optional<Pre> pre_;
    std::optional<std::string> post_;
    // packaging keeps the lowercased post label in its sort key; it is "post" except for the
    // spelling "poſt" (U+017F matches 's' under re.IGNORECASE), which prints as ".post" but
    // sorts after it.
    std::string post_label_;
    std::optional<std::string> dev_;
    std::vector<std::string> local_;
};

// The key releases are matched by: the normalised PEP 440 version ("1.0.0-RC1" -> "1.0.0rc1"),
// or the lowercased text for legacy versions packaging cannot parse. A source computes it once,
// when a release's text enters (Release::key); the diff and the other sources compare keys.
std::string release_key(std::string_view version);
std::string release_key(Version const& version); // the parsed form's key, without re-parsing

} // namespace pinwatch::packaging
