// The SMTP client (see smtp.hpp). One coroutine reads top to bottom: resolve, connect, (TLS),
// greeting, EHLO, (STARTTLS, TLS, EHLO again), (AUTH), MAIL FROM, RCPT TO..., DATA, QUIT.
// Every step runs under a watchdog timer that closes the socket when the step's time is up, so
// no read, write or handshake can hang; the resolver is raced against a timer of its own.
#include "net/smtp.hpp"

#include "common/text.hpp"
#include "net/detail/resolve.hpp"
#include "net/http.hpp"
#include "net/tls.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <unistd.h>

#include <cctype>
#include <memory>
#include <set>
#include <stdexcept>

namespace pinwatch::net {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Kind = SmtpError::Kind;

std::string_view to_string(SmtpError::Kind kind) noexcept {
    switch (kind) {
    case Kind::resolve:
        return "resolve";
    case Kind::connect:
        return "connect";
    case Kind::tls:
        return "tls";
    case Kind::timeout:
        return "timeout";
    case Kind::network:
        return "network";
    case Kind::protocol:
        return "protocol";
    case Kind::rejected:
        return "rejected";
    case Kind::unsupported:
        return "unsupported";
    case Kind::bad_message:
        return "bad_message";
    }
    return "unknown";
}

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxLine = 4096; // replies lines are at most 512 (RFC 5321 §4.5.3.1.5)
constexpr std::size_t kMaxLines = 256; // lines in one multi-line reply
constexpr std::size_t kMaxText = 400;  // server text kept in an error message

std::string describe(error_code const& ec) {
    std::string text = ec.message();
    if (!text.empty() && text.front() >= 'A' && text.front() <= 'Z')
        text.front() = static_cast<char>(text.front() - 'A' + 'a');
    return text;
}

std::string format_duration(std::chrono::milliseconds d) {
    if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + "s";
    return std::to_string(d.count()) + "ms";
}

// One reply: its code and the text of each line.
struct Reply {
    int code = 0;
    std::vector<std::string> lines;
};

// The connection: a TLS stream whose TCP socket is used bare until TLS starts, and the
// watchdog that closes it when a step runs out of time.
struct Connection : std::enable_shared_from_this<Connection> {
    Connection(asio::any_io_executor ex, std::shared_ptr<ssl::context> context)
        : ctx(std::move(context)), stream(ex, *ctx), watchdog(ex) {}

    std::shared_ptr<ssl::context> ctx; // outlives the stream (declared first)
    ssl::stream<tcp::socket> stream;
    asio::steady_timer watchdog;
    std::string in; // received, not yet consumed
    bool tls = false;
    bool expired = false;
    std::uint64_t step = 0; // tells the current step's watchdog from a stale one

    tcp::socket& socket() { return stream.next_layer(); }

    void arm(std::chrono::milliseconds limit) {
        auto const id = ++step;
        expired = false;
        watchdog.expires_after(limit);
        watchdog.async_wait([weak = weak_from_this(), id](error_code ec) {
            auto self = weak.lock();
            if (ec || !self || self->step != id) return;
            self->expired = true;
            error_code ignored;
            self->socket().close(ignored); // every pending operation ends now
        });
    }
    void disarm() {
        ++step;
        watchdog.cancel();
    }

    asio::awaitable<std::tuple<error_code, std::size_t>> write(std::string const& bytes) {
        if (tls) co_return co_await asio::async_write(stream, asio::buffer(bytes), use_tuple);
        co_return co_await asio::async_write(socket(), asio::buffer(bytes), use_tuple);
    }
    asio::awaitable<std::tuple<error_code, std::size_t>> read_line() {
        auto buffer = asio::dynamic_buffer(in, kMaxLine);
        if (tls) co_return co_await asio::async_read_until(stream, buffer, '\n', use_tuple);
        co_return co_await asio::async_read_until(socket(), buffer, '\n', use_tuple);
    }
};

// Lines as the SMTP DATA command wants them: every line end CRLF (bare CR and bare LF
// included: no SMTP smuggling), a '.' doubled at the start of a line (RFC 5321 §4.5.2), and
// the final CRLF "." CRLF.
std::string data_block(std::string_view data) {
    std::string out;
    out.reserve(data.size() + data.size() / 64 + 8);
    bool line_start = true;
    for (std::size_t i = 0; i < data.size(); ++i) {
        char const c = data[i];
        if (c == '\r' || c == '\n') {
            if (c == '\r' && i + 1 < data.size() && data[i + 1] == '\n') ++i;
            out += "\r\n";
            line_start = true;
            continue;
        }
        if (line_start && c == '.') out += '.';
        out += c;
        line_start = false;
    }
    if (!line_start) out += "\r\n";
    out += ".\r\n";
    return out;
}

// The name this machine gives in EHLO: its host name when that is a FQDN, else the address
// literal of our end of the connection (RFC 5321 §4.1.4).
std::string default_helo(tcp::socket const& socket) {
    char name[256] = "";
    if (::gethostname(name, sizeof name - 1) == 0) {
        std::string_view const host(name);
        bool ok =
            host.find('.') != std::string_view::npos && host.front() != '.' && host.back() != '.';
        for (char c : host)
            ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '.');
        if (ok) return std::string(host);
    }
    error_code ec;
    auto const local = socket.local_endpoint(ec);
    if (ec) return "[127.0.0.1]";
    auto const address = local.address();
    if (address.is_v6()) {
        auto const v6 = address.to_v6();
        if (v6.is_v4_mapped())
            return "[" + asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_string() + "]";
        return "[IPv6:" + v6.to_string() + "]";
    }
    return "[" + address.to_string() + "]";
}

bool valid_helo(std::string_view name) {
    if (name.empty() || name.size() > 255) return false;
    for (char c : name)
        if (c <= 0x20 || c >= 0x7f) return false;
    return true;
}

class Session {
  public:
    explicit Session(SmtpSettings settings) : s_(std::move(settings)) {
        where_ = "smtp " +
                 (s_.host.find(':') != std::string::npos ? "[" + s_.host + "]" : s_.host) + ":" +
                 std::to_string(s_.port);
        // Whatever the server echoes back, these never reach a message.
        if (s_.password && !s_.password->empty()) {
            secrets_.push_back(*s_.password);
            secrets_.push_back(base64_encode(*s_.password));
            if (s_.username)
                secrets_.push_back(base64_encode(std::string(1, '\0') + *s_.username +
                                                 std::string(1, '\0') + *s_.password));
        }
    }

    asio::awaitable<Result<void, SmtpError>> run(Envelope const& envelope,
                                                 std::string const& data) {
        // Nothing goes on the wire that could smuggle a command.
        if (auto ok = check_address(envelope.from); !ok)
            co_return fail(bad("MAIL FROM address: " + ok.error()));
        if (envelope.to.empty()) co_return fail(bad("no recipients"));
        for (auto const& to : envelope.to)
            if (auto ok = check_address(to); !ok)
                co_return fail(bad("RCPT TO address: " + ok.error()));
        if (!s_.helo_name.empty() && !valid_helo(s_.helo_name))
            co_return fail(bad("invalid EHLO name"));
        if (s_.username && s_.security == SmtpSecurity::plain)
            co_return fail(err(Kind::unsupported, false,
                               "refusing AUTH without TLS (use smtps:// or STARTTLS)"));
        if (s_.username && (s_.username->empty() || !s_.password))
            co_return fail(bad("AUTH needs a non-empty username and a password"));

        auto ex = co_await asio::this_coro::executor;
        auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
        if (s_.security != SmtpSecurity::plain) {
            try {
                configure_tls_client(*ctx, s_.extra_ca_file);
            } catch (std::exception const& e) {
                co_return fail(err(Kind::tls, false, e.what()));
            }
        }
        conn_ = std::make_shared<Connection>(ex, ctx);

        // Look up the server, raced against the step's deadline.
        auto endpoints = co_await resolve(ex);
        if (!endpoints) co_return fail(std::move(endpoints).error());

        // Open the TCP connection, trying each address in turn.
        conn_->arm(s_.step_timeout);
        auto [cec, ep] = co_await asio::async_connect(conn_->socket(), *endpoints, use_tuple);
        conn_->disarm();
        if (cec) {
            if (conn_->expired) co_return fail(timeout("connecting"));
            co_return fail(err(Kind::connect, true, "connect: " + describe(cec)));
        }

        // smtps: TLS from the first byte.
        if (s_.security == SmtpSecurity::implicit_tls)
            if (auto e = co_await handshake()) co_return fail(std::move(*e));

        // The greeting.
        conn_->arm(s_.step_timeout);
        auto greeting = co_await read_reply("the greeting");
        conn_->disarm();
        if (!greeting) co_return fail(std::move(greeting).error());
        if (auto e = expect(*greeting, {220}, "greeting")) co_return fail(std::move(*e));

        // EHLO, and what the server offers.
        std::string const helo =
            s_.helo_name.empty() ? default_helo(conn_->socket()) : s_.helo_name;
        auto caps = co_await hello(helo);
        if (!caps) co_return fail(std::move(caps).error());

        // STARTTLS, then forget everything learnt before TLS and ask again (RFC 3207 §4.2).
        if (s_.security == SmtpSecurity::starttls) {
            if (!caps->contains("STARTTLS"))
                co_return fail(err(Kind::unsupported, false,
                                   "the server does not offer STARTTLS; refusing to go on without "
                                   "TLS (smtps:// is implicit TLS; starttls = false allows plain "
                                   "text)"));
            auto r = co_await command("STARTTLS", "STARTTLS");
            if (!r) co_return fail(std::move(r).error());
            if (auto e = expect(*r, {220}, "STARTTLS")) co_return fail(std::move(*e));
            // Bytes that came with the 220 were sent before TLS: injected, not the server's.
            if (!conn_->in.empty())
                co_return fail(err(Kind::protocol, false,
                                   "the server sent data after its STARTTLS reply, before TLS "
                                   "(possible command injection); refusing"));
            if (auto e = co_await handshake()) co_return fail(std::move(*e));
            caps = co_await hello(helo);
            if (!caps) co_return fail(std::move(caps).error());
        }

        // AUTH, only inside TLS (checked above), PLAIN preferred.
        if (s_.username)
            if (auto e = co_await authenticate(*caps)) co_return fail(std::move(*e));

        // The envelope: every recipient must be accepted before any data goes.
        auto mail = co_await command("MAIL FROM:<" + envelope.from + ">", "MAIL FROM");
        if (!mail) co_return fail(std::move(mail).error());
        if (auto e = expect(*mail, {250}, "MAIL FROM")) co_return fail(std::move(*e));
        for (auto const& to : envelope.to) {
            std::string const step = "RCPT TO:<" + to + ">";
            auto rcpt = co_await command(step, step);
            if (!rcpt) co_return fail(std::move(rcpt).error());
            if (auto e = expect(*rcpt, {250, 251}, step)) co_return fail(std::move(*e));
        }

        // The message itself.
        auto go = co_await command("DATA", "DATA");
        if (!go) co_return fail(std::move(go).error());
        if (auto e = expect(*go, {354}, "DATA")) co_return fail(std::move(*e));
        conn_->arm(s_.step_timeout);
        auto [wec, wn] = co_await conn_->write(data_block(data));
        if (wec) {
            conn_->disarm();
            co_return fail(io_error(wec, "sending the message"));
        }
        auto done = co_await read_reply("the end of the message");
        conn_->disarm();
        if (!done) co_return fail(std::move(done).error());
        if (auto e = expect(*done, {250}, "message")) co_return fail(std::move(*e));

        // Accepted: whatever QUIT brings, the message is on its way.
        co_await quit();
        co_return Result<void, SmtpError>{};
    }

    void close() {
        if (!conn_) return;
        conn_->disarm();
        error_code ignored;
        conn_->socket().close(ignored);
    }

  private:
    // --- errors ----------------------------------------------------------------------------

    // Untrusted text made safe for a message: secrets cut out, controls escaped, length capped.
    std::string clean(std::string text) const {
        for (auto const& secret : secrets_)
            for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at))
                text.replace(at, secret.size(), "[redacted]");
        text = sanitize_text(text);
        if (text.size() > kMaxText) {
            std::size_t cut = kMaxText;
            while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
                --cut;
            text = text.substr(0, cut) + "...";
        }
        return text;
    }

    SmtpError err(Kind kind, bool temporary, std::string const& what, int code = 0) const {
        return SmtpError{kind, code, temporary, where_ + ": " + clean(what)};
    }
    SmtpError bad(std::string const& what) const { return err(Kind::bad_message, false, what); }
    SmtpError timeout(std::string const& during) const {
        return err(Kind::timeout, true,
                   "no progress within " + format_duration(s_.step_timeout) + " " + during);
    }
    SmtpError io_error(error_code const& ec, std::string const& during) const {
        if (conn_ && conn_->expired) return timeout(during);
        if (ec == asio::error::eof || ec == ssl::error::stream_truncated)
            return err(Kind::network, true, "connection closed by the server " + during);
        if (ec == asio::error::not_found)
            return err(Kind::protocol, true, "reply line too long " + during);
        return err(Kind::network, true, during + ": " + describe(ec));
    }

    // The reply as an error when its code is not one of `ok`.
    std::optional<SmtpError> expect(Reply const& r, std::initializer_list<int> ok,
                                    std::string const& step) const {
        for (int code : ok)
            if (r.code == code) return std::nullopt;
        std::string text = std::to_string(r.code);
        for (auto const& line : r.lines)
            if (!line.empty()) text += " " + line;
        int const cls = r.code / 100;
        if (cls == 4 || cls == 5)
            return err(Kind::rejected, cls == 4, step + " rejected: " + text, r.code);
        return err(Kind::protocol, true, step + ": unexpected reply " + text, r.code);
    }

    // --- steps -----------------------------------------------------------------------------

    asio::awaitable<Result<std::vector<tcp::endpoint>, SmtpError>>
    resolve(asio::any_io_executor const& ex) {
        auto out = co_await detail::resolve(ex, s_.host, s_.port,
                                            std::chrono::steady_clock::now() + s_.step_timeout);
        if (!out && (out.error() == asio::error::timed_out ||
                     out.error() == asio::error::operation_aborted))
            co_return fail(timeout("resolving " + s_.host));
        if (!out || out->empty())
            co_return fail(
                err(Kind::resolve, true,
                    "resolve " + s_.host + ": " + (!out ? describe(out.error()) : "no addresses")));
        co_return std::move(*out);
    }

    // TLS over the connection: SNI, the chain against the trust store, the name against host.
    asio::awaitable<std::optional<SmtpError>> handshake() {
        auto why = std::make_shared<std::string>();
        if (!prepare_tls_client(conn_->stream, s_.host, why))
            co_return err(Kind::tls, false, "TLS handshake: cannot set SNI");
        conn_->arm(s_.step_timeout);
        auto [ec] = co_await conn_->stream.async_handshake(ssl::stream_base::client, use_tuple);
        conn_->disarm();
        if (!ec) {
            conn_->tls = true;
            co_return std::nullopt;
        }
        if (conn_->expired) co_return timeout("in the TLS handshake");
        // A certificate we do not trust stays untrusted until someone changes the server or
        // the trust store: retrying will not help. So is a TLS failure (no common version or
        // cipher); a connection lost mid-handshake may be gone next time.
        if (!why->empty())
            co_return err(Kind::tls, false,
                          "TLS handshake: certificate verification failed: " + *why);
        bool const tls_refusal = ec.category() == asio::error::get_ssl_category();
        co_return err(Kind::tls, !tls_refusal, "TLS handshake: " + describe(ec));
    }

    // A whole reply, one line at a time ("250-..." continues, "250 ..." ends it).
    asio::awaitable<Result<Reply, SmtpError>> read_reply(std::string const& what) {
        Reply reply;
        for (;;) {
            auto [ec, n] = co_await conn_->read_line();
            if (ec) co_return fail(io_error(ec, "waiting for " + what));
            std::string line = conn_->in.substr(0, n);
            conn_->in.erase(0, n);
            line.pop_back(); // '\n'
            if (!line.empty() && line.back() == '\r') line.pop_back();
            bool const digits = line.size() >= 3 && std::isdigit((unsigned char)line[0]) &&
                                std::isdigit((unsigned char)line[1]) &&
                                std::isdigit((unsigned char)line[2]);
            if (!digits || (line.size() > 3 && line[3] != ' ' && line[3] != '-'))
                co_return fail(
                    err(Kind::protocol, true, "not an SMTP reply " + what + ": " + line));
            int const code = std::stoi(line.substr(0, 3));
            if (code < 200 || code > 599)
                co_return fail(
                    err(Kind::protocol, true, "reply code out of range " + what + ": " + line));
            if (reply.lines.empty())
                reply.code = code;
            else if (code != reply.code)
                co_return fail(
                    err(Kind::protocol, true, "mixed codes in one reply " + what + ": " + line));
            reply.lines.push_back(line.size() > 4 ? line.substr(4) : std::string());
            if (line.size() == 3 || line[3] == ' ') co_return reply;
            if (reply.lines.size() >= kMaxLines)
                co_return fail(err(Kind::protocol, true, "reply too long " + what));
        }
    }

    // One command and its reply, under one deadline. `step` names it in messages: commands
    // that carry credentials are never quoted.
    asio::awaitable<Result<Reply, SmtpError>> command(std::string const& line,
                                                      std::string const& step) {
        conn_->arm(s_.step_timeout);
        auto [ec, n] = co_await conn_->write(line + "\r\n");
        if (ec) {
            conn_->disarm();
            co_return fail(io_error(ec, "sending " + step));
        }
        auto reply = co_await read_reply("the reply to " + step);
        conn_->disarm();
        co_return reply;
    }

    // EHLO (HELO only where nothing EHLO-only is needed); the extension keywords, upper case,
    // with AUTH's mechanisms as "AUTH PLAIN", "AUTH LOGIN"...
    asio::awaitable<Result<std::set<std::string>, SmtpError>> hello(std::string const& name) {
        auto r = co_await command("EHLO " + name, "EHLO");
        if (!r) co_return fail(std::move(r).error());
        std::set<std::string> caps;
        if (r->code == 250) {
            for (std::size_t i = 1; i < r->lines.size(); ++i) {
                std::string upper = r->lines[i];
                for (auto& c : upper)
                    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
                auto const end = upper.find_first_of(" =");
                std::string const keyword = upper.substr(0, end);
                caps.insert(keyword);
                if (keyword == "AUTH" && end != std::string::npos) {
                    std::size_t at = end + 1;
                    while (at < upper.size()) {
                        auto next = upper.find(' ', at);
                        if (next == std::string::npos) next = upper.size();
                        if (next > at) caps.insert("AUTH " + upper.substr(at, next - at));
                        at = next + 1;
                    }
                }
            }
            co_return caps;
        }
        // An old server without ESMTP: HELO will do only for plain text without AUTH.
        bool const helo_ok = s_.security == SmtpSecurity::plain && !s_.username &&
                             (r->code == 500 || r->code == 502);
        if (!helo_ok) {
            if (auto e = expect(*r, {250}, "EHLO")) co_return fail(std::move(*e));
        }
        auto h = co_await command("HELO " + name, "HELO");
        if (!h) co_return fail(std::move(h).error());
        if (auto e = expect(*h, {250}, "HELO")) co_return fail(std::move(*e));
        co_return caps;
    }

    asio::awaitable<std::optional<SmtpError>> authenticate(std::set<std::string> const& caps) {
        std::string const& user = *s_.username;
        std::string const& pass = *s_.password;
        if (caps.contains("AUTH PLAIN")) {
            // RFC 4616: authzid (empty) NUL authcid NUL passwd.
            std::string const token =
                base64_encode(std::string(1, '\0') + user + std::string(1, '\0') + pass);
            auto r = co_await command("AUTH PLAIN " + token, "AUTH PLAIN");
            if (!r) co_return std::move(r).error();
            co_return expect(*r, {235}, "AUTH PLAIN");
        }
        if (caps.contains("AUTH LOGIN")) {
            auto r = co_await command("AUTH LOGIN", "AUTH LOGIN");
            if (!r) co_return std::move(r).error();
            if (auto e = expect(*r, {334}, "AUTH LOGIN")) co_return e;
            r = co_await command(base64_encode(user), "AUTH LOGIN (username)");
            if (!r) co_return std::move(r).error();
            if (auto e = expect(*r, {334}, "AUTH LOGIN (username)")) co_return e;
            r = co_await command(base64_encode(pass), "AUTH LOGIN (password)");
            if (!r) co_return std::move(r).error();
            co_return expect(*r, {235}, "AUTH LOGIN");
        }
        std::string offered;
        for (auto const& c : caps)
            if (c.starts_with("AUTH ")) offered += (offered.empty() ? "" : ", ") + c.substr(5);
        if (offered.empty())
            co_return err(Kind::unsupported, false,
                          "the server offers no AUTH, but a username is configured");
        co_return err(Kind::unsupported, false,
                      "the server offers AUTH " + offered + ", not PLAIN or LOGIN");
    }

    asio::awaitable<void> quit() {
        auto r = co_await command("QUIT", "QUIT"); // 221, or whatever: the message is sent
        (void)r;
        close();
    }

    SmtpSettings s_;
    std::string where_;
    std::vector<std::string> secrets_;
    std::shared_ptr<Connection> conn_;
};

asio::awaitable<Result<void, SmtpError>> failed(SmtpError error) {
    co_return fail(std::move(error));
}

} // namespace

asio::awaitable<Result<void, SmtpError>> send_raw(SmtpSettings settings, Envelope envelope,
                                                  std::string data) {
    Session session(std::move(settings));
    auto result = co_await session.run(envelope, data);
    session.close();
    co_return result;
}

// Not a coroutine itself: it builds the message, then hands over to send_raw's coroutine.
asio::awaitable<Result<void, SmtpError>> send(SmtpSettings settings, Message message) {
    stamp(message);
    auto data = build_message(message);
    if (!data) {
        std::string const where = "smtp " + settings.host + ":" + std::to_string(settings.port);
        return failed(
            SmtpError{Kind::bad_message, 0, false,
                      where + ": cannot build the message: " + sanitize_text(data.error())});
    }
    Envelope envelope;
    envelope.from = message.from.address;
    for (auto const& to : message.to)
        envelope.to.push_back(to.address);
    return send_raw(std::move(settings), std::move(envelope), std::move(*data));
}

} // namespace pinwatch::net
