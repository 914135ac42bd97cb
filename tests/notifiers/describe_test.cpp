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

namespace {
model::Event vulnerable() {
    model::Event e;
    e.kind = model::EventKind::vulnerability;
    e.package = "requests";
    e.version = "2.31.0";
    e.pinned = "2.31.0";
    e.specifier = "==2.31.0";
    model::Advisory a;
    a.id = "GHSA-9wx4-h78v-vm56";
    a.aliases = {"CVE-2024-35195"};
    a.summary = "verify=False sticks\x1b[2J";
    a.link = "https://osv.dev/vulnerability/GHSA-9wx4-h78v-vm56";
    a.fixed_in = {"2.32.0"};
    e.advisory = a;
    e.detail = a.summary;
    e.at = 1700000000;
    return e;
}
} // namespace

BOOST_AUTO_TEST_CASE(advisories_yanked_pins_and_python_drops_read_well) {
    auto e = vulnerable();
    BOOST_TEST(describe(e) ==
               "requests 2.31.0, the version you pin, is vulnerable: GHSA-9wx4-h78v-vm56 "
               "(CVE-2024-35195): verify=False sticks\\x1b[2J; fixed in 2.32.0; none is allowed by "
               "'==2.31.0' (change the requirement)");
    e.specifier = ">=2,<3";
    e.advisory->fix_allowed = "2.32.0";
    BOOST_TEST(describe(e).find("fixed in 2.32.0; 2.32.0 is allowed by '>=2,<3'") !=
               std::string::npos);
    e.advisory->fixed_in.clear();
    BOOST_TEST(describe(e).find("no fixed version published") != std::string::npos);

    e.kind = model::EventKind::vulnerability_withdrawn;
    e.detail = "withdrawn 2026-11-25T10:00:00Z";
    BOOST_TEST(describe(e) == "requests 2.31.0: advisory GHSA-9wx4-h78v-vm56 (CVE-2024-35195) no "
                              "longer applies: withdrawn 2026-11-25T10:00:00Z");

    model::Event y;
    y.kind = model::EventKind::pinned_yanked;
    y.package = "urllib3";
    y.version = "2.1.0";
    y.detail = "broken";
    y.alternatives = {"2.0.7", "2.1.1"};
    BOOST_TEST(describe(y) == "urllib3 2.1.0, the version you pin, was yanked: broken; nearest "
                              "non-yanked: 2.0.7, 2.1.1");
    y.alternatives.clear(); // none to offer: nothing said of them
    BOOST_TEST(describe(y) == "urllib3 2.1.0, the version you pin, was yanked: broken");

    model::Event n;
    n.kind = model::EventKind::new_release;
    n.package = "flask";
    n.version = "3.1.0";
    n.update = model::UpdateType::minor;
    n.requires_python = ">=3.12";
    n.drops_python = true;
    n.python = "3.11.2";
    BOOST_TEST(describe(n) ==
               "flask 3.1.0 released — minor, drops Python 3.11.2 (requires >=3.12)");
    n.drops_python = false;
    BOOST_TEST(describe(n) == "flask 3.1.0 released — minor");
}

BOOST_AUTO_TEST_CASE(github_events_and_release_note_links) {
    model::Event e;
    e.kind = model::EventKind::new_release;
    e.package = "requests";
    e.version = "2.33.0";
    e.update = model::UpdateType::minor;
    e.link = "https://github.com/psf/requests/releases/tag/v2.33.0";
    BOOST_TEST(describe(e) == "requests 2.33.0 released — minor; release notes: "
                              "https://github.com/psf/requests/releases/tag/v2.33.0");
    model::Event g;
    g.kind = model::EventKind::github_release;
    g.source = "github";
    g.package = "requests";
    g.version = "v2.34.0";
    g.detail = "Big \x1b[2J one; not on PyPI after 6 h";
    g.origin = "https://github.com/psf/requests/releases/tag/v2.34.0";
    BOOST_TEST(describe(g) == "requests v2.34.0 released on GitHub: Big \\x1b[2J one; not on PyPI "
                              "after 6 h (https://github.com/psf/requests/releases/tag/v2.34.0)");
    g.kind = model::EventKind::issue_spike;
    g.detail = "20 new issues in 24 h (usually 2.0 a day, p = 1e-09)";
    BOOST_TEST(describe(g) == "requests: a spike of new GitHub issues: 20 new issues in 24 h "
                              "(usually 2.0 a day, p = 1e-09)");
    g.kind = model::EventKind::issue_spike_over;
    g.detail = "2 new issues in 24 h (usually 2.0 a day)";
    BOOST_TEST(describe(g).find("back to their usual rate") != std::string::npos);
}
