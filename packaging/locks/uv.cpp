// uv.lock: [[package]] tables with name, version, source ({registry = URL} for an index; git,
// url, path, directory, editable, virtual otherwise), dependencies (edges naming a package,
// with a version and source where the name is locked more than once, and a marker), optional-
// and dev-dependencies, and resolution-markers on the packages a forked resolution locked
// more than once. The workspace members are the editable and virtual packages and
// [manifest] members: what they depend on (every group and extra) is direct.
#include "packaging/locks/detail.hpp"

#include "packaging/name.hpp"

#include <algorithm>
#include <deque>
#include <map>

namespace pinwatch::packaging::locks::detail {

namespace {

struct Edge {
    std::string name;
    std::optional<std::string> version;
    std::optional<std::string> marker; // normalised text
    bool holds = true;                 // the marker holds in the target environment
    std::vector<std::string> extras;   // the target's extras it asks for
};

struct Package {
    RequirementEntry entry;
    std::string version;
    bool member = false;
    std::vector<Edge> deps;                            // dependencies
    std::map<std::string, std::vector<Edge>> optional; // extra -> edges
    std::map<std::string, std::vector<Edge>> dev;      // group -> edges
    std::vector<std::string> resolution_markers;       // normalised
    bool resolution_holds = true;
};

class UvReader {
  public:
    UvReader(std::string const& path, Environment const& env, LockRead& out)
        : path_(path), env_(env), out_(out) {}

    void read(toml::table const& root) {
        std::vector<std::string> members;
        if (auto const* manifest = root.get_as<toml::table>("manifest"))
            for (auto const& m : strings_at(*manifest, "members", out_, path_, "manifest"))
                members.push_back(canonicalize_name(m));
        toml::node const* packages = root.get("package");
        if (!packages) return;
        auto const* arr = packages->as_array();
        if (!arr) {
            error(out_, path_, line_of(*packages), "package: expected an array of tables");
            return;
        }
        for (auto const& node : *arr) {
            auto const* pkg = node.as_table();
            if (!pkg) {
                error(out_, path_, line_of(node), "package: expected a table");
                continue;
            }
            package(*pkg);
        }
        for (std::size_t i = 0; i < packages_.size(); ++i) {
            auto& p = packages_[i];
            if (std::find(members.begin(), members.end(), p.entry.name) != members.end())
                p.member = true;
            by_name_[p.entry.name].push_back(i);
        }
        judge();
        for (auto& p : packages_)
            out_.entries.push_back(std::move(p.entry));
    }

  private:
    Edge edge(toml::node const& node, std::string const& where) {
        Edge e;
        auto const* t = node.as_table();
        if (!t) {
            error(out_, path_, line_of(node), where + ": expected a table");
            return e;
        }
        if (auto name = string_at(*t, "name", out_, path_, where, true))
            e.name = canonicalize_name(*name);
        e.version = string_at(*t, "version", out_, path_, where);
        e.extras = strings_at(*t, "extra", out_, path_, where);
        if (auto marker = string_at(*t, "marker", out_, path_, where)) {
            auto parsed = Marker::parse_complete(*marker);
            if (!parsed) {
                error(out_, path_, line_of(node),
                      where + ": invalid marker '" + *marker + "': " + parsed.error(),
                      RequirementsError::Kind::marker);
                return e;
            }
            e.marker = parsed->str();
            // uv writes its conflict markers as extras ("extra == 'extra-3-app-gpu'"): no
            // extra is being installed here, so such an edge cannot be judged and is followed.
            if (e.marker->find("extra") == std::string::npos) {
                Environment env = env_;
                env.extra = "";
                auto holds = parsed->evaluate(env);
                e.holds = !holds || *holds;
            }
        }
        return e;
    }

    std::vector<Edge> edges(toml::node const* node, std::string const& where) {
        std::vector<Edge> out;
        if (!node) return out;
        auto const* arr = node->as_array();
        if (!arr) {
            error(out_, path_, line_of(*node), where + ": expected an array of tables");
            return out;
        }
        for (auto const& item : *arr) {
            Edge e = edge(item, where);
            if (!e.name.empty()) out.push_back(std::move(e));
        }
        return out;
    }

    std::map<std::string, std::vector<Edge>> edge_table(toml::node const* node,
                                                        std::string const& where) {
        std::map<std::string, std::vector<Edge>> out;
        if (!node) return out;
        auto const* t = node->as_table();
        if (!t) {
            error(out_, path_, line_of(*node), where + ": expected a table");
            return out;
        }
        for (auto const& [key, value] : *t)
            out[std::string(key.str())] = edges(&value, where + "." + std::string(key.str()));
        return out;
    }

    void package(toml::table const& pkg) {
        auto name = string_at(pkg, "name", out_, path_, "package", true);
        if (!name) return;
        Package p;
        p.entry = package_entry(*name, path_, line_of(pkg));
        std::string const where = "package '" + p.entry.name + "'";
        auto const* source = pkg.get_as<toml::table>("source");
        if (!source) {
            error(out_, path_, line_of(pkg), where + ": the table 'source' is missing");
            return;
        }
        auto version = string_at(pkg, "version", out_, path_, where);
        if (version) p.version = *version;
        if (auto registry = string_at(*source, "registry", out_, path_, where + ".source")) {
            if (!version) {
                error(out_, path_, line_of(pkg), where + ": the key 'version' is missing");
                return;
            }
            if (!pin(p.entry, *version, out_)) return;
            if (registry->find("://") != std::string::npos) {
                p.entry.index = *registry;
            } else {
                not_polled(p.entry, *registry, "local registry (a folder of archives)");
            }
        } else if (auto git = string_at(*source, "git", out_, path_, where + ".source")) {
            not_polled(p.entry, "git+" + *git, "git source");
        } else if (auto url = string_at(*source, "url", out_, path_, where + ".source")) {
            not_polled(p.entry, *url, "direct URL");
        } else if (auto local = string_at(*source, "path", out_, path_, where + ".source")) {
            not_polled(p.entry, *local, "local path");
        } else if (auto dir = string_at(*source, "directory", out_, path_, where + ".source")) {
            not_polled(p.entry, *dir, "local directory");
        } else if (auto edit = string_at(*source, "editable", out_, path_, where + ".source")) {
            p.entry.editable = true;
            p.member = true;
            not_polled(p.entry, *edit, "editable workspace member");
        } else if (auto virt = string_at(*source, "virtual", out_, path_, where + ".source")) {
            p.member = true;
            not_polled(p.entry, *virt, "virtual workspace member");
        } else {
            error(out_, path_, line_of(*source),
                  where + ": source: expected registry, git, url, path, directory, editable or "
                          "virtual");
            return;
        }
        for (auto const& m : strings_at(pkg, "resolution-markers", out_, path_, where)) {
            auto parsed = Marker::parse_complete(m);
            if (!parsed) {
                error(out_, path_, line_of(pkg),
                      where + ": resolution-markers: invalid marker '" + m + "': " + parsed.error(),
                      RequirementsError::Kind::marker);
                continue;
            }
            p.resolution_markers.push_back(parsed->str());
        }
        if (!p.resolution_markers.empty()) {
            Environment env = env_;
            env.extra = "";
            p.resolution_holds = false;
            for (auto const& m : p.resolution_markers) {
                auto holds = Marker::parse_complete(m)->evaluate(env);
                if (!holds || *holds) p.resolution_holds = true;
            }
        }
        p.deps = edges(pkg.get("dependencies"), where + ".dependencies");
        p.optional = edge_table(pkg.get("optional-dependencies"), where + ".optional-dependencies");
        p.dev = edge_table(pkg.get("dev-dependencies"), where + ".dev-dependencies");
        packages_.push_back(std::move(p));
    }

    // The packages an edge names: the one with its version, or every one of its name.
    std::vector<std::size_t> targets(Edge const& e) const {
        std::vector<std::size_t> out;
        auto it = by_name_.find(e.name);
        if (it == by_name_.end()) return out;
        for (std::size_t i : it->second)
            if (!e.version || packages_[i].version == *e.version) out.push_back(i);
        if (out.empty()) out = it->second;
        return out;
    }

    // Every edge out of a package: its dependencies, and those of the extras `extras` (all of
    // them and its dev groups too for a member).
    std::vector<Edge const*> out_edges(std::size_t i,
                                       std::vector<std::string> const& extras) const {
        Package const& p = packages_[i];
        std::vector<Edge const*> out;
        for (auto const& e : p.deps)
            out.push_back(&e);
        for (auto const& [extra, es] : p.optional)
            if (p.member || std::find_if(extras.begin(), extras.end(), [&](std::string const& x) {
                                return canonicalize_name(x) == canonicalize_name(extra);
                            }) != extras.end())
                for (auto const& e : es)
                    out.push_back(&e);
        if (p.member)
            for (auto const& [group, es] : p.dev)
                for (auto const& e : es)
                    out.push_back(&e);
        return out;
    }

    // Walks the edges from `start` (following only edges that hold when `holding`), calling
    // visit(target, edge) once per edge taken.
    template <class Visit>
    void walk(std::vector<std::pair<std::size_t, std::vector<std::string>>> start, bool holding,
              Visit visit) const {
        std::vector<bool> seen(packages_.size(), false);
        std::deque<std::pair<std::size_t, std::vector<std::string>>> queue(start.begin(),
                                                                           start.end());
        for (auto const& s : start)
            seen[s.first] = true;
        std::set<std::pair<std::size_t, std::string>> extras_seen;
        while (!queue.empty()) {
            auto [i, extras] = std::move(queue.front());
            queue.pop_front();
            for (Edge const* e : out_edges(i, extras)) {
                if (holding && !e->holds) continue;
                for (std::size_t t : targets(*e)) {
                    visit(t, *e);
                    bool fresh = !seen[t];
                    for (auto const& x : e->extras)
                        fresh = extras_seen.insert({t, canonicalize_name(x)}).second || fresh;
                    if (!fresh) continue;
                    seen[t] = true;
                    queue.emplace_back(t, e->extras);
                }
            }
        }
    }

    void judge() {
        std::vector<std::pair<std::size_t, std::vector<std::string>>> members;
        for (std::size_t i = 0; i < packages_.size(); ++i)
            if (packages_[i].member) members.emplace_back(i, std::vector<std::string>{});

        // direct: the members, and what they name in any group or extra.
        for (auto const& [i, _] : members) {
            packages_[i].entry.direct = true;
            for (Edge const* e : out_edges(i, {}))
                for (std::size_t t : targets(*e))
                    packages_[t].entry.direct = true;
        }
        for (auto& p : packages_)
            if (!p.entry.direct && !members.empty()) p.entry.direct = false;

        // groups: the members' dependency groups each package is reached from.
        for (auto const& [i, _] : members) {
            for (auto const& [group, es] : packages_[i].dev) {
                std::string const g = canonicalize_name(group);
                std::vector<std::pair<std::size_t, std::vector<std::string>>> start;
                for (auto const& e : es)
                    for (std::size_t t : targets(e))
                        start.emplace_back(t, e.extras);
                auto add = [&](std::size_t t) {
                    auto& groups = packages_[t].entry.groups;
                    if (std::find(groups.begin(), groups.end(), g) == groups.end())
                        groups.push_back(g);
                };
                for (auto const& s : start)
                    add(s.first);
                walk(start, false, [&](std::size_t t, Edge const&) { add(t); });
            }
        }
        for (auto& p : packages_)
            std::sort(p.entry.groups.begin(), p.entry.groups.end());

        // applies: reached from a member through edges whose markers hold, and one of the
        // package's resolution-markers holds. The marker shown: its resolution-markers, else
        // the markers on the edges into it when every such edge has one.
        std::vector<bool> reached(packages_.size(), members.empty());
        std::vector<std::vector<std::string>> incoming(packages_.size());
        std::vector<bool> unconditional(packages_.size(), false);
        for (auto const& [i, _] : members)
            reached[i] = true;
        walk(members, true, [&](std::size_t t, Edge const&) { reached[t] = true; });
        walk(members, false, [&](std::size_t t, Edge const& e) {
            if (!e.marker) {
                unconditional[t] = true;
            } else if (std::find(incoming[t].begin(), incoming[t].end(), *e.marker) ==
                       incoming[t].end()) {
                incoming[t].push_back(*e.marker);
            }
        });
        for (std::size_t i = 0; i < packages_.size(); ++i) {
            Package& p = packages_[i];
            p.entry.applies = reached[i] && p.resolution_holds;
            std::vector<std::string> const& shown =
                !p.resolution_markers.empty()  ? p.resolution_markers
                : unconditional[i] || p.member ? std::vector<std::string>{}
                                               : incoming[i];
            if (shown.empty()) continue;
            std::string combined;
            for (auto const& m : shown)
                combined += (combined.empty() ? "(" : " or (") + m + ")";
            auto marker = Marker::parse_complete(combined);
            p.entry.marker = marker ? marker->str() : combined;
        }
    }

    std::string const& path_;
    Environment const& env_;
    LockRead& out_;
    std::vector<Package> packages_;
    std::map<std::string, std::vector<std::size_t>> by_name_;
};

} // namespace

LockRead read_uv(std::string_view bytes, std::string const& path, Environment const& env) {
    LockRead out;
    auto root = parse_toml(bytes, path, out);
    if (!root) return out;
    UvReader(path, env, out).read(*root);
    return out;
}

} // namespace pinwatch::packaging::locks::detail
