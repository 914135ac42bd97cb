// `pinwatch deps`: prints what pinwatch understood from requirements files and pyproject.toml
// files (one row per requirement line, with its marker judged against the target Python), and
// every line it rejected. Reads local files only; no network, no state file.
#include "cli/support.hpp"
#include "cli/commands.hpp"

#include "config/environment.hpp"
#include "config/pyproject.hpp"
#include "common/text.hpp"
#include "packaging/requirements_file.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

namespace pinwatch::cli {

namespace {

constexpr char const* kDepsUsage =
    R"(usage: pinwatch deps -r FILE [-r FILE...] [--pyproject FILE...] [--python-version X.Y] [--json]

Shows what pinwatch understood from pip requirements files and pyproject.toml files: one row per
requirement with its normalised name and specifier, the pinned version, whether its marker
applies to the target Python, and where it was written. Rejected lines go to stderr as
file:line: message.

options:
  -r, --requirement FILE  a pip requirements file (repeatable; -r/-c inside it are followed)
  --pyproject FILE        a pyproject.toml: [project] dependencies, optional-dependencies and
                          [dependency-groups] (repeatable)
  --python-version X.Y    judge markers for this Python (X.Y or X.Y.Z) instead of python3's
  --json                  print JSON instead of a table
  -h, --help              this help

exit status: 0 all lines understood, 1 some lines rejected (the rest is still printed),
2 usage error or a file given on the command line could not be read.
)";

struct DepsOptions {
    std::vector<std::string> requirements;
    std::vector<std::string> pyprojects;
    std::optional<std::string> python_version;
    bool json = false;
    bool help = false;
};

struct Problem {
    std::string file;
    int line = 0;
    std::string message;
    std::string kind;
    std::string str() const {
        return file + (line > 0 ? ":" + std::to_string(line) : "") + ": " + message;
    }
};

// Parses the command line (the reader every command shares); the error names the flag and
// what it needed.
Result<DepsOptions> parse_args(Args const& args) {
    DepsOptions o;
    ArgReader r(args);
    while (!r.done()) {
        if (r.flag({"-h", "--help"})) {
            o.help = true;
            continue;
        }
        if (r.flag({"--json"})) {
            o.json = true;
            continue;
        }
        std::vector<std::string>* list = nullptr;
        std::string what;
        if (r.flag({"-r", "--requirement"})) {
            list = &o.requirements, what = "a requirements FILE";
        } else if (r.flag({"--pyproject"})) {
            list = &o.pyprojects, what = "a pyproject.toml FILE";
        } else if (r.flag({"--python-version"})) {
            what = "a Python version like 3.11";
        } else if (!r.peek().empty() && r.peek()[0] == '-') {
            return fail("unknown option '" + r.peek() + "' (see pinwatch deps --help)");
        } else {
            return fail("unexpected argument '" + r.peek() + "': requirements files go after -r");
        }
        auto value = r.value();
        if (!value) return fail(r.current_flag() + " needs " + what + " after it");
        if (value->empty()) return fail(r.current_flag() + " needs " + what + ", got an empty value");
        if (list) list->push_back(*value);
        else o.python_version = *value;
    }
    if (!o.help && o.requirements.empty() && o.pyprojects.empty())
        return fail("give at least one -r FILE or --pyproject FILE");
    return o;
}

std::string utf8(std::string_view s) { return valid_utf8(s); }

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void put(JsonWriter& w, std::string_view s) {
    std::string clean = utf8(s);
    w.String(clean.data(), static_cast<rapidjson::SizeType>(clean.size()));
}
void put_opt(JsonWriter& w, std::optional<std::string> const& s) {
    if (s) {
        put(w, *s);
    } else {
        w.Null();
    }
}
void put_list(JsonWriter& w, std::vector<std::string> const& v) {
    w.StartArray();
    for (auto const& s : v)
        put(w, s);
    w.EndArray();
}

// A marker environment value, unless finding it out would start python3 now.
std::optional<std::string> known_value(packaging::Environment const& env, std::string_view key) {
    if (env.is_deferred(key) && !config::python_probed()) return std::nullopt;
    return env.value(key);
}

void write_json(std::ostream& out, std::vector<packaging::RequirementEntry> const& entries,
                packaging::RequirementsOptions const& o, std::vector<Problem> const& problems,
                packaging::Environment const& env) {
    rapidjson::StringBuffer buf;
    JsonWriter w(buf);
    w.StartObject();
    w.Key("requirements");
    w.StartArray();
    for (auto const& e : entries) {
        w.StartObject();
        w.Key("name");
        put(w, e.name);
        w.Key("specifier");
        put(w, e.specifier);
        w.Key("extras");
        put_list(w, e.extras);
        w.Key("marker");
        put_opt(w, e.marker);
        w.Key("url");
        put_opt(w, e.url);
        w.Key("editable");
        w.Bool(e.editable);
        w.Key("pinned");
        put_opt(w, e.pinned);
        w.Key("applies");
        w.Bool(e.applies);
        w.Key("file");
        put(w, e.file);
        w.Key("line");
        w.Int(e.line);
        w.Key("constraint");
        w.Bool(e.constraint);
        w.Key("watchable");
        w.Bool(e.watchable);
        w.Key("reason");
        put_opt(w, e.reason.empty() ? std::nullopt : std::optional(e.reason));
        w.Key("text");
        put(w, e.text);
        w.Key("hashes");
        w.StartObject();
        for (auto const& [algo, digests] : e.hashes) {
            put(w, algo);
            put_list(w, digests);
        }
        w.EndObject();
        w.Key("section");
        put_opt(w, e.section.empty() ? std::nullopt : std::optional(e.section));
        w.Key("group");
        put_opt(w, e.group);
        w.EndObject();
    }
    w.EndArray();

    w.Key("options");
    w.StartObject();
    w.Key("index_url");
    put_opt(w, o.index_url);
    w.Key("extra_index_urls");
    put_list(w, o.extra_index_urls);
    w.Key("pre");
    w.Bool(o.pre);
    w.Key("no_index");
    w.Bool(o.no_index);
    w.Key("find_links");
    put_list(w, o.find_links);
    w.Key("trusted_hosts");
    put_list(w, o.trusted_hosts);
    w.Key("prefer_binary");
    w.Bool(o.prefer_binary);
    // pip's --require-hashes as written, and apart from it whether some requirement carried a
    // --hash (which puts pip in hash-checking mode too).
    w.Key("require_hashes");
    w.Bool(o.require_hashes);
    w.Key("has_hashes");
    w.Bool(o.has_hashes);
    w.Key("no_binary");
    put_list(w, o.no_binary);
    w.Key("only_binary");
    put_list(w, o.only_binary);
    w.Key("features_enabled");
    put_list(w, o.features_enabled);
    w.EndObject();

    w.Key("errors");
    w.StartArray();
    for (auto const& p : problems) {
        w.StartObject();
        w.Key("file");
        put(w, p.file);
        w.Key("line");
        w.Int(p.line);
        w.Key("message");
        put(w, p.message);
        w.Key("kind");
        put(w, p.kind);
        w.EndObject();
    }
    w.EndArray();

    // The values markers were judged against; null for a value only python3 knows when no
    // marker needed it (python3 is not started just to print it).
    w.Key("environment");
    w.StartObject();
    for (std::string_view key : packaging::Environment::keys()) {
        if (key == "extra") continue;
        w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
        put_opt(w, known_value(env, key));
    }
    w.EndObject();
    w.EndObject();
    out << buf.GetString() << '\n';
}

std::string notes_of(packaging::RequirementEntry const& e) {
    std::vector<std::string> notes;
    if (e.constraint) notes.emplace_back("constraint");
    if (e.editable) notes.emplace_back("editable");
    if (!e.watchable) notes.push_back("not watchable: " + e.reason);
    if (e.section == "project.optional-dependencies" && e.group)
        notes.push_back("extra " + *e.group);
    if (e.section == "dependency-groups" && e.group) notes.push_back("group " + *e.group);
    if (!e.hashes.empty()) notes.emplace_back("hashes");
    std::string out;
    for (auto const& n : notes)
        out += (out.empty() ? "" : ", ") + n;
    return out;
}

void write_deps_table(std::ostream& out, std::vector<packaging::RequirementEntry> const& entries,
                      packaging::RequirementsOptions const& o, std::size_t problems,
                      packaging::Environment const& env) {
    std::vector<std::vector<std::string>> rows;
    rows.push_back({"NAME", "SPECIFIER", "PINNED", "APPLIES", "MARKER", "WHERE", "NOTES"});
    for (auto const& e : entries) {
        std::string name = e.name.empty() ? (e.url ? *e.url : e.text) : e.name;
        if (!e.extras.empty()) {
            name += '[';
            for (std::size_t i = 0; i < e.extras.size(); ++i)
                name += (i ? "," : "") + e.extras[i];
            name += ']';
        }
        rows.push_back({utf8(name), e.specifier.empty() ? "-" : utf8(e.specifier),
                        e.pinned ? utf8(*e.pinned) : "-", e.applies ? "yes" : "no",
                        e.marker ? utf8(*e.marker) : "-",
                        utf8(e.file) + ":" + std::to_string(e.line), utf8(notes_of(e))});
    }
    write_table(out, rows);
    out << '\n';
    auto list = [](std::vector<std::string> const& v) {
        std::string s;
        for (auto const& x : v)
            s += (s.empty() ? "" : ", ") + utf8(x);
        return s;
    };
    if (o.index_url) out << "index url:        " << utf8(*o.index_url) << '\n';
    if (!o.extra_index_urls.empty())
        out << "extra index urls: " << list(o.extra_index_urls) << '\n';
    if (o.no_index) out << "no index:         yes (--no-index)\n";
    if (!o.find_links.empty()) out << "find links:       " << list(o.find_links) << '\n';
    if (!o.trusted_hosts.empty()) out << "trusted hosts:    " << list(o.trusted_hosts) << '\n';
    if (o.pre) out << "pre-releases:     allowed (--pre)\n";
    if (o.require_hashes) out << "require hashes:   yes (--require-hashes)\n";
    if (o.has_hashes)
        out << "hashes:           given with --hash (pip checks every requirement's hash)\n";
    if (!o.no_binary.empty()) out << "no binary:        " << list(o.no_binary) << '\n';
    if (!o.only_binary.empty()) out << "only binary:      " << list(o.only_binary) << '\n';
    std::optional<std::string> python = known_value(env, "python_full_version");
    if (!python) python = known_value(env, "python_version");
    std::string platform = utf8(env.sys_platform) + " (" + utf8(env.platform_machine) + ")";
    if (python) {
        out << "markers judged for Python " << utf8(*python) << " on " << platform << '\n';
    } else {
        out << "markers judged on " << platform
            << " (python3 not asked: no marker needed its version)\n";
    }
    out << entries.size() << (entries.size() == 1 ? " requirement" : " requirements") << ", "
        << problems << (problems == 1 ? " rejected line" : " rejected lines") << '\n';
}

} // namespace

int run_deps(Args const& args, std::ostream& out, std::ostream& err) {
    Result<DepsOptions> parsed = parse_args(args);
    if (!parsed) {
        err << "pinwatch deps: " << parsed.error() << "\n\n" << kDepsUsage;
        return 2;
    }
    DepsOptions const& o = *parsed;
    if (o.help) {
        out << kDepsUsage;
        return 0;
    }

    // Computed natively; python3 is asked only if a marker needs a value only it knows.
    packaging::Environment env = config::marker_environment();
    if (o.python_version) {
        auto moved = config::with_python_version(env, *o.python_version);
        if (!moved) {
            err << "pinwatch deps: --python-version: " << moved.error() << '\n';
            return 2;
        }
        env = std::move(*moved);
    }

    std::vector<packaging::RequirementEntry> entries;
    packaging::RequirementsOptions options;
    std::vector<Problem> problems;
    bool unreadable = false;

    if (!o.requirements.empty()) {
        packaging::RequirementsSet set =
            packaging::parse_requirements_files(o.requirements, config::system_parse_options(env));
        std::set<std::string> const top(o.requirements.begin(), o.requirements.end());
        for (auto& e : set.errors) {
            if (e.line == 0 && e.kind == packaging::RequirementsError::Kind::unreadable &&
                top.count(e.file))
                unreadable = true;
            problems.push_back({e.file, e.line, e.message, std::string(to_string(e.kind))});
        }
        entries = std::move(set.entries);
        options = std::move(set.options);
    }
    for (auto const& path : o.pyprojects) {
        config::PyprojectDependencies deps = config::read_pyproject(path, env);
        for (auto& e : deps.errors) {
            if (e.line == 0) unreadable = true;
            problems.push_back({e.file, e.line, e.message, "pyproject"});
        }
        for (auto& e : deps.entries)
            entries.push_back(std::move(e));
    }

    // Index URLs may carry credentials (https://user:token@host/simple): output goes to CI logs.
    if (options.index_url) options.index_url = redact_url(*options.index_url);
    for (auto& u : options.extra_index_urls) u = redact_url(u);
    for (auto& u : options.find_links) u = redact_url(u);
    for (auto const& p : problems)
        err << utf8(p.str()) << '\n';
    if (o.json) {
        write_json(out, entries, options, problems, env);
    } else {
        write_deps_table(out, entries, options, problems.size(), env);
    }
    if (unreadable) return 2;
    return problems.empty() ? 0 : 1;
}

} // namespace pinwatch::cli
