#define BOOST_TEST_MODULE email_test
#include <boost/test/unit_test.hpp>

// The email notifier: pure rendering (subject, text and HTML parts, event ids; hostile text
// from an index stays text), then delivery end to end through a real SMTP server (aiosmtpd)
// on 127.0.0.1, built from a TOML config through the registry.

#include "config/config.hpp"
#include "net/http.hpp"
#include "notifiers/email/email.hpp"
#include "notifiers/registry.hpp"
#include "tests/fakes/smtp_fake.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <sstream>

namespace asio = boost::asio;
using namespace pinwatch;
using namespace pinwatch::notifiers;
using namespace pinwatch::test;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr char const* kPassword = "s3cret-Pa55word";

bool contains(std::string const& s, std::string_view needle) {
    return s.find(needle) != std::string::npos;
}

Event release(std::string id = "evt_0001") {
    Event e;
    e.id = std::move(id);
    e.kind = model::EventKind::new_release;
    e.source = "pypi";
    e.package = "requests";
    e.origin = "https://pypi.org/simple/requests/";
    e.version = "2.32.0";
    e.update = model::UpdateType::minor;
    e.allowed = false;
    e.pinned = "2.31.0";
    e.specifier = "==2.31.0";
    e.at = 1700000000;
    return e;
}

Event hostile_yank() {
    Event e;
    e.id = "evt_0002";
    e.kind = model::EventKind::pinned_yanked;
    e.source = "pypi";
    e.package = "urllib3";
    e.version = "2.0.0";
    e.pinned = "2.0.0";
    e.detail = "broken\r\nBcc: x@evil.example\r\n\r\n<script>alert('x')</script>";
    e.at = 1700000100;
    return e;
}

EmailSettings settings() {
    EmailSettings s;
    s.name = "ops-mail";
    s.from = *parse_mailbox("pinwatch <pinwatch@example.com>");
    s.to = {*parse_mailbox("dev-team@example.com"), *parse_mailbox("ops@example.com")};
    return s;
}

std::string header_block(std::string const& message) {
    return message.substr(0, message.find("\r\n\r\n") + 2);
}

std::string built(net::Message m) {
    m.date = 1700000000;
    m.message_id = "<test@example.com>";
    auto b = net::build_message(m);
    BOOST_REQUIRE_MESSAGE(b.has_value(), (b ? std::string() : b.error()));
    return *b;
}

void rethrow(std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
}

Delivery deliver(Notifier& n, std::vector<Event> const& events) {
    asio::io_context ioc;
    std::optional<Delivery> out;
    asio::co_spawn(
        ioc, [&]() -> asio::awaitable<void> { out = co_await n.deliver(events); }, rethrow);
    auto const give_up = Clock::now() + 30s; // a failure bound only
    while (!out && Clock::now() < give_up)
        if (ioc.run_one_until(give_up) == 0 && ioc.stopped()) break;
    BOOST_REQUIRE_MESSAGE(out.has_value(), "delivery did not finish");
    return *out;
}

std::string status(Delivery const& d) {
    switch (d.status) {
    case Delivery::Status::delivered:
        return "delivered";
    case Delivery::Status::retry:
        return "retry: " + d.error;
    case Delivery::Status::failed:
        return "failed: " + d.error;
    }
    return "?";
}

// The notifier as the daemon builds it: from TOML, through the registry.
Result<std::unique_ptr<Notifier>> from_config(std::string const& table,
                                              NotifierContext const& ctx) {
    auto cfg = config::parse_config("requirements = [\"r.txt\"]\n" + table, "/tmp/p.toml", {},
                                    channel_readers());
    if (!cfg) {
        std::string all;
        for (auto const& e : cfg.error())
            all += e.str() + "\n";
        return fail(all);
    }
    BOOST_REQUIRE_EQUAL(cfg->notifiers.size(), 1u);
    return make_notifier(cfg->notifiers[0], ctx);
}

std::string email_table(std::uint16_t port, std::string const& password_ref) {
    return "[notifiers.ops-mail]\ntype = \"email\"\nsmtp_url = \"smtp://localhost:" +
           std::to_string(port) + "\"\nusername = \"pinwatch\"\npassword = \"" + password_ref +
           "\"\nfrom = \"pinwatch <pinwatch@example.com>\"\n"
           "to = [\"dev-team@example.com\", \"ops@example.com\"]\n";
}

// Test secrets: "literal:" references only, the rest refused.
Result<std::string> test_resolver(std::string const& ref) {
    if (ref.starts_with("test:")) return ref.substr(5);
    return fail("unknown reference " + ref.substr(0, ref.find(':')));
}

} // namespace

// --- rendering -------------------------------------------------------------------------------

// The subject is the batch header (#18): what matters most leads, the rest counted.
BOOST_AUTO_TEST_CASE(subjects_name_the_first_event_and_count_the_rest) {
    std::vector<Event> one{release()};
    BOOST_TEST(EmailNotifier::subject(one) == "pinwatch: requests 2.32.0 (minor)");
    std::vector<Event> three{release(), hostile_yank(), release("evt_0003")};
    BOOST_TEST(EmailNotifier::subject(three) ==
               "pinwatch: urllib3 2.0.0 yanked (your pin) and 2 more");
    std::vector<Event> releases{release(), release("evt_0003")};
    BOOST_TEST(EmailNotifier::subject(releases) == "pinwatch: requests 2.32.0 (minor) and 1 more");
    std::vector<Event> yank{hostile_yank()};
    BOOST_TEST(EmailNotifier::subject(yank) == "pinwatch: urllib3 2.0.0 yanked (your pin)");
}

BOOST_AUTO_TEST_CASE(the_body_lists_each_event) {
    EmailNotifier n(settings());
    std::vector<Event> events{release(), hostile_yank()};
    auto m = n.render(events);
    BOOST_TEST(m.from.address == "pinwatch@example.com");
    BOOST_TEST(m.to.size() == 2u);
    BOOST_TEST_MESSAGE(m.text);
    BOOST_TEST(contains(m.text, "pinwatch noticed 2 changes."));
    BOOST_TEST(contains(m.text, "requests 2.32.0 released — minor (you pin 2.31.0), outside "
                                "'==2.31.0'"));
    BOOST_TEST(contains(m.text, "  Package: requests\n"));
    BOOST_TEST(contains(m.text, "  Pinned → new: 2.31.0 → 2.32.0\n"));
    BOOST_TEST(contains(m.text, "  Update: minor\n"));
    BOOST_TEST(contains(m.text, "  Allowed: no, outside '==2.31.0'\n"));
    BOOST_TEST(contains(m.text, "  Seen at: https://pypi.org/simple/requests/\n"));
    BOOST_TEST(contains(m.text, "  Version: 2.0.0 (your pin)\n"));
    BOOST_TEST(contains(m.text, "  Yank reason: broken"));
    // The ids once at the end (#18), not per event.
    BOOST_TEST(!contains(m.text, "  Event id: "));
    BOOST_TEST(contains(m.text, "\nEvent ids: evt_0001, evt_0002 · "));
    BOOST_TEST(
        contains(m.html, "<th align=\"left\">Allowed</th><td>no, outside &#39;==2.31.0&#39;"));
    BOOST_TEST(m.headers.size() == 1u);
    BOOST_TEST(m.headers[0].first == "X-Pinwatch-Event-Ids");
    BOOST_TEST(m.headers[0].second == "evt_0001, evt_0002");

    auto allowed = release();
    allowed.allowed = true;
    allowed.specifier = ">=2.31";
    std::vector<Event> ok{allowed};
    BOOST_TEST(contains(n.render(ok).text, "  Allowed: yes, by '>=2.31'\n"));
}

BOOST_AUTO_TEST_CASE(a_hostile_yank_reason_stays_in_the_body) {
    EmailNotifier n(settings());
    std::vector<Event> events{hostile_yank()};
    auto const message = built(n.render(events));
    auto const headers = header_block(message);
    BOOST_TEST_MESSAGE(message);
    // No header of its own, and the header block is the builder's alone.
    BOOST_TEST(!contains(headers, "Bcc"));
    BOOST_TEST(!contains(ascii_lower(headers), "bcc:"));
    std::istringstream lines(headers);
    std::string line;
    std::vector<std::string> names;
    while (std::getline(lines, line))
        if (!line.empty() && line[0] != ' ' && line != "\r")
            names.push_back(line.substr(0, line.find(':')));
    BOOST_TEST((names == std::vector<std::string>{"Date", "From", "To", "Subject", "Message-ID",
                                                  "MIME-Version", "X-Pinwatch-Event-Ids",
                                                  "Content-Type"}));
    // The reason is there, as visible text.
    auto m = n.render(events);
    BOOST_TEST(contains(m.text, "Yank reason: broken\\x0d\\x0aBcc: x@evil.example\\x0d\\x0a"));
    // <script> is text in the HTML part, never markup.
    BOOST_TEST(!contains(m.html, "<script>"));
    BOOST_TEST(contains(m.html, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
}

BOOST_AUTO_TEST_CASE(hostile_versions_cannot_reach_the_subject_raw) {
    auto e = release();
    e.version = "9.9\r\nBcc: x@evil.example";
    std::vector<Event> events{e};
    auto const subject = EmailNotifier::subject(events);
    BOOST_TEST(!contains(subject, "\r"));
    BOOST_TEST(!contains(subject, "\n"));
    auto const message = built(EmailNotifier(settings()).render(events));
    BOOST_TEST(!contains(header_block(message), "\r\nBcc"));
}

BOOST_AUTO_TEST_CASE(non_ascii_subjects_are_rfc2047_encoded) {
    auto e = release();
    e.version = "3.0-β";
    std::vector<Event> events{e};
    auto const message = built(EmailNotifier(settings()).render(events));
    BOOST_TEST(contains(header_block(message), "Subject: =?UTF-8?B?"));
    BOOST_TEST(contains(header_block(message),
                        "=?UTF-8?B?" + net::base64_encode("pinwatch: requests 3.0-β (minor)")));
}

BOOST_AUTO_TEST_CASE(event_ids_header_holds_only_token_characters) {
    std::vector<Event> events{release("evt_1"), release("evt 2\r\nX-Evil: 1"), release("")};
    auto m = EmailNotifier(settings()).render(events);
    BOOST_REQUIRE_EQUAL(m.headers.size(), 1u);
    BOOST_TEST(m.headers[0].second == "evt_1, evt2X-Evil:1");
}

// --- building from the config ----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(the_password_reference_goes_through_the_injected_resolver) {
    std::ostringstream console;
    auto no_resolver = from_config(email_table(2525, "env:SMTP_PASSWORD"), {console});
    BOOST_REQUIRE(!no_resolver);
    BOOST_TEST(no_resolver.error() ==
               "notifier 'ops-mail': key 'password': no secret resolver is available to read it");

    NotifierContext ctx{console, nullptr, test_resolver};
    auto refused = from_config(email_table(2525, "env:SMTP_PASSWORD"), ctx);
    BOOST_REQUIRE(!refused);
    BOOST_TEST(refused.error() == "notifier 'ops-mail': key 'password': unknown reference env");

    auto made = from_config(email_table(2525, "test:pw"), ctx);
    BOOST_REQUIRE_MESSAGE(made.has_value(), (made ? std::string() : made.error()));
    BOOST_TEST((*made)->name() == "ops-mail");

    NotifierContext bad_ca{console, nullptr, test_resolver, std::string("/nonexistent/ca.pem")};
    auto no_ca = from_config(email_table(2525, "test:pw"), bad_ca);
    BOOST_REQUIRE(!no_ca);
    BOOST_TEST(contains(no_ca.error(), "notifier 'ops-mail': extra_ca_file /nonexistent/ca.pem"));
}

// --- delivery through a real SMTP server -----------------------------------------------------

BOOST_AUTO_TEST_CASE(delivered_end_to_end_through_aiosmtpd) {
    SmtpFake server({.user = "pinwatch", .password = kPassword});
    std::ostringstream console;
    NotifierContext ctx{console, nullptr, test_resolver, server.ca_file()};
    auto made = from_config(email_table(server.port(), std::string("test:") + kPassword), ctx);
    BOOST_REQUIRE_MESSAGE(made.has_value(), (made ? std::string() : made.error()));
    auto& notifier = **made;

    std::vector<Event> events{release(), hostile_yank()};
    auto const d = deliver(notifier, events);
    BOOST_REQUIRE_MESSAGE(d.status == Delivery::Status::delivered, status(d));

    auto got = server.messages();
    BOOST_REQUIRE_EQUAL(got.size(), 1u);
    auto const& m = got[0];
    BOOST_TEST(m.tls);
    BOOST_TEST(m.login.value_or("") == "pinwatch");
    BOOST_TEST(m.mail_from == "pinwatch@example.com");
    BOOST_TEST((m.rcpt_tos == std::vector<std::string>{"dev-team@example.com", "ops@example.com"}));
    BOOST_TEST(m.defects.empty());
    BOOST_TEST(m.header("Subject").value_or("") ==
               "pinwatch: urllib3 2.0.0 yanked (your pin) and 1 more");
    BOOST_TEST(m.header("X-Pinwatch-Event-Ids").value_or("") == "evt_0001, evt_0002");
    BOOST_TEST(m.count("Bcc") == 0u);
    // No header line is a Bcc (the random boundary and Message-ID may hold the hex "bcc").
    BOOST_TEST(
        !contains("\r\n" + ascii_lower(m.raw.substr(0, m.raw.find("\r\n\r\n"))), "\r\nbcc:"));
    auto text = m.parts.find("text/plain");
    auto html = m.parts.find("text/html");
    BOOST_REQUIRE(text != m.parts.end());
    BOOST_REQUIRE(html != m.parts.end());
    BOOST_TEST(contains(text->second, "Yank reason: broken\\x0d\\x0aBcc: x@evil.example"));
    BOOST_TEST(contains(text->second, "Pinned → new: 2.31.0 → 2.32.0"));
    BOOST_TEST(contains(html->second, "&lt;script&gt;"));
    BOOST_TEST(!contains(html->second, "<script>"));
}

// Issue #20 changed this: a refused password pauses the channel (auth_failed, the events kept
// for a retry) instead of failing the events for good.
BOOST_AUTO_TEST_CASE(a_wrong_password_pauses_the_channel_and_a_dead_server_is_retried) {
    SmtpFake server({.user = "pinwatch", .password = "the-right-one"});
    std::ostringstream console;
    NotifierContext ctx{console, nullptr, test_resolver, server.ca_file()};
    auto made = from_config(email_table(server.port(), std::string("test:") + kPassword), ctx);
    BOOST_REQUIRE(made.has_value());
    std::vector<Event> events{release()};
    auto const d = deliver(**made, events);
    BOOST_TEST_MESSAGE(status(d));
    BOOST_TEST((d.status == Delivery::Status::retry));
    BOOST_TEST(d.auth_failed);
    BOOST_TEST(contains(d.error, "email ops-mail: smtp localhost:"));
    BOOST_TEST(contains(d.error, "535"));
    BOOST_TEST(!contains(d.error, kPassword));
    BOOST_TEST(!contains(d.error, net::base64_encode(kPassword)));
    BOOST_TEST(server.messages().empty());

    auto down = from_config(email_table(unused_port(), "test:pw"), ctx);
    BOOST_REQUIRE(down.has_value());
    auto const r = deliver(**down, events);
    BOOST_TEST_MESSAGE(status(r));
    BOOST_TEST((r.status == Delivery::Status::retry));
    BOOST_TEST(!r.auth_failed);
}

BOOST_AUTO_TEST_CASE(an_advisory_and_a_yanked_pins_way_out_are_listed) {
    auto v = release("evt_v");
    v.kind = model::EventKind::vulnerability;
    v.version = "2.31.0";
    v.update.reset();
    v.allowed.reset();
    model::Advisory a;
    a.id = "GHSA-9wx4-h78v-vm56";
    a.aliases = {"CVE-2024-35195"};
    a.summary = "sticky verify";
    a.link = "https://osv.dev/vulnerability/GHSA-9wx4-h78v-vm56";
    a.fixed_in = {"2.32.0"};
    v.advisory = a;
    v.detail = a.summary;
    auto y = hostile_yank();
    y.alternatives = {"1.26.18", "2.0.1"};
    std::vector<Event> events{v, y};
    BOOST_TEST(EmailNotifier::subject(events) ==
               "pinwatch: requests 2.31.0 vulnerable (your pin): GHSA-9wx4-h78v-vm56 and 1 more");
    auto const m = EmailNotifier(settings()).render(events);
    BOOST_TEST(contains(m.text, "  Version: 2.31.0 (your pin)\n"));
    BOOST_TEST(contains(m.text, "  Advisory: GHSA-9wx4-h78v-vm56 (CVE-2024-35195)\n"));
    BOOST_TEST(contains(m.text, "  Summary: sticky verify\n"));
    BOOST_TEST(contains(m.text, "  Link: https://osv.dev/vulnerability/GHSA-9wx4-h78v-vm56\n"));
    BOOST_TEST(contains(m.text, "  Fix: fixed in 2.32.0; none is allowed by '==2.31.0'"));
    BOOST_TEST(contains(m.text, "  Nearest non-yanked: 1.26.18, 2.0.1\n"));
    BOOST_TEST(!contains(m.text, "  Detail: sticky verify"));
}

BOOST_AUTO_TEST_CASE(github_events_and_release_note_links_in_mail) {
    auto e = release();
    e.link = "https://github.com/psf/requests/releases/tag/v2.32.0";
    Event g = release("evt_gh");
    g.kind = model::EventKind::github_release;
    g.source = "github";
    g.version = "v2.33.0";
    g.update.reset();
    g.allowed.reset();
    g.pinned.reset();
    g.detail = "<b>notes</b>; not on PyPI after 6 h";
    g.origin = "https://github.com/psf/requests/releases/tag/v2.33.0";
    g.link = g.origin;
    Event s = g;
    s.id = "evt_spike";
    s.kind = model::EventKind::issue_spike;
    s.version.reset();
    std::vector<Event> events{g, e, s};
    BOOST_TEST(EmailNotifier::subject(events) ==
               "pinwatch: requests: GitHub issue spike and 2 more");
    std::vector<Event> spike{s};
    BOOST_TEST(EmailNotifier::subject(spike) == "pinwatch: requests: GitHub issue spike");
    auto m = EmailNotifier(settings()).render(events);
    BOOST_TEST(contains(m.text, "  Release notes: https://github.com/psf/requests/releases/tag/"
                                "v2.32.0\n"),
               m.text);
    BOOST_TEST(contains(m.text, "requests v2.33.0 released on GitHub"), m.text);
    BOOST_TEST(!contains(m.html, "<b>notes</b>"));
    BOOST_TEST(contains(m.html, "&lt;b&gt;notes&lt;/b&gt;"));
}

// Issue #20: a link shows the host it really goes to; userinfo in front of the host is dropped
// in both parts, so "osv.dev@" cannot pass for the host.
BOOST_AUTO_TEST_CASE(links_show_their_real_host_in_mail) {
    auto v = release("evt_v");
    v.kind = model::EventKind::vulnerability;
    v.version = "2.31.0";
    v.update.reset();
    v.allowed.reset();
    model::Advisory a;
    a.id = "GHSA-9wx4-h78v-vm56";
    a.summary = "<a href=\"https://evil.example\">osv.dev</a>";
    a.link = "https://osv.dev@evil.example/advisory";
    v.advisory = a;
    v.detail = a.summary;
    v.link = "https://pypi.org:x@evil.example/notes";
    std::vector<Event> events{v};
    auto const m = EmailNotifier(settings()).render(events);
    BOOST_TEST(contains(m.text, "  Link: https://evil.example/advisory\n"), m.text);
    BOOST_TEST(contains(m.text, "  Release notes: https://evil.example/notes\n"), m.text);
    BOOST_TEST(!contains(m.text, "osv.dev@"));
    BOOST_TEST(contains(m.html, "<tr><th align=\"left\">Link</th><td>https://evil.example/"
                                "advisory</td></tr>\n"),
               m.html);
    BOOST_TEST(contains(m.html, "<tr><th align=\"left\">Summary</th><td>&lt;a href=&quot;"
                                "https://evil.example&quot;&gt;osv.dev&lt;/a&gt;</td></tr>\n"),
               m.html);
    BOOST_TEST(!contains(m.html, "osv.dev@"));
    BOOST_TEST(!contains(m.html, "<a "));
}

BOOST_AUTO_TEST_CASE(a_hostile_project_status_reason_stays_text) {
    // PEP 792's reason is the index's free text: a quarantine arrives with CRLF, a header and
    // markup in it, and an unknown status word with the same.
    Event e;
    e.id = "evt_q";
    e.kind = model::EventKind::project_status;
    e.source = "pypi";
    e.package = "demo";
    e.at = 1700000100;
    e.project_status =
        model::ProjectStatus{"quarantined", "bad\r\nBcc: x@evil.example\r\n\r\n<script>x</script>"};
    e.detail = *e.project_status->reason;
    Event odd = e;
    odd.id = "evt_r";
    odd.project_status = model::ProjectStatus{"fro<b>zen\r\nBcc: y@evil.example", std::nullopt};
    odd.detail.clear();
    std::vector<Event> events{e, odd};
    EmailNotifier n(settings());
    auto const message = built(n.render(events));
    BOOST_TEST(!contains(ascii_lower(header_block(message)), "\r\nbcc"));
    BOOST_TEST(contains(EmailNotifier::subject(events), "demo QUARANTINED by the index"));
    auto const m = n.render(events);
    BOOST_TEST(contains(m.text, "Reason: bad\\x0d\\x0aBcc: x@evil.example"), m.text);
    BOOST_TEST(contains(m.text, "Status: quarantined"), m.text);
    BOOST_TEST(!contains(m.html, "<script>"));
    BOOST_TEST(!contains(m.html, "<b>"));
    BOOST_TEST(contains(m.html, "&lt;script&gt;"));
    BOOST_TEST(contains(m.html, "fro&lt;b&gt;zen"));
}
