#define BOOST_TEST_MODULE osv_source
#include <boost/test/unit_test.hpp>

#include "watcher/sources/osv/osv.hpp"
#include "watcher/sources/registry.hpp"

#include <rapidjson/document.h>

using namespace pinwatch::watcher;
namespace net = pinwatch::net;
using pinwatch::packaging::Version;

namespace {

net::Response answer(std::string body, int status = 200) {
    net::Response r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

Version v(char const* text) {
    return *Version::parse(text);
}

// A record for `demo` with one ECOSYSTEM range and listed versions.
std::string record(std::string const& events, std::string const& versions = "[]",
                   std::string const& extra = "") {
    return R"({"id":"PYSEC-2026-1","modified":"2026-01-02T00:00:00Z","aliases":["CVE-2026-1"],)"
           R"("summary":"remote code execution",)" +
           extra +
           R"("affected":[{"package":{"ecosystem":"PyPI","name":"Demo_Pkg"},)"
           R"("ranges":[{"type":"ECOSYSTEM","events":)" +
           events + R"(}],"versions":)" + versions +
           R"(},{"package":{"ecosystem":"npm","name":"demo-pkg"},"ranges":[{"type":"SEMVER",)"
           R"("events":[{"introduced":"0"},{"fixed":"9.9.9"}]}]}]})";
}

std::optional<pinwatch::model::Advisory> judged(std::string const& body, char const* version,
                                                std::string const& name = "demo-pkg") {
    OsvSource osv("https://osv.example/");
    auto r = osv.judge(body, name, v(version));
    BOOST_TEST_REQUIRE(r.has_value());
    return *r;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_batch_asks_pep503_names_in_the_pypi_ecosystem) {
    OsvSource osv("https://osv.example/api");
    auto r = osv.batch_request({{"Demo_Pkg", "1.0", std::nullopt}, {"b", "2.0", "tok"}});
    BOOST_TEST(r.method == "POST");
    BOOST_TEST(r.url == "https://osv.example/api/v1/querybatch");
    rapidjson::Document d;
    d.Parse(r.body.c_str());
    BOOST_TEST_REQUIRE(d["queries"].Size() == 2u);
    BOOST_TEST(std::string(d["queries"][0]["package"]["name"].GetString()) == "demo-pkg");
    BOOST_TEST(std::string(d["queries"][0]["package"]["ecosystem"].GetString()) == "PyPI");
    BOOST_TEST(std::string(d["queries"][0]["version"].GetString()) == "1.0");
    BOOST_TEST(!d["queries"][0].HasMember("page_token"));
    BOOST_TEST(std::string(d["queries"][1]["page_token"].GetString()) == "tok");
    BOOST_TEST(osv.batch_limit() == 1000u);
    BOOST_TEST(osv.record_request("GHSA-aaaa-bbbb-cccc").url ==
               "https://osv.example/api/v1/vulns/GHSA-aaaa-bbbb-cccc");
}

BOOST_AUTO_TEST_CASE(a_batch_answer_gives_ids_modified_and_page_tokens) {
    OsvSource osv("https://osv.example/");
    auto ok = osv.parse_batch(
        answer(R"({"results":[{"vulns":[{"id":"A","modified":"m1"},{"id":"B","modified":"m2"}],)"
               R"("next_page_token":"p2"},{}]})"),
        2);
    BOOST_TEST_REQUIRE(ok.has_value());
    BOOST_TEST((*ok)[0].hits.size() == 2u);
    BOOST_TEST((*ok)[0].hits[1].id == "B");
    BOOST_TEST((*ok)[0].hits[1].modified == "m2");
    BOOST_TEST((*ok)[0].next_page_token.value() == "p2");
    BOOST_TEST((*ok)[1].hits.empty());
    BOOST_TEST(!(*ok)[1].next_page_token);
    // Anything but a full answer is an error, never "no advisories".
    BOOST_TEST(osv.parse_batch(answer(R"({"results":[{}]})"), 2).error() ==
               "querybatch: 1 results for 2 queries");
    BOOST_TEST(osv.parse_batch(answer("<html>", 200), 1).error() == "querybatch: invalid JSON");
    BOOST_TEST(osv.parse_batch(answer("{}", 400), 1).error() == "querybatch: http 400");
    BOOST_TEST(osv.parse_record("X", answer("{}", 404)).error() == "vulns/X: http 404");
    BOOST_TEST(osv.parse_record("X", answer(R"({"id":"Y"})")).error() ==
               "vulns/X: the record is not X");
}

BOOST_AUTO_TEST_CASE(ranges_follow_osv_rules_in_pep440_order) {
    auto const body = record(R"([{"introduced":"1.0"},{"fixed":"1.10"}])");
    BOOST_TEST(!judged(body, "0.9"));
    BOOST_TEST(judged(body, "1.0").has_value());     // introduced: inclusive
    BOOST_TEST(judged(body, "1.9").has_value());     // 1.9 < 1.10 in PEP 440, not as text
    BOOST_TEST(judged(body, "1.10rc1").has_value()); // a pre-release of the fix is before it
    BOOST_TEST(!judged(body, "1.10"));               // fixed: exclusive
    auto const last = record(R"([{"introduced":"0"},{"last_affected":"2.0"}])");
    BOOST_TEST(judged(last, "0.0.1").has_value()); // "0": from the beginning
    BOOST_TEST(judged(last, "2.0").has_value());   // last_affected: inclusive
    BOOST_TEST(!judged(last, "2.0.post1"));
    // Two ranges in one list of events: affected again after a reintroduction.
    auto const twice =
        record(R"([{"introduced":"1.0"},{"fixed":"1.1"},{"introduced":"2.0"},{"fixed":"2.1"}])");
    BOOST_TEST(!judged(twice, "1.5"));
    BOOST_TEST(judged(twice, "2.0.3").has_value());
}

BOOST_AUTO_TEST_CASE(listed_versions_count_and_other_ecosystems_or_packages_do_not) {
    auto const body = record(R"([])", R"(["3.0", "3.1.0"])");
    BOOST_TEST(judged(body, "3.1").has_value()); // 3.1 == 3.1.0
    BOOST_TEST(!judged(body, "3.2"));
    // The npm entry covers everything up to 9.9.9, but only PyPI's counts.
    BOOST_TEST(!judged(record(R"([])"), "1.0"));
    BOOST_TEST(!judged(record(R"([{"introduced":"0"}])"), "1.0", "other"));
}

BOOST_AUTO_TEST_CASE(an_advisory_has_id_aliases_summary_link_fixes_and_withdrawn) {
    auto a = judged(record(R"([{"introduced":"0"},{"fixed":"1.10"},{"introduced":"2"},)"
                           R"({"fixed":"1.2"}])"),
                    "1.0");
    BOOST_TEST_REQUIRE(a.has_value());
    BOOST_TEST(a->id == "PYSEC-2026-1");
    BOOST_TEST(a->aliases == std::vector<std::string>{"CVE-2026-1"});
    BOOST_TEST(a->summary == "remote code execution");
    BOOST_TEST(a->link == "https://osv.dev/vulnerability/PYSEC-2026-1");  // no ADVISORY reference
    BOOST_TEST((a->fixed_in == std::vector<std::string>{"1.2", "1.10"})); // PEP 440 order
    BOOST_TEST(!a->withdrawn);
    auto w = judged(record(R"([{"introduced":"5.0"}])", "[]",
                           R"("withdrawn":"2026-11-25T10:00:00Z","database_specific":)"
                           R"({"url":"https://github.com/advisories/GHSA-x"},)"),
                    "1.0");
    // Withdrawn: told as such even where it does not cover the pin, so it retracts.
    BOOST_TEST_REQUIRE(w.has_value());
    BOOST_TEST(w->withdrawn.value() == "2026-11-25T10:00:00Z");
    BOOST_TEST(w->link == "https://github.com/advisories/GHSA-x");
}

BOOST_AUTO_TEST_CASE(private_names_match_by_pep503_name_and_glob) {
    PrivateNames p({"Acme_*", "internal.tool"});
    BOOST_TEST(p.matches("acme-billing"));
    BOOST_TEST(p.matches("ACME.Billing"));
    BOOST_TEST(p.matches("internal-tool"));
    BOOST_TEST(!p.matches("requests"));
    BOOST_TEST(!p.matches("my-acme-thing"));
    BOOST_TEST(!PrivateNames().matches("acme-billing"));
    BOOST_TEST(!private_glob_problem("acme-*"));
    BOOST_TEST(private_glob_problem("acme/x").has_value());
}

BOOST_AUTO_TEST_CASE(check_flags_choose_the_source_url_and_private_names) {
    SourceSetup setup;
    setup.mode = SourceSetup::Mode::check;
    auto s = advisory_settings(setup);
    BOOST_TEST(to_string(s.from) == "osv");
    BOOST_TEST(s.osv_url == "https://api.osv.dev/");
    setup.flags = {{"--advisories", "index"},
                   {"--osv-url", "http://127.0.0.1:9/osv"},
                   {"--private", "a\nb-*"}};
    s = advisory_settings(setup);
    BOOST_TEST(to_string(s.from) == "index");
    BOOST_TEST(s.osv_url == "http://127.0.0.1:9/osv/");
    BOOST_TEST((s.private_names == std::vector<std::string>{"a", "b-*"}));
    // Only OSV is an advisory source of its own; the index's JSON API is the PyPI source's.
    std::vector<std::string> warnings;
    auto r = SourceRegistry::build(setup, warnings);
    BOOST_TEST(r->advisories() == nullptr);
    setup.flags = {};
    r = SourceRegistry::build(setup, warnings);
    BOOST_TEST_REQUIRE(r->advisories() != nullptr);
    BOOST_TEST(r->advisories()->service() == "https://api.osv.dev/");
}

BOOST_AUTO_TEST_CASE(the_daemon_reads_the_advisories_table_and_the_old_interval_key) {
    auto read = [](std::string const& text) {
        auto c = pinwatch::config::parse_config("requirements = [\"/srv/r.txt\"]\n" + text,
                                                "/etc/pinwatch.toml", source_tables());
        if (!c)
            for (auto const& e : c.error())
                BOOST_TEST_MESSAGE(e.str());
        BOOST_TEST_REQUIRE(c.has_value());
        SourceSetup setup;
        setup.config = &*c;
        return advisory_settings(setup);
    };
    auto s = read("");
    BOOST_TEST(to_string(s.from) == "osv");
    BOOST_TEST(s.interval.value().count() == 6 * 3600);
    s = read("vulnerability_interval = \"2h\"\n"); // the old key still counts
    BOOST_TEST(s.interval.value().count() == 2 * 3600);
    s = read("vulnerability_interval = \"2h\"\n[advisories]\nsource = \"none\"\ninterval = "
             "\"30m\"\nosv_url = \"https://osv.internal/api\"\nprivate = [\"acme-*\"]\n");
    BOOST_TEST(to_string(s.from) == "none");
    BOOST_TEST(s.interval.value().count() == 1800);
    BOOST_TEST(s.osv_url == "https://osv.internal/api/");
    BOOST_TEST((s.private_names == std::vector<std::string>{"acme-*"}));
}
