#define BOOST_TEST_MODULE mailbox
#include <boost/test/unit_test.hpp>

// Addresses as the config writes them: parsed once, refused with a reason when malformed.

#include "common/mailbox.hpp"
#include "common/text.hpp"

using namespace pinwatch;

namespace {

std::string error_of(std::string_view text) {
    auto m = parse_mailbox(text);
    return m ? std::string("ok") : m.error();
}

} // namespace

BOOST_AUTO_TEST_CASE(accepted_forms) {
    auto a = parse_mailbox("pinwatch <pinwatch@example.com>");
    BOOST_REQUIRE(a);
    BOOST_TEST(a->display_name == "pinwatch");
    BOOST_TEST(a->address == "pinwatch@example.com");
    BOOST_TEST(a->domain() == "example.com");

    auto b = parse_mailbox("  ops@example.com ");
    BOOST_REQUIRE(b);
    BOOST_TEST(b->display_name.empty());
    BOOST_TEST(b->address == "ops@example.com");

    auto c = parse_mailbox("\"Ops, \\\"night\\\" shift\" <ops+night@mail.example.com>");
    BOOST_REQUIRE(c);
    BOOST_TEST(c->display_name == "Ops, \"night\" shift");
    BOOST_TEST(c->address == "ops+night@mail.example.com");

    auto d = parse_mailbox("Zoë Ünïcode <z@[192.0.2.1]>");
    BOOST_REQUIRE(d);
    BOOST_TEST(d->display_name == "Zoë Ünïcode");
    BOOST_TEST(d->domain() == "[192.0.2.1]");

    BOOST_TEST(error_of("<x@example.com>") == "ok");
}

BOOST_AUTO_TEST_CASE(refused_forms) {
    BOOST_TEST(error_of("") == "empty address");
    BOOST_TEST(error_of("nobody") == "the address has no '@'");
    BOOST_TEST(error_of("a@b.com\r\nBcc: evil@x.com") ==
               "control characters (such as CR or LF) are not allowed");
    BOOST_TEST(error_of("Name <a@b.com") == "'<' without '>' (expected \"Name <local@domain>\")");
    BOOST_TEST(error_of("a b@example.com") ==
               "the address may hold only printable ASCII characters, no blanks");
    BOOST_TEST(error_of("@example.com") ==
               "invalid local part before '@' (quoted local parts are not supported)");
    BOOST_TEST(error_of("a..b@example.com") ==
               "invalid local part before '@' (quoted local parts are not supported)");
    BOOST_TEST(error_of("a@-example.com") == "invalid domain after '@'");
    BOOST_TEST(error_of("a@example..com") == "invalid domain after '@'");
    BOOST_TEST(error_of("a@[300.1.1.1]") == "invalid domain after '@'");
    BOOST_TEST(error_of("x <a@b.com> <c@d.com>") ==
               "the display name holds '<', '>' or '\"' (quote it)");
    BOOST_TEST(error_of("bad\xff <a@b.com>") == "not valid UTF-8");
    BOOST_TEST(error_of("\"open <a@b.com>") ==
               "the display name holds '<', '>' or '\"' (quote it)");
}

BOOST_AUTO_TEST_CASE(html_escaping) {
    BOOST_TEST(html_escape("<script>alert('x')</script> & \"q\"") ==
               "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
    BOOST_TEST(html_escape("plain ü") == "plain ü");
}
