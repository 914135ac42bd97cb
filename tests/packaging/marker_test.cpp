#define BOOST_TEST_MODULE marker_test
#include <boost/test/unit_test.hpp>

#include "packaging/marker.hpp"
#include "packaging/pep508.hpp"

#include <optional>
#include <string>
#include <vector>

using namespace pinwatch::packaging;

namespace {

// Debian 12 on x86_64, as packaging's default_environment() reports it.
Environment debian12() {
    return Environment::debian12_x86_64();
}

std::string str_of(std::string const& text) {
    auto m = Marker::parse(text);
    BOOST_TEST_INFO("marker: " << text);
    BOOST_REQUIRE_MESSAGE(m.has_value(), "rejected: " << (m ? "" : m.error()));
    return m->str();
}

} // namespace

// Every expected string below is what str(packaging.markers.Marker(text)) prints in 23.0.
BOOST_AUTO_TEST_CASE(prints_like_packaging) {
    struct Case {
        char const* text;
        char const* str;
    };
    std::vector<Case> const cases = {
        {"python_version >= '3.8'", R"(python_version >= "3.8")"},
        {R"(os_name=="posix")", R"(os_name == "posix")"},
        // Legacy dotted names and python_implementation are accepted and renamed.
        {"os.name == 'posix'", R"(os_name == "posix")"},
        {"sys.platform == 'linux'", R"(sys_platform == "linux")"},
        {"platform.version == 'x'", R"(platform_version == "x")"},
        {"platform.machine=='x86_64'", R"(platform_machine == "x86_64")"},
        {"platform.python_implementation == 'CPython'",
         R"(platform_python_implementation == "CPython")"},
        {"python_implementation == 'CPython'", R"(platform_python_implementation == "CPython")"},
        // Only the first item of the top-level list has its extra normalised (23.0 quirk).
        {"extra == 'Sec_Urity'", R"(extra == "sec-urity")"},
        {"'Sec_Urity' == extra", R"("sec-urity" == extra)"},
        {"os_name == 'a' and extra == 'Sec_Urity'", R"(os_name == "a" and extra == "Sec_Urity")"},
        {"(extra == 'Sec_Urity')", R"(extra == "Sec_Urity")"},
        {"extra == 'a' or extra == 'B.B'", R"(extra == "a" or extra == "B.B")"},
        {"'3.8' <= python_version", R"("3.8" <= python_version)"},
        // Parentheses: kept around groups, dropped around single items and whole lists...
        {"python_version < '3.8' or python_version >= '3.10' and os_name == 'posix'",
         R"(python_version < "3.8" or python_version >= "3.10" and os_name == "posix")"},
        {"(python_version < '3.8' or python_version >= '3.10') and os_name == 'posix'",
         R"((python_version < "3.8" or python_version >= "3.10") and os_name == "posix")"},
        {"((os_name == 'a'))", R"(os_name == "a")"},
        {"(os_name == 'a') and (os_name == 'b')", R"(os_name == "a" and os_name == "b")"},
        {"(os_name == 'a' or os_name == 'b') and (python_version > '3' or (sys_platform == "
         "'linux'))",
         R"((os_name == "a" or os_name == "b") and (python_version > "3" or sys_platform == "linux"))"},
        // ...and, as in 23.0, doubled parentheses around an "or" group vanish entirely.
        {"((python_version < '3.8' or python_version >= '3.10')) and os_name == 'posix'",
         R"(python_version < "3.8" or python_version >= "3.10" and os_name == "posix")"},
        // Marker() stops after the first complete expression.
        {"os_name == 'a' garbage", R"(os_name == "a")"},
        {"os_name == 'a' AND os_name == 'b'x", R"(os_name == "a")"},
        {"'a' == 'b' == 'c'", R"("a" == "b")"},
        {"'linux' in sys_platform", R"("linux" in sys_platform)"},
        {"'lin' not in sys_platform", R"("lin" not in sys_platform)"},
        {"os_name not\tin 'posix'", R"(os_name not in "posix")"},
        {"os_name not  in 'a'", R"(os_name not in "a")"},
        {"os_name\tin\t'posix'", R"(os_name in "posix")"},
        // Values are printed in double quotes without escaping.
        {R"(os_name == "it's")", R"(os_name == "it's")"},
        {R"(os_name == 'say "hi"')", R"(os_name == "say "hi"")"},
        {R"(os_name == '\x41\u00e9\101\n')", "os_name == \"A\xC3\xA9"
                                             "A\n\""},
        {R"(os_name == 'a\qb')", R"(os_name == "a\qb")"},
        {"os_name == 'a\\\nb'", R"(os_name == "ab")"},
        {"python_full_version ~= '3.11.0'", R"(python_full_version ~= "3.11.0")"},
        {"implementation_version === '3.11.2'", R"(implementation_version === "3.11.2")"},
        {"os_name=='a'and os_name=='b'", R"(os_name == "a" and os_name == "b")"},
        {"os_name=='a' or(os_name=='b')", R"(os_name == "a" or os_name == "b")"},
        {"python_version==python_version", "python_version == python_version"},
        {"  os_name == 'a'  ", R"(os_name == "a")"},
        {"platform_release<='6'", R"(platform_release <= "6")"},
        {"os_name=='a' or os_name=='b' or os_name=='c'",
         R"(os_name == "a" or os_name == "b" or os_name == "c")"},
    };
    for (auto const& c : cases)
        BOOST_TEST(str_of(c.text) == c.str, "for " << c.text);
}

BOOST_AUTO_TEST_CASE(rejects_like_packaging) {
    struct Case {
        std::string text;
        char const* expected; // part of the message
        int column;
    };
    std::vector<Case> const cases = {
        {"", "Expected a marker variable or quoted string", 1},
        {"os_name", "Expected marker operator", 8},
        {"os_name ==", "Expected a marker variable or quoted string", 11},
        {"os_name = 'a'", "Expected marker operator", 9},
        {"platform.release == 'x'", "Expected a marker variable", 1}, // not a legacy name
        {"extras == 'a'", "Expected a marker variable", 1},           // newer than 23.0
        {"dependency_groups == 'a'", "Expected a marker variable", 1},
        {"Os_name == 'a'", "Expected a marker variable", 1}, // names are case-sensitive
        {"os_nameand == 'a'", "Expected a marker variable", 1},
        {"os_name == 'a' and", "Expected a marker variable or quoted string", 19},
        {"os_name == 'a' and or", "Expected a marker variable or quoted string", 20},
        {"(os_name == 'a'", "Expected closing ')'", 16},
        {"os_name notin 'a'", "Expected marker operator", 9},
        {"os_name not'a'", "Expected whitespace after 'not'", 12},
        {"os_name not 'a'", "Expected 'in' after 'not'", 13},
        {"os_name == 'a", "Expected a marker variable or quoted string", 12},
        {"os_name <> 'a'", "Expected a marker variable or quoted string", 10},
        {R"(os_name == 'a\x4')", "truncated \\x escape", 12},
        {R"(os_name == '\u12')", "truncated \\u escape", 12},
        {R"(os_name == '\U00110000')", "illegal Unicode character", 12},
        {R"(os_name == 'a\')", "unterminated", 12},
        {"os_name == 'a\nb'", "unterminated", 12},
        {"os_name == 'a\rb'", "unterminated", 12},
        {std::string("os_name == 'a\0b'", 17), "NUL", 12},
        // \N{NAME} as Python reads it (issue #18 replaced the old refusal of every \N escape).
        {R"(os_name == '\N{NO SUCH CHARACTER}')", "unknown Unicode character name", 12},
        {R"(os_name == '\N{}')", "malformed \\N character escape", 12},
        {R"(os_name == '\N')", "malformed \\N character escape", 12},
        {R"(os_name == '\NBULLET')", "malformed \\N character escape", 12},
        {R"(os_name == '\N{BULLET')", "malformed \\N character escape", 12},
        {R"(os_name == '\N{KEYCAP NUMBER SIGN}')", "unknown Unicode", 12}, // a named sequence
        {R"(os_name == '\N{hangul syllable GA}')", "unknown Unicode", 12}, // upper case only
        {R"(os_name == '\N{CJK UNIFIED IDEOGRAPH-4e00}')", "unknown Unicode", 12},
        {R"(os_name == '\N{CJK UNIFIED IDEOGRAPH-E000}')", "unknown Unicode", 12},
        {R"(os_name == '\N{ LATIN SMALL LETTER P}')", "unknown Unicode", 12},
        {"os_name == '\xff'", "invalid byte", 13},
    };
    for (auto const& c : cases) {
        auto m = Marker::parse(c.text);
        BOOST_TEST_INFO("marker: " << c.text);
        BOOST_REQUIRE(!m.has_value());
        BOOST_TEST(m.error().find(c.expected) != std::string::npos, m.error());
        BOOST_TEST(m.error().find("at column " + std::to_string(c.column)) != std::string::npos,
                   m.error());
    }
}

// Expected values are Python 3.11's: `"\N{...}"` in a string literal, which packaging 23.0
// reads marker strings with (ast.literal_eval).
BOOST_AUTO_TEST_CASE(named_escapes_read_as_python_reads_them) {
    struct Case {
        char const* text;
        char const* value; // the string the marker compares, as UTF-8
    };
    std::vector<Case> const cases = {
        {R"(os_name == '\N{LATIN SMALL LETTER P}osix')", "posix"},
        {R"(os_name == '\N{latin small letter p}osix')", "posix"}, // names ignore case
        {R"(os_name == 'a\N{BULLET}b')", "a\u2022b"},
        {R"(os_name == '\N{LF}')", "\n"},                           // an abbreviation alias
        {R"(os_name == '\N{line feed}')", "\n"},                    // a control alias
        {R"(os_name == '\N{BYTE ORDER MARK}')", "\uFEFF"},          // an alternate alias
        {R"(os_name == '\N{PADDING CHARACTER}')", "\u0080"},        // a figment alias
        {R"(os_name == '\N{LATIN CAPITAL LETTER GHA}')", "\u01A2"}, // a correction alias
        {R"(os_name == '\N{HANGUL SYLLABLE GAG}')", "\uAC01"},
        {R"(os_name == '\N{HANGUL SYLLABLE A}')", "\uC544"},
        {R"(os_name == '\N{CJK UNIFIED IDEOGRAPH-4E00}')", "\u4E00"},
        {R"(os_name == '\N{CJK UNIFIED IDEOGRAPH-20000}')", "\U00020000"},
        {R"(os_name == '\N{CJK COMPATIBILITY IDEOGRAPH-F900}')", "\uF900"},
        {R"(os_name == '\N{GRINNING FACE}\N{SPACE}')", "\U0001F600 "},
    };
    for (auto const& c : cases) {
        BOOST_TEST_INFO("marker: " << c.text);
        auto m = Marker::parse(c.text);
        BOOST_REQUIRE_MESSAGE(m.has_value(), (m ? "" : m.error()));
        Environment env = debian12();
        env.os_name = c.value;
        BOOST_TEST(*m->evaluate(env) == true);
    }
    auto posix = Marker::parse(R"(os_name == '\N{LATIN SMALL LETTER P}osix')");
    BOOST_TEST(posix->str() == R"(os_name == "posix")");
}

BOOST_AUTO_TEST_CASE(nesting_is_bounded) {
    auto nested = [](int depth) {
        return std::string(depth, '(') + "os_name == 'posix'" + std::string(depth, ')');
    };
    auto deep = Marker::parse(nested(pep508::kMaxMarkerDepth));
    BOOST_REQUIRE(deep.has_value());
    BOOST_TEST(deep->str() == R"(os_name == "posix")");
    BOOST_TEST(*deep->evaluate(debian12()) == true);
    auto too_deep = Marker::parse(nested(pep508::kMaxMarkerDepth + 1));
    BOOST_REQUIRE(!too_deep.has_value());
    BOOST_TEST(too_deep.error().find("levels of nested parentheses") != std::string::npos);
    // Far past the limit still fails cleanly instead of exhausting the stack.
    BOOST_TEST(!Marker::parse(std::string(100000, '(')).has_value());
}

BOOST_AUTO_TEST_CASE(parse_complete_demands_the_end) {
    BOOST_TEST(Marker::parse_complete("os_name == 'a'  ").has_value());
    auto m = Marker::parse_complete("os_name == 'a' garbage");
    BOOST_REQUIRE(!m.has_value());
    BOOST_TEST(m.error().find("Expected end of marker at column 16") != std::string::npos,
               m.error());
}

// Expected results are Marker(text).evaluate(env) in packaging 23.0 with the Debian 12 values
// above, first with extra "" and then with extra "Sec_Urity".
BOOST_AUTO_TEST_CASE(evaluates_like_packaging) {
    enum class R { yes, no, error };
    struct Case {
        char const* text;
        R plain;
        R with_extra;
    };
    std::vector<Case> const cases = {
        {"python_version >= '3.8'", R::yes, R::yes},
        {"python_version < '3.8'", R::no, R::no},
        {"python_version == '3.11.*'", R::yes, R::yes},
        {"python_version == '3.1'", R::no, R::no},
        {"python_version > '3.9'", R::yes, R::yes}, // as versions: 3.11 > 3.9
        {"python_full_version >= '3.11.2'", R::yes, R::yes},
        {"python_full_version < '3.11.2rc1'", R::no, R::no},
        {"python_full_version ~= '3.11.0'", R::yes, R::yes},
        {"python_full_version == '3.11'", R::no, R::no},
        {"python_full_version != '3.11.2'", R::no, R::no},
        {"python_version ~= '3.10'", R::yes, R::yes},
        {"python_version <= '3.11a1'", R::no, R::no},  // pre-releases allowed in markers
        {"python_version == '3.11 '", R::yes, R::yes}, // the specifier strips the space
        {"python_version ~= 'x'", R::error, R::error}, // UndefinedComparison
        {"os_name ~= 'posix'", R::error, R::error},
        {"os_name === 'posix'", R::error, R::error}, // "===posix" parses; "posix" is no version
        {"python_version === '3.11'", R::yes, R::yes},
        {"os_name < 'q'", R::yes, R::yes}, // string comparison
        {"os_name > 'q'", R::no, R::no},
        {"'lin' in sys_platform", R::yes, R::yes},
        {"'lin' not in sys_platform", R::no, R::no},
        {"sys_platform in 'linux2'", R::yes, R::yes},
        {"os_name in 'posix'", R::yes, R::yes},
        {"'' in os_name", R::yes, R::yes},
        {"python_version in '3.11'", R::yes, R::yes},
        {"implementation_name == 'CPython'", R::no, R::no},
        {"extra == 'sec-urity'", R::no, R::yes}, // both sides normalised
        {"extra == 'SEC.URITY'", R::no, R::yes},
        {"'sec__urity' == extra", R::no, R::yes},
        {"os_name == 'a' or extra == 'Sec.Urity'", R::no, R::yes},
        // Two strings: the right one names the environment key (KeyError when it does not).
        {"'posix' == 'os_name'", R::yes, R::yes},
        {"'a' == 'b'", R::error, R::error},
        // The left side must be a version once the right side makes a valid specifier.
        {"platform_release >= '5'", R::error, R::error},
        {"platform_release == '6.1.0-13-amd64'", R::yes, R::yes},
        {"platform_version >= '1'", R::error, R::error},
        // "and" binds tighter than "or".
        {"python_version < '3' or os_name == 'posix'", R::yes, R::yes},
        {"python_version < '3' and os_name == 'posix' or sys_platform == 'linux'", R::yes, R::yes},
        {"python_version < '3' and (os_name == 'posix' or sys_platform == 'linux')", R::no, R::no},
        // Deliberately unlike packaging 23.0 (which evaluates every item and raises): "and" and
        // "or" short-circuit left to right, so an item that cannot matter is never evaluated.
        {"python_version > '3' or platform_release >= '5'", R::yes, R::yes},
        {"python_version < '3' and (python_version < '3' or os_name ~= 'x')", R::no, R::no},
        {"sys_platform == 'darwin' and platform_release >= '20.0'", R::no, R::no},
        {"sys_platform == 'linux' or platform_release >= '20.0'", R::yes, R::yes},
        {"os_name == 'nt' and 'a' == 'b' or python_version >= '3'", R::yes, R::yes},
        {"python_version < '3' and platform_release >= '5' or os_name == 'posix'", R::yes, R::yes},
        {"(sys_platform == 'darwin' and platform_release >= '20') or extra == 'sec-urity'", R::no,
         R::yes},
        // Items that are reached still fail as in packaging.
        {"platform_release >= '20.0' and sys_platform == 'darwin'", R::error, R::error},
        {"sys_platform == 'darwin' or platform_release >= '20.0'", R::error, R::error},
        {"sys_platform == 'linux' and platform_release >= '20.0'", R::error, R::error},
        {"python_version < '3' or (os_name == 'posix' and 'a' == 'b')", R::error, R::error},
    };
    Environment plain = debian12();
    Environment with_extra = debian12();
    with_extra.extra = "Sec_Urity";
    auto run = [](Marker const& m, Environment const& env) {
        auto r = m.evaluate(env);
        if (!r) return R::error;
        return *r ? R::yes : R::no;
    };
    for (auto const& c : cases) {
        auto m = Marker::parse(c.text);
        BOOST_TEST_INFO("marker: " << c.text);
        BOOST_REQUIRE(m.has_value());
        BOOST_TEST((run(*m, plain) == c.plain));
        BOOST_TEST((run(*m, with_extra) == c.with_extra));
    }
}

BOOST_AUTO_TEST_CASE(evaluation_errors_say_what_failed) {
    auto m = Marker::parse("platform_release >= '5'");
    BOOST_REQUIRE(m.has_value());
    auto r = m->evaluate(debian12());
    BOOST_REQUIRE(!r.has_value());
    BOOST_TEST(r.error().find("6.1.0-13-amd64") != std::string::npos, r.error());
    BOOST_TEST(r.error().find("not a valid version") != std::string::npos, r.error());

    auto keyless = Marker::parse("'a' == 'b'");
    auto k = keyless->evaluate(debian12());
    BOOST_REQUIRE(!k.has_value());
    BOOST_TEST(k.error().find("'b' is not a marker environment name") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(environment_keys) {
    Environment env = debian12();
    BOOST_TEST(Environment::keys().size() == 12u);
    for (auto key : Environment::keys())
        BOOST_TEST(env.find(key) != nullptr, key);
    BOOST_TEST(*env.find("python_full_version") == "3.11.2");
    BOOST_TEST(env.find("python_implementation") == nullptr); // only via the legacy variable
    BOOST_TEST(env.find("os.name") == nullptr);
    *env.find("extra") = "x";
    BOOST_TEST(env.extra == "x");
}

BOOST_AUTO_TEST_CASE(python_string_literals) {
    struct Case {
        std::string token;
        std::optional<std::string> value;
    };
    std::vector<Case> const cases = {
        {R"('plain')", "plain"},
        {R"("\a\b\f\n\r\t\v\0\\\"\'")", std::string("\a\b\f\n\r\t\v\0\\\"'", 11)},
        {R"('\x41\101\u00e9\U0001F600')", "AA\xC3\xA9\xF0\x9F\x98\x80"},
        {R"('\400')", "\xC4\x80"}, // octal up to 0o777
        {R"('\8\d')", R"(\8\d)"},  // unknown escapes keep the backslash
        {"'a\\\r\nb'", "ab"},
        {"'a\\\rb'", "ab"},
        {R"('\x4')", std::nullopt},
        {R"('\U00110000')", std::nullopt},
        {"'a\\'", std::nullopt},
    };
    for (auto const& c : cases) {
        auto r = pep508::decode_python_string(c.token);
        BOOST_TEST_INFO("token: " << c.token);
        BOOST_TEST(r.has_value() == c.value.has_value());
        if (r && c.value) BOOST_TEST(*r == *c.value);
    }
}
