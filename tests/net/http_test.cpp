#define BOOST_TEST_MODULE http_test
#include <boost/test/unit_test.hpp>

// The plain HTTP value helpers: header lookup, error kind names, URL redaction, base64.

#include "net/http.hpp"

using namespace pinwatch::net;

BOOST_AUTO_TEST_CASE(iequals_ignores_ascii_case_only) {
    BOOST_TEST(iequals("Content-Type", "content-type"));
    BOOST_TEST(iequals("", ""));
    BOOST_TEST(!iequals("ETag", "ETags"));
    BOOST_TEST(!iequals("a-b", "a_b"));
}

BOOST_AUTO_TEST_CASE(response_header_lookup) {
    Response r;
    r.headers = {{"ETag", "\"1\""}, {"Set-Cookie", "a=1"}, {"set-cookie", "b=2"}};
    BOOST_TEST(r.header("etag").value_or("") == "\"1\"");
    BOOST_TEST(r.header("SET-COOKIE").value_or("") == "a=1"); // the first one
    BOOST_TEST(!r.header("Location"));
}

BOOST_AUTO_TEST_CASE(error_kind_names) {
    BOOST_TEST(to_string(ErrorKind::resolve) == "resolve");
    BOOST_TEST(to_string(ErrorKind::too_large) == "too_large");
    BOOST_TEST(to_string(ErrorKind::bad_url) == "bad_url");
    BOOST_TEST(to_string(ErrorKind::cancelled) == "cancelled");
}

BOOST_AUTO_TEST_CASE(redact_url_removes_userinfo_query_and_fragment) {
    struct Case {
        char const* in;
        char const* out;
    };
    Case const cases[] = {
        {"https://user:pw@host.example/p/a?token=x#frag", "https://host.example/p/a"},
        {"http://host:8080/x?y=1", "http://host:8080/x"},
        {"https://host/p@th", "https://host/p@th"},
        {"https://a@b@host/", "https://host/"},
        {"https://user:pw@host", "https://host"},
        {"user:pw@host/path?q", "host/path"},
        {"not a url?secret=1", "not a url"},
        {"", ""},
    };
    for (auto const& c : cases)
        BOOST_TEST(redact_url(c.in) == c.out, c.in);
}

BOOST_AUTO_TEST_CASE(base64_rfc4648_vectors) {
    BOOST_TEST(base64_encode("") == "");
    BOOST_TEST(base64_encode("f") == "Zg==");
    BOOST_TEST(base64_encode("fo") == "Zm8=");
    BOOST_TEST(base64_encode("foo") == "Zm9v");
    BOOST_TEST(base64_encode("foob") == "Zm9vYg==");
    BOOST_TEST(base64_encode("fooba") == "Zm9vYmE=");
    BOOST_TEST(base64_encode("foobar") == "Zm9vYmFy");
    BOOST_TEST(base64_encode(std::string("\xff\x00\x80", 3)) == "/wCA");
}

BOOST_AUTO_TEST_CASE(basic_authorization_header) {
    // RFC 7617 section 2's example.
    BOOST_TEST(basic_authorization("Aladdin", "open sesame") ==
               "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
}

BOOST_AUTO_TEST_CASE(request_header_builder) {
    Request r;
    r.header("If-None-Match", "\"abc\"").header("Accept", "application/json");
    BOOST_TEST(r.headers.size() == 2u);
    BOOST_TEST(r.headers[0].first == "If-None-Match");
    BOOST_TEST(r.method == "GET");
}

// A page a server links to (Link: rel="next") gets the request's credentials only on the
// request's own origin: scheme, host and port.
BOOST_AUTO_TEST_CASE(follow_link_keeps_credentials_on_their_origin_only) {
    Request first;
    first.url = "https://api.example.com/repos/o/r/issues?page=1";
    first.header("Authorization", "Bearer t0ken").header("Accept", "application/json");
    auto same = follow_link(first, "https://API.example.com:443/repos/o/r/issues?page=2");
    BOOST_REQUIRE(same);
    BOOST_TEST(same->url == "https://api.example.com/repos/o/r/issues?page=2");
    BOOST_TEST(same->headers.size() == 2u);
    auto relative = follow_link(first, "/repos/o/r/issues?page=3");
    BOOST_REQUIRE(relative);
    BOOST_TEST(relative->url == "https://api.example.com/repos/o/r/issues?page=3");
    BOOST_TEST(relative->headers.size() == 2u);
    for (auto const* link : {"https://api.example.com:8443/x", "http://api.example.com/x",
                             "https://evil.example/x", "https://api.example.com@evil.example/x"}) {
        auto other = follow_link(first, link);
        BOOST_REQUIRE(other);
        BOOST_TEST(other->headers.size() == 1u, link);
        BOOST_TEST(other->headers[0].first == "Accept", link);
    }
    // Userinfo in the request's URL goes on as basic auth to the same origin only.
    Request index;
    index.url = "https://alice:pa55@mirror.example/simple/demo/";
    auto next = follow_link(index, "/simple/demo/?page=2");
    BOOST_REQUIRE(next);
    BOOST_TEST(next->url == "https://mirror.example/simple/demo/?page=2");
    BOOST_REQUIRE(next->headers.size() == 1u);
    BOOST_TEST(next->headers[0].second == basic_authorization("alice", "pa55"));
    BOOST_TEST(follow_link(index, "https://cdn.example/f")->headers.empty());
    BOOST_TEST(!follow_link(index, "ftp://x/"));
}
