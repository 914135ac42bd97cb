#include "config/pyproject.hpp"

#include "config/files.hpp"

#include "packaging/name.hpp"
#include "packaging/requirement.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <map>
#include <set>

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

    struct GroupItem {
        bool include = false;
        std::string text; // the requirement, or the included group as written
        int line = 0;
    };

    void dependency_groups(toml::node const& node) {
        auto const* table = node.as_table();
        if (!table) {
            error(line_of(node),
                  "dependency-groups: expected a table of group = [...], found " + type_name(node));
            return;
        }
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
            std::vector<GroupItem>& items = groups_[normal];
            for (auto const& item : *arr) {
                if (auto const* inc = item.as_table()) {
                    toml::node const* target = inc->get("include-group");
                    if (!target || inc->size() != 1 || !target->is_string()) {
                        error(line_of(item), where + ": expected {include-group = \"<group>\"} "
                                                     "(one key, a string)");
                        continue;
                    }
                    items.push_back({true, *target->value<std::string>(), line_of(item)});
                } else if (item.is_string()) {
                    items.push_back({false, *item.value<std::string>(), line_of(item)});
                    requirement(item, "dependency-groups", normal, where);
                } else {
                    error(line_of(item), where +
                                             ": expected a requirement string or "
                                             "{include-group = \"...\"}, found " +
                                             type_name(item));
                }
            }
        }
        // Resolve every group; an include is reported once, where it is written.
        for (auto const& [group, items] : groups_) {
            std::vector<std::string> resolved;
            std::vector<std::string> chain{group};
            resolve(group, chain, resolved);
            out_.dependency_groups[group] = std::move(resolved);
        }
    }

  private:
    void resolve(std::string const& group, std::vector<std::string>& chain,
                 std::vector<std::string>& out) {
        for (GroupItem const& item : groups_[group]) {
            if (!item.include) {
                out.push_back(item.text);
                continue;
            }
            std::string target = packaging::canonicalize_name(item.text);
            std::string where = "dependency-groups." + group;
            if (!groups_.count(target)) {
                report_once(item.line, where + ": include-group '" + item.text +
                                           "' names no group in [dependency-groups]");
                continue;
            }
            if (std::find(chain.begin(), chain.end(), target) != chain.end()) {
                std::string path;
                for (auto const& c : chain)
                    path += c + " -> ";
                report_once(item.line, where + ": include-group '" + item.text +
                                           "' makes a cycle (" + path + target + ")");
                continue;
            }
            chain.push_back(target);
            resolve(target, chain, out);
            chain.pop_back();
        }
    }

    // Resolving every group walks shared includes more than once; say each problem once.
    void report_once(int line, std::string message) {
        if (reported_.insert(std::to_string(line) + message).second)
            error(line, std::move(message));
    }

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
    std::map<std::string, std::vector<GroupItem>> groups_;
    std::set<std::string> reported_;
};

} // namespace

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
