#include "packaging/marker.hpp"

#include "packaging/name.hpp"
#include "packaging/pep508.hpp"
#include "packaging/specifier.hpp"
#include "packaging/version.hpp"

#include <algorithm>
#include <utility>

namespace pinwatch::packaging {

namespace {

template <class Env> auto find_key(Env& env, std::string_view key) -> decltype(&env.os_name) {
    if (key == "implementation_name") return &env.implementation_name;
    if (key == "implementation_version") return &env.implementation_version;
    if (key == "os_name") return &env.os_name;
    if (key == "platform_machine") return &env.platform_machine;
    if (key == "platform_release") return &env.platform_release;
    if (key == "platform_system") return &env.platform_system;
    if (key == "platform_version") return &env.platform_version;
    if (key == "python_full_version") return &env.python_full_version;
    if (key == "platform_python_implementation") return &env.platform_python_implementation;
    if (key == "python_version") return &env.python_version;
    if (key == "sys_platform") return &env.sys_platform;
    if (key == "extra") return &env.extra;
    return nullptr;
}

// _normalize_extra_values: only results[0], and only when it is an item.
void normalize_extra_values(MarkerList& markers) {
    if (markers.empty() || markers.front().kind != MarkerNode::Kind::item) return;
    MarkerItem& item = markers.front().item;
    if (item.lhs.is_variable && item.lhs.value == "extra") {
        item.rhs = MarkerVar{false, canonicalize_name(item.rhs.value)};
    } else if (item.rhs.is_variable && item.rhs.value == "extra") {
        item.lhs = MarkerVar{false, canonicalize_name(item.lhs.value)};
    }
}

std::string serialize(MarkerVar const& v) {
    return v.is_variable ? v.value : '"' + v.value + '"';
}

std::string format_list(MarkerList const& markers, bool first);

std::string format_node(MarkerNode const& node, bool first) {
    switch (node.kind) {
    case MarkerNode::Kind::item:
        return serialize(node.item.lhs) + ' ' + node.item.op + ' ' + serialize(node.item.rhs);
    case MarkerNode::Kind::group:
        return format_list(node.group, first);
    case MarkerNode::Kind::boolop:
        return node.boolop;
    }
    return {};
}

// _format_marker: a one-element list holding an item or a list is formatted as that element
// with first=True (so no parentheses, however deep), otherwise items are joined with spaces
// and wrapped in parentheses unless this is the outermost list.
std::string format_list(MarkerList const& markers, bool first) {
    if (markers.size() == 1 && markers.front().kind != MarkerNode::Kind::boolop)
        return format_node(markers.front(), true);
    std::string inner;
    for (std::size_t i = 0; i < markers.size(); ++i) {
        if (i) inner += ' ';
        inner += format_node(markers[i], false);
    }
    return first ? inner : '(' + inner + ')';
}

bool string_op(std::string_view op, std::string const& lhs, std::string const& rhs) {
    // Python compares str by code point; UTF-8 byte order is the same order.
    if (op == "in") return rhs.find(lhs) != std::string::npos;
    if (op == "not in") return rhs.find(lhs) == std::string::npos;
    if (op == "<") return lhs < rhs;
    if (op == "<=") return lhs <= rhs;
    if (op == "==") return lhs == rhs;
    if (op == "!=") return lhs != rhs;
    if (op == ">=") return lhs >= rhs;
    return lhs > rhs; // ">": the caller filtered every other operator
}

Result<bool> eval_op(std::string const& lhs, std::string const& op, std::string const& rhs) {
    if (Result<Specifier> spec = Specifier::parse(op + rhs)) {
        Result<Version> version = Version::parse(lhs);
        if (!version)
            return fail("cannot compare '" + lhs + "' " + op + " '" + rhs +
                        "': the left side is not a valid version (" + version.error() + ")");
        return spec->contains(*version, true);
    }
    if (op == "~=" || op == "===")
        return fail("undefined comparison " + op + " on '" + lhs + "' and '" + rhs +
                    "': not a version on the right");
    return string_op(op, lhs, rhs);
}

// `'dev' in dependency_groups`: membership of a PEP 503-normalised name in one of PEP 751's
// sets, the only comparison PEP 751 defines for them.
std::optional<Result<bool>> evaluate_set_item(MarkerItem const& item, Environment const& env) {
    MarkerVar const* set = nullptr;
    MarkerVar const* value = nullptr;
    if (item.rhs.is_variable &&
        (item.rhs.value == "extras" || item.rhs.value == "dependency_groups")) {
        set = &item.rhs, value = &item.lhs;
    } else if (item.lhs.is_variable &&
               (item.lhs.value == "extras" || item.lhs.value == "dependency_groups")) {
        set = &item.lhs, value = &item.rhs;
    } else {
        return std::nullopt;
    }
    auto const& members = set->value == "extras" ? env.extras : env.dependency_groups;
    if (!members)
        return Result<bool>(
            fail("'" + set->value + "' is known only in a lock file's markers (PEP 751)"));
    if (set != &item.rhs || value->is_variable || (item.op != "in" && item.op != "not in"))
        return Result<bool>(fail("'" + set->value + "' is a set: only \"'name' in " + set->value +
                                 "\" and \"not in\" compare with it"));
    std::string const wanted = canonicalize_name(value->value);
    bool const found = std::find(members->begin(), members->end(), wanted) != members->end();
    return Result<bool>(item.op == "in" ? found : !found);
}

Result<bool> evaluate_item(MarkerItem const& item, Environment const& env) {
    if (auto set = evaluate_set_item(item, env)) return *set;
    std::string key;
    std::string lhs;
    std::string rhs;
    // Values are read only here, item by item, so a deferred key is looked up only when an
    // item that is actually evaluated names it.
    if (item.lhs.is_variable) {
        key = item.lhs.value;
        lhs = *env.value(key); // a variable token always names an environment key
        rhs = item.rhs.value;
    } else {
        lhs = item.lhs.value;
        key = item.rhs.value;
        std::optional<std::string> value = env.value(key);
        if (!value)
            return fail("'" + key +
                        "' is not a marker environment name (comparing two strings looks the "
                        "right one up in the environment)");
        rhs = std::move(*value);
    }
    if (key == "extra") {
        lhs = canonicalize_name(lhs);
        rhs = canonicalize_name(rhs);
    }
    return eval_op(lhs, item.op, rhs);
}

// packaging's _evaluate_markers reads the list as "or" of "and" groups ("and" binds tighter)
// and evaluates every item before combining them, so an item that cannot be evaluated is an
// error even where the result is already decided ("sys_platform == 'darwin' and
// platform_release >= '20.0'" raises InvalidVersion on Linux, whose release is no version).
// Deliberately, pinwatch evaluates left to right and stops like Python's and/or: an "and"
// group stops at its first false item, the whole list at its first true group. The result is
// the same wherever packaging has one; only errors in items that cannot matter go away.
Result<bool> evaluate_markers(MarkerList const& markers, Environment const& env) {
    bool group = true; // the "and" group being read holds so far
    for (MarkerNode const& node : markers) {
        if (node.kind == MarkerNode::Kind::boolop) {
            if (node.boolop == "or") {
                if (group) return true;
                group = true;
            }
            continue;
        }
        if (!group) continue; // this "and" group is already false
        Result<bool> r = node.kind == MarkerNode::Kind::group ? evaluate_markers(node.group, env)
                                                              : evaluate_item(node.item, env);
        if (!r) return r;
        group = *r;
    }
    return group;
}

} // namespace

std::string const* Environment::find(std::string_view key) const {
    return find_key(*this, key);
}
std::string* Environment::find(std::string_view key) {
    return find_key(*this, key);
}

bool Environment::is_deferred(std::string_view key) const {
    std::string const* field = find(key);
    return field && field->empty() && lookup &&
           std::find(deferred.begin(), deferred.end(), key) != deferred.end();
}

std::optional<std::string> Environment::value(std::string_view key) const {
    std::string const* field = find(key);
    if (!field) return std::nullopt;
    if (is_deferred(key)) return lookup(key);
    return *field;
}

std::vector<std::string_view> const& Environment::keys() {
    static std::vector<std::string_view> const k = {
        "implementation_name", "implementation_version", "os_name",
        "platform_machine",    "platform_release",       "platform_system",
        "platform_version",    "python_full_version",    "platform_python_implementation",
        "python_version",      "sys_platform",           "extra"};
    return k;
}

Result<Marker> Marker::parse(std::string_view text) {
    Result<MarkerList> tree = pep508::parse_marker(text);
    if (!tree) return fail(tree.error());
    return Marker(std::move(*tree));
}

Result<Marker> Marker::parse_complete(std::string_view text) {
    Result<MarkerList> tree = pep508::parse_marker(text, true);
    if (!tree) return fail(tree.error());
    return Marker(std::move(*tree));
}

Result<Marker> Marker::parse_lock_file(std::string_view text) {
    Result<MarkerList> tree = pep508::parse_marker(text, true, true);
    if (!tree) return fail(tree.error());
    return Marker(std::move(*tree));
}

Marker::Marker(MarkerList tree) : markers_(std::move(tree)) {
    normalize_extra_values(markers_);
}

std::string Marker::str() const {
    return format_list(markers_, true);
}

Result<bool> Marker::evaluate(Environment const& env) const {
    return evaluate_markers(markers_, env);
}

Environment Environment::debian12_x86_64() {
    Environment env;
    env.implementation_name = "cpython";
    env.implementation_version = "3.11.2";
    env.os_name = "posix";
    env.platform_machine = "x86_64";
    env.platform_release = "6.1.0-13-amd64";
    env.platform_system = "Linux";
    env.platform_version = "#1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29)";
    env.python_full_version = "3.11.2";
    env.platform_python_implementation = "CPython";
    env.python_version = "3.11";
    env.sys_platform = "linux";
    env.extra = "";
    return env;
}

} // namespace pinwatch::packaging
