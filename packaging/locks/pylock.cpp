// pylock.toml (PEP 751): [[packages]] with name, version, marker, index, and the package's
// source: from an index (sdist / wheels), or a vcs, directory or archive table (not polled).
// Markers may name `extras` and `dependency_groups`; they are judged with no extras and the
// lock's `default-groups`, what an installer given no choice installs.
#include "packaging/locks/detail.hpp"

#include "packaging/name.hpp"

namespace pinwatch::packaging::locks::detail {

namespace {

// vcs / directory / archive: where it comes from, or nullopt for a package from an index.
std::optional<std::pair<std::string, std::string>>
direct_source(RequirementEntry& e, toml::table const& pkg, LockRead& out) {
    std::string const where = "packages '" + e.name + "'";
    if (toml::node const* vcs = pkg.get("vcs")) {
        auto const* t = vcs->as_table();
        if (!t) {
            error(out, e.file, line_of(*vcs), where + ": vcs: expected a table");
            return std::pair{std::string("?"), std::string("VCS source")};
        }
        auto type = string_at(*t, "type", out, e.file, where + ".vcs").value_or("vcs");
        auto url = string_at(*t, "url", out, e.file, where + ".vcs");
        auto local = string_at(*t, "path", out, e.file, where + ".vcs");
        std::string target = url ? type + "+" + *url : local.value_or("?");
        if (auto commit = string_at(*t, "commit-id", out, e.file, where + ".vcs"))
            target += "@" + *commit;
        return std::pair{target, type + " source"};
    }
    if (toml::node const* dir = pkg.get("directory")) {
        auto const* t = dir->as_table();
        if (!t) {
            error(out, e.file, line_of(*dir), where + ": directory: expected a table");
            return std::pair{std::string("?"), std::string("local directory")};
        }
        auto local = string_at(*t, "path", out, e.file, where + ".directory", true);
        e.editable = t->get("editable") && t->get("editable")->value_or(false);
        return std::pair{local.value_or("?"),
                         std::string(e.editable ? "editable local project" : "local directory")};
    }
    if (toml::node const* archive = pkg.get("archive")) {
        auto const* t = archive->as_table();
        if (!t) {
            error(out, e.file, line_of(*archive), where + ": archive: expected a table");
            return std::pair{std::string("?"), std::string("direct URL")};
        }
        if (auto url = string_at(*t, "url", out, e.file, where + ".archive"))
            return std::pair{*url, std::string("direct URL")};
        auto local = string_at(*t, "path", out, e.file, where + ".archive");
        return std::pair{local.value_or("?"), std::string("local archive")};
    }
    return std::nullopt;
}

} // namespace

LockRead read_pylock(std::string_view bytes, std::string const& path,
                     std::optional<Manifest> const& manifest, Environment const& env) {
    LockRead out;
    auto names = direct_names(manifest, false, out);
    auto root = parse_toml(bytes, path, out);
    if (!root) return out;
    if (!root->get("lock-version"))
        error(out, path, 1, "the key 'lock-version' is missing (PEP 751 requires it)");
    Environment judged = env;
    judged.extras = std::vector<std::string>{};
    std::vector<std::string> defaults;
    for (auto const& g : strings_at(*root, "default-groups", out, path, "pylock"))
        defaults.push_back(canonicalize_name(g));
    judged.dependency_groups = defaults;

    toml::node const* packages = root->get("packages");
    if (!packages) return out;
    auto const* arr = packages->as_array();
    if (!arr) {
        error(out, path, line_of(*packages), "packages: expected an array of tables");
        return out;
    }
    for (auto const& node : *arr) {
        auto const* pkg = node.as_table();
        if (!pkg) {
            error(out, path, line_of(node), "packages: expected a table");
            continue;
        }
        auto name = string_at(*pkg, "name", out, path, "packages", true);
        if (!name) continue;
        RequirementEntry e = package_entry(*name, path, line_of(*pkg));
        std::string const where = "packages '" + e.name + "'";
        auto version = string_at(*pkg, "version", out, path, where);
        auto from = direct_source(e, *pkg, out);
        if (!version && !from) {
            error(out, path, line_of(*pkg),
                  where + ": the key 'version' is missing (a package from an index has one)");
            continue;
        }
        if (version && !pin(e, *version, out)) continue;
        e.index = string_at(*pkg, "index", out, path, where);
        if (auto marker = string_at(*pkg, "marker", out, path, where))
            judge_marker(e, *marker, judged, out, true);
        if (from) {
            e.index.reset();
            not_polled(e, from->first, from->second);
        }
        set_direct(e, names);
        out.entries.push_back(std::move(e));
    }
    return out;
}

} // namespace pinwatch::packaging::locks::detail
