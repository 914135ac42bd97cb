#define BOOST_TEST_MODULE deb
#include <boost/test/unit_test.hpp>

// The Debian package CPack built (the package_deb fixture): its control fields, its files, and
// the binary it installs, unpacked with `dpkg -x` into a scratch root and run from there; its
// maintainer scripts (dpkg-deb -e) run against stand-ins for systemd's helpers that log what
// they are asked; its conffile, man page and copyright; lintian's verdict when it is installed.

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {

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

std::string read(fs::path const& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

bool contains(std::string const& s, std::string const& part) {
    return s.find(part) != std::string::npos;
}

struct Unpacked {
    fs::path deb;
    fs::path root;
    Unpacked() {
        for (auto const& e : fs::directory_iterator(PINWATCH_DEB_DIR))
            if (e.path().extension() == ".deb") deb = e.path();
        BOOST_REQUIRE_MESSAGE(!deb.empty(), "no .deb in " PINWATCH_DEB_DIR);
        root = fs::temp_directory_path() / ("pinwatch-deb-" + std::to_string(::getpid()));
        fs::remove_all(root);
        fs::create_directories(root);
        auto const [rc, out] = run("dpkg -x '" + deb.string() + "' '" + root.string() + "'");
        BOOST_REQUIRE_MESSAGE(rc == 0, out);
    }
    ~Unpacked() { fs::remove_all(root); }
};

// A scratch folder removed at the end.
struct Scratch {
    fs::path dir;
    explicit Scratch(std::string const& name) {
        dir =
            fs::temp_directory_path() / ("pinwatch-deb-" + name + "-" + std::to_string(::getpid()));
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    ~Scratch() { fs::remove_all(dir); }
};

// The package's maintainer scripts, run as dpkg runs them but with deb-systemd-helper,
// deb-systemd-invoke and systemctl replaced by stand-ins that append their arguments to a log,
// and DPKG_ROOT pointing at a scratch root (nothing on this machine is touched).
struct Scripts {
    Scratch scratch{"scripts"};
    fs::path control = scratch.dir / "control";
    fs::path bin = scratch.dir / "bin";
    fs::path root = scratch.dir / "root";
    fs::path log = scratch.dir / "calls.log";
    explicit Scripts(fs::path const& deb) {
        fs::create_directories(bin);
        fs::create_directories(root);
        auto const [rc, out] = run("dpkg-deb -e '" + deb.string() + "' '" + control.string() + "'");
        BOOST_REQUIRE_MESSAGE(rc == 0, out);
        for (char const* tool : {"deb-systemd-helper", "deb-systemd-invoke", "systemctl"}) {
            std::ofstream(bin / tool)
                << "#!/bin/sh\necho \"" << tool << " $*\" >> '" << log.string() << "'\n"
                << "[ \"$1 $2\" != \"--quiet was-enabled\" ] || exit 0\n";
            fs::permissions(bin / tool, fs::perms::owner_all);
        }
    }
    // Runs one script with dpkg's arguments; the calls it made, one a line.
    std::string calls(std::string const& script, std::string const& args) {
        fs::remove(log);
        auto const [rc, out] =
            run("env PATH='" + bin.string() + ":/usr/bin:/bin' DPKG_ROOT='" + root.string() +
                "' sh -e '" + (control / script).string() + "' " + args);
        BOOST_TEST(rc == 0, script << " " << args << ": " << out);
        return fs::exists(log) ? read(log) : std::string();
    }
};

bool systemd_running() {
    return fs::is_directory("/run/systemd/system");
}

} // namespace

BOOST_AUTO_TEST_CASE(control_fields) {
    Unpacked u;
    BOOST_TEST(u.deb.filename().string().rfind("pinwatch_" PINWATCH_VERSION "_", 0) == 0u,
               u.deb.filename());
    auto const [rc, fields] =
        run("dpkg-deb --field '" + u.deb.string() + "' Package Version Architecture Depends");
    BOOST_REQUIRE(rc == 0);
    BOOST_TEST(contains(fields, "Package: pinwatch\n"), fields);
    BOOST_TEST(contains(fields, "Version: " PINWATCH_VERSION "\n"), fields);
    // Debian 12's runtime packages of the libraries the binary links, found by dpkg-shlibdeps.
    for (char const* dep : {"ca-certificates", "libc6", "libssl3", "libsystemd0", "libsqlite3-0",
                            "libboost-url1.81.0", "libspdlog1.1", "libtomlplusplus3", "libdeflate0",
                            "zlib1g", "libstdc++6"})
        BOOST_TEST(contains(fields, dep), "Depends lacks " << dep << ":\n" << fields);
}

BOOST_AUTO_TEST_CASE(contents_and_the_installed_binary_runs) {
    Unpacked u;
    auto const bin = u.root / "usr/bin/pinwatch";
    auto const unit = u.root / "usr/lib/systemd/system/pinwatch.service";
    auto const doc = u.root / "usr/share/doc/pinwatch";
    BOOST_REQUIRE(fs::exists(bin));
    BOOST_TEST(((fs::status(bin).permissions() & fs::perms::others_exec) != fs::perms::none));
    BOOST_REQUIRE(fs::exists(unit));
    BOOST_TEST(fs::exists(doc / "README.md"));
    BOOST_TEST(fs::exists(doc / "examples/pinwatch.toml"));
    BOOST_TEST(fs::exists(doc / "examples/pinwatch-full.toml"));
    // The unit points at the installed binary and README.
    auto const text = read(unit);
    BOOST_TEST(contains(text, "ExecStart=/usr/bin/pinwatch run --config /etc/pinwatch/"), text);
    BOOST_TEST(contains(text, "Documentation=file:///usr/share/doc/pinwatch/README.md"), text);
    // Nothing from the tests or the benchmark.
    for (auto const& e : fs::recursive_directory_iterator(u.root))
        BOOST_TEST(!contains(e.path().string(), "test"), e.path());

    auto const [vrc, version] = run("'" + bin.string() + "' --version");
    BOOST_TEST(vrc == 0);
    BOOST_TEST(version == "pinwatch " PINWATCH_VERSION "\n");
    // The shipped example config is checked by the shipped binary: it names a requirements
    // file that does not exist here, and says so in the usual shape.
    auto const example = doc / "examples/pinwatch.toml";
    auto const [crc, checked] =
        run("'" + bin.string() + "' config-check --config '" + example.string() + "'");
    BOOST_TEST(crc == 1, checked);
    BOOST_TEST(contains(checked, example.string() + ":3: requirements: cannot read "
                                                    "'/srv/app/requirements.txt': No such file or "
                                                    "directory"),
               checked);
}

BOOST_AUTO_TEST_CASE(maintainer_scripts_enable_start_restart_and_stop_the_unit) {
    Unpacked u;
    Scripts sc(u.deb);
    for (char const* script : {"postinst", "prerm", "postrm"}) {
        auto const path = sc.control / script;
        BOOST_REQUIRE_MESSAGE(fs::exists(path), script << " missing");
        BOOST_TEST(((fs::status(path).permissions() & fs::perms::others_exec) != fs::perms::none),
                   script);
        auto const [rc, out] = run("sh -n '" + path.string() + "'");
        BOOST_TEST(rc == 0, script << ": " << out);
        BOOST_TEST(read(path).rfind("#!/bin/sh\n", 0) == 0u, script);
    }
    bool const systemd = systemd_running();

    // A first install: the unit enabled, started only where systemd runs, the credentials
    // folder made root's alone.
    auto const fresh = sc.calls("postinst", "configure");
    BOOST_TEST(contains(fresh, "deb-systemd-helper enable pinwatch.service\n"), fresh);
    BOOST_TEST(contains(fresh, "deb-systemd-invoke start pinwatch.service\n") == systemd, fresh);
    BOOST_TEST(!contains(fresh, "restart"), fresh);
    auto const creds = sc.root / "etc/pinwatch/credentials";
    BOOST_REQUIRE(fs::is_directory(creds));
    BOOST_TEST(((fs::status(creds).permissions() & fs::perms::all) == fs::perms::owner_all));

    // An upgrade from 0.0.9: restarted with the new binary, not merely started.
    auto const upgrade = sc.calls("postinst", "configure 0.0.9");
    BOOST_TEST(contains(upgrade, "deb-systemd-invoke restart pinwatch.service\n") == systemd,
               upgrade);
    BOOST_TEST(!contains(upgrade, "invoke start"), upgrade);

    // prerm stops it on remove, and leaves it running through an upgrade.
    BOOST_TEST(sc.calls("prerm", "upgrade 0.2.0").empty());
    auto const remove = sc.calls("prerm", "remove");
    BOOST_TEST(contains(remove, "deb-systemd-invoke stop pinwatch.service\n") == systemd, remove);

    // postrm: systemd forgets the unit on remove; purge drops its state, the service's state
    // folder and the empty credentials folder.
    auto const removed = sc.calls("postrm", "remove");
    BOOST_TEST(contains(removed, "systemctl --system daemon-reload") == systemd, removed);
    BOOST_TEST(!contains(removed, "purge"), removed);
    fs::create_directories(sc.root / "var/lib/private/pinwatch");
    std::ofstream(sc.root / "var/lib/private/pinwatch/state.db") << "x";
    auto const purged = sc.calls("postrm", "purge");
    BOOST_TEST(contains(purged, "deb-systemd-helper purge pinwatch.service\n"), purged);
    BOOST_TEST(!fs::exists(sc.root / "var/lib/private/pinwatch"));
    BOOST_TEST(!fs::exists(creds));
}

BOOST_AUTO_TEST_CASE(the_config_is_a_commented_conffile_the_unit_waits_for) {
    Unpacked u;
    Scripts sc(u.deb);
    BOOST_TEST(read(sc.control / "conffiles") == "/etc/pinwatch/pinwatch.toml\n");
    auto const conf = u.root / "etc/pinwatch/pinwatch.toml";
    BOOST_REQUIRE(fs::exists(conf));
    // All comments: nothing to watch and no notifiers, which config-check says.
    std::istringstream lines(read(conf));
    for (std::string line; std::getline(lines, line);)
        BOOST_TEST((line.empty() || line[0] == '#'), "not a comment: " << line);
    auto const bin = u.root / "usr/bin/pinwatch";
    auto const [rc, out] =
        run("'" + bin.string() + "' config-check --config '" + conf.string() + "'");
    BOOST_TEST(rc == 1, out);
    BOOST_TEST(contains(out, "requirements: nothing to watch"), out);

    // The unit's ExecCondition= (the command, run here on the files) skips the service while
    // the config is the shipped example, and lets it start once it names files to watch.
    auto const unit = read(u.root / "usr/lib/systemd/system/pinwatch.service");
    auto const at = unit.find("ExecCondition=");
    BOOST_REQUIRE(at != std::string::npos);
    std::string condition = unit.substr(at + 14, unit.find('\n', at) - at - 14);
    auto const path = condition.find("/etc/pinwatch/pinwatch.toml");
    BOOST_REQUIRE(path != std::string::npos);
    auto const check = [&](fs::path const& file) {
        std::string c = condition;
        c.replace(path, std::string("/etc/pinwatch/pinwatch.toml").size(),
                  "'" + file.string() + "'");
        return run(c).first;
    };
    BOOST_TEST(check(conf) == 1); // skipped
    Scratch s("configured");
    std::ofstream(s.dir / "pinwatch.toml") << read(conf) << "requirements = [\"/srv/r.txt\"]\n";
    BOOST_TEST(check(s.dir / "pinwatch.toml") == 0); // runs
    BOOST_TEST(check(s.dir / "absent.toml") != 0);   // no config at all: skipped too
}

BOOST_AUTO_TEST_CASE(the_man_page_is_the_help_text_and_man_reads_it) {
    Unpacked u;
    auto const page = u.root / "usr/share/man/man1/pinwatch.1.gz";
    BOOST_REQUIRE(fs::exists(page));
    auto const [rc, text] =
        run("MANWIDTH=100 MANPAGER=cat man --warnings -E UTF-8 -l '" + page.string() + "'");
    BOOST_TEST(rc == 0, text);
    // groff's complaints (lines it cannot break, unknown requests) go to stderr: none.
    auto const [wrc, warnings] = run("{ MANWIDTH=80 MANPAGER=cat man --warnings -E UTF-8 -l '" +
                                     page.string() + "' >/dev/null; }");
    BOOST_TEST(wrc == 0);
    BOOST_TEST(warnings.empty(), warnings);
    BOOST_TEST(contains(text, "pinwatch - watches the Python packages a team pins"), text);
    // Every command's --help is in it, as the binary prints it.
    auto const bin = u.root / "usr/bin/pinwatch";
    for (char const* command :
         {"check", "run", "status", "notify-test", "config-check", "evaluate", "deps"}) {
        BOOST_TEST(contains(text, std::string("pinwatch ") + command), command);
        auto const [hrc, help] = run("'" + bin.string() + "' " + command + " --help");
        std::istringstream first(help);
        std::string usage;
        std::getline(first, usage);
        BOOST_TEST(contains(text, usage), command << ": " << usage);
    }
}

BOOST_AUTO_TEST_CASE(copyright_and_changelog_are_where_debian_looks) {
    Unpacked u;
    auto const doc = u.root / "usr/share/doc/pinwatch";
    auto const copyright = read(doc / "copyright");
    BOOST_TEST(copyright.rfind("Format: https://www.debian.org/doc/packaging-manuals/"
                               "copyright-format/1.0/\n",
                               0) == 0u);
    BOOST_TEST(contains(copyright, "\nFiles: *\n"));
    BOOST_TEST(contains(copyright, "\nLicense: Unicode-DFS-2016\n"));
    auto const [rc, log] = run("zcat '" + (doc / "changelog.gz").string() + "'");
    BOOST_TEST(rc == 0);
    BOOST_TEST(log.rfind("pinwatch (" PINWATCH_VERSION ") ", 0) == 0u, log);
}

// lintian, Debian's policy checker: no error or warning (the informational tags left are
// explained in the README's "The Debian package"). Skipped where lintian is not installed.
BOOST_AUTO_TEST_CASE(lintian_finds_no_error_or_warning,
                     *boost::unit_test::precondition([](boost::unit_test::test_unit_id) {
                         boost::test_tools::assertion_result r = fs::exists("/usr/bin/lintian");
                         r.message() << "lintian is not installed (scripts/setup-debian.sh)";
                         return r;
                     })) {
    Unpacked u;
    auto const [rc, out] = run("lintian --tag-display-limit 0 '" + u.deb.string() + "'");
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);)
        BOOST_TEST(!(line.rfind("E: ", 0) == 0 || line.rfind("W: ", 0) == 0), line);
    BOOST_TEST(rc == 0, out);
}
