#include "config/pyproject.hpp"

#include "config/files.hpp"

#include "packaging/name.hpp"
#include "packaging/requirement.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <deque>
#include <map>
#include <stdexcept>

namespace pinwatch::config {

namespace {

int line_of(toml::node const& n) {
    return static_cast<int>(n.source().begin.line);
}

// toml::table iterates in key order; users think in file order (and "the second spelling of a
// name is the duplicate" only makes sense in file order).
std::vector<std::pair<std::string, toml::node const*>> in_file_order(toml::table const& t) {
    std::vector<std::pair<std::string, toml::node const*>> items;
    for (auto const& [key, value] : t)
        items.emplace_back(std::string(key.str()), &value);
    std::stable_sort(items.begin(), items.end(), [](auto const& a, auto const& b) {
        auto const& sa = a.second->source().begin;
        auto const& sb = b.second->source().begin;
        return sa.line != sb.line ? sa.line < sb.line : sa.column < sb.column;
    });
    return items;
}

class Reader {
  public:
    Reader(std::string const& path, packaging::Environment const& env, PyprojectDependencies& out)
        : path_(path), env_(env), out_(out) {}

    void error(int line, std::string message) {
        out_.errors.push_back({path_, line, std::move(message)});
    }

    // One PEP 508 string at `node`.
    void requirement(toml::node const& node, std::string const& section,
                     std::optional<std::string> const& group, std::string const& where) {
        auto text = node.value<std::string>();
        if (!text) {
            error(line_of(node),
                  where + ": expected a PEP 508 requirement string, found " + type_name(node));
            return;
        }
        packaging::RequirementEntry e;
        e.text = *text;
        e.file = path_;
        e.line = line_of(node);
        e.section = section;
        e.group = group;
        e.direct = true; // the project's own metadata asks for it
        if (section == "dependency-groups" && group) e.groups = {*group};
        auto req = packaging::Requirement::parse(*text);
        if (!req) {
            error(e.line, where + ": invalid requirement '" + *text + "': " + req.error());
            return;
        }
        packaging::Environment env = env_;
        env.extra = section == "project.optional-dependencies" && group ? *group : "";
        if (auto ok = packaging::describe_requirement(*req, env, e); !ok) {
            error(e.line, where + ": " + ok.error());
            return;
        }
        out_.entries.push_back(std::move(e));
    }

    void project(toml::table const& project) {
        if (toml::node const* deps = project.get("dependencies")) {
            if (auto const* arr = deps->as_array()) {
                for (auto const& item : *arr)
                    requirement(item, "project.dependencies", std::nullopt, "project.dependencies");
            } else {
                error(line_of(*deps), "project.dependencies: expected an array of requirement "
                                      "strings, found " +
                                          type_name(*deps));
            }
        }
        toml::node const* optional = project.get("optional-dependencies");
        if (!optional) return;
        auto const* table = optional->as_table();
        if (!table) {
            error(line_of(*optional), "project.optional-dependencies: expected a table of "
                                      "extra = [requirements], found " +
                                          type_name(*optional));
            return;
        }
        std::map<std::string, std::string> seen; // normalised -> as written
        for (auto const& [extra, node] : in_file_order(*table)) {
            toml::node const& value = *node;
            std::string where = "project.optional-dependencies." + extra;
            std::string normal = packaging::canonicalize_name(extra);
            if (!packaging::is_valid_name(extra))
                error(line_of(value), where + ": '" + extra +
                                          "' is not a valid extra name "
                                          "(letters, digits, '-', '_', '.')");
            if (auto [it, fresh] = seen.emplace(normal, extra); !fresh)
                error(line_of(value), where + ": extra '" + extra + "' is the same as '" +
                                          it->second + "' once normalised (PEP 685)");
            auto const* arr = value.as_array();
            if (!arr) {
                error(line_of(value), where +
                                          ": expected an array of requirement strings, "
                                          "found " +
                                          type_name(value));
                continue;
            }
            for (auto const& item : *arr)
                requirement(item, "project.optional-dependencies", normal, where);
        }
    }

    void dependency_groups(toml::node const& node) {
        auto const* table = node.as_table();
        if (!table) {
            error(line_of(node),
                  "dependency-groups: expected a table of group = [...], found " + type_name(node));
            return;
        }
        DependencyGroups& groups = out_.dependency_groups;
        std::map<std::string, std::string> written; // normalised -> as written
        for (auto const& [name, node] : in_file_order(*table)) {
            toml::node const& value = *node;
            std::string where = "dependency-groups." + name;
            std::string normal = packaging::canonicalize_name(name);
            if (!packaging::is_valid_name(name))
                error(line_of(value), where + ": '" + name +
                                          "' is not a valid group name "
                                          "(letters, digits, '-', '_', '.')");
            if (auto [it, fresh] = written.emplace(normal, name); !fresh) {
                error(line_of(value), where + ": group '" + name + "' is the same as '" +
                                          it->second + "' once normalised (PEP 735)");
                continue;
            }
            auto const* arr = value.as_array();
            if (!arr) {
                error(line_of(value), where +
                                          ": expected an array of requirement strings and "
                                          "{include-group = \"...\"} tables, found " +
                                          type_name(value));
                continue;
            }
            groups.add_group(normal, name);
            for (auto const& item : *arr) {
                if (auto const* inc = item.as_table()) {
                    toml::node const* target = inc->get("include-group");
                    if (!target || inc->size() != 1 || !target->is_string()) {
                        error(line_of(item), where + ": expected {include-group = \"<group>\"} "
                                                     "(one key, a string)");
                        continue;
                    }
                    groups.add_include(*target->value<std::string>(), line_of(item));
                } else if (item.is_string()) {
                    groups.add_requirement(*item.value<std::string>());
                    requirement(item, "dependency-groups", normal, where);
                } else {
                    error(line_of(item), where +
                                             ": expected a requirement string or "
                                             "{include-group = \"...\"}, found " +
                                             type_name(item));
                }
            }
        }
        // The include graph only: unknown groups and cycles. Nothing is expanded here.
        for (auto& problem : groups.link(path_))
            out_.errors.push_back(std::move(problem));
    }

  private:
    static std::string type_name(toml::node const& n) {
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
        case toml::node_type::date:
        case toml::node_type::time:
        case toml::node_type::date_time:
            return "a date/time";
        case toml::node_type::none:
            break;
        }
        return "nothing";
    }

    std::string const& path_;
    packaging::Environment const& env_;
    PyprojectDependencies& out_;
};

} // namespace

void DependencyGroups::add_group(std::string normalised, std::string written) {
    by_name_.emplace(normalised, groups_.size());
    groups_.push_back(Group{std::move(normalised), std::move(written), {}, 0});
}

void DependencyGroups::add_requirement(std::string text) {
    Item item;
    item.text = std::move(text);
    groups_.back().items.push_back(std::move(item));
}

void DependencyGroups::add_include(std::string written, int line) {
    Item item;
    item.include = true;
    item.text = std::move(written);
    item.line = line;
    groups_.back().items.push_back(std::move(item));
}

bool DependencyGroups::contains(std::string_view name) const {
    return find(name).has_value();
}

std::vector<std::string> DependencyGroups::names() const {
    std::vector<std::string> out;
    out.reserve(by_name_.size());
    for (auto const& [name, index] : by_name_)
        out.push_back(name);
    return out;
}

Result<std::size_t> DependencyGroups::find(std::string_view name) const {
    if (auto it = by_name_.find(packaging::canonicalize_name(std::string(name)));
        it != by_name_.end())
        return it->second;
    return fail("no group '" + std::string(name) + "' in [dependency-groups]");
}

// A shortest way from `from` back round to `to` inside their strongly connected component
// (breadth-first), as group indices: from, ..., to.
std::vector<std::size_t> DependencyGroups::cycle_path(std::size_t from, std::size_t to,
                                                      std::vector<long> const& component) const {
    std::vector<long> parent(groups_.size(), -2);
    std::deque<std::size_t> queue{from};
    parent[from] = -1;
    while (!queue.empty() && parent[to] == -2) {
        std::size_t const g = queue.front();
        queue.pop_front();
        for (Item const& item : groups_[g].items) {
            if (!item.include || item.target < 0) continue;
            auto const next = static_cast<std::size_t>(item.target);
            if (parent[next] != -2 || component[next] != component[from]) continue;
            parent[next] = static_cast<long>(g);
            queue.push_back(next);
        }
    }
    std::vector<std::size_t> path;
    for (long at = static_cast<long>(to); at >= 0 && path.size() <= groups_.size();
         at = parent[static_cast<std::size_t>(at)])
        path.push_back(static_cast<std::size_t>(at));
    std::reverse(path.begin(), path.end());
    return path;
}

std::vector<PyprojectError> DependencyGroups::link(std::string const& path) {
    std::vector<PyprojectError> problems;
    resolve_includes(path, problems);
    report_cycles(path, walk_components(), problems);
    std::stable_sort(problems.begin(), problems.end(),
                     [](auto const& a, auto const& b) { return a.line < b.line; });
    return problems;
}

// Each include pointed at its group; one that names no group is a problem.
void DependencyGroups::resolve_includes(std::string const& path,
                                        std::vector<PyprojectError>& problems) {
    for (Group& g : groups_) {
        for (Item& item : g.items) {
            if (!item.include) continue;
            if (auto target = find(item.text)) {
                item.target = static_cast<long>(*target);
            } else {
                problems.push_back({path, item.line,
                                    "dependency-groups." + g.written + ": include-group '" +
                                        item.text + "' names no group in [dependency-groups]"});
            }
        }
    }
}

// Strings in a group's expansion (at most kMaxExpanded + 1), once its includes' are known.
std::size_t DependencyGroups::expansion_size(Group const& group) const {
    std::size_t size = 0;
    for (Item const& item : group.items) {
        if (!item.include)
            ++size;
        else if (item.target >= 0 && !item.cut)
            size += groups_[static_cast<std::size_t>(item.target)].expanded;
        size = std::min(size, kMaxExpanded + 1);
    }
    return size;
}

// Tarjan's strongly connected components, iteratively (a chain of groups thousands deep must
// not exhaust the stack), groups and items in file order. An include that reaches a group still
// being walked closes a cycle: it is cut, which leaves a DAG to expand. Each group's expansion
// size is known once its walk ends (its includes ended before it). The component of each group.
std::vector<long> DependencyGroups::walk_components() {
    std::size_t const n = groups_.size();
    constexpr long kUnseen = -1;
    std::vector<long> order(n, kUnseen), low(n, 0), component(n, kUnseen);
    std::vector<bool> walking(n, false), on_stack(n, false);
    std::vector<std::size_t> stack;
    struct Frame {
        std::size_t group;
        std::size_t next = 0;
    };
    std::vector<Frame> frames;
    long counter = 0, components = 0;
    auto const enter = [&](std::size_t g) {
        order[g] = low[g] = counter++;
        walking[g] = on_stack[g] = true;
        stack.push_back(g);
        frames.push_back(Frame{g});
    };
    for (std::size_t root = 0; root < n; ++root) {
        if (order[root] != kUnseen) continue;
        enter(root);
        while (!frames.empty()) {
            std::size_t const g = frames.back().group;
            auto& items = groups_[g].items;
            if (frames.back().next < items.size()) {
                Item& item = items[frames.back().next++];
                if (!item.include || item.target < 0) continue;
                auto const t = static_cast<std::size_t>(item.target);
                if (order[t] == kUnseen) {
                    enter(t);
                    continue;
                }
                if (walking[t]) item.cut = true;
                if (on_stack[t]) low[g] = std::min(low[g], order[t]);
                continue;
            }
            // Every include of g is walked: its size, then its component if it is a root.
            groups_[g].expanded = expansion_size(groups_[g]);
            walking[g] = false;
            if (low[g] == order[g]) {
                std::size_t member;
                do {
                    member = stack.back();
                    stack.pop_back();
                    on_stack[member] = false;
                    component[member] = components;
                } while (member != g);
                ++components;
            }
            frames.pop_back();
            if (!frames.empty()) {
                std::size_t const parent = frames.back().group;
                low[parent] = std::min(low[parent], low[g]);
            }
        }
    }
    return component;
}

// Every include inside one component lies on a cycle; each is reported where it is written,
// with a way round ("b -> a -> b" for a -> b in a = [b], b = [a]). Cutting only the includes
// that closed a cycle in the walk keeps the rest of each group usable.
void DependencyGroups::report_cycles(std::string const& path, std::vector<long> const& component,
                                     std::vector<PyprojectError>& problems) const {
    std::size_t reported = 0, more = 0;
    int last_line = 0;
    for (std::size_t from = 0; from < groups_.size(); ++from) {
        Group const& g = groups_[from];
        for (Item const& item : g.items) {
            if (!item.include || item.target < 0) continue;
            auto const to = static_cast<std::size_t>(item.target);
            if (component[from] != component[to]) continue;
            if (reported == kMaxCycleReports) {
                ++more;
                last_line = std::max(last_line, item.line);
                continue;
            }
            ++reported;
            std::vector<std::size_t> way = cycle_path(to, from, component);
            way.push_back(to);
            problems.push_back({path, item.line,
                                "dependency-groups." + g.written + ": include-group '" + item.text +
                                    "' makes a cycle (" + way_text(way) + ")"});
        }
    }
    if (more > 0)
        problems.push_back({path, last_line,
                            "dependency-groups: " + std::to_string(more) +
                                " more include-group entries make cycles (the first " +
                                std::to_string(kMaxCycleReports) + " are reported)"});
}

// "a -> b -> a", a long way with its middle elided.
std::string DependencyGroups::way_text(std::vector<std::size_t> const& way) const {
    std::string shown;
    constexpr std::size_t kShown = 10, kEnds = 4;
    for (std::size_t i = 0; i < way.size(); ++i) {
        if (way.size() > kShown && i == kEnds) {
            shown += " -> ... (" + std::to_string(way.size() - 2 * kEnds) + " more)";
            i = way.size() - kEnds - 1;
            continue;
        }
        shown += (i ? " -> " : "") + groups_[way[i]].name;
    }
    return shown;
}

Result<std::vector<std::string> const*> DependencyGroups::expanded(std::string_view name) const {
    auto const found = find(name);
    if (!found) return fail(found.error());
    std::size_t const root = *found;
    if (auto it = expansions_.find(root); it != expansions_.end()) return &it->second;
    Group const& group = groups_[root];
    if (group.expanded > kMaxExpanded)
        return fail("dependency group '" + group.name + "' expands to more than " +
                    std::to_string(kMaxExpanded) + " requirements");
    // Depth first, each include in place; groups that add nothing are not entered (a tower of
    // empty groups included twice each would otherwise take 2^depth steps).
    std::vector<std::string> out;
    out.reserve(group.expanded);
    struct Frame {
        std::size_t group;
        std::size_t next = 0;
    };
    std::vector<Frame> frames{Frame{root}};
    std::size_t followed = 0;
    while (!frames.empty()) {
        Frame& f = frames.back();
        auto const& items = groups_[f.group].items;
        if (f.next == items.size()) {
            frames.pop_back();
            continue;
        }
        Item const& item = items[f.next++];
        if (!item.include) {
            out.push_back(item.text);
            continue;
        }
        if (item.target < 0 || item.cut) continue;
        auto const t = static_cast<std::size_t>(item.target);
        if (groups_[t].expanded == 0) continue;
        if (++followed > kMaxIncludesFollowed)
            return fail("dependency group '" + group.name + "' includes groups more than " +
                        std::to_string(kMaxIncludesFollowed) + " times over");
        frames.push_back(Frame{t}); // f is not used after this
    }
    return &expansions_.emplace(root, std::move(out)).first->second;
}

Result<std::vector<std::string>> DependencyGroups::expand(std::string_view name) const {
    auto const got = expanded(name);
    if (!got) return fail(got.error());
    return **got;
}

std::vector<std::string> const& DependencyGroups::at(std::string_view name) const {
    if (!contains(name)) throw std::out_of_range(find(name).error());
    auto const got = expanded(name);
    if (!got) throw std::length_error(got.error());
    return **got;
}

PyprojectDependencies parse_pyproject(std::string_view text, std::string const& path,
                                      packaging::Environment const& env) {
    PyprojectDependencies out;
    toml::table root;
    try {
        root = toml::parse(text, path);
    } catch (toml::parse_error const& e) {
        out.errors.push_back({path, static_cast<int>(e.source().begin.line),
                              "not valid TOML: " + std::string(e.description())});
        return out;
    }
    Reader reader(path, env, out);
    if (toml::node const* project = root.get("project")) {
        if (auto const* table = project->as_table()) {
            reader.project(*table);
        } else {
            reader.error(line_of(*project), "project: expected a table");
        }
    }
    if (toml::node const* groups = root.get("dependency-groups")) reader.dependency_groups(*groups);
    // File order across sections too ([dependency-groups] may come before [project]).
    std::stable_sort(out.entries.begin(), out.entries.end(),
                     [](auto const& a, auto const& b) { return a.line < b.line; });
    return out;
}

PyprojectDependencies read_pyproject(std::string const& path, packaging::Environment const& env) {
    auto text = read_regular_file(path);
    if (!text) {
        PyprojectDependencies out;
        out.errors.push_back({path, 0, "cannot open: " + text.error()});
        return out;
    }
    return parse_pyproject(*text, path, env);
}

} // namespace pinwatch::config
