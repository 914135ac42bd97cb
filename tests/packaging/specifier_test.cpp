#define BOOST_TEST_MODULE specifier
#include <boost/test/unit_test.hpp>

#include "packaging/specifier.hpp"

#include <algorithm>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

// Expected values in these tables were produced by Debian 12's python3-packaging 23.0;
// tests/differential checks tens of thousands more cases against it live.

using pinwatch::packaging::Specifier;
using pinwatch::packaging::SpecifierSet;
using pinwatch::packaging::Version;

// Lets Boost.Test print optionals in failed assertions ("None" like Python).
namespace boost::test_tools::tt_detail {
template <class T> struct print_log_value<std::optional<T>> {
    void operator()(std::ostream& os, std::optional<T> const& value) {
        if (value)
            os << *value;
        else
            os << "None";
    }
};
} // namespace boost::test_tools::tt_detail

namespace {

// The three prereleases arguments: None, True, False.
std::optional<bool> const N{};
std::optional<bool> const T{true};
std::optional<bool> const F{false};

Version v(std::string_view text) {
    auto r = Version::parse(text);
    BOOST_TEST_REQUIRE(r.has_value(), text);
    return *r;
}

Specifier spec(std::string_view text) {
    auto r = Specifier::parse(text);
    BOOST_TEST_REQUIRE(r.has_value(), text << ": " << (r ? std::string() : r.error()));
    return *r;
}

SpecifierSet set(std::string_view text) {
    auto r = SpecifierSet::parse(text);
    BOOST_TEST_REQUIRE(r.has_value(), text << ": " << (r ? std::string() : r.error()));
    return *r;
}

std::vector<Version> versions(std::vector<std::string> const& texts) {
    std::vector<Version> out;
    for (auto const& t : texts)
        out.push_back(v(t));
    return out;
}

std::vector<std::string> strs(std::vector<Version> const& vs) {
    std::vector<std::string> out;
    for (auto const& x : vs)
        out.push_back(x.str());
    return out;
}

std::string describe(std::optional<bool> p) {
    return !p ? "None" : (*p ? "True" : "False");
}

struct ValidSpec {
    char const* input;
    char const* str;
    char const* op;
    char const* version;
    bool prereleases;
};

ValidSpec const valid_specs[] = {
    {"~=1.0", "~=1.0", "~=", "1.0", false},
    {"~=1.0.0", "~=1.0.0", "~=", "1.0.0", false},
    {"~= 2.2.post3", "~=2.2.post3", "~=", "2.2.post3", false},
    {"==1.0", "==1.0", "==", "1.0", false},
    {"== 1.0", "==1.0", "==", "1.0", false},
    {"==1.0.*", "==1.0.*", "==", "1.0.*", false},
    {"==v1.0.*", "==v1.0.*", "==", "v1.0.*", false},
    {"==1!1.0.*", "==1!1.0.*", "==", "1!1.0.*", false},
    {"!=1.0.*", "!=1.0.*", "!=", "1.0.*", false},
    {"!=1.0+local", "!=1.0+local", "!=", "1.0+local", false},
    {"==1.0+Local.7", "==1.0+Local.7", "==", "1.0+Local.7", false},
    {">=1.0", ">=1.0", ">=", "1.0", false},
    {">= 1.0 ", ">=1.0", ">=", "1.0", false},
    {" >=1.0a1", ">=1.0a1", ">=", "1.0a1", true},
    {"<=1.0", "<=1.0", "<=", "1.0", false},
    {"<1.0", "<1.0", "<", "1.0", false},
    {">1.0", ">1.0", ">", "1.0", false},
    {">1.0.post1", ">1.0.post1", ">", "1.0.post1", false},
    {"<1.0.dev1", "<1.0.dev1", "<", "1.0.dev1", false},
    {"===foo", "===foo", "===", "foo", false},
    {"=== foo", "===foo", "===", "foo", false},
    {"===", "===", "===", "", false},
    {"====", "====", "===", "=", false},
    {"===1.0+\xc4\xb0", "===1.0+\xc4\xb0", "===", "1.0+\xc4\xb0", false},
    {"===a(b", "===a(b", "===", "a(b", false},
    {"==1.0a-1", "==1.0a-1", "==", "1.0a-1", true},
    {"~=1!2.0", "~=1!2.0", "~=", "1!2.0", false},
    {"\xc2\xa0"
     "==1.0\xe3\x80\x80",
     "==1.0", "==", "1.0", false},
    {"\t<\t1\t", "<1", "<", "1", false},
    {">=V1.0", ">=V1.0", ">=", "V1.0", false},
    {">=1.0-1", ">=1.0-1", ">=", "1.0-1", false},
    {"~=1.0.RC1", "~=1.0.RC1", "~=", "1.0.RC1", true},
};

struct InvalidSpec {
    char const* input;
    char const* reason;
};

InvalidSpec const invalid_specs[] = {
    {"", "expected an operator"},
    {"1.0", "expected an operator"},
    {"=1.0", "expected an operator"},
    {"=>1.0", "expected an operator"},
    {"~=1", "'~=' needs at least two release numbers"},
    {"~=1!2", "'~=' needs at least two release numbers"},
    {">=1.0.*", "prefix match is only allowed with '==' and '!='"},
    {"~=1.0.*", "prefix match is only allowed with '==' and '!='"},
    {"<1.0.*", "prefix match is only allowed with '==' and '!='"},
    {"<=1.0+local", "local version label is only allowed with '==' and '!='"},
    {"~=1.0+local", "local version label is only allowed with '==' and '!='"},
    {"==1.0a1.*", "prefix match takes only an epoch and release numbers"},
    {"!=1.0+x.*", "prefix match takes only an epoch and release numbers"},
    {"==.*", "empty version"},
    {"==", "empty version"},
    {">= ", "empty version"},
    {"==1.*.0", "unexpected '.' after '1'"},
    {"==1.0.*a", "unexpected '.' after '1.0'"},
    {"<>1.0", "expected a release number, found '>'"},
    {"<==1", "expected a release number, found '='"},
    {"< =1", "expected a release number, found '='"},
    {"== =1.0", "expected a release number, found '='"},
    {"> = 1", "expected a release number, found '='"},
    {">=1.0 1", "unexpected ' ' after '1.0'"},
    {">=1.0;", "unexpected ';' after '1.0'"},
    {"=== a b", "'===' takes a single word"},
    {"===foo;", "'===' takes a single word"},
    {"===foo)", "'===' takes a single word"},
    {">=1.0\xff", "not valid UTF-8"},
};

} // namespace

BOOST_AUTO_TEST_CASE(parses_specifiers_like_packaging) {
    for (auto const& row : valid_specs) {
        BOOST_TEST_CONTEXT("input '" << row.input << "'") {
            auto const s = spec(row.input);
            BOOST_TEST(s.str() == row.str);
            BOOST_TEST(s.op() == row.op);
            BOOST_TEST(s.version_text() == row.version);
            BOOST_TEST(s.prereleases() == row.prereleases);
            BOOST_TEST(spec(s.str()).str() == s.str()); // str() reads back
        }
    }
    BOOST_TEST(spec("==1.0.*").has_wildcard());
    BOOST_TEST(spec("!=1.0.*").has_wildcard());
    BOOST_TEST(!spec("==1.0").has_wildcard());
}

BOOST_AUTO_TEST_CASE(rejects_invalid_specifiers_saying_why) {
    for (auto const& row : invalid_specs) {
        BOOST_TEST_CONTEXT("input '" << row.input << "'") {
            auto r = Specifier::parse(row.input);
            BOOST_TEST_REQUIRE(!r.has_value());
            BOOST_TEST(r.error().starts_with("invalid specifier"));
            BOOST_TEST(r.error().find(row.reason) != std::string::npos, r.error());
        }
    }
    // 23.0 builds these but raises ValueError on any use (Python's int() digit limit).
    auto const huge = std::string(4301, '7');
    for (auto const& text : {"==" + huge, ">=1." + huge, "===" + huge, "==" + huge + ".*"}) {
        auto r = Specifier::parse(text);
        BOOST_TEST_REQUIRE(!r.has_value());
        BOOST_TEST(r.error().find("more than 4300 digits") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(prereleases_follow_the_inclusive_operators) {
    struct Row {
        char const* spec;
        bool prereleases;
    } const rows[] = {
        {"==1.0a1", true},  {">=1.0a1", true},    {"<=1.0a1", true},  {"~=1.0a1", true},
        {"===1.0a1", true}, {"==1.0.dev1", true}, {"!=1.0a1", false}, {"<1.0a1", false},
        {">1.0a1", false},  {"==1.0", false},     {"==1.0.*", false}, {">=1.0.post1", false},
        {"===foo", false}, // 23.0 raises InvalidVersion here; we say it names no pre-release
        {"===", false},
    };
    for (auto const& row : rows)
        BOOST_TEST(spec(row.spec).prereleases() == row.prereleases, row.spec);
}

struct Contains {
    char const* spec;
    char const* version;
    std::optional<bool> prereleases;
    bool expected;
};

// Specifier(spec).contains(Version(version), prereleases=...) in packaging 23.0.
Contains const spec_contains[] = {
    {"==1.0", "1.0", N, true},
    {"==1.0", "1.0", T, true},
    {"==1.0", "1.0", F, true},
    {"==1.0", "1.0.0", N, true},
    {"==1.0", "1.0.0", T, true},
    {"==1.0", "1.0.0", F, true},
    {"==1.0", "1.0+local", N, true},
    {"==1.0", "1.0+local", T, true},
    {"==1.0", "1.0+local", F, true},
    {"==1.0", "1.0a1", N, false},
    {"==1.0", "1.0a1", T, false},
    {"==1.0", "1.0a1", F, false},
    {"==1.0", "1.0.post1", N, false},
    {"==1.0", "1.0.post1", T, false},
    {"==1.0", "1.0.post1", F, false},
    {"==1.0", "1.1", N, false},
    {"==1.0", "1.1", T, false},
    {"==1.0", "1.1", F, false},
    {"==1.0", "0!1.0", N, true},
    {"==1.0", "0!1.0", T, true},
    {"==1.0", "0!1.0", F, true},
    {"==1.0", "1!1.0", N, false},
    {"==1.0", "1!1.0", T, false},
    {"==1.0", "1!1.0", F, false},
    {"==1.0+local", "1.0+local", N, true},
    {"==1.0+local", "1.0+local", T, true},
    {"==1.0+local", "1.0+local", F, true},
    {"==1.0+local", "1.0+LOCAL", N, true},
    {"==1.0+local", "1.0+LOCAL", T, true},
    {"==1.0+local", "1.0+LOCAL", F, true},
    {"==1.0+local", "1.0", N, false},
    {"==1.0+local", "1.0", T, false},
    {"==1.0+local", "1.0", F, false},
    {"==1.0+local", "1.0+other", N, false},
    {"==1.0+local", "1.0+other", T, false},
    {"==1.0+local", "1.0+other", F, false},
    {"==1.0+local", "1.0.0+local", N, true},
    {"==1.0+local", "1.0.0+local", T, true},
    {"==1.0+local", "1.0.0+local", F, true},
    {"==1.0.*", "1.0", N, true},
    {"==1.0.*", "1.0", T, true},
    {"==1.0.*", "1.0", F, true},
    {"==1.0.*", "1.0.0", N, true},
    {"==1.0.*", "1.0.0", T, true},
    {"==1.0.*", "1.0.0", F, true},
    {"==1.0.*", "1.0.5", N, true},
    {"==1.0.*", "1.0.5", T, true},
    {"==1.0.*", "1.0.5", F, true},
    {"==1.0.*", "1.0a1", N, false},
    {"==1.0.*", "1.0a1", T, true},
    {"==1.0.*", "1.0a1", F, false},
    {"==1.0.*", "1.0.5+x", N, true},
    {"==1.0.*", "1.0.5+x", T, true},
    {"==1.0.*", "1.0.5+x", F, true},
    {"==1.0.*", "1.1", N, false},
    {"==1.0.*", "1.1", T, false},
    {"==1.0.*", "1.1", F, false},
    {"==1.0.*", "1", N, true},
    {"==1.0.*", "1", T, true},
    {"==1.0.*", "1", F, true},
    {"==1.0.*", "1.0.post1", N, true},
    {"==1.0.*", "1.0.post1", T, true},
    {"==1.0.*", "1.0.post1", F, true},
    {"==1.0.*", "1.0.dev1", N, false},
    {"==1.0.*", "1.0.dev1", T, true},
    {"==1.0.*", "1.0.dev1", F, false},
    {"==1.0.*", "10.0", N, false},
    {"==1.0.*", "10.0", T, false},
    {"==1.0.*", "10.0", F, false},
    {"==1.0.0.*", "1", N, true},
    {"==1.0.0.*", "1", T, true},
    {"==1.0.0.*", "1", F, true},
    {"==1.0.0.*", "1.0", N, true},
    {"==1.0.0.*", "1.0", T, true},
    {"==1.0.0.*", "1.0", F, true},
    {"==1.0.0.*", "1.0.0.0a1", N, false},
    {"==1.0.0.*", "1.0.0.0a1", T, true},
    {"==1.0.0.*", "1.0.0.0a1", F, false},
    {"==1.0.0.*", "1.0.1", N, false},
    {"==1.0.0.*", "1.0.1", T, false},
    {"==1.0.0.*", "1.0.1", F, false},
    {"==1!1.0.*", "1!1.0", N, false},
    {"==1!1.0.*", "1!1.0", T, false},
    {"==1!1.0.*", "1!1.0", F, false},
    {"==1!1.0.*", "1!1.0.1", N, true},
    {"==1!1.0.*", "1!1.0.1", T, true},
    {"==1!1.0.*", "1!1.0.1", F, true},
    {"==1!1.0.*", "1.0", N, false},
    {"==1!1.0.*", "1.0", T, false},
    {"==1!1.0.*", "1.0", F, false},
    {"!=1.0.*", "1.0", N, false},
    {"!=1.0.*", "1.0", T, false},
    {"!=1.0.*", "1.0", F, false},
    {"!=1.0.*", "1.0.1", N, false},
    {"!=1.0.*", "1.0.1", T, false},
    {"!=1.0.*", "1.0.1", F, false},
    {"!=1.0.*", "1.1", N, true},
    {"!=1.0.*", "1.1", T, true},
    {"!=1.0.*", "1.1", F, true},
    {"!=1.0.*", "1.0a1", N, false},
    {"!=1.0.*", "1.0a1", T, false},
    {"!=1.0.*", "1.0a1", F, false},
    {"!=1.0", "1.0", N, false},
    {"!=1.0", "1.0", T, false},
    {"!=1.0", "1.0", F, false},
    {"!=1.0", "1.0+x", N, false},
    {"!=1.0", "1.0+x", T, false},
    {"!=1.0", "1.0+x", F, false},
    {"!=1.0", "1.0.1", N, true},
    {"!=1.0", "1.0.1", T, true},
    {"!=1.0", "1.0.1", F, true},
    {"!=1.0", "1.0.post1", N, true},
    {"!=1.0", "1.0.post1", T, true},
    {"!=1.0", "1.0.post1", F, true},
    {"~=2.2", "2.2", N, true},
    {"~=2.2", "2.2", T, true},
    {"~=2.2", "2.2", F, true},
    {"~=2.2", "2.3", N, true},
    {"~=2.2", "2.3", T, true},
    {"~=2.2", "2.3", F, true},
    {"~=2.2", "2.9.9", N, true},
    {"~=2.2", "2.9.9", T, true},
    {"~=2.2", "2.9.9", F, true},
    {"~=2.2", "3.0", N, false},
    {"~=2.2", "3.0", T, false},
    {"~=2.2", "3.0", F, false},
    {"~=2.2", "2.1", N, false},
    {"~=2.2", "2.1", T, false},
    {"~=2.2", "2.1", F, false},
    {"~=2.2", "2.2a1", N, false},
    {"~=2.2", "2.2a1", T, false},
    {"~=2.2", "2.2a1", F, false},
    {"~=2.2", "2.2.post1", N, true},
    {"~=2.2", "2.2.post1", T, true},
    {"~=2.2", "2.2.post1", F, true},
    {"~=2.2.0", "2.2", N, true},
    {"~=2.2.0", "2.2", T, true},
    {"~=2.2.0", "2.2", F, true},
    {"~=2.2.0", "2.2.5", N, true},
    {"~=2.2.0", "2.2.5", T, true},
    {"~=2.2.0", "2.2.5", F, true},
    {"~=2.2.0", "2.3", N, false},
    {"~=2.2.0", "2.3", T, false},
    {"~=2.2.0", "2.3", F, false},
    {"~=2.2.0", "2.2.0a1", N, false},
    {"~=2.2.0", "2.2.0a1", T, false},
    {"~=2.2.0", "2.2.0a1", F, false},
    {"~=1.4.5a4", "1.4.5a4", N, true},
    {"~=1.4.5a4", "1.4.5a4", T, true},
    {"~=1.4.5a4", "1.4.5a4", F, false},
    {"~=1.4.5a4", "1.4.5", N, true},
    {"~=1.4.5a4", "1.4.5", T, true},
    {"~=1.4.5a4", "1.4.5", F, true},
    {"~=1.4.5a4", "1.4.9", N, true},
    {"~=1.4.5a4", "1.4.9", T, true},
    {"~=1.4.5a4", "1.4.9", F, true},
    {"~=1.4.5a4", "1.5", N, false},
    {"~=1.4.5a4", "1.5", T, false},
    {"~=1.4.5a4", "1.5", F, false},
    {"~=1.4.5a4", "1.4.5a3", N, false},
    {"~=1.4.5a4", "1.4.5a3", T, false},
    {"~=1.4.5a4", "1.4.5a3", F, false},
    {"~=2.2.post3", "2.2.post3", N, true},
    {"~=2.2.post3", "2.2.post3", T, true},
    {"~=2.2.post3", "2.2.post3", F, true},
    {"~=2.2.post3", "2.2.post4", N, true},
    {"~=2.2.post3", "2.2.post4", T, true},
    {"~=2.2.post3", "2.2.post4", F, true},
    {"~=2.2.post3", "2.3", N, true},
    {"~=2.2.post3", "2.3", T, true},
    {"~=2.2.post3", "2.3", F, true},
    {"~=2.2.post3", "3.0", N, false},
    {"~=2.2.post3", "3.0", T, false},
    {"~=2.2.post3", "3.0", F, false},
    {"~=2.2.post3", "2.2", N, false},
    {"~=2.2.post3", "2.2", T, false},
    {"~=2.2.post3", "2.2", F, false},
    {"~=2.2.c1", "2.2rc1", N, true},
    {"~=2.2.c1", "2.2rc1", T, true},
    {"~=2.2.c1", "2.2rc1", F, false},
    {"~=2.2.c1", "2.2.5", N, true},
    {"~=2.2.c1", "2.2.5", T, true},
    {"~=2.2.c1", "2.2.5", F, true},
    {"~=2.2.c1", "2.3", N, false},
    {"~=2.2.c1", "2.3", T, false},
    {"~=2.2.c1", "2.3", F, false},
    {"~=2.2rc1", "2.2rc1", N, true},
    {"~=2.2rc1", "2.2rc1", T, true},
    {"~=2.2rc1", "2.2rc1", F, false},
    {"~=2.2rc1", "2.2.5", N, true},
    {"~=2.2rc1", "2.2.5", T, true},
    {"~=2.2rc1", "2.2.5", F, true},
    {"~=2.2rc1", "2.3", N, true},
    {"~=2.2rc1", "2.3", T, true},
    {"~=2.2rc1", "2.3", F, true},
    {"~=1!2.2", "1!2.3", N, true},
    {"~=1!2.2", "1!2.3", T, true},
    {"~=1!2.2", "1!2.3", F, true},
    {"~=1!2.2", "2.3", N, false},
    {"~=1!2.2", "2.3", T, false},
    {"~=1!2.2", "2.3", F, false},
    {"<1.0", "0.9", N, true},
    {"<1.0", "0.9", T, true},
    {"<1.0", "0.9", F, true},
    {"<1.0", "1.0", N, false},
    {"<1.0", "1.0", T, false},
    {"<1.0", "1.0", F, false},
    {"<1.0", "1.0a1", N, false},
    {"<1.0", "1.0a1", T, false},
    {"<1.0", "1.0a1", F, false},
    {"<1.0", "1.0.dev1", N, false},
    {"<1.0", "1.0.dev1", T, false},
    {"<1.0", "1.0.dev1", F, false},
    {"<1.0", "0.9a1", N, false},
    {"<1.0", "0.9a1", T, true},
    {"<1.0", "0.9a1", F, false},
    {"<1.0", "0.9+local", N, true},
    {"<1.0", "0.9+local", T, true},
    {"<1.0", "0.9+local", F, true},
    {"<1.0", "1.0+local", N, false},
    {"<1.0", "1.0+local", T, false},
    {"<1.0", "1.0+local", F, false},
    {"<1.0a2", "1.0a1", N, false},
    {"<1.0a2", "1.0a1", T, true},
    {"<1.0a2", "1.0a1", F, false},
    {"<1.0a2", "1.0.dev1", N, false},
    {"<1.0a2", "1.0.dev1", T, true},
    {"<1.0a2", "1.0.dev1", F, false},
    {"<1.0a2", "1.0a2", N, false},
    {"<1.0a2", "1.0a2", T, false},
    {"<1.0a2", "1.0a2", F, false},
    {"<=1.0", "1.0", N, true},
    {"<=1.0", "1.0", T, true},
    {"<=1.0", "1.0", F, true},
    {"<=1.0", "1.0+local", N, true},
    {"<=1.0", "1.0+local", T, true},
    {"<=1.0", "1.0+local", F, true},
    {"<=1.0", "1.0.post1", N, false},
    {"<=1.0", "1.0.post1", T, false},
    {"<=1.0", "1.0.post1", F, false},
    {"<=1.0", "0.9", N, true},
    {"<=1.0", "0.9", T, true},
    {"<=1.0", "0.9", F, true},
    {"<=1.0", "1.0a1", N, false},
    {"<=1.0", "1.0a1", T, true},
    {"<=1.0", "1.0a1", F, false},
    {">1.0", "1.0", N, false},
    {">1.0", "1.0", T, false},
    {">1.0", "1.0", F, false},
    {">1.0", "1.0.1", N, true},
    {">1.0", "1.0.1", T, true},
    {">1.0", "1.0.1", F, true},
    {">1.0", "1.0.post1", N, false},
    {">1.0", "1.0.post1", T, false},
    {">1.0", "1.0.post1", F, false},
    {">1.0", "1.0+local", N, false},
    {">1.0", "1.0+local", T, false},
    {">1.0", "1.0+local", F, false},
    {">1.0", "1.0.0.post1", N, false},
    {">1.0", "1.0.0.post1", T, false},
    {">1.0", "1.0.0.post1", F, false},
    {">1.0", "1.1a1", N, false},
    {">1.0", "1.1a1", T, true},
    {">1.0", "1.1a1", F, false},
    {">1.0", "1.1+local", N, true},
    {">1.0", "1.1+local", T, true},
    {">1.0", "1.1+local", F, true},
    {">1.0.post1", "1.0.post2", N, true},
    {">1.0.post1", "1.0.post2", T, true},
    {">1.0.post1", "1.0.post2", F, true},
    {">1.0.post1", "1.0.post1+local", N, false},
    {">1.0.post1", "1.0.post1+local", T, false},
    {">1.0.post1", "1.0.post1+local", F, false},
    {">1.0.post1", "1.0.post2+local", N, false},
    {">1.0.post1", "1.0.post2+local", T, false},
    {">1.0.post1", "1.0.post2+local", F, false},
    {">1.0a1", "1.0a2", N, false},
    {">1.0a1", "1.0a2", T, true},
    {">1.0a1", "1.0a2", F, false},
    {">1.0a1", "1.0", N, true},
    {">1.0a1", "1.0", T, true},
    {">1.0a1", "1.0", F, true},
    {">1.0a1", "1.0a1.post1", N, false},
    {">1.0a1", "1.0a1.post1", T, false},
    {">1.0a1", "1.0a1.post1", F, false},
    {">=1.0", "1.0", N, true},
    {">=1.0", "1.0", T, true},
    {">=1.0", "1.0", F, true},
    {">=1.0", "1.0+local", N, true},
    {">=1.0", "1.0+local", T, true},
    {">=1.0", "1.0+local", F, true},
    {">=1.0", "0.9", N, false},
    {">=1.0", "0.9", T, false},
    {">=1.0", "0.9", F, false},
    {">=1.0", "1.0a1", N, false},
    {">=1.0", "1.0a1", T, false},
    {">=1.0", "1.0a1", F, false},
    {">=1.0", "1.1.dev1", N, false},
    {">=1.0", "1.1.dev1", T, true},
    {">=1.0", "1.1.dev1", F, false},
    {">=1.0a1", "1.0a1", N, true},
    {">=1.0a1", "1.0a1", T, true},
    {">=1.0a1", "1.0a1", F, false},
    {">=1.0a1", "1.1.dev1", N, true},
    {">=1.0a1", "1.1.dev1", T, true},
    {">=1.0a1", "1.1.dev1", F, false},
    {">=1.0a1", "1.0.dev1", N, false},
    {">=1.0a1", "1.0.dev1", T, false},
    {">=1.0a1", "1.0.dev1", F, false},
    {"===1.0", "1.0", N, true},
    {"===1.0", "1.0", T, true},
    {"===1.0", "1.0", F, true},
    {"===1.0", "1.0.0", N, false},
    {"===1.0", "1.0.0", T, false},
    {"===1.0", "1.0.0", F, false},
    {"===1.0", "1.0+local", N, false},
    {"===1.0", "1.0+local", T, false},
    {"===1.0", "1.0+local", F, false},
    {"===1.0+LOCAL", "1.0+local", N, true},
    {"===1.0+LOCAL", "1.0+local", T, true},
    {"===1.0+LOCAL", "1.0+local", F, true},
    {"===foo", "1.0", T, false},
    {"===foo", "1.0", F, false},
};

BOOST_AUTO_TEST_CASE(specifier_contains_like_packaging) {
    for (auto const& row : spec_contains) {
        BOOST_TEST_CONTEXT("Specifier('" << row.spec << "').contains('" << row.version
                                         << "', prereleases=" << describe(row.prereleases) << ")") {
            BOOST_TEST(spec(row.spec).contains(v(row.version), row.prereleases) == row.expected);
        }
    }
}

BOOST_AUTO_TEST_CASE(compatible_release_follows_23_0_text_splitting) {
    // _compare_compatible splits the spec text as written, so "~=2.2.c1" keeps "2.2" in its
    // prefix (c1 is not a recognised suffix) while "~=2.2rc1" keeps only "2".
    BOOST_TEST(!spec("~=2.2.c1").contains(v("2.3")));
    BOOST_TEST(spec("~=2.2rc1").contains(v("2.3")));
    BOOST_TEST(spec("~=2.2.c1").contains(v("2.2.5")));
    BOOST_TEST(!spec("~=2.2.POST1").contains(v("2.3"))); // case-sensitive suffix check
    BOOST_TEST(spec("~=2.2.post1").contains(v("2.3")));
    // "==1!1.0.*" never matches 1!1.0 in 23.0: the epoch sticks to the first item.
    BOOST_TEST(!spec("==1!1.0.*").contains(v("1!1.0")));
    BOOST_TEST(spec("==1!1.0.*").contains(v("1!1.0.1")));
}

BOOST_AUTO_TEST_CASE(arbitrary_equality_compares_lowercased_text) {
    BOOST_TEST(spec("===1.0").contains(v("1.0")));
    BOOST_TEST(!spec("===1.0").contains(v("1.0.0")));
    BOOST_TEST(!spec("===1.0").contains(v("1.0+local")));
    BOOST_TEST(spec("===1.0+LOCAL").contains(v("1.0+local")));
    BOOST_TEST(spec("===1.0+\xc4\xb0").contains(v("1.0+\xc4\xb0"))); // İ lowercases to i + U+0307
    BOOST_TEST(spec("===1.0+\xe2\x84\xaa").contains(v("1.0+k")));    // KELVIN SIGN
    BOOST_TEST(!spec("===foo").contains(v("1.0"), true));
    BOOST_TEST(!spec("===caf\xc3\xa9").contains(v("1.0")));
}

BOOST_AUTO_TEST_CASE(specifier_filter_falls_back_to_prereleases) {
    struct Row {
        char const* spec;
        std::vector<std::string> input;
        std::optional<bool> prereleases;
        std::vector<std::string> expected;
    } const rows[] = {
        {">=1.2.3", {"1.2", "1.3", "1.5a1"}, N, {"1.3"}},
        {">=1.2.3", {"1.2", "1.3", "1.5a1"}, T, {"1.3", "1.5a1"}},
        {">=1.2.3", {"1.2", "1.3", "1.5a1"}, F, {"1.3"}},
        {">=1.2.3", {"1.2", "1.5a1"}, N, {"1.5a1"}},
        {">=1.2.3", {"1.2", "1.5a1"}, T, {"1.5a1"}},
        {">=1.2.3", {"1.2", "1.5a1"}, F, {}},
        {">=1.2.3", {"1.2", "1.5a1", "1.6b1"}, N, {"1.5a1", "1.6b1"}},
        {">=1.2.3", {"1.2", "1.5a1", "1.6b1"}, T, {"1.5a1", "1.6b1"}},
        {">=1.2.3", {"1.2", "1.5a1", "1.6b1"}, F, {}},
        {"<2", {"2.0a1", "1.9a1"}, N, {"1.9a1"}},
        {"<2", {"2.0a1", "1.9a1"}, T, {"1.9a1"}},
        {"<2", {"2.0a1", "1.9a1"}, F, {}},
        {"==1.0.*", {"1.0a1", "1.0b1"}, N, {"1.0a1", "1.0b1"}},
        {"==1.0.*", {"1.0a1", "1.0b1"}, T, {"1.0a1", "1.0b1"}},
        {"==1.0.*", {"1.0a1", "1.0b1"}, F, {}},
        {">=1.0a1", {"1.0a1", "1.0"}, N, {"1.0a1", "1.0"}},
        {">=1.0a1", {"1.0a1", "1.0"}, T, {"1.0a1", "1.0"}},
        {">=1.0a1", {"1.0a1", "1.0"}, F, {"1.0"}},
        {"!=1.0", {"1.0", "1.0a1"}, N, {"1.0a1"}},
        {"!=1.0", {"1.0", "1.0a1"}, T, {"1.0a1"}},
        {"!=1.0", {"1.0", "1.0a1"}, F, {}},
    };
    for (auto const& row : rows) {
        BOOST_TEST_CONTEXT("Specifier('" << row.spec << "').filter(..., prereleases="
                                         << describe(row.prereleases) << ")") {
            auto const kept = strs(spec(row.spec).filter(versions(row.input), row.prereleases));
            BOOST_TEST(kept == row.expected, boost::test_tools::per_element());
        }
    }
}

struct SetRow {
    char const* input;
    char const* str;
    std::size_t size;
    std::optional<bool> prereleases;
};

// str(SpecifierSet(input)), len() and .prereleases in packaging 23.0: duplicates (by operator
// and canonical version) collapse to the first, clauses sort by their text.
SetRow const sets[] = {
    {"", "", 0, N},
    {" ", "", 0, N},
    {",", "", 0, N},
    {" , , ", "", 0, N},
    {">=1.0", ">=1.0", 1, F},
    {">=1.0,<2.0", "<2.0,>=1.0", 2, F},
    {"<2.0, >=1.0", "<2.0,>=1.0", 2, F},
    {">= 1.0 , < 2.0", "<2.0,>=1.0", 2, F},
    {"!=1.5,>=1.0,<2", "!=1.5,<2,>=1.0", 3, F},
    {">=1.0,>=1.0.0", ">=1.0", 1, F},
    {">=1.0.0,>=1.0", ">=1.0.0", 1, F},
    {"==1.0,==1", "==1.0", 1, F},
    {"===1.0,===1.0.0", "===1.0", 1, F},
    {"~=1.0,~=1.0.0", "~=1.0,~=1.0.0", 2, F},
    {"==1.0.*,==1.0.0.*", "==1.0.*,==1.0.0.*", 2, F},
    {">=1,,<2", "<2,>=1", 2, F},
    {"==2.0a1", "==2.0a1", 1, T},
    {">=1.0a1,<2", "<2,>=1.0a1", 2, T},
    {"===foo", "===foo", 1, F}, // 23.0 raises InvalidVersion here; we answer False
    {"!=1.0a1", "!=1.0a1", 1, F},
    {"==1.0.*,!=1.0.5", "!=1.0.5,==1.0.*", 2, F},
    {">1,<1", "<1,>1", 2, F},
    {"<1.0rc1", "<1.0rc1", 1, F},
    {">=1.0,<=1.0", "<=1.0,>=1.0", 2, F},
    {"~=2.2 , != 2.2.1", "!=2.2.1,~=2.2", 2, F},
    {"\xc2\xa0"
     ">=1\xe3\x80\x80"
     ",\xe2\x80\x83"
     "<2",
     "<2,>=1", 2, F},
};

char const* const invalid_sets[] = {
    "1.0",         ">=1.0;<2",  ">=1.0 <2", ">=1.0,1.0", "~=1",        ">=1.0.*",
    "<=1.0+local", "==1.0a1.*", "=1.0",     "> = 1",     ">=1.0,\xff",
};

BOOST_AUTO_TEST_CASE(specifier_sets_print_like_packaging) {
    for (auto const& row : sets) {
        BOOST_TEST_CONTEXT("SpecifierSet('" << row.input << "')") {
            auto const s = set(row.input);
            BOOST_TEST(s.str() == row.str);
            BOOST_TEST(s.specifiers().size() == row.size);
            BOOST_TEST(s.empty() == (row.size == 0));
            BOOST_TEST(s.prereleases() == row.prereleases);
            BOOST_TEST(set(s.str()).str() == s.str()); // str() reads back
        }
    }
    for (auto const* text : invalid_sets) {
        auto r = SpecifierSet::parse(text);
        BOOST_TEST(!r.has_value(), text);
        if (!r) BOOST_TEST(r.error().starts_with("invalid specifier"), r.error());
    }
}

BOOST_AUTO_TEST_CASE(specifier_set_keeps_specifiers_sorted) {
    auto const s = set(">=1.0, !=1.5 ,<2");
    std::vector<std::string> texts;
    for (auto const& x : s.specifiers())
        texts.push_back(x.str());
    BOOST_TEST((texts == std::vector<std::string>{"!=1.5", "<2", ">=1.0"}));
}

// SpecifierSet(spec).contains(Version(version), prereleases=...) in packaging 23.0.
Contains const set_contains[] = {
    {">=1.0,<2.0", "1.0", N, true},
    {">=1.0,<2.0", "1.0", T, true},
    {">=1.0,<2.0", "1.0", F, true},
    {">=1.0,<2.0", "1.5", N, true},
    {">=1.0,<2.0", "1.5", T, true},
    {">=1.0,<2.0", "1.5", F, true},
    {">=1.0,<2.0", "2.0", N, false},
    {">=1.0,<2.0", "2.0", T, false},
    {">=1.0,<2.0", "2.0", F, false},
    {">=1.0,<2.0", "0.9", N, false},
    {">=1.0,<2.0", "0.9", T, false},
    {">=1.0,<2.0", "0.9", F, false},
    {">=1.0,<2.0", "1.5a1", N, false},
    {">=1.0,<2.0", "1.5a1", T, true},
    {">=1.0,<2.0", "1.5a1", F, false},
    {">=1.0,<2.0", "2.0a1", N, false},
    {">=1.0,<2.0", "2.0a1", T, false},
    {">=1.0,<2.0", "2.0a1", F, false},
    {">=1.0,<2.0", "1.9.post1", N, true},
    {">=1.0,<2.0", "1.9.post1", T, true},
    {">=1.0,<2.0", "1.9.post1", F, true},
    {">=1.0,<2.0", "1.5+local", N, true},
    {">=1.0,<2.0", "1.5+local", T, true},
    {">=1.0,<2.0", "1.5+local", F, true},
    {"", "1.0", N, true},
    {"", "1.0", T, true},
    {"", "1.0", F, true},
    {"", "1.0a1", N, false},
    {"", "1.0a1", T, true},
    {"", "1.0a1", F, false},
    {"", "1.0.dev1", N, false},
    {"", "1.0.dev1", T, true},
    {"", "1.0.dev1", F, false},
    {"", "1.0+local", N, true},
    {"", "1.0+local", T, true},
    {"", "1.0+local", F, true},
    {">=1.0a1,<2", "1.5a1", N, true},
    {">=1.0a1,<2", "1.5a1", T, true},
    {">=1.0a1,<2", "1.5a1", F, false},
    {">=1.0a1,<2", "1.0a1", N, true},
    {">=1.0a1,<2", "1.0a1", T, true},
    {">=1.0a1,<2", "1.0a1", F, false},
    {">=1.0a1,<2", "1.0.dev1", N, false},
    {">=1.0a1,<2", "1.0.dev1", T, false},
    {">=1.0a1,<2", "1.0.dev1", F, false},
    {">=1.0a1,<2", "2.0a1", N, false},
    {">=1.0a1,<2", "2.0a1", T, false},
    {">=1.0a1,<2", "2.0a1", F, false},
    {"!=1.0a1", "1.0a1", N, false},
    {"!=1.0a1", "1.0a1", T, false},
    {"!=1.0a1", "1.0a1", F, false},
    {"!=1.0a1", "1.0a2", N, false},
    {"!=1.0a1", "1.0a2", T, true},
    {"!=1.0a1", "1.0a2", F, false},
    {"!=1.0a1", "1.0", N, true},
    {"!=1.0a1", "1.0", T, true},
    {"!=1.0a1", "1.0", F, true},
    {"==1.0.*,!=1.0.5", "1.0.4", N, true},
    {"==1.0.*,!=1.0.5", "1.0.4", T, true},
    {"==1.0.*,!=1.0.5", "1.0.4", F, true},
    {"==1.0.*,!=1.0.5", "1.0.5", N, false},
    {"==1.0.*,!=1.0.5", "1.0.5", T, false},
    {"==1.0.*,!=1.0.5", "1.0.5", F, false},
    {"==1.0.*,!=1.0.5", "1.0.5+x", N, false},
    {"==1.0.*,!=1.0.5", "1.0.5+x", T, false},
    {"==1.0.*,!=1.0.5", "1.0.5+x", F, false},
    {"==1.0.*,!=1.0.5", "1.1", N, false},
    {"==1.0.*,!=1.0.5", "1.1", T, false},
    {"==1.0.*,!=1.0.5", "1.1", F, false},
    {"~=2.2,!=2.2.1", "2.2.1", N, false},
    {"~=2.2,!=2.2.1", "2.2.1", T, false},
    {"~=2.2,!=2.2.1", "2.2.1", F, false},
    {"~=2.2,!=2.2.1", "2.2.2", N, true},
    {"~=2.2,!=2.2.1", "2.2.2", T, true},
    {"~=2.2,!=2.2.1", "2.2.2", F, true},
    {"~=2.2,!=2.2.1", "2.2.2a1", N, false},
    {"~=2.2,!=2.2.1", "2.2.2a1", T, true},
    {"~=2.2,!=2.2.1", "2.2.2a1", F, false},
    {"~=2.2,!=2.2.1", "3.0", N, false},
    {"~=2.2,!=2.2.1", "3.0", T, false},
    {"~=2.2,!=2.2.1", "3.0", F, false},
    {">1,<1", "1", N, false},
    {">1,<1", "1", T, false},
    {">1,<1", "1", F, false},
    {">1,<1", "0.5", N, false},
    {">1,<1", "0.5", T, false},
    {">1,<1", "0.5", F, false},
    {">1,<1", "1.5", N, false},
    {">1,<1", "1.5", T, false},
    {">1,<1", "1.5", F, false},
    {"==2.0a1", "2.0a1", N, true},
    {"==2.0a1", "2.0a1", T, true},
    {"==2.0a1", "2.0a1", F, false},
    {"==2.0a1", "2.0a1+local", N, true},
    {"==2.0a1", "2.0a1+local", T, true},
    {"==2.0a1", "2.0a1+local", F, false},
    {"==2.0a1", "2.0", N, false},
    {"==2.0a1", "2.0", T, false},
    {"==2.0a1", "2.0", F, false},
};

BOOST_AUTO_TEST_CASE(specifier_set_contains_like_packaging) {
    for (auto const& row : set_contains) {
        BOOST_TEST_CONTEXT("SpecifierSet('" << row.spec << "').contains('" << row.version
                                            << "', prereleases=" << describe(row.prereleases)
                                            << ")") {
            BOOST_TEST(set(row.spec).contains(v(row.version), row.prereleases) == row.expected);
        }
    }
}

struct FilterRow {
    char const* set;
    std::vector<std::string> input;
    std::optional<bool> prereleases;
    std::vector<std::string> expected;
};

// list(SpecifierSet(set).filter(input, prereleases=...)) in packaging 23.0. Only the empty set
// falls back to pre-releases; with clauses, 23.0 passes an explicit bool down to each
// Specifier.filter, which disables their fallback.
FilterRow const filters[] = {
    {"", {"1.0", "1.1a1", "1.2"}, N, {"1.0", "1.2"}},
    {"", {"1.0", "1.1a1", "1.2"}, T, {"1.0", "1.1a1", "1.2"}},
    {"", {"1.0", "1.1a1", "1.2"}, F, {"1.0", "1.2"}},
    {"", {"1.0a1", "1.1a1", "1.2.dev1"}, N, {"1.0a1", "1.1a1", "1.2.dev1"}},
    {"", {"1.0a1", "1.1a1", "1.2.dev1"}, T, {"1.0a1", "1.1a1", "1.2.dev1"}},
    {"", {"1.0a1", "1.1a1", "1.2.dev1"}, F, {}},
    {"", {"1.0a1", "1.0", "1.1a1"}, N, {"1.0"}},
    {"", {"1.0a1", "1.0", "1.1a1"}, T, {"1.0a1", "1.0", "1.1a1"}},
    {"", {"1.0a1", "1.0", "1.1a1"}, F, {"1.0"}},
    {"", {}, N, {}},
    {"", {}, T, {}},
    {"", {}, F, {}},
    {">=1.2.3", {"1.2", "1.3", "1.5a1"}, N, {"1.3"}},
    {">=1.2.3", {"1.2", "1.3", "1.5a1"}, T, {"1.3", "1.5a1"}},
    {">=1.2.3", {"1.2", "1.3", "1.5a1"}, F, {"1.3"}},
    {">=1.2.3", {"1.2", "1.5a1"}, N, {}},
    {">=1.2.3", {"1.2", "1.5a1"}, T, {"1.5a1"}},
    {">=1.2.3", {"1.2", "1.5a1"}, F, {}},
    {">=1.2.3,<2", {"1.2", "1.5a1", "2.0a1"}, N, {}},
    {">=1.2.3,<2", {"1.2", "1.5a1", "2.0a1"}, T, {"1.5a1"}},
    {">=1.2.3,<2", {"1.2", "1.5a1", "2.0a1"}, F, {}},
    {">=1.0a1", {"0.9", "1.0a1", "1.0", "1.1.dev1"}, N, {"1.0a1", "1.0", "1.1.dev1"}},
    {">=1.0a1", {"0.9", "1.0a1", "1.0", "1.1.dev1"}, T, {"1.0a1", "1.0", "1.1.dev1"}},
    {">=1.0a1", {"0.9", "1.0a1", "1.0", "1.1.dev1"}, F, {"1.0"}},
    {"==1.0.*", {"1.0a1", "1.0", "1.0.1", "1.1"}, N, {"1.0", "1.0.1"}},
    {"==1.0.*", {"1.0a1", "1.0", "1.0.1", "1.1"}, T, {"1.0a1", "1.0", "1.0.1"}},
    {"==1.0.*", {"1.0a1", "1.0", "1.0.1", "1.1"}, F, {"1.0", "1.0.1"}},
    {"~=2.2", {"2.1", "2.2", "2.3a1", "2.9", "3.0"}, N, {"2.2", "2.9"}},
    {"~=2.2", {"2.1", "2.2", "2.3a1", "2.9", "3.0"}, T, {"2.2", "2.3a1", "2.9"}},
    {"~=2.2", {"2.1", "2.2", "2.3a1", "2.9", "3.0"}, F, {"2.2", "2.9"}},
    {"!=1.5", {"1.4", "1.5", "1.5.0", "1.5+x", "1.6a1"}, N, {"1.4"}},
    {"!=1.5", {"1.4", "1.5", "1.5.0", "1.5+x", "1.6a1"}, T, {"1.4", "1.6a1"}},
    {"!=1.5", {"1.4", "1.5", "1.5.0", "1.5+x", "1.6a1"}, F, {"1.4"}},
    {">1.0,!=1.1", {"1.0.post1", "1.0+x", "1.1", "1.1.1", "1.2rc1"}, N, {"1.1.1"}},
    {">1.0,!=1.1", {"1.0.post1", "1.0+x", "1.1", "1.1.1", "1.2rc1"}, T, {"1.1.1", "1.2rc1"}},
    {">1.0,!=1.1", {"1.0.post1", "1.0+x", "1.1", "1.1.1", "1.2rc1"}, F, {"1.1.1"}},
    {"<2", {"2.0.dev1", "1.9", "2.0a1", "1.9a1"}, N, {"1.9"}},
    {"<2", {"2.0.dev1", "1.9", "2.0a1", "1.9a1"}, T, {"1.9", "1.9a1"}},
    {"<2", {"2.0.dev1", "1.9", "2.0a1", "1.9a1"}, F, {"1.9"}},
};

BOOST_AUTO_TEST_CASE(specifier_set_filter_like_packaging) {
    for (auto const& row : filters) {
        BOOST_TEST_CONTEXT("SpecifierSet('" << row.set << "').filter(..., prereleases="
                                            << describe(row.prereleases) << ")") {
            auto const kept = strs(set(row.set).filter(versions(row.input), row.prereleases));
            BOOST_TEST(kept == row.expected, boost::test_tools::per_element());
        }
    }
}

// filter_indices keeps the same versions as filter, as their positions in the input.
BOOST_AUTO_TEST_CASE(specifier_set_filter_indices_name_what_filter_keeps) {
    for (auto const& row : filters) {
        BOOST_TEST_CONTEXT("SpecifierSet('" << row.set << "').filter_indices(..., prereleases="
                                            << describe(row.prereleases) << ")") {
            auto const input = versions(row.input);
            auto const at = set(row.set).filter_indices(input, row.prereleases);
            BOOST_TEST(std::is_sorted(at.begin(), at.end()));
            std::vector<std::string> kept;
            for (auto i : at)
                kept.push_back(input.at(i).str());
            BOOST_TEST(kept == row.expected, boost::test_tools::per_element());
        }
    }
}

BOOST_AUTO_TEST_CASE(pinned_names_the_one_exact_version) {
    struct Row {
        char const* set;
        std::optional<std::string> pinned;
    } const rows[] = {
        {"==1.0", "1.0"},          {" == 1.0.0 ", "1.0.0"},
        {"===foo", "foo"},         {"==1.0+local", "1.0+local"},
        {"==v1.0", "v1.0"},        {"==1.0,==1.0.0", "1.0"},
        {"==1.0.*", std::nullopt}, {"", std::nullopt},
        {">=1.0", std::nullopt},   {"==1.0,<2", std::nullopt},
        {"~=1.0", std::nullopt},   {"!=1.0", std::nullopt},
    };
    for (auto const& row : rows)
        BOOST_TEST(set(row.set).pinned() == row.pinned, row.set);
}
