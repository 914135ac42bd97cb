#define BOOST_TEST_MODULE pipfile_lock_test
#include <boost/test/unit_test.hpp>

#include "lock_fixtures.hpp"

using namespace pinwatch;
using namespace pinwatch::test;

// A Pipfile.lock with two sources (pypi, internal), default and develop, a git package, and
// the Pipfile beside it.
BOOST_AUTO_TEST_CASE(a_pipfile_lock_pins_each_package_once_with_its_sections) {
    auto set = read_fixture("pipenv/Pipfile.lock");
    BOOST_TEST(errors_text(set) == "");
    BOOST_TEST(set.entries.size() == 6u);
    auto const& certifi = entry(set, "certifi");
    BOOST_TEST(count(set, "certifi") == 1u);
    BOOST_TEST(certifi.groups == (Groups{"default", "develop"}));
    BOOST_TEST(certifi.pinned == std::optional<std::string>("2024.8.30"));
    BOOST_TEST(certifi.specifier == "==2024.8.30");
    BOOST_TEST(certifi.line == 31);
    BOOST_TEST(certifi.file == "pipenv/Pipfile.lock");
    BOOST_TEST(entry(set, "pytest").groups == Groups{"develop"});
    BOOST_TEST(!entry(set, "pywin32").applies);
    BOOST_TEST(entry(set, "pywin32").marker ==
               std::optional<std::string>("sys_platform == \"win32\""));
}

BOOST_AUTO_TEST_CASE(the_index_is_the_source_the_package_names) {
    auto set = read_fixture("pipenv/Pipfile.lock");
    BOOST_TEST(entry(set, "acme-auth").index ==
               std::optional<std::string>("https://pypi.internal.example/simple"));
    BOOST_TEST(entry(set, "requests").index ==
               std::optional<std::string>("https://pypi.org/simple"));
    // Two sources and no "index": pipenv does not say which one.
    BOOST_TEST(!entry(set, "certifi").index);
}

BOOST_AUTO_TEST_CASE(with_one_source_every_package_comes_from_it) {
    ScratchFolder dir;
    dir.write("Pipfile.lock", R"({
    "_meta": {"sources": [{"name": "mirror", "url": "https://mirror.example/simple", "verify_ssl": true}]},
    "default": {"idna": {"version": "==3.10"}},
    "develop": {}
})");
    auto set = dir.read("Pipfile.lock");
    BOOST_TEST(errors_text(set) == "");
    BOOST_TEST(entry(set, "idna").index ==
               std::optional<std::string>("https://mirror.example/simple"));
    BOOST_TEST(!entry(set, "idna").direct.has_value()); // no Pipfile beside it
    BOOST_TEST(entry(set, "idna").line == 3);
}

BOOST_AUTO_TEST_CASE(direct_comes_from_the_pipfile) {
    auto set = read_fixture("pipenv/Pipfile.lock");
    for (std::string name : {"requests", "acme-auth", "toolkit", "pytest"})
        BOOST_TEST(entry(set, name).direct == std::optional<bool>(true), name);
    for (std::string name : {"certifi", "pywin32"})
        BOOST_TEST(entry(set, name).direct == std::optional<bool>(false), name);
    auto const& toolkit = entry(set, "toolkit");
    BOOST_TEST(!toolkit.watchable);
    BOOST_TEST(toolkit.reason == "git source");
    BOOST_TEST(!toolkit.index);
}

BOOST_AUTO_TEST_CASE(a_malformed_pipfile_lock_names_the_file_and_line) {
    ScratchFolder dir;
    dir.write("Pipfile.lock", "{\n  \"_meta\": {},\n  \"default\": {\n    \"six\": {\"version\": "
                              "\"==1.16.0\"},\n    \"idna\": {\"version\": \"3.10\"}\n  }\n}\n");
    auto set = dir.read("Pipfile.lock");
    BOOST_TEST(set.entries.size() == 1u);
    BOOST_REQUIRE(set.errors.size() == 1u);
    BOOST_TEST(set.errors[0].str() ==
               "Pipfile.lock:5: default.idna: version '3.10' is no \"==\" pin");

    dir.write("b/Pipfile.lock", "{\n  \"default\": {\n    \"six\": {\"version\": \"==1\"},,\n");
    auto bad = dir.read("b/Pipfile.lock");
    BOOST_REQUIRE(bad.errors.size() == 1u);
    BOOST_TEST(bad.errors[0].file == "b/Pipfile.lock");
    BOOST_TEST(bad.errors[0].line == 3);
    BOOST_TEST(bad.errors[0].message.find("not valid JSON") == 0u);
}
