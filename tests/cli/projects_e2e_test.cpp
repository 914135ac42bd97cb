#define BOOST_TEST_MODULE projects_e2e
#include <boost/test/unit_test.hpp>

// Projects end to end (#16): the daemon's own code (`run --once` through cli::run_daemon)
// against the fake PyPI, a Standard Webhooks receiver and the fake Slack, on 127.0.0.1. Two
// projects pin one package at different versions: the package is polled once per round, a new
// release is ONE event naming both projects, delivered once to each project's notifier; a
// requirement the index does not list is told once, to its own project's notifier only.

#include "cli/commands.hpp"
#include "tests/fakes/fake_pypi.hpp"
#include "tests/fakes/fake_slack.hpp"
#include "tests/fakes/webhook_receiver.hpp"

#include <rapidjson/document.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <unistd.h>

using namespace pinwatch;
using namespace pinwatch::test;
namespace fs = std::filesystem;

namespace {

constexpr char const* kWhsec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr std::int64_t kT = 1700000000;

struct Workspace {
    fs::path dir;
    FakePypi pypi;
    WebhookReceiver api_hook{kWhsec};
    FakeSlack worker_slack;

    Workspace() {
        dir = fs::temp_directory_path() / ("pinwatch-projects-e2e-" + std::to_string(::getpid()));
        fs::create_directories(dir);
        pypi.add_project({"Demo", "A demo project", {}, {{"1.0", kT}, {"2.0", kT + 100}}});
        write("api.txt", "demo==1.0\n");
        write("worker.txt", "demo==2.0\nno-such-package==1.0\n");
        write("pinwatch.toml",
              "state = \"state.db\"\nindex_url = \"" + pypi.index_url() +
                  "\"\ninterval = \"1h\"\njitter = 0\nconsole = false\n"
                  "[advisories]\nsource = \"index\"\n[projects.api]\nfiles = [\"api.txt\"]\n"
                  "notifiers = [\"api-hook\"]\n"
                  "[projects.worker]\nfiles = [\"worker.txt\"]\n"
                  "notifiers = [\"worker-slack\"]\n"
                  "[notifiers.api-hook]\ntype = \"webhook\"\nurl = \"" +
                  api_hook.url() + "\"\nsecret = \"" + kWhsec +
                  "\"\n[notifiers.worker-slack]\ntype = \"slack\"\n"
                  "webhook_url = \"" +
                  worker_slack.webhook_url() + "\"\n");
    }
    ~Workspace() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    void write(std::string const& name, std::string const& text) {
        std::ofstream(dir / name, std::ios::binary) << text;
    }
    int run_once() {
        std::ostringstream out, err;
        int const rc =
            cli::run_daemon({"--config", (dir / "pinwatch.toml").string(), "--once"}, out, err);
        BOOST_TEST_MESSAGE("run --once: exit " << rc << "\n" << out.str() << err.str());
        return rc;
    }
    // Requests for demo's Simple API page (200s and 304s; the 404s of the package the index
    // does not list are counted apart): one per poll of it.
    std::size_t listing_requests() {
        auto const s = pypi.stats();
        return s.simple_json + s.simple_html + s.not_modified;
    }
};

bool contains(std::string const& s, std::string const& part) {
    return s.find(part) != std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_CASE(two_projects_one_poll_one_event_each_projects_notifier) {
    Workspace w;
    // Round 1: baselines (silent), and the requirement the index does not list, told once to
    // its own project's notifier.
    BOOST_TEST(w.run_once() == 0);
    // demo: one poll for both projects.
    BOOST_TEST(w.listing_requests() == 1u);
    BOOST_TEST(w.api_hook.deliveries().empty());
    auto posts = w.worker_slack.posts();
    BOOST_REQUIRE(posts.size() == 1u);
    BOOST_TEST(contains(posts[0].body, "no-such-package"));
    BOOST_TEST(contains(posts[0].body, "pinned by worker (1.0)"));

    // Round 2: demo 2.1 is out. One poll of demo; one event naming both projects, each with its
    // own pin; one message to each project's notifier. The typo is not told again.
    w.pypi.add_release("Demo", {"2.1", kT + 200});
    auto const before = w.listing_requests();
    BOOST_TEST(w.run_once() == 0);
    BOOST_TEST(w.listing_requests() - before == 1u);
    auto const hooks = w.api_hook.deliveries();
    BOOST_REQUIRE(hooks.size() == 1u);
    BOOST_TEST(hooks[0].verified);
    rapidjson::Document d;
    d.Parse(hooks[0].body.c_str());
    BOOST_REQUIRE(d.IsObject());
    BOOST_TEST(std::string(d["type"].GetString()) == "new_release");
    auto const& data = d["data"];
    BOOST_TEST(std::string(data["version"].GetString()) == "2.1");
    BOOST_REQUIRE(data["projects"].IsArray());
    BOOST_REQUIRE(data["projects"].Size() == 2u);
    std::map<std::string, std::string> pins;
    for (auto const& p : data["projects"].GetArray()) {
        pins[p["name"].GetString()] = p["pinned"].GetString();
        BOOST_TEST(contains(p["file"].GetString(), ".txt"));
        BOOST_TEST(p["direct"].GetBool()); // a requirements file without `# via`: all direct
    }
    BOOST_TEST(pins["api"] == "1.0");
    BOOST_TEST(pins["worker"] == "2.0");
    posts = w.worker_slack.posts();
    BOOST_REQUIRE(posts.size() == 2u);
    BOOST_TEST(contains(posts[1].body, "2.1"));
    BOOST_TEST(contains(posts[1].body, "pinned by api (1.0), worker (2.0)"));
    BOOST_TEST(!contains(posts[1].body, "no-such-package"));

    // Round 3: nothing new, nothing told; one conditional request for demo (a 304).
    auto const third = w.listing_requests();
    auto const unchanged = w.pypi.stats().not_modified;
    BOOST_TEST(w.run_once() == 0);
    BOOST_TEST(w.listing_requests() - third == 1u);
    BOOST_TEST(w.pypi.stats().not_modified - unchanged == 1u);
    BOOST_TEST(w.api_hook.deliveries().size() == 1u);
    BOOST_TEST(w.worker_slack.posts().size() == 2u);
}

// `check --config`: every project as the daemon loads it, each record naming its project and
// whether it is direct; `--project` narrows to one; an unknown project is a usage error naming
// the ones there are. `status` groups the packages by project.
BOOST_AUTO_TEST_CASE(check_and_status_know_the_projects) {
    Workspace w;
    auto const config = (w.dir / "pinwatch.toml").string();
    std::ostringstream out, err;
    int rc = cli::run_check({"--config", config, "--json", "-q"}, out, err);
    BOOST_TEST_MESSAGE(out.str() << err.str());
    BOOST_TEST(rc == 3); // no-such-package could not be checked
    rapidjson::Document d;
    d.Parse(out.str().c_str());
    BOOST_REQUIRE(d.IsObject());
    std::multiset<std::string> seen;
    for (auto const& r : d["requirements"].GetArray()) {
        seen.insert(std::string(r["project"].GetString()) + ":" + r["name"].GetString());
        BOOST_TEST(r["direct"].GetBool());
        // The config's [advisories] source = "index" holds for `check --config` too: read
        // from the fake index, not asked of OSV (which the tests' proxy would refuse).
        if (std::string_view(r["name"].GetString()) == "demo") {
            BOOST_TEST(r["advisories_error"].IsNull(), out.str());
            BOOST_TEST(r["vulnerabilities"].IsArray());
        }
    }
    BOOST_TEST(
        (seen == std::multiset<std::string>{"api:demo", "worker:demo", "worker:no-such-package"}));
    BOOST_TEST(w.listing_requests() == 1u); // demo once, for both projects

    std::ostringstream one, one_err;
    rc = cli::run_check({"--config", config, "--project", "api", "--json", "-q"}, one, one_err);
    BOOST_TEST(rc == 0);
    rapidjson::Document a;
    a.Parse(one.str().c_str());
    BOOST_REQUIRE(a.IsObject());
    BOOST_REQUIRE(a["requirements"].Size() == 1u);
    BOOST_TEST(std::string(a["requirements"][0]["project"].GetString()) == "api");

    std::ostringstream none, none_err;
    BOOST_TEST(cli::run_check({"--config", config, "--project", "apu"}, none, none_err) == 2);
    BOOST_TEST(contains(none_err.str(), "no project named 'apu'"));
    BOOST_TEST(contains(none_err.str(), "(projects: api, worker)"));

    // The daemon's state, as `status` shows it: one table per project.
    BOOST_TEST(w.run_once() == 0);
    std::ostringstream status, status_err;
    BOOST_TEST(cli::run_status({"--state", (w.dir / "state.db").string()}, status, status_err) ==
               0);
    BOOST_TEST_MESSAGE(status.str() << status_err.str());
    auto const text = status.str();
    auto const api = text.find("project api (1 package(s)):");
    auto const worker = text.find("project worker (2 package(s)):");
    BOOST_TEST(api != std::string::npos);
    BOOST_TEST(worker != std::string::npos);
    BOOST_TEST(api < worker);
}

// transitive = "urgent" (the default), from a compiled requirements file's `# via` lines: the
// package only pulled in (helper, via demo) has its new release recorded silently, its pin
// being yanked told; the direct one (demo) tells its release as always.
BOOST_AUTO_TEST_CASE(a_transitive_packages_release_is_silent_and_its_yank_told) {
    Workspace w;
    w.pypi.add_project({"helper", "Pulled in by demo", {}, {{"1.0", kT}}});
    w.write("api.txt", "# This file is autogenerated by pip-compile\n"
                       "demo==1.0\n    # via -r requirements.in\n"
                       "helper==1.0\n    # via demo\n");
    w.write("worker.txt", "demo==2.0\n");
    BOOST_TEST(w.run_once() == 0); // baselines
    BOOST_TEST(w.api_hook.deliveries().empty());

    w.pypi.add_release("helper", {"1.1", kT + 300});
    w.pypi.add_release("Demo", {"2.1", kT + 300});
    BOOST_TEST(w.run_once() == 0);
    auto hooks = w.api_hook.deliveries();
    BOOST_REQUIRE(hooks.size() == 1u); // demo 2.1 only: helper 1.1 is recorded, not told
    BOOST_TEST(contains(hooks[0].body, "\"package\":\"demo\""));
    BOOST_TEST(contains(hooks[0].body, "\"direct\":true"));

    w.pypi.yank("helper", "1.0", "broken wheel");
    BOOST_TEST(w.run_once() == 0);
    hooks = w.api_hook.deliveries();
    BOOST_REQUIRE(hooks.size() == 2u);
    BOOST_TEST(contains(hooks[1].body, "\"type\":\"pinned_yanked\""));
    BOOST_TEST(contains(hooks[1].body, "\"package\":\"helper\""));
    BOOST_TEST(contains(hooks[1].body, "\"direct\":false"));
}

// Each project is judged by its own Python: a release that needs 3.12 drops the Python of a
// project on 3.11 and not that of one on 3.12 (one poll of the package for both).
BOOST_AUTO_TEST_CASE(each_project_is_judged_by_its_own_python) {
    Workspace w;
    w.pypi.set_requires_python("Demo", "2.0", ">=3.12");
    w.write("worker.txt", "demo==1.0\n");
    w.write("pythons.toml", "state = \"state.db\"\nindex_url = \"" + w.pypi.index_url() +
                                "\"\n[advisories]\nsource = \"index\"\n"
                                "[projects.api]\nfiles = [\"api.txt\"]\npython_version = \"3.11\"\n"
                                "[projects.worker]\nfiles = [\"worker.txt\"]\n"
                                "python_version = \"3.12\"\n");
    std::ostringstream out, err;
    int const rc =
        cli::run_check({"--config", (w.dir / "pythons.toml").string(), "--json", "-q"}, out, err);
    BOOST_TEST(rc == 0, err.str());
    rapidjson::Document d;
    d.Parse(out.str().c_str());
    BOOST_REQUIRE(d.IsObject());
    std::map<std::string, bool> drops;
    for (auto const& r : d["requirements"].GetArray())
        if (r["drops_python"].IsBool())
            drops[r["project"].GetString()] = r["drops_python"].GetBool();
    BOOST_TEST(drops.size() == 2u, out.str());
    BOOST_TEST(drops["api"]);
    BOOST_TEST(!drops["worker"]);
}
