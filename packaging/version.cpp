#include "packaging/version.hpp"

#include "common/text.hpp"
#include "packaging/pep440_grammar.hpp"

#include <algorithm>

namespace pinwatch::packaging {

namespace {

using detail::Span;

std::string const zero = "0";

// Digit strings without leading zeros compare by length, then lexicographically: this is how
// numbers of any size compare without ever being converted.
std::strong_ordering compare_numbers(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return a.size() <=> b.size();
    int const c = a.compare(b);
    return c < 0 ? std::strong_ordering::less
                 : (c > 0 ? std::strong_ordering::greater : std::strong_ordering::equal);
}

std::strong_ordering compare_strings(std::string_view a, std::string_view b) {
    // std::string_view::compare orders bytes as unsigned char, which for UTF-8 is code point
    // order, the order Python compares str in.
    int const c = a.compare(b);
    return c < 0 ? std::strong_ordering::less
                 : (c > 0 ? std::strong_ordering::greater : std::strong_ordering::equal);
}

bool all_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Release segments as _cmpkey sees them: trailing zeros removed.
std::size_t significant_release_size(std::vector<std::string> const& release) {
    std::size_t n = release.size();
    while (n > 0 && release[n - 1] == "0")
        --n;
    return n;
}

std::strong_ordering compare_release(std::vector<std::string> const& a,
                                     std::vector<std::string> const& b) {
    auto const na = significant_release_size(a);
    auto const nb = significant_release_size(b);
    for (std::size_t i = 0; i < na && i < nb; ++i)
        if (auto c = compare_numbers(a[i], b[i]); c != 0) return c;
    return na <=> nb;
}

// The input as the error message shows it: long inputs are cut, not echoed whole.
std::string quoted(std::u32string_view text) {
    if (text.size() > 80) return "'" + detail::encode_utf8(text.substr(0, 80)) + "...'";
    return "'" + detail::encode_utf8(text) + "'";
}

} // namespace

// Builds a Version from a successful scan; lives in a class so it may touch Version's members.
class VersionParser {
  public:
    static Result<Version> parse(std::u32string_view original) {
        auto const text = detail::strip_python_space(original);
        detail::VersionScan scan;
        if (auto err = detail::scan_version(text, scan))
            return fail("invalid version " + quoted(original) + ": " + err->what);

        std::string too_long;
        auto number = [&](Span const& span) -> std::string {
            if (!span.present) return zero;
            auto digits = text.substr(span.begin, span.size());
            // Python's int() refuses this many digits, so packaging raises ValueError.
            if (digits.size() > detail::python_int_max_str_digits && too_long.empty())
                too_long = detail::encode_utf8(digits.substr(0, 12)) + "...";
            std::size_t k = 0;
            while (k + 1 < digits.size() && digits[k] == '0')
                ++k;
            return detail::encode_utf8(digits.substr(k));
        };
        auto lowered = [&](Span const& span) {
            // Every character a label or local segment can hold has a known lowercase form.
            return detail::lower_version_text(text.substr(span.begin, span.size())).value_or("");
        };

        Version v;
        v.epoch_ = number(scan.epoch);
        for (auto const& seg : scan.release)
            v.release_.push_back(number(seg));
        if (scan.pre_label.present) {
            auto label = lowered(scan.pre_label);
            if (label == "alpha")
                label = "a";
            else if (label == "beta")
                label = "b";
            else if (label == "c" || label == "pre" || label == "preview")
                label = "rc";
            // Spellings with U+0130/U+0131 in "preview" stay as lowercased: 23.0 does the same.
            v.pre_ = Version::Pre{std::move(label), number(scan.pre_number)};
        }
        if (scan.has_post) {
            v.post_ = number(scan.post_number);
            std::string label = scan.post_label.present ? lowered(scan.post_label) : "post";
            if (label == "rev" || label == "r") label = "post";
            v.post_label_ = std::move(label);
        }
        if (scan.has_dev) v.dev_ = number(scan.dev_number);
        for (auto const& seg : scan.local) {
            auto part = text.substr(seg.begin, seg.size());
            bool const numeric = std::all_of(part.begin(), part.end(),
                                             [](char32_t c) { return c >= '0' && c <= '9'; });
            v.local_.push_back(numeric ? number(seg) : lowered(seg));
        }
        if (!too_long.empty())
            return fail("invalid version " + quoted(original) + ": number " + too_long +
                        " has more than " + std::to_string(detail::python_int_max_str_digits) +
                        " digits");
        return v;
    }

    // Text already in packaging's normalised spelling, which is how nearly every index spells
    // its releases: N(.N)*, then [{a|b|rc}N][.postN][.devN], ASCII, no epoch, no local label.
    // Built straight from the bytes, without decoding to code points and running the grammar;
    // what it builds is exactly what parse() builds for the same text. Anything else (or a
    // number long enough to need the digit-count check) is nullopt: parse() decides.
    static std::optional<Version> parse_normalised(std::string_view text) {
        std::size_t at = 0;
        auto const digit = [&](std::size_t i) {
            return i < text.size() && text[i] >= '0' && text[i] <= '9';
        };
        auto const literal = [&](std::string_view word) {
            if (text.substr(at, word.size()) != word) return false;
            at += word.size();
            return true;
        };
        // A run of digits as parse() keeps it: without leading zeros, "0" for all zeros.
        auto const number = [&](std::string& out) {
            std::size_t const begin = at;
            while (digit(at))
                ++at;
            if (at == begin || at - begin > 64) return false;
            std::size_t k = begin;
            while (k + 1 < at && text[k] == '0')
                ++k;
            out.assign(text.substr(k, at - k));
            return true;
        };
        Version v;
        v.release_.reserve(4);
        for (;;) {
            if (!number(v.release_.emplace_back())) return std::nullopt;
            if (!(at < text.size() && text[at] == '.' && digit(at + 1))) break;
            ++at;
        }
        for (std::string_view label : {"rc", "a", "b"}) {
            if (!literal(label)) continue;
            v.pre_.emplace(Version::Pre{std::string(label), {}});
            if (!number(v.pre_->number)) return std::nullopt;
            break;
        }
        if (literal(".post")) {
            v.post_.emplace();
            if (!number(*v.post_)) return std::nullopt;
            v.post_label_ = "post";
        }
        if (literal(".dev")) {
            v.dev_.emplace();
            if (!number(*v.dev_)) return std::nullopt;
        }
        if (at != text.size()) return std::nullopt;
        return v;
    }
};

Result<Version> Version::parse(std::string_view text) {
    if (auto v = VersionParser::parse_normalised(text)) return std::move(*v);
    std::u32string decoded;
    if (!detail::decode_utf8(text, decoded)) return fail("invalid version: not valid UTF-8");
    return VersionParser::parse(decoded);
}

Result<Version> Version::parse(std::u32string_view text) {
    return VersionParser::parse(text);
}

std::string Version::base_version() const {
    std::string out;
    if (epoch_ != "0") {
        out += epoch_;
        out += '!';
    }
    for (std::size_t i = 0; i < release_.size(); ++i) {
        if (i > 0) out += '.';
        out += release_[i];
    }
    return out;
}

std::string Version::canonical(bool strip_trailing_zero) const {
    std::string out;
    if (epoch_ != "0") {
        out += epoch_;
        out += '!';
    }
    std::size_t n = release_.size();
    if (strip_trailing_zero) {
        // re.sub(r"(\.0)+$", "", ...) on the joined release: the first segment always stays.
        while (n > 1 && release_[n - 1] == "0")
            --n;
    }
    for (std::size_t i = 0; i < n; ++i) {
        if (i > 0) out += '.';
        out += release_[i];
    }
    if (pre_) {
        out += pre_->label;
        out += pre_->number;
    }
    if (post_) {
        out += ".post";
        out += *post_;
    }
    if (dev_) {
        out += ".dev";
        out += *dev_;
    }
    if (!local_.empty()) {
        out += '+';
        out += local();
    }
    return out;
}

std::string Version::str() const {
    return canonical(false);
}

std::string Version::public_version() const {
    auto s = str();
    return s.substr(0, s.find('+'));
}

bool Version::is_prerelease() const {
    return pre_.has_value() || dev_.has_value();
}
bool Version::is_postrelease() const {
    return post_.has_value();
}
bool Version::is_devrelease() const {
    return dev_.has_value();
}
bool Version::has_local() const {
    return !local_.empty();
}

std::size_t Version::release_size() const {
    return release_.size();
}

std::optional<std::uint64_t> Version::release_u64(std::size_t i) const {
    if (i >= release_.size()) return 0;
    auto const& digits = release_[i];
    std::uint64_t value = 0;
    for (char c : digits) {
        auto const d = static_cast<std::uint64_t>(c - '0');
        if (value > (UINT64_MAX - d) / 10) return std::nullopt;
        value = value * 10 + d;
    }
    return value;
}

std::string const& Version::release_str(std::size_t i) const {
    return i < release_.size() ? release_[i] : zero;
}

std::string const& Version::epoch_str() const {
    return epoch_;
}
std::optional<Version::Pre> const& Version::pre() const {
    return pre_;
}
std::optional<std::string> const& Version::post() const {
    return post_;
}
std::optional<std::string> const& Version::dev() const {
    return dev_;
}
std::vector<std::string> const& Version::local_segments() const {
    return local_;
}

std::string Version::local() const {
    std::string out;
    for (std::size_t i = 0; i < local_.size(); ++i) {
        if (i > 0) out += '.';
        out += local_[i];
    }
    return out;
}

std::strong_ordering operator<=>(Version const& a, Version const& b) {
    using std::strong_ordering;
    if (auto c = compare_numbers(a.epoch_, b.epoch_); c != 0) return c;
    if (auto c = compare_release(a.release_, b.release_); c != 0) return c;

    // _pre: a dev-only release (no pre, no post) sorts before any pre-release of the same
    // release; no pre-release at all sorts after every pre-release.
    auto pre_rank = [](Version const& v) {
        if (!v.pre_ && !v.post_ && v.dev_) return 0;
        return v.pre_ ? 1 : 2;
    };
    if (auto c = pre_rank(a) <=> pre_rank(b); c != 0) return c;
    if (a.pre_ && b.pre_) {
        if (auto c = compare_strings(a.pre_->label, b.pre_->label); c != 0) return c;
        if (auto c = compare_numbers(a.pre_->number, b.pre_->number); c != 0) return c;
    }

    // _post: no post-release sorts first.
    if (auto c = a.post_.has_value() <=> b.post_.has_value(); c != 0) return c;
    if (a.post_) {
        if (auto c = compare_strings(a.post_label_, b.post_label_); c != 0) return c;
        if (auto c = compare_numbers(*a.post_, *b.post_); c != 0) return c;
    }

    // _dev: no dev release sorts last.
    if (auto c = b.dev_.has_value() <=> a.dev_.has_value(); c != 0) return c;
    if (a.dev_)
        if (auto c = compare_numbers(*a.dev_, *b.dev_); c != 0) return c;

    // _local: none sorts first; segment by segment, alphanumeric below numeric, numbers by
    // value, text by code point; a shorter label that is a prefix sorts first.
    auto const& la = a.local_;
    auto const& lb = b.local_;
    if (la.empty() || lb.empty()) return !la.empty() <=> !lb.empty();
    for (std::size_t i = 0; i < la.size() && i < lb.size(); ++i) {
        bool const na = all_digits(la[i]);
        bool const nb = all_digits(lb[i]);
        if (na != nb) return na <=> nb;
        auto c = na ? compare_numbers(la[i], lb[i]) : compare_strings(la[i], lb[i]);
        if (c != 0) return c;
    }
    return la.size() <=> lb.size();
}

bool operator==(Version const& a, Version const& b) {
    return (a <=> b) == 0;
}

std::string release_key(std::string_view version) {
    if (auto parsed = Version::parse(version)) return parsed->str();
    return ascii_lower(version);
}

std::string release_key(Version const& version) {
    return version.str();
}

} // namespace pinwatch::packaging
