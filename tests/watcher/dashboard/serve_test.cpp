#define BOOST_TEST_MODULE dashboard_serve
#include <boost/test/unit_test.hpp>

#include "tests/watcher/dashboard/state_fixture.hpp"
#include "watcher/dashboard/dashboard.hpp"

using namespace pinwatch;
using namespace pinwatch::test;
using namespace pinwatch::watcher::dashboard;

namespace {
std::optional<std::string> header(net::ServerReply const& r, std::string const& name) {
    for (auto const& [k, v] : r.headers)
        if (k == name) return v;
    return std::nullopt;
}
bool has(std::string const& s, std::string const& part) {
    return s.find(part) != std::string::npos;
}
} // namespace

BOOST_AUTO_TEST_CASE(overview_and_package_pages_with_their_policy) {
    StateFixture f;
    auto const sources = report_sources();
    auto const home = serve("/", f.store, sources, kNow);
    BOOST_REQUIRE(home.has_value());
    BOOST_TEST(home->status == 200);
    BOOST_TEST(home->content_type == "text/html; charset=utf-8");
    BOOST_TEST(header(*home, "Content-Security-Policy").value() == content_security_policy());
    for (auto const* name : {"vuln", "hostile", "broken", "old", "fine"})
        BOOST_TEST(has(home->body, std::string("data-package=\"") + name + "\""), name);
    // No credential of the index anywhere.
    BOOST_TEST(!has(home->body, "hunter2"));
    // A query string changes nothing.
    BOOST_TEST(serve("/?x=1", f.store, sources, kNow)->body == home->body);

    auto const pkg = serve("/package/Vuln", f.store, sources, kNow); // any spelling of the name
    BOOST_REQUIRE(pkg.has_value());
    BOOST_TEST(pkg->status == 200);
    BOOST_TEST(has(pkg->body, "<svg class=\"timeline\""));
    BOOST_TEST(has(pkg->body, "GHSA-live-0001"));
    BOOST_TEST(header(*pkg, "Content-Security-Policy").has_value());
}

BOOST_AUTO_TEST_CASE(unknown_packages_and_other_paths) {
    StateFixture f;
    auto const sources = report_sources();
    auto const missing = serve("/package/nothing-here", f.store, sources, kNow);
    BOOST_REQUIRE(missing.has_value());
    BOOST_TEST(missing->status == 404);
    BOOST_TEST(header(*missing, "Content-Security-Policy").has_value());
    auto const bad = serve("/package/%3Cimg%3E", f.store, sources, kNow);
    BOOST_REQUIRE(bad.has_value());
    BOOST_TEST(bad->status == 404);
    BOOST_TEST(!has(bad->body, "<img"));
    BOOST_TEST(serve("/package/a/b", f.store, sources, kNow)->status == 404);
    // Not the dashboard's: the listener's other routes (or its 404) answer.
    BOOST_TEST(!serve("/metrics", f.store, sources, kNow).has_value());
    BOOST_TEST(!serve("/healthz", f.store, sources, kNow).has_value());
    BOOST_TEST(!serve("/packages", f.store, sources, kNow).has_value());
}
