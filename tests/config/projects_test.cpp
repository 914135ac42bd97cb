// [projects.<name>]: the keys, their defaults, the "default" project the top-level files form,
// and every problem reported as file:line: key: message (with a did-you-mean where one is close).
#define BOOST_TEST_MODULE config_projects
#include <boost/test/unit_test.hpp>

#include "config/changes.hpp"
#include "config/config.hpp"
#include "notifiers/registry.hpp"
#include "tests/fakes/config_errors.hpp"

#include <algorithm>

using namespace pinwatch;
using namespace pinwatch::config;
using namespace pinwatch::testing;

namespace {

Result<Config, std::vector<ConfigError>> parse(std::string const& text) {
    return parse_config(text, "/etc/pinwatch/p.toml", {}, notifiers::channel_readers());
}

void require_lines(std::string const& text, std::vector<std::string> const& lines) {
    for (auto const& line : lines)
        BOOST_TEST(text.find(line) != std::string::npos, line << "\nin:\n" << text);
}

} // namespace

BOOST_AUTO_TEST_CASE(three_projects_with_their_keys_and_defaults) {
    auto c = parse(R"(index_url = "https://pypi.org/simple/"
python_version = "3.11"
[projects]
files_interval = "10m"
[projects.api]
files = ["/srv/api/requirements.txt", "api/pyproject.toml"]
notifiers = ["api-hook"]
transitive = "all"
python_version = "3.12"
index_url = "https://pypi.internal.example/simple/"
[projects.api.packages.Django]
ignore = ">=6"
[projects.worker]
files = "/srv/worker/requirements.txt"
transitive = "none"
[projects.batch]
files = ["/srv/batch/requirements.txt"]
[notifiers.api-hook]
type = "webhook"
url = "https://hooks.example.com/api"
secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
)");
    BOOST_REQUIRE_MESSAGE(c.has_value(), (c ? std::string() : all(c.error())));
    BOOST_TEST(c->files_interval.count() == 600);
    BOOST_REQUIRE(c->projects.size() == 3u);
    auto const& api = c->projects[0];
    BOOST_TEST(api.name == "api");
    BOOST_TEST(api.files == (std::vector<std::string>{"/srv/api/requirements.txt",
                                                      "/etc/pinwatch/api/pyproject.toml"}));
    BOOST_REQUIRE(api.notifiers.has_value());
    BOOST_TEST(*api.notifiers == std::vector<std::string>{"api-hook"});
    BOOST_TEST(api.transitive == model::Transitive::all);
    BOOST_TEST(api.python_version.value_or("") == "3.12");
    BOOST_TEST(api.index_url.value_or("") == "https://pypi.internal.example/simple/");
    BOOST_REQUIRE(api.packages.count("django") == 1u);
    BOOST_TEST(api.packages.at("django").ignore.value_or(std::vector<std::string>{}) ==
               std::vector<std::string>{">=6"});
    BOOST_TEST(c->packages.empty()); // the project's rules are its own
    auto const& worker = c->projects[1];
    BOOST_TEST(worker.name == "worker");
    BOOST_TEST(worker.transitive == model::Transitive::none);
    BOOST_TEST(!worker.notifiers.has_value()); // every notifier
    auto const& batch = c->projects[2];
    BOOST_TEST(batch.transitive == model::Transitive::urgent); // the default
    BOOST_TEST(!batch.python_version.has_value());

    // all_projects: no top-level files, no "default"; the global python/index fill the gaps.
    auto const every = all_projects(*c);
    BOOST_REQUIRE(every.size() == 3u);
    BOOST_TEST(every[1].python_version.value_or("") == "3.11");
    BOOST_TEST(every[1].index_url.value_or("") == "https://pypi.org/simple/");
    BOOST_TEST(every[0].python_version.value_or("") == "3.12");
}

BOOST_AUTO_TEST_CASE(top_level_files_form_the_default_project) {
    auto c = parse(R"(requirements = ["requirements.txt"]
pyproject = ["pyproject.toml"]
[projects.api]
files = ["/srv/api/requirements.txt"]
)");
    BOOST_REQUIRE_MESSAGE(c.has_value(), (c ? std::string() : all(c.error())));
    BOOST_TEST(c->files_interval.count() == 300); // "5m" unless set
    auto const every = all_projects(*c);
    BOOST_REQUIRE(every.size() == 2u);
    BOOST_TEST(every[0].name == "default");
    BOOST_TEST(every[0].files == std::vector<std::string>{"/etc/pinwatch/requirements.txt"});
    BOOST_TEST(every[0].pyproject == std::vector<std::string>{"/etc/pinwatch/pyproject.toml"});
    BOOST_TEST(every[0].transitive == model::Transitive::urgent);
    BOOST_TEST(!every[0].notifiers.has_value());
    BOOST_TEST(every[1].name == "api");
}

BOOST_AUTO_TEST_CASE(a_projects_only_config_has_something_to_watch) {
    auto c = parse("[projects.api]\nfiles = [\"/srv/api/requirements.txt\"]\n");
    BOOST_REQUIRE_MESSAGE(c.has_value(), (c ? std::string() : all(c.error())));
    auto none = parse("[projects]\nfiles_interval = \"5m\"\n");
    BOOST_REQUIRE(!none.has_value());
    BOOST_TEST(all(none.error()).find("nothing to watch") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(every_problem_names_the_line_and_the_key) {
    auto c = parse(R"(requirements = ["r.txt"]
[projects]
files_intervall = "5m"
[projects.api]
files = ["a.txt"]
notifiers = ["api-slak", "nobody"]
transitive = "urgnet"
python_version = "three"
index_url = "ftp://x"
fils = ["b.txt"]
[projects.api.packages.django]
ignor = ">=6"
[projects.worker]
notifiers = ["api-slack"]
[projects.default]
files = ["c.txt"]
[projects."bad name!"]
files = ["d.txt"]
[projects.batch]
files = ["e.txt"]
transitive = 3
[notifiers.api-slack]
type = "webhook"
url = "https://hooks.example.com/api"
secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
)");
    BOOST_REQUIRE(!c.has_value());
    auto const text = all(c.error());
    require_lines(
        text,
        {"p.toml:3: projects.files_intervall: unknown key (did you mean 'files_interval'?)",
         "p.toml:6: projects.api.notifiers: no notifier named 'api-slak' (did you mean "
         "'api-slack'?) (configured: api-slack, console)",
         "p.toml:6: projects.api.notifiers: no notifier named 'nobody'",
         "p.toml:7: projects.api.transitive: expected \"urgent\", \"all\" or \"none\", got "
         "'urgnet' (did you mean 'urgent'?)",
         "p.toml:8: projects.api.python_version: ",
         "p.toml:9: projects.api.index_url: expected an http:// or https:// URL",
         "p.toml:10: projects.api.fils: unknown key (did you mean 'files'?)",
         "p.toml:12: projects.api.packages.django.ignor: unknown key (did you mean 'ignore'?)",
         "p.toml:13: projects.worker.files: missing (expected a list of requirements",
         "p.toml:15: projects.default: the top-level 'requirements'/'pyproject' already form "
         "the project 'default'",
         "p.toml:17: projects.bad name!: not a valid project name",
         "p.toml:21: projects.batch.transitive: expected a string"});
}

BOOST_AUTO_TEST_CASE(a_reload_says_what_changed_in_the_projects) {
    Config before;
    ProjectConfig api;
    api.name = "api";
    api.files = {"/srv/api/requirements.txt"};
    before.projects = {api};
    Config after = before;
    after.projects[0].files.push_back("/srv/api/dev.txt");
    after.projects[0].notifiers = std::vector<std::string>{"api-slack"};
    after.projects[0].transitive = model::Transitive::none;
    after.projects[0].index_url = "https://user:SECRET@pypi.internal.example/simple/";
    model::RuleOverrides o;
    o.ignore = std::vector<std::string>{">=6"};
    after.projects[0].packages["django"] = o;
    ProjectConfig worker;
    worker.name = "worker";
    worker.files = {"/srv/worker/requirements.txt"};
    after.projects.push_back(worker);
    after.files_interval = std::chrono::seconds(600);
    auto const lines = config_changes(before, after);
    std::string text;
    for (auto const& l : lines)
        text += l + "\n";
    require_lines(text,
                  {"project api: files + /srv/api/dev.txt",
                   "project api: notifiers api-slack (was every notifier)",
                   "project api: transitive none (was urgent)", "project api: index_url changed",
                   "[projects.api.packages.django] added", "project worker added (1 file(s))",
                   "[projects] files_interval 600 s (was 300 s)"});
    BOOST_TEST(text.find("SECRET") == std::string::npos);
    auto const back = config_changes(after, before);
    BOOST_TEST(std::count(back.begin(), back.end(), "project worker removed") == 1);
}
