#include "config/changes.hpp"

#include "common/text.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace pinwatch::config {
namespace {

using model::RuleOverrides;
using model::Rules;
using model::UpdateType;

std::string join(std::vector<std::string> const& items, std::string const& none) {
    if (items.empty()) return none;
    std::string out;
    for (auto const& i : items)
        out += (out.empty() ? "" : ", ") + sanitize_text(i);
    return out;
}

std::string types_text(std::set<UpdateType> const& types) {
    std::vector<std::string> names;
    for (auto t : types)
        names.push_back(model::to_string(t));
    return join(names, "all");
}

std::string kinds_text(std::set<model::EventKind> const& kinds) {
    std::vector<std::string> names;
    for (auto k : kinds)
        names.push_back(model::to_string(k));
    return join(names, "all");
}

std::string seconds(std::chrono::seconds s) {
    return std::to_string(s.count()) + " s";
}

std::string pre_text(std::optional<bool> pre) {
    return pre ? (*pre ? "true" : "false") : "unset";
}

// "+ a.txt, - b.txt": what a list of files gained and lost.
std::string file_changes(std::vector<std::string> const& before,
                         std::vector<std::string> const& after) {
    std::set<std::string> const b(before.begin(), before.end()), a(after.begin(), after.end());
    std::vector<std::string> parts;
    // An https:// file's URL may carry a password: it is said without its userinfo.
    for (auto const& f : a)
        if (!b.count(f)) parts.push_back("+ " + redact_url_queries(redact_credentials(f)));
    for (auto const& f : b)
        if (!a.count(f)) parts.push_back("- " + redact_url_queries(redact_credentials(f)));
    return parts.empty() ? "order changed" : join(parts, "");
}

void rules_changes(std::string const& where, Rules const& b, Rules const& a,
                   std::vector<std::string>& out) {
    if (b.update_types != a.update_types)
        out.push_back(where + "update_types " + types_text(a.update_types) + " (was " +
                      types_text(b.update_types) + ")");
    if (b.pre != a.pre)
        out.push_back(where + "pre " + pre_text(a.pre) + " (was " + pre_text(b.pre) + ")");
    if (b.min_release_age != a.min_release_age)
        out.push_back(where + "min_release_age " + std::to_string(a.min_release_age) + " s (was " +
                      std::to_string(b.min_release_age) + " s)");
    if (b.ignore != a.ignore)
        out.push_back(where + "ignore " + join(a.ignore, "none") + " (was " +
                      join(b.ignore, "none") + ")");
}

// A [packages.<name>] table as the rules it sets over an empty base, so two tables compare by
// what they say.
bool same_overrides(RuleOverrides const& b, RuleOverrides const& a) {
    return b.update_types == a.update_types && b.pre == a.pre &&
           b.min_release_age == a.min_release_age && b.ignore == a.ignore;
}

void package_rule_changes(Config const& before, Config const& after,
                          std::vector<std::string>& out) {
    for (auto const& [name, rules] : after.packages) {
        auto const it = before.packages.find(name);
        std::string const where = "[packages." + sanitize_text(name) + "] ";
        if (it == before.packages.end())
            out.push_back(where + "added");
        else if (!same_overrides(it->second, rules))
            rules_changes(where, it->second.over(Rules{}), rules.over(Rules{}), out);
    }
    for (auto const& [name, rules] : before.packages)
        if (!after.packages.count(name))
            out.push_back("[packages." + sanitize_text(name) + "] removed");
}

void interval_changes(Config const& before, Config const& after, std::vector<std::string>& out) {
    if (before.interval != after.interval)
        out.push_back("interval " + seconds(after.interval) + " (was " + seconds(before.interval) +
                      ")");
    if (before.jitter != after.jitter)
        out.push_back("jitter " + std::to_string(after.jitter) + " (was " +
                      std::to_string(before.jitter) + ")");
    if (before.vulnerability_interval != after.vulnerability_interval)
        out.push_back("vulnerability_interval " + seconds(after.vulnerability_interval) + " (was " +
                      seconds(before.vulnerability_interval) + ")");
    for (auto const& [name, every] : after.intervals) {
        auto const it = before.intervals.find(name);
        if (it == before.intervals.end() || it->second != every)
            out.push_back(
                "[intervals] " + sanitize_text(name) + " " + seconds(every) +
                (it == before.intervals.end() ? "" : " (was " + seconds(it->second) + ")"));
    }
    for (auto const& [name, every] : before.intervals)
        if (!after.intervals.count(name))
            out.push_back("[intervals] " + sanitize_text(name) + " removed (was " + seconds(every) +
                          ")");
}

NotifierConfig const* find_notifier(Config const& c, std::string const& name) {
    auto const it = std::find_if(c.notifiers.begin(), c.notifiers.end(),
                                 [&](NotifierConfig const& n) { return n.name == name; });
    return it == c.notifiers.end() ? nullptr : &*it;
}

// What decides which events a notifier gets and when: its route, max_age and batch_window.
void route_changes(NotifierConfig const& b, NotifierConfig const& a,
                   std::vector<std::string>& out) {
    std::string const where = "notifier " + sanitize_text(a.name) + ": ";
    if (b.route.events != a.route.events)
        out.push_back(where + "events " + kinds_text(a.route.events) + " (was " +
                      kinds_text(b.route.events) + ")");
    if (b.route.packages != a.route.packages)
        out.push_back(where + "packages " + join(a.route.packages, "all") + " (was " +
                      join(b.route.packages, "all") + ")");
    if (b.route.update_types != a.route.update_types)
        out.push_back(where + "update_types " + types_text(a.route.update_types) + " (was " +
                      types_text(b.route.update_types) + ")");
    auto const digest = [](NotifierConfig const& n) {
        return n.route.digest ? n.route.digest->str() : std::string("none");
    };
    if (digest(b) != digest(a))
        out.push_back(where + "digest " + digest(a) + " (was " + digest(b) + ")");
    auto const age = [](NotifierConfig const& n) {
        return n.max_age ? seconds(*n.max_age) : std::string("default");
    };
    if (age(b) != age(a)) out.push_back(where + "max_age " + age(a) + " (was " + age(b) + ")");
    if (b.batch_window != a.batch_window)
        out.push_back(where + "batch_window " + seconds(a.batch_window) + " (was " +
                      seconds(b.batch_window) + ")");
}

void notifier_changes(Config const& before, Config const& after, std::vector<std::string>& out) {
    if (before.console != after.console)
        out.push_back(std::string("console notifier ") + (after.console ? "on" : "off"));
    for (auto const& n : after.notifiers) {
        auto const* old = find_notifier(before, n.name);
        if (!old)
            out.push_back("notifier " + sanitize_text(n.name) + " (" + n.type + ") added");
        else if (old->type != n.type)
            out.push_back("notifier " + sanitize_text(n.name) + " changed from " + old->type +
                          " to " + n.type);
        else
            route_changes(*old, n, out);
    }
    for (auto const& n : before.notifiers)
        if (!find_notifier(after, n.name))
            out.push_back("notifier " + sanitize_text(n.name) + " (" + n.type + ") removed");
}

std::string notifiers_text(std::optional<std::vector<std::string>> const& names) {
    return names ? join(*names, "none") : std::string("every notifier");
}

ProjectConfig const* find_project(std::vector<ProjectConfig> const& list, std::string const& name) {
    auto const it = std::find_if(list.begin(), list.end(),
                                 [&](ProjectConfig const& p) { return p.name == name; });
    return it == list.end() ? nullptr : &*it;
}

// [projects.<name>]: added, removed, or what changed in one (files, routing, transitive, ...).
void project_changes(Config const& before, Config const& after, std::vector<std::string>& out) {
    if (before.files_interval != after.files_interval)
        out.push_back("[projects] files_interval " + seconds(after.files_interval) + " (was " +
                      seconds(before.files_interval) + ")");
    for (auto const& p : after.projects) {
        std::string const where = "project " + sanitize_text(p.name) + ": ";
        auto const* old = find_project(before.projects, p.name);
        if (!old) {
            out.push_back("project " + sanitize_text(p.name) + " added (" +
                          std::to_string(p.files.size()) + " file(s))");
            continue;
        }
        if (old->files != p.files)
            out.push_back(where + "files " + file_changes(old->files, p.files));
        if (old->notifiers != p.notifiers)
            out.push_back(where + "notifiers " + notifiers_text(p.notifiers) + " (was " +
                          notifiers_text(old->notifiers) + ")");
        if (old->transitive != p.transitive)
            out.push_back(where + "transitive " + model::to_string(p.transitive) + " (was " +
                          model::to_string(old->transitive) + ")");
        if (old->python_version != p.python_version)
            out.push_back(where + "python_version " +
                          sanitize_text(p.python_version.value_or("global")) + " (was " +
                          sanitize_text(old->python_version.value_or("global")) + ")");
        if (old->index_url != p.index_url) out.push_back(where + "index_url changed");
        for (auto const& [name, rules] : p.packages) {
            auto const it = old->packages.find(name);
            std::string const table =
                "[projects." + sanitize_text(p.name) + ".packages." + sanitize_text(name) + "] ";
            if (it == old->packages.end())
                out.push_back(table + "added");
            else if (!same_overrides(it->second, rules))
                rules_changes(table, it->second.over(Rules{}), rules.over(Rules{}), out);
        }
        for (auto const& [name, rules] : old->packages)
            if (!p.packages.count(name))
                out.push_back("[projects." + sanitize_text(p.name) + ".packages." +
                              sanitize_text(name) + "] removed");
    }
    for (auto const& p : before.projects)
        if (!find_project(after.projects, p.name))
            out.push_back("project " + sanitize_text(p.name) + " removed");
}

} // namespace

std::vector<std::string> config_changes(Config const& before, Config const& after) {
    std::vector<std::string> out;
    if (before.requirements != after.requirements)
        out.push_back("requirements " + file_changes(before.requirements, after.requirements));
    if (before.pyproject != after.pyproject)
        out.push_back("pyproject " + file_changes(before.pyproject, after.pyproject));
    // An index URL may carry a password: say that it changed, not what it is.
    if (before.index_url != after.index_url) out.push_back("index_url changed");
    if (before.python_version != after.python_version)
        out.push_back("python_version " + sanitize_text(after.python_version.value_or("native")) +
                      " (was " + sanitize_text(before.python_version.value_or("native")) + ")");
    if (before.pre != after.pre)
        out.push_back(std::string("pre ") + (after.pre ? "true" : "false"));
    if (before.failing_after != after.failing_after)
        out.push_back("failing_after " + std::to_string(after.failing_after) + " (was " +
                      std::to_string(before.failing_after) + ")");
    interval_changes(before, after, out);
    rules_changes("", before.rules, after.rules, out);
    package_rule_changes(before, after, out);
    project_changes(before, after, out);
    notifier_changes(before, after, out);
    if (before.state_keep != after.state_keep)
        out.push_back("[state] keep " + seconds(after.state_keep) + " (was " +
                      seconds(before.state_keep) + ")");
    if (before.http.max_in_flight_per_host != after.http.max_in_flight_per_host)
        out.push_back("[http] max_in_flight_per_host " +
                      std::to_string(after.http.max_in_flight_per_host));
    if (before.http.extra_ca_file != after.http.extra_ca_file)
        out.push_back("[http] extra_ca_file changed");
    return out;
}

} // namespace pinwatch::config
