#define BOOST_TEST_MODULE requirement_test
#include <boost/test/unit_test.hpp>

#include "packaging/pep508.hpp"
#include "packaging/requirement.hpp"
#include "packaging/urlsplit.hpp"

#include <optional>
#include <string>
#include <vector>

using namespace pinwatch::packaging;

namespace {

std::string join(std::vector<std::string> const& v) {
    std::string out;
    for (auto const& s : v)
        out += (out.empty() ? "" : ",") + s;
    return out;
}

} // namespace

// Expected fields are what packaging 23.0's Requirement reports (name, sorted(extras),
// str(specifier), url, str(marker)) and str(Requirement).
BOOST_AUTO_TEST_CASE(accepts_like_packaging) {
    struct Case {
        char const* text;
        char const* name;
        char const* extras;
        char const* specifier;
        std::optional<std::string> url;
        std::optional<std::string> marker;
        char const* str;
    };
    std::vector<Case> const cases = {
        {"requests", "requests", "", "", {}, {}, "requests"},
        {"requests>=2.8.1", "requests", "", ">=2.8.1", {}, {}, "requests>=2.8.1"},
        {"requests [security] >= 2.8.1, == 2.8.* ; python_version < '2.7'",
         "requests",
         "security",
         "==2.8.*,>=2.8.1",
         {},
         R"(python_version < "2.7")",
         R"(requests[security]==2.8.*,>=2.8.1; python_version < "2.7")"},
        {"Foo_Bar.baz-Qux[Extra_One , b]~=1.4.2",
         "Foo_Bar.baz-Qux",
         "Extra_One,b",
         "~=1.4.2",
         {},
         {},
         "Foo_Bar.baz-Qux[Extra_One,b]~=1.4.2"},
        // Parenthesised specifiers, with and without spaces; empty parentheses.
        {"name (>=1.0,<2)", "name", "", "<2,>=1.0", {}, {}, "name<2,>=1.0"},
        {"name(>=1.0)", "name", "", ">=1.0", {}, {}, "name>=1.0"},
        {"name ( >= 1.0 )", "name", "", ">=1.0", {}, {}, "name>=1.0"},
        {"name ()", "name", "", "", {}, {}, "name"},
        // A trailing comma is allowed; spaces around operators and commas are dropped.
        {"name>=1,", "name", "", ">=1", {}, {}, "name>=1"},
        {"name >= 1.0 , < 2.0", "name", "", "<2.0,>=1.0", {}, {}, "name<2.0,>=1.0"},
        {"name ==1.0,!=1.0.1 ,>=0.9",
         "name",
         "",
         "!=1.0.1,==1.0,>=0.9",
         {},
         {},
         "name!=1.0.1,==1.0,>=0.9"},
        // "===" takes everything up to whitespace, ';' or ')', commas included.
        {"name===1.0+anything", "name", "", "===1.0+anything", {}, {}, "name===1.0+anything"},
        {"name===foo,>=1", "name", "", "===foo,>=1", {}, {}, "name===foo,>=1"},
        {"name==1.0.*", "name", "", "==1.0.*", {}, {}, "name==1.0.*"},
        {"name!=1.0.*", "name", "", "!=1.0.*", {}, {}, "name!=1.0.*"},
        {"name==v1.0", "name", "", "==v1.0", {}, {}, "name==v1.0"},
        {"name>=1.0a1.post2.dev3",
         "name",
         "",
         ">=1.0a1.post2.dev3",
         {},
         {},
         "name>=1.0a1.post2.dev3"},
        {"name<=1!2.0", "name", "", "<=1!2.0", {}, {}, "name<=1!2.0"},
        {"name==1.0+local.7", "name", "", "==1.0+local.7", {}, {}, "name==1.0+local.7"},
        // Python's IGNORECASE folds U+017F (long s) onto 's'.
        {"name==1.0po\xC5\xBFt1", "name", "", "==1.0po\xC5\xBFt1", {}, {}, "name==1.0po\xC5\xBFt1"},
        // Extras: deduplicated and sorted; empty brackets are no extras.
        {"name[b,a,b]", "name", "a,b", "", {}, {}, "name[a,b]"},
        {"name[]", "name", "", "", {}, {}, "name"},
        {"name[ ]", "name", "", "", {}, {}, "name"},
        // Python's `$` also matches before one final "\n".
        {"name\n", "name", "", "", {}, {}, "name"},
        {" \tname", "name", "", "", {}, {}, "name"},
        {"foo_", "foo_", "", "", {}, {}, "foo_"},
        {"a", "a", "", "", {}, {}, "a"},
        {"9", "9", "", "", {}, {}, "9"},
        {"A.b-C", "A.b-C", "", "", {}, {}, "A.b-C"},
        {"name;os_name=='posix'",
         "name",
         "",
         "",
         {},
         R"(os_name == "posix")",
         R"(name; os_name == "posix")"},
        {"name ; os_name == 'posix'  ",
         "name",
         "",
         "",
         {},
         R"(os_name == "posix")",
         R"(name; os_name == "posix")"},
        {"name>=1;os_name=='posix'",
         "name",
         "",
         ">=1",
         {},
         R"(os_name == "posix")",
         R"(name>=1; os_name == "posix")"},
        {"name>=1.0; extra == 'Sec_Urity'",
         "name",
         "",
         ">=1.0",
         {},
         R"(extra == "sec-urity")",
         R"(name>=1.0; extra == "sec-urity")"},
        {"name>=1.0 ; python_version>'3' and (os_name=='posix' or os_name=='nt')",
         "name",
         "",
         ">=1.0",
         {},
         R"(python_version > "3" and (os_name == "posix" or os_name == "nt"))",
         R"(name>=1.0; python_version > "3" and (os_name == "posix" or os_name == "nt"))"},
        // Markers that cannot be evaluated still parse.
        {"name==1.0 ; extra ~= 'a'",
         "name",
         "",
         "==1.0",
         {},
         R"(extra ~= "a")",
         R"(name==1.0; extra ~= "a")"},
        // URLs: the marker needs whitespace before ';', otherwise it is part of the URL.
        {"name @ https://example.com/name-1.0.zip",
         "name",
         "",
         "",
         "https://example.com/name-1.0.zip",
         {},
         "name@ https://example.com/name-1.0.zip"},
        {"name@https://example.com/x.whl",
         "name",
         "",
         "",
         "https://example.com/x.whl",
         {},
         "name@ https://example.com/x.whl"},
        {"name @ https://example.com/x ; os_name == 'posix'", "name", "", "",
         "https://example.com/x", R"(os_name == "posix")",
         R"(name@ https://example.com/x ; os_name == "posix")"},
        {"name @ https://example.com/x;os_name=='posix'",
         "name",
         "",
         "",
         "https://example.com/x;os_name=='posix'",
         {},
         "name@ https://example.com/x;os_name=='posix'"},
        {"name @ https://h/x;", "name", "", "", "https://h/x;", {}, "name@ https://h/x;"},
        {"name @ https://example.com/x ",
         "name",
         "",
         "",
         "https://example.com/x",
         {},
         "name@ https://example.com/x"},
        {"name[x] @ https://h/p", "name", "x", "", "https://h/p", {}, "name[x]@ https://h/p"},
        {"name[a]@https://h/x", "name", "a", "", "https://h/x", {}, "name[a]@ https://h/x"},
        {"name @ file:///tmp/name",
         "name",
         "",
         "",
         "file:///tmp/name",
         {},
         "name@ file:///tmp/name"},
        {"name @ file://localhost/tmp/name",
         "name",
         "",
         "",
         "file://localhost/tmp/name",
         {},
         "name@ file://localhost/tmp/name"},
        {"name @ git+https://github.com/a/b.git@v1#egg=b",
         "name",
         "",
         "",
         "git+https://github.com/a/b.git@v1#egg=b",
         {},
         "name@ git+https://github.com/a/b.git@v1#egg=b"},
        {"name @ http://[::1]:8080/x",
         "name",
         "",
         "",
         "http://[::1]:8080/x",
         {},
         "name@ http://[::1]:8080/x"},
        {"name @ http://[fe80::1%25eth0]/",
         "name",
         "",
         "",
         "http://[fe80::1%25eth0]/",
         {},
         "name@ http://[fe80::1%25eth0]/"},
        {"name @ http://[v1.fe]/", "name", "", "", "http://[v1.fe]/", {}, "name@ http://[v1.fe]/"},
        {"name @ ftp://h/p", "name", "", "", "ftp://h/p", {}, "name@ ftp://h/p"},
    };
    for (auto const& c : cases) {
        auto r = Requirement::parse(c.text);
        BOOST_TEST_INFO("requirement: " << c.text);
        BOOST_REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error()));
        BOOST_TEST(r->name == c.name);
        BOOST_TEST(join(r->extras) == c.extras);
        BOOST_TEST(r->specifier.str() == c.specifier);
        BOOST_TEST((r->url == c.url));
        BOOST_TEST(((r->marker ? std::optional(r->marker->str()) : std::nullopt) == c.marker));
        BOOST_TEST(r->str() == c.str);
        // What we print reads back to itself.
        auto again = Requirement::parse(r->str());
        BOOST_REQUIRE(again.has_value());
        BOOST_TEST(again->str() == r->str());
    }
}

// `column` is where packaging 23.0 puts its caret (1-based); 0 for errors raised after
// parsing (URL and specifier validation), which have none.
BOOST_AUTO_TEST_CASE(rejects_like_packaging) {
    struct Case {
        char const* text;
        char const* expected;
        int column;
    };
    std::vector<Case> const cases = {
        {"", "Expected package name at the start of dependency specifier", 1},
        {" ", "Expected package name at the start of dependency specifier", 2},
        {">=1.0", "Expected package name", 1},
        {"-name", "Expected package name", 1},
        {"\xC3\xA9", "Expected package name", 1},
        {"name-", "Expected end or semicolon (after name and no valid version specifier)", 5},
        {"name.", "Expected end or semicolon (after name and no valid version specifier)", 5},
        {"name bar", "Expected end or semicolon (after name and no valid version specifier)", 6},
        {"name>=", "Expected end or semicolon (after name and no valid version specifier)", 5},
        {"name >= 1.0 garbage", "Expected end or semicolon (after version specifier)", 13},
        {"name(>=1.0", "Expected closing ')'", 11},
        {"name>=1.0)", "Expected end or semicolon (after version specifier)", 10},
        {"name[", "Expected closing ']'", 6},
        {"name[a", "Expected closing ']'", 7},
        {"name[a b]", "Expected comma between extra names", 8},
        {"name[a,]", "Expected extra name after comma", 8},
        {"name[,a]", "Expected closing ']'", 6},
        {"name]", "Expected end or semicolon (after name and no valid version specifier)", 5},
        {"name[a]]", "Expected end or semicolon", 8},
        {"name ,>=1", "Expected end or semicolon (after name and no valid version specifier)", 6},
        {"name>=1,,<2", "Expected end or semicolon (after version specifier)", 9},
        {"name~=1", "Expected end or semicolon", 5}, // ~= needs two release parts
        {"name>=1.0.*", "Expected end or semicolon (after version specifier)", 10},
        {"name<>1", "Expected end or semicolon", 5},
        {"name=1", "Expected end or semicolon", 5},
        {"name==1.0 ==2.0", "Expected end or semicolon (after version specifier)", 11},
        {"name\n\n", "Expected end or semicolon", 5},
        {"name;", "Expected a marker variable or quoted string", 6},
        {"name; ", "Expected a marker variable or quoted string", 7},
        {"name; os_name", "Expected marker operator", 14},
        {"name;os_name=='a' x", "Expected end of dependency specifier", 19},
        {"name>=1.0 os_name=='a'", "Expected end or semicolon (after version specifier)", 11},
        {"name @", "Expected URL after @", 7},
        {"name @ ", "Expected URL after @", 8},
        {"name @ https://h/x ;", "Expected a marker variable or quoted string", 21},
        {"name @ https://h/x os_name=='a'", "Expected end or semicolon (after URL and whitespace)",
         20},
        // Specifier validation after parsing: "===" swallowed the comma.
        {"name===1,<", "Invalid specifier '===1,<'", 0},
        {"name===foo,bar", "Invalid specifier", 0},
        // URL validation.
        {"name @ https:///nohost", "expected a scheme and a host", 0},
        {"name @ relative/path", "expected a scheme and a host", 0},
        {"name @ /abs/path", "expected a scheme and a host", 0},
        {"name @ file:/tmp/x", "must read back unchanged", 0},
        {"name @ FILE:///tmp/x", "must read back unchanged", 0},
        {"name @ file:///tmp/x?", "must read back unchanged", 0},
        {"name @ http://[::1/x", "Invalid IPv6 URL", 0},
        {"name @ http://[1.2.3.4]/", "an IPv4 address cannot be in brackets", 0},
        {"name @ http://[::1]x/", "Invalid IPv6 URL", 0},
        {"name @ http://a]b/", "Invalid IPv6 URL", 0},
        {"name @ http://[vz.x]/", "invalid IPvFuture address", 0},
        {"name @ http://[::1::2]/", "does not appear to be an IPv4 or IPv6 address", 0},
        {"name @ http://ex\xE2\x84\x80.com/", "NFKC", 0}, // U+2100 ACCOUNT OF -> "a/c"
        {"name @ http://\xEF\xBC\xA0h/", "NFKC", 0},      // U+FF20 FULLWIDTH @
        {"name\xff", "invalid byte", 5},
    };
    for (auto const& c : cases) {
        auto r = Requirement::parse(c.text);
        BOOST_TEST_INFO("requirement: " << c.text);
        BOOST_REQUIRE(!r.has_value());
        BOOST_TEST(r.error().find(c.expected) != std::string::npos, r.error());
        if (c.column > 0)
            BOOST_TEST(r.error().find("at column " + std::to_string(c.column)) != std::string::npos,
                       r.error());
    }
}

BOOST_AUTO_TEST_CASE(specifier_token_matches_like_the_regex) {
    struct Case {
        char const* text;
        std::size_t length; // of the SPECIFIER token at the start
    };
    std::vector<Case> const cases = {
        {">=1.0", 5},
        {">= 1.0", 6}, // \s* between operator and version
        {">=1.0 ,<2", 5},
        {"==1.0.*", 7},
        {"==1.0.*.1", 7}, // ".*" ends the version
        {">=1.0.*", 5},   // only == and != take ".*"
        {"~=1", 0},       // ~= needs at least two release parts
        {"~=1.0", 5},
        {"===1.0,>=2 x", 10}, // "===" swallows everything up to whitespace
        {"===1.0)", 6},
        {"===", 3},      // and may be empty
        {"==1.0abc", 6}, // "a" is a pre-release letter; "bc" is left over
        {"==1.0alpha", 10},
        {"==1.0previe", 8}, // "preview" fails, "pre" matches
        {"==1.0-1", 7},     // post release by dash
        {"==1.0-r", 7},
        {"==1!", 3},   // epoch without a release backtracks to "1"
        {"==V1.0", 6}, // IGNORECASE
        {"==1.0+ab.Cd-9", 13},
        {"==1.0+", 5},
        {">=1.0+local", 5}, // local labels only for == and !=
        {"<>1", 0},
        {"=1", 0},
        {"!=1.0.POST1.DEV2", 16},
        {"==1.0-rev", 9},
        {"<1.0.dev", 8},
    };
    for (auto const& c : cases)
        BOOST_TEST(pep508::match_specifier_token(c.text, 0) == c.length, "for " << c.text);
}

BOOST_AUTO_TEST_CASE(urlsplit_like_python) {
    auto p = url::urlparse("HTTP://user@Host:80/a/b;p?q=1#frag");
    BOOST_REQUIRE(p.has_value());
    BOOST_TEST(p->scheme == "http");
    BOOST_TEST(p->netloc == "user@Host:80");
    BOOST_TEST(p->path == "/a/b");
    BOOST_TEST(p->params == "p");
    BOOST_TEST(p->query == "q=1");
    BOOST_TEST(p->fragment == "frag");
    BOOST_TEST(url::urlunparse(*p) == "http://user@Host:80/a/b;p?q=1#frag");

    // file: is not a params scheme; empty query and fragment vanish on the way back.
    auto f = url::urlparse("file:///x;y?#");
    BOOST_REQUIRE(f.has_value());
    BOOST_TEST(f->path == "/x;y");
    BOOST_TEST(url::urlunparse(*f) == "file:///x;y");
    // Tabs and newlines are dropped, leading control characters and spaces stripped.
    auto t = url::urlsplit(" \x01ht\ttp://h\n/x");
    BOOST_REQUIRE(t.has_value());
    BOOST_TEST(t->scheme == "http");
    BOOST_TEST(t->netloc == "h");
    // No scheme unless it starts with a letter and holds only scheme characters.
    BOOST_TEST(url::urlsplit("1http://h/")->scheme == "");
    BOOST_TEST(url::urlsplit("a_b:x")->scheme == "");
    BOOST_TEST(url::urlsplit("a+b.c-d:x")->scheme == "a+b.c-d");

    bool v6 = false;
    BOOST_TEST(url::is_ip_address("::1", v6));
    BOOST_TEST(v6);
    BOOST_TEST(url::is_ip_address("1.2.3.4", v6));
    BOOST_TEST(!v6);
    BOOST_TEST(url::is_ip_address("::ffff:1.2.3.4", v6));
    BOOST_TEST(url::is_ip_address("fe80::1%eth0", v6));
    BOOST_TEST(url::is_ip_address("1:2:3:4:5:6:7:8", v6));
    BOOST_TEST(!url::is_ip_address("1:2:3:4:5:6:7:8:9", v6));
    BOOST_TEST(!url::is_ip_address("1::2::3", v6));
    BOOST_TEST(!url::is_ip_address("01.2.3.4", v6)); // leading zeros
    BOOST_TEST(!url::is_ip_address("256.1.1.1", v6));
    BOOST_TEST(!url::is_ip_address("12345::", v6));
    BOOST_TEST(!url::is_ip_address(":1:2:3:4:5:6:7", v6));
    BOOST_TEST(url::is_ip_address("::", v6));

    BOOST_TEST(url::unquote("a%20b%zz%e2%82%ac%ff") == "a b%zz\xE2\x82\xAC\xEF\xBF\xBD");
}
