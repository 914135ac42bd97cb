#define BOOST_TEST_MODULE alerts_e2e
#include <boost/test/unit_test.hpp>

// What is worth telling (issue 11), end to end on the fake PyPI through the real command-line
// entry points: advisories against the pin (told once, retracted once, urgent), a yanked pin
// naming where to go, a release that drops the team's Python, cooldowns, ignore and pre rules,
// and `check`'s vulnerabilities, VULN column and --fail-on vulnerable.

#include "cli/commands.hpp"
#include "tests/fakes/fake_pypi.hpp"
#include "watcher/state/store.hpp"

#include <rapidjson/document.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

using namespace pinwatch;
using namespace pinwatch::test;
namespace fs = std::filesystem;

namespace {

std::int64_t const kNow = std::time(nullptr);

FakeAdvisory advisory(std::string id, std::vector<std::string> fixed = {"1.1"}) {
    FakeAdvisory a;
    a.id = std::move(id);
    a.aliases = {"CVE-2026-1234"};
    a.summary = "remote code execution in demo.load";
    a.details = "long text";
    a.fixed_in = std::move(fixed);
    return a;
}

struct Workspace {
    fs::path dir;
    FakePypi pypi;
    explicit Workspace(std::string rules = "") {
        dir = fs::temp_directory_path() /
              ("pinwatch-alerts-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
        fs::create_directories(dir);
        std::int64_t const t = kNow - 30 * 86400;
        pypi.add_project({"Demo", "A demo project", {}, {{"0.9", t}, {"1.0", t + 100}}});
        pypi.add_project({"other_lib", "Another", {}, {{"2.0", t}, {"2.1", t + 10}}});
        write("requirements.txt", "demo==1.0\nOther.Lib>=2,<3\n");
        configure(rules);
    }
    ~Workspace() { fs::remove_all(dir); }
    static int& counter() {
        static int n = 0;
        return n;
    }
    void configure(std::string const& rules) {
        write("pinwatch.toml", "state = \"state.db\"\nrequirements = [\"requirements.txt\"]\n"
                               "index_url = \"" +
                                   pypi.index_url() +
                                   "\"\ninterval = \"1h\"\npython_version = \"3.8\"\n"
                                   "vulnerability_interval = \"60s\"\n" +
                                   rules + "\n[http]\ntimeout = \"2s\"\n" +
                                   // These tests read advisories from the index's JSON API
                                   // (OSV became the default with issue 17).
                                   "[advisories]\nsource = \"index\"\n");
    }
    void write(std::string const& name, std::string const& text) {
        std::ofstream(dir / name, std::ios::binary) << text;
    }
    std::string path(std::string const& name) const { return (dir / name).string(); }

    // One daemon cycle (`run --once`): the console lines it printed.
    std::vector<std::string> run_once() {
        std::ostringstream out, err;
        int const rc = cli::run_daemon({"--config", path("pinwatch.toml"), "--once"}, out, err);
        BOOST_TEST_REQUIRE(rc == 0, "run --once failed: " << err.str());
        std::vector<std::string> lines;
        std::istringstream in(out.str());
        for (std::string l; std::getline(in, l);)
            lines.push_back(l);
        return lines;
    }
    // Makes the stored advisories due again without waiting for vulnerability_interval.
    void advisories_due() {
        watcher::StateStore store(path("state.db"));
        for (auto const& s : store.subscriptions()) {
            watcher::StateUpdate u;
            u.subscription_id = s.id;
            u.status = s.last_status;
            u.baseline_done = s.baseline_done;
            u.next_due = 0; // due now too
            auto v = s.vulns;
            v.checked = 0;
            u.vulns = v;
            store.apply(u);
        }
    }
    int check(std::vector<std::string> extra, std::string& out) {
        std::vector<std::string> args = {
            "-r", path("requirements.txt"), "--index-url", pypi.index_url(),
            "-q", "--advisories",           "index"};
        args.insert(args.end(), extra.begin(), extra.end());
        std::ostringstream o, e;
        int const rc = cli::run_check(args, o, e);
        out = o.str();
        return rc;
    }
};

bool contains(std::string const& s, std::string const& part) {
    return s.find(part) != std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_CASE(an_advisory_is_one_alert_and_its_withdrawal_one_retraction) {
    Workspace w;
    BOOST_TEST(w.run_once().empty()); // baseline, no advisories

    w.pypi.add_vulnerability("demo", "1.0", advisory("PYSEC-2026-1"));
    w.advisories_due();
    auto lines = w.run_once();
    BOOST_REQUIRE_EQUAL(lines.size(), 1u);
    BOOST_TEST(contains(lines[0], "vulnerability demo 1.0, the version you pin, is vulnerable: "
                                  "PYSEC-2026-1 (CVE-2026-1234): remote code execution"),
               lines[0]);
    BOOST_TEST(contains(lines[0], "fixed in 1.1; none is allowed by '==1.0'"), lines[0]);

    // Read again: nothing new (the second reading is a 304).
    auto const before = w.pypi.stats();
    w.advisories_due();
    BOOST_TEST(w.run_once().empty());
    BOOST_TEST(w.pypi.stats().json_api_not_modified == before.json_api_not_modified + 1);

    w.pypi.withdraw_vulnerability("demo", "1.0", "PYSEC-2026-1", "2026-11-25T10:00:00Z");
    w.advisories_due();
    lines = w.run_once();
    BOOST_REQUIRE_EQUAL(lines.size(), 1u);
    BOOST_TEST(contains(lines[0], "vulnerability_withdrawn demo 1.0: advisory PYSEC-2026-1"),
               lines[0]);
    BOOST_TEST(contains(lines[0], "withdrawn 2026-11-25T10:00:00Z"), lines[0]);
    w.advisories_due();
    BOOST_TEST(w.run_once().empty());
}

BOOST_AUTO_TEST_CASE(advisories_are_read_on_their_own_interval) {
    Workspace w;
    w.run_once();
    auto const before = w.pypi.stats().json_api;
    // Due for a listing poll, but the advisories were read less than 60 s ago.
    {
        watcher::StateStore store(w.path("state.db"));
        for (auto const& s : store.subscriptions()) {
            watcher::StateUpdate u;
            u.subscription_id = s.id;
            u.status = s.last_status;
            u.baseline_done = s.baseline_done;
            u.next_due = 0;
            store.apply(u);
        }
    }
    w.run_once();
    BOOST_TEST(w.pypi.stats().json_api == before); // JSON API untouched
}

BOOST_AUTO_TEST_CASE(urgent_events_bypass_a_digest_and_a_cooldown) {
    Workspace w("min_release_age = \"1d\"\n[notifiers.console]\ntype = \"console\"\n"
                "digest = \"weekly mon 09:00\"\n");
    w.run_once();
    w.pypi.add_release("demo", {"1.1", kNow - 3 * 86400}); // a digest item
    w.pypi.add_vulnerability("demo", "1.0", advisory("GHSA-aaaa-bbbb-cccc"));
    w.pypi.yank("demo", "1.0", "broken");
    w.advisories_due();
    auto const lines = w.run_once();
    BOOST_REQUIRE_EQUAL(lines.size(), 2u);
    bool vuln = false, yank = false;
    for (auto const& l : lines) {
        vuln = vuln || contains(l, "vulnerability demo 1.0");
        yank = yank || contains(l, "pinned_yanked demo 1.0");
        BOOST_TEST(!contains(l, "new_release"), l);
    }
    BOOST_TEST(vuln);
    BOOST_TEST(yank);
}

BOOST_AUTO_TEST_CASE(a_yanked_pin_names_the_nearest_non_yanked_versions) {
    Workspace w;
    w.run_once();
    w.pypi.add_release("demo", {"1.0.1", kNow - 86400});
    w.pypi.yank("demo", "1.0", "data loss");
    auto const lines = w.run_once();
    std::string yank;
    for (auto const& l : lines)
        if (contains(l, "pinned_yanked")) yank = l;
    BOOST_TEST(contains(yank, "demo 1.0, the version you pin, was yanked: data loss; nearest "
                              "non-yanked: 0.9, 1.0.1"),
               yank);
}

BOOST_AUTO_TEST_CASE(a_release_that_drops_the_target_python_is_flagged) {
    Workspace w; // python_version = "3.8"
    w.run_once();
    FakeRelease r{"1.1", kNow - 86400};
    r.requires_python = ">=3.9";
    w.pypi.add_release("demo", r);
    FakeRelease ok{"2.2", kNow - 86400};
    ok.requires_python = ">=3.7";
    w.pypi.add_release("other_lib", ok);
    auto const lines = w.run_once();
    BOOST_REQUIRE_EQUAL(lines.size(), 2u);
    for (auto const& l : lines) {
        if (contains(l, "demo 1.1"))
            BOOST_TEST(contains(l, "drops Python 3.8.0 (requires >=3.9)"), l);
        else
            BOOST_TEST(!contains(l, "drops"), l);
    }
    std::string out;
    w.check({"--python-version", "3.8", "--json"}, out);
    rapidjson::Document d;
    d.Parse(out.c_str());
    BOOST_REQUIRE(!d.HasParseError());
    BOOST_TEST(d["requirements"][0]["drops_python"].GetBool());
    BOOST_TEST(std::string(d["requirements"][0]["requires_python"].GetString()) == ">=3.9");
    BOOST_TEST(d["requirements"][0]["newest_for_python"].IsNull());
    BOOST_TEST(d["requirements"][1]["drops_python"].IsNull()); // no pin, nothing newer
    w.check({"--python-version", "3.12", "--json"}, out);
    d.Parse(out.c_str());
    BOOST_TEST(!d["requirements"][0]["drops_python"].GetBool());
    BOOST_TEST(std::string(d["requirements"][0]["newest_for_python"].GetString()) == "1.1");
}

BOOST_AUTO_TEST_CASE(a_cooldown_announces_only_releases_older_than_it) {
    Workspace w("min_release_age = \"1h\"\n");
    w.run_once();
    w.pypi.add_release("demo", {"1.0.1", kNow - 7200}); // two hours old: told
    w.pypi.add_release("demo", {"1.0.2", kNow});        // fresh: held
    w.pypi.add_release("demo", {"1.0.3", kNow});        // fresh, then yanked: never told
    auto lines = w.run_once();
    BOOST_REQUIRE_EQUAL(lines.size(), 1u);
    BOOST_TEST(contains(lines[0], "new_release demo 1.0.1"), lines[0]);
    w.pypi.yank("demo", "1.0.3", "broken");
    BOOST_TEST(w.run_once().empty()); // its yank is no news: it was never announced
    watcher::StateStore store(w.path("state.db"));
    auto const id = store.subscriptions().front().id;
    auto const releases = store.releases(id);
    BOOST_TEST(releases.at("1.0.2").held);
    BOOST_TEST(!releases.at("1.0.3").held); // dropped for good
    BOOST_TEST(store.subscriptions().front().held_until.value() == kNow + 3600);
}

BOOST_AUTO_TEST_CASE(a_shorter_cooldown_lets_held_releases_through_at_the_next_poll) {
    Workspace w("min_release_age = \"1d\"\n");
    w.run_once();
    w.pypi.add_release("demo", {"1.0.1", kNow - 3600}); // an hour old: held for a day
    BOOST_TEST(w.run_once().empty());
    w.configure("min_release_age = \"30m\"\n"); // the team shortens the cooldown
    auto const lines = w.run_once();            // the listing is unchanged (a 304)
    BOOST_REQUIRE_EQUAL(lines.size(), 1u);
    BOOST_TEST(contains(lines[0], "new_release demo 1.0.1 released — patch"), lines[0]);
    BOOST_TEST(w.run_once().empty()); // told once
}

BOOST_AUTO_TEST_CASE(ignore_and_pre_rules_per_package) {
    Workspace w("[packages.Demo]\nignore = \">=2\"\npre = false\n");
    w.run_once();
    w.pypi.add_release("demo", {"2.0.0", kNow - 86400});       // an ignored major
    w.pypi.add_release("demo", {"1.1rc1", kNow - 86400});      // a pre-release nobody asked for
    w.pypi.add_release("demo", {"1.1", kNow - 86400});         // told
    w.pypi.add_release("other_lib", {"2.2rc1", kNow - 86400}); // no rule: told as before
    auto const lines = w.run_once();
    BOOST_REQUIRE_EQUAL(lines.size(), 2u);
    std::string const both = lines[0] + "\n" + lines[1];
    BOOST_TEST(contains(both, "new_release demo 1.1 released"), both);
    BOOST_TEST(contains(both, "new_release other-lib 2.2rc1 released"), both);
}

BOOST_AUTO_TEST_CASE(check_shows_vulnerabilities_and_fails_on_them) {
    Workspace w;
    std::string out;
    BOOST_TEST(w.check({"--json", "--fail-on", "vulnerable"}, out) == 0);
    rapidjson::Document d;
    d.Parse(out.c_str());
    BOOST_REQUIRE(!d.HasParseError());
    BOOST_TEST(d["requirements"][0]["vulnerabilities"].IsArray());
    BOOST_TEST(d["requirements"][0]["vulnerabilities"].Size() == 0u);
    BOOST_TEST(d["requirements"][1]["vulnerabilities"].IsNull()); // no pin

    w.pypi.add_vulnerability("demo", "1.0", advisory("PYSEC-2026-7", {"0.8", "1.1"}));
    FakeAdvisory gone = advisory("PYSEC-2020-1");
    gone.withdrawn = "2021-01-01T00:00:00Z";
    w.pypi.add_vulnerability("demo", "1.0", gone); // never live
    BOOST_TEST(w.check({"--json", "--fail-on", "vulnerable"}, out) == 1);
    d.Parse(out.c_str());
    BOOST_REQUIRE(!d.HasParseError());
    auto const& v = d["requirements"][0]["vulnerabilities"];
    BOOST_REQUIRE_EQUAL(v.Size(), 1u);
    BOOST_TEST(std::string(v[0]["id"].GetString()) == "PYSEC-2026-7");
    BOOST_TEST(std::string(v[0]["aliases"][0].GetString()) == "CVE-2026-1234");
    BOOST_TEST(std::string(v[0]["summary"].GetString()) == "remote code execution in demo.load");
    BOOST_TEST(std::string(v[0]["link"].GetString()) ==
               "https://osv.dev/vulnerability/PYSEC-2026-7");
    BOOST_TEST(v[0]["fixed_in"].Size() == 2u);
    BOOST_TEST(v[0]["fix_allowed"].IsNull()); // '==1.0' allows neither
    BOOST_TEST(d["requirements"][0]["error"].IsNull());

    // The table: a VULN column and a note.
    BOOST_TEST(w.check({"--fail-on", "major"}, out) == 0);
    BOOST_TEST(contains(out, "VULN"), out);
    BOOST_TEST(contains(out, "PYSEC-2026-7 (CVE-2026-1234)"), out);
    BOOST_TEST(contains(out, "VULNERABLE: PYSEC-2026-7 remote code execution"), out);

    // The pin's JSON cannot be read: null, the reason in `advisories_error` (no error of the
    // package since issue 17), exit 3 with --fail-on vulnerable (never "safe").
    w.pypi.set_json_api_fault("demo", Fault::server_error);
    BOOST_TEST(w.check({"--json", "--fail-on", "vulnerable"}, out) == 3);
    d.Parse(out.c_str());
    BOOST_REQUIRE(!d.HasParseError());
    BOOST_TEST(d["requirements"][0]["vulnerabilities"].IsNull());
    BOOST_TEST(d["requirements"][0]["error"].IsNull());
    BOOST_TEST(std::string(d["requirements"][0]["advisories_error"].GetString()) ==
               "vulnerabilities: http 503");
    BOOST_TEST(std::string(d["requirements"][0]["update_type"].GetString()) == "none");
}
