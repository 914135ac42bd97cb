#include "packaging/locks/detail.hpp"

#include "packaging/name.hpp"
#include "packaging/requirement.hpp"
#include "packaging/specifier.hpp"

#include <utility>

namespace pinwatch::packaging::locks {

namespace {

std::string_view base_name(std::string_view path) {
    std::size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string type_name(toml::node const& n) {
    switch (n.type()) {
    case toml::node_type::table:
        return "a table";
    case toml::node_type::array:
        return "an array";
    case toml::node_type::string:
        return "a string";
    case toml::node_type::integer:
        return "an integer";
    case toml::node_type::floating_point:
        return "a float";
    case toml::node_type::boolean:
        return "a boolean";
    default:
        return "a date or time";
    }
}

// The name of a PEP 508 string, normalised; PDM's "-e file:///${PROJECT_ROOT}/lib#egg=lib"
// names its project in the #egg= fragment. nullopt when it names none.
std::optional<std::string> requirement_name(std::string_view text) {
    if (text.substr(0, 3) == "-e ") {
        std::size_t egg = text.find("#egg=");
        if (egg == std::string_view::npos) return std::nullopt;
        std::string_view name = text.substr(egg + 5);
        name = name.substr(0, name.find_first_of("&["));
        if (name.empty()) return std::nullopt;
        return canonicalize_name(name);
    }
    auto req = Requirement::parse(text);
    if (!req) return std::nullopt;
    return canonicalize_name(req->name);
}

void add_strings(toml::node const* node, std::set<std::string>& names) {
    if (!node) return;
    if (auto const* arr = node->as_array()) {
        for (auto const& item : *arr)
            if (auto s = item.value<std::string>())
                if (auto name = requirement_name(*s)) names.insert(*name);
    }
}

// Every list of PEP 508 strings in a table of lists ([project.optional-dependencies],
// [dependency-groups], [tool.pdm.dev-dependencies]).
void add_string_lists(toml::node const* node, std::set<std::string>& names) {
    if (auto const* t = node ? node->as_table() : nullptr)
        for (auto const& [key, value] : *t)
            add_strings(&value, names);
}

// Poetry's tables of name = constraint ("python" is the interpreter, no package).
void add_keys(toml::node const* node, std::set<std::string>& names) {
    if (auto const* t = node ? node->as_table() : nullptr)
        for (auto const& [key, value] : *t)
            if (key.str() != "python") names.insert(canonicalize_name(key.str()));
}

} // namespace

std::optional<Format> format_of(std::string_view path) {
    std::string_view name = base_name(path);
    if (name == "uv.lock") return Format::uv;
    if (name == "poetry.lock") return Format::poetry;
    if (name == "pdm.lock") return Format::pdm;
    if (name == "Pipfile.lock") return Format::pipfile;
    if (name == "pylock.toml") return Format::pylock;
    // PEP 751: pylock.<name>.toml, the name without dots.
    constexpr std::string_view head = "pylock.", tail = ".toml";
    if (name.size() > head.size() + tail.size() && name.substr(0, head.size()) == head &&
        name.substr(name.size() - tail.size()) == tail) {
        std::string_view middle = name.substr(head.size(), name.size() - head.size() - tail.size());
        if (middle.find('.') == std::string_view::npos) return Format::pylock;
    }
    return std::nullopt;
}

std::string_view to_string(Format format) {
    switch (format) {
    case Format::uv:
        return "uv.lock";
    case Format::poetry:
        return "poetry.lock";
    case Format::pdm:
        return "pdm.lock";
    case Format::pipfile:
        return "Pipfile.lock";
    case Format::pylock:
        return "pylock.toml";
    }
    return "lock";
}

std::string_view manifest_name(Format format) {
    switch (format) {
    case Format::uv:
        return "";
    case Format::pipfile:
        return "Pipfile";
    default:
        return "pyproject.toml";
    }
}

ManifestNames manifest_names(Manifest const& manifest, bool pipfile) {
    ManifestNames out;
    toml::table root;
    try {
        root = toml::parse(manifest.bytes, manifest.path);
    } catch (toml::parse_error const& e) {
        out.errors.push_back({{manifest.path, static_cast<int>(e.source().begin.line),
                               "not valid TOML: " + std::string(e.description())},
                              RequirementsError::Kind::lock});
        return out;
    }
    out.readable = true;
    if (pipfile) {
        // [packages], [dev-packages] and pipenv's own categories: every table but these.
        static std::set<std::string_view> const not_packages = {"source", "requires", "pipenv",
                                                                "scripts"};
        for (auto const& [key, value] : root)
            if (value.is_table() && !not_packages.count(key.str())) add_keys(&value, out.names);
        return out;
    }
    add_strings(root.at_path("project.dependencies").node(), out.names);
    add_string_lists(root.at_path("project.optional-dependencies").node(), out.names);
    add_string_lists(root.get("dependency-groups"), out.names);
    add_keys(root.at_path("tool.poetry.dependencies").node(), out.names);
    add_keys(root.at_path("tool.poetry.dev-dependencies").node(), out.names);
    if (auto const* groups = root.at_path("tool.poetry.group").as_table())
        for (auto const& [key, group] : *groups)
            if (auto const* g = group.as_table()) add_keys(g->get("dependencies"), out.names);
    add_string_lists(root.at_path("tool.pdm.dev-dependencies").node(), out.names);
    return out;
}

LockRead read_lock(Format format, std::string_view bytes, std::string const& path,
                   std::optional<Manifest> const& manifest, Environment const& env) {
    switch (format) {
    case Format::uv:
        return detail::read_uv(bytes, path, env);
    case Format::poetry:
        return detail::read_poetry(bytes, path, manifest, env);
    case Format::pdm:
        return detail::read_pdm(bytes, path, manifest, env);
    case Format::pipfile:
        return detail::read_pipfile(bytes, path, manifest, env);
    case Format::pylock:
        return detail::read_pylock(bytes, path, manifest, env);
    }
    return {};
}

namespace detail {

int line_of(toml::node const& n) {
    return static_cast<int>(n.source().begin.line);
}

std::optional<toml::table> parse_toml(std::string_view bytes, std::string const& path,
                                      LockRead& out) {
    try {
        return toml::parse(bytes, path);
    } catch (toml::parse_error const& e) {
        error(out, path, static_cast<int>(e.source().begin.line),
              "not valid TOML: " + std::string(e.description()));
        return std::nullopt;
    }
}

void error(LockRead& out, std::string const& path, int line, std::string message,
           RequirementsError::Kind kind) {
    out.errors.push_back({{path, line, std::move(message)}, kind});
}

std::optional<std::string> string_at(toml::table const& t, std::string_view key, LockRead& out,
                                     std::string const& path, std::string_view where,
                                     bool required) {
    toml::node const* n = t.get(key);
    if (!n) {
        if (required)
            error(out, path, line_of(t),
                  std::string(where) + ": the key '" + std::string(key) + "' is missing");
        return std::nullopt;
    }
    if (auto s = n->value<std::string>()) return *s;
    error(out, path, line_of(*n),
          std::string(where) + "." + std::string(key) + ": expected a string, found " +
              type_name(*n));
    return std::nullopt;
}

std::vector<std::string> strings_at(toml::table const& t, std::string_view key, LockRead& out,
                                    std::string const& path, std::string_view where) {
    std::vector<std::string> values;
    toml::node const* n = t.get(key);
    if (!n) return values;
    std::string const what = std::string(where) + "." + std::string(key);
    auto const* arr = n->as_array();
    if (!arr) {
        error(out, path, line_of(*n),
              what + ": expected an array of strings, found " + type_name(*n));
        return values;
    }
    for (auto const& item : *arr) {
        if (auto s = item.value<std::string>()) {
            values.push_back(*s);
        } else {
            error(out, path, line_of(item), what + ": expected a string, found " + type_name(item));
        }
    }
    return values;
}

RequirementEntry package_entry(std::string const& name, std::string const& path, int line) {
    RequirementEntry e;
    e.name = canonicalize_name(name);
    e.text = name;
    e.file = path;
    e.line = line;
    return e;
}

bool pin(RequirementEntry& e, std::string const& version, LockRead& out) {
    auto spec = SpecifierSet::parse("==" + version);
    if (!spec || spec->specifiers().size() != 1 ||
        version.find_first_of(",*") != std::string::npos) {
        error(out, e.file, e.line,
              "package '" + e.text + "': version '" + version + "' is not a PEP 440 version");
        return false;
    }
    e.specifier = spec->str();
    e.pinned = std::string(spec->specifiers().front().version_text()); // whitespace dropped
    e.text += "==" + version;
    return true;
}

void not_polled(RequirementEntry& e, std::string const& where, std::string reason) {
    e.url = where;
    e.pinned.reset();
    e.specifier.clear();
    e.watchable = false;
    e.reason = std::move(reason);
    e.text += " @ " + where;
}

bool judge_marker(RequirementEntry& e, std::string const& text, Environment const& env,
                  LockRead& out, bool lock_file) {
    auto marker = lock_file ? Marker::parse_lock_file(text) : Marker::parse_complete(text);
    if (!marker) {
        e.marker = text;
        error(out, e.file, e.line,
              "package '" + e.name + "': invalid marker '" + text + "': " + marker.error(),
              RequirementsError::Kind::marker);
        return false;
    }
    e.marker = marker->str();
    Environment judged = env;
    judged.extra = "";
    auto holds = marker->evaluate(judged);
    if (!holds) {
        error(out, e.file, e.line,
              "package '" + e.name + "': cannot evaluate marker '" + *e.marker +
                  "': " + holds.error(),
              RequirementsError::Kind::marker);
        return false;
    }
    e.applies = *holds;
    return true;
}

void set_direct(RequirementEntry& e, std::optional<std::set<std::string>> const& names) {
    if (names) e.direct = names->count(e.name) > 0;
}

std::optional<std::set<std::string>> direct_names(std::optional<Manifest> const& manifest,
                                                  bool pipfile, LockRead& out) {
    if (!manifest) return std::nullopt;
    ManifestNames names = manifest_names(*manifest, pipfile);
    for (auto& e : names.errors)
        out.errors.push_back(std::move(e));
    if (!names.readable) return std::nullopt;
    return std::move(names.names);
}

} // namespace detail

} // namespace pinwatch::packaging::locks
