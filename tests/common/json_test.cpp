#define BOOST_TEST_MODULE json
#include <boost/test/unit_test.hpp>

#include "common/json.hpp"

using namespace pinwatch;

BOOST_AUTO_TEST_CASE(writes_nested_values_with_commas_in_place) {
    JsonWriter w;
    w.begin_object();
    w.field("name", "requests").field("line", 3).field("pinned", std::optional<std::string>{});
    w.key("newer").begin_array().string("2.32.0").string("2.32.1").end_array();
    w.key("empty").begin_object().end_object();
    w.field("ok", true).field("mean", 2.1);
    w.end_object();
    BOOST_TEST(w.str() ==
               R"({"name":"requests","line":3,"pinned":null,"newer":["2.32.0","2.32.1"],)"
               R"("empty":{},"ok":true,"mean":2.1})");
}

BOOST_AUTO_TEST_CASE(strings_are_escaped_and_always_valid_utf8) {
    BOOST_TEST(json_quote("a\"b\\c\n\t\x01") == R"("a\"b\\c\n\t\u0001")");
    BOOST_TEST(json_quote("café") == "\"café\"");
    BOOST_TEST(json_quote("bad\xff") == "\"bad\xEF\xBF\xBD\"");
    JsonWriter w;
    w.begin_array()
        .number(std::numeric_limits<double>::infinity())
        .number(std::int64_t{-5})
        .end_array();
    BOOST_TEST(w.str() == "[null,-5]");
    // Whole numbers read as integers, fractions in their shortest form.
    JsonWriter n;
    n.begin_array().number(30.0).number(-2.0).number(0.0).number(170.5).number(1e-9).end_array();
    BOOST_TEST(n.str() == "[30,-2,0,170.5,1e-09]");
}

// Keys and values written in place read as json_quote() says, plain runs and escapes mixed.
BOOST_AUTO_TEST_CASE(keys_and_strings_are_quoted_in_place_as_json_quote_quotes) {
    std::vector<std::string> const texts = {"",         "plain-1.2.3",   "a\"b",     "end\\",
                                            "\x7f\x01", "mix café\n ok", "\xff\xfe", "x\xe2\x82"};
    for (auto const& t : texts) {
        JsonWriter w;
        w.begin_object().field(t, t).end_object();
        BOOST_TEST(w.str() == "{" + json_quote(t) + ":" + json_quote(t) + "}");
    }
    BOOST_TEST(json_quote("a\x7f"
                          "b") == "\"a\x7f"
                                  "b\"");
    BOOST_TEST(json_quote("mix café\n ok") == "\"mix café\\n ok\"");
    BOOST_TEST(json_quote("x\xe2\x82") == "\"x\xEF\xBF\xBD\xEF\xBF\xBD\"");
}
