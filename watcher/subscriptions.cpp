#include "watcher/subscriptions.hpp"

#include "common/text.hpp"
#include "config/environment.hpp"
#include "config/pyproject.hpp"
#include "config/remote_file.hpp"
#include "packaging/requirements_file.hpp"
#include "packaging/specifier.hpp"
#include "watcher/sources/registry.hpp"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>

namespace pinwatch::watcher {
namespace {

constexpr char const* kDefaultIndex = "https://pypi.org/simple/";

std::optional<std::string> env(std::string const& name) {
    if (char const* v = std::getenv(name.c_str())) return std::string(v);
    return std::nullopt;
}

// Two requirements on one package (or a requirement and its constraint) narrow each other.
std::string join_specifiers(std::string const& a, std::string const& b) {
    if (a.empty()) return b;
    if (b.empty()) return a;
    if (auto joined = packaging::SpecifierSet::parse(a + "," + b)) return joined->str();
    return a;
}

// Problems and skipped lines reach `check` (table and JSON) and the daemon's log: no URL
// credentials (`--extra-index-url https://user:PASS@...` quoted in an error, a skipped
// `git+https://oauth2:TOKEN@...`), no control characters from the files.
std::string shown(std::string_view text) {
    return sanitize_text(redact_credentials(text));
}
// A file's name, or prose naming one: a token in a fetched file's query string
// (`https://host/r.txt?private_token=...`) is not shown either.
std::string shown_file(std::string_view text) {
    return shown(redact_url_queries(text));
}

// The parser's hooks for files that live elsewhere: they are read from what was fetched
// (`read_remote`), and their includes stay where they are (config::join_remote_include).
void read_remote_files(packaging::ParseOptions& po, RemoteRead read_remote) {
    po.is_remote = [](std::string_view path) { return config::is_remote_file(path); };
    po.join_remote = config::join_remote_include;
    po.remote_basename = [](std::string const& path) { return config::remote_basename(path); };
    auto local = std::move(po.read_file);
    po.read_file = [local = std::move(local), read_remote = std::move(read_remote)](
                       std::string const& path) -> Result<packaging::FileContent> {
        if (!config::is_remote_file(path)) return local(path);
        // An entry of the list is named on its way in; an include was named by join_remote.
        auto name = config::remote_file_name(path);
        if (!name) return fail(name.error());
        if (!read_remote)
            return fail("fetched only when the requirements list names such a file itself");
        auto content = read_remote(*name);
        if (!content) return fail(std::move(content.error()));
        return packaging::FileContent{std::move(*content), *name};
    };
}

// The requirements list with every remote entry under its name (no password in it); an entry
// that is no name stays as written, and reading it says why.
std::vector<std::string> named(std::vector<std::string> const& files) {
    std::vector<std::string> out;
    for (auto const& f : files) {
        auto name =
            config::is_remote_file(f) ? config::remote_file_name(f) : Result<std::string>(f);
        out.push_back(name ? *name : f);
    }
    return out;
}

// The userinfo of a URL exactly as written ("alice:p%40ss"), or "".
std::string raw_userinfo(std::string_view url) {
    auto const scheme = url.find("://");
    if (scheme == std::string_view::npos) return {};
    auto const start = scheme + 3;
    auto const end = url.find_first_of("/?#", start);
    auto const authority = url.substr(start, end == std::string_view::npos ? end : end - start);
    auto const at = authority.rfind('@');
    return at == std::string_view::npos ? std::string() : std::string(authority.substr(0, at));
}

std::vector<std::string> split_spaces(std::string const& text) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < text.size();) {
        auto const start = text.find_first_not_of(" \t\n", i);
        if (start == std::string::npos) break;
        auto const end = text.find_first_of(" \t\n", start);
        out.push_back(text.substr(start, end == std::string::npos ? end : end - start));
        i = end == std::string::npos ? text.size() : end;
    }
    return out;
}

} // namespace

std::string
lock_index_url(std::string const& index, std::vector<std::string> const& known,
               std::function<std::optional<std::string>(std::string const&)> const& getenv) {
    // pipenv and pip expand ${NAME} in index URLs: a lock keeps the reference, not the secret.
    std::string url = packaging::reqfile::expand_env(index, getenv);
    if (!raw_userinfo(url).empty()) return url;
    // pip's MultiDomainBasicAuth: the credentials of the index URL it was given that this URL
    // lies under (its prefix, ignoring credentials), else of one on the same origin.
    auto const identity = url_identity(url);
    std::string by_origin;
    for (auto const& k : known) {
        std::string const info = raw_userinfo(k);
        if (info.empty()) continue;
        std::string prefix = url_identity(k);
        while (!prefix.empty() && prefix.back() == '/')
            prefix.pop_back();
        prefix += '/';
        if ((identity + "/").rfind(prefix, 0) == 0) {
            by_origin = info;
            break;
        }
        if (by_origin.empty() && url_origin(k) == url_origin(url)) by_origin = info;
    }
    if (by_origin.empty()) return url;
    auto const scheme = url.find("://");
    if (scheme == std::string::npos) return url;
    return url.substr(0, scheme + 3) + by_origin + "@" + url.substr(scheme + 3);
}

RequirementsRead read_requirements(LoadOptions const& o) {
    RequirementsRead out;
    out.environment = config::marker_environment(o.python_version);
    auto po = config::system_parse_options(out.environment);
    read_remote_files(po, o.read_remote);
    if (!o.requirements.empty()) {
        auto const files = named(o.requirements);
        auto set = packaging::parse_requirements_files(files, po);
        std::set<std::string> const top(files.begin(), files.end());
        for (auto& e : set.errors) {
            if (e.line == 0 && e.kind == packaging::RequirementsError::Kind::unreadable &&
                top.count(e.file))
                out.unreadable = true;
            out.error_kinds.emplace_back(to_string(e.kind));
            out.errors.push_back(std::move(e));
        }
        out.entries = std::move(set.entries);
        out.options = std::move(set.options);
    }
    for (auto const& path : o.pyproject) {
        auto deps = config::read_pyproject(path, po.environment);
        for (auto& e : deps.errors) {
            if (e.line == 0 && e.file == path) out.unreadable = true;
            out.error_kinds.emplace_back("pyproject");
            out.errors.push_back(std::move(e));
        }
        for (auto& e : deps.entries)
            out.entries.push_back(std::move(e));
    }
    return out;
}

namespace {

// The index the subscriptions use, like pip: explicit option > `-i/--index-url` in the files >
// PIP_INDEX_URL > https://pypi.org/simple/.
std::string main_index(LoadOptions const& o, packaging::RequirementsOptions const& files) {
    if (o.index_url) return *o.index_url;
    if (files.index_url) return *files.index_url;
    if (auto pip = env("PIP_INDEX_URL"); pip && !pip->empty()) return *pip;
    return kDefaultIndex;
}

// The index URLs the user gave (with any credentials), for the indexes the locks name.
std::vector<std::string> known_indexes(LoadOptions const& o,
                                       packaging::RequirementsOptions const& files) {
    std::vector<std::string> known_indexes;
    if (o.index_url) known_indexes.push_back(*o.index_url);
    if (files.index_url) known_indexes.push_back(*files.index_url);
    for (auto const& u : files.extra_index_urls)
        known_indexes.push_back(u);
    if (auto pip = env("PIP_INDEX_URL")) known_indexes.push_back(*pip);
    if (auto extra = env("PIP_EXTRA_INDEX_URL"))
        for (auto& u : split_spaces(*extra))
            known_indexes.push_back(std::move(u));
    return known_indexes;
}

// Why an entry is not polled: not a PyPI requirement, a marker that does not apply, or a
// transitive dependency the project does not watch; nullopt when it is.
std::optional<SkippedRequirement> skipped(packaging::RequirementEntry const& e,
                                          LoadOptions const& o) {
    if (!e.watchable || e.name.empty())
        return SkippedRequirement{e.name.empty() ? e.text : e.name, e.file, e.line,
                                  e.reason.empty() ? "not a PyPI requirement" : e.reason};
    if (!e.applies)
        return SkippedRequirement{e.name, e.file, e.line,
                                  "marker does not apply: " + e.marker.value_or("")};
    // Unknown counts as direct: only what the files say is pulled in is transitive.
    bool const direct = e.direct.value_or(true);
    if (!direct && o.transitive == Transitive::none)
        return SkippedRequirement{e.name, e.file, e.line,
                                  "transitive dependency (project " + o.project +
                                      ": transitive = \"none\")"};
    return std::nullopt;
}

// The subscriptions of the entries (into out.subscriptions; the skipped ones into
// out.skipped); the constraints are set aside and returned.
std::vector<packaging::RequirementEntry const*>
subscribe_entries(std::vector<packaging::RequirementEntry> const& entries, LoadOptions const& o,
                  std::vector<std::string> const& known_indexes, LoadedRequirements& out) {
    auto const getenv = [](std::string const& name) { return env(name); };
    // One subscription per (index, name): the index a lock names for the package, else the
    // one above. The key leaves credentials out (url_identity).
    std::map<std::string, std::size_t> by_name;
    std::vector<packaging::RequirementEntry const*> constraints;
    for (auto const& e : entries) {
        if (e.constraint) {
            constraints.push_back(&e);
            continue;
        }
        if (auto skip = skipped(e, o)) {
            out.skipped.push_back(std::move(*skip));
            continue;
        }
        std::string const index =
            e.index ? lock_index_url(*e.index, known_indexes, getenv) : out.index_url;
        Subscription s = requirement_subscription(index, e.name);
        std::string const key = s.source + '\n' + s.locator; // one per project on one index
        if (auto it = by_name.find(key); it != by_name.end()) {
            auto& kept = out.subscriptions[it->second];
            // A lock may pin one name twice (uv's forked resolution, markers for different
            // platforms): two exact pins cannot narrow each other, so the first one is polled.
            if (e.index && kept.pinned && e.pinned && *kept.pinned != *e.pinned) continue;
            kept.specifier = join_specifiers(kept.specifier, e.specifier);
            // Asked for directly in one file: direct, whatever another says.
            if (e.direct != false && kept.direct == false) kept.direct = e.direct;
            continue;
        }
        s.project = o.project;
        s.direct = e.direct;
        s.pinned = e.pinned;
        s.specifier = e.specifier;
        s.file = e.file;
        s.line = e.line;
        by_name.emplace(key, out.subscriptions.size());
        out.subscriptions.push_back(std::move(s));
    }
    return constraints;
}

// A subscription's settings: its pin, pre-releases, interval and rules (the project's, then
// [packages.<name>], then the project's own), parsed once for the diff and the summaries.
void settle(Subscription& s, LoadOptions const& o, bool pre) {
    // The pin is the version an exact clause names, also when a constraint file added it
    // beside a range ("<3,==2.0.7,>=1.26" runs 2.0.7).
    if (auto spec = packaging::SpecifierSet::parse(s.specifier)) {
        for (auto const& clause : spec->specifiers())
            if ((clause.op() == "==" && !clause.has_wildcard()) || clause.op() == "===")
                s.pinned = std::string(clause.version_text());
    }
    s.prereleases = pre;
    if (auto it = o.intervals.find(s.name); it != o.intervals.end()) s.interval = it->second;
    s.rules = o.rules;
    if (auto it = o.packages.find(s.name); it != o.packages.end())
        s.rules = it->second.over(s.rules);
    if (auto it = o.project_packages.find(s.name); it != o.project_packages.end())
        s.rules = it->second.over(s.rules);
    s.rules.urgent_only = s.direct == false && o.transitive == Transitive::urgent;
    // A package's own `pre` decides for it, like `--pre` for everything.
    if (s.rules.pre) s.prereleases = *s.rules.pre;
    parse_fields(s); // the strings above, parsed once for the diff and the summaries
}

} // namespace

LoadedRequirements load_requirements(LoadOptions const& o) {
    LoadedRequirements out;
    auto read = read_requirements(o);
    out.errors = std::move(read.errors);
    for (auto& e : out.errors) {
        e.file = shown_file(e.file);
        e.message = shown_file(e.message);
    }
    out.unreadable = read.unreadable;
    out.index_url = main_index(o, read.options);
    auto const constraints =
        subscribe_entries(read.entries, o, known_indexes(o, read.options), out);
    for (auto& s : out.skipped) {
        s.name = shown(s.name);
        s.file = shown_file(s.file);
        s.reason = shown_file(s.reason);
    }
    // Constraints do not subscribe on their own (pip installs nothing for them), but they pin
    // what the requirements leave open.
    for (auto const* c : constraints) {
        if (!c->applies || !c->watchable) continue;
        for (auto& s : out.subscriptions)
            if (s.name == c->name) s.specifier = join_specifiers(s.specifier, c->specifier);
    }
    bool const pre = o.pre || read.options.pre;
    for (auto& s : out.subscriptions) {
        settle(s, o, pre);
        // Shown by `check`, in events and notifications, kept in the state file: never the
        // query of the URL the file was fetched from.
        s.file = redact_url_queries(s.file);
    }
    return out;
}

std::vector<std::string> remote_files_named(LoadOptions const& o) {
    std::vector<std::string> out;
    std::set<std::string> seen;
    auto note = [&](std::string const& name) {
        if (seen.insert(name).second) out.push_back(name);
    };
    for (auto const& f : named(o.requirements))
        if (config::is_remote_file(f)) note(f);
    // The parser meets every include (of local files, and of what was fetched so far); each
    // remote one it asks for is noted.
    LoadOptions probe = o;
    probe.pyproject.clear();
    probe.read_remote = [&](std::string const& name) -> Result<std::string> {
        note(name);
        if (!o.read_remote) return fail("not fetched yet");
        return o.read_remote(name);
    };
    (void)read_requirements(probe);
    return out;
}

std::vector<std::string> remote_files_named(std::vector<LoadOptions> const& projects) {
    std::vector<std::string> out;
    std::set<std::string> seen;
    for (auto const& o : projects)
        for (auto& name : remote_files_named(o))
            if (seen.insert(name).second) out.push_back(std::move(name));
    return out;
}

std::vector<std::string> remote_entries(std::vector<LoadOptions> const& projects) {
    std::vector<std::string> entries;
    for (auto const& p : projects)
        for (auto const& f : p.requirements)
            if (config::is_remote_file(f) &&
                std::find(entries.begin(), entries.end(), f) == entries.end())
                entries.push_back(f);
    return entries;
}

std::vector<LoadOptions> project_load_options(config::Config const& cfg) {
    std::vector<LoadOptions> out;
    for (auto const& p : config::all_projects(cfg)) {
        LoadOptions load;
        load.project = p.name;
        for (auto const& f : p.files) {
            // A file that lives elsewhere is read like a `requirements` entry (a lock file
            // there is recognised by its name); pyproject.toml on the disk as `pyproject`.
            auto const slash = f.find_last_of('/');
            auto const base = slash == std::string::npos ? f : f.substr(slash + 1);
            bool const pyproject = base == "pyproject.toml" && !config::is_remote_file(f);
            (pyproject ? load.pyproject : load.requirements).push_back(f);
        }
        load.pyproject.insert(load.pyproject.end(), p.pyproject.begin(), p.pyproject.end());
        load.python_version = p.python_version;
        load.index_url = p.index_url;
        load.pre = cfg.pre;
        load.rules = cfg.rules;
        load.packages = cfg.packages;
        load.project_packages = p.packages;
        load.transitive = p.transitive;
        for (auto const& [name, every] : cfg.intervals)
            load.intervals[name] = every.count();
        out.push_back(std::move(load));
    }
    return out;
}

LoadedRequirements load_projects(std::vector<LoadOptions> const& projects) {
    LoadedRequirements out;
    for (auto const& o : projects) {
        auto one = load_requirements(o);
        if (out.index_url.empty()) out.index_url = one.index_url;
        out.unreadable = out.unreadable || one.unreadable;
        if (one.unreadable && one.subscriptions.empty()) out.unreadable_projects.insert(o.project);
        for (auto& s : one.subscriptions)
            out.subscriptions.push_back(std::move(s));
        for (auto& s : one.skipped)
            out.skipped.push_back(std::move(s));
        for (auto& e : one.errors)
            out.errors.push_back(std::move(e));
    }
    return out;
}

} // namespace pinwatch::watcher
