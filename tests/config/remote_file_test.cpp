#define BOOST_TEST_MODULE remote_file
#include <boost/test/unit_test.hpp>

// Entries of a requirements list that live elsewhere (https:// URLs, github:OWNER/REPO/PATH@REF):
// their names (never a password), where their includes point, and how the config reports a bad
// one. github: is the GitHub source's file spec (its parts are tested in
// tests/watcher/sources/github_contents_test.cpp); config knows it once the source registry
// has added it, as in every program that links the registry.

#include "config/config.hpp"
#include "config/remote_file.hpp"
#include "watcher/sources/registry.hpp"

using namespace pinwatch::config;

namespace {
struct SourcesRegistered {
    SourcesRegistered() { pinwatch::watcher::source_entries(); }
};
} // namespace
BOOST_TEST_GLOBAL_FIXTURE(SourcesRegistered);

BOOST_AUTO_TEST_CASE(a_file_host_is_known_by_the_prefix_its_source_added) {
    // A prefix no source owns is a local path like any other.
    BOOST_TEST(!is_remote_file("gitlab:acme/api/req.txt@main"));
    BOOST_TEST(file_spec_of("github:acme/api/req.txt@main") != nullptr);
    BOOST_TEST(file_spec_of("https://x.example/r.txt") == nullptr);
}

BOOST_AUTO_TEST_CASE(a_remote_name_never_holds_a_password) {
    BOOST_TEST(is_remote_file("https://x.example/r.txt"));
    BOOST_TEST(is_remote_file("HTTPS://x.example/r.txt"));
    BOOST_TEST(is_remote_file("github:a/b/c@d"));
    BOOST_TEST(is_remote_file("http://x.example/r.txt"));
    BOOST_TEST(!is_remote_file("requirements.txt"));
    BOOST_TEST(!is_remote_file("/srv/github/requirements.txt"));

    auto n = remote_file_name("https://deploy:s3cret@Files.EXAMPLE/team/requirements.txt#top");
    BOOST_REQUIRE(n);
    BOOST_TEST(*n == "https://files.example/team/requirements.txt");
    auto plain = remote_file_name("http://files.example/requirements.txt");
    BOOST_REQUIRE(!plain);
    BOOST_TEST(plain.error().find("https://") != std::string::npos);
    BOOST_TEST(!remote_file_name("https:///nohost.txt"));
    BOOST_TEST(*remote_file_name("github:acme/api/./a/req.txt@v1") ==
               "github:acme/api/a/req.txt@v1");
}

BOOST_AUTO_TEST_CASE(a_remote_file_is_recognised_by_its_last_segment) {
    BOOST_TEST(remote_basename("github:acme/api/services/uv.lock@main") == "uv.lock");
    BOOST_TEST(remote_basename("github:acme/api/poetry.lock@v1") == "poetry.lock");
    BOOST_TEST(remote_basename("https://files.example/a/pylock.toml?x=1#y") == "pylock.toml");
}

BOOST_AUTO_TEST_CASE(an_include_of_a_github_file_stays_in_its_repository_and_ref) {
    std::string const from = "github:acme/api/services/api/requirements.txt@v1.2";
    BOOST_TEST(*join_remote_include(from, "base.txt") ==
               "github:acme/api/services/api/base.txt@v1.2");
    BOOST_TEST(*join_remote_include(from, "../common/constraints.txt") ==
               "github:acme/api/services/common/constraints.txt@v1.2");
    BOOST_TEST(*join_remote_include(from, "/requirements/base.txt") ==
               "github:acme/api/requirements/base.txt@v1.2");
    BOOST_TEST(*join_remote_include(from, "github:acme/lib/req.txt@main") ==
               "github:acme/lib/req.txt@main");
    BOOST_TEST(*join_remote_include(from, "https://u:p@files.example/x.txt") ==
               "https://files.example/x.txt");
    auto out = join_remote_include(from, "../../../x.txt");
    BOOST_REQUIRE(!out);
    BOOST_TEST(out.error() == "'../../../x.txt' leaves the repository acme/api");
    // A fetched file never reads this machine's disk.
    auto local = join_remote_include(from, "file:///etc/passwd");
    BOOST_REQUIRE(!local);
    BOOST_TEST(local.error().find("local file") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_include_of_an_https_file_is_resolved_against_its_url) {
    std::string const from = "https://files.example/team/api/requirements.txt";
    BOOST_TEST(*join_remote_include(from, "base.txt") == "https://files.example/team/api/base.txt");
    BOOST_TEST(*join_remote_include(from, "../common.txt") ==
               "https://files.example/team/common.txt");
    BOOST_TEST(*join_remote_include(from, "/root.txt") == "https://files.example/root.txt");
    BOOST_TEST(*join_remote_include(from, "https://Other.EXAMPLE/c.txt") ==
               "https://other.example/c.txt");
    BOOST_TEST(!join_remote_include(from, "file:/etc/passwd"));
}

BOOST_AUTO_TEST_CASE(the_config_takes_remote_entries_and_names_a_bad_one) {
    auto ok = parse_config("requirements = [\"requirements.txt\", "
                           "\"https://u:pw@files.example/r.txt\", "
                           "\"github:acme/api/requirements.txt@main\"]\n"
                           "[projects]\nfiles_interval = \"90s\"\n",
                           "/etc/pinwatch/pinwatch.toml");
    BOOST_REQUIRE(ok);
    BOOST_TEST(ok->requirements.size() == 3u);
    BOOST_TEST(ok->requirements[0] == "/etc/pinwatch/requirements.txt");
    // Kept as written: the fetcher needs the credentials (remote_file_name hides them).
    BOOST_TEST(ok->requirements[1] == "https://u:pw@files.example/r.txt");
    BOOST_TEST(ok->requirements[2] == "github:acme/api/requirements.txt@main");
    BOOST_TEST(ok->files_interval.count() == 90);
    BOOST_TEST(parse_config("requirements = [\"r.txt\"]\n", "c.toml")->files_interval.count() ==
               300);

    auto bad = parse_config("requirements = [\"requirements.txt\", \"github:acme\"]\n", "c.toml");
    BOOST_REQUIRE(!bad);
    BOOST_REQUIRE(bad.error().size() == 1u);
    BOOST_TEST(bad.error()[0].str() ==
               "c.toml:1: requirements[1]: expected github:OWNER/REPO/PATH@REF");
    auto http = parse_config("requirements = [\"http://files.example/r.txt\"]\n", "c.toml");
    BOOST_REQUIRE(!http);
    BOOST_TEST(http.error()[0].str().find("requirements[0]: expected an https:// URL") !=
               std::string::npos);
    auto interval = parse_config("requirements = [\"r.txt\"]\n[projects]\nfiles_interval = "
                                 "\"soon\"\nfiles = 1\n",
                                 "c.toml");
    BOOST_REQUIRE(!interval);
    BOOST_REQUIRE(interval.error().size() == 2u);
    BOOST_TEST(interval.error()[0].str().find("c.toml:3: projects.files_interval: expected a "
                                              "duration") == 0);
    BOOST_TEST(interval.error()[1].str().find("c.toml:4: projects.files: unknown key") == 0);
}
