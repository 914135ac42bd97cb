#define BOOST_TEST_MODULE config_check_command
#include <boost/test/unit_test.hpp>

// `pinwatch config-check` through its command-line entry point, and `run` refusing to start on
// the same problems with the same lines.

#include "cli/commands.hpp"
#include "tests/fakes/scratch_dir.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

using namespace pinwatch;
namespace fs = std::filesystem;

namespace {

struct Dir : pinwatch::test::ScratchDir {
    Dir() : ScratchDir("pinwatch-cc") {}
};

struct Ran {
    int rc;
    std::string out, err;
};
Ran config_check(cli::Args const& args) {
    std::ostringstream out, err;
    int const rc = cli::run_config_check(args, out, err);
    return {rc, out.str(), err.str()};
}

} // namespace

BOOST_AUTO_TEST_CASE(a_good_config_exits_0) {
    Dir d;
    d.write("requirements.txt", "requests\n");
    auto const cfg = d.write("pinwatch.toml", "requirements = [\"requirements.txt\"]\n"
                                              "[notifiers.hook]\ntype = \"console\"\n");
    auto const r = config_check({"--config", cfg});
    BOOST_TEST(r.rc == 0, r.err);
    BOOST_TEST(r.out == cfg + ": ok: 1 requirements file(s), 0 pyproject file(s), 2 notifier(s)\n");
    BOOST_TEST(r.err.empty(), r.err);
}

BOOST_AUTO_TEST_CASE(problems_exit_1_and_run_refuses_with_the_same_lines) {
    Dir d;
    auto const cfg = d.write("pinwatch.toml", "requirements = [\"missing.txt\"]\n"
                                              "interval = \"often\"\n"
                                              "[notifiers.x]\ntype = \"pager\"\n");
    auto const r = config_check({"--config", cfg});
    BOOST_TEST(r.rc == 1);
    std::string const problems =
        cfg + ":1: requirements: cannot read '" + d.path("missing.txt") +
        "': No such file or directory\n" + cfg +
        ":2: interval: expected a duration from 1s to 366d, like \"90s\", \"15m\", \"1h\" or a "
        "number of seconds\n" +
        cfg +
        ":4: notifiers.x.type: unknown notifier type 'pager' (expected console, slack, "
        "webhook, email)\n";
    BOOST_TEST(r.err == problems + cfg + ": 3 problem(s); `pinwatch run` would refuse to start\n");
    BOOST_TEST(r.out.empty());

    std::ostringstream out, err;
    BOOST_TEST(cli::run_daemon({"--config", cfg, "--once"}, out, err) == 2);
    BOOST_TEST(err.str() == problems + "pinwatch run: not starting: 3 problem(s) in the config\n");
}

BOOST_AUTO_TEST_CASE(warnings_are_printed_but_do_not_fail) {
    Dir d;
    d.write("requirements.txt", "requests\n");
    auto const cfg =
        d.write("pinwatch.toml",
                "requirements = [\"requirements.txt\"]\n[notifiers.team]\ntype = \"slack\"\n"
                "webhook_url = \"https://hooks.slack.com/services/T0/B0/s3cr3t\"\n",
                0640);
    auto const r = config_check({"--config", cfg});
    BOOST_TEST(r.rc == 0);
    BOOST_TEST(r.err == "warning: " + cfg +
                            ":4: notifiers.team.webhook_url: a literal secret in a file readable "
                            "by group or others (mode 0640); use env:NAME, file:PATH or "
                            "credential:NAME, or chmod 600 the file\n");
    BOOST_TEST(r.out.find(", 1 warning(s)\n") != std::string::npos, r.out);
    BOOST_TEST(r.out.find("s3cr3t") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_default_config_is_in_the_configuration_directory) {
    Dir d;
    d.write("requirements.txt", "requests\n");
    d.write("pinwatch.toml", "requirements = [\"requirements.txt\"]\n");
    ::setenv("CONFIGURATION_DIRECTORY", d.dir.c_str(), 1);
    auto const r = config_check({});
    ::unsetenv("CONFIGURATION_DIRECTORY");
    BOOST_TEST(r.rc == 0, r.err);
    BOOST_TEST(r.out.rfind(d.path("pinwatch.toml") + ": ok", 0) == 0u, r.out);
}

BOOST_AUTO_TEST_CASE(usage_errors_exit_2) {
    BOOST_TEST(config_check({"--bogus"}).rc == 2);
    BOOST_TEST(config_check({"--config"}).rc == 2);
    BOOST_TEST(config_check({"--help"}).rc == 0);
}

// Issue 17: [advisories] is checked like every table, and the names the daemon would send to
// the advisory service are said once.
BOOST_AUTO_TEST_CASE(advisories_table_problems_name_the_line_and_key) {
    Dir d;
    d.write("requirements.txt", "requests==2.31.0\n");
    auto const cfg = d.write("pinwatch.toml", "requirements = [\"requirements.txt\"]\n"
                                              "[advisories]\n"
                                              "source = \"github\"\n"
                                              "osv_url = \"ftp://osv.example/\"\n"
                                              "interval = \"sometimes\"\n"
                                              "private = [\"acme/*\", 3]\n"
                                              "privat = []\n");
    auto const r = config_check({"--config", cfg});
    BOOST_TEST(r.rc == 1);
    auto const has = [&](std::string const& line) {
        BOOST_TEST(r.err.find(cfg + line) != std::string::npos, line << "\n" << r.err);
    };
    has(":3: advisories.source: expected \"osv\", \"index\" or \"none\", got \"github\"");
    has(":4: advisories.osv_url: expected ");
    has(":5: advisories.interval: expected a duration");
    has(":6: advisories.private: expected a package name or glob (letters, digits, - _ . and "
        "* ? [...]), got 'acme/*'");
    has(":6: advisories.private: expected a list of strings");
    has(":7: advisories.privat: unknown key (did you mean 'private'?)");
}

BOOST_AUTO_TEST_CASE(names_sent_to_osv_from_another_index_are_said_once) {
    Dir d;
    d.write("requirements.txt", "requests==2.31.0\nacme-tools==1.0\nacme-core==2.0\n");
    auto const cfg = d.write("pinwatch.toml", "requirements = [\"requirements.txt\"]\n"
                                              "index_url = \"https://pkgs.example/simple/\"\n"
                                              "vulnerability_interval = \"2h\"\n"
                                              "[advisories]\nprivate = [\"ACME_core\"]\n");
    auto const r = config_check({"--config", cfg});
    BOOST_TEST(r.rc == 0, r.err);
    BOOST_TEST(r.err ==
                   "note: advisories: the names of 2 packages from https://pkgs.example/simple/ "
                   "are sent to https://api.osv.dev/ (with their pinned versions) to look up "
                   "their advisories; to keep a name here, list it in [advisories] private "
                   "(names or globs)\n",
               r.err);
    // From pypi.org, or with advisories from the index itself, nothing is said.
    auto const quiet = d.write("quiet.toml", "requirements = [\"requirements.txt\"]\n"
                                             "index_url = \"https://pkgs.example/simple/\"\n"
                                             "[advisories]\nsource = \"index\"\n");
    BOOST_TEST(config_check({"--config", quiet}).err.empty());
}
