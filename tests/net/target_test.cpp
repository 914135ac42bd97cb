#define BOOST_TEST_MODULE target_test
#include <boost/test/unit_test.hpp>

// Where requests go: URL parsing, redirect resolution and proxy selection (net/target.cpp).

#include "net/detail/target.hpp"

using namespace pinwatch::net;
using namespace pinwatch::net::detail;

BOOST_AUTO_TEST_CASE(parses_https_url) {
    auto t = parse_target("https://PyPI.org/pypi/Requests/json?a=1#frag");
    BOOST_REQUIRE(t.has_value());
    BOOST_TEST(t->https);
    BOOST_TEST(t->host == "pypi.org");
    BOOST_TEST(t->port == 443);
    BOOST_TEST(t->authority == "pypi.org:443");
    BOOST_TEST(t->host_header == "pypi.org");
    BOOST_TEST(t->origin_form == "/pypi/Requests/json?a=1");
    BOOST_TEST(t->url == "https://pypi.org/pypi/Requests/json?a=1");
    BOOST_TEST(t->origin() == "https://pypi.org:443");
    BOOST_TEST(!t->has_userinfo);
}

BOOST_AUTO_TEST_CASE(parses_ports_ip_literals_and_userinfo) {
    auto plain = parse_target("http://127.0.0.1:8080");
    BOOST_REQUIRE(plain.has_value());
    BOOST_TEST(plain->origin_form == "/");
    BOOST_TEST(plain->host_header == "127.0.0.1:8080");

    auto v6 = parse_target("http://[::1]:8080/x");
    BOOST_REQUIRE(v6.has_value());
    BOOST_TEST(v6->host == "::1");
    BOOST_TEST(v6->authority == "[::1]:8080");
    BOOST_TEST(v6->host_header == "[::1]:8080");
    BOOST_TEST(is_ip_literal(v6->host));

    auto creds = parse_target("https://user:p%40ss@h.example:443/");
    BOOST_REQUIRE(creds.has_value());
    BOOST_TEST(creds->has_userinfo);
    BOOST_TEST(creds->user == "user");
    BOOST_TEST(creds->password == "p@ss");
    BOOST_TEST(creds->url == "https://h.example/"); // no userinfo, default port dropped
}

BOOST_AUTO_TEST_CASE(rejects_unusable_urls) {
    for (auto const* bad :
         {"ftp://h/", "http://", "http://h:0/", "http://h:70000/", "mailto:x@y.example",
          "/relative/path", "http//missing-colon", "http://h:junk/"})
        BOOST_TEST(!parse_target(bad).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(resolves_locations) {
    auto base = parse_target("https://h.example/a/b?q=1");
    BOOST_REQUIRE(base.has_value());
    struct Case {
        char const* location;
        char const* url;
    };
    Case const cases[] = {
        {"c", "https://h.example/a/c"},
        {"/d", "https://h.example/d"},
        {"../e?x=2", "https://h.example/e?x=2"},
        {"?z=1", "https://h.example/a/b?z=1"},
        {"//other.example/x", "https://other.example/x"},
        {"http://plain.example/", "http://plain.example/"},
        {"https://h.example:8443/p", "https://h.example:8443/p"},
        {" /trimmed ", "https://h.example/trimmed"},
    };
    for (auto const& c : cases) {
        auto next = resolve_location(*base, c.location);
        BOOST_REQUIRE_MESSAGE(next.has_value(), c.location);
        BOOST_TEST(next->url == c.url, c.location);
    }
    BOOST_TEST(!resolve_location(*base, "ftp://x/").has_value());
    BOOST_TEST(!resolve_location(*base, "http://bad host/").has_value());
}

BOOST_AUTO_TEST_CASE(selects_proxies) {
    auto https_target = *parse_target("https://pypi.org/simple/");
    auto http_target = *parse_target("http://mirror.internal/simple/");

    ProxySettings none;
    BOOST_TEST(!select_proxy(none, https_target)->has_value());

    ProxySettings s;
    s.https_proxy = "proxy.corp:3128"; // no scheme: http:// assumed, as curl does
    auto route = select_proxy(s, https_target);
    BOOST_REQUIRE(route.has_value() && route->has_value());
    BOOST_TEST((*route)->host == "proxy.corp");
    BOOST_TEST((*route)->port == 3128);
    BOOST_TEST((*route)->authorization.empty());
    BOOST_TEST(!select_proxy(s, http_target)->has_value()); // https_proxy is for https only

    s.http_proxy = "http://u:p@proxy.corp";
    route = select_proxy(s, http_target);
    BOOST_REQUIRE(route.has_value() && route->has_value());
    BOOST_TEST((*route)->port == 1080); // curl's default proxy port
    BOOST_TEST((*route)->authorization == "Basic dTpw");
    BOOST_TEST((*route)->authority == "proxy.corp:1080");

    s.no_proxy = ".internal";
    BOOST_TEST(!select_proxy(s, http_target)->has_value());

    ProxySettings bad;
    bad.https_proxy = "socks5://user:secret@proxy:1080";
    auto err = select_proxy(bad, https_target);
    BOOST_REQUIRE(!err.has_value());
    BOOST_TEST(err.error().find("secret") == std::string::npos);
    bad.https_proxy = "http://proxy:notaport";
    BOOST_TEST(!select_proxy(bad, https_target).has_value());
}
