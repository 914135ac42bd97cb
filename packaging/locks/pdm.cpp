// pdm.lock: [[package]] tables with name, version, groups, marker and, for what is not from an
// index, git/path/url (editable = true for an editable path). PDM locks a package installed
// with extras a second time (same version, `extras = [...]`): that is one requirement.
#include "packaging/locks/detail.hpp"

#include <algorithm>
#include <map>

namespace pinwatch::packaging::locks::detail {

namespace {

void merge_into(RequirementEntry& kept, RequirementEntry const& again) {
    for (auto const& g : again.groups)
        if (std::find(kept.groups.begin(), kept.groups.end(), g) == kept.groups.end())
            kept.groups.push_back(g);
    for (auto const& x : again.extras)
        if (std::find(kept.extras.begin(), kept.extras.end(), x) == kept.extras.end())
            kept.extras.push_back(x);
    std::sort(kept.extras.begin(), kept.extras.end());
    kept.applies = kept.applies || again.applies;
    if (!again.marker) kept.marker.reset(); // the other one applies everywhere
}

} // namespace

LockRead read_pdm(std::string_view bytes, std::string const& path,
                  std::optional<Manifest> const& manifest, Environment const& env) {
    LockRead out;
    auto names = direct_names(manifest, false, out);
    auto root = parse_toml(bytes, path, out);
    if (!root) return out;
    toml::node const* packages = root->get("package");
    if (!packages) return out;
    auto const* arr = packages->as_array();
    if (!arr) {
        error(out, path, line_of(*packages), "package: expected an array of tables");
        return out;
    }
    std::map<std::pair<std::string, std::string>, std::size_t> seen; // (name, version) -> entry
    for (auto const& node : *arr) {
        auto const* pkg = node.as_table();
        if (!pkg) {
            error(out, path, line_of(node), "package: expected a table");
            continue;
        }
        auto name = string_at(*pkg, "name", out, path, "package", true);
        if (!name) continue;
        RequirementEntry e = package_entry(*name, path, line_of(*pkg));
        std::string const where = "package '" + e.name + "'";
        auto version = string_at(*pkg, "version", out, path, where);
        auto git = string_at(*pkg, "git", out, path, where);
        auto local = string_at(*pkg, "path", out, path, where);
        auto url = string_at(*pkg, "url", out, path, where);
        if (!version && !git && !local && !url) {
            error(out, path, line_of(*pkg), where + ": the key 'version' is missing");
            continue;
        }
        if (version && !pin(e, *version, out)) continue;
        e.extras = strings_at(*pkg, "extras", out, path, where);
        std::sort(e.extras.begin(), e.extras.end());
        e.groups = strings_at(*pkg, "groups", out, path, where);
        if (auto marker = string_at(*pkg, "marker", out, path, where))
            judge_marker(e, *marker, env, out);
        if (git) {
            std::string target = "git+" + *git;
            if (auto rev = string_at(*pkg, "revision", out, path, where)) target += "@" + *rev;
            not_polled(e, target, "git source");
        } else if (local) {
            e.editable = pkg->get("editable") && pkg->get("editable")->value_or(false);
            not_polled(e, *local, e.editable ? "editable local project" : "local path");
        } else if (url) {
            not_polled(e, *url, "direct URL");
        }
        set_direct(e, names);
        auto key = std::pair{e.name, e.pinned.value_or(e.url.value_or(""))};
        if (auto it = seen.find(key); it != seen.end()) {
            merge_into(out.entries[it->second], e);
            continue;
        }
        seen.emplace(key, out.entries.size());
        out.entries.push_back(std::move(e));
    }
    return out;
}

} // namespace pinwatch::packaging::locks::detail
