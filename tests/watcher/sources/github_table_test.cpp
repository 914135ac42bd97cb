// The GitHub source's [github] table: read by the source from the table the config hands it
// (moved here from tests/config/config_test.cpp with the table; what it asserts is unchanged).
#define BOOST_TEST_MODULE github_table
#include <boost/test/unit_test.hpp>

#include "config/config.hpp"
#include "tests/fakes/config_errors.hpp"
#include "watcher/sources/github/github.hpp"
#include "watcher/sources/registry.hpp"

#include <any>
#include <cstdlib>
#include <set>

using namespace pinwatch;
using namespace pinwatch::config;
using pinwatch::watcher::GithubSettings;

using namespace pinwatch::testing;

namespace {

Result<Config, std::vector<ConfigError>> parse_config_with_sources(std::string const& text,
                                                                   std::string const& path) {
    return parse_config(text, path, pinwatch::watcher::source_tables());
}

GithubSettings const& github(Config const& c) {
    return std::any_cast<GithubSettings const&>(c.tables.at("github"));
}

} // namespace

BOOST_AUTO_TEST_CASE(the_github_table) {
    ScopedEnv token("PINWATCH_TEST_GH", "ghp_s3cr3tTOKEN");
    auto c = parse_config_with_sources(R"(
requirements = ["requirements.txt"]
[github]
api_url = "https://ghe.example.com/api/v3"
token = "env:PINWATCH_TEST_GH"
interval = "2h"
spike_min_issues = 8
spike_p_value = 0.0001

[github.repos]
requests = "psf/requests"
Internal_Lib = false
)",
                                       "/etc/pinwatch/pinwatch.toml");
    BOOST_REQUIRE_MESSAGE(c, (c ? "" : all(c.error())));
    BOOST_TEST(c->tables.count("github"));
    BOOST_TEST(github(*c).api_url == "https://ghe.example.com/api/v3/");
    BOOST_TEST(github(*c).token.reveal() == "ghp_s3cr3tTOKEN");
    BOOST_TEST(github(*c).interval->count() == 7200);
    BOOST_TEST(github(*c).spike_min_issues == 8);
    BOOST_TEST(github(*c).spike_p_value == 0.0001);
    BOOST_TEST(github(*c).repos.at("requests").value_or("-") == "psf/requests");
    BOOST_TEST(!github(*c).repos.at("internal-lib").has_value());
    // Defaults, and no GitHub without the table.
    auto d = parse_config_with_sources("requirements = [\"r.txt\"]\n[github]\n", "/p.toml");
    BOOST_REQUIRE(d);
    BOOST_TEST(d->tables.count("github"));
    BOOST_TEST(github(*d).api_url == "https://api.github.com/");
    BOOST_TEST(github(*d).token.empty());
    BOOST_TEST(github(*d).interval->count() == 3600);
    BOOST_TEST(github(*d).spike_min_issues == 5);
    BOOST_TEST(github(*d).spike_p_value == 0.001);
    BOOST_TEST(!parse_config_with_sources("requirements = [\"r.txt\"]\n", "/p.toml")
                    ->tables.count("github"));
}

BOOST_AUTO_TEST_CASE(github_mistakes_name_the_line_and_key) {
    auto c = parse_config_with_sources(R"(requirements = ["r.txt"]
[github]
api_url = "http://api.github.com/"
token = "env:PINWATCH_TEST_GH_UNSET"
spike_p_value = 2
spike_min_issues = 0
intreval = "1h"
[github.repos]
requests = "psf"
flask = true
"bad name!" = "a/b"
)",
                                       "/p.toml");
    BOOST_REQUIRE(!c);
    auto const m = messages(c.error());
    BOOST_TEST(m.count("/p.toml:3: github.api_url: expected an https:// URL (http:// only "
                       "to 127.0.0.1 or localhost)"),
               all(c.error()));
    BOOST_TEST(m.count("/p.toml:4: github.token: env: environment variable "
                       "'PINWATCH_TEST_GH_UNSET' is not set"),
               all(c.error()));
    BOOST_TEST(m.count("/p.toml:5: github.spike_p_value: expected a probability between 0 "
                       "and 1, like 0.001"),
               all(c.error()));
    BOOST_TEST(m.count("/p.toml:6: github.spike_min_issues: expected an integer from 1 to "
                       "100000"),
               all(c.error()));
    BOOST_TEST(m.count("/p.toml:7: github.intreval: unknown key (did you mean 'interval'?)"),
               all(c.error()));
    BOOST_TEST(m.count("/p.toml:9: github.repos.requests: expected \"owner/repo\" or false"),
               all(c.error()));
    BOOST_TEST(m.count("/p.toml:10: github.repos.flask: expected \"owner/repo\" or false"),
               all(c.error()));
    BOOST_TEST(m.count("/p.toml:11: github.repos.bad name!: not a valid project name"),
               all(c.error()));
    // A literal token is refused when blank, and never repeated.
    auto t = parse_config_with_sources(
        "requirements = [\"r.txt\"]\n[github]\ntoken = \"ghp s3cr3t\"\n", "/p.toml");
    BOOST_REQUIRE(!t);
    require_no_secrets(t.error());
    BOOST_TEST(all(t.error()).find("a token without blanks") != std::string::npos, all(t.error()));
}
