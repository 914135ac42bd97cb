#define BOOST_TEST_MODULE base64
#include <boost/test/unit_test.hpp>

#include "common/base64.hpp"

using namespace pinwatch;

BOOST_AUTO_TEST_CASE(rfc_4648_vectors) {
    // RFC 4648 section 10, with and without padding.
    BOOST_TEST(base64_decode("").value() == "");
    BOOST_TEST(base64_decode("Zg==").value() == "f");
    BOOST_TEST(base64_decode("Zm8=").value() == "fo");
    BOOST_TEST(base64_decode("Zm9v").value() == "foo");
    BOOST_TEST(base64_decode("Zm9vYg==").value() == "foob");
    BOOST_TEST(base64_decode("Zm9vYmE=").value() == "fooba");
    BOOST_TEST(base64_decode("Zm9vYmFy").value() == "foobar");
    BOOST_TEST(base64_decode("Zg").value() == "f");
    BOOST_TEST(base64_decode("Zm8").value() == "fo");
    BOOST_TEST(base64_decode("+/+/").value() == "\xfb\xff\xbf");
}

BOOST_AUTO_TEST_CASE(anything_else_is_refused) {
    BOOST_TEST(!base64_decode("Z").has_value());          // 6 bits
    BOOST_TEST(!base64_decode("Zm9v!").has_value());      // outside the alphabet
    BOOST_TEST(!base64_decode("Zm 9v").has_value());      // blanks
    BOOST_TEST(!base64_decode("Zg=").has_value());        // padding that does not complete
    BOOST_TEST(!base64_decode("Z===").has_value());       // too much padding
    BOOST_TEST(!base64_decode("Zg==Zg==").has_value());   // padding in the middle
    BOOST_TEST(!base64_decode("Zh==").has_value());       // non-zero trailing bits
    BOOST_TEST(!base64_decode("Zm9vYmFy_-").has_value()); // the URL-safe alphabet is not base64
}
