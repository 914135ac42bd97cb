#define BOOST_TEST_MODULE secrets
#include <boost/test/unit_test.hpp>

// Secret references: env:, file:, credential: and literals; what each error says, and that no
// error ever carries the secret itself.

#include "config/secrets.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <ostream>
#include <sys/stat.h>

using namespace pinwatch;
using namespace pinwatch::config;
namespace fs = std::filesystem;

namespace {

constexpr char const* kValue = "https://hooks.slack.com/services/T0/B0/s3cr3tTOKEN";

// A private temporary folder, removed at the end of the test.
struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "pinwatch-secrets-XXXXXX").string();
        BOOST_REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        path = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    fs::path write(std::string const& name, std::string const& content, fs::perms mode) const {
        auto const p = path / name;
        std::ofstream(p, std::ios::binary) << content;
        fs::permissions(p, mode);
        return p;
    }
};

// Sets an environment variable for one test and restores the old state.
struct ScopedEnv {
    std::string name;
    std::optional<std::string> old;
    ScopedEnv(std::string n, char const* value) : name(std::move(n)) {
        if (char const* v = std::getenv(name.c_str())) old = v;
        if (value)
            ::setenv(name.c_str(), value, 1);
        else
            ::unsetenv(name.c_str());
    }
    ~ScopedEnv() {
        if (old)
            ::setenv(name.c_str(), old->c_str(), 1);
        else
            ::unsetenv(name.c_str());
    }
};

std::string error_of(Result<std::string> const& r) {
    BOOST_REQUIRE_MESSAGE(!r.has_value(), "expected an error");
    BOOST_TEST(r.error().find("s3cr3tTOKEN") == std::string::npos, r.error());
    return r.error();
}

constexpr auto kOwnerOnly = fs::perms::owner_read | fs::perms::owner_write;

} // namespace

// Printing a Secret does not compile; using it takes reveal().
template <class T>
concept streamable = requires(std::ostream& os, T const& t) {
    os << t;
};
static_assert(!streamable<Secret>);
static_assert(streamable<std::string>);
static_assert(!std::is_convertible_v<Secret, std::string>);

BOOST_AUTO_TEST_CASE(literals_are_the_value_itself) {
    auto r = resolve_secret(kValue);
    BOOST_REQUIRE(r.has_value());
    BOOST_TEST(*r == kValue);
    BOOST_TEST(!is_secret_reference(kValue));
    BOOST_TEST(is_secret_reference("env:X"));
    BOOST_TEST(is_secret_reference("file:x"));
    BOOST_TEST(is_secret_reference("credential:x"));
    auto s = resolve_secret_value("whsec_abc");
    BOOST_REQUIRE(s.has_value());
    BOOST_TEST(s->reveal() == "whsec_abc");
}

BOOST_AUTO_TEST_CASE(environment_variables) {
    ScopedEnv set("PINWATCH_TEST_SECRET", kValue);
    ScopedEnv unset("PINWATCH_TEST_UNSET", nullptr);
    ScopedEnv empty("PINWATCH_TEST_EMPTY", "");
    auto r = resolve_secret("env:PINWATCH_TEST_SECRET");
    BOOST_REQUIRE(r.has_value());
    BOOST_TEST(*r == kValue);
    BOOST_TEST(error_of(resolve_secret("env:PINWATCH_TEST_UNSET")) ==
               "env: environment variable 'PINWATCH_TEST_UNSET' is not set");
    BOOST_TEST(error_of(resolve_secret("env:PINWATCH_TEST_EMPTY")) ==
               "env: environment variable 'PINWATCH_TEST_EMPTY' is empty");
    BOOST_TEST(error_of(resolve_secret("env:")) ==
               "env: expected an environment variable name after 'env:'");
}

BOOST_AUTO_TEST_CASE(private_files_with_the_newline_stripped) {
    TempDir dir;
    auto const p = dir.write("slack-url", std::string(kValue) + "\n", kOwnerOnly);
    auto r = resolve_secret("file:" + p.string());
    BOOST_REQUIRE(r.has_value());
    BOOST_TEST(*r == kValue);

    dir.write("crlf", "whsec_abc\r\n", kOwnerOnly);
    auto relative = resolve_secret("file:crlf", dir.path);
    BOOST_REQUIRE(relative.has_value());
    BOOST_TEST(*relative == "whsec_abc");
}

BOOST_AUTO_TEST_CASE(files_others_can_read_are_refused) {
    TempDir dir;
    auto const world =
        dir.write("world", kValue, kOwnerOnly | fs::perms::group_read | fs::perms::others_read);
    BOOST_TEST(error_of(resolve_secret("file:" + world.string())) ==
               "file: '" + world.string() +
                   "' is readable by group or others (mode 0644); restrict it with chmod 600");
    auto const group = dir.write("group", kValue, fs::perms::owner_read | fs::perms::group_read);
    BOOST_TEST(error_of(resolve_secret("file:" + group.string())) ==
               "file: '" + group.string() +
                   "' is readable by group or others (mode 0440); restrict it with chmod 600");
}

BOOST_AUTO_TEST_CASE(file_errors_name_the_path) {
    TempDir dir;
    auto const missing = dir.path / "missing";
    BOOST_TEST(error_of(resolve_secret("file:" + missing.string())) ==
               "file: cannot read '" + missing.string() + "': No such file or directory");
    auto const empty = dir.write("empty", "\n", kOwnerOnly);
    BOOST_TEST(error_of(resolve_secret("file:" + empty.string())) ==
               "file: '" + empty.string() + "' is empty");
    BOOST_TEST(error_of(resolve_secret("file:" + dir.path.string())) ==
               "file: '" + dir.path.lexically_normal().string() + "' is not a regular file");
    BOOST_TEST(error_of(resolve_secret("file:")) == "file: expected a path after 'file:'");
}

BOOST_AUTO_TEST_CASE(systemd_credentials) {
    TempDir dir;
    // systemd may grant the unit access through an ACL, which shows as group bits: accepted.
    dir.write("slack", std::string(kValue) + "\n", fs::perms::owner_read | fs::perms::group_read);
    {
        ScopedEnv creds("CREDENTIALS_DIRECTORY", dir.path.c_str());
        auto r = resolve_secret("credential:slack");
        BOOST_REQUIRE(r.has_value());
        BOOST_TEST(*r == kValue);
        BOOST_TEST(error_of(resolve_secret("credential:other")) ==
                   "credential: cannot read '" + (dir.path / "other").string() +
                       "': No such file or directory");
        BOOST_TEST(error_of(resolve_secret("credential:../slack")) ==
                   "credential: expected a credential name (no '/') after 'credential:'");
    }
    ScopedEnv none("CREDENTIALS_DIRECTORY", nullptr);
    BOOST_TEST(error_of(resolve_secret("credential:slack")) ==
               "credential: $CREDENTIALS_DIRECTORY is not set, so credential 'slack' cannot be "
               "read (systemd sets it for units with LoadCredential=)");
}
