#define BOOST_TEST_MODULE systemd_unit
#include <boost/test/unit_test.hpp>

// systemd/pinwatch.service as systemd sees it: `systemd-analyze verify` finds nothing to say,
// and `systemd-analyze security --offline=yes` rates it 2.0 or lower. Skipped (not passed) when
// systemd-analyze is not installed.

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;
namespace utf = boost::unit_test;

namespace {

// $PINWATCH_SYSTEMD_ANALYZE overrides the path (to see the skip: point it at nothing).
std::string const kAnalyze = [] {
    char const* path = std::getenv("PINWATCH_SYSTEMD_ANALYZE");
    return std::string(path && *path ? path : "/usr/bin/systemd-analyze");
}();

struct HasAnalyze {
    boost::test_tools::assertion_result operator()(utf::test_unit_id) const {
        boost::test_tools::assertion_result r(::access(kAnalyze.c_str(), X_OK) == 0);
        r.message() << kAnalyze << " is not installed (Debian package systemd)";
        return r;
    }
};

std::string read(fs::path const& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// Runs a shell command, returns its exit status and its stdout+stderr.
std::pair<int, std::string> run(std::string const& command) {
    std::string out;
    FILE* p = ::popen((command + " 2>&1").c_str(), "r");
    BOOST_REQUIRE(p != nullptr);
    std::array<char, 4096> buf{};
    while (auto n = std::fread(buf.data(), 1, buf.size(), p))
        out.append(buf.data(), n);
    int const status = ::pclose(p);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// The repository's unit with ExecStart pointing at the binary just built (verify checks that
// the command exists and is executable), in a scratch folder named as the unit expects.
struct ScratchUnit {
    fs::path dir;
    fs::path unit;
    ScratchUnit() {
        dir = fs::temp_directory_path() / ("pinwatch-unit-" + std::to_string(::getpid()));
        fs::create_directories(dir);
        unit = dir / "pinwatch.service";
        std::string text = read(PINWATCH_UNIT);
        auto const at = text.find("ExecStart=/usr/bin/pinwatch ");
        BOOST_REQUIRE(at != std::string::npos);
        text.replace(at, std::string("ExecStart=/usr/bin/pinwatch").size(),
                     std::string("ExecStart=") + PINWATCH_BINARY);
        std::ofstream(unit) << text;
    }
    ~ScratchUnit() { fs::remove_all(dir); }
};

} // namespace

BOOST_AUTO_TEST_CASE(the_unit_says_what_the_daemon_does) {
    std::string const text = read(PINWATCH_UNIT);
    for (char const* line : {"Type=notify\n", "ExecReload=/bin/kill -HUP $MAINPID\n",
                             "WatchdogSec=", "DynamicUser=yes\n", "StateDirectory=pinwatch\n",
                             "ConfigurationDirectory=pinwatch\n", "UMask=0077\n",
                             "CapabilityBoundingSet=\n", "SystemCallFilter=@system-service\n",
                             "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX\n"})
        BOOST_TEST(text.find(line) != std::string::npos, "missing: " << line);
}

BOOST_AUTO_TEST_CASE(systemd_analyze_verify_is_clean, *utf::precondition(HasAnalyze())) {
    ScratchUnit u;
    auto const [rc, out] = run(kAnalyze + " verify '" + u.unit.string() + "'");
    BOOST_TEST(rc == 0, out);
    BOOST_TEST(out.empty(), out);
}

BOOST_AUTO_TEST_CASE(systemd_analyze_security_rates_it_2_or_lower,
                     *utf::precondition(HasAnalyze())) {
    ScratchUnit u;
    auto const [rc, out] =
        run(kAnalyze + " security --offline=yes --no-pager '" + u.unit.string() + "'");
    std::smatch m;
    BOOST_REQUIRE_MESSAGE(
        std::regex_search(out, m, std::regex("Overall exposure level for [^:]+: ([0-9]+\\.[0-9])")),
        out);
    double const score = std::stod(m[1].str());
    BOOST_TEST_MESSAGE("systemd-analyze security: " << score);
    BOOST_TEST(score <= 2.0, "exposure " << score << " is above 2.0:\n" << out);
}

// ExecCondition= starts the service once the config names something to watch: top-level
// `requirements`/`pyproject`, or a [projects.<name>] table with its `files` (#16); the shipped
// all-comments example keeps it stopped.
BOOST_AUTO_TEST_CASE(the_condition_starts_a_projects_only_config) {
    std::string const text = read(PINWATCH_UNIT);
    std::smatch m;
    BOOST_REQUIRE(std::regex_search(text, m,
                                    std::regex("ExecCondition=(/bin/grep .*) "
                                               "/etc/pinwatch/pinwatch.toml\n")));
    std::string const grep = m[1];
    fs::path const dir =
        fs::temp_directory_path() / ("pinwatch-cond-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    auto const starts = [&](std::string const& config) {
        std::ofstream(dir / "p.toml") << config;
        return run(grep + " " + (dir / "p.toml").string()).first == 0;
    };
    BOOST_TEST(starts("requirements = [\"/srv/r.txt\"]\n"));
    BOOST_TEST(starts("pyproject = \"/srv/pyproject.toml\"\n"));
    BOOST_TEST(starts("[projects.api]\nfiles = [\"/srv/api/uv.lock\"]\n"));
    BOOST_TEST(starts("[ projects.api ]\nfiles = [\"/srv/api/uv.lock\"]\n"));
    BOOST_TEST(!starts("# requirements = [\"r.txt\"]\n# [projects.api]\n# files = []\n"));
    BOOST_TEST(!starts(read(PINWATCH_EXAMPLE_CONFIG)));
    fs::remove_all(dir);
}
