#include "packaging/requirements_file.hpp"

#include "packaging/locks/locks.hpp"
#include "packaging/name.hpp"
#include "packaging/pytext.hpp"
#include "packaging/requirement.hpp"
#include "packaging/urlsplit.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <map>
#include <set>
#include <utility>

namespace pinwatch::packaging {

std::optional<std::string> process_getenv(std::string const& name) {
    if (char const* value = std::getenv(name.c_str())) return std::string(value);
    return std::nullopt;
}

std::string_view to_string(RequirementsError::Kind kind) {
    switch (kind) {
    case RequirementsError::Kind::unreadable:
        return "unreadable";
    case RequirementsError::Kind::encoding:
        return "encoding";
    case RequirementsError::Kind::options:
        return "options";
    case RequirementsError::Kind::requirement:
        return "requirement";
    case RequirementsError::Kind::marker:
        return "marker";
    case RequirementsError::Kind::cycle:
        return "cycle";
    case RequirementsError::Kind::lock:
        return "lock";
    }
    return "requirement";
}

namespace reqfile {

namespace {

std::string lower_ascii(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

bool starts_with(std::string_view s, std::string_view p) {
    return s.substr(0, p.size()) == p;
}
bool ends_with(std::string_view s, std::string_view p) {
    return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

enum class Encoding { utf8, latin1, ascii, utf16le, utf16be, utf32be };

// Python's codec lookup for the names a PEP 263 comment may plausibly carry.
std::optional<Encoding> codec_for(std::string_view declared) {
    std::string n = lower_ascii(declared);
    std::replace(n.begin(), n.end(), '-', '_');
    static std::set<std::string, std::less<>> const utf8 = {
        "utf_8", "utf8", "u8", "utf", "cp65001", "utf8_ucs2", "utf8_ucs4"};
    static std::set<std::string, std::less<>> const latin1 = {
        "latin_1", "latin1", "latin",  "l1",         "iso8859_1",       "iso_8859_1", "iso8859",
        "8859",    "cp819",  "ibm819", "iso_ir_100", "iso_8859_1:1987", "csisolatin1"};
    static std::set<std::string, std::less<>> const ascii = {
        "ascii",          "us_ascii",         "646",     "us",      "ansi_x3.4_1968",
        "ansi_x3.4_1986", "ansi_x3_4_1968",   "cp367",   "csascii", "ibm367",
        "iso646_us",      "iso_646.irv:1991", "iso_ir_6"};
    if (utf8.count(n)) return Encoding::utf8;
    if (latin1.count(n)) return Encoding::latin1;
    if (ascii.count(n)) return Encoding::ascii;
    return std::nullopt;
}

// Decodes, replacing undecodable input with U+FFFD and recording where (offsets in `out`).
void decode_with(Encoding enc, std::string_view data, std::string& out,
                 std::vector<std::size_t>& bad) {
    auto mark = [&] {
        bad.push_back(out.size());
        py::append_utf8(out, 0xFFFD);
    };
    switch (enc) {
    case Encoding::utf8:
        for (std::size_t i = 0; i < data.size();) {
            py::CodePoint c = py::decode_at(data, i);
            if (!c.valid || (c.cp >= 0xD800 && c.cp <= 0xDFFF)) {
                mark();
            } else {
                out.append(data.substr(i, c.len));
            }
            i += c.len;
        }
        return;
    case Encoding::latin1:
        for (unsigned char c : data)
            py::append_utf8(out, c);
        return;
    case Encoding::ascii:
        for (unsigned char c : data) {
            if (c < 0x80) {
                out += static_cast<char>(c);
            } else {
                mark();
            }
        }
        return;
    case Encoding::utf16le:
    case Encoding::utf16be: {
        bool le = enc == Encoding::utf16le;
        auto unit = [&](std::size_t i) -> char32_t {
            auto a = static_cast<unsigned char>(data[i]);
            auto b = static_cast<unsigned char>(data[i + 1]);
            return le ? (b << 8 | a) : (a << 8 | b);
        };
        std::size_t i = 0;
        for (; i + 1 < data.size(); i += 2) {
            char32_t u = unit(i);
            if (u >= 0xD800 && u <= 0xDBFF && i + 3 < data.size()) {
                char32_t v = unit(i + 2);
                if (v >= 0xDC00 && v <= 0xDFFF) {
                    py::append_utf8(out, 0x10000 + ((u - 0xD800) << 10) + (v - 0xDC00));
                    i += 2;
                    continue;
                }
            }
            if (u >= 0xD800 && u <= 0xDFFF) {
                mark();
            } else {
                py::append_utf8(out, u);
            }
        }
        if (i < data.size()) mark(); // truncated final code unit
        return;
    }
    case Encoding::utf32be: {
        std::size_t i = 0;
        for (; i + 3 < data.size(); i += 4) {
            char32_t u = 0;
            for (int k = 0; k < 4; ++k)
                u = u << 8 | static_cast<unsigned char>(data[i + k]);
            if (u > 0x10FFFF || (u >= 0xD800 && u <= 0xDFFF)) {
                mark();
            } else {
                py::append_utf8(out, u);
            }
        }
        if (i < data.size()) mark();
        return;
    }
    }
}

// ENCODING_RE = rb"coding[:=]\s*([-\w.]+)" searched in a line starting with '#'.
std::optional<std::string> coding_declaration(std::string_view line) {
    if (line.empty() || line[0] != '#') return std::nullopt;
    for (std::size_t at = line.find("coding"); at != std::string_view::npos;
         at = line.find("coding", at + 1)) {
        std::size_t i = at + 6;
        if (i >= line.size() || (line[i] != ':' && line[i] != '=')) continue;
        ++i;
        while (i < line.size() && (line[i] == ' ' || (line[i] >= '\t' && line[i] <= '\r')))
            ++i;
        std::size_t start = i;
        while (i < line.size() && (py::is_word_ascii(line[i]) || line[i] == '-' || line[i] == '.'))
            ++i;
        if (i > start) return std::string(line.substr(start, i - start));
    }
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Comments (COMMENT_RE = r"(^|\s+)#.*$")
// ---------------------------------------------------------------------------------------------

bool comment_matches_at_start(std::string_view line) {
    std::size_t i = py::space_run(line, 0);
    return i < line.size() && line[i] == '#';
}

// Where COMMENT_RE.sub would cut the line, or npos.
std::size_t comment_start(std::string_view line) {
    if (!line.empty() && line[0] == '#') return 0;
    for (std::size_t i = 0; i < line.size();) {
        std::size_t run = py::space_run(line, i);
        if (run > 0) {
            if (i + run < line.size() && line[i + run] == '#') return i;
            i += run;
        } else {
            i += py::decode_at(line, i).len;
        }
    }
    return std::string_view::npos;
}

// ---------------------------------------------------------------------------------------------
// optparse, with pip's requirements-file option table
// ---------------------------------------------------------------------------------------------

enum class Dest {
    index_url,
    extra_index_urls,
    no_index,
    constraints,
    requirements,
    editables,
    find_links,
    no_binary,
    only_binary,
    prefer_binary,
    require_hashes,
    pre,
    trusted_hosts,
    features_enabled,
    install_options,
    global_options,
    hashes,
};

struct OptionSpec {
    std::vector<std::string_view> names; // short first, then long, as pip declares them
    Dest dest;
    bool takes_value;
};

// SUPPORTED_OPTIONS + SUPPORTED_OPTIONS_REQ of pip 23.0.1, in its order.
std::vector<OptionSpec> const& option_table() {
    static std::vector<OptionSpec> const table = {
        {{"-i", "--index-url", "--pypi-url"}, Dest::index_url, true},
        {{"--extra-index-url"}, Dest::extra_index_urls, true},
        {{"--no-index"}, Dest::no_index, false},
        {{"-c", "--constraint"}, Dest::constraints, true},
        {{"-r", "--requirement"}, Dest::requirements, true},
        {{"-e", "--editable"}, Dest::editables, true},
        {{"-f", "--find-links"}, Dest::find_links, true},
        {{"--no-binary"}, Dest::no_binary, true},
        {{"--only-binary"}, Dest::only_binary, true},
        {{"--prefer-binary"}, Dest::prefer_binary, false},
        {{"--require-hashes"}, Dest::require_hashes, false},
        {{"--pre"}, Dest::pre, false},
        {{"--trusted-host"}, Dest::trusted_hosts, true},
        {{"--use-feature"}, Dest::features_enabled, true},
        {{"--install-option"}, Dest::install_options, true},
        {{"--global-option"}, Dest::global_options, true},
        {{"--hash"}, Dest::hashes, true},
    };
    return table;
}

constexpr std::array<std::string_view, 3> kFeatureChoices = {"fast-deps", "truststore",
                                                             "no-binary-enable-wheel-cache"};
constexpr std::array<std::string_view, 3> kStrongHashes = {"sha256", "sha384", "sha512"};

OptionSpec const* find_short(std::string_view opt) {
    for (auto const& spec : option_table())
        for (auto name : spec.names)
            if (name == opt) return &spec;
    return nullptr;
}

// optparse's _match_abbrev: an exact long option, or the only one it is a prefix of.
Result<std::pair<OptionSpec const*, std::string>> match_long(std::string_view opt) {
    std::vector<std::pair<OptionSpec const*, std::string_view>> candidates;
    for (auto const& spec : option_table()) {
        for (auto name : spec.names) {
            if (!starts_with(name, "--")) continue;
            if (name == opt) return std::pair{&spec, std::string(name)};
            if (starts_with(name, opt)) candidates.emplace_back(&spec, name);
        }
    }
    if (candidates.size() == 1)
        return std::pair{candidates[0].first, std::string(candidates[0].second)};
    if (candidates.empty()) return fail("no such option: " + std::string(opt));
    std::vector<std::string> names;
    for (auto const& c : candidates)
        names.emplace_back(c.second);
    std::sort(names.begin(), names.end());
    std::string list;
    for (auto const& n : names)
        list += (list.empty() ? "" : ", ") + n;
    return fail("ambiguous option: " + std::string(opt) + " (" + list + "?)");
}

Result<void> apply(OptionSpec const& spec, std::string const& opt, std::string const& value,
                   LineOptions& o) {
    switch (spec.dest) {
    case Dest::index_url:
        o.index_url = value;
        break;
    case Dest::extra_index_urls:
        o.extra_index_urls.push_back(value);
        break;
    case Dest::no_index:
        o.no_index = true;
        break;
    case Dest::constraints:
        o.constraints.push_back(value);
        break;
    case Dest::requirements:
        o.requirements.push_back(value);
        break;
    case Dest::editables:
        o.editables.push_back(value);
        break;
    case Dest::find_links:
        o.find_links.push_back(value);
        break;
    case Dest::no_binary:
    case Dest::only_binary:
        // FormatControl.handle_mutual_excludes raises CommandError here.
        if (starts_with(value, "-"))
            return fail("--no-binary / --only-binary option requires 1 argument (got '" + value +
                        "')");
        o.format_control.emplace_back(spec.dest == Dest::no_binary, value);
        break;
    case Dest::prefer_binary:
        o.prefer_binary = true;
        break;
    case Dest::require_hashes:
        o.require_hashes = true;
        break;
    case Dest::pre:
        o.pre = true;
        break;
    case Dest::trusted_hosts:
        o.trusted_hosts.push_back(value);
        break;
    case Dest::features_enabled: {
        if (std::find(kFeatureChoices.begin(), kFeatureChoices.end(), value) ==
            kFeatureChoices.end())
            return fail("option " + opt + ": invalid choice: '" + value +
                        "' (choose from 'fast-deps', 'truststore', "
                        "'no-binary-enable-wheel-cache')");
        o.features_enabled.push_back(value);
        break;
    }
    case Dest::install_options:
        o.install_options.push_back(value);
        break;
    case Dest::global_options:
        o.global_options.push_back(value);
        break;
    case Dest::hashes: {
        std::size_t colon = value.find(':');
        if (colon == std::string::npos)
            return fail("Arguments to " + opt +
                        " must be a hash name followed by a value, like --hash=sha256:abcde...");
        std::string algo = value.substr(0, colon);
        if (std::find(kStrongHashes.begin(), kStrongHashes.end(), algo) == kStrongHashes.end())
            return fail("Allowed hash algorithms for " + opt +
                        " are sha256, sha384, sha512 (got '" + algo + "')");
        auto it = std::find_if(o.hashes.begin(), o.hashes.end(),
                               [&](auto const& h) { return h.first == algo; });
        if (it == o.hashes.end()) it = o.hashes.insert(o.hashes.end(), {algo, {}});
        it->second.push_back(value.substr(colon + 1));
        break;
    }
    }
    return {};
}

} // namespace

Result<Decoded> decode(std::string_view bytes) {
    std::string text;
    std::vector<std::size_t> bad;
    std::optional<Encoding> enc;
    std::string_view data = bytes;
    if (starts_with(data, "\xEF\xBB\xBF")) {
        enc = Encoding::utf8, data.remove_prefix(3);
    } else if (starts_with(data, "\xFF\xFE")) {
        // pip tries BOM_UTF16 (little-endian here) before BOM_UTF32_LE, so a UTF-32 LE BOM is
        // read as UTF-16 LE. The "utf-16" codec then honours a second BOM if there is one.
        data.remove_prefix(2);
        enc = Encoding::utf16le;
        if (starts_with(data, "\xFF\xFE")) {
            data.remove_prefix(2);
        } else if (starts_with(data, "\xFE\xFF")) {
            data.remove_prefix(2), enc = Encoding::utf16be;
        }
    } else if (starts_with(data, "\xFE\xFF")) {
        enc = Encoding::utf16be, data.remove_prefix(2);
    } else if (starts_with(data, std::string_view("\x00\x00\xFE\xFF", 4))) {
        enc = Encoding::utf32be, data.remove_prefix(4);
    } else {
        std::size_t nl = data.find('\n');
        std::string_view first = data.substr(0, nl);
        std::string_view second =
            nl == std::string_view::npos ? std::string_view{} : data.substr(nl + 1);
        second = second.substr(0, second.find('\n'));
        for (std::string_view line : {first, second}) {
            if (auto declared = coding_declaration(line)) {
                enc = codec_for(*declared);
                if (!enc)
                    return fail("unsupported encoding '" + *declared +
                                "' declared in a coding comment (supported: utf-8, latin-1, "
                                "ascii)");
                break;
            }
        }
        if (!enc) enc = Encoding::utf8; // a UTF-8 locale, as on Debian
    }
    decode_with(*enc, data, text, bad);

    Decoded out;
    if (!bad.empty()) {
        auto lines = py::splitlines(text);
        std::size_t li = 0;
        for (std::size_t offset : bad) {
            while (li + 1 < lines.size() &&
                   offset >= static_cast<std::size_t>(lines[li + 1].data() - text.data()))
                ++li;
            int n = static_cast<int>(li) + 1;
            if (out.bad_lines.empty() || out.bad_lines.back() != n) out.bad_lines.push_back(n);
        }
    }
    out.text = std::move(text);
    return out;
}

std::vector<LogicalLine> preprocess(std::string_view text) {
    // join_lines
    std::vector<LogicalLine> joined;
    auto lines = py::splitlines(text);
    bool continuing = false;
    LogicalLine pending;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        int number = static_cast<int>(i) + 1;
        std::string_view line = lines[i];
        bool is_comment = comment_matches_at_start(line);
        if (!ends_with(line, "\\") || is_comment) {
            std::string piece = is_comment ? " " + std::string(line) : std::string(line);
            if (continuing) {
                pending.text += piece;
                pending.last = number;
                joined.push_back(std::move(pending));
                pending = {};
                continuing = false;
            } else {
                joined.push_back({number, number, std::move(piece)});
            }
        } else {
            if (!continuing) {
                pending.first = number;
                continuing = true;
            }
            // line.strip("\\"): every backslash at either end goes.
            std::size_t b = line.find_first_not_of('\\');
            std::string_view core = b == std::string_view::npos
                                        ? std::string_view{}
                                        : line.substr(b, line.find_last_not_of('\\') + 1 - b);
            pending.text += core;
            pending.last = number;
        }
    }
    if (continuing) joined.push_back(std::move(pending));

    // ignore_comments
    std::vector<LogicalLine> out;
    for (auto& l : joined) {
        std::size_t cut = comment_start(l.text);
        std::string_view kept = std::string_view(l.text).substr(0, cut);
        kept = py::strip(kept);
        if (kept.empty()) continue;
        out.push_back({l.first, l.last, std::string(kept)});
    }
    return out;
}

std::string
expand_env(std::string const& line,
           std::function<std::optional<std::string>(std::string const&)> const& getenv) {
    // ENV_VAR_RE.findall on the original line, then str.replace for each in turn.
    std::vector<std::pair<std::string, std::string>> found; // ("${NAME}", "NAME")
    for (std::size_t i = line.find("${"); i != std::string::npos; i = line.find("${", i)) {
        std::size_t j = i + 2;
        while (j < line.size() && ((line[j] >= 'A' && line[j] <= 'Z') ||
                                   (line[j] >= '0' && line[j] <= '9') || line[j] == '_'))
            ++j;
        if (j > i + 2 && j < line.size() && line[j] == '}') {
            found.emplace_back(line.substr(i, j + 1 - i), line.substr(i + 2, j - i - 2));
            i = j + 1;
        } else {
            i += 1;
        }
    }
    std::string out = line;
    if (!getenv) return out;
    // Once "${A}" was replaced, replacing it again is a no-op unless some value brought a new
    // "${" in; skipping the repeats keeps a line of thousands of "${A}" linear.
    std::set<std::string> done;
    bool values_may_nest = false;
    for (auto const& [var, name] : found) {
        if (!values_may_nest && done.count(var)) continue;
        std::optional<std::string> value = getenv(name);
        if (!value || value->empty()) continue;
        done.insert(var);
        if (value->find("${") != std::string::npos) values_may_nest = true;
        std::string replaced;
        std::size_t pos = 0;
        for (std::size_t at = out.find(var); at != std::string::npos; at = out.find(var, pos)) {
            replaced.append(out, pos, at - pos);
            replaced += *value;
            pos = at + var.size();
        }
        replaced.append(out, pos, std::string::npos);
        out = std::move(replaced);
    }
    return out;
}

std::pair<std::string, std::string> break_args_options(std::string_view line) {
    std::vector<std::string_view> tokens;
    for (std::size_t start = 0;;) {
        std::size_t sp = line.find(' ', start);
        tokens.push_back(line.substr(start, sp == std::string_view::npos ? sp : sp - start));
        if (sp == std::string_view::npos) break;
        start = sp + 1;
    }
    std::size_t k = 0;
    while (k < tokens.size() && !starts_with(tokens[k], "-"))
        ++k;
    auto join = [&](std::size_t from, std::size_t to) {
        std::string s;
        for (std::size_t i = from; i < to; ++i) {
            if (i > from) s += ' ';
            s += tokens[i];
        }
        return s;
    };
    return {join(0, k), join(k, tokens.size())};
}

Result<std::vector<std::string>> shlex_split(std::string_view text) {
    // shlex.shlex(posix=True) with whitespace_split=True and no comment characters.
    auto is_ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    std::vector<std::string> tokens;
    std::size_t i = 0;
    while (true) {
        std::string token;
        bool quoted = false;
        char state = ' ';
        char escaped_state = ' ';
        bool have = false; // a token was started (even an empty quoted one)
        while (true) {
            bool eof = i >= text.size();
            char c = eof ? '\0' : text[i++];
            if (state == ' ') {
                if (eof) break;
                if (is_ws(c)) continue;
                have = true;
                if (c == '\\') {
                    escaped_state = 'a', state = '\\';
                } else if (c == '\'' || c == '"') {
                    state = c;
                } else {
                    token += c, state = 'a';
                }
            } else if (state == '\'' || state == '"') {
                quoted = true;
                if (eof) return fail("No closing quotation");
                if (c == state) {
                    state = 'a';
                } else if (c == '\\' && state == '"') {
                    escaped_state = state, state = '\\';
                } else {
                    token += c;
                }
            } else if (state == '\\') {
                if (eof) return fail("No escaped character");
                // Inside double quotes only the quote and the backslash can be escaped.
                if (escaped_state == '"' && c != '\\' && c != escaped_state) token += '\\';
                token += c;
                state = escaped_state;
            } else { // 'a': inside a word
                if (eof) break;
                if (is_ws(c)) break;
                if (c == '\'' || c == '"') {
                    state = c;
                } else if (c == '\\') {
                    escaped_state = 'a', state = '\\';
                } else {
                    token += c;
                }
            }
        }
        if (!have || (token.empty() && !quoted)) {
            if (i >= text.size()) break;
            continue;
        }
        tokens.push_back(std::move(token));
        if (i >= text.size()) break;
    }
    return tokens;
}

Result<LineOptions> parse_options(std::vector<std::string> const& args) {
    LineOptions o;
    std::size_t i = 0;
    while (i < args.size()) {
        std::string const& arg = args[i];
        if (arg == "--") break; // the rest is positional, which pip ignores
        if (starts_with(arg, "--")) {
            ++i;
            std::string opt = arg;
            std::optional<std::string> explicit_value;
            if (std::size_t eq = arg.find('='); eq != std::string::npos) {
                opt = arg.substr(0, eq);
                explicit_value = arg.substr(eq + 1);
            }
            auto matched = match_long(opt);
            if (!matched) return fail(matched.error());
            auto const& [spec, full] = *matched;
            std::string value;
            if (spec->takes_value) {
                if (explicit_value) {
                    value = *explicit_value;
                } else if (i < args.size()) {
                    value = args[i++];
                } else {
                    return fail(full + " option requires 1 argument");
                }
            } else if (explicit_value) {
                return fail(full + " option does not take a value");
            }
            if (auto ok = apply(*spec, full, value, o); !ok) return fail(ok.error());
        } else if (starts_with(arg, "-") && arg.size() > 1) {
            ++i;
            // Short options cluster ("-rfile.txt"); every short option pip has takes a value.
            std::string opt = arg.substr(0, 2);
            OptionSpec const* spec = find_short(opt);
            if (!spec) return fail("no such option: " + opt);
            std::string value;
            if (arg.size() > 2) {
                value = arg.substr(2);
            } else if (i < args.size()) {
                value = args[i++];
            } else {
                return fail(opt + " option requires 1 argument");
            }
            if (auto ok = apply(*spec, opt, value, o); !ok) return fail(ok.error());
        } else {
            ++i; // a positional argument: optparse collects it and pip never looks at it
        }
    }
    return o;
}

namespace {

// An item of a "# via" annotation that names an input file rather than a package: pip-tools'
// "-r requirements.in" / "-c constraints.txt", and "project (pyproject.toml)" (or setup.py,
// setup.cfg) for what the project's own metadata asks for, as pip-compile and uv write them.
bool names_input_file(std::string_view item) {
    if (starts_with(item, "-r ") || starts_with(item, "-c ") ||
        starts_with(item, "--requirement") || starts_with(item, "--constraint"))
        return true;
    for (std::string_view meta : {"(pyproject.toml", "(setup.py", "(setup.cfg"})
        if (item.find(meta) != std::string_view::npos) return true;
    return ends_with(item, ".in") || ends_with(item, ".txt") || ends_with(item, "pyproject.toml");
}

} // namespace

std::map<int, bool> via_direct(std::string_view text) {
    std::vector<LogicalLine> const logical = preprocess(text);
    auto const lines = py::splitlines(text);
    std::map<int, std::vector<std::string>> items; // the logical line's first line -> items
    std::size_t next = 0;
    int owner = 0;           // the logical line the comments below belong to (0: none yet)
    bool collecting = false; // inside a multi-line "# via" block
    for (std::size_t i = 0; i < lines.size(); ++i) {
        int const n = static_cast<int>(i) + 1;
        while (next < logical.size() && logical[next].first <= n) {
            owner = logical[next++].first;
            collecting = false;
        }
        std::string_view line = lines[i];
        std::size_t cut = comment_start(line);
        if (cut == std::string_view::npos) {
            if (py::strip(line).empty()) collecting = false;
            continue;
        }
        std::string_view body = line.substr(line.find('#', cut) + 1);
        std::string_view trimmed = py::strip(body);
        if (trimmed == "via" || starts_with(trimmed, "via ")) {
            std::string_view rest = py::strip(trimmed.substr(3));
            collecting = rest.empty();
            // The one-line style: "# via a, -r requirements.in".
            for (std::size_t start = 0; !rest.empty() && start <= rest.size();) {
                std::size_t comma = rest.find(',', start);
                std::string_view item = py::strip(rest.substr(start, comma == std::string_view::npos
                                                                         ? std::string_view::npos
                                                                         : comma - start));
                if (!item.empty() && owner) items[owner].emplace_back(item);
                if (comma == std::string_view::npos) break;
                start = comma + 1;
            }
        } else if (collecting && !body.empty() && (body[0] == ' ' || body[0] == '\t') &&
                   !trimmed.empty()) {
            if (owner) items[owner].emplace_back(trimmed);
        } else {
            collecting = false;
        }
    }
    std::map<int, bool> out;
    for (auto const& [line, named] : items)
        out[line] = std::any_of(named.begin(), named.end(),
                                [](std::string const& item) { return names_input_file(item); });
    return out;
}

} // namespace reqfile

// ---------------------------------------------------------------------------------------------
// Reading files and turning lines into entries
// ---------------------------------------------------------------------------------------------

namespace {

using reqfile::LineOptions;

constexpr std::array<std::string_view, 4> kUrlSchemes = {"http", "https", "file", "ftp"};
constexpr std::array<std::string_view, 4> kVcsNames = {"bzr", "git", "hg", "svn"};
constexpr std::array<std::string_view, 22> kVcsSchemes = {
    "bzr+http", "bzr+https", "bzr+ssh",   "bzr+sftp", "bzr+ftp",        "bzr+lp",
    "bzr+file", "git+http",  "git+https", "git+ssh",  "git+git",        "git+file",
    "hg+file",  "hg+http",   "hg+https",  "hg+ssh",   "hg+static-http", "svn+ssh",
    "svn+http", "svn+https", "svn+svn",   "svn+file"};
constexpr std::array<std::string_view, 12> kArchiveExtensions = {
    ".zip", ".whl",    ".tar.bz2", ".tbz", ".tar.gz", ".tgz",
    ".tar", ".tar.xz", ".txz",     ".tlz", ".tar.lz", ".tar.lzma"};

template <std::size_t N> bool one_of(std::array<std::string_view, N> const& a, std::string_view s) {
    return std::find(a.begin(), a.end(), s) != a.end();
}

bool starts_with(std::string_view s, std::string_view p) {
    return s.substr(0, p.size()) == p;
}

std::string lower_ascii(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// pip's get_url_scheme: the text before the first ':' (lowercased), if there is a ':'.
std::optional<std::string> url_scheme(std::string_view text) {
    std::size_t colon = text.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    return lower_ascii(text.substr(0, colon));
}

// pip.vcs.is_url
bool is_url(std::string_view text) {
    auto scheme = url_scheme(text);
    return scheme && (one_of(kUrlSchemes, *scheme) || one_of(kVcsSchemes, *scheme));
}

bool looks_like_path(std::string_view name) {
    return name.find('/') != std::string_view::npos || starts_with(name, ".");
}

// pip.utils.misc.splitext on top of posixpath.splitext: the extension, ".tar" kept with ".gz".
std::string archive_extension(std::string_view path) {
    std::size_t slash = path.rfind('/');
    std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
    std::size_t dot = base.rfind('.');
    // A leading run of dots is part of the name, not an extension.
    std::size_t first_non_dot = base.find_first_not_of('.');
    if (dot == std::string_view::npos || first_non_dot == std::string_view::npos ||
        dot <= first_non_dot)
        return "";
    std::string ext = lower_ascii(base.substr(dot));
    std::string_view stem = base.substr(0, dot);
    if (stem.size() >= 4 && lower_ascii(stem.substr(stem.size() - 4)) == ".tar") ext = ".tar" + ext;
    return ext;
}

bool is_archive_file(std::string_view path) {
    std::string ext = archive_extension(path);
    return !ext.empty() && one_of(kArchiveExtensions, ext);
}

// "name @ url" as pip's _get_url_from_path recognises it: an '@' whose left side is no path.
bool is_pep508_url_form(std::string_view text) {
    std::size_t at = text.find('@');
    return at != std::string_view::npos && !looks_like_path(text.substr(0, at));
}

// Link.egg_fragment: [#&]egg=([^&]*)
std::optional<std::string> egg_fragment(std::string_view url) {
    for (std::size_t i = url.find("egg="); i != std::string_view::npos;
         i = url.find("egg=", i + 1)) {
        if (i == 0 || (url[i - 1] != '#' && url[i - 1] != '&')) continue;
        std::size_t start = i + 4;
        std::size_t end = url.find('&', start);
        return std::string(url.substr(start, end == std::string_view::npos ? end : end - start));
    }
    return std::nullopt;
}

// posixpath.basename
std::string_view posix_basename(std::string_view p) {
    std::size_t slash = p.rfind('/');
    return slash == std::string_view::npos ? p : p.substr(slash + 1);
}

// The last segment of Link.path (the unquoted path), trailing slashes ignored (the netloc when
// there is none): what Link.ext looks at. Link.filename unquotes this once more.
std::string url_basename(std::string_view url) {
    std::string path;
    std::string netloc;
    if (Result<url::SplitResult> parts = url::urlsplit(url)) {
        path = url::unquote(parts->path);
        netloc = parts->netloc;
    } else { // pip's Link would raise here; the text up to the query is the best guess
        path = std::string(url.substr(0, url.find_first_of("?#")));
    }
    while (!path.empty() && path.back() == '/')
        path.pop_back();
    std::string_view name = posix_basename(path);
    if (!name.empty()) return std::string(name);
    std::size_t at = netloc.rfind('@'); // split_auth_from_netloc
    return at == std::string::npos ? netloc : netloc.substr(at + 1);
}

// Link.is_wheel: the extension is exactly ".whl" (pip does not fold case here).
bool is_wheel_filename(std::string_view filename) {
    return filename.size() > 4 && filename.substr(filename.size() - 4) == ".whl" &&
           filename.find_first_not_of('.') < filename.size() - 4;
}

bool has_python_space(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        py::CodePoint c = py::decode_at(s, i);
        if (c.valid && py::is_space(c.cp)) return true;
        i += c.len;
    }
    return false;
}

// pip's Wheel(filename) for a name ending in ".whl": wheel_file_re is
// ^(?P<name>[^\s-]+?)-(?P<ver>[^\s-]*?)((-(?P<build>\d[^-]*?))?-(?P<pyver>[^\s-]+?)
// -(?P<abi>[^\s-]+?)-(?P<plat>[^\s-]+?)\.whl|\.dist-info)$, and "_" in the name and the
// version is read as "-". No group but the build tag holds '-', so the dashes decide.
struct WheelName {
    std::string name;
    std::string version;
};
std::optional<WheelName> parse_wheel_filename(std::string_view filename) {
    std::string_view stem = filename.substr(0, filename.size() - 4);
    std::vector<std::string_view> parts;
    for (std::size_t start = 0;;) {
        std::size_t dash = stem.find('-', start);
        parts.push_back(stem.substr(start, dash == std::string_view::npos ? dash : dash - start));
        if (dash == std::string_view::npos) break;
        start = dash + 1;
    }
    if (parts.size() != 5 && parts.size() != 6) return std::nullopt;
    if (parts[0].empty() || has_python_space(parts[0]) || has_python_space(parts[1]))
        return std::nullopt;
    if (parts.size() == 6 && (parts[2].empty() || parts[2][0] < '0' || parts[2][0] > '9'))
        return std::nullopt;
    for (std::size_t i = parts.size() - 3; i < parts.size(); ++i)
        if (parts[i].empty() || has_python_space(parts[i])) return std::nullopt;
    WheelName w{std::string(parts[0]), std::string(parts[1])};
    std::replace(w.name.begin(), w.name.end(), '_', '-');
    std::replace(w.version.begin(), w.version.end(), '_', '-');
    return w;
}

// The version of a single "==" clause without ".*": the pin.
std::optional<std::string> pin_of(SpecifierSet const& specifier) {
    auto const& specs = specifier.specifiers();
    if (specs.size() == 1 && specs.front().op() == "==" && !specs.front().has_wildcard())
        return specs.front().str().substr(2);
    return std::nullopt;
}

// _strip_extras: r"^(.+)(\[[^\]]+\])$"
std::pair<std::string, std::string> strip_extras(std::string_view text) {
    if (text.size() >= 4 && text.back() == ']') {
        std::size_t open = text.rfind('[');
        if (open != std::string_view::npos && open >= 1 && open + 2 < text.size() &&
            text.substr(open + 1, text.size() - open - 2).find(']') == std::string_view::npos)
            return {std::string(text.substr(0, open)), std::string(text.substr(open))};
    }
    return {std::string(text), ""};
}

std::vector<std::string> extras_of(std::string const& bracketed, std::string& error) {
    if (bracketed.empty()) return {};
    // pip's convert_extras: Requirement("placeholder" + extras.lower()).extras
    Result<Requirement> r = Requirement::parse("placeholder" + lower_ascii(bracketed));
    if (!r) {
        error = "invalid extras '" + bracketed + "': " + r.error();
        return {};
    }
    return r->extras;
}

std::string posix_dirname(std::string_view p) {
    std::size_t i = p.rfind('/');
    std::string head(i == std::string_view::npos ? std::string_view{} : p.substr(0, i + 1));
    if (!head.empty() && head.find_first_not_of('/') != std::string::npos) {
        while (!head.empty() && head.back() == '/')
            head.pop_back();
    }
    return head;
}

// posixpath.normpath: "." and empty segments dropped, ".." folded lexically (kept at the start
// of a relative path), two leading slashes kept, "" becomes ".".
std::string posix_normpath(std::string_view p) {
    if (p.empty()) return ".";
    std::size_t initial = 0;
    if (starts_with(p, "/")) initial = starts_with(p, "//") && !starts_with(p, "///") ? 2 : 1;
    std::vector<std::string_view> comps;
    for (std::size_t start = 0;;) {
        std::size_t slash = p.find('/', start);
        std::string_view comp =
            p.substr(start, slash == std::string_view::npos ? slash : slash - start);
        if (comp.empty() || comp == ".") {
            // dropped
        } else if (comp != ".." || (initial == 0 && comps.empty()) ||
                   (!comps.empty() && comps.back() == "..")) {
            comps.push_back(comp);
        } else if (!comps.empty()) {
            comps.pop_back();
        }
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    std::string out(initial, '/');
    for (std::size_t i = 0; i < comps.size(); ++i) {
        if (i) out += '/';
        out += comps[i];
    }
    return out.empty() ? "." : out;
}

std::string posix_join(std::string const& a, std::string const& b) {
    if (starts_with(b, "/")) return b;
    if (a.empty() || a.back() == '/') return a + b;
    return a + '/' + b;
}

// file: URL -> local path (url2pathname on the path part; "localhost" is the local host).
Result<std::string> file_url_to_path(std::string const& u) {
    Result<url::SplitResult> parts = url::urlsplit(u);
    if (!parts) return fail(parts.error());
    if (!parts->netloc.empty() && parts->netloc != "localhost")
        return fail("file URL '" + u + "' names a remote host");
    std::string path = url::unquote(parts->path);
    if (path.empty()) return fail("file URL '" + u + "' has no path");
    return path;
}

// Beyond any real project, and far below where the recursion would strain the stack: a reader
// whose identities never repeat (paths growing "sub/sub/sub/...") still terminates.
constexpr std::size_t kMaxIncludeDepth = 64;
// Includes that fan out and meet again ("-r a" and "-r b" in each of a and b) are read once per
// path, as pip reads them, which grows exponentially; stop after this many file reads.
constexpr std::size_t kMaxFileReads = 1000;

class Reader {
  public:
    Reader(ParseOptions const& options, RequirementsSet& out) : opts_(options), out_(out) {}

    void read_top(std::string const& path) { read_file(path, false, std::nullopt); }

    void read_text(std::string_view content, std::string const& path) {
        out_.files.push_back(path);
        stack_.push_back(path);
        if (auto format = locks::format_of(path)) {
            read_lock(*format, content, path, false);
        } else {
            parse_content(content, path, false);
        }
        stack_.pop_back();
    }

  private:
    struct Origin {
        std::string file;
        int line;
    };

    using Kind = RequirementsError::Kind;

    void error(std::string file, int line, std::string message, Kind kind = Kind::requirement) {
        out_.errors.push_back({std::move(file), line, std::move(message), kind});
    }

    void read_file(std::string path, bool constraint, std::optional<Origin> from) {
        auto report = [&](std::string const& message, Kind kind = Kind::unreadable) {
            if (from) {
                error(from->file, from->line, message, kind);
            } else {
                error(path, 0, message, kind);
            }
        };
        bool const remote = opts_.is_remote && opts_.is_remote(path);
        if (remote) {
            // fetched by the caller: read_file knows it by this name
        } else if (auto scheme = url_scheme(path);
                   scheme && (*scheme == "http" || *scheme == "https")) {
            report("'" + path + "' is a remote requirements file; pinwatch only reads local files");
            return;
        } else if (scheme && *scheme == "file") {
            Result<std::string> local = file_url_to_path(path);
            if (!local) {
                report(local.error());
                return;
            }
            path = *local;
        }
        if (!opts_.read_file) {
            report("could not open requirements file '" + path + "': no file reader configured");
            return;
        }
        Result<FileContent> content = opts_.read_file(path);
        if (!content) {
            report("could not open requirements file '" + path + "': " + content.error());
            return;
        }
        if (reads_ >= kMaxFileReads) {
            if (std::exchange(read_cap_reported_, true)) return;
            report("'" + path + "' not read: more than " + std::to_string(kMaxFileReads) +
                       " requirements files were read already (includes that fan out and meet "
                       "again are read once per path)",
                   Kind::cycle);
            return;
        }
        ++reads_;
        if (stack_.size() >= kMaxIncludeDepth) {
            report("'" + path + "' is nested more than " + std::to_string(kMaxIncludeDepth) +
                       " includes deep; not read",
                   Kind::cycle);
            return;
        }
        std::string const& identity = content->identity.empty() ? path : content->identity;
        if (std::find(stack_.begin(), stack_.end(), identity) != stack_.end()) {
            std::string chain;
            for (auto const& s : stack_)
                chain += s + " -> ";
            report("'" + path + "' includes itself (cycle: " + chain + identity +
                       "); not read again",
                   Kind::cycle);
            return;
        }
        out_.files.push_back(path);
        stack_.push_back(identity);
        bool const fetched = opts_.is_remote && opts_.is_remote(path);
        if (auto format = locks::format_of(
                fetched && opts_.remote_basename ? opts_.remote_basename(path) : path)) {
            read_lock(*format, content->bytes, path, constraint, fetched);
        } else {
            parse_content(content->bytes, path, constraint);
        }
        stack_.pop_back();
    }

    // A lock file, named like one wherever a requirements file may be: its packages, judged
    // with the manifest beside it (pyproject.toml, Pipfile) when there is one.
    void read_lock(locks::Format format, std::string_view bytes, std::string const& path,
                   bool constraint, bool fetched = false) {
        std::optional<locks::Manifest> manifest;
        if (std::string_view name = locks::manifest_name(format);
            !name.empty() && opts_.read_file) {
            // A fetched lock's manifest is fetched beside it (its repository and ref, its URL).
            std::string beside = posix_join(posix_dirname(path), std::string(name));
            if (fetched) {
                auto joined = opts_.join_remote ? opts_.join_remote(path, std::string(name))
                                                : Result<std::string>(fail("no join"));
                beside = joined ? *joined : std::string();
            }
            bool present =
                fetched ? !beside.empty() : !opts_.exists || opts_.exists(beside) == PathKind::file;
            if (present) {
                if (Result<FileContent> m = opts_.read_file(beside)) {
                    manifest = locks::Manifest{beside, std::move(m->bytes)};
                } else if (opts_.exists && !fetched) { // it is there but cannot be read: say so
                    error(beside, 0,
                          "could not read the manifest beside '" + path + "': " + m.error(),
                          Kind::unreadable);
                }
            }
        }
        locks::LockRead read = locks::read_lock(format, bytes, path, manifest, opts_.environment);
        for (auto& e : read.entries) {
            e.constraint = constraint;
            out_.entries.push_back(std::move(e));
        }
        for (auto& e : read.errors)
            out_.errors.push_back(std::move(e));
    }

    void parse_content(std::string_view bytes, std::string const& path, bool constraint) {
        Result<reqfile::Decoded> decoded = reqfile::decode(bytes);
        if (!decoded) {
            error(path, 0, decoded.error(), Kind::encoding);
            return;
        }
        std::vector<int> const& bad = decoded->bad_lines;
        std::size_t const first_entry = out_.entries.size();
        for (reqfile::LogicalLine const& ll : reqfile::preprocess(decoded->text)) {
            auto hit = std::find_if(bad.begin(), bad.end(),
                                    [&](int n) { return n >= ll.first && n <= ll.last; });
            if (hit != bad.end()) {
                error(path, ll.first,
                      "line " + std::to_string(*hit) +
                          " holds bytes that are not valid in the file's encoding",
                      Kind::encoding);
                continue;
            }
            parse_line(reqfile::expand_env(ll.text, opts_.getenv), path, ll.first, constraint);
        }
        // A compiled file (pip-compile, uv pip compile) says why each line is there: "# via"
        // naming only packages is a transitive pin; one naming an input file is asked for. A
        // file without annotations is what the team asks for, line by line.
        std::map<int, bool> const via = decoded->text.find("via") == std::string::npos
                                            ? std::map<int, bool>{}
                                            : reqfile::via_direct(decoded->text);
        for (std::size_t i = first_entry; i < out_.entries.size(); ++i) {
            RequirementEntry& e = out_.entries[i];
            if (e.file != path) continue; // an included file had its own say
            auto it = via.find(e.line);
            e.direct = it == via.end() ? true : it->second;
        }
    }

    void parse_line(std::string const& line, std::string const& path, int number, bool constraint) {
        auto [args, options_text] = reqfile::break_args_options(line);
        auto tokens = reqfile::shlex_split(options_text);
        if (!tokens) {
            error(path, number, "could not split options '" + options_text + "': " + tokens.error(),
                  Kind::options);
            return;
        }
        Result<LineOptions> parsed = reqfile::parse_options(*tokens);
        if (!parsed) {
            error(path, number, "invalid option in '" + line + "': " + parsed.error(),
                  Kind::options);
            return;
        }
        LineOptions const& lo = *parsed;
        // pip's finder owns the FormatControl the callbacks write into, so --no-binary and
        // --only-binary count on every line, requirement lines included.
        for (auto const& [no_binary, value] : lo.format_control)
            apply_format_control(no_binary, value);
        // pip 23.0.1 declares --use-feature with one shared default list, so every line's
        // --use-feature (requirement and -r lines included) lands in it; record them all.
        for (auto const& f : lo.features_enabled) {
            auto& enabled = out_.options.features_enabled;
            if (std::find(enabled.begin(), enabled.end(), f) == enabled.end()) enabled.push_back(f);
        }

        if (!args.empty()) {
            requirement_line(args, lo, path, number, constraint);
        } else if (!lo.editables.empty()) {
            editable_line(lo.editables.front(), path, number, constraint);
        } else if (!lo.requirements.empty() || !lo.constraints.empty()) {
            // Only the first -r (or, without one, the first -c) of a line is followed; the
            // line's other options are dropped, exactly as pip's _parse_and_recurse does.
            bool nested_constraint = lo.requirements.empty();
            std::string const& target =
                nested_constraint ? lo.constraints.front() : lo.requirements.front();
            std::string nested = target;
            if (opts_.is_remote && opts_.is_remote(path)) {
                // An include of a fetched file names a file beside it (its repository, its URL).
                Result<std::string> joined = opts_.join_remote
                                                 ? opts_.join_remote(path, target)
                                                 : Result<std::string>(fail("no way to join"));
                if (!joined) {
                    error(path, number, "cannot include '" + target + "': " + joined.error(),
                          Kind::unreadable);
                    return;
                }
                nested = *joined;
            } else if (opts_.is_remote && opts_.is_remote(target)) {
                // a fetched file named by a local one: as it is
            } else if (!is_scheme_path(path) && !is_scheme_path(target)) {
                nested = posix_join(posix_dirname(path), target);
            }
            read_file(nested, nested_constraint, Origin{path, number});
        } else {
            option_line(lo, path);
        }
    }

    // SCHEME_RE = r"^(http|https|file):" (case-insensitive)
    static bool is_scheme_path(std::string_view p) {
        auto scheme = url_scheme(p);
        return scheme && (*scheme == "http" || *scheme == "https" || *scheme == "file");
    }

    void apply_format_control(bool no_binary, std::string const& value) {
        // FormatControl.handle_mutual_excludes
        std::vector<std::string>& target = no_binary ? no_binary_ : only_binary_;
        std::vector<std::string>& other = no_binary ? only_binary_ : no_binary_;
        std::vector<std::string> items;
        for (std::size_t start = 0;;) {
            std::size_t comma = value.find(',', start);
            items.push_back(
                value.substr(start, comma == std::string::npos ? comma : comma - start));
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
        auto has = [](std::vector<std::string> const& v, std::string const& s) {
            return std::find(v.begin(), v.end(), s) != v.end();
        };
        while (has(items, ":all:")) {
            other.clear();
            target.assign({":all:"});
            items.erase(items.begin(), std::find(items.begin(), items.end(), ":all:") + 1);
            if (!has(items, ":none:")) return;
        }
        for (std::string const& item : items) {
            if (item == ":none:") {
                target.clear();
                continue;
            }
            std::string name = canonicalize_name(item);
            other.erase(std::remove(other.begin(), other.end(), name), other.end());
            if (!has(target, name)) target.push_back(name);
        }
    }

    void option_line(LineOptions const& lo, std::string const& path) {
        RequirementsOptions& o = out_.options;
        if (lo.require_hashes) o.require_hashes = true;
        // pip's handle_option_line keeps one list of index URLs (the index first): --no-index
        // empties it for good (later -i and --extra-index-url are ignored), -i replaces the
        // whole list (dropping the --extra-index-urls given before it), and
        // --extra-index-url appends. Within one line: --no-index, then -i, then the extras.
        if (lo.no_index) {
            o.no_index = true;
            o.index_url.reset();
            o.extra_index_urls.clear();
        }
        if (lo.index_url && !lo.index_url->empty() && !o.no_index) {
            o.index_url = lo.index_url;
            o.extra_index_urls.clear();
        }
        if (!o.no_index)
            for (auto const& u : lo.extra_index_urls)
                o.extra_index_urls.push_back(u);
        if (!lo.find_links.empty()) {
            // pip keeps the first -f of a line, joined to the requirements file's directory
            // when that names something that exists (then absolute, from os.path.abspath).
            std::string value = lo.find_links.front();
            if (opts_.exists) {
                std::string joined = posix_join(posix_dirname(abspath(path)), value);
                if (opts_.exists(joined) != PathKind::missing) value = std::move(joined);
            }
            o.find_links.push_back(std::move(value));
        }
        if (lo.pre) o.pre = true;
        if (lo.prefer_binary) o.prefer_binary = true;
        for (auto const& h : lo.trusted_hosts)
            o.trusted_hosts.push_back(h);
    }

    RequirementEntry base_entry(std::string const& text, std::string const& path, int number,
                                bool constraint) {
        RequirementEntry e;
        e.text = text;
        e.file = path;
        e.line = number;
        e.constraint = constraint;
        return e;
    }

    // Evaluates the marker into e.applies; false when evaluating it failed (already reported).
    bool evaluate(RequirementEntry& e, Marker const& marker) {
        e.marker = marker.str();
        Environment env = opts_.environment;
        env.extra = "";
        Result<bool> holds = marker.evaluate(env);
        if (!holds) {
            error(e.file, e.line, "cannot evaluate marker '" + *e.marker + "': " + holds.error(),
                  Kind::marker);
            return false;
        }
        e.applies = *holds;
        return true;
    }

    void requirement_line(std::string const& text, LineOptions const& lo, std::string const& path,
                          int number, bool constraint) {
        RequirementEntry e = base_entry(text, path, number, constraint);
        e.hashes = lo.hashes;
        e.install_options = lo.install_options;
        e.global_options = lo.global_options;
        if (!e.hashes.empty()) out_.options.has_hashes = true;

        // pip's parse_req_from_line: URLs and paths first, a PEP 508 string otherwise.
        std::string_view body = text;
        std::optional<std::string> marker_text;
        bool url_line = is_url(text);
        std::size_t sep = body.find(url_line ? "; " : ";");
        std::string_view head = py::strip(body.substr(0, sep));
        if (sep != std::string_view::npos) {
            std::string_view m = py::strip(body.substr(sep + (url_line ? 2 : 1)));
            if (!m.empty()) marker_text = std::string(m);
        }
        bool path_line = false;
        if (url_line) {
            // a link as it is
        } else if (!opts_.exists) {
            // Without the disk, pip's _get_url_from_path is guessed from the text alone.
            path_line = !is_pep508_url_form(head) &&
                        (looks_like_path(head) || is_archive_file(strip_extras(head).first));
        } else {
            // pip's _get_url_from_path, on the absolute, normalised path (extras stripped).
            std::string p = strip_extras(abspath(head)).first;
            if (looks_like_path(head) && opts_.exists(p) == PathKind::directory) {
                if (!is_installable_dir(p)) {
                    error(path, number,
                          "Directory '" + std::string(head) +
                              "' is not installable. Neither 'setup.py' nor 'pyproject.toml' "
                              "found.");
                    return;
                }
                path_line = true;
            } else if (is_archive_file(p)) {
                // An archive that does not exist is still taken for one (pip warns), unless
                // the text reads as "name @ url".
                path_line = opts_.exists(p) == PathKind::file || !is_pep508_url_form(head);
            }
        }
        if (!url_line && !path_line) {
            pep508_line(std::move(e), head);
            return;
        }

        auto [location, extras] =
            url_line ? std::pair{std::string(head), std::string()} : strip_extras(head);
        std::string extras_error;
        e.extras = extras_of(extras, extras_error);
        if (!extras_error.empty()) {
            error(path, number, extras_error);
            return;
        }
        e.url = location;
        e.watchable = false;
        std::string scheme;
        if (url_line) {
            scheme = *url_scheme(location);
            e.reason = one_of(kVcsSchemes, scheme) ? "VCS URL"
                       : scheme == "file"          ? "local file URL"
                                                   : "direct URL";
        } else {
            e.reason = is_archive_file(location) ? "local archive" : "local path";
        }
        // pip's parse_req_from_line names a link by a requirement string of its own: a wheel's
        // "name==version" from its file name, otherwise the URL's #egg= fragment (a local path
        // never has one: pip quotes the '#' when it turns the path into a URL, and a relative
        // file: URL with "../" is rebuilt from its path, fragment dropped).
        bool rebuilt = scheme == "file" && location.find("../") != std::string::npos;
        if (scheme == "file" && !rebuilt && !is_local_file_url(location)) {
            error(path, number, remote_file_url(location));
            return;
        }
        // A path becomes a file: URL (quoted, then unquoted again by Link.path).
        std::string base = url_line ? url_basename(location)
                                    : std::string(posix_basename(posix_normpath(location)));
        std::string filename = url::unquote(base); // Link.filename unquotes a second time
        std::optional<Marker> link_marker;
        if (is_wheel_filename(base)) {
            std::optional<WheelName> wheel = parse_wheel_filename(filename);
            if (!wheel) {
                error(path, number, "'" + filename + "' is not a valid wheel filename");
                return;
            }
            e.reason += " to a wheel";
            if (!name_link(e, wheel->name + "==" + wheel->version,
                           "the wheel file name '" + filename + "'", link_marker))
                return;
        } else if (url_line && !rebuilt) {
            if (auto egg = egg_fragment(location)) {
                if (!name_link(e, *egg, "the #egg= fragment of '" + location + "'", link_marker))
                    return;
            }
        }
        if (marker_text) {
            Result<Marker> marker = Marker::parse_complete(*marker_text);
            if (!marker) {
                error(path, number, "invalid marker '" + *marker_text + "': " + marker.error());
                return;
            }
            if (!evaluate(e, *marker)) return;
        } else if (link_marker) { // InstallRequirement falls back to the requirement's marker
            if (!evaluate(e, *link_marker)) return;
        }
        out_.entries.push_back(std::move(e));
    }

    // Reads the requirement string pip builds for a link (a wheel's "name==version", an #egg=
    // fragment, which pip 23.0.1 accepts with a specifier or extras and only warns about) into
    // the entry: name, specifier, pin, the extras unless the line gave its own, and its marker
    // into `marker` for a line without one. False when it is no valid requirement (reported).
    bool name_link(RequirementEntry& e, std::string const& text, std::string const& origin,
                   std::optional<Marker>& marker) {
        Result<Requirement> req = Requirement::parse(text);
        if (!req) {
            error(e.file, e.line,
                  "invalid requirement '" + text + "' (from " + origin + "): " + req.error());
            return false;
        }
        e.name = canonicalize_name(req->name);
        e.specifier = req->specifier.str();
        e.pinned = pin_of(req->specifier);
        if (e.extras.empty()) e.extras = req->extras;
        marker = req->marker;
        return true;
    }

    // `head` is the line without its marker, what pip parses and hints about.
    void pep508_line(RequirementEntry e, std::string_view head) {
        Result<Requirement> req = Requirement::parse(e.text);
        if (!req) {
            // pip's _parse_req_string: text with a '/' that is no requirement "looks like a
            // path", and pip says whether it exists (deduce_helpful_msg).
            std::string message = req.error();
            if (opts_.exists && head.find('/') != std::string_view::npos)
                message = path_hint(std::string(head));
            error(e.file, e.line, "invalid requirement '" + e.text + "': " + message);
            return;
        }
        Environment env = opts_.environment;
        env.extra = "";
        if (auto ok = describe_requirement(*req, env, e); !ok) {
            error(e.file, e.line, ok.error(), Kind::marker);
            return;
        }
        out_.entries.push_back(std::move(e));
    }

    void editable_line(std::string const& text, std::string const& path, int number,
                       bool constraint) {
        RequirementEntry e = base_entry(text, path, number, constraint);
        e.editable = true;
        e.watchable = false;
        // pip's parse_editable, without its filesystem test (a path that names an existing
        // directory): anything that is not a URL is taken to be a local project.
        auto [location, extras] = strip_extras(text);
        std::string lowered = lower_ascii(location);
        std::string target = text;
        for (std::string_view vcs : kVcsNames) {
            if (starts_with(lower_ascii(text), std::string(vcs) + ":")) {
                target = std::string(vcs) + "+" + text;
                break;
            }
        }
        Result<url::SplitResult> parts = url::urlsplit(target);
        bool vcs = !starts_with(lowered, "file:") && parts && one_of(kVcsSchemes, parts->scheme);
        std::optional<Marker> link_marker;
        // pip's parse_editable: an existing directory (relative to the working directory) is a
        // local project; otherwise only a file: or VCS URL will do. Without the disk, anything
        // without a scheme is taken for a project directory.
        bool directory = opts_.exists && opts_.exists(location) == PathKind::directory;
        if (!vcs || directory) {
            bool file_url = starts_with(lowered, "file:") && !directory;
            if (!directory && !file_url && (opts_.exists || (parts && !parts->scheme.empty()))) {
                error(path, number, not_editable(text));
                return;
            }
            std::string extras_error;
            e.extras = extras_of(extras, extras_error);
            if (!extras_error.empty()) {
                error(path, number, extras_error);
                return;
            }
            e.url = location;
            e.reason = "editable local project";
            // Only a file: URL can name the project (pip turns a directory into a file: URL
            // with the '#' quoted).
            if (file_url) {
                if (!is_local_file_url(location)) {
                    error(path, number, remote_file_url(location));
                    return;
                }
                if (auto egg = egg_fragment(location)) {
                    if (!name_link(e, *egg, "the #egg= fragment of '" + location + "'",
                                   link_marker))
                        return;
                }
            }
        } else {
            auto egg = egg_fragment(target);
            if (!egg || egg->empty()) {
                error(path, number,
                      "could not detect the requirement name for '" + text +
                          "': expected #egg=<name> at the end of the VCS URL");
                return;
            }
            if (!name_link(e, *egg, "the #egg= fragment of '" + text + "'", link_marker)) return;
            e.url = target;
            e.reason = "editable VCS checkout";
        }
        if (link_marker && !evaluate(e, *link_marker)) return;
        out_.entries.push_back(std::move(e));
    }

    // os.path.abspath: joined to the working directory when that is known, then normalised.
    std::string abspath(std::string_view p) const {
        if (starts_with(p, "/") || opts_.working_directory.empty()) return posix_normpath(p);
        return posix_normpath(posix_join(opts_.working_directory, std::string(p)));
    }

    // pip's is_installable_dir (the caller knows it is a directory).
    bool is_installable_dir(std::string const& dir) const {
        return opts_.exists(posix_join(dir, "pyproject.toml")) == PathKind::file ||
               opts_.exists(posix_join(dir, "setup.py")) == PathKind::file;
    }

    // pip's deduce_helpful_msg, after "It looks like a path."
    std::string path_hint(std::string const& req) const {
        std::string msg = "It looks like a path.";
        if (opts_.exists(req) == PathKind::missing)
            return msg + " File '" + req + "' does not exist.";
        msg += " The path does exist.";
        if (first_line_is_requirement(req))
            msg += " The argument you provided (" + req +
                   ") appears to be a requirements file. If that is the case, use the '-r' flag "
                   "to install the packages specified within it.";
        return msg;
    }

    // pip's check_first_requirement_in_file: the first line that is not blank or a comment
    // (read as UTF-8, undecodable bytes dropped; " #" comments cut; one "\" continuation
    // joined after dropping the last two characters) parses as a requirement.
    bool first_line_is_requirement(std::string const& file) const {
        if (!opts_.read_file) return false;
        Result<FileContent> content = opts_.read_file(file);
        if (!content) return false;
        std::string text;
        for (std::size_t i = 0; i < content->bytes.size();) {
            py::CodePoint c = py::decode_at(content->bytes, i);
            if (c.valid) text.append(content->bytes, i, c.len);
            i += c.len;
        }
        std::vector<std::string> lines; // universal newlines, stripped, meaningful only
        for (std::size_t start = 0; start < text.size();) {
            std::size_t end = text.find_first_of("\r\n", start);
            std::string_view line = std::string_view(text).substr(
                start, end == std::string::npos ? std::string::npos : end - start);
            line = py::strip(line);
            if (!line.empty() && line[0] != '#') lines.emplace_back(line);
            if (end == std::string::npos) break;
            start = end + (text.compare(end, 2, "\r\n") == 0 ? 2 : 1);
        }
        if (lines.empty()) return false;
        std::string line = lines[0];
        if (std::size_t cut = line.find(" #"); cut != std::string::npos) line.resize(cut);
        if (!line.empty() && line.back() == '\\') {
            line.resize(line.size() >= 2 ? line.size() - 2 : 0);
            line = std::string(py::strip(line)) + (lines.size() > 1 ? lines[1] : "");
        }
        return Requirement::parse(line).has_value();
    }

    // pip's url_to_path, which InstallRequirement runs on every file: link: only an empty host
    // or "localhost" (anything else raises ValueError there).
    static bool is_local_file_url(std::string const& u) {
        Result<url::SplitResult> parts = url::urlsplit(u);
        return !parts || parts->netloc.empty() || parts->netloc == "localhost";
    }
    static std::string remote_file_url(std::string const& u) {
        return "non-local file URIs are not supported on this platform: '" + u + "'";
    }

    // pip's parse_editable error for what is neither a local project nor a VCS URL.
    static std::string not_editable(std::string const& text) {
        std::string schemes;
        for (std::string_view s : kVcsSchemes)
            schemes += (schemes.empty() ? "" : ", ") + std::string(s);
        return text +
               " is not a valid editable requirement. It should either be a path to a local "
               "project or a VCS URL (beginning with " +
               schemes + ").";
    }

  public:
    void finish() {
        std::sort(no_binary_.begin(), no_binary_.end());
        std::sort(only_binary_.begin(), only_binary_.end());
        out_.options.no_binary = no_binary_;
        out_.options.only_binary = only_binary_;
    }

  private:
    ParseOptions const& opts_;
    RequirementsSet& out_;
    std::vector<std::string> stack_;
    std::size_t reads_ = 0;
    bool read_cap_reported_ = false;
    std::vector<std::string> no_binary_;
    std::vector<std::string> only_binary_;
};

} // namespace

Result<void> describe_requirement(Requirement const& req, Environment const& env,
                                  RequirementEntry& e) {
    e.name = canonicalize_name(req.name);
    e.extras = req.extras;
    e.specifier = req.specifier.str();
    e.url = req.url;
    e.pinned = pin_of(req.specifier);
    if (req.url) {
        e.watchable = false;
        e.reason = "direct URL (name @ URL)";
    }
    if (req.marker) {
        e.marker = req.marker->str();
        Result<bool> holds = req.marker->evaluate(env);
        if (!holds) return fail("cannot evaluate marker '" + *e.marker + "': " + holds.error());
        e.applies = *holds;
    }
    return {};
}

RequirementsSet parse_requirements_files(std::vector<std::string> const& paths,
                                         ParseOptions const& options) {
    RequirementsSet out;
    Reader reader(options, out);
    for (auto const& path : paths)
        reader.read_top(path);
    reader.finish();
    return out;
}

RequirementsSet parse_requirements_text(std::string_view content, std::string const& path,
                                        ParseOptions const& options) {
    RequirementsSet out;
    Reader reader(options, out);
    reader.read_text(content, path);
    reader.finish();
    return out;
}

} // namespace pinwatch::packaging
