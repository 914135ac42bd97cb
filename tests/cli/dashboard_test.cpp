#define BOOST_TEST_MODULE dashboard_cli
#include <boost/test/unit_test.hpp>

// The dashboard as the daemon serves it on its [metrics] listener, `report --html`, and
// `check --json`'s libyears: the real binary against the fake PyPI.

#include "tests/fakes/daemon_process.hpp"
#include "tests/fakes/fake_pypi.hpp"

#include <rapidjson/document.h>

using namespace pinwatch::test;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kYear = 365 * kDay + 6 * 3600;
constexpr char const* kHostile = "<img src=x onerror=alert(1)>";

bool has(std::string const& s, std::string const& part) {
    return s.find(part) != std::string::npos;
}

struct Workspace {
    fs::path dir;
    FakePypi pypi;
    std::int64_t const now = std::time(nullptr);
    explicit Workspace(std::string const& name) {
        dir = fs::temp_directory_path() / ("pw-dash-" + name + "-" + std::to_string(::getpid()));
        fs::remove_all(dir);
        fs::create_directories(dir);
        pypi.add_project({"Demo", "A demo", {}, {{"1.0", now - 3 * kYear}, {"2.0", now - kYear}}});
        pypi.add_project(
            {"steady", "Up to date", {}, {{"0.9", now - 2 * kYear}, {"1.0", now - 30 * kDay}}});
        pypi.add_project({"hostile",
                          "Yanked with markup",
                          {},
                          {{"0.1", now - kYear}, {"0.2", now - kYear / 2}}});
        pypi.yank("hostile", "0.1", kHostile);
        write("requirements.txt", "demo==1.0\nsteady==1.0\nhostile==0.1\n");
    }
    ~Workspace() { fs::remove_all(dir); }
    void config(std::string const& metrics_extra) {
        write("pinwatch.toml", "state = \"state.db\"\nrequirements = [\"requirements.txt\"]\n"
                               "index_url = \"" +
                                   pypi.index_url() +
                                   "\"\ninterval = \"1h\"\n[advisories]\nsource = "
                                   "\"index\"\n[http]\ntimeout = \"5s\"\n"
                                   "[metrics]\nlisten = \"127.0.0.1:0\"\n" +
                                   metrics_extra);
    }
    void write(std::string const& name, std::string const& text) {
        std::ofstream(dir / name, std::ios::binary) << text;
    }
    fs::path path(std::string const& name) const { return dir / name; }
};

// Waits until the overview shows every pin polled.
std::string polled_overview(std::uint16_t port) {
    std::string body;
    BOOST_REQUIRE_MESSAGE(wait_for([&] {
                              auto const a = http_request(port, "/");
                              body = a.body;
                              return a.status == 200 && has(body, "data-package=\"hostile\"") &&
                                     !has(body, ">never</td>");
                          }),
                          "the overview never showed every pin polled:\n"
                              << body);
    return body;
}

int run(std::vector<std::string> args, Workspace const& w, std::string* out = nullptr,
        std::string* err = nullptr) {
    args.insert(args.begin(), PINWATCH_BINARY);
    Process p(args, w.path("cmd.out"), w.path("cmd.err"));
    int const code = p.wait();
    if (out) *out = slurp(w.path("cmd.out"));
    if (err) *err = slurp(w.path("cmd.err"));
    return code;
}

} // namespace

BOOST_AUTO_TEST_CASE(served_read_only_on_the_metrics_listener) {
    Workspace w("served");
    w.config("");
    Daemon d(PINWATCH_BINARY, w.path("pinwatch.toml"), w.dir);
    BOOST_TEST(has(d.log(), ", the dashboard on /"));
    auto const body = polled_overview(d.port());
    auto const home = http_request(d.port(), "/");
    BOOST_TEST(home.headers.at("content-type") == "text/html; charset=utf-8");
    BOOST_TEST(has(home.headers.at("content-security-policy"), "default-src 'none'"));
    BOOST_TEST(home.headers.at("x-content-type-options") == "nosniff");
    for (auto const* name : {"demo", "steady", "hostile"})
        BOOST_TEST(has(body, std::string("data-package=\"") + name + "\""), name);
    BOOST_TEST(has(body, "&lt;img src=x onerror=alert(1)&gt;"));
    BOOST_TEST(!has(body, "<img"));
    // The yanked pin first; demo's two years behind a major release are counted.
    BOOST_TEST(body.find("data-package=\"hostile\"") < body.find("data-package=\"demo\""));
    BOOST_TEST(has(body, "<td class=\"n\" data-v=\"2.000\">2.00</td>"));

    auto const head = http_request(d.port(), "/", "HEAD");
    BOOST_TEST(head.status == 200);
    BOOST_TEST(head.body.empty());
    BOOST_TEST(has(head.headers.at("content-security-policy"), "default-src 'none'"));
    for (auto const* method : {"POST", "PUT", "DELETE"}) {
        auto const a = http_request(d.port(), "/", method);
        BOOST_TEST(a.status == 405, method);
        BOOST_TEST(a.headers.at("allow") == "GET, HEAD");
    }
    auto const pkg = http_request(d.port(), "/package/demo");
    BOOST_TEST(pkg.status == 200);
    BOOST_TEST(has(pkg.body, "<svg class=\"timeline\""));
    BOOST_TEST(has(pkg.body, ">pinned 1.0</text>"));
    BOOST_TEST(has(pkg.body, ">latest 2.0</text>"));
    BOOST_TEST(http_request(d.port(), "/package/unknown-thing").status == 404);
    // The listener's own routes go on.
    BOOST_TEST(http_request(d.port(), "/metrics").status == 200);
    BOOST_TEST(http_request(d.port(), "/healthz").status == 200);
    BOOST_TEST(d.stop() == 0);
}

BOOST_AUTO_TEST_CASE(dashboard_false_turns_it_off) {
    Workspace w("off");
    w.config("dashboard = false\n");
    Daemon d(PINWATCH_BINARY, w.path("pinwatch.toml"), w.dir);
    BOOST_TEST(!has(d.log(), "the dashboard"));
    BOOST_TEST(wait_for([&] { return http_request(d.port(), "/healthz").status == 200; }));
    BOOST_TEST(http_request(d.port(), "/").status == 404);
    BOOST_TEST(http_request(d.port(), "/package/demo").status == 404);
    BOOST_TEST(http_request(d.port(), "/metrics").status == 200);
    BOOST_TEST(d.stop() == 0);
}

BOOST_AUTO_TEST_CASE(config_check_names_a_wrong_dashboard_value) {
    Workspace w("bad");
    w.config("dashboard = \"yes\"\n");
    std::string out, err;
    BOOST_TEST(run({"config-check", "--config", w.path("pinwatch.toml").string()}, w, &out, &err) !=
               0);
    BOOST_TEST(has(out + err, "metrics.dashboard"), out + err);
}

BOOST_AUTO_TEST_CASE(report_html_writes_the_overview_as_one_file) {
    Workspace w("report");
    w.config("");
    // `run --once` fills the state (the listener is not started for --once).
    BOOST_REQUIRE(run({"run", "--once", "--config", w.path("pinwatch.toml").string()}, w) == 0);
    auto const file = w.path("report.html");
    std::string out, err;
    BOOST_TEST(run({"report", "--html", file.string(), "--state", w.path("state.db").string()}, w,
                   &out, &err) == 0,
               err);
    auto const page = slurp(file);
    for (auto const* name : {"demo", "steady", "hostile"})
        BOOST_TEST(has(page, std::string("data-package=\"") + name + "\""), name);
    BOOST_TEST(has(page, "<meta http-equiv=\"Content-Security-Policy\""));
    BOOST_TEST(!has(page, "href=\"package/")); // no pages beside a file
    BOOST_TEST(!has(page, "<img"));
    // --config finds the same state file.
    auto const again = w.path("again.html");
    BOOST_TEST(
        run({"report", "--html", again.string(), "--config", w.path("pinwatch.toml").string()},
            w) == 0);
    BOOST_TEST(has(slurp(again), "data-package=\"hostile\""));
    // Mistakes say what is wrong.
    BOOST_TEST(run({"report", "--state", w.path("state.db").string()}, w, &out, &err) == 2);
    BOOST_TEST(has(err, "--html FILE"));
    BOOST_TEST(run({"report", "--html", file.string(), "--state", w.path("nope.db").string()}, w,
                   &out, &err) == 2);
    BOOST_TEST(has(err, "no state file at"));
}

BOOST_AUTO_TEST_CASE(check_json_gives_libyears_per_requirement_and_in_a_summary) {
    Workspace w("check");
    std::string out, err;
    int const code = run({"check", "-q", "--json", "--advisories", "index", "-r",
                          w.path("requirements.txt").string(), "--index-url", w.pypi.index_url()},
                         w, &out, &err);
    BOOST_TEST((code == 0 || code == 3), err);
    rapidjson::Document d;
    d.Parse(out.c_str());
    BOOST_REQUIRE_MESSAGE(!d.HasParseError() && d.IsObject(), out);
    std::map<std::string, double> libyears;
    for (auto const& r : d["requirements"].GetArray())
        if (r["libyears"].IsNumber()) libyears[r["name"].GetString()] = r["libyears"].GetDouble();
    BOOST_TEST(libyears.at("demo") == 2.0, boost::test_tools::tolerance(1e-3));
    BOOST_TEST(libyears.at("steady") == 0.0);
    BOOST_TEST(libyears.at("hostile") == 0.5, boost::test_tools::tolerance(1e-3));
    BOOST_REQUIRE(d.HasMember("summary"));
    auto const& s = d["summary"];
    BOOST_TEST(s["packages"].GetInt() == 3);
    BOOST_TEST(s["outdated"].GetInt() == 2);
    BOOST_TEST(s["major"].GetInt() == 1);
    BOOST_TEST(s["minor"].GetInt() == 1);
    BOOST_TEST(s["yanked"].GetInt() == 1);
    BOOST_TEST(s["libyears"].GetDouble() == 2.5, boost::test_tools::tolerance(1e-3));
}
