#define BOOST_TEST_MODULE advisories_e2e
#include <boost/test/unit_test.hpp>

// Advisories from OSV for every index (issue 17), end to end through the real command-line
// entry points: a private index serving the Simple API alone (no JSON API), `check` with
// advisories from the fake OSV or from the index, what leaves the box, and advisories that
// cannot be read never failing a package.

#include "cli/commands.hpp"
#include "tests/fakes/fake_osv.hpp"
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
int const kPackages = 20;

struct Workspace {
    fs::path dir;
    FakePypi pypi;
    FakeOsv osv;
    Workspace() {
        dir = fs::temp_directory_path() / ("pinwatch-advisories-" + std::to_string(::getpid()) +
                                           "-" + std::to_string(counter()++));
        fs::create_directories(dir);
        std::int64_t const t = kNow - 30 * 86400;
        std::string req;
        for (int i = 0; i < kPackages; ++i) {
            auto const name = "pkg-" + std::to_string(i);
            pypi.add_project({name, "", {}, {{"1.0", t}, {"1.1", t + 100}}});
            req += name + "==1.0\n";
        }
        pypi.add_project({"acme-billing", "", {}, {{"3.0", t}}});
        req += "acme-billing==3.0\n";
        // A private index: the Simple API only, as CodeArtifact, Nexus or devpi serve it.
        pypi.set_json_api_fault("*", Fault::not_found);
        write("requirements.txt", req);
        FakeVuln v;
        v.id = "PYSEC-2026-3";
        v.package = "pkg-3";
        v.aliases = {"CVE-2026-3333"};
        v.summary = "path traversal";
        v.events = {{"introduced", "0"}, {"fixed", "1.1"}};
        v.versions = {"1.0"};
        osv.add(v);
    }
    ~Workspace() { fs::remove_all(dir); }
    static int& counter() {
        static int n = 0;
        return n;
    }
    void write(std::string const& name, std::string const& text) {
        std::ofstream(dir / name, std::ios::binary) << text;
    }
    std::string path(std::string const& name) const { return (dir / name).string(); }
    int check(std::vector<std::string> extra, std::string& out, std::string& err) {
        std::vector<std::string> args = {"-r", path("requirements.txt"), "--index-url",
                                         pypi.index_url(), "-q"};
        args.insert(args.end(), extra.begin(), extra.end());
        std::ostringstream o, e;
        int const rc = cli::run_check(args, o, e);
        out = o.str();
        err = e.str();
        return rc;
    }
};

bool contains(std::string const& s, std::string const& part) {
    return s.find(part) != std::string::npos;
}

std::size_t count(std::string const& s, std::string const& part) {
    std::size_t n = 0;
    for (auto at = s.find(part); at != std::string::npos; at = s.find(part, at + 1))
        ++n;
    return n;
}

rapidjson::Value const* row(rapidjson::Document const& d, std::string const& name) {
    for (auto const& r : d["requirements"].GetArray())
        if (name == r["name"].GetString()) return &r;
    return nullptr;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_private_index_with_osv_reports_every_package_right) {
    Workspace w;
    std::string out, err;
    int const rc = w.check({"--json", "--osv-url", w.osv.url()}, out, err);
    BOOST_TEST(rc == 0, err);
    rapidjson::Document d;
    d.Parse(out.c_str());
    BOOST_TEST_REQUIRE(d.IsObject());
    for (auto const& r : d["requirements"].GetArray()) {
        std::string const name = r["name"].GetString();
        BOOST_TEST(r["error"].IsNull(), name);
        BOOST_TEST(r["advisories_error"].IsNull(), name);
        BOOST_TEST(std::string(r["update_type"].GetString()) ==
                       (name == "acme-billing" ? "none" : "minor"),
                   name);
        BOOST_TEST_REQUIRE(r["vulnerabilities"].IsArray(), name);
        BOOST_TEST(r["vulnerabilities"].Size() == (name == "pkg-3" ? 1u : 0u), name);
    }
    auto const& v = (*row(d, "pkg-3"))["vulnerabilities"][0];
    BOOST_TEST(std::string(v["id"].GetString()) == "PYSEC-2026-3");
    BOOST_TEST(std::string(v["fix_allowed"].IsNull() ? "" : v["fix_allowed"].GetString()) == "");
    BOOST_TEST(std::string(v["fixed_in"][0].GetString()) == "1.1");
    // One batch for every pin, one record; the index's JSON API never asked.
    BOOST_TEST(w.osv.stats().batches == 1u);
    BOOST_TEST(w.osv.stats().queries == static_cast<std::size_t>(kPackages + 1));
    BOOST_TEST(w.osv.stats().records == 1u);
    BOOST_TEST(w.pypi.stats().json_api == 0u);
    // The names that left the box are said once, with how to keep them.
    BOOST_TEST(count(err, "are sent to " + w.osv.url()) == 1u, err);
    BOOST_TEST(contains(err, "the names of 21 packages from " + w.pypi.index_url()), err);
    BOOST_TEST(contains(err, "--private NAME|GLOB"), err);

    // --fail-on vulnerable finds it.
    BOOST_TEST(w.check({"--json", "--osv-url", w.osv.url(), "--fail-on", "vulnerable"}, out, err) ==
               1);
}

BOOST_AUTO_TEST_CASE(a_private_index_with_source_index_reports_every_package_right) {
    Workspace w;
    std::string out, err;
    int const rc = w.check({"--json", "--advisories", "index"}, out, err);
    BOOST_TEST(rc == 0, err);
    rapidjson::Document d;
    d.Parse(out.c_str());
    BOOST_TEST_REQUIRE(d.IsObject());
    for (auto const& r : d["requirements"].GetArray()) {
        std::string const name = r["name"].GetString();
        BOOST_TEST(r["error"].IsNull(), name);
        BOOST_TEST(r["vulnerabilities"].IsNull(), name);
        BOOST_TEST_REQUIRE(r["advisories_error"].IsString(), name);
        BOOST_TEST(contains(r["advisories_error"].GetString(), "http 404"), name);
        BOOST_TEST(std::string(r["update_type"].GetString()) ==
                       (name == "acme-billing" ? "none" : "minor"),
                   name);
    }
    BOOST_TEST(w.osv.stats().batches == 0u); // OSV is not asked
    BOOST_TEST(!contains(err, "are sent to"), err);
    // The table: VULN "?", the reason in NOTES, no errors counted.
    BOOST_TEST(w.check({"--advisories", "index"}, out, err) == 0);
    BOOST_TEST(contains(out, "advisories not read: vulnerabilities: http 404"), out);
    BOOST_TEST(contains(out, "21 packages: 20 outdated (0 major), 0 vulnerable, 0 yanked pins, "
                             "0 errors"),
               out);
    // Certainty asked for: advisories that cannot be read fail the check.
    BOOST_TEST(w.check({"--advisories", "index", "--fail-on", "vulnerable"}, out, err) == 3);
    BOOST_TEST(w.check({"--advisories", "index", "--fail-on", "major"}, out, err) == 0);
}

BOOST_AUTO_TEST_CASE(private_names_never_reach_osv) {
    Workspace w;
    std::string out, err;
    int const rc =
        w.check({"--osv-url", w.osv.url(), "--private", "ACME_*", "--private", "pkg-1?"}, out, err);
    BOOST_TEST(rc == 0, err);
    auto const seen = w.osv.names_seen();
    BOOST_TEST(seen.count("pkg-3") == 1u);
    BOOST_TEST(seen.count("pkg-1") == 1u); // "pkg-1?" needs a second character
    BOOST_TEST(seen.count("acme-billing") == 0u);
    for (int i = 10; i < 20; ++i)
        BOOST_TEST(seen.count("pkg-" + std::to_string(i)) == 0u, i);
    BOOST_TEST(seen.size() == 10u);
    // Its VULN is "-", with the reason.
    std::istringstream lines(out);
    bool found = false;
    for (std::string l; std::getline(lines, l);)
        if (l.rfind("acme-billing ", 0) == 0) {
            found = true;
            BOOST_TEST((l.substr(l.size() - 2) == " -" || contains(l, " - ")), l);
        }
    BOOST_TEST(found, out);
    BOOST_TEST(contains(out, "advisories: private ([advisories] private): its name is not sent "
                             "to the advisory service"),
               out);
    BOOST_TEST(contains(err, "the names of 10 packages"), err);
    BOOST_TEST(w.check({"--json", "--osv-url", w.osv.url(), "--private", "acme-*"}, out, err) == 0);
    rapidjson::Document d;
    d.Parse(out.c_str());
    auto const& r = *row(d, "acme-billing");
    BOOST_TEST(r["vulnerabilities"].IsNull());
    BOOST_TEST(r["advisories_error"].IsNull());
    BOOST_TEST(contains(r["advisories_withheld"].GetString(), "not sent"));
}

BOOST_AUTO_TEST_CASE(osv_down_is_no_error_of_the_packages) {
    Workspace w;
    for (auto fault : {FakeOsv::Fault::down, FakeOsv::Fault::garbage}) {
        w.osv.set_fault(fault);
        std::string out, err;
        BOOST_TEST(w.check({"--json", "--osv-url", w.osv.url()}, out, err) == 0, err);
        rapidjson::Document d;
        d.Parse(out.c_str());
        auto const& r = *row(d, "pkg-3");
        BOOST_TEST(r["error"].IsNull());
        BOOST_TEST(r["vulnerabilities"].IsNull());
        BOOST_TEST(std::string(r["advisories_error"].GetString()) ==
                   (fault == FakeOsv::Fault::down ? "advisories: osv: querybatch: http 503"
                                                  : "advisories: osv: querybatch: invalid JSON"));
        BOOST_TEST(std::string(r["update_type"].GetString()) == "minor");
        BOOST_TEST(w.check({"--osv-url", w.osv.url(), "--fail-on", "vulnerable"}, out, err) == 3);
        BOOST_TEST(contains(out, "pkg-3 "), out);
    }
}

BOOST_AUTO_TEST_CASE(the_daemon_reads_osv_in_batches_and_retracts_withdrawn_advisories) {
    Workspace w;
    w.write("pinwatch.toml", "state = \"state.db\"\nrequirements = [\"requirements.txt\"]\n"
                             "index_url = \"" +
                                 w.pypi.index_url() +
                                 "\"\ninterval = \"1h\"\npython_version = \"3.8\"\n"
                                 "[advisories]\nosv_url = \"" +
                                 w.osv.url() +
                                 "\"\nprivate = [\"acme-*\"]\n"
                                 "[http]\ntimeout = \"2s\"\n");
    auto run_once = [&] {
        std::ostringstream out, err;
        int const rc = cli::run_daemon({"--config", w.path("pinwatch.toml"), "--once"}, out, err);
        BOOST_TEST(rc == 0, err.str());
        return out.str();
    };
    auto const first = run_once();
    BOOST_TEST(count(first, "vulnerability pkg-3 1.0") == 1u, first);
    BOOST_TEST(w.osv.stats().batches == 1u);
    BOOST_TEST(w.osv.names_seen().count("acme-billing") == 0u);
    w.osv.withdraw("PYSEC-2026-3", "2026-11-25T10:00:00Z");
    {
        // The advisories due again without waiting for their interval.
        watcher::StateStore store(w.path("state.db"));
        for (auto const& s : store.subscriptions()) {
            watcher::StateUpdate u;
            u.subscription_id = s.id;
            u.status = s.last_status;
            u.baseline_done = s.baseline_done;
            auto v = s.vulns;
            v.checked = 0;
            u.vulns = v;
            store.apply(u);
        }
    }
    auto const second = run_once();
    BOOST_TEST(contains(second, "vulnerability_withdrawn pkg-3 1.0"), second);
    BOOST_TEST(contains(second, "withdrawn 2026-11-25T10:00:00Z"), second);
}
