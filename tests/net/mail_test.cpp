#define BOOST_TEST_MODULE mail
#include <boost/test/unit_test.hpp>

// Message building, pure: headers from checked values only (CR/LF refused), RFC 2047 subjects,
// quoted-printable bodies within line limits, multipart/alternative structure.
// (tests/net/smtp_test.cpp has Python's email package read what this builds.)

#include "net/mail.hpp"

#include <sstream>

using namespace pinwatch;
using namespace pinwatch::net;

namespace {

Message sample() {
    Message m;
    m.from = *parse_mailbox("pinwatch <pinwatch@example.com>");
    m.to = {*parse_mailbox("dev-team@example.com"), *parse_mailbox("Ops <ops@example.com>")};
    m.subject = "pinwatch: requests 2.32.0 (minor)";
    m.text = "requests 2.32.0 released\n";
    m.html = "<p>requests 2.32.0 released</p>\n";
    m.headers = {{"X-Pinwatch-Event-Ids", "evt_1, evt_2"}};
    m.date = 1787331457;
    m.message_id = "<0123456789abcdef@example.com>";
    return m;
}

std::vector<std::string> lines_of(std::string const& s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < s.size()) {
        auto end = s.find("\r\n", start);
        BOOST_REQUIRE_MESSAGE(end != std::string::npos, "text does not end in CRLF");
        out.push_back(s.substr(start, end - start));
        start = end + 2;
    }
    return out;
}

// Every line break is CRLF: no bare CR, no bare LF (SMTP smuggling).
bool only_crlf(std::string const& s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\r' && (i + 1 >= s.size() || s[i + 1] != '\n')) return false;
        if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) return false;
    }
    return true;
}

std::string header_block(std::string const& message) {
    return message.substr(0, message.find("\r\n\r\n") + 2);
}

bool contains(std::string const& s, std::string_view needle) {
    return s.find(needle) != std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_CASE(dates_are_rfc5322_in_utc) {
    BOOST_TEST(format_date(0) == "Thu, 01 Jan 1970 00:00:00 +0000");
    BOOST_TEST(format_date(1787331457) == "Fri, 21 Aug 2026 16:57:37 +0000");
}

BOOST_AUTO_TEST_CASE(message_ids_are_random_at_the_sender_domain) {
    auto a = new_message_id("example.com");
    auto b = new_message_id("example.com");
    BOOST_TEST(a != b);
    BOOST_TEST(a.size() == 1 + 32 + 1 + 11 + 1);
    BOOST_TEST(a.front() == '<');
    BOOST_TEST(contains(a, "@example.com>"));
    Message m = sample();
    m.date.reset();
    m.message_id.clear();
    stamp(m);
    BOOST_TEST(m.date.has_value());
    BOOST_TEST(contains(m.message_id, "@example.com>"));
}

BOOST_AUTO_TEST_CASE(a_whole_message) {
    auto built = build_message(sample());
    BOOST_REQUIRE_MESSAGE(built.has_value(), (built ? std::string() : built.error()));
    BOOST_TEST(only_crlf(*built));
    auto const headers = header_block(*built);
    BOOST_TEST(headers == "Date: Fri, 21 Aug 2026 16:57:37 +0000\r\n"
                          "From: pinwatch <pinwatch@example.com>\r\n"
                          "To: <dev-team@example.com>, Ops <ops@example.com>\r\n"
                          "Subject: pinwatch: requests 2.32.0 (minor)\r\n"
                          "Message-ID: <0123456789abcdef@example.com>\r\n"
                          "MIME-Version: 1.0\r\n"
                          "X-Pinwatch-Event-Ids: evt_1, evt_2\r\n"
                          "Content-Type: multipart/alternative;\r\n"
                          " boundary=\"=_pinwatch_" +
                              std::string(headers.substr(headers.find("=_pinwatch_") + 11, 16)) +
                              "\"\r\n");
    BOOST_TEST(contains(*built, "Content-Type: text/plain; charset=UTF-8\r\n"
                                "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
                                "requests 2.32.0 released\r\n"));
    BOOST_TEST(contains(*built, "Content-Type: text/html; charset=UTF-8\r\n"
                                "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
                                "<p>requests 2.32.0 released</p>\r\n"));
    BOOST_TEST(built->ends_with("--\r\n"));
    for (auto const& line : lines_of(*built))
        BOOST_TEST(line.size() <= 78u, line);
}

BOOST_AUTO_TEST_CASE(text_only_is_a_single_part) {
    Message m = sample();
    m.html.clear();
    auto built = build_message(m);
    BOOST_REQUIRE(built);
    BOOST_TEST(!contains(*built, "multipart"));
    BOOST_TEST(contains(*built, "Content-Type: text/plain; charset=UTF-8\r\n"));
}

BOOST_AUTO_TEST_CASE(cr_or_lf_in_any_header_value_is_refused) {
    auto refused = [](Message const& m) {
        auto built = build_message(m);
        if (built) BOOST_TEST_MESSAGE("unexpectedly built:\n" << *built);
        return !built;
    };
    Message m = sample();
    m.subject = "hello\r\nBcc: evil@example.net";
    BOOST_TEST(refused(m));
    BOOST_TEST(build_message(m).error() == "Subject: CR, LF or NUL in a header value is refused");
    m.subject = "lone\nLF";
    BOOST_TEST(refused(m));
    m.subject = "lone\rCR";
    BOOST_TEST(refused(m));
    m.subject = std::string("nul\0x", 5);
    BOOST_TEST(refused(m));

    m = sample();
    m.headers = {{"X-Pinwatch-Event-Ids", "evt_1\r\nBcc: evil@example.net"}};
    BOOST_TEST(refused(m));
    m.headers = {{"Bcc", "evil@example.net"}};
    BOOST_TEST(refused(m));
    m.headers = {{"Content-Type", "text/evil"}};
    BOOST_TEST(refused(m));
    m.headers = {{"X-Bad Name", "v"}};
    BOOST_TEST(refused(m));

    m = sample();
    m.from.display_name = "pinwatch\r\nBcc: evil@example.net";
    BOOST_TEST(refused(m));
    m = sample();
    m.to[1].display_name = "x\ny";
    BOOST_TEST(refused(m));
    m = sample();
    m.to[0].address = "a@example.com>\r\nBcc: <evil@example.net";
    BOOST_TEST(refused(m));
    m = sample();
    m.message_id = "<a@b>\r\nBcc: x";
    BOOST_TEST(refused(m));
    m = sample();
    m.to.clear();
    BOOST_TEST(refused(m));
}

BOOST_AUTO_TEST_CASE(non_ascii_subjects_become_encoded_words) {
    auto v = encode_header_text("Subject", "pinwatch: ünïcode ✓ release");
    BOOST_REQUIRE(v);
    BOOST_TEST(v->starts_with("=?UTF-8?B?"));
    BOOST_TEST(*v == "=?UTF-8?B?cGlud2F0Y2g6IMO8bsOvY29kZSDinJMgcmVsZWFzZQ==?=");

    // Long text: several encoded-words, none over 75 characters, lines of at most 76, and no
    // character split between two words (each word decodes to valid UTF-8 on its own).
    std::string long_subject;
    for (int i = 0; i < 20; ++i)
        long_subject += "ünïcödé ✓ ";
    auto w = encode_header_text("Subject", long_subject);
    BOOST_REQUIRE(w);
    std::istringstream in("Subject: " + *w);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        BOOST_TEST(line.size() <= 76u, line);
        ++n;
    }
    BOOST_TEST(n > 3);
    std::size_t at = 0;
    while ((at = w->find("=?", at)) != std::string::npos) {
        auto end = w->find("?=", at + 10);
        BOOST_TEST(end - at + 2 <= 75u);
        at = end;
    }

    // Plain ASCII stays readable and is folded at blanks.
    auto p = encode_header_text("Subject", std::string(30, 'a') + " " + std::string(30, 'b') + " " +
                                               std::string(30, 'c'));
    BOOST_REQUIRE(p);
    BOOST_TEST(*p ==
               std::string(30, 'a') + " " + std::string(30, 'b') + "\r\n " + std::string(30, 'c'));
    // Text that would read as an encoded-word is encoded itself.
    BOOST_TEST(encode_header_text("Subject", "=?UTF-8?B?aGk=?=")->starts_with("=?UTF-8?B?"));
    // Control characters (ESC) are not sent raw either.
    BOOST_TEST(encode_header_text("Subject", "a\x1b[2Jb")->starts_with("=?UTF-8?B?"));
}

BOOST_AUTO_TEST_CASE(non_ascii_display_names) {
    Message m = sample();
    m.from.display_name = "Zoë";
    m.to = {*parse_mailbox("\"Ops, night\" <ops@example.com>")};
    auto built = build_message(m);
    BOOST_REQUIRE(built);
    BOOST_TEST(contains(*built, "From: =?UTF-8?B?Wm/Dqw==?= <pinwatch@example.com>\r\n"));
    BOOST_TEST(contains(*built, "To: \"Ops, night\" <ops@example.com>\r\n"));
}

BOOST_AUTO_TEST_CASE(quoted_printable_bodies) {
    BOOST_TEST(quoted_printable("a=b") == "a=3Db\r\n");
    BOOST_TEST(quoted_printable("é") == "=C3=A9\r\n");
    BOOST_TEST(quoted_printable("x \ny\t\r\nz") == "x=20\r\ny=09\r\nz\r\n");
    BOOST_TEST(quoted_printable("one\rtwo\n\nthree\n") == "one\r\ntwo\r\n\r\nthree\r\n");
    BOOST_TEST(quoted_printable(".\n..x\n") == ".\r\n..x\r\n"); // SMTP dot-stuffs, not QP
    BOOST_TEST(quoted_printable("") == "");

    std::string const long_line(200, 'a');
    auto const qp = quoted_printable(long_line + "=" + long_line);
    std::string decoded;
    for (auto const& line : lines_of(qp)) {
        BOOST_TEST(line.size() <= 76u);
        if (line.ends_with("="))
            decoded += line.substr(0, line.size() - 1);
        else
            decoded += line;
    }
    BOOST_TEST(decoded == long_line + "=3D" + long_line);
}

BOOST_AUTO_TEST_CASE(long_recipient_lists_are_folded) {
    Message m = sample();
    m.to.clear();
    for (int i = 0; i < 12; ++i)
        m.to.push_back(*parse_mailbox("team-" + std::to_string(i) + "@example.com"));
    auto built = build_message(m);
    BOOST_REQUIRE(built);
    for (auto const& line : lines_of(header_block(*built)))
        BOOST_TEST(line.size() <= 78u, line);
    BOOST_TEST(contains(*built, "<team-11@example.com>\r\n"));
}
