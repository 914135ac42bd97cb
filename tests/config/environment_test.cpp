#define BOOST_TEST_MODULE environment_test
#include <boost/test/unit_test.hpp>

#include "config/environment.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

using namespace pinwatch;
using namespace pinwatch::config;

namespace {

std::string const kProbe = "implementation_name=cpython\n"
                           "implementation_version=3.12.1\n"
                           "os_name=posix\n"
                           "platform_machine=aarch64\n"
                           "platform_release=6.1.0-13-arm64\n"
                           "platform_system=Linux\n"
                           "platform_version=#1 SMP \\\\ with=equals\\nand a newline\n"
                           "python_full_version=3.12.1\n"
                           "platform_python_implementation=CPython\n"
                           "python_version=3.12\n"
                           "sys_platform=linux\n"
                           "extra=never-from-the-probe\n"
                           "something_new=ignored\n";

} // namespace

BOOST_AUTO_TEST_CASE(probe_output) {
    auto env = parse_probe_output(kProbe);
    BOOST_REQUIRE(env.has_value());
    BOOST_TEST(env->python_version == "3.12");
    BOOST_TEST(env->platform_machine == "aarch64");
    BOOST_TEST(env->platform_version == "#1 SMP \\ with=equals\nand a newline");
    BOOST_TEST(env->extra == "");

    std::string partial = kProbe.substr(0, kProbe.find("sys_platform"));
    auto missing = parse_probe_output(partial);
    BOOST_REQUIRE(!missing.has_value());
    BOOST_TEST(missing.error() == "python3 did not report the marker variable 'sys_platform'");
    BOOST_TEST(!parse_probe_output("").has_value());
}

BOOST_AUTO_TEST_CASE(python_version_override) {
    packaging::Environment base = *parse_probe_output(kProbe); // a CPython 3.12.1

    auto same_series = with_python_version(base, "3.12");
    BOOST_REQUIRE(same_series.has_value());
    BOOST_TEST(same_series->python_version == "3.12");
    BOOST_TEST(same_series->python_full_version == "3.12.1"); // the interpreter's own

    auto other = with_python_version(base, "3.9");
    BOOST_TEST(other->python_version == "3.9");
    BOOST_TEST(other->python_full_version == "3.9.0");
    BOOST_TEST(other->implementation_version == "3.9.0");

    auto full = with_python_version(base, "3.10.13");
    BOOST_TEST(full->python_version == "3.10");
    BOOST_TEST(full->python_full_version == "3.10.13");

    packaging::Environment pypy = base;
    pypy.implementation_name = "pypy";
    pypy.implementation_version = "7.3.15";
    BOOST_TEST(with_python_version(pypy, "3.10")->implementation_version == "7.3.15");

    for (char const* bad :
         {"3", "3.", "3.x", "three", "3.11.2.1", "", ".3.11", "3.11rc1", " 3.11"}) {
        auto r = with_python_version(base, bad);
        BOOST_TEST_INFO("version: '" << bad << "'");
        BOOST_REQUIRE(!r.has_value());
        BOOST_TEST(r.error().find("expected a Python version like 3.11 or 3.11.4") == 0u);
    }
}

BOOST_AUTO_TEST_CASE(fallback_is_debian12) {
    auto env = fallback_environment();
    BOOST_TEST(env.python_version == "3.11");
    BOOST_TEST(env.python_full_version == "3.11.2");
    BOOST_TEST(env.implementation_name == "cpython");
    BOOST_TEST(env.os_name == "posix");
    BOOST_TEST(env.sys_platform == "linux");
    BOOST_TEST(env.platform_system == "Linux");
    BOOST_TEST(!env.platform_machine.empty());
    BOOST_TEST(!env.platform_release.empty());
}

BOOST_AUTO_TEST_CASE(system_environment_is_consistent) {
    auto const& s = system_environment();
    auto const& env = s.env;
    // python_version is the first two parts of python_full_version, whichever source it came
    // from, and every key packaging has is filled.
    BOOST_TEST(env.python_full_version.rfind(env.python_version + ".", 0) == 0u);
    for (auto key : packaging::Environment::keys())
        if (key != "extra") BOOST_TEST(!env.find(key)->empty(), key);
    BOOST_TEST(env.extra == "");
    // The probe runs once: the same object every time.
    BOOST_TEST(&system_environment() == &s);
    // With python3 on PATH (it is in the build environment), the values come from it.
    if (std::FILE* p = ::popen("python3 -c 'import sys; print(sys.platform)' 2>/dev/null", "r")) {
        char buf[64] = {};
        bool ran = std::fgets(buf, sizeof buf, p) != nullptr;
        bool ok = ::pclose(p) == 0 && ran;
        if (ok) {
            BOOST_TEST(s.from_python);
            BOOST_TEST(env.sys_platform + "\n" == std::string(buf));
        }
    }
    // The marker environment defers what only Python knows: read it with value().
    BOOST_TEST(*marker_environment().value("python_version") == env.python_version);
    BOOST_TEST(*marker_environment(std::string("3.8")).value("python_full_version") == "3.8.0");
    BOOST_TEST(*marker_environment(std::string("bogus")).value("python_version") ==
               env.python_version);
    for (auto key : packaging::Environment::keys())
        BOOST_TEST(*marker_environment().value(key) == *env.value(key), key);
    BOOST_TEST(python_probed());
}

BOOST_AUTO_TEST_CASE(native_environment_is_uname_and_defers_python) {
    auto env = native_environment();
    auto fallback = fallback_environment(); // uname() and Debian 12's Python
    BOOST_TEST(env.os_name == "posix");
    BOOST_TEST(env.sys_platform == "linux");
    BOOST_TEST(env.platform_system == fallback.platform_system);
    BOOST_TEST(env.platform_release == fallback.platform_release);
    BOOST_TEST(env.platform_version == fallback.platform_version);
    BOOST_TEST(env.platform_machine == fallback.platform_machine);
    for (auto key : python_only_keys()) {
        BOOST_TEST(env.is_deferred(key), key);
        BOOST_TEST(env.find(key)->empty(), key);
    }
    for (auto key : {"os_name", "sys_platform", "platform_system", "platform_release",
                     "platform_version", "platform_machine", "extra"})
        BOOST_TEST(!env.is_deferred(key), key);
}

BOOST_AUTO_TEST_CASE(python_version_override_keeps_what_is_deferred_deferred) {
    // A base that defers the Python-only keys to a lookup that counts its calls.
    packaging::Environment reported = *parse_probe_output(kProbe); // a CPython 3.12.1
    auto asked = std::make_shared<std::vector<std::string>>();
    packaging::Environment base = reported;
    for (auto key : python_only_keys()) {
        base.find(key)->clear();
        base.deferred.emplace_back(key);
    }
    base.lookup = [asked, reported](std::string_view key) {
        asked->emplace_back(key);
        return *reported.find(key);
    };

    // "3.12.4" fixes python_version and python_full_version; implementation_version follows
    // implementation_name, which only Python knows.
    auto full = *with_python_version(base, "3.12.4");
    BOOST_TEST(full.python_version == "3.12");
    BOOST_TEST(full.python_full_version == "3.12.4");
    BOOST_TEST(!full.is_deferred("python_version"));
    BOOST_TEST(!full.is_deferred("python_full_version"));
    BOOST_TEST(full.is_deferred("implementation_version"));
    BOOST_TEST(asked->empty());
    BOOST_TEST(*full.value("implementation_version") == "3.12.4"); // CPython: the full version
    BOOST_TEST(*asked == (std::vector<std::string>{"implementation_name"}));

    // "3.12": the full version is the interpreter's own when it is a 3.12, found out lazily.
    asked->clear();
    auto same = *with_python_version(base, "3.12");
    BOOST_TEST(same.is_deferred("python_full_version"));
    BOOST_TEST(asked->empty());
    BOOST_TEST(*same.value("python_full_version") == "3.12.1");
    BOOST_TEST(*same.value("python_version") == "3.12");
    auto other = *with_python_version(base, "3.9");
    BOOST_TEST(*other.value("python_full_version") == "3.9.0");
    BOOST_TEST(*other.value("implementation_version") == "3.9.0");
    BOOST_TEST(*other.value("platform_python_implementation") == "CPython");

    // Markers only look up what the items they evaluate name.
    asked->clear();
    auto marker = packaging::Marker::parse("os_name == 'nt' and python_full_version >= '3'");
    BOOST_TEST(*marker->evaluate(full) == false);
    BOOST_TEST(asked->empty());
}

BOOST_AUTO_TEST_CASE(system_parse_options_read_and_getenv) {
    auto o = system_parse_options(fallback_environment());
    std::random_device rd;
    auto dir = std::filesystem::temp_directory_path() / ("pinwatch-env-" + std::to_string(rd()));
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "r.txt") << "x==1\n";
    auto content = o.read_file((dir / "r.txt").string());
    BOOST_REQUIRE(content.has_value());
    BOOST_TEST(content->bytes == "x==1\n");
    BOOST_TEST(content->identity == std::filesystem::canonical(dir / "r.txt").string());
    // Two spellings of one file have one identity (that is how include cycles are caught).
    auto again = o.read_file((dir / "." / "r.txt").string());
    BOOST_TEST(again->identity == content->identity);
    auto missing = o.read_file((dir / "nope.txt").string());
    BOOST_REQUIRE(!missing.has_value());
    BOOST_TEST(missing.error() == "No such file or directory");
    auto directory = o.read_file(dir.string());
    BOOST_REQUIRE(!directory.has_value());
    BOOST_TEST(directory.error() == "not a regular file (a directory)");
    // Devices and FIFOs are refused without reading (or waiting for a writer).
    auto zero = o.read_file("/dev/zero");
    BOOST_REQUIRE(!zero.has_value());
    BOOST_TEST(zero.error() == "not a regular file (a character device)");
    // The disk checks pip makes, and the working directory relative paths are joined to.
    BOOST_REQUIRE(o.exists);
    BOOST_TEST((o.exists((dir / "r.txt").string()) == packaging::PathKind::file));
    BOOST_TEST((o.exists(dir.string()) == packaging::PathKind::directory));
    BOOST_TEST((o.exists((dir / "nope").string()) == packaging::PathKind::missing));
    BOOST_TEST((o.exists("/dev/null") == packaging::PathKind::other));
    BOOST_TEST(o.working_directory == std::filesystem::current_path().string());
    std::filesystem::remove_all(dir);

    ::setenv("PINWATCH_ENV_TEST_VAR", "value", 1);
    BOOST_TEST(*o.getenv("PINWATCH_ENV_TEST_VAR") == "value");
    ::unsetenv("PINWATCH_ENV_TEST_VAR");
    BOOST_TEST(!o.getenv("PINWATCH_ENV_TEST_VAR").has_value());
}
