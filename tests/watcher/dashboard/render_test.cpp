#define BOOST_TEST_MODULE dashboard_render
#include <boost/test/unit_test.hpp>

#include "net/crypto.hpp"
#include "net/http.hpp"
#include "watcher/dashboard/dashboard.hpp"

#include <regex>

using namespace pinwatch;
using namespace pinwatch::watcher;
using namespace pinwatch::watcher::dashboard;

namespace {

constexpr UnixTime kNow = 1'800'000'000;
constexpr char const* kHostile = "<img src=x onerror=alert(1)>";

bool has(std::string const& s, std::string const& part) {
    return s.find(part) != std::string::npos;
}

Pin pin(std::string name, std::optional<UpdateType> u, std::optional<double> libyears) {
    Pin p;
    p.project = "default";
    p.package = std::move(name);
    p.pinned = "1.0";
    p.latest = "2.0";
    p.update = u;
    p.libyears = libyears;
    return p;
}

Overview scene() {
    Overview o;
    o.now = kNow;
    auto hostile = pin("hostile", UpdateType::patch, 0.5);
    hostile.yanked = true;
    hostile.yank_reason = kHostile;
    auto vuln = pin("vuln", UpdateType::minor, 0.25);
    Advisory a;
    a.id = "GHSA-xxxx";
    a.summary = "\"><script>alert(2)</script>";
    vuln.advisories = {a};
    auto broken = pin("broken", UpdateType::none, 0.0);
    broken.failing = true;
    broken.error = "http 503";
    std::vector<Pin> pins = {pin("zeta", UpdateType::major, 3.0),
                             pin("alpha", UpdateType::none, 0.0),
                             hostile,
                             pin("mid", UpdateType::minor, 1.25),
                             vuln,
                             broken,
                             pin("nopin", std::nullopt, std::nullopt)};
    sort_urgent_first(pins);
    o.sections.push_back({"default", pins});
    return o;
}

// The contents of every <tag>...</tag> in the page.
std::vector<std::string> blocks(std::string const& page, std::string const& tag) {
    std::vector<std::string> out;
    std::string const open = "<" + tag + ">", close = "</" + tag + ">";
    for (auto at = page.find(open); at != std::string::npos; at = page.find(open, at + 1)) {
        auto const end = page.find(close, at);
        out.push_back(page.substr(at + open.size(), end - at - open.size()));
    }
    return out;
}

std::string hash_source(std::string const& content) {
    return "'sha256-" + net::base64_encode(net::sha256(content)) + "'";
}

} // namespace

BOOST_AUTO_TEST_CASE(urgent_rows_come_first) {
    auto const o = scene();
    std::vector<std::string> order;
    for (auto const& p : o.sections[0].pins)
        order.push_back(p.package);
    BOOST_TEST((order == std::vector<std::string>{"vuln", "hostile", "broken", "zeta", "mid",
                                                  "alpha", "nopin"}));
    // The page lists them in that order, each row ranked for the script's ties.
    auto const page = render_overview(o);
    std::regex row(R"re(<tr data-rank="(\d+)" data-package="([a-z-]+)")re");
    std::vector<std::string> rendered;
    for (std::sregex_iterator it(page.begin(), page.end(), row), end; it != end; ++it) {
        BOOST_TEST(std::stoul((*it)[1]) == rendered.size());
        rendered.push_back((*it)[2]);
    }
    BOOST_TEST(rendered == order);
}

BOOST_AUTO_TEST_CASE(counts_and_libyears_per_project) {
    auto const o = scene();
    auto const c = count(o.sections[0].pins);
    BOOST_TEST(c.pins == 7u);
    BOOST_TEST(c.outdated == 4u);
    BOOST_TEST(c.major == 1u);
    BOOST_TEST(c.minor == 2u);
    BOOST_TEST(c.patch == 1u);
    BOOST_TEST(c.vulnerable == 1u);
    BOOST_TEST(c.yanked == 1u);
    BOOST_TEST(c.failing == 1u);
    BOOST_TEST(c.libyears == 5.0, boost::test_tools::tolerance(1e-9));
    auto const page = render_overview(o);
    BOOST_TEST(has(page, "<dt>libyears</dt><dd>5.0</dd>"));
    BOOST_TEST(has(page, "<dt>pins</dt><dd>7</dd>"));
    BOOST_TEST(has(page, "<dt>major</dt><dd class=\"major\">1</dd>"));
    // Each row's libyears, and its sort key.
    BOOST_TEST(has(page, "<td class=\"n\" data-v=\"1.250\">1.25</td>"));
    BOOST_TEST(has(page, "<td class=\"n\" data-v=\"-1\">-</td>")); // no pin: unknown
}

BOOST_AUTO_TEST_CASE(text_from_an_index_is_escaped_never_markup) {
    auto const page = render_overview(scene());
    BOOST_TEST(!has(page, "<img"));
    BOOST_TEST(!has(page, "onerror=alert(1)>"));
    BOOST_TEST(has(page, "&lt;img src=x onerror=alert(1)&gt;"));
    BOOST_TEST(!has(page, "<script>alert(2)"));
    BOOST_TEST(has(page, "&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;"));
    // Only the page's own script, no other element that loads or runs anything.
    BOOST_TEST(blocks(page, "script").size() == 1u);
    for (auto const* tag : {"<iframe", "<object", "<embed", "<link", "javascript:"})
        BOOST_TEST(!has(page, tag), tag);
    // No element with a src attribute (the escaped reason holds " src=" as text).
    BOOST_TEST(!std::regex_search(page, std::regex(R"(<[a-zA-Z][^<>]*\ssrc\s*=)")));
}

BOOST_AUTO_TEST_CASE(the_policy_allows_exactly_the_pages_own_style_and_script) {
    auto const page = render_overview(scene());
    auto const policy = content_security_policy();
    BOOST_TEST(has(policy, "default-src 'none'"));
    BOOST_TEST(has(policy, "frame-ancestors 'none'"));
    BOOST_TEST(!has(policy, "unsafe-inline"));
    auto const scripts = blocks(page, "script");
    auto const styles = blocks(page, "style");
    BOOST_REQUIRE(scripts.size() == 1u);
    BOOST_REQUIRE(styles.size() == 1u);
    BOOST_TEST(has(policy, "script-src " + hash_source(scripts[0])));
    BOOST_TEST(has(policy, "style-src " + hash_source(styles[0])));
    // The page carries the same policy (minus what a <meta> may not say), for report files.
    BOOST_TEST(has(page, "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
                         "'none'; style-src " +
                             hash_source(styles[0])));
    // No inline style attribute, which the policy would block.
    BOOST_TEST(!has(page, " style="));
}

BOOST_AUTO_TEST_CASE(report_pages_do_not_link_to_pages_they_lack) {
    RenderOptions options;
    options.links = false;
    BOOST_TEST(!has(render_overview(scene(), options), "href=\"package/"));
    BOOST_TEST(has(render_overview(scene()), "<a href=\"package/vuln\">vuln</a>"));
}

BOOST_AUTO_TEST_CASE(package_page_draws_its_timeline_and_issue_chart_in_svg) {
    PackagePage page;
    page.now = kNow;
    auto p = pin("demo", UpdateType::major, 1.0);
    p.pinned = "1.0";
    p.latest = "2.0";
    page.pins = {p};
    auto rel = [](std::string v, UnixTime t, bool yanked = false) {
        StoredRelease r;
        r.version = std::move(v);
        r.first_seen = t;
        r.upload_time = t;
        r.yanked = yanked;
        if (yanked) r.yank_reason = kHostile;
        return r;
    };
    page.releases = {rel("1.0", kNow - 400 * 86400), rel("1.5", kNow - 200 * 86400, true),
                     rel("2.0", kNow - 30 * 86400)};
    AdvisoryState live{{}, true, kNow - 100};
    live.advisory.id = "GHSA-1";
    live.advisory.link = "javascript:alert(3)";
    AdvisoryState gone{{}, false, kNow - 50};
    gone.advisory.id = "GHSA-2";
    gone.advisory.withdrawn = "2026-11-25T10:00:00Z";
    gone.advisory.link = "https://osv.dev/vulnerability/GHSA-2";
    page.advisories = {live, gone};
    EventDeliveries e;
    e.event.kind = EventKind::new_release;
    e.event.version = "2.0";
    e.event.at = kNow - 30 * 86400;
    e.deliveries = {{"slack", "delivered", 1, kNow - 30 * 86400 + 5, std::nullopt},
                    {"mail", "failed", 3, std::nullopt, "550 https://u:s3cret@mx.example/ no"}};
    page.events = {e};
    PackageInsight in;
    in.repo = "example/demo";
    in.repo_url = "https://github.com/example/demo";
    PackageInsight::Daily d;
    d.what = "new issues per day";
    d.counts.assign(28, 2);
    d.counts.back() = 11;
    d.threshold = 8;
    d.spike = true;
    d.days_known = 28;
    in.daily = d;
    page.insight = in;

    auto const html = render_package(page);
    BOOST_TEST(has(html, "<svg class=\"timeline\""));
    BOOST_TEST(has(html, ">pinned 1.0</text>"));
    BOOST_TEST(has(html, ">latest 2.0</text>"));
    BOOST_TEST(has(html, "text-decoration=\"line-through\" class=\"yanked\">1.5</text>"));
    BOOST_TEST(has(html, "<del>1.5</del>"));
    BOOST_TEST(!has(html, "<img"));
    BOOST_TEST(has(html, "<svg class=\"daily\""));
    BOOST_TEST(has(html, "class=\"threshold\""));
    BOOST_TEST(has(html, "spike threshold 8"));
    BOOST_TEST(!has(html, "Issues are known for the last"));
    // A repository watched for a few days says how short its history is.
    page.insight->daily->days_known = 3;
    BOOST_TEST(has(render_package(page), "Issues are known for the last 3 day(s) only"));
    // 28 bars, the last one over the line.
    std::regex bar(R"(<rect class="bar( over)?")");
    std::vector<bool> over;
    for (std::sregex_iterator it(html.begin(), html.end(), bar), end; it != end; ++it)
        over.push_back((*it)[1].matched);
    BOOST_REQUIRE(over.size() == 28u);
    BOOST_TEST(over.back());
    BOOST_TEST(std::count(over.begin(), over.end(), true) == 1);
    // Advisories with their state; a javascript: link is not a link.
    BOOST_TEST(has(html, "<span class=\"bad\">live</span>"));
    BOOST_TEST(has(html, "withdrawn 2026-11-25T10:00:00Z"));
    BOOST_TEST(!has(html, "javascript:"));
    BOOST_TEST(has(html, "<a href=\"https://osv.dev/vulnerability/GHSA-2\""));
    // Where the event went, and no secret from a receiver's error.
    BOOST_TEST(has(html, "slack: delivered"));
    BOOST_TEST(has(html, "mail: failed after 3 attempt(s)"));
    BOOST_TEST(!has(html, "s3cret"));
}

BOOST_AUTO_TEST_CASE(a_timeline_with_no_release_says_so) {
    auto const svg = timeline_svg({}, std::string("1.0"), std::nullopt);
    BOOST_TEST(has(svg, "<svg"));
    BOOST_TEST(has(svg, "no releases known"));
}
