#define BOOST_TEST_MODULE smtp_test
#include <boost/test/unit_test.hpp>

// The SMTP client against a real SMTP server (aiosmtpd, tests/fakes/smtp_server.py) on
// 127.0.0.1: STARTTLS and implicit TLS with certificate checks, AUTH PLAIN and LOGIN, several
// recipients, dot-stuffing; failures classified (temporary or permanent) and never showing the
// password. A few protocol faults aiosmtpd cannot produce come from a scripted server in this
// file. Tests wait on results; durations only bound failures.

#include "net/http.hpp"
#include "net/smtp.hpp"
#include "tests/fakes/smtp_fake.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <functional>

namespace asio = boost::asio;
using namespace pinwatch;
using namespace pinwatch::net;
using namespace pinwatch::test;
using namespace std::chrono_literals;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using SendResult = Result<void, SmtpError>;

namespace {

constexpr auto kBound = 30s; // only a failure bound: a broken client fails instead of hanging
constexpr char const* kUser = "pinwatch";
constexpr char const* kPassword = "s3cret-Pa55word";

std::string message_of(SendResult const& r) {
    return r ? std::string("ok")
             : std::string(to_string(r.error().kind)) + " (" + std::to_string(r.error().code) +
                   (r.error().temporary ? ", temporary" : ", permanent") +
                   "): " + r.error().message;
}

bool contains(std::string const& s, std::string_view needle) {
    return s.find(needle) != std::string::npos;
}

void rethrow(std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
}

struct Harness {
    asio::io_context ioc;

    void run_until(std::function<bool()> const& done) {
        if (ioc.stopped()) ioc.restart();
        auto const give_up = Clock::now() + kBound;
        while (!done() && Clock::now() < give_up)
            if (ioc.run_one_until(give_up) == 0 && ioc.stopped()) break;
        BOOST_REQUIRE_MESSAGE(done(), "did not finish within the failure bound");
    }

    SendResult run(asio::awaitable<SendResult> op) {
        std::optional<SendResult> out;
        asio::co_spawn(
            ioc, [&]() -> asio::awaitable<void> { out.emplace(co_await std::move(op)); }, rethrow);
        run_until([&] { return out.has_value(); });
        return std::move(*out);
    }
};

SmtpSettings settings_for(SmtpFake const& server, SmtpSecurity security) {
    SmtpSettings s;
    s.host = "localhost"; // the name in the certificate; it resolves to 127.0.0.1
    s.port = server.port();
    s.security = security;
    s.extra_ca_file = server.ca_file();
    s.step_timeout = 10s;
    s.helo_name = "client.test";
    return s;
}

SmtpSettings with_login(SmtpSettings s, std::string password = kPassword) {
    s.username = kUser;
    s.password = std::move(password);
    return s;
}

Message sample_message() {
    Message m;
    m.from = *parse_mailbox("pinwatch <pinwatch@example.com>");
    m.to = {*parse_mailbox("dev-team@example.com"), *parse_mailbox("Öps <ops@example.com>")};
    m.subject = "pinwatch: ünïcode ✓ requests 2.32.0";
    m.text = "requests 2.32.0 released\n.\n.leading dot\nend\n";
    m.html = "<p>requests 2.32.0 released</p>\n";
    m.headers = {{"X-Pinwatch-Event-Ids", "evt_1, evt_2"}};
    return m;
}

// Python's reading of a text part: its own line ends.
std::string lf(std::string s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i)
        if (!(s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n')) out += s[i];
    return out;
}

std::string part(ReceivedMail const& m, std::string const& type) {
    auto it = m.parts.find(type);
    return it == m.parts.end() ? "(no " + type + " part)" : it->second;
}

void require_secret_free(SendResult const& r) {
    BOOST_REQUIRE(!r);
    auto const& m = r.error().message;
    BOOST_TEST(!contains(m, kPassword), m);
    BOOST_TEST(!contains(m, base64_encode(kPassword)), m);
    BOOST_TEST(!contains(m, base64_encode(std::string("\0", 1) + kUser + std::string("\0", 1) +
                                          kPassword)),
               m);
}

} // namespace

#define REQUIRE_SENT(expr)                                                                         \
    do {                                                                                           \
        auto const& r_ = (expr);                                                                   \
        BOOST_REQUIRE_MESSAGE(r_.has_value(), message_of(r_));                                     \
    } while (false)

// --- successful dialogues ------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(starttls_with_auth_plain_to_several_recipients) {
    SmtpFake server({.user = kUser, .password = kPassword});
    Harness h;
    auto const msg = sample_message();
    REQUIRE_SENT(h.run(send(with_login(settings_for(server, SmtpSecurity::starttls)), msg)));

    auto got = server.messages();
    BOOST_REQUIRE_EQUAL(got.size(), 1u);
    auto const& m = got[0];
    BOOST_TEST(m.tls);
    BOOST_TEST(m.login.value_or("") == kUser);
    BOOST_TEST(m.mail_from == "pinwatch@example.com");
    BOOST_TEST((m.rcpt_tos == std::vector<std::string>{"dev-team@example.com", "ops@example.com"}));
    // What an independent MIME reader makes of it.
    BOOST_TEST(m.defects.empty());
    BOOST_TEST(m.content_type == "multipart/alternative");
    BOOST_TEST(m.header("Subject").value_or("") == msg.subject);
    BOOST_TEST(m.header("From").value_or("") == "pinwatch <pinwatch@example.com>");
    BOOST_TEST(m.header("To").value_or("") == "dev-team@example.com, Öps <ops@example.com>");
    BOOST_TEST(m.header("X-Pinwatch-Event-Ids").value_or("") == "evt_1, evt_2");
    BOOST_TEST(m.header("MIME-Version").value_or("") == "1.0");
    BOOST_TEST(contains(m.header("Message-ID").value_or(""), "@example.com>"));
    BOOST_TEST(m.header("Date").has_value());
    BOOST_TEST(lf(part(m, "text/plain")) == msg.text);
    BOOST_TEST(lf(part(m, "text/html")) == msg.html);
}

BOOST_AUTO_TEST_CASE(auth_login_when_the_server_offers_only_login) {
    SmtpFake server({.user = kUser, .password = kPassword, .mechanisms = "LOGIN"});
    Harness h;
    REQUIRE_SENT(
        h.run(send(with_login(settings_for(server, SmtpSecurity::starttls)), sample_message())));
    auto got = server.messages();
    BOOST_REQUIRE_EQUAL(got.size(), 1u);
    BOOST_TEST(got[0].login.value_or("") == kUser);
}

BOOST_AUTO_TEST_CASE(implicit_tls_from_the_first_byte) {
    SmtpFake server(
        {.mode = SmtpFakeOptions::Mode::implicit_tls, .user = kUser, .password = kPassword});
    Harness h;
    REQUIRE_SENT(h.run(
        send(with_login(settings_for(server, SmtpSecurity::implicit_tls)), sample_message())));
    auto got = server.messages();
    BOOST_REQUIRE_EQUAL(got.size(), 1u);
    BOOST_TEST(got[0].tls);
    BOOST_TEST(got[0].login.value_or("") == kUser);
}

BOOST_AUTO_TEST_CASE(plain_text_only_when_asked_and_without_auth) {
    SmtpFake server({.mode = SmtpFakeOptions::Mode::plain});
    Harness h;
    REQUIRE_SENT(h.run(send(settings_for(server, SmtpSecurity::plain), sample_message())));
    auto got = server.messages();
    BOOST_REQUIRE_EQUAL(got.size(), 1u);
    BOOST_TEST(!got[0].tls);

    // A username over plain text is refused before anything is sent.
    auto r = h.run(send(with_login(settings_for(server, SmtpSecurity::plain)), sample_message()));
    BOOST_REQUIRE(!r);
    BOOST_TEST(to_string(r.error().kind) == "unsupported", message_of(r));
    BOOST_TEST(!r.error().temporary);
    require_secret_free(r);
    BOOST_TEST(server.messages().size() == 1u);
}

BOOST_AUTO_TEST_CASE(dot_stuffing_and_crlf_line_ends) {
    SmtpFake server({.user = kUser, .password = kPassword});
    Harness h;
    // A lone "." would end DATA early and a leading '.' would be eaten without stuffing; bare
    // LF and bare CR must go out as CRLF.
    std::string const data = "Subject: dots\r\n\r\nfirst\r\n.\r\n.leading\r\n..two\nbare lf\n"
                             "bare cr\r.\rlast";
    Envelope env{"pinwatch@example.com", {"a@example.com", "b@example.com", "c@example.org"}};
    REQUIRE_SENT(
        h.run(send_raw(with_login(settings_for(server, SmtpSecurity::starttls)), env, data)));
    auto got = server.messages();
    BOOST_REQUIRE_EQUAL(got.size(), 1u);
    BOOST_TEST(got[0].raw == "Subject: dots\r\n\r\nfirst\r\n.\r\n.leading\r\n..two\r\nbare lf\r\n"
                             "bare cr\r\n.\r\nlast\r\n");
    BOOST_TEST(got[0].rcpt_tos == env.to);
}

// --- failures ------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(wrong_password_is_permanent_with_the_code_and_without_the_password) {
    SmtpFake server({.user = kUser, .password = "the-right-one"});
    Harness h;
    auto r =
        h.run(send(with_login(settings_for(server, SmtpSecurity::starttls)), sample_message()));
    BOOST_REQUIRE(!r);
    BOOST_TEST_MESSAGE(message_of(r));
    BOOST_TEST(to_string(r.error().kind) == "rejected");
    BOOST_TEST(r.error().code == 535);
    BOOST_TEST(!r.error().temporary);
    BOOST_TEST(contains(r.error().message, "AUTH PLAIN rejected: 535"));
    BOOST_TEST(contains(r.error().message, "localhost:" + std::to_string(server.port())));
    require_secret_free(r);
    BOOST_TEST(server.messages().empty());
}

BOOST_AUTO_TEST_CASE(a_server_echoing_the_credentials_cannot_put_them_in_the_error) {
    for (auto const* mechanisms : {"PLAIN", "LOGIN"}) {
        SmtpFake server({.user = kUser,
                         .password = "the-right-one",
                         .mechanisms = mechanisms,
                         .echo_credentials = true});
        Harness h;
        auto r =
            h.run(send(with_login(settings_for(server, SmtpSecurity::starttls)), sample_message()));
        BOOST_TEST_MESSAGE(message_of(r));
        require_secret_free(r);
        BOOST_TEST(r.error().code == 535);
        BOOST_TEST(contains(r.error().message, "[redacted]"));
    }
}

BOOST_AUTO_TEST_CASE(an_untrusted_certificate_is_a_tls_error) {
    SmtpFake server({.user = kUser, .password = kPassword});
    Harness h;
    auto s = with_login(settings_for(server, SmtpSecurity::starttls));
    s.extra_ca_file.reset(); // the throwaway CA is unknown to the system store
    auto r = h.run(send(s, sample_message()));
    BOOST_REQUIRE(!r);
    BOOST_TEST_MESSAGE(message_of(r));
    BOOST_TEST(to_string(r.error().kind) == "tls");
    BOOST_TEST(!r.error().temporary);
    BOOST_TEST(contains(r.error().message, "certificate verification failed"));
    require_secret_free(r);
    BOOST_TEST(server.messages().empty());

    SmtpFake implicit({.mode = SmtpFakeOptions::Mode::implicit_tls});
    auto si = settings_for(implicit, SmtpSecurity::implicit_tls);
    si.extra_ca_file.reset();
    auto ri = h.run(send(si, sample_message()));
    BOOST_REQUIRE(!ri);
    BOOST_TEST(to_string(ri.error().kind) == "tls", message_of(ri));
}

BOOST_AUTO_TEST_CASE(a_certificate_for_another_name_is_a_tls_error) {
    SmtpFake server({.wrong_name = true});
    Harness h;
    auto r = h.run(send(settings_for(server, SmtpSecurity::starttls), sample_message()));
    BOOST_REQUIRE(!r);
    BOOST_TEST(to_string(r.error().kind) == "tls", message_of(r));
    BOOST_TEST(contains(r.error().message, "does not match host name localhost"), message_of(r));
}

BOOST_AUTO_TEST_CASE(a_missing_extra_ca_file_is_a_permanent_tls_error) {
    SmtpFake server;
    Harness h;
    auto s = settings_for(server, SmtpSecurity::starttls);
    s.extra_ca_file = "/nonexistent/pinwatch-ca.pem";
    auto r = h.run(send(s, sample_message()));
    BOOST_REQUIRE(!r);
    BOOST_TEST(to_string(r.error().kind) == "tls", message_of(r));
    BOOST_TEST(contains(r.error().message, "/nonexistent/pinwatch-ca.pem"));
}

BOOST_AUTO_TEST_CASE(a_server_without_starttls_is_refused_not_used_in_plain_text) {
    SmtpFake server({.mode = SmtpFakeOptions::Mode::plain});
    Harness h;
    auto r =
        h.run(send(with_login(settings_for(server, SmtpSecurity::starttls)), sample_message()));
    BOOST_REQUIRE(!r);
    BOOST_TEST(to_string(r.error().kind) == "unsupported", message_of(r));
    BOOST_TEST(!r.error().temporary);
    BOOST_TEST(contains(r.error().message, "does not offer STARTTLS"));
    BOOST_TEST(server.messages().empty());
}

BOOST_AUTO_TEST_CASE(a_server_that_is_down_is_temporary) {
    Harness h;
    SmtpSettings s;
    s.host = "127.0.0.1";
    s.port = unused_port();
    s.step_timeout = 10s;
    auto r = h.run(send(s, sample_message()));
    BOOST_REQUIRE(!r);
    BOOST_TEST(to_string(r.error().kind) == "connect", message_of(r));
    BOOST_TEST(r.error().temporary);
    BOOST_TEST(contains(r.error().message, "127.0.0.1:" + std::to_string(s.port)));
}

BOOST_AUTO_TEST_CASE(an_invalid_recipient_never_reaches_the_wire) {
    SmtpFake server({.user = kUser, .password = kPassword});
    Harness h;
    Envelope env{"pinwatch@example.com", {"ok@example.com", "x@example.com>\r\nRCPT TO:<y@evil"}};
    auto r = h.run(
        send_raw(with_login(settings_for(server, SmtpSecurity::starttls)), env, "Subject: x\r\n"));
    BOOST_REQUIRE(!r);
    BOOST_TEST(to_string(r.error().kind) == "bad_message", message_of(r));
    BOOST_TEST(!r.error().temporary);
    BOOST_TEST(server.messages().empty());
}

// --- faults from a scripted server -----------------------------------------------------------

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Accepts one connection on 127.0.0.1, sends `greeting` (unless empty), then answers each line
// it reads with the next reply; keeps the connection open until the client closes it.
struct ScriptedServer {
    tcp::acceptor acceptor;
    std::vector<std::string> received;

    ScriptedServer(asio::io_context& ioc, std::string greeting, std::vector<std::string> replies)
        : acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
        asio::co_spawn(ioc, serve(std::move(greeting), std::move(replies)), rethrow);
    }
    std::uint16_t port() const { return acceptor.local_endpoint().port(); }

    asio::awaitable<void> serve(std::string greeting, std::vector<std::string> replies) {
        auto [aec, socket] = co_await acceptor.async_accept(use_tuple);
        if (aec) co_return;
        if (!greeting.empty())
            co_await asio::async_write(socket, asio::buffer(greeting), use_tuple);
        std::string in;
        for (std::size_t i = 0;; ++i) {
            auto [ec, n] =
                co_await asio::async_read_until(socket, asio::dynamic_buffer(in), "\n", use_tuple);
            if (ec) co_return;
            received.push_back(in.substr(0, n));
            in.erase(0, n);
            if (i < replies.size())
                co_await asio::async_write(socket, asio::buffer(replies[i]), use_tuple);
        }
    }
};

SmtpSettings scripted(ScriptedServer const& server, SmtpSecurity security) {
    SmtpSettings s;
    s.host = "127.0.0.1";
    s.port = server.port();
    s.security = security;
    s.helo_name = "client.test";
    s.step_timeout = 10s;
    return s;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_server_that_never_greets_times_out_as_temporary) {
    Harness h;
    ScriptedServer server(h.ioc, "", {});
    auto s = scripted(server, SmtpSecurity::plain);
    s.step_timeout = 200ms;
    auto r = h.run(send(s, sample_message()));
    BOOST_REQUIRE(!r);
    BOOST_TEST(to_string(r.error().kind) == "timeout", message_of(r));
    BOOST_TEST(r.error().temporary);
    BOOST_TEST(contains(r.error().message, "greeting"), message_of(r));
}

BOOST_AUTO_TEST_CASE(data_sent_with_the_starttls_reply_is_refused) {
    Harness h;
    ScriptedServer server(h.ioc, "220 hi\r\n",
                          {"250-smtp.test\r\n250 STARTTLS\r\n",
                           "220 go ahead\r\n250-injected\r\n250 AUTH PLAIN\r\n"});
    auto r = h.run(send(scripted(server, SmtpSecurity::starttls), sample_message()));
    BOOST_REQUIRE(!r);
    BOOST_TEST(to_string(r.error().kind) == "protocol", message_of(r));
    BOOST_TEST(contains(r.error().message, "after its STARTTLS reply"));
}

BOOST_AUTO_TEST_CASE(multi_line_replies_and_temporary_rejections) {
    Harness h;
    ScriptedServer server(h.ioc, "220-smtp.test first line\r\n220-second line\r\n220 ready\r\n",
                          {"250-smtp.test\r\n250-SIZE 1000\r\n250 8BITMIME\r\n", "250 2.1.0 ok\r\n",
                           "250 2.1.5 ok\r\n", "451-4.3.0 try again\r\n451 4.3.0 later, please\r\n",
                           "221 bye\r\n"});
    Envelope env{"pinwatch@example.com", {"a@example.com", "b@example.com"}};
    auto r = h.run(send_raw(scripted(server, SmtpSecurity::plain), env, "x"));
    BOOST_REQUIRE(!r);
    BOOST_TEST(to_string(r.error().kind) == "rejected", message_of(r));
    BOOST_TEST(r.error().code == 451);
    BOOST_TEST(r.error().temporary);
    BOOST_TEST(
        contains(r.error().message,
                 "RCPT TO:<b@example.com> rejected: 451 4.3.0 try again 4.3.0 later, please"),
        message_of(r));
    BOOST_REQUIRE(server.received.size() >= 4u);
    BOOST_TEST(server.received[0] == "EHLO client.test\r\n");
    BOOST_TEST(server.received[1] == "MAIL FROM:<pinwatch@example.com>\r\n");
    BOOST_TEST(server.received[2] == "RCPT TO:<a@example.com>\r\n");
    BOOST_TEST(server.received[3] == "RCPT TO:<b@example.com>\r\n");
}

BOOST_AUTO_TEST_CASE(helo_fallback_only_for_plain_text_without_auth) {
    Harness h;
    ScriptedServer server(h.ioc, "220 old server\r\n",
                          {"502 5.5.1 EHLO not implemented\r\n", "250 hello\r\n", "250 ok\r\n",
                           "250 ok\r\n", "354 go on\r\n", "", "250 queued\r\n", "221 bye\r\n"});
    Envelope env{"pinwatch@example.com", {"a@example.com"}};
    REQUIRE_SENT(
        h.run(send_raw(scripted(server, SmtpSecurity::plain), env, "Subject: x\r\n\r\nhi")));
    BOOST_REQUIRE(server.received.size() >= 6u);
    BOOST_TEST(server.received[1] == "HELO client.test\r\n");

    ScriptedServer strict(h.ioc, "220 old server\r\n", {"502 5.5.1 EHLO not implemented\r\n"});
    auto r = h.run(send_raw(scripted(strict, SmtpSecurity::starttls), env, "x"));
    BOOST_REQUIRE(!r);
    BOOST_TEST(r.error().code == 502, message_of(r));
    BOOST_TEST(!r.error().temporary);
}

BOOST_AUTO_TEST_CASE(garbage_instead_of_a_reply_is_a_protocol_error) {
    Harness h;
    ScriptedServer server(h.ioc, "HTTP/1.1 400 Bad Request\r\n", {});
    auto r = h.run(send(scripted(server, SmtpSecurity::plain), sample_message()));
    BOOST_REQUIRE(!r);
    BOOST_TEST(to_string(r.error().kind) == "protocol", message_of(r));
}
