#define BOOST_TEST_MODULE pypi_source
#include <boost/test/unit_test.hpp>

#include "watcher/sources/pypi/pypi.hpp"

#include <fstream>
#include <sstream>

using namespace pinwatch::watcher;
using namespace pinwatch::watcher::pypi_detail;
namespace net = pinwatch::net;

namespace {
std::string read_file(std::string const& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}
net::Response json_response(std::string body, int status = 200) {
    net::Response r;
    r.status = status;
    r.headers = {{"Content-Type", "application/vnd.pypi.simple.v1+json"},
                 {"ETag", "\"abc\""},
                 {"X-PyPI-Last-Serial", "42"}};
    r.body = std::move(body);
    return r;
}
// What the PyPI source asks in a poll (its own part of the context), made when missing.
PypiSource::Asks& asks(PollContext& c) {
    if (!c.asks.has_value()) c.asks = PypiSource::Asks{};
    return std::any_cast<PypiSource::Asks&>(c.asks);
}
PollContext no_metadata() {
    PollContext c;
    asks(c).want_metadata = false;
    return c;
}
Subscription sub(std::string name, std::string index = "https://pypi.org/simple") {
    return pypi_subscription(index, name);
}
Release const* find(Observation const& o, std::string const& v) {
    for (auto const& r : o.releases)
        if (r.version == v) return &r;
    return nullptr;
}
// One response read as a poll's first step (metadata not wanted unless the context says so).
pinwatch::Result<Observation, SourceError> parse(PypiSource const& src, Subscription const& s,
                                                 net::Response const& r,
                                                 PollContext ctx = no_metadata()) {
    Observation obs;
    auto step = src.parse(s, ctx, src.first_request(s, ctx), r, obs);
    if (!step) return pinwatch::fail(step.error());
    return obs;
}
} // namespace

BOOST_AUTO_TEST_CASE(request_is_normalised_conditional_and_negotiates_json) {
    PypiSource src;
    PollContext ctx;
    ctx.validator = "\"v1\"";
    auto r = src.first_request(sub("Zope.Interface"), ctx).http;
    BOOST_TEST(r.url == "https://pypi.org/simple/zope-interface/");
    BOOST_TEST(r.method == "GET");
    bool saw_inm = false, saw_accept = false;
    for (auto const& [k, v] : r.headers) {
        if (k == "If-None-Match") saw_inm = v == "\"v1\"";
        if (k == "Accept") saw_accept = v.rfind("application/vnd.pypi.simple.v1+json", 0) == 0;
    }
    BOOST_TEST(saw_inm);
    BOOST_TEST(saw_accept);
    auto fresh = src.first_request(sub("six"), PollContext{}).http;
    for (auto const& [k, v] : fresh.headers)
        BOOST_TEST(k != "If-None-Match");
}

BOOST_AUTO_TEST_CASE(recorded_six_response) {
    PypiSource src;
    auto obs =
        parse(src, sub("six"), json_response(read_file(PINWATCH_TEST_DATA "/simple-six.json")));
    BOOST_REQUIRE(obs.has_value());
    BOOST_TEST(obs->releases.size() == 1u);
    auto const* r = find(*obs, "1.11.0");
    BOOST_REQUIRE(r);
    BOOST_TEST(!r->yanked);
    BOOST_REQUIRE(r->upload_time.has_value());
    BOOST_TEST(*r->upload_time == 1505674013); // 2017-09-17T18:46:53Z, the earliest file
    BOOST_TEST(obs->validator.value_or("") == "\"abc\"");
    BOOST_TEST(obs->sequence.value_or(0) == 42);
}

BOOST_AUTO_TEST_CASE(yank_is_per_release_when_all_files_are_yanked) {
    std::string body = R"({"meta":{"api-version":"1.1","_last-serial":7},"name":"demo",
      "versions":["1.0","1.1","2.0","2.1"],
      "files":[
        {"filename":"demo-1.0.tar.gz","yanked":false,"upload-time":"2020-01-01T00:00:00Z","hashes":{"sha256":"x"}},
        {"filename":"demo-1.1-py3-none-any.whl","yanked":"broken import","upload-time":"2020-02-01T00:00:00.5Z"},
        {"filename":"demo-1.1.tar.gz","yanked":true,"upload-time":"2020-02-01T00:00:01Z"},
        {"filename":"demo-2.0-py3-none-any.whl","yanked":true},
        {"filename":"demo-2.0.tar.gz","yanked":false,"core-metadata":{"sha256":"y"}}
      ]})";
    PypiSource src;
    auto obs = parse(src, sub("demo"), json_response(body));
    BOOST_REQUIRE(obs.has_value());
    BOOST_TEST(obs->releases.size() == 4u);
    BOOST_TEST(!find(*obs, "1.0")->yanked);
    BOOST_TEST(find(*obs, "1.1")->yanked);
    BOOST_TEST(find(*obs, "1.1")->yank_reason.value_or("") == "broken import");
    BOOST_TEST(!find(*obs, "2.0")->yanked); // one file still available
    BOOST_TEST(!find(*obs, "2.1")->yanked); // listed without files (PEP 700)
    BOOST_TEST(!find(*obs, "2.1")->upload_time.has_value());
    BOOST_TEST(obs->sequence.value_or(0) == 42); // the header wins over meta
}

BOOST_AUTO_TEST_CASE(versions_match_across_spellings) {
    // The versions list keeps the uploaded spelling; wheel names use the normalised one.
    std::string body = R"({"meta":{"api-version":"1.0"},"name":"x","versions":["1.0.0-RC1"],
      "files":[{"filename":"x-1.0.0rc1-py3-none-any.whl","yanked":false,"upload-time":"2021-05-05T05:05:05Z"}]})";
    auto obs = parse_simple_json(body, "x");
    BOOST_REQUIRE(obs.has_value());
    BOOST_REQUIRE(obs->releases.size() == 1u);
    BOOST_TEST(obs->releases[0].version == "1.0.0-RC1");
    BOOST_TEST(obs->releases[0].upload_time.has_value());
}

BOOST_AUTO_TEST_CASE(future_major_api_version_is_refused) {
    auto obs = parse_simple_json(R"({"meta":{"api-version":"2.0"},"name":"x","files":[]})", "x");
    BOOST_REQUIRE(!obs.has_value());
    BOOST_TEST(obs.error().find("2.0") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(garbage_is_an_error_not_a_crash) {
    PypiSource src;
    for (std::string body :
         {"", "{", "<html>", "{\"files\": [1, 2, {\"filename\": 3}]", "\xff\xfe"}) {
        auto obs = parse(src, sub("x"), json_response(body));
        if (obs)
            BOOST_TEST(obs->releases.empty());
        else
            BOOST_TEST(obs.error().kind == SourceError::Kind::permanent);
    }
}

BOOST_AUTO_TEST_CASE(html_fallback_reads_pep503_and_pep592) {
    std::string body = R"(<!DOCTYPE html><html><body><h1>Links for Demo.Pkg</h1>
<a href="https://files.example/demo.pkg-1.0.tar.gz#sha256=aa">demo.pkg-1.0.tar.gz</a><br/>
<a href="../../packages/Demo_Pkg-1.1-py3-none-any.whl#sha256=bb" data-yanked="">Demo_Pkg-1.1-py3-none-any.whl</a>
<A HREF="/p/demo-pkg-1.2.zip" data-requires-python="&gt;=3.8" data-yanked="bad &amp; broken">demo-pkg-1.2.zip</A>
<abbr>not a link</abbr>
<a href="/p/demo_pkg-2.0%2Blocal.tar.gz">demo_pkg-2.0+local.tar.gz</a>
</body></html>)";
    net::Response r;
    r.status = 200;
    r.headers = {{"content-type", "text/html; charset=utf-8"}};
    r.body = body;
    auto obs = parse(PypiSource{}, sub("demo-pkg"), r);
    BOOST_REQUIRE(obs.has_value());
    BOOST_TEST(obs->releases.size() == 4u);
    BOOST_TEST(!find(*obs, "1.0")->yanked);
    BOOST_TEST(find(*obs, "1.1")->yanked);
    BOOST_TEST(!find(*obs, "1.1")->yank_reason.has_value());
    BOOST_TEST(find(*obs, "1.2")->yank_reason.value_or("") == "bad & broken");
    BOOST_TEST(find(*obs, "2.0+local") != nullptr);
}

BOOST_AUTO_TEST_CASE(statuses_map_to_observations_and_error_kinds) {
    PypiSource src;
    net::Response r;
    r.status = 304;
    BOOST_TEST((parse(src, sub("x"), r)->status == Observation::Status::not_modified));
    r.status = 404;
    BOOST_TEST((parse(src, sub("x"), r)->status == Observation::Status::gone));
    r.status = 503;
    BOOST_TEST((parse(src, sub("x"), r).error().kind == SourceError::Kind::temporary));
    r.status = 403;
    BOOST_TEST((parse(src, sub("x"), r).error().kind == SourceError::Kind::permanent));
    r.status = 429;
    r.headers = {{"Retry-After", "120"}};
    auto e = parse(src, sub("x"), r);
    BOOST_TEST((e.error().kind == SourceError::Kind::rate_limited));
    BOOST_TEST(e.error().retry_after->count() == 120);
    BOOST_TEST(e.error().message.find("pypi:x") == 0u);
}

BOOST_AUTO_TEST_CASE(filenames_to_versions) {
    struct Case {
        char const* file;
        char const* project;
        char const* version;
    } const cases[] = {
        {"six-1.11.0-py2.py3-none-any.whl", "six", "1.11.0"},
        {"zope.interface-5.4.0-cp39-cp39-manylinux1_x86_64.whl", "zope.interface", "5.4.0"},
        {"numpy-1.26.0-1-cp311-cp311-linux_x86_64.whl", "numpy", "1.26.0"},
        {"python-dateutil-2.8.2.tar.gz", "python-dateutil", "2.8.2"},
        {"Django-4.2.tar.gz", "django", "4.2"},
        {"foo_bar-0.1.zip", "foo-bar", "0.1"},
        {"setuptools-0.6c11-py2.7.egg", "setuptools", "0.6c11"},
        {"pkg-1.0.tar.bz2", "pkg", "1.0"},
        {"pkg-1.0.win32.exe", "pkg", ""},
        {"README", "pkg", ""},
    };
    for (auto const& c : cases)
        BOOST_TEST(version_from_filename(c.file, c.project) == c.version, c.file);
}

BOOST_AUTO_TEST_CASE(upload_times) {
    BOOST_TEST(parse_upload_time("1970-01-01T00:00:00Z").value() == 0);
    BOOST_TEST(parse_upload_time("2015-06-14T14:38:05.875222Z").value() == 1434292685);
    BOOST_TEST(parse_upload_time("2015-06-14T14:38:05.8Z").value() == 1434292685);
    BOOST_TEST(!parse_upload_time("2015-06-14T14:38:05").has_value());
    BOOST_TEST(!parse_upload_time("2015-13-14T14:38:05Z").has_value());
    BOOST_TEST(!parse_upload_time("yesterday").has_value());
}

BOOST_AUTO_TEST_CASE(metadata_is_an_optional_second_step_for_a_new_newest_release) {
    PypiSource src;
    auto const s = sub("Requests");
    PollContext ctx; // wants metadata, has none stored
    Observation obs;
    auto listing = json_response(
        R"({"meta":{"api-version":"1.0"},"name":"requests","versions":["2.30.0","2.31.0","3.0.0rc1"],
      "files":[{"filename":"requests-2.31.0.tar.gz","yanked":false}]})");
    auto step = src.parse(s, ctx, src.first_request(s, ctx), listing, obs);
    BOOST_REQUIRE(step.has_value());
    BOOST_REQUIRE(step->next.has_value());
    BOOST_TEST(step->next->optional);
    BOOST_TEST(step->next->http.url ==
               "https://pypi.org/pypi/requests/2.31.0/json"); // newest final

    net::Response r;
    r.status = 200;
    r.body = R"({"info":{"summary":"HTTP for Humans.","home_page":"https://requests.readthedocs.io",
        "project_urls":{"Source":"https://github.com/psf/requests","Documentation":"https://docs"}},
        "urls":[],"vulnerabilities":[]})";
    auto done = src.parse(s, ctx, *step->next, r, obs);
    BOOST_REQUIRE(done.has_value());
    BOOST_TEST(!done->next.has_value());
    BOOST_REQUIRE(obs.metadata.has_value());
    BOOST_TEST(obs.metadata->summary == "HTTP for Humans.");
    BOOST_TEST(obs.metadata->project_urls.at("Source") == "https://github.com/psf/requests");
    BOOST_TEST(obs.metadata_version.value() == "2.31.0");

    // Known already: no second request. A 404 from an index without the JSON API is
    // remembered (empty metadata for that release), so it is not asked after every poll.
    asks(ctx).metadata_version = "2.31.0";
    Observation again;
    BOOST_TEST(!src.parse(s, ctx, src.first_request(s, ctx), listing, again)->next.has_value());
    PollContext fresh;
    Observation missing;
    auto ask = src.parse(s, fresh, src.first_request(s, fresh), listing, missing);
    r.status = 404;
    BOOST_TEST(!src.parse(s, fresh, *ask->next, r, missing).has_value());
    BOOST_REQUIRE(missing.metadata.has_value());
    BOOST_TEST(missing.metadata->summary.empty());
    BOOST_TEST(missing.metadata_version.value() == "2.31.0");
    // No /simple/ root to derive the JSON API from: no metadata step.
    Observation custom;
    auto const other = sub("x", "https://mirror.example/custom");
    auto none = src.parse(other, fresh, src.first_request(other, fresh), listing, custom);
    BOOST_TEST(!none->next.has_value());
}

BOOST_AUTO_TEST_CASE(wrong_shaped_answers_are_errors_not_empty_listings) {
    PypiSource src;
    for (std::string body : {"[1, 2, 3]", "{\"name\": \"x\"}", "\"text\"", "42"}) {
        auto obs = parse(src, sub("x"), json_response(body));
        BOOST_REQUIRE(!obs.has_value());
        BOOST_TEST(obs.error().message.find("not a Simple API project page") != std::string::npos,
                   body);
        BOOST_TEST((obs.error().kind == SourceError::Kind::permanent));
    }
    net::Response html;
    html.status = 200;
    html.headers = {{"content-type", "text/html"}};
    html.body = "<html><body><h1>Please log in</h1></body></html>";
    auto obs = parse(src, sub("x"), html);
    BOOST_REQUIRE(!obs.has_value());
    BOOST_TEST(obs.error().message.find("without links") != std::string::npos);
    // A JSON page with an empty file list is a real (empty) answer.
    BOOST_TEST(parse(src, sub("x"),
                     json_response(R"({"meta":{"api-version":"1.0"},"name":"x","files":[]})"))
                   .has_value());
}

BOOST_AUTO_TEST_CASE(host_is_the_budget_key) {
    PypiSource src;
    BOOST_TEST(src.host(sub("a")) == "https://pypi.org");
    BOOST_TEST(src.host(sub("a", "https://Mirror.Example:8443/simple/")) ==
               "https://mirror.example:8443");
}

namespace {
// A generated project page listing `n` versions (0.0.0, 0.0.1, ...), in the `versions` list
// and/or as one file each.
std::string big_json_page(std::size_t n, bool versions, bool files) {
    std::string body = R"({"meta":{"api-version":"1.1"},"name":"big","versions":[)";
    body.reserve(n * (versions ? 12 : 0) + n * (files ? 40 : 0) + 100);
    auto version = [](std::size_t i) {
        return std::to_string(i / 10000) + "." + std::to_string(i / 100 % 100) + "." +
               std::to_string(i % 100);
    };
    for (std::size_t i = 0; versions && i < n; ++i)
        body += (i ? ",\"" : "\"") + version(i) + "\"";
    body += R"(],"files":[)";
    for (std::size_t i = 0; files && i < n; ++i)
        body += (i ? ",{\"filename\":\"big-" : "{\"filename\":\"big-") + version(i) + ".tar.gz\"}";
    body += "]}";
    return body;
}
std::string big_html_page(std::size_t n) {
    std::string body = "<html><body>\n";
    for (std::size_t i = 0; i < n; ++i)
        body += "<a href=\"big-" + std::to_string(i) + ".0.tar.gz\">x</a>\n";
    return body + "</body></html>\n";
}
} // namespace

// A page listing 1,000,000 releases (12.7 MB) must not cost memory in proportion: reading
// stops past kMaxReleases and the poll fails with a permanent error naming the cap.
BOOST_AUTO_TEST_CASE(a_page_with_a_million_releases_fails_at_the_cap) {
    BOOST_TEST(kMaxReleases == 50'000u);
    BOOST_TEST(with_thousands(50'000) == "50,000");
    BOOST_TEST(with_thousands(1'000'000) == "1,000,000");
    BOOST_TEST(with_thousands(999) == "999");
    auto const body = big_json_page(1'000'000, true, false);
    BOOST_TEST_MESSAGE("generated page: " << body.size() << " bytes");
    PypiSource src;
    auto const r = parse(src, sub("big"), json_response(body));
    BOOST_REQUIRE(!r);
    BOOST_TEST((r.error().kind == SourceError::Kind::permanent));
    BOOST_TEST(r.error().message ==
               "pypi:big: more than 50,000 releases; pinwatch reads at most 50,000");
}

BOOST_AUTO_TEST_CASE(the_cap_counts_releases_from_files_and_html_too) {
    PypiSource src;
    std::string const message =
        "pypi:big: more than 50,000 releases; pinwatch reads at most 50,000";
    // Exactly the cap is read in full.
    auto const at_cap = parse(src, sub("big"), json_response(big_json_page(50'000, true, true)));
    BOOST_REQUIRE(at_cap);
    BOOST_TEST(at_cap->releases.size() == 50'000u);
    // One more, named only by a file.
    auto const files = parse(src, sub("big"), json_response(big_json_page(50'001, false, true)));
    BOOST_REQUIRE(!files);
    BOOST_TEST(files.error().message == message);
    // The HTML fallback.
    net::Response html;
    html.status = 200;
    html.headers = {{"Content-Type", "text/html"}};
    html.body = big_html_page(50'000);
    auto const html_at_cap = parse(src, sub("big"), html);
    BOOST_REQUIRE(html_at_cap);
    BOOST_TEST(html_at_cap->releases.size() == 50'000u);
    html.body = big_html_page(50'001);
    auto const html_over = parse(src, sub("big"), html);
    BOOST_REQUIRE(!html_over);
    BOOST_TEST((html_over.error().kind == SourceError::Kind::permanent));
    BOOST_TEST(html_over.error().message == message);
}

BOOST_AUTO_TEST_CASE(requires_python_is_read_from_json_and_html_listings) {
    auto obs = parse(PypiSource{}, sub("demo"), json_response(R"({"meta":{"api-version":"1.1"},
      "files":[{"filename":"demo-1.0.tar.gz","requires-python":">=3.8","yanked":false},
               {"filename":"demo-2.0.tar.gz","yanked":false},
               {"filename":"demo-2.0-py3-none-any.whl","requires-python":">=3.12","yanked":false}]})"));
    BOOST_REQUIRE(obs.has_value());
    BOOST_TEST(find(*obs, "1.0")->requires_python.value() == ">=3.8");
    BOOST_TEST(find(*obs, "2.0")->requires_python.value() == ">=3.12");

    net::Response r;
    r.status = 200;
    r.headers = {{"content-type", "text/html"}};
    r.body = R"(<a href="/p/demo-1.2.zip" data-requires-python="&gt;=3.8,&lt;4">demo-1.2.zip</a>
<a href="/p/demo-1.3.zip">demo-1.3.zip</a>)";
    auto html = parse(PypiSource{}, sub("demo"), r);
    BOOST_REQUIRE(html.has_value());
    BOOST_TEST(find(*html, "1.2")->requires_python.value() == ">=3.8,<4");
    BOOST_TEST(!find(*html, "1.3")->requires_python.has_value());
}

BOOST_AUTO_TEST_CASE(advisories_are_read_from_the_pinned_versions_json) {
    auto list = parse_vulnerabilities(R"({"info":{},"vulnerabilities":[
      {"aliases":["CVE-2024-35195"],"details":"long","fixed_in":["2.32.0"],"id":"GHSA-9wx4-h78v-vm56",
       "link":"https://osv.dev/vulnerability/GHSA-9wx4-h78v-vm56","source":"osv",
       "summary":"verify=False sticks","withdrawn":null},
      {"aliases":null,"details":null,"fixed_in":null,"id":"PYSEC-2","link":null,"source":"osv",
       "summary":null,"withdrawn":"2026-11-25T10:00:00Z"}]})");
    BOOST_REQUIRE(list.has_value());
    BOOST_REQUIRE_EQUAL(list->size(), 2u);
    auto const& a = (*list)[0];
    BOOST_TEST(a.id == "GHSA-9wx4-h78v-vm56");
    BOOST_TEST(a.aliases.at(0) == "CVE-2024-35195");
    BOOST_TEST(a.summary == "verify=False sticks");
    BOOST_TEST(a.link == "https://osv.dev/vulnerability/GHSA-9wx4-h78v-vm56");
    BOOST_TEST(a.fixed_in.at(0) == "2.32.0");
    BOOST_TEST(!a.withdrawn.has_value());
    // Every field but the id may be null (warehouse's model).
    BOOST_TEST((*list)[1].aliases.empty());
    BOOST_TEST((*list)[1].withdrawn.value() == "2026-11-25T10:00:00Z");

    BOOST_TEST(parse_vulnerabilities(R"({"vulnerabilities":[]})")->empty());
    // Answers that say nothing either way are errors, never "no advisories".
    BOOST_TEST(!parse_vulnerabilities(R"({"info":{}})").has_value());
    BOOST_TEST(!parse_vulnerabilities("<html>").has_value());
    BOOST_TEST(!parse_vulnerabilities(R"({"vulnerabilities":[{"summary":"no id"}]})").has_value());
    // A summary is cut at 1,000 bytes, on a character boundary.
    std::string long_summary(999, 'x');
    long_summary += "é and more";
    auto cut = parse_vulnerabilities(R"({"vulnerabilities":[{"id":"X","summary":")" + long_summary +
                                     "\"}]}");
    BOOST_REQUIRE(cut.has_value());
    BOOST_TEST((*cut)[0].summary == std::string(999, 'x') + "…");
}

BOOST_AUTO_TEST_CASE(advisories_are_a_conditional_optional_step_when_due) {
    PypiSource src;
    auto const s = sub("Requests");
    PollContext ctx = no_metadata();
    asks(ctx).vulnerabilities_for = "2.31.0";
    asks(ctx).vulnerability_validator = "\"adv1\"";
    auto listing = json_response(R"({"meta":{"api-version":"1.0"},
      "files":[{"filename":"requests-2.31.0.tar.gz","yanked":false}]})");
    Observation obs;
    auto step = src.parse(s, ctx, src.first_request(s, ctx), listing, obs);
    BOOST_REQUIRE(step.has_value());
    BOOST_REQUIRE(step->next.has_value());
    auto const& ask = *step->next;
    BOOST_TEST(ask.optional);
    BOOST_TEST(ask.http.url == "https://pypi.org/pypi/requests/2.31.0/json");
    bool conditional = false;
    for (auto const& [k, v] : ask.http.headers)
        conditional = conditional || (k == "If-None-Match" && v == "\"adv1\"");
    BOOST_TEST(conditional);

    net::Response r;
    r.status = 200;
    r.headers = {{"ETag", "\"adv2\""}};
    r.body = R"({"vulnerabilities":[{"id":"A","fixed_in":["2.32.0"]}]})";
    auto done = src.parse(s, ctx, ask, r, obs);
    BOOST_REQUIRE(done.has_value());
    BOOST_TEST(!done->next.has_value());
    BOOST_REQUIRE(obs.vulnerabilities.has_value());
    BOOST_TEST(obs.vulnerabilities->version == "2.31.0");
    BOOST_TEST(obs.vulnerabilities->validator.value() == "\"adv2\"");
    BOOST_TEST(obs.vulnerabilities->advisories.at(0).id == "A");

    // A 304 of the listing still reads the advisories; their own 304 says "as before".
    net::Response unchanged;
    unchanged.status = 304;
    Observation quiet;
    auto again = src.parse(s, ctx, src.first_request(s, ctx), unchanged, quiet);
    BOOST_REQUIRE(again->next.has_value());
    BOOST_TEST(src.parse(s, ctx, *again->next, unchanged, quiet).has_value());
    BOOST_TEST(quiet.vulnerabilities->not_modified);

    // Failures never fail the poll: the reason is kept with the reading.
    net::Response down;
    down.status = 503;
    Observation failed;
    BOOST_TEST(src.parse(s, ctx, ask, down, failed).has_value());
    BOOST_TEST(failed.vulnerabilities->error.value() == "vulnerabilities: http 503");
    Observation lost;
    src.optional_step_failed(s, ctx, ask, "vulnerabilities: timeout", lost);
    BOOST_TEST(lost.vulnerabilities->error.value() == "vulnerabilities: timeout");
    // Not due: no step. No /simple/ root: no JSON API, and the reading says so.
    Observation none;
    BOOST_TEST(!src.parse(s, no_metadata(), src.first_request(s, no_metadata()), listing, none)
                    ->next.has_value());
    auto const custom = sub("x", "https://mirror.example/custom");
    Observation nojson;
    BOOST_TEST(
        !src.parse(custom, ctx, src.first_request(custom, ctx), listing, nojson)->next.has_value());
    BOOST_TEST(nojson.vulnerabilities->error.has_value());
}

// --- PEP 792: project status markers (Simple API 1.4) -------------------------------------

BOOST_AUTO_TEST_CASE(project_status_is_read_from_the_json_page) {
    std::string body = R"({"meta":{"api-version":"1.4","_last-serial":9},"name":"demo",
      "project-status":{"status":"archived","reason":"moved to demo2"},
      "versions":["1.0"],
      "files":[{"filename":"demo-1.0.tar.gz","yanked":false}]})";
    PypiSource src;
    auto obs = parse(src, sub("demo"), json_response(body));
    BOOST_REQUIRE(obs.has_value());
    BOOST_REQUIRE(obs->project_status.has_value());
    BOOST_TEST(obs->project_status->status == "archived");
    BOOST_TEST(obs->project_status->reason.value() == "moved to demo2");
    BOOST_TEST(obs->releases.size() == 1u); // and the listing as ever

    // No marker (an index before 1.4, or nothing to say): active, as the standard says.
    auto plain = parse_simple_json(
        R"({"meta":{"api-version":"1.1"},"name":"x","versions":[],"files":[]})", "x");
    BOOST_REQUIRE(plain.has_value());
    BOOST_TEST(plain->project_status.value().active());
    BOOST_TEST(!plain->project_status->reason.has_value());
    // A marker without a status (only a reason) is active too; keys out of place are not read.
    auto odd = parse_simple_json(R"({"name":"x","project-status":{"reason":"r"},"files":[
        {"filename":"x-1.0.tar.gz","status":"quarantined"}]})",
                                 "x");
    BOOST_REQUIRE(odd.has_value());
    BOOST_TEST(odd->project_status->status == "active");
    BOOST_TEST(odd->project_status->reason.value() == "r");
}

BOOST_AUTO_TEST_CASE(project_status_is_read_from_the_html_meta_tags) {
    std::string const html = R"(<!DOCTYPE html><html><head>
      <meta name="pypi:repository-version" content="1.4">
      <META NAME="pypi:project-status" CONTENT="Quarantined">
      <meta content="suspected &lt;malware&gt;" name="pypi:project-status-reason">
      </head><body></body></html>)";
    // A quarantined project's page lists no files: with the marker it is still a project page.
    auto obs = parse_simple_html(html, "demo");
    BOOST_REQUIRE(obs.has_value());
    BOOST_TEST(obs->releases.empty());
    BOOST_TEST(obs->project_status->quarantined()); // case folded
    BOOST_TEST(obs->project_status->reason.value() == "suspected <malware>");
    // Without any marker, a page without links stays an error page.
    BOOST_TEST(!parse_simple_html("<html><head><meta name=\"x\" content=\"y\"></head></html>", "d")
                    .has_value());
    // With links and no marker: active.
    auto links = parse_simple_html(R"(<a href="demo-1.0.tar.gz">demo-1.0.tar.gz</a>)", "demo");
    BOOST_REQUIRE(links.has_value());
    BOOST_TEST(links->project_status->active());
}

BOOST_AUTO_TEST_CASE(an_unknown_status_is_kept_and_a_long_reason_is_cut) {
    std::string const reason(5000, 'r');
    auto obs = parse_simple_json(R"({"name":"x","project-status":{"status":" Frozen ","reason":")" +
                                     reason + R"("},"files":[]})",
                                 "x");
    BOOST_REQUIRE(obs.has_value());
    // Kept as a word of its own, not taken for active and not for one of PEP 792's.
    BOOST_TEST(obs->project_status->status == "frozen");
    BOOST_TEST(!obs->project_status->active());
    BOOST_TEST(!obs->project_status->known());
    BOOST_TEST(obs->project_status->reason->size() < 1100u);
    // An absurdly long status word is cut too.
    auto big = parse_simple_json(R"({"name":"x","project-status":{"status":")" +
                                     std::string(500, 's') + R"("},"files":[]})",
                                 "x");
    BOOST_REQUIRE(big.has_value());
    BOOST_TEST(big->project_status->status.size() <= 40u);
}
