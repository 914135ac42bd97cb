#define BOOST_TEST_MODULE pdm_lock_test
#include <boost/test/unit_test.hpp>

#include "lock_fixtures.hpp"

using namespace pinwatch;
using namespace pinwatch::test;

// A PDM lock that locks requests twice (plain and with the socks extra), an editable local
// library, a marker, two groups, and the pyproject.toml beside it.
BOOST_AUTO_TEST_CASE(a_version_locked_twice_with_extras_is_one_requirement) {
    auto set = read_fixture("pdm/pdm.lock");
    BOOST_TEST(errors_text(set) == "");
    BOOST_TEST(count(set, "requests") == 1u);
    auto const& requests = entry(set, "requests");
    BOOST_TEST(requests.pinned == std::optional<std::string>("2.32.3"));
    BOOST_TEST(requests.extras == std::vector<std::string>{"socks"});
    BOOST_TEST(requests.groups == Groups{"default"});
    BOOST_TEST(set.entries.size() == 6u);
}

BOOST_AUTO_TEST_CASE(groups_markers_and_direct_from_the_pyproject) {
    auto set = read_fixture("pdm/pdm.lock");
    auto const& tomli = entry(set, "tomli");
    BOOST_TEST(tomli.groups == Groups{"test"});
    BOOST_TEST(!tomli.applies); // python_version < "3.11" on 3.11
    BOOST_TEST(tomli.marker == std::optional<std::string>("python_version < \"3.11\""));
    BOOST_TEST(tomli.direct == std::optional<bool>(false));
    BOOST_TEST(entry(set, "requests").direct == std::optional<bool>(true));
    BOOST_TEST(entry(set, "pytest").direct == std::optional<bool>(true));
    BOOST_TEST(entry(set, "certifi").direct == std::optional<bool>(false));
    BOOST_TEST(entry(set, "pysocks").direct == std::optional<bool>(false));
    BOOST_TEST(!entry(set, "requests").index); // pdm.lock names no index
}

BOOST_AUTO_TEST_CASE(an_editable_path_is_listed_and_not_polled) {
    auto set = read_fixture("pdm/pdm.lock");
    auto const& lib = entry(set, "mylib");
    BOOST_TEST(lib.editable);
    BOOST_TEST(!lib.watchable);
    BOOST_TEST(!lib.pinned);
    BOOST_TEST(lib.url == std::optional<std::string>("./libs/mylib"));
    BOOST_TEST(lib.reason == "editable local project");
    BOOST_TEST(lib.direct == std::optional<bool>(true)); // "-e ...#egg=mylib" in the pyproject
}

BOOST_AUTO_TEST_CASE(a_malformed_pdm_lock_names_the_file_and_line) {
    ScratchFolder dir;
    dir.write("pdm.lock", R"([metadata]
groups = ["default"]

[[package]]
name = "six"
version = "1.16.0"
groups = ["default"]

[[package]]
name = "idna"
version = "3.10"
groups = "default"
marker = "python_version <"
)");
    auto set = dir.read("pdm.lock");
    BOOST_TEST(set.entries.size() == 2u);
    BOOST_REQUIRE(set.errors.size() == 2u);
    BOOST_TEST(set.errors[0].str() ==
               "pdm.lock:12: package 'idna'.groups: expected an array of strings, found a string");
    BOOST_TEST(set.errors[1].line == 9);
    BOOST_TEST((set.errors[1].kind == packaging::RequirementsError::Kind::marker));

    dir.write("x/pdm.lock", "[[package]\nname = \"six\"\n");
    auto bad = dir.read("x/pdm.lock");
    BOOST_REQUIRE(bad.errors.size() == 1u);
    BOOST_TEST(bad.errors[0].file == "x/pdm.lock");
    BOOST_TEST(bad.errors[0].line == 1);
}
