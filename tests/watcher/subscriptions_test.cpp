#define BOOST_TEST_MODULE requirements_loader
#include <boost/test/unit_test.hpp>

#include "watcher/sources/registry.hpp"
#include "watcher/subscriptions.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace pinwatch::watcher;
namespace fs = std::filesystem;

namespace {
struct Dir {
    fs::path path = fs::temp_directory_path() / ("pinwatch-loader-" + std::to_string(::getpid()));
    Dir() { fs::create_directories(path); }
    ~Dir() { fs::remove_all(path); }
    std::string write(std::string const& name, std::string const& text) {
        std::ofstream(path / name, std::ios::binary) << text;
        return (path / name).string();
    }
};
Subscription const* find(LoadedRequirements const& l, std::string const& name) {
    for (auto const& s : l.subscriptions)
        if (s.name == name) return &s;
    return nullptr;
}
} // namespace

BOOST_AUTO_TEST_CASE(subscriptions_from_requirements_and_constraints) {
    Dir d;
    d.write("constraints.txt", "urllib3==2.0.7\nnot-required==1.0\n");
    // A local project must exist, as for pip (relative to the working directory, so absolute).
    fs::create_directories(d.path / "vendored/lib");
    d.write("vendored/lib/pyproject.toml", "");
    std::string const local = (d.path / "vendored/lib").string() + "\n"; // not watched
    std::string const dup = "requests>=2\n";                             // narrows the first
    std::string const win = "pywin32==306 ; sys_platform == 'win32'\n";  // does not apply here
    auto const req =
        d.write("requirements.txt", "-c constraints.txt\n"
                                    "Requests[socks]==2.31.0\n"
                                    "urllib3>=1.26,<3\n" +
                                        dup + win + local + "this is not a requirement\n");
    ::unsetenv("PIP_INDEX_URL");
    LoadOptions o;
    o.requirements = {req};
    auto l = load_requirements(o);
    BOOST_TEST(!l.unreadable);
    BOOST_TEST(l.index_url == "https://pypi.org/simple/");
    BOOST_REQUIRE_EQUAL(l.subscriptions.size(), 2u);
    auto const* requests = find(l, "requests");
    BOOST_REQUIRE(requests);
    BOOST_TEST(requests->specifier == "==2.31.0,>=2");
    BOOST_TEST(requests->pinned.value() == "2.31.0");
    BOOST_TEST(requests->line == 2);
    auto const* urllib3 = find(l, "urllib3");
    BOOST_REQUIRE(urllib3);
    // The constraint pins what the range leaves open; constraints alone subscribe nothing.
    BOOST_TEST(urllib3->pinned.value() == "2.0.7");
    BOOST_TEST(!find(l, "not-required"));
    BOOST_TEST(l.skipped.size() == 2u);
    BOOST_REQUIRE_EQUAL(l.errors.size(), 1u);
    BOOST_TEST(l.errors[0].line == 7);
    BOOST_TEST(l.errors[0].str().find("requirements.txt:7") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(index_precedence_and_pre) {
    Dir d;
    auto const with_i = d.write("a.txt", "-i https://mirror.example/simple/\n--pre\nfoo\n");
    auto const plain = d.write("b.txt", "foo\n");
    ::setenv("PIP_INDEX_URL", "https://env.example/simple/", 1);
    LoadOptions o;
    o.requirements = {plain};
    BOOST_TEST(load_requirements(o).index_url == "https://env.example/simple/");
    o.requirements = {with_i};
    auto l = load_requirements(o);
    BOOST_TEST(l.index_url == "https://mirror.example/simple/");
    BOOST_TEST(l.subscriptions.at(0).prereleases);
    BOOST_TEST(l.subscriptions.at(0).origin == "https://mirror.example/simple/");
    BOOST_TEST(l.subscriptions.at(0).source == "pypi");
    BOOST_TEST(l.subscriptions.at(0).locator ==
               "https://mirror.example/simple/" + l.subscriptions.at(0).name + "/");
    o.index_url = "https://explicit.example/simple/";
    BOOST_TEST(load_requirements(o).index_url == "https://explicit.example/simple/");
    ::unsetenv("PIP_INDEX_URL");
}

BOOST_AUTO_TEST_CASE(unreadable_files_are_usage_errors_but_nested_ones_are_line_errors) {
    Dir d;
    LoadOptions o;
    o.requirements = {(d.path / "missing.txt").string()};
    auto l = load_requirements(o);
    BOOST_TEST(l.unreadable);
    BOOST_REQUIRE(!l.errors.empty());
    auto const nested = d.write("n.txt", "foo==1\n-r missing-too.txt\n");
    o.requirements = {nested};
    auto n = load_requirements(o);
    BOOST_TEST(!n.unreadable);
    BOOST_TEST(n.subscriptions.size() == 1u);
    BOOST_REQUIRE(!n.errors.empty());
    BOOST_TEST(n.errors[0].line == 2);
}

BOOST_AUTO_TEST_CASE(pyproject_dependencies_subscribe_too) {
    Dir d;
    auto const py = d.write("pyproject.toml", R"([project]
name = "app"
dependencies = ["httpx>=0.27", "attrs==23.1.0"]
[project.optional-dependencies]
test = ["pytest==8.0.0"]
)");
    LoadOptions o;
    o.pyproject = {py};
    auto l = load_requirements(o);
    BOOST_TEST(l.errors.empty());
    BOOST_TEST(l.subscriptions.size() == 3u);
    BOOST_TEST(find(l, "attrs")->pinned.value() == "23.1.0");
    BOOST_TEST(find(l, "pytest") != nullptr);
}

// What `check` and the daemon's log show of the files: no URL credentials, no control
// characters, in problems and in skipped lines alike.
BOOST_AUTO_TEST_CASE(problems_and_skipped_lines_are_redacted_and_sanitised) {
    Dir d;
    auto const req =
        d.write("secrets.txt",
                std::string("--extra-index-url https://user:PASS1@pypi.example/simple --bogus\n"
                            "pkg @ https://user:TOKEN1@files.example/pkg-1.0.tar.gz\n"
                            "git+https://oauth2:TOKEN2@gitlab.example/g/r.git#egg=r\n"
                            "req\x1b[31m==1.0\x07\0x\n",
                            192));
    LoadOptions o;
    o.requirements = {req};
    auto l = load_requirements(o);
    BOOST_REQUIRE(l.errors.size() == 2u);
    BOOST_TEST(l.errors[0].message ==
               "invalid option in '--extra-index-url https://pypi.example/simple --bogus': no "
               "such option: --bogus");
    BOOST_TEST(l.errors[1].message.find("invalid requirement 'req\\x1b[31m==1.0\\x07\\x00x'") == 0u,
               l.errors[1].message);
    BOOST_REQUIRE(l.skipped.size() == 2u);
    for (auto const& s : l.skipped) {
        BOOST_TEST(s.name.find("TOKEN") == std::string::npos, s.name);
        BOOST_TEST(s.reason.find("TOKEN") == std::string::npos, s.reason);
    }
    BOOST_TEST(l.skipped[1].name == "r");
    BOOST_TEST(l.subscriptions.empty());
}

BOOST_AUTO_TEST_CASE(loaded_subscriptions_carry_their_parsed_fields) {
    Dir d;
    auto const req = d.write("requirements.txt", "requests==2.31.0\nflask>=2,<4\n");
    ::unsetenv("PIP_INDEX_URL");
    LoadOptions o;
    o.requirements = {req};
    o.rules.ignore = {">=3.1"};
    auto l = load_requirements(o);
    auto const* requests = find(l, "requests");
    BOOST_REQUIRE(requests);
    BOOST_REQUIRE(requests->parsed != nullptr);
    BOOST_REQUIRE(requests->parsed->pinned.has_value());
    BOOST_TEST(requests->parsed->pinned->str() == "2.31.0");
    BOOST_TEST(requests->parsed->specifier.value().str() == "==2.31.0");
    auto const* flask = find(l, "flask");
    BOOST_REQUIRE(flask);
    BOOST_REQUIRE(flask->parsed != nullptr);
    BOOST_TEST(!flask->parsed->pinned.has_value());
    BOOST_TEST(flask->parsed->specifier.value().str() == "<4,>=2");
    // The rules each package got are parsed with it.
    BOOST_REQUIRE(flask->rules.ignore_sets.size() == 1u);
    BOOST_TEST(flask->rules.ignore_sets[0].value().str() == ">=3.1");
}

BOOST_AUTO_TEST_CASE(a_lock_named_index_is_where_its_package_is_polled) {
    Dir d;
    auto const lock = d.write("uv.lock", R"(version = 1

[[package]]
name = "internal-auth"
version = "3.2.0"
source = { registry = "https://pypi.internal.example/simple" }

[[package]]
name = "six"
version = "1.16.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "numpy"
version = "1.26.4"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "numpy"
version = "2.1.3"
source = { registry = "https://pypi.org/simple" }
)");
    auto const req = d.write("requirements.txt", "six==1.16.0\n-r uv.lock\n");
    ::unsetenv("PIP_INDEX_URL");
    ::unsetenv("PIP_EXTRA_INDEX_URL");
    LoadOptions o;
    o.requirements = {req};
    o.index_url = "https://mirror.example/simple/";
    auto l = load_requirements(o);
    BOOST_TEST(l.errors.empty());
    // six from the requirements file (on the mirror) and from the lock (on PyPI): two polls.
    BOOST_REQUIRE_EQUAL(l.subscriptions.size(), 4u);
    BOOST_TEST(l.subscriptions[0].origin == "https://mirror.example/simple/");
    auto const& auth = l.subscriptions[1];
    BOOST_TEST(auth.name == "internal-auth");
    BOOST_TEST(auth.origin == "https://pypi.internal.example/simple/");
    BOOST_TEST(auth.locator == "https://pypi.internal.example/simple/internal-auth/");
    BOOST_TEST(auth.pinned.value() == "3.2.0");
    BOOST_TEST(auth.file == lock);
    BOOST_TEST(auth.authorization.empty());
    BOOST_TEST(l.subscriptions[2].origin == "https://pypi.org/simple/");
    // numpy locked twice: one poll, the first pin.
    BOOST_TEST(l.subscriptions[3].name == "numpy");
    BOOST_TEST(l.subscriptions[3].pinned.value() == "1.26.4");
    BOOST_TEST(l.subscriptions[3].specifier == "==1.26.4");
}

BOOST_AUTO_TEST_CASE(a_lock_named_index_gets_credentials_as_pip_finds_them) {
    auto const none = [](std::string const&) { return std::optional<std::string>(); };
    // From a configured index URL it lies under, or on the same origin.
    std::vector<std::string> const known = {"https://pypi.org/simple/",
                                            "https://ci:s3cr%40t@pypi.internal.example/simple/"};
    BOOST_TEST(lock_index_url("https://pypi.internal.example/simple", known, none) ==
               "https://ci:s3cr%40t@pypi.internal.example/simple");
    BOOST_TEST(lock_index_url("https://pypi.internal.example/other/simple", known, none) ==
               "https://ci:s3cr%40t@pypi.internal.example/other/simple");
    BOOST_TEST(lock_index_url("https://elsewhere.example/simple", known, none) ==
               "https://elsewhere.example/simple");
    // ${NAME} references, as pipenv writes them into Pipfile.lock sources.
    auto const vars = [](std::string const& name) {
        return name == "IDX_TOKEN" ? std::optional<std::string>("tok") : std::nullopt;
    };
    BOOST_TEST(lock_index_url("https://__token__:${IDX_TOKEN}@idx.example/simple", {}, vars) ==
               "https://__token__:tok@idx.example/simple");

    // Through load_requirements: PIP_EXTRA_INDEX_URL's credentials, sent as basic auth and kept
    // out of the locator.
    Dir d;
    auto const lock = d.write("uv.lock", "version = 1\n\n[[package]]\nname = \"internal-auth\"\n"
                                         "version = \"3.2.0\"\nsource = { registry = "
                                         "\"https://pypi.internal.example/simple\" }\n");
    ::unsetenv("PIP_INDEX_URL");
    ::setenv("PIP_EXTRA_INDEX_URL", "https://ci:s3cret@pypi.internal.example/simple/", 1);
    LoadOptions o;
    o.requirements = {lock};
    auto l = load_requirements(o);
    ::unsetenv("PIP_EXTRA_INDEX_URL");
    BOOST_REQUIRE_EQUAL(l.subscriptions.size(), 1u);
    BOOST_TEST(l.subscriptions[0].locator == "https://pypi.internal.example/simple/internal-auth/");
    BOOST_TEST(!l.subscriptions[0].authorization.empty());
    BOOST_TEST(l.subscriptions[0].authorization.reveal() == "Basic Y2k6czNjcmV0"); // ci:s3cret
}

// A requirement becomes the subscription of the registry entry that watches requirements (the
// PyPI source's `watch`): one entry sets it, and what it returns is what the loader keeps, one
// per project on one index however its name or the index URL is spelled.
BOOST_AUTO_TEST_CASE(a_requirement_is_watched_by_the_entry_that_says_so) {
    std::vector<SourceEntry const*> watching;
    for (auto const& e : source_entries())
        if (e.watch) watching.push_back(&e);
    BOOST_REQUIRE(watching.size() == 1u);
    BOOST_TEST(watching[0]->kind == "pypi");

    Dir d;
    auto const file = d.write("req.txt", "Foo_Bar==1.0\nfoo-bar<2\n");
    LoadOptions o;
    o.requirements = {file};
    o.index_url = "https://user:pw@Index.EXAMPLE/simple";
    auto const loaded = load_requirements(o);
    BOOST_REQUIRE(loaded.subscriptions.size() == 1u);
    auto const& s = loaded.subscriptions[0];
    auto const want = watching[0]->watch(*o.index_url, "Foo_Bar");
    BOOST_TEST(s.source == want.source);
    BOOST_TEST(s.locator == want.locator);
    BOOST_TEST(s.locator == "https://index.example/simple/foo-bar/");
    BOOST_TEST(s.origin == want.origin);
    BOOST_TEST(s.authorization.reveal() == want.authorization.reveal());
    BOOST_TEST(!s.authorization.empty());
    BOOST_TEST(s.specifier == "<2,==1.0"); // both lines narrow the one subscription
}
