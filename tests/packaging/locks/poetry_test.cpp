#define BOOST_TEST_MODULE poetry_lock_test
#include <boost/test/unit_test.hpp>

#include "lock_fixtures.hpp"

using namespace pinwatch;
using namespace pinwatch::test;

// A Poetry 2.1 lock with a legacy source, per-group markers and a git source, and the
// pyproject.toml beside it.
BOOST_AUTO_TEST_CASE(a_poetry_lock_pins_every_package_with_its_groups) {
    auto set = read_fixture("poetry/poetry.lock");
    BOOST_TEST(errors_text(set) == "");
    BOOST_TEST(set.entries.size() == 8u);
    auto const& requests = entry(set, "requests");
    BOOST_TEST(requests.specifier == "==2.32.3");
    BOOST_TEST(requests.pinned == std::optional<std::string>("2.32.3"));
    BOOST_TEST(requests.groups == Groups{"main"});
    BOOST_TEST(!requests.index);
    BOOST_TEST(entry(set, "click").groups == (Groups{"main", "dev"}));
}

BOOST_AUTO_TEST_CASE(a_legacy_source_is_the_packages_index) {
    auto set = read_fixture("poetry/poetry.lock");
    BOOST_TEST(entry(set, "acme-auth").index ==
               std::optional<std::string>("https://pypi.internal.example/simple"));
    BOOST_TEST(entry(set, "acme-auth").watchable);
}

BOOST_AUTO_TEST_CASE(direct_comes_from_the_pyproject_beside_the_lock) {
    auto set = read_fixture("poetry/poetry.lock");
    for (std::string name : {"requests", "click", "acme-auth", "toolkit", "pytest"})
        BOOST_TEST(entry(set, name).direct == std::optional<bool>(true), name);
    for (std::string name : {"certifi", "colorama", "exceptiongroup"})
        BOOST_TEST(entry(set, name).direct == std::optional<bool>(false), name);

    ScratchFolder dir; // the same lock without its pyproject: nobody can tell
    std::ifstream in(kLockData + "/poetry/poetry.lock");
    std::stringstream ss;
    ss << in.rdbuf();
    dir.write("poetry.lock", ss.str());
    auto alone = dir.read("poetry.lock");
    BOOST_TEST(!entry(alone, "requests").direct.has_value());
    BOOST_TEST(!entry(alone, "certifi").direct.has_value());
}

BOOST_AUTO_TEST_CASE(per_group_markers_apply_where_any_group_does) {
    auto set = read_fixture("poetry/poetry.lock");
    // main: Windows only, dev: win32 only -> not on Linux.
    auto const& colorama = entry(set, "colorama");
    BOOST_TEST(!colorama.applies);
    BOOST_TEST(
        colorama.marker ==
        std::optional<std::string>("platform_system == \"Windows\" or sys_platform == \"win32\""));
    // dev needs Python 3.12, main has no marker: everywhere.
    auto const& click = entry(set, "click");
    BOOST_TEST(click.applies);
    BOOST_TEST(!click.marker);
    // A plain marker string.
    BOOST_TEST(!entry(set, "exceptiongroup").applies);
}

BOOST_AUTO_TEST_CASE(a_git_source_is_not_polled) {
    auto set = read_fixture("poetry/poetry.lock");
    auto const& toolkit = entry(set, "toolkit");
    BOOST_TEST(!toolkit.watchable);
    BOOST_TEST(!toolkit.pinned);
    BOOST_TEST(toolkit.reason == "git source");
    BOOST_TEST(toolkit.url ==
               std::optional<std::string>("git+https://github.com/acme/toolkit.git@"
                                          "0d1f5b2c9e8a7f6b5c4d3e2f1a0b9c8d7e6f5a4b"));
}

BOOST_AUTO_TEST_CASE(a_malformed_poetry_lock_names_the_file_and_line) {
    ScratchFolder dir;
    dir.write("poetry.lock", R"([[package]]
name = "six"
version = "1.16.0"
groups = ["main"]

[[package]]
name = "idna"
groups = ["main"]

[[package]]
name = "attrs"
version = "24.2.0"
markers = 3
)");
    auto set = dir.read("poetry.lock");
    BOOST_TEST(set.entries.size() == 2u); // six, and attrs without its marker
    BOOST_REQUIRE(set.errors.size() == 2u);
    BOOST_TEST(set.errors[0].str() ==
               "poetry.lock:6: package 'idna': the key 'version' is missing");
    BOOST_TEST(set.errors[1].line == 13);
    BOOST_TEST(set.errors[1].file == "poetry.lock");

    dir.write("bad/poetry.lock", "[[package]]\nname = \"six\"\nversion = \n");
    auto bad = dir.read("bad/poetry.lock");
    BOOST_REQUIRE(bad.errors.size() == 1u);
    BOOST_TEST(bad.errors[0].file == "bad/poetry.lock");
    BOOST_TEST(bad.errors[0].line == 3);
}

BOOST_AUTO_TEST_CASE(a_malformed_manifest_beside_the_lock_is_reported_and_direct_unknown) {
    ScratchFolder dir;
    dir.write("poetry.lock", "[[package]]\nname = \"six\"\nversion = \"1.16.0\"\n");
    dir.write("pyproject.toml", "[project\nname = \"x\"\n");
    auto set = dir.read("poetry.lock");
    BOOST_TEST(!entry(set, "six").direct.has_value());
    BOOST_REQUIRE(set.errors.size() == 1u);
    BOOST_TEST(set.errors[0].file == "pyproject.toml");
    BOOST_TEST(set.errors[0].line == 1);
}
