#define BOOST_TEST_MODULE uv_lock_test
#include <boost/test/unit_test.hpp>

#include "lock_fixtures.hpp"

using namespace pinwatch;
using namespace pinwatch::test;

// A uv workspace of two members (api, worker): a registry package on a second index, numpy
// locked twice by a forked resolution, a git source, a dev group and an optional extra.
BOOST_AUTO_TEST_CASE(a_uv_workspace_lists_every_locked_package) {
    auto set = read_fixture("uv-workspace/uv.lock");
    BOOST_TEST(errors_text(set) == "");
    BOOST_TEST(set.entries.size() == 16u);

    auto const& anyio = entry(set, "anyio");
    BOOST_TEST(anyio.pinned == std::optional<std::string>("4.6.2"));
    BOOST_TEST(anyio.specifier == "==4.6.2");
    BOOST_TEST(anyio.file == "uv-workspace/uv.lock");
    BOOST_TEST(anyio.line == 15);
    BOOST_TEST(anyio.index == std::optional<std::string>("https://pypi.org/simple"));
    BOOST_TEST(anyio.direct == std::optional<bool>(true));
    BOOST_TEST(anyio.watchable);
    BOOST_TEST(anyio.groups.empty());

    // What only other packages pull in.
    BOOST_TEST(entry(set, "idna").direct == std::optional<bool>(false));
    BOOST_TEST(entry(set, "sniffio").direct == std::optional<bool>(false));
    BOOST_TEST(entry(set, "redis").direct == std::optional<bool>(false));

    // A member's other index.
    auto const& auth = entry(set, "internal-auth");
    BOOST_TEST(auth.index == std::optional<std::string>("https://pypi.internal.example/simple"));
    BOOST_TEST(auth.direct == std::optional<bool>(true));
}

BOOST_AUTO_TEST_CASE(the_workspace_members_are_listed_but_not_polled) {
    auto set = read_fixture("uv-workspace/uv.lock");
    for (std::string name : {"api", "worker"}) {
        auto const& m = entry(set, name);
        BOOST_TEST(!m.watchable);
        BOOST_TEST(!m.pinned);
        BOOST_TEST(m.editable);
        BOOST_TEST(m.reason == "editable workspace member");
        BOOST_TEST(m.direct == std::optional<bool>(true));
    }
    BOOST_TEST(entry(set, "api").url == std::optional<std::string>("services/api"));
}

BOOST_AUTO_TEST_CASE(a_forked_package_is_two_requirements_judged_by_resolution_markers) {
    auto set = read_fixture("uv-workspace/uv.lock");
    BOOST_TEST(count(set, "numpy") == 2u);
    auto const& old = entry(set, "numpy", "1.26.4");
    auto const& current = entry(set, "numpy", "2.1.3");
    BOOST_TEST(old.marker == std::optional<std::string>("python_full_version < \"3.12\""));
    BOOST_TEST(old.applies); // Python 3.11.2
    BOOST_TEST(!current.applies);
    BOOST_TEST(old.direct == std::optional<bool>(true));
    BOOST_TEST(current.direct == std::optional<bool>(true));
}

BOOST_AUTO_TEST_CASE(a_git_source_is_listed_with_its_url_and_no_pin) {
    auto set = read_fixture("uv-workspace/uv.lock");
    auto const& git = entry(set, "rq-tools");
    BOOST_TEST(!git.watchable);
    BOOST_TEST(!git.pinned);
    BOOST_TEST(git.specifier == "");
    BOOST_TEST(git.reason == "git source");
    BOOST_TEST(git.url ==
               std::optional<std::string>("git+https://github.com/acme/rq-tools?rev=v0.3.0#"
                                          "4f1c2b7e9a0d3c5b6e8f7a1b2c3d4e5f6a7b8c9d"));
    BOOST_TEST(git.direct == std::optional<bool>(true)); // worker asks for it
    BOOST_TEST(!git.index);
}

BOOST_AUTO_TEST_CASE(edge_markers_decide_what_applies_and_dev_groups_are_followed) {
    auto set = read_fixture("uv-workspace/uv.lock");
    // Only reached through "sys_platform == 'win32'" edges.
    auto const& pywin32 = entry(set, "pywin32");
    BOOST_TEST(!pywin32.applies);
    BOOST_TEST(pywin32.marker == std::optional<std::string>("sys_platform == \"win32\""));
    BOOST_TEST(pywin32.direct == std::optional<bool>(true)); // api's extra "windows"
    auto const& colorama = entry(set, "colorama");
    BOOST_TEST(!colorama.applies);
    BOOST_TEST(colorama.direct == std::optional<bool>(false));
    BOOST_TEST(colorama.groups == Groups{"test"});
    // The test group and what it pulls in.
    BOOST_TEST(entry(set, "pytest").groups == Groups{"test"});
    BOOST_TEST(entry(set, "pytest").direct == std::optional<bool>(true));
    BOOST_TEST(entry(set, "pluggy").groups == Groups{"test"});
    BOOST_TEST(entry(set, "pluggy").applies);
    BOOST_TEST(entry(set, "anyio").groups.empty());
}

BOOST_AUTO_TEST_CASE(a_lock_without_members_cannot_tell_direct) {
    ScratchFolder dir;
    dir.write("uv.lock", R"(version = 1

[[package]]
name = "six"
version = "1.16.0"
source = { registry = "https://pypi.org/simple" }
)");
    auto set = dir.read("uv.lock");
    BOOST_TEST(errors_text(set) == "");
    BOOST_TEST(!entry(set, "six").direct.has_value());
    BOOST_TEST(entry(set, "six").applies);
}

BOOST_AUTO_TEST_CASE(a_malformed_uv_lock_names_the_file_and_line_and_keeps_what_was_read) {
    ScratchFolder dir;
    dir.write("uv.lock", R"(version = 1

[[package]]
name = "six"
version = "1.16.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "idna"
version = "not a version"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "attrs"
version = "24.2.0"
source = { somewhere = "else" }
)");
    auto set = dir.read("uv.lock");
    BOOST_TEST(set.entries.size() == 1u);
    BOOST_TEST(entry(set, "six").pinned == std::optional<std::string>("1.16.0"));
    BOOST_REQUIRE(set.errors.size() == 2u);
    BOOST_TEST(set.errors[0].str() ==
               "uv.lock:8: package 'idna': version 'not a version' is not a PEP 440 version");
    BOOST_TEST(set.errors[1].file == "uv.lock");
    BOOST_TEST(set.errors[1].line == 16);

    dir.write("broken/uv.lock", "version = 1\n\n[[package]]\nname = \"six\nversion = 1\n");
    auto broken = dir.read("broken/uv.lock");
    BOOST_REQUIRE(broken.errors.size() == 1u);
    BOOST_TEST(broken.errors[0].file == "broken/uv.lock");
    BOOST_TEST(broken.errors[0].line == 4);
    BOOST_TEST(broken.errors[0].message.find("not valid TOML") == 0u);
    BOOST_TEST((broken.errors[0].kind == packaging::RequirementsError::Kind::lock));
}
