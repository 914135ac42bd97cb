#define BOOST_TEST_MODULE text
#include <boost/test/unit_test.hpp>

#include "common/text.hpp"

using namespace pinwatch;

BOOST_AUTO_TEST_CASE(sanitize_makes_controls_visible_and_keeps_prose) {
    BOOST_TEST(sanitize_text("plain café ✓") == "plain café ✓");
    BOOST_TEST(sanitize_text("a\x1b[31mred") == "a\\x1b[31mred");
    BOOST_TEST(sanitize_text("bell\a nul") == "bell\\x07 nul");
    BOOST_TEST(sanitize_text(std::string("nul\0x", 5)) == "nul\\x00x");
    BOOST_TEST(sanitize_text("tab\there") == "tab here");
    BOOST_TEST(sanitize_text("line\r\nnext") == "line\\x0d\\x0anext");
    BOOST_TEST(sanitize_text("\xc2\x9b"
                             "csi") == "\\x9bcsi"); // C1 CSI
    BOOST_TEST(sanitize_text("\xe2\x80\xae"
                             "txt") == "\\u202etxt"); // right-to-left override
    BOOST_TEST(sanitize_text("bad \xff byte") == "bad \\xff byte");
    BOOST_TEST(sanitize_text("\xc0\xaf") == "\\xc0\\xaf"); // overlong '/'
}

BOOST_AUTO_TEST_CASE(decode_and_repair_utf8) {
    auto ch = decode_utf8("é", 0);
    BOOST_TEST(ch.ok);
    BOOST_TEST(ch.length == 2u);
    BOOST_TEST(static_cast<unsigned>(ch.code_point) == 0xe9u);
    BOOST_TEST(!decode_utf8("\xed\xa0\x80", 0).ok); // a surrogate
    BOOST_TEST(valid_utf8("a\xffz") == "a\xEF\xBF\xBDz");
    BOOST_TEST(display_width("café") == 4u);
}

BOOST_AUTO_TEST_CASE(redact_urls) {
    BOOST_TEST(redact_url("https://user:pw@host/simple/?token=x#frag") == "https://host/simple/");
    BOOST_TEST(redact_url("https://host/p") == "https://host/p");
    BOOST_TEST(redact_url("git+https://oauth2:TOKEN@gitlab.example/x.git") ==
               "git+https://gitlab.example/x.git");
    BOOST_TEST(redact_url("not a url") == "not a url");
    BOOST_TEST(redact_url("user:pw@host/x") == "host/x"); // no scheme: still no credentials
}

BOOST_AUTO_TEST_CASE(redact_url_queries_anywhere_in_text) {
    BOOST_TEST(redact_url_queries("https://gitlab.example/api/r.txt?ref=main&private_token=X") ==
               "https://gitlab.example/api/r.txt?\u2026");
    BOOST_TEST(redact_url_queries("could not open 'https://h/r.txt?token=X': 404 at https://h/p") ==
               "could not open 'https://h/r.txt?\u2026': 404 at https://h/p");
    BOOST_TEST(redact_url_queries("https://h/a?x=1 https://h/b?y=2#f") ==
               "https://h/a?\u2026 https://h/b?\u2026");
    // Without "://" nothing is a URL: a local path or a github: spec stays as it is.
    BOOST_TEST(redact_url_queries("reqs/a?b.txt:3") == "reqs/a?b.txt:3");
    BOOST_TEST(redact_url_queries("github:o/r/p.txt@main") == "github:o/r/p.txt@main");
    BOOST_TEST(redact_url_queries("") == "");
    BOOST_TEST(redact_url_queries("x://") == "x://");
}

BOOST_AUTO_TEST_CASE(redact_credentials_anywhere_in_text) {
    BOOST_TEST(redact_credentials("--extra-index-url https://user:PASS@pypi.example/simple") ==
               "--extra-index-url https://pypi.example/simple");
    BOOST_TEST(redact_credentials("pkg @ https://user:TOKEN@files.example/pkg-1.0.tar.gz") ==
               "pkg @ https://files.example/pkg-1.0.tar.gz");
    BOOST_TEST(redact_credentials("-e git+https://oauth2:TOKEN@gitlab.example/g/r.git#egg=r") ==
               "-e git+https://gitlab.example/g/r.git#egg=r");
    // Every URL in the text, each ended by a blank or a quote; query and fragment are kept.
    BOOST_TEST(redact_credentials("'https://a:1@h1/x?q=1' and \"http://b@h2\" ftp://c:3@h3") ==
               "'https://h1/x?q=1' and \"http://h2\" ftp://h3");
    // A careless password with '@', '?' or '#' in it still goes entirely.
    BOOST_TEST(redact_credentials("https://u:p@ss#?x@host:8080/p") == "https://host:8080/p");
    BOOST_TEST(redact_credentials("https://host/p?next=a@b") == "https://host/p?next=a@b");
    BOOST_TEST(redact_credentials("mail me@example.com, see https://host") ==
               "mail me@example.com, see https://host");
    BOOST_TEST(redact_credentials("") == "");
    BOOST_TEST(redact_credentials("://@") == "://");
    BOOST_TEST(redact_credentials("x://") == "x://");
}

BOOST_AUTO_TEST_CASE(ascii_helpers) {
    BOOST_TEST(iequals("Content-Type", "content-type"));
    BOOST_TEST(!iequals("a", "ab"));
    BOOST_TEST(iends_with("pkg.WHL", ".whl"));
    BOOST_TEST(trim_blanks("  x y \t\n") == "x y");
    BOOST_TEST(ascii_lower("ÄBC") == "Äbc"); // ASCII only: bytes above 0x7f are left alone
}

// Issue #20: U+2028/U+2029 and zero-width characters reached the console and logs. They are
// made visible like control bytes; ordinary non-ASCII text stays as it is.
BOOST_AUTO_TEST_CASE(sanitize_makes_separators_and_zero_width_characters_visible) {
    BOOST_TEST(sanitize_text("a\xe2\x80\xa8"
                             "b") == "a\\u2028b"); // line separator
    BOOST_TEST(sanitize_text("a\xe2\x80\xa9"
                             "b") == "a\\u2029b");                          // paragraph separator
    BOOST_TEST(sanitize_text("re\xe2\x80\x8bquests") == "re\\u200bquests"); // zero-width space
    BOOST_TEST(sanitize_text("x\xe2\x80\x8c\xe2\x80\x8dy") == "x\\u200c\\u200dy");
    BOOST_TEST(sanitize_text("\xe2\x81\xa0joined") == "\\u2060joined"); // word joiner
    BOOST_TEST(sanitize_text("\xef\xbb\xbf"
                             "BOM") == "\\ufeffBOM");
    BOOST_TEST(sanitize_text("em\xe2\x80\x94"
                             "dash \xe2\x80\xa6") == "em\xe2\x80\x94"
                                                     "dash \xe2\x80\xa6");
}

// Issue #20: a package's identity is its index without userinfo, host lower-cased.
BOOST_AUTO_TEST_CASE(url_identity_and_userinfo) {
    BOOST_TEST(url_identity("https://u:pw@Mirror.EXAMPLE:8443/Simple/") ==
               "https://mirror.example:8443/Simple/");
    BOOST_TEST(url_identity("HTTPS://pypi.org/simple/") == "https://pypi.org/simple/");
    BOOST_TEST(url_identity("https://a:b@c@host/x@y") == "https://host/x@y");
    BOOST_TEST(url_identity("github:demo") == "github:demo");
    auto info = url_userinfo("https://ci%40corp:p%3Ass@host/simple/");
    BOOST_REQUIRE(info.has_value());
    BOOST_TEST(info->user == "ci@corp");
    BOOST_TEST(info->password == "p:ss");
    BOOST_TEST(!url_userinfo("https://host/simple/").has_value());
    BOOST_TEST(url_userinfo("https://token@host/")->password.empty());
}
