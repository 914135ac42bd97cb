#define BOOST_TEST_MODULE deb
#include <boost/test/unit_test.hpp>

// The Debian package CPack built (the package_deb fixture): its control fields, its files, and
// the binary it installs, unpacked with `dpkg -x` into a scratch root and run from there.

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
