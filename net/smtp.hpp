// The SMTP submission client: one message per call, over STARTTLS (RFC 3207), implicit TLS
// (RFC 8314) or, only when the config asks for it, plain TCP; AUTH PLAIN or LOGIN (RFC 4954)
// only inside TLS. Runs on the caller's io_context with a deadline on every step. Sockets and
// OpenSSL stay in smtp.cpp; errors carry the server's reply (sanitised), never the password.
#pragma once

#include "common/result.hpp"
#include "net/mail.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pinwatch::net {

enum class SmtpSecurity {
    starttls,     // smtp:// (587): STARTTLS is required; no fallback to plain text
    implicit_tls, // smtps:// (465): TLS from the first byte
    plain,        // smtp:// with `starttls = false`: no TLS at all, and so no AUTH
};

struct SmtpSettings {
    std::string host; // verified against the certificate (names and IP addresses)
    std::uint16_t port = 587;
    SmtpSecurity security = SmtpSecurity::starttls;
    std::optional<std::string> username; // AUTH when set
    std::optional<std::string> password;
    // PEM added to the system trust store (SSL_CERT_FILE / SSL_CERT_DIR honoured), exactly as
    // for net::Client: both use net/tls.
    std::optional<std::string> extra_ca_file;
    // The EHLO argument; "" = this machine's name when it is a FQDN, otherwise the address
    // literal of the local end of the connection ("[192.0.2.1]").
    std::string helo_name;
    // Each step on its own: resolve, connect, TLS handshake, and every command with its reply.
    std::chrono::milliseconds step_timeout{30'000};
};

// The SMTP envelope: bare addresses for MAIL FROM and RCPT TO.
struct Envelope {
    std::string from;
    std::vector<std::string> to;
};

struct SmtpError {
    enum class Kind {
        resolve,     // DNS failed
        connect,     // TCP connect failed
        tls,         // handshake or certificate verification failed
        timeout,     // a step passed its deadline
        network,     // the connection broke mid-dialogue
        protocol,    // the server's answer was not SMTP, or broke the protocol
        rejected,    // the server answered a command with 4xx or 5xx (see code)
        unsupported, // the server lacks what the settings require (STARTTLS, AUTH, a mechanism)
        bad_message, // the message or envelope cannot be sent as given
    };
    Kind kind = Kind::protocol;
    int code = 0;           // the reply code when a reply caused the error, else 0
    bool temporary = false; // worth retrying later: 4xx, network trouble, timeouts
    // "smtp mail.example.com:587: AUTH PLAIN rejected: 535 5.7.8 ...": server text sanitised,
    // the password (and its base64 forms) never in it.
    std::string message;
};

std::string_view to_string(SmtpError::Kind) noexcept;

// Builds the message (stamping Date and Message-ID when unset) and sends it from
// message.from to every message.to.
boost::asio::awaitable<Result<void, SmtpError>> send(SmtpSettings settings, Message message);

// Sends `data` (an RFC 5322 message; line ends normalised to CRLF and lines dot-stuffed here).
// Every RCPT TO must be accepted, or nothing is sent.
boost::asio::awaitable<Result<void, SmtpError>> send_raw(SmtpSettings settings, Envelope envelope,
                                                         std::string data);

} // namespace pinwatch::net
