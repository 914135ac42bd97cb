#define BOOST_TEST_MODULE describe
#include <boost/test/unit_test.hpp>

#include "notifiers/console/console.hpp"

using namespace pinwatch;
using namespace pinwatch::notifiers;

BOOST_AUTO_TEST_CASE(untrusted_text_cannot_drive_a_terminal) {
    BOOST_TEST(sanitize_text("plain 1.0 — ünïcode ✓") == "plain 1.0 — ünïcode ✓");
    BOOST_TEST(sanitize_text("a\x1b[2Jb") == "a\\x1b[2Jb"); // ESC
    BOOST_TEST(sanitize_text("a\r\nb") == "a\\x0d\\x0ab");  // no new lines
    BOOST_TEST(sanitize_text("a\tb") == "a b");
    BOOST_TEST(sanitize_text("x\x7fy") == "x\\x7fy"); // DEL
    BOOST_TEST(sanitize_text("x\xc2\x9b"
                             "31my") == "x\\x9b31my");                            // C1 CSI
    BOOST_TEST(sanitize_text("evil\xe2\x80\xaetxt.exe") == "evil\\u202etxt.exe"); // RTL override
    BOOST_TEST(sanitize_text("bad\xff\xfe") == "bad\\xff\\xfe");                  // not UTF-8
    BOOST_TEST(sanitize_text("cut\xe2\x82") == "cut\\xe2\\x82");   // truncated sequence
    BOOST_TEST(sanitize_text("over\xc0\xaf") == "over\\xc0\\xaf"); // overlong '/'
}

BOOST_AUTO_TEST_CASE(console_lines_say_what_changed) {
    model::Event e;
    e.kind = model::EventKind::new_release;
    e.package = "requests";
    e.version = "3.0.0";
    e.update = model::UpdateType::major;
    e.allowed = false;
    e.pinned = "2.31.0";
    e.specifier = "==2.31.0";
    e.at = 1700000000;
    BOOST_TEST(
        ConsoleNotifier::render(e) ==
        "[2023-11-14 22:13:20Z] new_release requests 3.0.0 released — major (you pin 2.31.0), "
        "outside '==2.31.0'");
    e.kind = model::EventKind::pinned_yanked;
    e.version = "2.31.0";
    e.detail = "broken\x1b]52;c;payload\x07";
    BOOST_TEST(describe(e) ==
               "requests 2.31.0, the version you pin, was yanked: broken\\x1b]52;c;payload\\x07");
    e.kind = model::EventKind::new_release;
    e.version = "1.0";
    e.update = model::UpdateType::older;
    e.allowed = true;
    BOOST_TEST(describe(e).find("below your pin") != std::string::npos);
}
