// PEP 508 environment markers ("python_version < '3.11' and sys_platform == 'linux'") exactly as
// pypa/packaging 23.0 parses, prints and evaluates them. Owns the marker tree and the marker
// Environment; does not know where an environment comes from (config/environment does) and does
// no I/O.
#pragma once

#include "common/result.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pinwatch::packaging {

// The values markers are evaluated against: packaging's default_environment() plus "extra".
// Every field is a plain string, as in packaging's environment dict. Some values may be costly
// to learn (only a Python interpreter knows them): such a key can be deferred, its field left
// empty, and `lookup` then supplies the value the first time a marker evaluation needs it.
struct Environment {
    std::string implementation_name;
    std::string implementation_version;
    std::string os_name;
    std::string platform_machine;
    std::string platform_release;
    std::string platform_system;
    std::string platform_version;
    std::string python_full_version;
    std::string platform_python_implementation;
    std::string python_version;
    std::string sys_platform;
    std::string extra; // "" when no extra is being installed, as packaging defaults it
    // PEP 751's set-valued variables, which only a lock file's markers may name ("'dev' in
    // dependency_groups"): the extras and dependency groups being installed, PEP 503
    // normalised. nullopt outside a lock file (a marker naming them is then an error).
    std::optional<std::vector<std::string>> extras;
    std::optional<std::vector<std::string>> dependency_groups;

    // Keys whose value is not in the field but comes from lookup(key) when it is needed. A
    // deferred key whose field has been set (is not empty) uses the field.
    std::vector<std::string> deferred;
    std::function<std::string(std::string_view key)> lookup;

    // The field of an environment key ("os_name", "extra", ...), or nullptr when the key is
    // not one of the twelve above (packaging raises KeyError there). The field of a deferred
    // key is empty until set: use value() to read what markers see.
    std::string const* find(std::string_view key) const;
    std::string* find(std::string_view key);

    // What a marker sees for `key`: the field, or lookup(key) for a deferred key (which may
    // start a process: config/environment's lookup asks python3). nullopt when the key is not
    // one of the twelve.
    std::optional<std::string> value(std::string_view key) const;

    // Whether value(key) would ask lookup (the key is deferred and its field still empty).
    bool is_deferred(std::string_view key) const;

    // The twelve keys, in the order above.
    static std::vector<std::string_view> const& keys();

    // What packaging's default_environment() reports on Debian 12 (CPython 3.11.2, x86_64):
    // a fixed reference for tests and fuzzing, and the base when python3 cannot be asked.
    static Environment debian12_x86_64();
};

// One side of a comparison: a variable (its canonical name, "os.name" already spelled
// "os_name", "python_implementation" already "platform_python_implementation") or a string
// value (the decoded contents of the quoted string).
struct MarkerVar {
    bool is_variable = false;
    std::string value;
};

struct MarkerItem {
    MarkerVar lhs;
    std::string op; // "<=", "<", "!=", "==", ">=", ">", "~=", "===", "in", "not in"
    MarkerVar rhs;
};

// packaging's nested marker list: items, parenthesised sub-lists and the words "and"/"or", in
// source order. Precedence ("and" binds tighter) is applied when evaluating, as packaging does.
struct MarkerNode;
using MarkerList = std::vector<MarkerNode>;
struct MarkerNode {
    enum class Kind { item, group, boolop };
    Kind kind = Kind::item;
    MarkerItem item;    // Kind::item
    MarkerList group;   // Kind::group
    std::string boolop; // Kind::boolop: "and" or "or"
};

class Marker {
  public:
    // packaging.markers.Marker(text). Note packaging 23.0 stops at the end of the first
    // complete expression and ignores what follows ("os_name == 'a' garbage" is accepted and
    // means os_name == 'a'); this mirrors it. Requirement strings do not have that gap: there
    // the marker must run to the end. Errors name what was expected and the column.
    static Result<Marker> parse(std::string_view text);

    // Like parse(), but the expression must run to the end of `text` (trailing whitespace
    // allowed), as it must inside a requirement string.
    static Result<Marker> parse_complete(std::string_view text);

    // A marker from a PEP 751 lock file (pylock.toml): like parse_complete, and `extras` and
    // `dependency_groups` are variables, compared with "in" / "not in" only.
    static Result<Marker> parse_lock_file(std::string_view text);

    // From a tree the requirement parser built; applies packaging's extra normalisation (only
    // the first item of the top-level list has its extra value canonicalised, as in 23.0).
    explicit Marker(MarkerList tree);

    // Exactly str(Marker(...)) of packaging 23.0: values in double quotes without escaping,
    // redundant parentheses dropped (including 23.0's dropping of doubled parentheses around
    // an "or" group, which changes the meaning of the printed text; we print what it prints).
    std::string str() const;

    // Marker.evaluate(environment) of packaging 23.0: both sides compared as versions when
    // "<op><rhs>" parses as a specifier (then the left side must be a valid version, else the
    // error packaging raises as InvalidVersion), otherwise as Python strings ("in" is substring
    // containment); "extra" values compared after PEP 503 normalisation; "~=" and "===" on
    // non-versions are errors (UndefinedComparison), as is a string-vs-string comparison whose
    // right side names no environment key (KeyError). Deliberately unlike packaging 23.0, which
    // evaluates every item first: "and" and "or" short-circuit left to right as in Python, so
    // an item that cannot be evaluated is no error where the result is already decided
    // ("sys_platform == 'darwin' and platform_release >= '20.0'" is simply false on Linux).
    Result<bool> evaluate(Environment const& env) const;

    MarkerList const& tree() const { return markers_; }

    friend bool operator==(Marker const& a, Marker const& b) { return a.str() == b.str(); }

  private:
    MarkerList markers_;
};

} // namespace pinwatch::packaging
