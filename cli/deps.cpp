// `pinwatch deps`: prints what pinwatch understood from requirements files and pyproject.toml
// files (one row per requirement line, with its marker judged against the target Python), and
// every line it rejected. Reads local files only; no network, no state file.
#include "cli/commands.hpp"
#include "cli/support.hpp"

#include "common/text.hpp"
#include "config/environment.hpp"
#include "config/pyproject.hpp"
#include "config/remote_file.hpp"
#include "net/client.hpp"
#include "packaging/requirements_file.hpp"
#include "watcher/compose.hpp"
#include "watcher/remote_files.hpp"
#include "watcher/subscriptions.hpp"

#include <boost/asio/io_context.hpp>

#include "common/json.hpp"

#include <algorithm>
#include <cstdlib>
#include <memory>
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
                          or a lock file, by its name: uv.lock, poetry.lock, pdm.lock,
                          Pipfile.lock, pylock.toml, pylock.NAME.toml; a path, an https://
                          URL or github:OWNER/REPO/PATH@REF ($GITHUB_TOKEN)
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

// A rejected line and what kind of problem it is ("requirement", "unreadable", "pyproject", ...).
struct Problem {
    Diagnostic where;
    std::string kind;
    std::string str() const { return where.str(); }
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
        if (value->empty())
            return fail(r.current_flag() + " needs " + what + ", got an empty value");
        if (list)
            list->push_back(*value);
        else
            o.python_version = *value;
    }
    if (!o.help && o.requirements.empty() && o.pyprojects.empty())
        return fail("give at least one -r FILE or --pyproject FILE");
    return o;
}

// What is shown from the files on a terminal: the userinfo of any URL removed (`pkg @
// https://user:TOKEN@host/...`, `--extra-index-url https://user:PASS@...`: the output lands in
// CI logs), and control characters made visible (a line may hold ESC, BEL or NUL).
std::string shown(std::string_view s) {
    return sanitize_text(redact_credentials(s));
}
// In JSON, values stay exact (JsonWriter escapes them) but never carry credentials.
std::optional<std::string> redacted(std::optional<std::string> const& s) {
    if (!s) return std::nullopt;
    return redact_credentials(*s);
}

void put_list(JsonWriter& w, std::vector<std::string> const& v) {
    w.begin_array();
    for (auto const& s : v)
        w.string(s);
    w.end_array();
}

// A marker environment value, unless finding it out would start python3 now.
std::optional<std::string> known_value(packaging::Environment const& env, std::string_view key) {
    if (env.is_deferred(key) && !config::python_probed()) return std::nullopt;
    return env.value(key);
}

void write_json(std::ostream& out, std::vector<packaging::RequirementEntry> const& entries,
                packaging::RequirementsOptions const& o, std::vector<Problem> const& problems,
                packaging::Environment const& env) {
    auto optional = [](std::string const& s) {
        return s.empty() ? std::nullopt : std::optional(s);
    };
    JsonWriter w;
    w.begin_object().key("requirements").begin_array();
    for (auto const& e : entries) {
        w.begin_object();
        w.field("name", e.name).field("specifier", e.specifier);
        put_list(w.key("extras"), e.extras);
        w.field("marker", e.marker).field("url", redacted(e.url)).field("editable", e.editable);
        w.field("pinned", e.pinned).field("applies", e.applies).field("file", e.file);
        w.field("line", e.line).field("constraint", e.constraint).field("watchable", e.watchable);
        w.field("reason", redacted(optional(e.reason))).field("text", redact_credentials(e.text));
        w.key("hashes").begin_object();
        for (auto const& [algo, digests] : e.hashes)
            put_list(w.key(algo), digests);
        w.end_object();
        w.field("section", optional(e.section)).field("group", e.group);
        if (e.direct) {
            w.field("direct", *e.direct);
        } else {
            w.field("direct", nullptr);
        }
        w.field("index", redacted(e.index));
        put_list(w.key("groups"), e.groups);
        w.end_object();
    }
    w.end_array();

    w.key("options").begin_object();
    w.field("index_url", o.index_url);
    put_list(w.key("extra_index_urls"), o.extra_index_urls);
    w.field("pre", o.pre).field("no_index", o.no_index);
    put_list(w.key("find_links"), o.find_links);
    put_list(w.key("trusted_hosts"), o.trusted_hosts);
    w.field("prefer_binary", o.prefer_binary);
    // pip's --require-hashes as written, and apart from it whether some requirement carried a
    // --hash (which puts pip in hash-checking mode too).
    w.field("require_hashes", o.require_hashes).field("has_hashes", o.has_hashes);
    put_list(w.key("no_binary"), o.no_binary);
    put_list(w.key("only_binary"), o.only_binary);
    put_list(w.key("features_enabled"), o.features_enabled);
    w.end_object();

    w.key("errors").begin_array();
    for (auto const& p : problems)
        w.begin_object()
            .field("file", p.where.file)
            .field("line", p.where.line)
            // Prose quoting the files, as on stderr: no control characters, whoever prints it.
            .field("message", shown(p.where.message))
            .field("kind", p.kind)
            .end_object();
    w.end_array();

    // The values markers were judged against; null for a value only python3 knows when no
    // marker needed it (python3 is not started just to print it).
    w.key("environment").begin_object();
    for (std::string_view key : packaging::Environment::keys())
        if (key != "extra") w.field(key, known_value(env, key));
    w.end_object();
    w.end_object();
    out << w.str() << '\n';
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
    if (e.direct == std::optional<bool>(false)) notes.emplace_back("transitive");
    if (!e.groups.empty() && e.section.empty()) {
        std::string groups;
        for (auto const& g : e.groups)
            groups += (groups.empty() ? "" : ",") + g;
        notes.push_back("groups " + groups);
    }
    if (e.index) notes.push_back("index " + redact_url(*e.index));
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
        rows.push_back({shown(name), e.specifier.empty() ? "-" : shown(e.specifier),
                        e.pinned ? shown(*e.pinned) : "-", e.applies ? "yes" : "no",
                        e.marker ? shown(*e.marker) : "-",
                        shown(e.file) + ":" + std::to_string(e.line), shown(notes_of(e))});
    }
    write_table(out, rows);
    out << '\n';
    auto list = [](std::vector<std::string> const& v) {
        std::string s;
        for (auto const& x : v)
            s += (s.empty() ? "" : ", ") + shown(x);
        return s;
    };
    if (o.index_url) out << "index url:        " << shown(*o.index_url) << '\n';
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
    std::string platform = shown(env.sys_platform) + " (" + shown(env.platform_machine) + ")";
    if (python) {
        out << "markers judged for Python " << shown(*python) << " on " << platform << '\n';
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
        err << "pinwatch deps: " << sanitize_text(parsed.error()) << "\n\n" << kDepsUsage;
        return 2;
    }
    DepsOptions const& o = *parsed;
    if (o.help) {
        out << kDepsUsage;
        return 0;
    }

    if (o.python_version) {
        if (auto moved =
                config::with_python_version(config::marker_environment(), *o.python_version);
            !moved) {
            err << "pinwatch deps: --python-version: " << sanitize_text(moved.error()) << '\n';
            return 2;
        }
    }
    // The same reader `check` and the daemon use; python3 is asked only if a marker needs a
    // value only it knows.
    watcher::LoadOptions lo;
    lo.requirements = o.requirements;
    lo.pyproject = o.pyprojects;
    lo.python_version = o.python_version;
    // Files that live elsewhere are fetched once first (each host's token from the environment).
    boost::asio::io_context io;
    std::unique_ptr<net::Client> client;
    std::unique_ptr<watcher::RemoteFiles> remote;
    if (std::any_of(lo.requirements.begin(), lo.requirements.end(),
                    [](std::string const& f) { return config::is_remote_file(f); })) {
        try {
            client = watcher::make_client(io.get_executor(), net::ClientOptions{});
        } catch (std::exception const& e) {
            err << "pinwatch deps: " << sanitize_text(e.what()) << '\n';
            return 2;
        }
        watcher::RemoteFilesOptions ropts;
        watcher::SourceSetup setup; // no config, no flags: each host's defaults and environment
        setup.mode = watcher::SourceSetup::Mode::check;
        ropts.hosts = watcher::make_file_hosts(setup);
        remote = std::make_unique<watcher::RemoteFiles>(*client, std::move(ropts), lo.requirements,
                                                        nullptr);
        lo.read_remote = remote->reader();
        fetch_remote_files(io, *remote, {lo});
    }
    auto read = watcher::read_requirements(lo);
    auto& entries = read.entries;
    auto& options = read.options;
    auto const& env = read.environment;
    bool const unreadable = read.unreadable;
    std::vector<Problem> problems;
    for (std::size_t i = 0; i < read.errors.size(); ++i)
        problems.push_back({read.errors[i], read.error_kinds[i]});
    // A file fetched from a URL whose query string holds a token (`?private_token=...`) is
    // shown as https://host/path?… wherever it is named.
    for (auto& e : entries)
        e.file = redact_url_queries(e.file);
    for (auto& p : problems) {
        p.where.file = redact_url_queries(p.where.file);
        p.where.message = redact_url_queries(p.where.message);
    }

    // Index URLs may carry credentials (https://user:token@host/simple): output goes to CI logs.
    if (options.index_url) options.index_url = redact_url(*options.index_url);
    for (auto& u : options.extra_index_urls)
        u = redact_url(u);
    for (auto& u : options.find_links)
        u = redact_url(u);
    for (auto const& p : problems)
        err << shown(p.str()) << '\n';
    if (o.json) {
        write_json(out, entries, options, problems, env);
    } else {
        write_deps_table(out, entries, options, problems.size(), env);
    }
    if (unreadable) return 2;
    return problems.empty() ? 0 : 1;
}

} // namespace pinwatch::cli
