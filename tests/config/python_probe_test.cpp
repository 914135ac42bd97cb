#define BOOST_TEST_MODULE python_probe_test
#include <boost/test/unit_test.hpp>

// When pinwatch starts python3: only when a marker needs a value only Python knows, and then
// once per process. PATH is pointed at a fake python3 that records each run, so this test has a
// process of its own (the probe's result is cached per process).

#include "config/environment.hpp"
#include "packaging/requirements_file.hpp"
#include "tests/fakes/fake_python_answer.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

using namespace pinwatch;
namespace fs = std::filesystem;

namespace {

// A directory holding the fake python3, first in PATH for the whole run.
struct FakePython {
    fs::path dir;
    fs::path log;

    FakePython() {
        std::random_device rd;
        dir = fs::temp_directory_path() / ("pinwatch-fake-python-" + std::to_string(rd()));
        fs::create_directories(dir);
        log = dir / "runs.log";
        fs::path script = dir / "python3";
        std::ofstream(script) << "#!/bin/sh\n"
                              << "echo run >> '" << log.string() << "'\n"
                              << "cat <<'EOF'\n"
                              << pinwatch::testing::kFakePythonAnswer << "EOF\n";
        fs::permissions(script, fs::perms::owner_all);
        char const* path = std::getenv("PATH");
        ::setenv("PATH", (dir.string() + ":" + (path ? path : "/usr/bin:/bin")).c_str(), 1);
    }
    ~FakePython() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }

    int runs() const {
        std::ifstream in(log);
        int n = 0;
        for (std::string line; std::getline(in, line);)
            ++n;
        return n;
    }
};

FakePython* fake = nullptr;

struct Global {
    FakePython python;
    Global() { fake = &python; }
    ~Global() { fake = nullptr; }
};
BOOST_TEST_GLOBAL_FIXTURE(Global);

packaging::RequirementsSet parse(std::string const& text,
                                 std::optional<std::string> const& python_version = {}) {
    auto options = config::system_parse_options(config::marker_environment(python_version));
    return packaging::parse_requirements_text(text, "requirements.txt", options);
}

std::string errors_of(packaging::RequirementsSet const& set) {
    std::string out;
    for (auto const& e : set.errors)
        out += e.str() + "\n";
    return out;
}

} // namespace

// The test cases run in this order; the first ones must not start python3 at all.

BOOST_AUTO_TEST_CASE(no_python_for_markers_on_the_platform) {
    auto set = parse("a ; sys_platform == 'linux'\n"
                     "b ; os_name == 'nt'\n"
                     "c ; platform_machine == 'x86_64' or platform_system == 'Linux'\n"
                     "d ; extra == 'test'\n"
                     "e ; sys_platform == 'darwin' and python_full_version >= '3.9'\n"
                     "f\n");
    BOOST_TEST(set.errors.empty(), errors_of(set));
    BOOST_TEST(set.entries.size() == 6u);
    BOOST_TEST(set.entries[0].applies);
    BOOST_TEST(!set.entries[1].applies);
    BOOST_TEST(!set.entries[4].applies); // decided by sys_platform alone
    BOOST_TEST(fake->runs() == 0);
    BOOST_TEST(!config::python_probed());
}

BOOST_AUTO_TEST_CASE(no_python_with_a_python_version_that_answers_the_marker) {
    auto set = parse("a ; python_version >= '3.12'\n"
                     "b ; python_full_version < '3.12.4'\n",
                     "3.12.4");
    BOOST_TEST(set.errors.empty(), errors_of(set));
    BOOST_REQUIRE(set.entries.size() == 2u);
    BOOST_TEST(set.entries[0].applies);
    BOOST_TEST(!set.entries[1].applies);
    auto two = parse("a ; python_version < '3.12'\n", "3.12");
    BOOST_REQUIRE(two.entries.size() == 1u);
    BOOST_TEST(!two.entries[0].applies);
    BOOST_TEST(fake->runs() == 0);
    BOOST_TEST(!config::python_probed());
}

BOOST_AUTO_TEST_CASE(python_asked_once_when_a_marker_needs_it) {
    auto set = parse("a ; python_full_version == '3.99.7'\n"
                     "b ; implementation_name == 'cpython'\n"
                     "c ; python_version >= '3.99'\n");
    BOOST_TEST(set.errors.empty(), errors_of(set));
    BOOST_REQUIRE(set.entries.size() == 3u);
    for (auto const& e : set.entries)
        BOOST_TEST(e.applies, e.text); // the fake's values
    BOOST_TEST(fake->runs() == 1);
    BOOST_TEST(config::python_probed());

    // Later environments and markers reuse the answer.
    auto again = parse("x ; platform_python_implementation == 'CPython'\n");
    BOOST_TEST(again.entries.at(0).applies);
    auto moved = parse("y ; python_full_version == '3.99.7'\n", "3.99"); // the same series
    BOOST_TEST(moved.entries.at(0).applies);
    BOOST_TEST(*config::marker_environment().value("python_version") == "3.99");
    BOOST_TEST(fake->runs() == 1);
    // uname() still supplies the platform, not the interpreter.
    BOOST_TEST(config::marker_environment().platform_release != "fake-release");
}

// What names the interpreter for remembering its answer: nothing for a script (the fake here,
// as a pyenv shim); for a program, its real path and file, which change when it is replaced.
BOOST_AUTO_TEST_CASE(the_probe_identity_names_a_program_never_a_script) {
    BOOST_TEST(!config::probe_identity().has_value());
    auto const bin = fake->dir / "bin";
    fs::create_directories(bin);
    fs::copy_file("/bin/true", bin / "program");
    fs::create_symlink(bin / "program", bin / "python3");
    std::string const path = std::getenv("PATH");
    ::setenv("PATH", (bin.string() + ":" + path).c_str(), 1);
    auto const first = config::probe_identity();
    BOOST_REQUIRE(first.has_value());
    BOOST_TEST(first->rfind(fs::canonical(bin / "program").string() + "\n", 0) == 0u, *first);
    BOOST_TEST((config::probe_identity() == first));
    std::ofstream(bin / "program", std::ios::app | std::ios::binary) << "replaced";
    auto const second = config::probe_identity();
    BOOST_TEST(second.has_value());
    BOOST_TEST((second != first));
    ::setenv("PATH", path.c_str(), 1);
    BOOST_TEST(!config::probe_identity().has_value());
}
