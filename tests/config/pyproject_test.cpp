#define BOOST_TEST_MODULE pyproject_test
#include <boost/test/unit_test.hpp>

#include "config/pyproject.hpp"

#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

using namespace pinwatch;
using namespace pinwatch::config;

namespace {

packaging::Environment debian12() {
    return packaging::Environment::debian12_x86_64();
}

PyprojectDependencies parse(std::string const& text) {
    return parse_pyproject(text, "pyproject.toml", debian12());
}

std::string errors_of(PyprojectDependencies const& p) {
    std::string out;
    for (auto const& e : p.errors)
        out += e.str() + "\n";
    return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(project_dependencies_and_extras) {
    auto p = parse(R"([build-system]
requires = ["setuptools"]

[project]
name = "demo"
dependencies = [
    "requests>=2.28",
    "Django==4.2.1 ; python_version >= '3.8'",
    "tomli; python_version < '3.11'",
]

[project.optional-dependencies]
Socks = ["PySocks!=1.5.7,>=1.5.6"]
test = [
  "pytest",
  "pytest-cov[toml] ; extra == 'test'",
  "only-for-other ; extra == 'other'",
]
)");
    BOOST_TEST(p.errors.empty(), errors_of(p));
    BOOST_REQUIRE(p.entries.size() == 7u);
    auto const& r = p.entries[0];
    BOOST_TEST(r.name == "requests");
    BOOST_TEST(r.specifier == ">=2.28");
    BOOST_TEST(r.file == "pyproject.toml");
    BOOST_TEST(r.line == 7);
    BOOST_TEST(r.section == "project.dependencies");
    BOOST_TEST(!r.group.has_value());
    BOOST_TEST(*p.entries[1].pinned == "4.2.1");
    BOOST_TEST(p.entries[1].applies);
    BOOST_TEST(!p.entries[2].applies); // python 3.11 has tomllib
    auto const& socks = p.entries[3];
    BOOST_TEST(socks.name == "pysocks");
    BOOST_TEST(socks.specifier == "!=1.5.7,>=1.5.6");
    BOOST_TEST(socks.section == "project.optional-dependencies");
    BOOST_TEST(*socks.group == "socks"); // extra names are normalised (PEP 685)
    BOOST_TEST(socks.line == 13);
    BOOST_TEST(p.entries[4].line == 15);
    // Markers inside an extra are judged with that extra set.
    BOOST_TEST(p.entries[5].applies);
    BOOST_TEST(p.entries[5].extras == std::vector<std::string>{"toml"});
    BOOST_TEST(!p.entries[6].applies);
}

BOOST_AUTO_TEST_CASE(dependency_groups_with_includes) {
    auto p = parse(R"([dependency-groups]
test = ["pytest>=7", {include-group = "Coverage"}]
coverage = ["coverage[toml]>=7.2"]
Typing_Extras = ["mypy==1.8.0", {include-group = "test"}]
all = [{include-group = "typing-extras"}, {include-group = "coverage"}]
)");
    BOOST_TEST(p.errors.empty(), errors_of(p));
    BOOST_REQUIRE(p.entries.size() == 3u); // one entry per written requirement
    BOOST_TEST(p.entries[0].name == "pytest");
    BOOST_TEST(*p.entries[0].group == "test");
    BOOST_TEST(p.entries[0].section == "dependency-groups");
    BOOST_TEST(p.entries[1].line == 3);
    BOOST_TEST(*p.entries[2].group == "typing-extras");
    BOOST_TEST(*p.entries[2].pinned == "1.8.0");
    BOOST_TEST(p.dependency_groups.at("test") ==
               (std::vector<std::string>{"pytest>=7", "coverage[toml]>=7.2"}));
    BOOST_TEST(p.dependency_groups.at("typing-extras") ==
               (std::vector<std::string>{"mypy==1.8.0", "pytest>=7", "coverage[toml]>=7.2"}));
    BOOST_TEST(p.dependency_groups.at("all") ==
               (std::vector<std::string>{"mypy==1.8.0", "pytest>=7", "coverage[toml]>=7.2",
                                         "coverage[toml]>=7.2"}));
}

BOOST_AUTO_TEST_CASE(group_problems_are_located) {
    auto p = parse(R"([dependency-groups]
a = ["one", {include-group = "b"}]
b = [{include-group = "A"}, "two"]
c = [{include-group = "missing"}, "three>="]
d = [{include-group = "c", extra = 1}, 42, {other = "x"}]
D = ["dup"]
e = "not-a-list"
)");
    std::vector<std::pair<int, std::string>> got;
    for (auto const& e : p.errors)
        got.emplace_back(e.line, e.message);
    auto has = [&](int line, std::string const& part) {
        for (auto const& [l, m] : got)
            if (l == line && m.find(part) != std::string::npos) return true;
        return false;
    };
    BOOST_TEST(has(3, "makes a cycle (a -> b -> a)"), errors_of(p));
    BOOST_TEST(has(2, "makes a cycle (b -> a -> b)"), errors_of(p));
    BOOST_TEST(has(4, "include-group 'missing' names no group"), errors_of(p));
    BOOST_TEST(has(4, "invalid requirement 'three>='"), errors_of(p));
    BOOST_TEST(has(5, "expected {include-group = \"<group>\"}"), errors_of(p));
    BOOST_TEST(has(5, "found an integer"), errors_of(p));
    BOOST_TEST(has(6, "group 'D' is the same as 'd' once normalised"), errors_of(p));
    BOOST_TEST(has(7, "expected an array"), errors_of(p));
    BOOST_TEST(p.errors.size() == 9u, errors_of(p));
    // The good entries are still there.
    std::vector<std::string> names;
    for (auto const& e : p.entries)
        names.push_back(e.name);
    BOOST_TEST(names == (std::vector<std::string>{"one", "two"}));
    // Cycles are cut, not followed forever.
    BOOST_TEST(p.dependency_groups.at("a") == (std::vector<std::string>{"one", "two"}));
}

// PEP 735 asks tools not to expand every group eagerly. 30 groups that each include the next
// one twice (in two spellings) used to be expanded into 2^30 strings until std::bad_alloc; now
// reading checks the include graph only and a group is expanded when asked for.
BOOST_AUTO_TEST_CASE(stacked_diamond_includes_are_read_without_expanding_them) {
    std::string text = "[dependency-groups]\n";
    int const levels = 30;
    for (int i = 0; i < levels; ++i)
        text += "l" + std::to_string(i) + " = [{include-group = \"l" + std::to_string(i + 1) +
                "\"}, {include-group = \"L" + std::to_string(i + 1) + "\"}]\n";
    text += "l" + std::to_string(levels) + " = [\"leaf==1.0\"]\n";
    auto p = parse(text);
    BOOST_TEST(p.errors.empty(), errors_of(p));
    BOOST_REQUIRE(p.entries.size() == 1u);
    BOOST_TEST(p.entries[0].name == "leaf");
    BOOST_TEST(p.entries[0].line == levels + 2);
    BOOST_TEST(p.dependency_groups.size() == std::size_t(levels + 1));
    BOOST_TEST(p.dependency_groups.contains("L0"));
    BOOST_TEST(p.dependency_groups.names().front() == "l0");
    // On demand: a group deep down expands in full, with repeats as PEP 735 resolves them...
    BOOST_TEST(p.dependency_groups.at("l25") == std::vector<std::string>(32, "leaf==1.0"));
    // ...and one that would hold 2^30 strings is an error, not an allocation failure.
    auto top = p.dependency_groups.expand("l0");
    BOOST_REQUIRE(!top.has_value());
    BOOST_TEST(top.error() == "dependency group 'l0' expands to more than 100000 requirements");
    BOOST_CHECK_THROW(p.dependency_groups.at("l0"), std::length_error);
    BOOST_CHECK_THROW(p.dependency_groups.at("nope"), std::out_of_range);
    BOOST_TEST(p.dependency_groups.expand("nope").error() ==
               "no group 'nope' in [dependency-groups]");

    // Empty groups stacked the same way add nothing and are not walked 2^30 times.
    std::string empty = "[dependency-groups]\n";
    for (int i = 0; i < levels; ++i)
        empty += "e" + std::to_string(i) + " = [{include-group = \"e" + std::to_string(i + 1) +
                 "\"}, {include-group = \"E" + std::to_string(i + 1) + "\"}]\n";
    empty += "e" + std::to_string(levels) + " = []\n";
    auto e = parse(empty);
    BOOST_TEST(e.errors.empty(), errors_of(e));
    BOOST_TEST(e.dependency_groups.at("e0").empty());
}

// A chain of 3,000 groups took 14 s (every group expanded, each include checked against the
// whole chain); the graph is now walked once.
BOOST_AUTO_TEST_CASE(a_long_chain_of_includes) {
    int const n = 3000;
    std::string text = "[dependency-groups]\n";
    for (int i = 0; i < n; ++i) {
        text += "g" + std::to_string(i) + " = [\"pkg" + std::to_string(i) + "\"";
        if (i + 1 < n) text += ", {include-group = \"G" + std::to_string(i + 1) + "\"}";
        text += "]\n";
    }
    auto p = parse(text);
    BOOST_TEST(p.errors.empty(), errors_of(p));
    BOOST_TEST(p.entries.size() == std::size_t(n));
    auto const& all = p.dependency_groups.at("g0");
    BOOST_REQUIRE(all.size() == std::size_t(n));
    BOOST_TEST(all.front() == "pkg0");
    BOOST_TEST(all.back() == "pkg2999");
    BOOST_TEST(p.dependency_groups.at("g2998") == (std::vector<std::string>{"pkg2998", "pkg2999"}));

    // Closed into a ring, every include lies on the cycle: the first 100 are reported with a
    // way round it (long ones shortened), the rest counted; nothing hangs or recurses deeply.
    auto ring = parse(text.substr(0, text.size() - 2) + ", {include-group = \"g0\"}]\n");
    BOOST_REQUIRE(ring.errors.size() == 101u);
    BOOST_TEST(ring.errors[0].str() ==
               "pyproject.toml:2: dependency-groups.g0: include-group 'G1' makes a cycle (g1 -> g2 "
               "-> g3 -> g4 -> ... (2993 more) -> g2998 -> g2999 -> g0 -> g1)");
    BOOST_TEST(ring.errors[100].str() == "pyproject.toml:3001: dependency-groups: 2900 more "
                                         "include-group entries make cycles (the first 100 are "
                                         "reported)");
    BOOST_TEST(ring.entries.size() == std::size_t(n));
    // The include that closed the ring is cut: g0 still expands to the chain, once.
    BOOST_TEST(ring.dependency_groups.at("g0").size() == std::size_t(n));
}

BOOST_AUTO_TEST_CASE(type_and_requirement_errors) {
    auto p = parse(R"([project]
dependencies = "requests"
[project.optional-dependencies]
ok = ["fine==1"]
"bad name!" = ["x"]
Ok = ["clash"]
list = "nope"
mixed = ["good", 3, "bad @ https:///nohost", "numpy; platform_release >= '5'"]
)");
    std::vector<int> lines;
    for (auto const& e : p.errors)
        lines.push_back(e.line);
    BOOST_TEST(lines == (std::vector<int>{2, 5, 6, 7, 8, 8, 8}), errors_of(p));
    BOOST_REQUIRE(p.errors.size() == 7u);
    BOOST_TEST(p.errors[0].str() ==
               "pyproject.toml:2: project.dependencies: expected an array of requirement strings, "
               "found a string");
    BOOST_TEST(p.errors[1].message.find("not a valid extra name") != std::string::npos);
    BOOST_TEST(p.errors[2].message.find("extra 'Ok' is the same as 'ok'") != std::string::npos);
    BOOST_TEST(p.errors[4].message.find("found an integer") != std::string::npos);
    BOOST_TEST(p.errors[5].message.find("expected a scheme and a host") != std::string::npos);
    BOOST_TEST(p.errors[6].message.find("cannot evaluate marker") != std::string::npos);
    std::vector<std::string> names;
    for (auto const& e : p.entries)
        names.push_back(e.name);
    BOOST_TEST(names == (std::vector<std::string>{"fine", "x", "clash", "good"}));
}

BOOST_AUTO_TEST_CASE(entries_in_file_order) {
    auto p = parse(R"([dependency-groups]
dev = ["zzz"]

[project]
optional-dependencies = { b = ["bbb"], a = ["aaa"] }
dependencies = ["yyy"]
)");
    BOOST_TEST(p.errors.empty(), errors_of(p));
    std::vector<std::string> names;
    for (auto const& e : p.entries)
        names.push_back(e.name);
    BOOST_TEST(names == (std::vector<std::string>{"zzz", "bbb", "aaa", "yyy"}));
}

BOOST_AUTO_TEST_CASE(bad_toml_and_missing_files) {
    auto p = parse("[project]\ndependencies = [\n  \"a\",\n  \"b\"\n  \"c\"\n]\n");
    BOOST_REQUIRE(p.errors.size() == 1u);
    BOOST_TEST(p.errors[0].line == 5);
    BOOST_TEST(p.errors[0].message.find("not valid TOML") == 0u);
    BOOST_TEST(p.entries.empty());

    auto none = parse("[tool.other]\nx = 1\n");
    BOOST_TEST(none.errors.empty());
    BOOST_TEST(none.entries.empty());
    auto wrong = parse("project = 3\n");
    BOOST_REQUIRE(wrong.errors.size() == 1u);
    BOOST_TEST(wrong.errors[0].message == "project: expected a table");

    auto missing = read_pyproject("/nonexistent/dir/pyproject.toml", debian12());
    BOOST_REQUIRE(missing.errors.size() == 1u);
    BOOST_TEST(missing.errors[0].line == 0);
    BOOST_TEST(missing.errors[0].str() ==
               "/nonexistent/dir/pyproject.toml: cannot open: No such file or directory");

    std::random_device rd;
    auto path = std::filesystem::temp_directory_path() /
                ("pinwatch-pyproject-" + std::to_string(rd()) + ".toml");
    std::ofstream(path) << "[project]\ndependencies = [\"attrs>=23\"]\n";
    auto read = read_pyproject(path.string(), debian12());
    std::filesystem::remove(path);
    BOOST_TEST(read.errors.empty(), errors_of(read));
    BOOST_REQUIRE(read.entries.size() == 1u);
    BOOST_TEST(read.entries[0].file == path.string());
    BOOST_TEST(read.entries[0].line == 2);
}
