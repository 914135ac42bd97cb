// poetry.lock: [[package]] tables with name, version, groups (Poetry 2; `category` in 1.x),
// markers (a string, or since lock-version 2.1 a table of one marker per group) and an optional
// [package.source] (legacy = an index; git, directory, file, url = not polled).
#include "packaging/locks/detail.hpp"

namespace pinwatch::packaging::locks::detail {

namespace {

// Poetry 2.1's per-group markers: the package applies where any of its groups' markers holds,
// and a group without a marker applies everywhere.
void group_markers(RequirementEntry& e, toml::table const& markers, LockRead& out,
                   Environment const& env) {
    std::vector<std::string> groups = e.groups;
    if (groups.empty())
        for (auto const& [key, value] : markers)
            groups.emplace_back(key.str());
    bool everywhere = false;
    bool applies = false;
    std::string combined;
    for (auto const& group : groups) {
        toml::node const* m = markers.get(group);
        auto text = m ? m->value<std::string>() : std::nullopt;
        if (m && !text) {
            error(out, e.file, line_of(*m),
                  "package '" + e.name + "': markers." + group + ": expected a string");
            continue;
        }
        if (!text) {
            everywhere = true;
            continue;
        }
        RequirementEntry probe = e;
        if (!judge_marker(probe, *text, env, out)) continue;
        applies = applies || probe.applies;
        combined += (combined.empty() ? "(" : " or (") + *probe.marker + ")";
    }
    if (everywhere) {
        e.applies = true; // a group without a marker: no marker restricts it
        return;
    }
    e.applies = applies;
    if (!combined.empty()) {
        auto marker = Marker::parse_complete(combined);
        e.marker = marker ? marker->str() : combined;
    }
}

void source(RequirementEntry& e, toml::table const& src, LockRead& out) {
    std::string const where = "package '" + e.name + "': source";
    auto type = string_at(src, "type", out, e.file, where, true);
    auto url = string_at(src, "url", out, e.file, where, true);
    if (!type || !url) return;
    if (*type == "legacy") {
        e.index = *url;
    } else if (*type == "git") {
        std::string target = "git+" + *url;
        if (auto rev = string_at(src, "resolved_reference", out, e.file, where))
            target += "@" + *rev;
        not_polled(e, target, "git source");
    } else if (*type == "directory") {
        not_polled(e, *url, "local directory"); // `develop = true` makes it editable
    } else if (*type == "file") {
        not_polled(e, *url, "local file");
    } else if (*type == "url") {
        not_polled(e, *url, "direct URL");
    } else {
        error(out, e.file, line_of(src),
              where + ": unknown source type '" + *type +
                  "' (expected legacy, git, directory, file or url)");
    }
}

} // namespace

LockRead read_poetry(std::string_view bytes, std::string const& path,
                     std::optional<Manifest> const& manifest, Environment const& env) {
    LockRead out;
    auto names = direct_names(manifest, false, out);
    auto root = parse_toml(bytes, path, out);
    if (!root) return out;
    toml::node const* packages = root->get("package");
    if (!packages) return out; // a project without dependencies
    auto const* arr = packages->as_array();
    if (!arr) {
        error(out, path, line_of(*packages), "package: expected an array of tables");
        return out;
    }
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
        auto version = string_at(*pkg, "version", out, path, where, true);
        if (!version || !pin(e, *version, out)) continue;
        e.groups = strings_at(*pkg, "groups", out, path, where);
        if (e.groups.empty())
            if (auto category = string_at(*pkg, "category", out, path, where))
                e.groups.push_back(*category); // Poetry 1.x: "main" or "dev"
        if (toml::node const* markers = pkg->get("markers")) {
            if (auto text = markers->value<std::string>()) {
                judge_marker(e, *text, env, out);
            } else if (auto const* table = markers->as_table()) {
                group_markers(e, *table, out, env);
            } else {
                error(out, path, line_of(*markers),
                      where + ": markers: expected a string or a table of one per group");
            }
        }
        if (toml::node const* src = pkg->get("source")) {
            if (auto const* table = src->as_table()) {
                source(e, *table, out);
                if (e.reason == "local directory" && pkg->get("develop") &&
                    pkg->get("develop")->value_or(false)) {
                    e.editable = true;
                    e.reason = "editable local project";
                }
            } else {
                error(out, path, line_of(*src), where + ": source: expected a table");
            }
        }
        set_direct(e, names);
        out.entries.push_back(std::move(e));
    }
    return out;
}

} // namespace pinwatch::packaging::locks::detail
