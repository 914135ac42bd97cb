#include "packaging/pep508.hpp"

#include "packaging/pytext.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <utility>

namespace pinwatch::packaging::pep508 {

namespace {

// ---------------------------------------------------------------------------------------------
// Character helpers
// ---------------------------------------------------------------------------------------------

bool is_digit(std::string_view s, std::size_t i) {
    return i < s.size() && s[i] >= '0' && s[i] <= '9';
}
bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool word_at(std::string_view s, std::size_t i) {
    return i < s.size() && py::is_word_ascii(s[i]);
}
bool word_before(std::string_view s, std::size_t i) {
    return i > 0 && py::is_word_ascii(s[i - 1]);
}
bool starts_with_at(std::string_view s, std::size_t i, std::string_view lit) {
    return s.size() >= i && s.substr(i).substr(0, lit.size()) == lit;
}

// One character of an IGNORECASE pattern whose letter is `lower` (ASCII lowercase): ASCII in
// either case, plus the non-ASCII letters Python's re folds onto s, k and i. Returns the bytes
// consumed, 0 when it does not match.
std::size_t ci_char(std::string_view s, std::size_t i, char lower) {
    if (i >= s.size()) return 0;
    char c = s[i];
    if (c == lower || (c >= 'A' && c <= 'Z' && c - 'A' + 'a' == lower)) return 1;
    if (lower == 's' && starts_with_at(s, i, "\xC5\xBF")) return 2;     // U+017F long s
    if (lower == 'k' && starts_with_at(s, i, "\xE2\x84\xAA")) return 3; // U+212A Kelvin
    if (lower == 'i' && (starts_with_at(s, i, "\xC4\xB1") || starts_with_at(s, i, "\xC4\xB0")))
        return 2; // U+0131 dotless i, U+0130 dotted capital I
    return 0;
}

std::size_t ci_literal(std::string_view s, std::size_t i, std::string_view lit) {
    std::size_t start = i;
    for (char c : lit) {
        std::size_t n = (c >= 'a' && c <= 'z') ? ci_char(s, i, c) : (i < s.size() && s[i] == c);
        if (n == 0) return 0;
        i += n;
    }
    return i - start;
}

// [a-z0-9] under IGNORECASE.
std::size_t ci_alnum(std::string_view s, std::size_t i) {
    if (i >= s.size()) return 0;
    if (is_alnum(s[i])) return 1;
    for (char c : {'s', 'k', 'i'})
        if (std::size_t n = ci_char(s, i, c)) return n;
    return 0;
}

bool is_sep(std::string_view s, std::size_t i) {
    return i < s.size() && (s[i] == '-' || s[i] == '_' || s[i] == '.');
}

std::size_t skip_digits(std::string_view s, std::size_t i) {
    while (is_digit(s, i))
        ++i;
    return i;
}

constexpr std::size_t kNoMatch = std::string_view::npos;

// ---------------------------------------------------------------------------------------------
// The version half of packaging's Specifier regex. Each function returns the end of its match
// starting at `i`, or kNoMatch. Optional groups that cannot fail later are taken greedily, which
// is exactly where Python's backtracking settles, since nothing after them can fail.
// ---------------------------------------------------------------------------------------------

// \s* v? (?:[0-9]+!)? [0-9]+ (?:\.[0-9]+)*   (or )+ when need_dot)
std::size_t match_core(std::string_view s, std::size_t i, bool need_dot) {
    i += py::space_run(s, i);
    auto release = [&](std::size_t q) -> std::size_t {
        if (!is_digit(s, q)) return kNoMatch;
        q = skip_digits(s, q);
        int dots = 0;
        while (q < s.size() && s[q] == '.' && is_digit(s, q + 1)) {
            q = skip_digits(s, q + 1);
            ++dots;
        }
        return (need_dot && dots == 0) ? kNoMatch : q;
    };
    auto after_v = [&](std::size_t q) -> std::size_t {
        std::size_t e = skip_digits(s, q);
        if (e > q && e < s.size() && s[e] == '!') {
            if (std::size_t r = release(e + 1); r != kNoMatch) return r;
        }
        return release(q); // the epoch group backtracks to empty
    };
    if (std::size_t n = ci_char(s, i, 'v')) {
        if (std::size_t r = after_v(i + n); r != kNoMatch) return r;
    }
    return after_v(i);
}

// [-_\.]? (alternatives) [-_\.]? [0-9]*
std::size_t match_letter_segment(std::string_view s, std::size_t i,
                                 std::initializer_list<std::string_view> alternatives) {
    for (std::size_t start : {is_sep(s, i) ? i + 1 : kNoMatch, i}) {
        if (start == kNoMatch) continue;
        for (std::string_view alt : alternatives) {
            if (std::size_t n = ci_literal(s, start, alt)) {
                std::size_t q = start + n;
                if (is_sep(s, q)) ++q;
                return skip_digits(s, q);
            }
        }
    }
    return kNoMatch;
}

std::size_t opt(std::size_t matched, std::size_t otherwise) {
    return matched == kNoMatch ? otherwise : matched;
}

std::size_t match_pre(std::string_view s, std::size_t i) {
    return opt(match_letter_segment(s, i, {"alpha", "beta", "preview", "pre", "a", "b", "c", "rc"}),
               i);
}

std::size_t match_post(std::string_view s, std::size_t i) {
    if (i < s.size() && s[i] == '-' && is_digit(s, i + 1)) return skip_digits(s, i + 1);
    return opt(match_letter_segment(s, i, {"post", "rev", "r"}), i);
}

std::size_t match_dev(std::string_view s, std::size_t i) {
    return opt(match_letter_segment(s, i, {"dev"}), i);
}

// \+[a-z0-9]+(?:[-_\.][a-z0-9]+)*
std::size_t match_local(std::string_view s, std::size_t i) {
    if (i >= s.size() || s[i] != '+') return i;
    std::size_t q = i + 1;
    std::size_t n = ci_alnum(s, q);
    if (n == 0) return i;
    while (n)
        q += n, n = ci_alnum(s, q);
    while (is_sep(s, q) && ci_alnum(s, q + 1)) {
        q += 1;
        while ((n = ci_alnum(s, q)))
            q += n;
    }
    return q;
}

std::size_t match_version_after(std::string_view s, std::size_t v) {
    auto behind = [&](std::string_view lit) {
        return v >= lit.size() && s.substr(v - lit.size(), lit.size()) == lit;
    };
    // (?<====) \s* [^\s;)]*
    if (behind("===")) {
        std::size_t q = v + py::space_run(s, v);
        while (q < s.size()) {
            py::CodePoint c = py::decode_at(s, q);
            if (py::is_space(c.cp) || c.cp == ';' || c.cp == ')') break;
            q += c.len;
        }
        return q;
    }
    // (?<===|!=) release, then .* or pre/post/dev/local
    if (behind("==") || behind("!=")) {
        std::size_t q = match_core(s, v, false);
        if (q != kNoMatch) {
            if (q + 1 < s.size() && s[q] == '.' && s[q + 1] == '*') return q + 2;
            return match_local(s, match_dev(s, match_post(s, match_pre(s, q))));
        }
    }
    // (?<=~=) release with at least two components, pre/post/dev
    if (behind("~=")) {
        std::size_t q = match_core(s, v, true);
        if (q != kNoMatch) return match_dev(s, match_post(s, match_pre(s, q)));
    }
    // (?<!==|!=|~=) release, pre/post/dev
    if (!behind("==") && !behind("!=") && !behind("~=")) {
        std::size_t q = match_core(s, v, false);
        if (q != kNoMatch) return match_dev(s, match_post(s, match_pre(s, q)));
    }
    return kNoMatch;
}

// ---------------------------------------------------------------------------------------------
// Tokenizer (packaging._tokenizer.Tokenizer with DEFAULT_RULES)
// ---------------------------------------------------------------------------------------------

enum class Rule {
    left_parenthesis,
    right_parenthesis,
    left_bracket,
    right_bracket,
    semicolon,
    comma,
    quoted_string,
    op,
    boolop,
    in,
    not_,
    variable,
    specifier,
    at,
    url,
    identifier,
    ws,
    end,
};

struct Token {
    Rule rule;
    std::string_view text;
    std::size_t position;
};

// Thrown only inside this file and caught at the two entry points, which turn it into a Result:
// the parser reads top to bottom like packaging's, instead of threading errors through every
// level of the recursion.
struct SyntaxError {
    std::string message;
    std::size_t position;
};

// Keyword-like rules: the literal, a word boundary before and after (ASCII, see pytext.hpp).
std::size_t match_word(std::string_view s, std::size_t i, std::string_view word) {
    if (word_before(s, i) || !starts_with_at(s, i, word) || word_at(s, i + word.size())) return 0;
    return word.size();
}

constexpr std::array<std::string_view, 17> kVariableSpellings = {
    "python_version",
    "python_full_version",
    "os_name",
    "os.name",
    "sys_platform",
    "sys.platform",
    "platform_release",
    "platform_system",
    "platform_version",
    "platform.version",
    "platform_machine",
    "platform.machine",
    "platform_python_implementation",
    "platform.python_implementation",
    "python_implementation",
    "implementation_name",
    "implementation_version",
};

std::size_t match_rule(Rule rule, std::string_view s, std::size_t i) {
    auto single = [&](char c) -> std::size_t { return i < s.size() && s[i] == c ? 1 : 0; };
    switch (rule) {
    case Rule::left_parenthesis:
        return single('(');
    case Rule::right_parenthesis:
        return single(')');
    case Rule::left_bracket:
        return single('[');
    case Rule::right_bracket:
        return single(']');
    case Rule::semicolon:
        return single(';');
    case Rule::comma:
        return single(',');
    case Rule::at:
        return single('@');
    case Rule::quoted_string: {
        if (i >= s.size() || (s[i] != '\'' && s[i] != '"')) return 0;
        std::size_t close = s.find(s[i], i + 1);
        return close == std::string_view::npos ? 0 : close + 1 - i;
    }
    case Rule::op:
        for (std::string_view op : {"===", "==", "~=", "!=", "<=", ">=", "<", ">"})
            if (starts_with_at(s, i, op)) return op.size();
        return 0;
    case Rule::boolop:
        if (std::size_t n = match_word(s, i, "or")) return n;
        return match_word(s, i, "and");
    case Rule::in:
        return match_word(s, i, "in");
    case Rule::not_:
        return match_word(s, i, "not");
    case Rule::variable:
        for (std::string_view v : kVariableSpellings)
            if (std::size_t n = match_word(s, i, v)) return n;
        return match_word(s, i, "extra");
    case Rule::specifier:
        return match_specifier_token(s, i);
    case Rule::url: {
        std::size_t q = i;
        while (q < s.size() && s[q] != ' ' && s[q] != '\t')
            ++q;
        return q - i;
    }
    case Rule::identifier: {
        // \b[a-zA-Z0-9][a-zA-Z0-9._-]*\b: greedy run, then back off to a word boundary.
        if (word_before(s, i) || i >= s.size() || !is_alnum(s[i])) return 0;
        std::size_t e = i + 1;
        while (e < s.size() && (is_alnum(s[e]) || is_sep(s, e)))
            ++e;
        for (; e > i; --e)
            if (py::is_word_ascii(s[e - 1]) != word_at(s, e)) return e - i;
        return 0;
    }
    case Rule::ws: {
        std::size_t q = i;
        while (q < s.size() && (s[q] == ' ' || s[q] == '\t'))
            ++q;
        return q - i;
    }
    case Rule::end:
        return 0; // zero-width; see Tokenizer::matches
    }
    return 0;
}

class Tokenizer {
  public:
    explicit Tokenizer(std::string_view source, bool lock_file = false)
        : source_(source), lock_file_(lock_file) {}

    std::size_t position() const { return position_; }
    std::string_view source() const { return source_; }

    bool check(Rule rule, bool peek = false) {
        std::size_t length = 0;
        if (!matches(rule, length)) return false;
        if (!peek) next_ = Token{rule, source_.substr(position_, length), position_};
        return true;
    }

    void consume(Rule rule) {
        if (check(rule)) read();
    }

    Token expect(Rule rule, std::string_view expected) {
        if (!check(rule)) raise("Expected " + std::string(expected));
        return read();
    }

    Token read() {
        Token t = *next_;
        position_ += t.text.size();
        next_.reset();
        return t;
    }

    [[noreturn]] void raise(std::string message) const { raise_at(std::move(message), position_); }
    [[noreturn]] void raise_at(std::string message, std::size_t position) const {
        throw SyntaxError{std::move(message), position};
    }

  private:
    bool matches(Rule rule, std::size_t& length) const {
        if (rule == Rule::end) {
            // Python's `$`: the very end, or just before a final "\n".
            length = 0;
            return position_ == source_.size() ||
                   (position_ + 1 == source_.size() && source_[position_] == '\n');
        }
        length = match_rule(rule, source_, position_);
        // PEP 751's two set-valued variables exist only in a lock file's markers.
        if (rule == Rule::variable && length == 0 && lock_file_) {
            length = match_word(source_, position_, "extras");
            if (length == 0) length = match_word(source_, position_, "dependency_groups");
        }
        return length > 0;
    }

    std::string_view source_;
    bool lock_file_ = false;
    std::size_t position_ = 0;
    std::optional<Token> next_;
};

// tokenizer.enclosing_tokens(open, close) for the two places it is used: returns whether the
// opening token was there; `close()` then demands the closing one.
struct Enclosing {
    Tokenizer& t;
    std::optional<std::size_t> open_position;
    std::string_view close_name;
    Rule close_rule;

    Enclosing(Tokenizer& tok, Rule open, Rule close, std::string_view name)
        : t(tok), close_name(name), close_rule(close) {
        if (t.check(open)) {
            open_position = t.position();
            t.read();
        }
    }
    void close() {
        if (!open_position) return;
        if (!t.check(close_rule)) t.raise("Expected closing " + std::string(close_name));
        t.read();
    }
};

// ---------------------------------------------------------------------------------------------
// Parser (packaging._parser)
// ---------------------------------------------------------------------------------------------

MarkerList parse_marker_expr(Tokenizer& t, int depth);

MarkerVar parse_marker_var(Tokenizer& t) {
    if (t.check(Rule::variable)) {
        std::string name(t.read().text);
        for (char& c : name)
            if (c == '.') c = '_';
        if (name == "python_implementation") name = "platform_python_implementation";
        return MarkerVar{true, std::move(name)};
    }
    if (t.check(Rule::quoted_string)) {
        Token tok = t.read();
        Result<std::string> value = decode_python_string(tok.text);
        if (!value) t.raise_at(value.error(), tok.position);
        return MarkerVar{false, std::move(*value)};
    }
    t.raise("Expected a marker variable or quoted string");
}

std::string parse_marker_op(Tokenizer& t) {
    if (t.check(Rule::in)) {
        t.read();
        return "in";
    }
    if (t.check(Rule::not_)) {
        t.read();
        t.expect(Rule::ws, "whitespace after 'not'");
        t.expect(Rule::in, "'in' after 'not'");
        return "not in";
    }
    if (t.check(Rule::op)) return std::string(t.read().text);
    t.raise("Expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in");
}

MarkerItem parse_marker_item(Tokenizer& t) {
    t.consume(Rule::ws);
    MarkerVar lhs = parse_marker_var(t);
    t.consume(Rule::ws);
    std::string op = parse_marker_op(t);
    t.consume(Rule::ws);
    MarkerVar rhs = parse_marker_var(t);
    t.consume(Rule::ws);
    return MarkerItem{std::move(lhs), std::move(op), std::move(rhs)};
}

MarkerNode parse_marker_atom(Tokenizer& t, int depth) {
    t.consume(Rule::ws);
    MarkerNode node;
    if (t.check(Rule::left_parenthesis, true)) {
        if (depth >= kMaxMarkerDepth)
            t.raise("Expected at most " + std::to_string(kMaxMarkerDepth) +
                    " levels of nested parentheses");
        Enclosing paren(t, Rule::left_parenthesis, Rule::right_parenthesis, "')'");
        t.consume(Rule::ws);
        node.kind = MarkerNode::Kind::group;
        node.group = parse_marker_expr(t, depth + 1);
        t.consume(Rule::ws);
        paren.close();
    } else {
        node.kind = MarkerNode::Kind::item;
        node.item = parse_marker_item(t);
    }
    t.consume(Rule::ws);
    return node;
}

MarkerList parse_marker_expr(Tokenizer& t, int depth) {
    MarkerList expression;
    expression.push_back(parse_marker_atom(t, depth));
    while (t.check(Rule::boolop)) {
        MarkerNode op;
        op.kind = MarkerNode::Kind::boolop;
        op.boolop = std::string(t.read().text);
        expression.push_back(std::move(op));
        expression.push_back(parse_marker_atom(t, depth));
    }
    return expression;
}

MarkerList parse_requirement_marker(Tokenizer& t, std::size_t span_start, std::string_view after) {
    if (!t.check(Rule::semicolon))
        t.raise("Expected end or semicolon (after " + std::string(after) + ")");
    (void)span_start; // Python underlines from here; our one-line errors point at the caret.
    t.read();
    MarkerList marker = parse_marker_expr(t, 0);
    t.consume(Rule::ws);
    return marker;
}

std::vector<std::string> parse_extras_list(Tokenizer& t) {
    std::vector<std::string> extras;
    if (!t.check(Rule::identifier)) return extras;
    extras.emplace_back(t.read().text);
    while (true) {
        t.consume(Rule::ws);
        if (t.check(Rule::identifier, true)) t.raise("Expected comma between extra names");
        if (!t.check(Rule::comma)) break;
        t.read();
        t.consume(Rule::ws);
        extras.emplace_back(t.expect(Rule::identifier, "extra name after comma").text);
    }
    return extras;
}

std::vector<std::string> parse_extras(Tokenizer& t) {
    if (!t.check(Rule::left_bracket, true)) return {};
    Enclosing bracket(t, Rule::left_bracket, Rule::right_bracket, "']'");
    t.consume(Rule::ws);
    std::vector<std::string> extras = parse_extras_list(t);
    t.consume(Rule::ws);
    bracket.close();
    return extras;
}

std::string parse_version_many(Tokenizer& t) {
    std::string specifiers;
    while (t.check(Rule::specifier)) {
        specifiers += t.read().text;
        t.consume(Rule::ws);
        if (!t.check(Rule::comma)) break;
        specifiers += t.read().text;
        t.consume(Rule::ws);
    }
    return specifiers;
}

std::string parse_specifier(Tokenizer& t) {
    Enclosing paren(t, Rule::left_parenthesis, Rule::right_parenthesis, "')'");
    t.consume(Rule::ws);
    std::string specifiers = parse_version_many(t);
    t.consume(Rule::ws);
    paren.close();
    return specifiers;
}

void parse_requirement_details(Tokenizer& t, ParsedRequirement& out) {
    if (t.check(Rule::at)) {
        t.read();
        t.consume(Rule::ws);
        std::size_t url_start = t.position();
        out.url = std::string(t.expect(Rule::url, "URL after @").text);
        if (t.check(Rule::end, true)) return;
        t.expect(Rule::ws, "whitespace after URL");
        // The input might end after whitespace.
        if (t.check(Rule::end, true)) return;
        out.marker = parse_requirement_marker(t, url_start, "URL and whitespace");
        return;
    }
    std::size_t specifier_start = t.position();
    out.specifier = parse_specifier(t);
    t.consume(Rule::ws);
    if (t.check(Rule::end, true)) return;
    out.marker = parse_requirement_marker(
        t, specifier_start,
        out.specifier.empty() ? "name and no valid version specifier" : "version specifier");
}

std::string with_column(std::string_view source, SyntaxError const& e) {
    return e.message + " at column " + std::to_string(py::column_of(source, e.position));
}

Result<void> require_utf8(std::string_view source) {
    std::size_t bad = py::first_invalid_utf8(source);
    if (bad == std::string_view::npos) return {};
    return fail("Expected UTF-8 text, found an invalid byte at column " +
                std::to_string(py::column_of(source, bad)));
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

} // namespace

std::size_t match_specifier_token(std::string_view s, std::size_t pos) {
    // (?P<operator>(~=|==|!=|<=|>=|<|>|===)) tried in this order; on failure of the version
    // part the regex backtracks into the next operator alternative ("===" is reached that way).
    for (std::string_view op : {"~=", "==", "!=", "<=", ">=", "<", ">", "==="}) {
        if (!starts_with_at(s, pos, op)) continue;
        std::size_t end = match_version_after(s, pos + op.size());
        if (end != kNoMatch) return end - pos;
    }
    return 0;
}

namespace {

// The escapes that stand for one character: \\ \' \" \a \b \f \n \r \t \v.
std::optional<char> one_character_escape(char e) {
    switch (e) {
    case '\\':
    case '\'':
    case '"':
        return e;
    case 'a':
        return '\a';
    case 'b':
        return '\b';
    case 'f':
        return '\f';
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    case 'v':
        return '\v';
    default:
        return std::nullopt;
    }
}

} // namespace

Result<std::string> decode_python_string(std::string_view token) {
    std::string_view body = token.substr(1, token.size() - 2);
    std::string out;
    out.reserve(body.size());
    auto bad = [](std::string what) -> Result<std::string> {
        return fail("Expected a valid Python string literal (" + what + ")");
    };
    for (std::size_t i = 0; i < body.size();) {
        char c = body[i];
        if (c == '\0') return bad("NUL character");
        if (c == '\n' || c == '\r') return bad("unterminated: raw line break inside quotes");
        if (c != '\\') {
            py::CodePoint cp = py::decode_at(body, i);
            out.append(body.substr(i, cp.len));
            i += cp.len;
            continue;
        }
        if (i + 1 >= body.size()) return bad("unterminated: the closing quote is escaped");
        char e = body[i + 1];
        i += 2;
        if (auto plain = one_character_escape(e)) {
            out += *plain;
            continue;
        }
        switch (e) {
        case '\n':
            break; // backslash-newline continues the literal
        case '\r':
            if (i < body.size() && body[i] == '\n') ++i;
            break;
        case '0':
        case '1':
        case '2':
        case '3':
        case '4':
        case '5':
        case '6':
        case '7': {
            char32_t v = static_cast<char32_t>(e - '0');
            for (int k = 0; k < 2 && i < body.size() && body[i] >= '0' && body[i] <= '7'; ++k)
                v = v * 8 + static_cast<char32_t>(body[i++] - '0');
            py::append_utf8(out, v);
            break;
        }
        case 'x':
        case 'u':
        case 'U': {
            int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
            std::uint32_t v = 0;
            for (int k = 0; k < digits; ++k) {
                int h = i < body.size() ? hex_value(body[i]) : -1;
                if (h < 0) return bad(std::string("truncated \\") + e + " escape");
                v = v * 16 + static_cast<std::uint32_t>(h);
                ++i;
            }
            if (v > 0x10FFFF) return bad("illegal Unicode character in \\U escape");
            py::append_utf8(out, static_cast<char32_t>(v));
            break;
        }
        case 'N': {
            // \N{NAME}: Python's rules (a '{', a non-empty name, a '}'); the name is looked up
            // as unicodedata does for string literals.
            auto const close =
                i < body.size() && body[i] == '{' ? body.find('}', i + 1) : std::string_view::npos;
            if (close == std::string_view::npos || close == i + 1)
                return bad("malformed \\N character escape");
            auto const cp = py::lookup_name(body.substr(i + 1, close - i - 1));
            if (!cp) return bad("unknown Unicode character name in \\N{...}");
            py::append_utf8(out, *cp);
            i = close + 1;
            break;
        }
        case '\0':
            return bad("NUL character");
        default:
            // Unknown escapes keep the backslash (Python only warns about them).
            out += '\\';
            i -= 1;
            break;
        }
    }
    return out;
}

Result<ParsedRequirement> parse_requirement(std::string_view source) {
    if (auto ok = require_utf8(source); !ok) return fail(ok.error());
    Tokenizer t(source);
    try {
        ParsedRequirement out;
        t.consume(Rule::ws);
        out.name = std::string(
            t.expect(Rule::identifier, "package name at the start of dependency specifier").text);
        t.consume(Rule::ws);
        out.extras = parse_extras(t);
        t.consume(Rule::ws);
        parse_requirement_details(t, out);
        t.expect(Rule::end, "end of dependency specifier");
        return out;
    } catch (SyntaxError const& e) {
        return fail(with_column(source, e));
    }
}

Result<MarkerList> parse_marker(std::string_view source, bool to_end, bool lock_file) {
    if (auto ok = require_utf8(source); !ok) return fail(ok.error());
    Tokenizer t(source, lock_file);
    try {
        MarkerList markers = parse_marker_expr(t, 0);
        if (to_end) {
            t.consume(Rule::ws);
            t.expect(Rule::end, "end of marker");
        }
        return markers;
    } catch (SyntaxError const& e) {
        return fail(with_column(source, e));
    }
}

} // namespace pinwatch::packaging::pep508
