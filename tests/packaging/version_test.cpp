#define BOOST_TEST_MODULE version
#include <boost/test/unit_test.hpp>

#include "packaging/version.hpp"

#include <ostream>
#include <string>
#include <vector>

// Expected values in these tables were produced by Debian 12's python3-packaging 23.0 (str(),
// properties, sorted order); tests/differential checks thousands more cases against it live.

using pinwatch::packaging::Version;

// Lets Boost.Test print versions in failed assertions.
namespace pinwatch::packaging {
inline std::ostream& boost_test_print_type(std::ostream& os, Version const& v) {
    return os << v.str();
}
} // namespace pinwatch::packaging

namespace {

Version v(std::string_view text) {
    auto r = Version::parse(text);
    BOOST_TEST_REQUIRE(r.has_value(),
                       "expected '" << text << "' to parse: " << (r ? std::string() : r.error()));
    return *r;
}

struct Normalised {
    char const* input;
    char const* expected;
};

// Every accepted spelling and its normal form, as str(Version(input)).
Normalised const normalisation[] = {
    {"1.0", "1.0"},
    {"1.0.0", "1.0.0"},
    {"01.002.0003", "1.2.3"},
    {"v1.0", "1.0"},
    {"V1.0", "1.0"},
    {" 1.0 ", "1.0"},
    {"\t1.0\n", "1.0"},
    {"1!1.0", "1!1.0"},
    {"01!1.0", "1!1.0"},
    {"0!1.0", "1.0"},
    {"1.0a1", "1.0a1"},
    {"1.0A1", "1.0a1"},
    {"1.0alpha1", "1.0a1"},
    {"1.0ALPHA1", "1.0a1"},
    {"1.0b2", "1.0b2"},
    {"1.0beta2", "1.0b2"},
    {"1.0c3", "1.0rc3"},
    {"1.0rc3", "1.0rc3"},
    {"1.0RC3", "1.0rc3"},
    {"1.0pre3", "1.0rc3"},
    {"1.0preview3", "1.0rc3"},
    {"1.0-a1", "1.0a1"},
    {"1.0_a1", "1.0a1"},
    {"1.0.a1", "1.0a1"},
    {"1.0a.1", "1.0a1"},
    {"1.0a-1", "1.0a1"},
    {"1.0a_1", "1.0a1"},
    {"1.0a", "1.0a0"},
    {"1.0a0", "1.0a0"},
    {"1.0.post1", "1.0.post1"},
    {"1.0post1", "1.0.post1"},
    {"1.0-post1", "1.0.post1"},
    {"1.0_post1", "1.0.post1"},
    {"1.0.post.1", "1.0.post1"},
    {"1.0.post-1", "1.0.post1"},
    {"1.0.post_1", "1.0.post1"},
    {"1.0.post", "1.0.post0"},
    {"1.0-1", "1.0.post1"},
    {"1.0-0", "1.0.post0"},
    {"1.0r1", "1.0.post1"},
    {"1.0rev1", "1.0.post1"},
    {"1.0-r4", "1.0.post4"},
    {"1.0.REV2", "1.0.post2"},
    {"1.0.dev1", "1.0.dev1"},
    {"1.0dev1", "1.0.dev1"},
    {"1.0-dev1", "1.0.dev1"},
    {"1.0_dev1", "1.0.dev1"},
    {"1.0.dev.1", "1.0.dev1"},
    {"1.0.dev", "1.0.dev0"},
    {"1.0-dev", "1.0.dev0"},
    {"1.0DEV3", "1.0.dev3"},
    {"1.0a1.post2.dev3", "1.0a1.post2.dev3"},
    {"1.0a1-2", "1.0a1.post2"},
    {"1.0a1-2.dev3", "1.0a1.post2.dev3"},
    {"1.0.post1.dev2", "1.0.post1.dev2"},
    {"1.0+abc", "1.0+abc"},
    {"1.0+ABC", "1.0+abc"},
    {"1.0+abc.5", "1.0+abc.5"},
    {"1.0+abc-5", "1.0+abc.5"},
    {"1.0+abc_5", "1.0+abc.5"},
    {"1.0+05", "1.0+5"},
    {"1.0+abc.007", "1.0+abc.7"},
    {"1.0+Ubuntu-1_DEB12u1", "1.0+ubuntu.1.deb12u1"},
    {"1!2.0rc1.post3.dev4+local.1", "1!2.0rc1.post3.dev4+local.1"},
    {"1.0a..post1", "1.0a0.post1"},
    {"1.0a.-1", "1.0a0.post1"},
    {"1.0a--1", "1.0a0.post1"},
    {"1.0.post-", "1.0.post0"},
    {"1.0.dev.+abc", "1.0.dev0+abc"},
    {"1.0a.+x", "1.0a0+x"},
    {"1.0rc.1", "1.0rc1"},
    {"1.0c1", "1.0rc1"},
    {"1.0pre.1", "1.0rc1"},
    {"1.0dev-1", "1.0.dev1"},
    {"2012.12.21", "2012.12.21"},
    {"18446744073709551616.0", "18446744073709551616.0"},
    {"00000000000000000000000000000000018446744073709551617", "18446744073709551617"},
    {"1.0\xc2\xa0", "1.0"},
    {"\xe3\x80\x80"
     "1.0\xe2\x80\xa8",
     "1.0"},
    {"1.0\x1c", "1.0"},
    {"1.0\xc2\x85", "1.0"},
    {"1.0+\xe2\x84\xaa", "1.0+k"},
    {"1.0+\xc4\xb1", "1.0+\xc4\xb1"},
    {"1.0+\xc5\xbf", "1.0+\xc5\xbf"},
    {"1.0+\xc4\xb0", "1.0+i\xcc\x87"},
    {"1.0prev\xc4\xb1"
     "ew1",
     "1.0prev\xc4\xb1"
     "ew1"},
    {"1.0.po\xc5\xbf"
     "t1",
     "1.0.post1"},
};

struct Invalid {
    char const* input;
    char const* reason; // part of the error message that says why
};

Invalid const invalid[] = {
    {"", "empty version"},
    {" ", "empty version"},
    {"abc", "expected a release number, found 'a'"},
    {"v", "expected a release number"},
    {"vv1", "expected a release number, found 'v'"},
    {"+1.0", "expected a release number, found '+'"},
    {"!1", "expected a release number, found '!'"},
    {"1!", "expected a release number after the epoch '!'"},
    {"1.0-", "unexpected '-' after '1.0'"},
    {"1.0.", "unexpected '.' after '1.0'"},
    {"1.0+", "local version label is empty after '+'"},
    {"1.0+a.", "local version label segment is empty after '.'"},
    {"1.0+a..b", "local version label segment is empty after '.'"},
    {"1.0+a_-b", "local version label segment is empty after '_'"},
    {"1.0+_a", "local version label must start with a letter or digit, found '_'"},
    {"1.0+x+y", "unexpected '+' in local version label"},
    {"1.0+a b", "unexpected ' ' in local version label"},
    {"1.0.+x", "unexpected '.' after '1.0'"},
    {"1.0a1.-1", "unexpected '.' after '1.0a1'"},
    {"1.0.-1", "unexpected '.' after '1.0'"},
    {"1.0_1", "unexpected '_' after '1.0'"},
    {"1.0..post", "unexpected '.' after '1.0'"},
    {"1.0 a1", "unexpected ' ' after '1.0'"},
    {"1. 0", "unexpected '.' after '1'"},
    {"1.0*", "unexpected '*' after '1.0'"},
    {"1.0.*", "unexpected '.' after '1.0'"},
    {"1.0.x", "unexpected '.' after '1.0'"},
    {"1,0", "unexpected ',' after '1'"},
    {"1.0dev1a1", "unexpected 'a' after '1.0dev1'"},
    {"1.0.post1a1", "unexpected 'a' after '1.0.post1'"},
    {"1.0-1-1", "unexpected '-' after '1.0-1'"},
    {"1.0a1b1", "unexpected 'b' after '1.0a1'"},
    {"1.0rc1c1", "unexpected 'c' after '1.0rc1'"},
    {"1.0-dev-post", "unexpected 'p' after '1.0-dev-'"},  // post must come before dev
    {"1.0\xc3\xa9", "unexpected '\xc3\xa9' after '1.0'"}, // é is no letter of [a-z]
    {"1.0+\xc3\xa9", "local version label must start with a letter or digit"},
    {"\xd9\xa1.0", "expected a release number"}, // Arabic-Indic digit one
    {"1.0\xe2\x80\x8b", "unexpected"},           // ZERO WIDTH SPACE is not \s
    {"1.0prev\xc4\xb0\xc4\xb1"
     "ew",
     "unexpected"}, // two i-likes in "preview"
    {"1.0\xff", "not valid UTF-8"},
    {"\xc0\xb1.0", "not valid UTF-8"}, // overlong '1'
};

} // namespace

BOOST_AUTO_TEST_CASE(normalises_every_spelling_like_packaging) {
    for (auto const& row : normalisation) {
        BOOST_TEST_CONTEXT("input '" << row.input << "'") {
            auto const parsed = v(row.input);
            BOOST_TEST(parsed.str() == row.expected);
        }
    }
}

BOOST_AUTO_TEST_CASE(normal_form_is_a_fixed_point) {
    for (auto const& row : normalisation) {
        auto const once = v(row.input).str();
        auto again = Version::parse(once);
        // Only the İ spellings print a form packaging itself cannot re-read.
        if (std::string_view(row.input).find("\xc4\xb0") != std::string_view::npos) {
            BOOST_TEST(!again.has_value());
            continue;
        }
        BOOST_TEST_REQUIRE(again.has_value(), once);
        BOOST_TEST(again->str() == once);
    }
}

BOOST_AUTO_TEST_CASE(rejects_invalid_versions_saying_why) {
    for (auto const& row : invalid) {
        BOOST_TEST_CONTEXT("input '" << row.input << "'") {
            auto r = Version::parse(row.input);
            BOOST_TEST_REQUIRE(!r.has_value());
            BOOST_TEST(r.error().starts_with("invalid version"));
            BOOST_TEST(r.error().find(row.reason) != std::string::npos, r.error());
        }
    }
}

BOOST_AUTO_TEST_CASE(numbers_beyond_pythons_int_limit_are_rejected) {
    // Python 3.11's int() refuses more than 4300 digits, so packaging raises ValueError.
    std::string const ok(4300, '1');
    std::string const too_long(4301, '1');
    BOOST_TEST(v(ok).str() == ok);
    BOOST_TEST(v("1.0+" + ok).local() == ok);
    for (auto const& text : {too_long, std::string(4301, '0'), "1.0+" + too_long,
                             "1.0.post" + too_long, "1!" + too_long + ".0"}) {
        auto r = Version::parse(text);
        BOOST_TEST_REQUIRE(!r.has_value());
        BOOST_TEST(r.error().find("more than 4300 digits") != std::string::npos);
    }
    // A long alphanumeric local segment is text, not a number.
    BOOST_TEST(v("1.0+a" + too_long).has_local());
}

struct Properties {
    char const* input;
    char const* str;
    char const* public_version;
    char const* base_version;
    bool prerelease;
    bool postrelease;
    bool devrelease;
    char const* local;
    char const* epoch;
    std::size_t release_size;
};

Properties const properties[] = {
    {"1.0", "1.0", "1.0", "1.0", false, false, false, "", "0", 2},
    {"1.0.0", "1.0.0", "1.0.0", "1.0.0", false, false, false, "", "0", 3},
    {"1!2.0.0", "1!2.0.0", "1!2.0.0", "1!2.0.0", false, false, false, "", "1", 3},
    {"1.0a1", "1.0a1", "1.0a1", "1.0", true, false, false, "", "0", 2},
    {"1.0.dev0", "1.0.dev0", "1.0.dev0", "1.0", true, false, true, "", "0", 2},
    {"1.0a1.dev2", "1.0a1.dev2", "1.0a1.dev2", "1.0", true, false, true, "", "0", 2},
    {"1.0.post1", "1.0.post1", "1.0.post1", "1.0", false, true, false, "", "0", 2},
    {"1.0.post1.dev2", "1.0.post1.dev2", "1.0.post1.dev2", "1.0", true, true, true, "", "0", 2},
    {"1.0rc1.post2", "1.0rc1.post2", "1.0rc1.post2", "1.0", true, true, false, "", "0", 2},
    {"1.0+abc.5", "1.0+abc.5", "1.0", "1.0", false, false, false, "abc.5", "0", 2},
    {"1!1.2.3rc4.post5.dev6+ubuntu.1", "1!1.2.3rc4.post5.dev6+ubuntu.1", "1!1.2.3rc4.post5.dev6",
     "1!1.2.3", true, true, true, "ubuntu.1", "1", 3},
    {"v2020.1-1", "2020.1.post1", "2020.1.post1", "2020.1", false, true, false, "", "0", 2},
    {"1.0-r4+Local_7", "1.0.post4+local.7", "1.0.post4", "1.0", false, true, false, "local.7", "0",
     2},
};

BOOST_AUTO_TEST_CASE(reports_the_same_properties_as_packaging) {
    for (auto const& row : properties) {
        BOOST_TEST_CONTEXT("input '" << row.input << "'") {
            auto const x = v(row.input);
            BOOST_TEST(x.str() == row.str);
            BOOST_TEST(x.public_version() == row.public_version);
            BOOST_TEST(x.base_version() == row.base_version);
            BOOST_TEST(x.is_prerelease() == row.prerelease);
            BOOST_TEST(x.is_postrelease() == row.postrelease);
            BOOST_TEST(x.is_devrelease() == row.devrelease);
            BOOST_TEST(x.local() == row.local);
            BOOST_TEST(x.has_local() == (row.local[0] != '\0'));
            BOOST_TEST(x.epoch_str() == row.epoch);
            BOOST_TEST(x.release_size() == row.release_size);
        }
    }
}

BOOST_AUTO_TEST_CASE(exposes_the_parts) {
    auto const x = v("1!02.0030.0rc04.post05.dev06+Ubuntu-007");
    BOOST_TEST(x.epoch_str() == "1");
    BOOST_TEST(x.release_size() == 3u);
    BOOST_TEST(x.release_str(0) == "2");
    BOOST_TEST(x.release_str(1) == "30");
    BOOST_TEST(x.release_str(2) == "0");
    BOOST_TEST(x.release_str(3) == "0"); // past the end
    BOOST_TEST_REQUIRE(x.pre().has_value());
    BOOST_TEST(x.pre()->label == "rc");
    BOOST_TEST(x.pre()->number == "4");
    BOOST_TEST(x.post().value_or("") == "5");
    BOOST_TEST(x.dev().value_or("") == "6");
    BOOST_TEST((x.local_segments() == std::vector<std::string>{"ubuntu", "7"}));

    auto const plain = v("3");
    BOOST_TEST(!plain.pre().has_value());
    BOOST_TEST(!plain.post().has_value());
    BOOST_TEST(!plain.dev().has_value());
    BOOST_TEST(plain.local_segments().empty());
    BOOST_TEST(v("1.0a").pre()->number == "0"); // implicit zero
    BOOST_TEST(v("1.0-0").post().value_or("") == "0");
}

BOOST_AUTO_TEST_CASE(release_numbers_beyond_64_bits_are_kept_exactly) {
    auto const x = v("18446744073709551615.18446744073709551616.0099999999999999999999999999");
    BOOST_TEST(x.release_u64(0).value_or(0) == UINT64_MAX);
    BOOST_TEST(!x.release_u64(1).has_value());
    BOOST_TEST(x.release_str(1) == "18446744073709551616");
    BOOST_TEST(!x.release_u64(2).has_value());
    BOOST_TEST(x.release_str(2) == "99999999999999999999999999");
    BOOST_TEST(x.release_u64(3).value_or(1) == 0u); // past the end
    BOOST_TEST(x.str() == "18446744073709551615.18446744073709551616.99999999999999999999999999");

    // Compared by value: length first, then digits; leading zeros never matter.
    BOOST_TEST(v("18446744073709551616") > v("18446744073709551615"));
    BOOST_TEST(v("18446744073709551616") < v("100000000000000000000"));
    BOOST_TEST(v("0018446744073709551616") == v("18446744073709551616"));
    BOOST_TEST(v("1.99999999999999999999999999999") < v("1.100000000000000000000000000000"));
    BOOST_TEST(v("1!0") > v("99999999999999999999999999999"));
    BOOST_TEST(v("1.0.post18446744073709551616") > v("1.0.post18446744073709551615"));
    BOOST_TEST(v("1.0+18446744073709551616") > v("1.0+18446744073709551615"));
}

BOOST_AUTO_TEST_CASE(orders_the_pep440_chain) {
    // The full chain from the PEP 440 examples: each entry sorts strictly after the previous.
    std::vector<std::string> const chain = {
        "1.0.dev456",    "1.0a1",         "1.0a2.dev456", "1.0a12.dev456",
        "1.0a12",        "1.0b1.dev456",  "1.0b2",        "1.0b2.post345.dev456",
        "1.0b2.post345", "1.0rc1.dev456", "1.0rc1",       "1.0",
        "1.0+abc.5",     "1.0+abc.7",     "1.0+5",        "1.0.post456.dev34",
        "1.0.post456",   "1.1.dev1",
    };
    for (std::size_t i = 0; i < chain.size(); ++i) {
        for (std::size_t j = 0; j < chain.size(); ++j) {
            BOOST_TEST_CONTEXT(chain[i] << " vs " << chain[j]) {
                auto const c = v(chain[i]) <=> v(chain[j]);
                BOOST_TEST((c < 0) == (i < j));
                BOOST_TEST((c == 0) == (i == j));
                BOOST_TEST((v(chain[i]) == v(chain[j])) == (i == j));
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(orders_like_packaging_cmpkey) {
    // sorted(..., key=Version) in packaging 23.0: each strictly after the previous.
    std::vector<std::string> const sorted = {
        "0.9999",         "1.0.dev0",  "1.0a0.dev0",   "1.0a0", "1.0a0.post0",    "1.0b0",
        "1.0rc0",         "1.0rc1",    "1.0rc1.post1", "1.0",   "1.0.post0.dev0", "1.0.post0",
        "1.0.post1.dev0", "1.0.0.0.1", "1.0.1.dev0",   "1!0.1",
    };
    for (std::size_t i = 0; i + 1 < sorted.size(); ++i)
        BOOST_TEST(v(sorted[i]) < v(sorted[i + 1]), sorted[i] << " < " << sorted[i + 1]);
}

BOOST_AUTO_TEST_CASE(local_labels_order_numbers_above_text) {
    // sorted(..., key=Version) in packaging 23.0.
    std::vector<std::string> const sorted = {
        "1.0",   "1.0+abc", "1.0+abc.z", "1.0+abc.1", "1.0+abc1", "1.0+abd",  "1.0+0",
        "1.0+1", "1.0+1.a", "1.0+1.0",   "1.0+2",     "1.0+10",   "1.0+10.a",
    };
    for (std::size_t i = 0; i + 1 < sorted.size(); ++i)
        BOOST_TEST(v(sorted[i]) < v(sorted[i + 1]), sorted[i] << " < " << sorted[i + 1]);
    // Text compares after lowercasing; numbers by value.
    BOOST_TEST(v("1.0+a") < v("1.0+B"));
    BOOST_TEST(!(v("1.0+Z") < v("1.0+a")));
    BOOST_TEST(v("1.0+ABC.5") == v("1.0+abc-05"));
    BOOST_TEST(v("1.0+abc.5") < v("1.0+5"));
}

struct Equal {
    char const* a;
    char const* b;
    bool equal;
};

Equal const equality[] = {
    {"1.0", "1.0.0", true},
    {"1.0", "1.0.0.0.0", true},
    {"0", "0.0", true},
    {"1.0", "1", true},
    {"1.0a1", "1.0alpha1", true},
    {"1.0c1", "1.0rc1", true},
    {"1.0-1", "1.0.post1", true},
    {"1.0r1", "1.0.post1", true},
    {"v1.0", "1.0", true},
    {"0!1.0", "1.0", true},
    {"1.0+abc", "1.0+ABC", true},
    {"1.0+5", "1.0+05", true},
    {"1.0+a.1", "1.0+a-1", true},
    {"1.0.dev", "1.0.dev0", true},
    {"1.0a", "1.0a0", true},
    {"1!1.0", "1.0", false},
    {"1.0+abc", "1.0", false},
    {"1.0.1", "1.0", false},
    {"1.0a1", "1.0b1", false},
    {"1.0.post1", "1.0", false},
    {"1.0.dev1", "1.0", false},
    {"1.0+1.0", "1.0+1", false},
    {"1.0.post0", "1.0", false},
    {"1.0a0", "1.0", false},
    // "poſt" (U+017F) prints as ".post" but keeps its own label in packaging's sort key.
    {"1.0.po\xc5\xbft1", "1.0.post1", false},
};

BOOST_AUTO_TEST_CASE(equality_ignores_trailing_zeros_and_spelling) {
    for (auto const& row : equality) {
        BOOST_TEST_CONTEXT(row.a << " vs " << row.b) {
            BOOST_TEST((v(row.a) == v(row.b)) == row.equal);
            BOOST_TEST(((v(row.a) <=> v(row.b)) == 0) == row.equal);
        }
    }
    BOOST_TEST(v("1.0.po\xc5\xbft1") > v("1.0.post1"));
    BOOST_TEST(v("1.0.po\xc5\xbft1").str() == v("1.0.post1").str());
}

BOOST_AUTO_TEST_CASE(canonical_strips_trailing_zeros_only_when_asked) {
    BOOST_TEST(v("1.0.0").canonical() == "1");
    BOOST_TEST(v("1.0.0").canonical(false) == "1.0.0");
    BOOST_TEST(v("0.0").canonical() == "0");
    BOOST_TEST(v("10.0").canonical() == "10");
    BOOST_TEST(v("1.10").canonical() == "1.10");
    BOOST_TEST(v("1!2.0.0rc1.post0+local.0").canonical() == "1!2rc1.post0+local.0");
}

BOOST_AUTO_TEST_CASE(release_key_is_the_normal_form_or_the_lowercased_text) {
    using pinwatch::packaging::release_key;
    BOOST_TEST(release_key("1.0.0-RC1") == "1.0.0rc1");
    BOOST_TEST(release_key("1.0.0rc1") == "1.0.0rc1");
    BOOST_TEST(release_key("v2.0") == "2.0");
    BOOST_TEST(release_key(" 1.0.POST2 ") == "1.0.post2");
    // Legacy versions packaging cannot parse are matched by their lowercased text.
    BOOST_TEST(release_key("2004d-Legacy") == "2004d-legacy");
    // The parsed form keys the same without parsing again.
    BOOST_TEST(release_key(*Version::parse("1.0.0-RC1")) == release_key("1.0.0-RC1"));
    BOOST_TEST(release_key(*Version::parse("1!2.0a1.dev3")) == "1!2.0a1.dev3");
}

// Text already in normal form is built straight from its bytes (the fast path of
// parse(string_view)); it must build exactly what the grammar builds from the decoded text,
// and leave everything else, valid or not, to the grammar.
BOOST_AUTO_TEST_CASE(normal_form_shortcut_builds_what_the_grammar_builds) {
    std::vector<std::string> texts = {
        "0", "1", "1.0", "01.002.0003", "00", "1.2.3.4.5.6", "2024.1.31", "1.0a1", "1.0b0",
        "1.0rc12", "1.0rc01", "1.0.post1", "1.0.post007", "1.0.dev0", "1.0a1.post2.dev3",
        "1.0rc1.dev4", "1.0.post1.dev2", "10.20.30rc40.post50.dev60", std::string(64, '9') + ".1",
        std::string(65, '9') + ".1",
        // Valid but not normal: the grammar's, with the same result.
        "1.0a", "1.0rc", "1.0.post", "1.0.dev", "1.0c1", "1.0-1", "v1.0", " 1.0 ", "1.0+local.7",
        "1!2.0", "1.0RC1", "1.0alpha1", "1.0_post1", "1.0.r1", "1.0pre1"};
    for (auto const& t : texts) {
        BOOST_TEST_CONTEXT(t) {
            auto fast = Version::parse(std::string_view(t));
            auto slow = Version::parse(std::u32string(t.begin(), t.end()));
            BOOST_TEST_REQUIRE(fast.has_value() == slow.has_value());
            if (!fast) continue;
            BOOST_TEST(fast->str() == slow->str());
            BOOST_TEST((*fast <=> *slow == std::strong_ordering::equal));
            BOOST_TEST(fast->epoch_str() == slow->epoch_str());
            BOOST_TEST(fast->release_size() == slow->release_size());
            for (std::size_t i = 0; i < fast->release_size(); ++i)
                BOOST_TEST(fast->release_str(i) == slow->release_str(i));
            BOOST_TEST(fast->pre().has_value() == slow->pre().has_value());
            if (fast->pre() && slow->pre()) {
                BOOST_TEST(fast->pre()->label == slow->pre()->label);
                BOOST_TEST(fast->pre()->number == slow->pre()->number);
            }
            BOOST_TEST((fast->post() == slow->post()));
            BOOST_TEST((fast->dev() == slow->dev()));
            BOOST_TEST(fast->local() == slow->local());
        }
    }
    // Not versions: refused by the grammar, with its reason.
    for (std::string t :
         {"1.", "1..0", ".1", "1.0a1a", "1.0.post1.post2", "1.0.devx", "", "1.0-"}) {
        BOOST_TEST_CONTEXT(t) {
            auto fast = Version::parse(std::string_view(t));
            auto slow = Version::parse(std::u32string(t.begin(), t.end()));
            BOOST_TEST(fast.has_value() == slow.has_value());
            if (!fast && !slow) BOOST_TEST(fast.error() == slow.error());
        }
    }
}
