#include "packaging/specifier.hpp"

#include "packaging/pep440_grammar.hpp"

#include <algorithm>
#include <array>
#include <unordered_set>

namespace pinwatch::packaging {

namespace {

bool all_ascii_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// packaging.utils.canonicalize_version on a string: versions that do not parse come back as
// they are (23.0 only catches InvalidVersion there).
std::string canonicalize_version_text(std::string_view text, bool strip_trailing_zero) {
    auto v = Version::parse(text);
    return v ? v->canonical(strip_trailing_zero) : std::string(text);
}

// Version(a.base_version) == Version(b.base_version): same epoch, same release ignoring
// trailing zeros.
bool same_base(Version const& a, Version const& b) {
    if (a.epoch_str() != b.epoch_str()) return false;
    auto const n = std::max(a.release_size(), b.release_size());
    for (std::size_t i = 0; i < n; ++i)
        if (a.release_str(i) != b.release_str(i)) return false;
    return true;
}

// The prefix-matching half of _compare_equal: is `spec` (already _version_split) a prefix of
// the prospective version once its release is zero-padded to the spec's length?
// Ported item for item from 23.0, including where it departs from PEP 440: an epoch stays glued
// to the first release number ("1!1"), which then no longer counts as part of the release, so
// "==1!1.0.*" does not match 1!1.0 (it does match 1!1.0.1).
bool prefix_matches(std::string const& normalized_prospective,
                    std::vector<std::string> const& split_spec) {
    auto const split_prospective = detail::version_split(normalized_prospective);
    // _pad_version: the leading all-digit items are the release.
    auto release_len = [](std::vector<std::string> const& items) {
        std::size_t n = 0;
        while (n < items.size() && all_ascii_digits(items[n]))
            ++n;
        return n;
    };
    auto const left = release_len(split_prospective);
    auto const right = release_len(split_spec);
    std::vector<std::string> padded(split_prospective.begin(), split_prospective.begin() + left);
    if (right > left) padded.insert(padded.end(), right - left, "0");
    padded.insert(padded.end(), split_prospective.begin() + left, split_prospective.end());
    if (padded.size() > split_spec.size()) padded.resize(split_spec.size());
    return padded == split_spec;
}

// The input as the error message shows it: long inputs are cut, not echoed whole.
std::string quoted(std::u32string_view text) {
    if (text.size() > 80) return "'" + detail::encode_utf8(text.substr(0, 80)) + "...'";
    return "'" + detail::encode_utf8(text) + "'";
}

// What "~=" prefix-matches. _compare_compatible works on the text as written: drop suffix items
// (those starting with dev/a/b/rc/post, case-sensitively) and the last release item. So
// "~=2.2.c1" means ==2.2.* while "~=2.2rc1" means ==2.*; we keep that 23.0 quirk. `version` has
// at least two release numbers.
std::string compatible_prefix(std::string const& version) {
    std::vector<std::string> kept;
    for (auto& item : detail::version_split(version)) {
        static constexpr std::array<std::string_view, 5> suffixes{"dev", "a", "b", "rc", "post"};
        if (std::any_of(suffixes.begin(), suffixes.end(),
                        [&](std::string_view s) { return item.starts_with(s); }))
            break;
        kept.push_back(std::move(item));
    }
    kept.pop_back(); // at least two items: the second release number never looks like a suffix
    std::string prefix;
    for (std::size_t i = 0; i < kept.size(); ++i)
        prefix += (i ? "." : "") + kept[i];
    return prefix;
}

} // namespace

// Plain versions are re-read unchanged, so the copy is enough; only the exotic Unicode label
// spellings ("poſt", "previ̇ew") change or fail when packaging re-parses str(v). Where 23.0's
// operators would raise InvalidVersion on such a candidate, contains() answers false.
std::optional<Version> Specifier::reparsed_public(Version const& v) {
    bool const plain_pre =
        !v.pre_ || v.pre_->label == "a" || v.pre_->label == "b" || v.pre_->label == "rc";
    bool const plain_post = !v.post_ || v.post_label_ == "post";
    if (plain_pre && plain_post) {
        Version copy = v;
        copy.local_.clear();
        return copy;
    }
    auto r = Version::parse(v.public_version());
    if (!r) return std::nullopt;
    return std::move(r).value();
}

Result<Specifier> Specifier::parse(std::string_view text) {
    std::u32string decoded;
    if (!detail::decode_utf8(text, decoded)) return fail("invalid specifier: not valid UTF-8");
    auto const t = detail::strip_python_space(decoded);
    auto invalid = [&](std::string const& why) {
        return fail("invalid specifier " + quoted(decoded) + ": " + why);
    };

    Specifier spec;
    // The regex tries "==" before "===", but "==" followed by "=" never matches, so the
    // longest operator is the one that counts.
    static constexpr std::array<std::u32string_view, 8> ops{U"===", U"~=", U"==", U"!=",
                                                            U"<=",  U">=", U"<",  U">"};
    std::u32string_view op;
    for (auto candidate : ops) {
        if (t.starts_with(candidate)) {
            op = candidate;
            break;
        }
    }
    if (op.empty()) return invalid("expected an operator (~=, ==, !=, <=, >=, <, >, ===)");
    spec.op_ = detail::encode_utf8(op);
    auto const version = detail::strip_python_space(t.substr(op.size()));
    spec.version_ = detail::encode_utf8(version);

    if (spec.op_ == "===") {
        // Arbitrary equality takes any run of characters except whitespace, ';' and ')'.
        for (char32_t c : version) {
            if (detail::is_python_space(c) || c == ';' || c == ')')
                return invalid("'===' takes a single word without whitespace, ';' or ')'");
        }
        detail::VersionScan scan;
        if (!detail::scan_version(version, scan)) {
            // It reads as a version, so packaging will call Version() on it (for prereleases
            // and for hashing inside a set); with an oversized number that raises ValueError.
            auto v = Version::parse(version);
            if (!v) return invalid(v.error());
            spec.parsed_ = std::move(v).value();
        }
        spec.arbitrary_lower_ = detail::lower_version_text(version);
        spec.canonical_ = canonicalize_version_text(spec.version_, true);
        return spec;
    }

    bool const equality = spec.op_ == "==" || spec.op_ == "!=";
    auto body = version;
    if (!equality && body.ends_with(U".*"))
        return invalid("a '.*' prefix match is only allowed with '==' and '!='");
    if (equality && body.ends_with(U".*")) {
        spec.wildcard_ = true;
        body.remove_suffix(2);
    }
    detail::VersionScan scan;
    if (auto err = detail::scan_version(body, scan)) return invalid(err->what);
    if (spec.wildcard_ &&
        (scan.pre_label.present || scan.has_post || scan.has_dev || !scan.local.empty()))
        return invalid("a '.*' prefix match takes only an epoch and release numbers");
    if (!equality && !scan.local.empty())
        return invalid("a local version label is only allowed with '==' and '!='");
    if (spec.op_ == "~=" && scan.release.size() < 2)
        return invalid("'~=' needs at least two release numbers, like '~=1.4'");
    // 23.0 accepts an oversized number here but raises ValueError on every later use.
    auto parsed = Version::parse(body);
    if (!parsed) return invalid(parsed.error());
    spec.parsed_ = std::move(parsed).value();

    if (spec.wildcard_) {
        spec.prefix_ =
            detail::version_split(canonicalize_version_text(detail::encode_utf8(body), false));
    } else if (spec.op_ == "~=") {
        spec.prefix_ = detail::version_split(
            canonicalize_version_text(compatible_prefix(spec.version_), false));
    }
    spec.canonical_ =
        spec.wildcard_ ? spec.version_ : canonicalize_version_text(spec.version_, spec.op_ != "~=");
    return spec;
}

std::string Specifier::str() const {
    return op_ + version_;
}
std::string_view Specifier::op() const {
    return op_;
}
std::string_view Specifier::version_text() const {
    return version_;
}
bool Specifier::has_wildcard() const {
    return wildcard_;
}

bool Specifier::prereleases() const {
    // 23.0 asks only the inclusive operators. For "===" text that is not a version 23.0 raises
    // InvalidVersion (it calls Version() on the text); we answer false: it names no
    // pre-release, and the API has no way to raise.
    if (op_ == "!=" || op_ == "<" || op_ == ">") return false;
    return parsed_ && parsed_->is_prerelease();
}

bool Specifier::compare_equal(Version const& v) const {
    if (wildcard_) {
        // canonicalize_version(prospective.public): the public part, re-read and printed without
        // trailing zeros; a public part that does not re-read is used as printed.
        std::string normalized;
        if (auto p = reparsed_public(v))
            normalized = p->canonical(true);
        else
            normalized = v.public_version();
        return prefix_matches(normalized, prefix_);
    }
    // Without a local label in the spec, the candidate's local label is ignored.
    if (!parsed_->has_local()) {
        auto p = reparsed_public(v);
        return p && *p == *parsed_;
    }
    return v == *parsed_;
}

bool Specifier::compare_compatible(Version const& v) const {
    auto p = reparsed_public(v);
    if (!p || !(*p >= *parsed_)) return false;
    std::string normalized = p->canonical(true);
    return prefix_matches(normalized, prefix_);
}

bool Specifier::contains(Version const& v, std::optional<bool> prereleases) const {
    bool const allow_pre = prereleases.value_or(this->prereleases());
    if (v.is_prerelease() && !allow_pre) return false;

    if (op_ == "===") return arbitrary_lower_ && v.str() == *arbitrary_lower_;
    if (op_ == "==") return compare_equal(v);
    if (op_ == "!=") return !compare_equal(v);
    if (op_ == "~=") return compare_compatible(v);
    auto const& spec = *parsed_;
    if (op_ == "<=" || op_ == ">=") {
        // Local labels are not allowed in these specs, so the candidate's is dropped.
        auto p = reparsed_public(v);
        if (!p) return false;
        return op_ == "<=" ? *p <= spec : *p >= spec;
    }
    if (op_ == "<") {
        if (!(v < spec)) return false;
        // "<3.1" must not admit 3.1.dev0 or 3.1a1 unless the spec is itself a pre-release.
        return spec.is_prerelease() || !v.is_prerelease() || !same_base(v, spec);
    }
    // ">"
    if (!(v > spec)) return false;
    // ">3.1" must not admit 3.1.post1 unless the spec is a post-release, nor 3.1+local.
    if (!spec.is_postrelease() && v.is_postrelease() && same_base(v, spec)) return false;
    return !(v.has_local() && same_base(v, spec));
}

std::vector<Version> Specifier::filter(std::vector<Version> const& versions,
                                       std::optional<bool> prereleases) const {
    std::vector<Version> yielded;
    std::vector<Version> held_back;
    bool const contains_pre = prereleases.value_or(true);
    bool const wants_pre = prereleases.value_or(false) || this->prereleases();
    for (auto const& v : versions) {
        if (!contains(v, contains_pre)) continue;
        if (v.is_prerelease() && !wants_pre)
            held_back.push_back(v);
        else
            yielded.push_back(v);
    }
    // PEP 440: accept pre-releases when nothing else matches.
    return yielded.empty() ? held_back : yielded;
}

Result<SpecifierSet> SpecifierSet::parse(std::string_view text) {
    std::u32string decoded;
    if (!detail::decode_utf8(text, decoded)) return fail("invalid specifier set: not valid UTF-8");
    SpecifierSet set;
    std::unordered_set<std::string> seen;
    std::u32string_view rest = decoded;
    while (true) {
        auto const comma = rest.find(U',');
        auto const item = detail::strip_python_space(rest.substr(0, comma));
        if (!item.empty()) {
            auto spec = Specifier::parse(detail::encode_utf8(item));
            if (!spec) return fail(std::move(spec).error());
            // A Python set keeps the first of two equal specifiers, equality being operator
            // plus canonical version (so ">=1.0" and ">=1.0.0" are one clause).
            if (seen.insert(spec->op_ + '\0' + spec->canonical_).second)
                set.specs_.push_back(std::move(spec).value());
        }
        if (comma == std::u32string_view::npos) break;
        rest.remove_prefix(comma + 1);
    }
    std::sort(set.specs_.begin(), set.specs_.end(),
              [](Specifier const& a, Specifier const& b) { return a.str() < b.str(); });
    return set;
}

std::string SpecifierSet::str() const {
    std::string out;
    for (std::size_t i = 0; i < specs_.size(); ++i) {
        if (i > 0) out += ',';
        out += specs_[i].str();
    }
    return out;
}

bool SpecifierSet::empty() const {
    return specs_.empty();
}
std::vector<Specifier> const& SpecifierSet::specifiers() const {
    return specs_;
}

std::optional<bool> SpecifierSet::prereleases() const {
    if (specs_.empty()) return std::nullopt;
    return std::any_of(specs_.begin(), specs_.end(),
                       [](Specifier const& s) { return s.prereleases(); });
}

bool SpecifierSet::contains(Version const& v, std::optional<bool> prereleases) const {
    if (!prereleases) prereleases = this->prereleases();
    if (v.is_prerelease() && !prereleases.value_or(false)) return false;
    return std::all_of(specs_.begin(), specs_.end(),
                       [&](Specifier const& s) { return s.contains(v, prereleases); });
}

std::vector<Version> SpecifierSet::filter(std::vector<Version> const& versions,
                                          std::optional<bool> prereleases) const {
    std::vector<Version> out;
    for (auto i : filter_indices(versions, prereleases))
        out.push_back(versions[i]);
    return out;
}

std::vector<std::size_t> SpecifierSet::filter_indices(std::vector<Version> const& versions,
                                                      std::optional<bool> prereleases) const {
    if (!prereleases) prereleases = this->prereleases();
    std::vector<std::size_t> out;
    if (!specs_.empty()) {
        // 23.0 chains Specifier.filter(prereleases=bool(...)) per clause. With an explicit bool
        // each clause's "pre-releases if nothing else matched" fallback can never trigger (its
        // contains() already rejected them), so a set with specifiers never falls back to
        // pre-releases. PEP 440 says pre-releases SHOULD be accepted when nothing else matches;
        // we follow 23.0 (SpecifierSet(">=1.2.3").filter(["1.2", "1.5a1"]) is empty).
        bool const allow = prereleases.value_or(false);
        for (std::size_t i = 0; i < versions.size(); ++i)
            if (std::all_of(specs_.begin(), specs_.end(),
                            [&](Specifier const& s) { return s.contains(versions[i], allow); }))
                out.push_back(i);
        return out;
    }
    // No specifiers: drop pre-releases, unless no final release is there at all and the caller
    // did not say either way.
    std::vector<std::size_t> found_pre;
    for (std::size_t i = 0; i < versions.size(); ++i) {
        if (versions[i].is_prerelease() && !prereleases.value_or(false)) {
            if (out.empty()) found_pre.push_back(i);
        } else {
            out.push_back(i);
        }
    }
    if (out.empty() && !found_pre.empty() && !prereleases) return found_pre;
    return out;
}

std::optional<std::string> SpecifierSet::pinned() const {
    if (specs_.size() != 1) return std::nullopt;
    auto const& s = specs_.front();
    if ((s.op_ == "==" && !s.wildcard_) || s.op_ == "===") return s.version_;
    return std::nullopt;
}

} // namespace pinwatch::packaging
