#define BOOST_TEST_MODULE pylock_test
#include <boost/test/unit_test.hpp>

#include "lock_fixtures.hpp"
#include "packaging/locks/locks.hpp"

using namespace pinwatch;
using namespace pinwatch::test;

BOOST_AUTO_TEST_CASE(lock_files_are_recognised_by_name) {
    using packaging::locks::Format;
    using packaging::locks::format_of;
    BOOST_TEST((format_of("/srv/api/uv.lock") == Format::uv));
    BOOST_TEST((format_of("poetry.lock") == Format::poetry));
    BOOST_TEST((format_of("a/pdm.lock") == Format::pdm));
    BOOST_TEST((format_of("Pipfile.lock") == Format::pipfile));
    BOOST_TEST((format_of("pylock.toml") == Format::pylock));
    BOOST_TEST((format_of("deploy/pylock.prod.toml") == Format::pylock));
    BOOST_TEST(!format_of("pylock.a.b.toml"));
    BOOST_TEST(!format_of("pylock..toml"));
    BOOST_TEST(!format_of("requirements.txt"));
    BOOST_TEST(!format_of("uv.lock/requirements.txt"));
    BOOST_TEST(!format_of("pipfile.lock"));
}

// A PEP 751 lock: `index` per package, markers naming extras and dependency_groups (judged
// with default-groups = ["dev"] and no extras), and a VCS package.
BOOST_AUTO_TEST_CASE(a_pylock_lists_packages_with_their_index) {
    auto set = read_fixture("pylock/pylock.toml");
    BOOST_TEST(errors_text(set) == "");
    BOOST_TEST(set.entries.size() == 5u);
    auto const& auth = entry(set, "acme-auth");
    BOOST_TEST(auth.pinned == std::optional<std::string>("3.2.0"));
    BOOST_TEST(auth.index == std::optional<std::string>("https://pypi.internal.example/simple"));
    BOOST_TEST(auth.groups.empty());
    BOOST_TEST(!auth.direct.has_value()); // no pyproject.toml beside it
    auto const& toolkit = entry(set, "toolkit");
    BOOST_TEST(!toolkit.watchable);
    BOOST_TEST(toolkit.reason == "git source");
    BOOST_TEST(toolkit.url ==
               std::optional<std::string>("git+https://github.com/acme/toolkit.git@"
                                          "0d1f5b2c9e8a7f6b5c4d3e2f1a0b9c8d7e6f5a4b"));
}

BOOST_AUTO_TEST_CASE(extras_and_dependency_groups_markers_use_the_default_groups) {
    auto set = read_fixture("pylock/pylock.toml");
    BOOST_TEST(!entry(set, "click").applies); // 'cli' in extras: no extra by default
    BOOST_TEST(entry(set, "click").marker == std::optional<std::string>("\"cli\" in extras"));
    BOOST_TEST(entry(set, "pytest").applies);  // dev is a default group
    BOOST_TEST(!entry(set, "sphinx").applies); // docs is not
}

BOOST_AUTO_TEST_CASE(pep751_variables_exist_only_in_lock_files) {
    // In a requirements file "extras" is no marker variable (packaging 23.0 agrees).
    ScratchFolder dir;
    dir.write("requirements.txt", "six==1.16.0; 'dev' in dependency_groups\n");
    auto req = dir.read("requirements.txt");
    BOOST_TEST(req.entries.empty());
    BOOST_TEST(req.errors.size() == 1u);
    // The set variables compare with "in" / "not in" only.
    auto m = packaging::Marker::parse_lock_file("dependency_groups == 'dev'");
    BOOST_REQUIRE(m.has_value());
    packaging::Environment env = packaging::Environment::debian12_x86_64();
    env.dependency_groups = std::vector<std::string>{"dev"};
    BOOST_TEST(!m->evaluate(env).has_value());
    auto in = packaging::Marker::parse_lock_file("'Dev' not in dependency_groups");
    BOOST_REQUIRE(in.has_value());
    BOOST_TEST(in->evaluate(env).value() == false);
    env.dependency_groups.reset();
    BOOST_TEST(!in->evaluate(env).has_value());
}

BOOST_AUTO_TEST_CASE(a_malformed_pylock_names_the_file_and_line) {
    ScratchFolder dir;
    dir.write("pylock.toml", R"(lock-version = "1.0"
created-by = "hand"

[[packages]]
name = "six"
version = "1.16.0"

[[packages]]
name = "idna"
version = "3.10"
marker = "'dev' in groups"
)");
    auto set = dir.read("pylock.toml");
    BOOST_TEST(set.entries.size() == 2u);
    BOOST_REQUIRE(set.errors.size() == 1u);
    BOOST_TEST(set.errors[0].file == "pylock.toml");
    BOOST_TEST(set.errors[0].line == 8);
    BOOST_TEST(set.errors[0].message.find("invalid marker") != std::string::npos);

    dir.write("pylock.dev.toml", "lock-version = \"1.0\"\n[[packages]]\nname = six\n");
    auto bad = dir.read("pylock.dev.toml");
    BOOST_REQUIRE(bad.errors.size() == 1u);
    BOOST_TEST(bad.errors[0].line == 3);
}
