#include "packaging/pep440_grammar.hpp"

#include <array>

namespace pinwatch::packaging::detail {

bool decode_utf8(std::string_view in, std::u32string& out) {
    out.clear();
    out.reserve(in.size());
    std::size_t i = 0;
    auto const n = in.size();
    while (i < n) {
        auto const b0 = static_cast<unsigned char>(in[i]);
        if (b0 < 0x80) {
            out.push_back(b0);
            ++i;
            continue;
        }
        std::size_t len = 0;
        char32_t cp = 0;
        char32_t min = 0;
        if ((b0 & 0xE0) == 0xC0) {
            len = 2, cp = b0 & 0x1F, min = 0x80;
        } else if ((b0 & 0xF0) == 0xE0) {
            len = 3, cp = b0 & 0x0F, min = 0x800;
        } else if ((b0 & 0xF8) == 0xF0) {
            len = 4, cp = b0 & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (n - i < len) return false;
        for (std::size_t k = 1; k < len; ++k) {
            auto const b = static_cast<unsigned char>(in[i + k]);
            if ((b & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (b & 0x3F);
        }
        // Overlong forms, UTF-16 surrogates and values past U+10FFFF are not UTF-8.
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        out.push_back(cp);
        i += len;
    }
    return true;
}

void append_utf8(std::string& out, char32_t c) {
    if (c < 0x80) {
        out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (c >> 6)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (c >> 12)));
        out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (c >> 18)));
        out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
}

std::string encode_utf8(std::u32string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char32_t c : text)
        append_utf8(out, c);
    return out;
}

bool is_python_space(char32_t c) {
    // Every code point for which CPython's str.isspace() is true (checked against 3.11's tables).
    if (c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F)) return true;
    if (c < 0x85) return false;
    return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
           c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

std::u32string_view strip_python_space(std::u32string_view text) {
    std::size_t b = 0;
    std::size_t e = text.size();
    while (b < e && is_python_space(text[b]))
        ++b;
    while (e > b && is_python_space(text[e - 1]))
        --e;
    return text.substr(b, e - b);
}

std::optional<std::string> lower_version_text(std::u32string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char32_t c : text) {
        if (c < 0x80) {
            out.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
        } else if (c == 0x130) { // İ lowercases to "i" + COMBINING DOT ABOVE in Python
            out.push_back('i');
            append_utf8(out, 0x307);
        } else if (c == 0x212A) { // KELVIN SIGN
            out.push_back('k');
        } else if (c == 0x131 || c == 0x17F || c == 0x307) { // already lowercase
            append_utf8(out, c);
        } else {
            return std::nullopt;
        }
    }
    return out;
}

namespace {

bool is_digit(char32_t c) {
    return c >= '0' && c <= '9';
}
bool is_separator(char32_t c) {
    return c == '-' || c == '_' || c == '.';
}

// Does `c` match the pattern letter `letter` (lowercase ASCII) under Python's re.IGNORECASE?
// Besides ASCII case, CPython's sre treats U+0130/U+0131 as cases of 'i', U+017F as 's' and
// U+212A as 'k' (verified by brute force over all code points on 3.11).
bool letter_matches(char32_t c, char letter) {
    if (c == static_cast<char32_t>(letter) || c == static_cast<char32_t>(letter - 'a' + 'A'))
        return true;
    switch (letter) {
    case 'i':
        return c == 0x130 || c == 0x131;
    case 's':
        return c == 0x17F;
    case 'k':
        return c == 0x212A;
    default:
        return false;
    }
}

// [a-z0-9] under re.IGNORECASE.
bool is_local_char(char32_t c) {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == 0x130 ||
           c == 0x131 || c == 0x17F || c == 0x212A;
}

class Scanner {
  public:
    explicit Scanner(std::u32string_view text) : t_(text) {}

    char32_t at(std::size_t k) const { return k < t_.size() ? t_[k] : U'\0'; }
    std::size_t size() const { return t_.size(); }

    std::size_t digits_end(std::size_t k) const {
        while (k < t_.size() && is_digit(t_[k]))
            ++k;
        return k;
    }

    bool word_at(std::size_t k, std::string_view word) const {
        if (t_.size() - std::min(k, t_.size()) < word.size()) return false;
        for (std::size_t j = 0; j < word.size(); ++j)
            if (!letter_matches(t_[k + j], word[j])) return false;
        return true;
    }

    // The regex alternations try labels in order and backtrack; a shorter label that is a prefix
    // of a longer one ("a"/"alpha", "pre"/"preview", "r"/"rev") always leaves a letter that
    // nothing else can consume, so the longest matching label is the one the regex ends up with.
    template <std::size_t N>
    std::size_t longest_label(std::size_t k, std::array<std::string_view, N> const& labels) const {
        std::size_t best = 0;
        for (auto label : labels)
            if (label.size() > best && word_at(k, label)) best = label.size();
        return best;
    }

  private:
    std::u32string_view t_;
};

std::string describe(char32_t c) {
    std::string out = "'";
    append_utf8(out, c);
    out += "'";
    return out;
}

} // namespace

namespace {

// Each stage reads its part of the version at `i` (what packaging's VERSION_PATTERN says of it),
// fills `out` and moves `i` past it; a stage whose part is absent leaves `i` as it was.

// "v"? then the epoch "N!" (optional) and the release numbers "N(.N)*".
std::optional<ScanError> scan_release(Scanner const& s, std::size_t& i, VersionScan& out) {
    auto const n = s.size();
    if (letter_matches(s.at(i), 'v')) {
        out.has_v = true;
        ++i;
    }
    // Epoch "N!" or the first release number.
    std::size_t j = s.digits_end(i);
    if (j == i)
        return ScanError{i, i < n ? "expected a release number, found " + describe(s.at(i))
                                  : "expected a release number"};
    if (s.at(j) == '!') {
        out.epoch = Span{i, j, true};
        i = j + 1;
        j = s.digits_end(i);
        if (j == i) return ScanError{i, "expected a release number after the epoch '!'"};
    }
    out.release.push_back(Span{i, j, true});
    i = j;
    // A '.' extends the release only when a digit follows; nothing else starts with ".<digit>".
    while (s.at(i) == '.' && is_digit(s.at(i + 1))) {
        j = s.digits_end(i + 1);
        out.release.push_back(Span{i + 1, j, true});
        i = j;
    }
    return std::nullopt;
}

// Pre-release: [-_.]? (a|b|c|rc|alpha|beta|pre|preview) [-_.]? [0-9]*
// Separators are taken greedily; the following parts all have optional separators of their
// own, so a greedy take never turns a match into a failure.
void scan_pre(Scanner const& s, std::size_t& i, VersionScan& out) {
    std::size_t k = i;
    if (is_separator(s.at(k))) ++k;
    static constexpr std::array<std::string_view, 8> labels{"a",     "b",    "c",   "rc",
                                                            "alpha", "beta", "pre", "preview"};
    if (auto len = s.longest_label(k, labels)) {
        out.pre_label = Span{k, k + len, true};
        k += len;
        if (is_separator(s.at(k))) ++k;
        std::size_t const j = s.digits_end(k);
        if (j > k) out.pre_number = Span{k, j, true};
        i = j;
    }
}

// Post-release: -N | [-_.]? (post|rev|r) [-_.]? [0-9]*
void scan_post(Scanner const& s, std::size_t& i, VersionScan& out) {
    if (s.at(i) == '-' && is_digit(s.at(i + 1))) {
        std::size_t const j = s.digits_end(i + 1);
        out.has_post = true;
        out.post_number = Span{i + 1, j, true};
        i = j;
        return;
    }
    std::size_t k = i;
    if (is_separator(s.at(k))) ++k;
    static constexpr std::array<std::string_view, 3> labels{"post", "rev", "r"};
    if (auto len = s.longest_label(k, labels)) {
        out.has_post = true;
        out.post_label = Span{k, k + len, true};
        k += len;
        if (is_separator(s.at(k))) ++k;
        std::size_t const j = s.digits_end(k);
        if (j > k) out.post_number = Span{k, j, true};
        i = j;
    }
}

// Development release: [-_.]? dev [-_.]? [0-9]*
void scan_dev(Scanner const& s, std::size_t& i, VersionScan& out) {
    std::size_t k = i;
    if (is_separator(s.at(k))) ++k;
    if (s.word_at(k, "dev")) {
        k += 3;
        out.has_dev = true;
        if (is_separator(s.at(k))) ++k;
        std::size_t const j = s.digits_end(k);
        if (j > k) out.dev_number = Span{k, j, true};
        i = j;
    }
}

// Local label: + [a-z0-9]+ ([-_.][a-z0-9]+)*, which must end the version.
std::optional<ScanError> scan_local(Scanner const& s, std::size_t& i, VersionScan& out) {
    auto const n = s.size();
    if (s.at(i) != '+') return std::nullopt;
    std::size_t k = i + 1;
    std::size_t j = k;
    while (j < n && is_local_char(s.at(j)))
        ++j;
    if (j == k)
        return ScanError{k, k < n ? "local version label must start with a letter or digit, "
                                    "found " +
                                        describe(s.at(k))
                                  : "local version label is empty after '+'"};
    out.local.push_back(Span{k, j, true});
    k = j;
    while (is_separator(s.at(k)) && is_local_char(s.at(k + 1))) {
        j = k + 1;
        while (j < n && is_local_char(s.at(j)))
            ++j;
        out.local.push_back(Span{k + 1, j, true});
        k = j;
    }
    i = k;
    if (i < n) {
        if (is_separator(s.at(i)))
            return ScanError{i, "local version label segment is empty after " + describe(s.at(i))};
        return ScanError{i, "unexpected " + describe(s.at(i)) + " in local version label"};
    }
    return std::nullopt;
}

} // namespace

std::optional<ScanError> scan_version(std::u32string_view text, VersionScan& out) {
    out = VersionScan{};
    Scanner s(text);
    std::size_t i = 0;
    auto const n = s.size();
    if (n == 0) return ScanError{0, "empty version"};
    if (auto err = scan_release(s, i, out)) return err;
    scan_pre(s, i, out);
    scan_post(s, i, out);
    scan_dev(s, i, out);
    if (auto err = scan_local(s, i, out)) return err;
    if (i < n) {
        // Show what was understood so far: "unexpected '-' after '1.0'".
        auto const from = i > 24 ? i - 24 : 0;
        return ScanError{i, "unexpected " + describe(s.at(i)) + " after '" +
                                (from > 0 ? "..." : "") + encode_utf8(text.substr(from, i - from)) +
                                "'"};
    }
    return std::nullopt;
}

std::vector<std::string> version_split(std::string_view version) {
    std::vector<std::string> result;
    std::size_t start = 0;
    while (true) {
        auto const dot = version.find('.', start);
        auto item = version.substr(start, dot == std::string_view::npos ? dot : dot - start);
        // _prefix_regex = ^([0-9]+)((?:a|b|c|rc)[0-9]+)$ (case-sensitive)
        std::size_t d = 0;
        while (d < item.size() && item[d] >= '0' && item[d] <= '9')
            ++d;
        bool split = false;
        if (d > 0 && d < item.size()) {
            auto rest = item.substr(d);
            std::size_t label = 0;
            if (rest.starts_with("rc"))
                label = 2;
            else if (rest[0] == 'a' || rest[0] == 'b' || rest[0] == 'c')
                label = 1;
            if (label > 0 && rest.size() > label) {
                split = true;
                for (std::size_t k = label; k < rest.size(); ++k)
                    if (rest[k] < '0' || rest[k] > '9') split = false;
            }
        }
        if (split) {
            result.emplace_back(item.substr(0, d));
            result.emplace_back(item.substr(d));
        } else {
            result.emplace_back(item);
        }
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return result;
}

} // namespace pinwatch::packaging::detail
