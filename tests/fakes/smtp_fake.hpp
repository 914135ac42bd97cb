// A real SMTP server for tests: tests/fakes/smtp_server.py (Debian's python3-aiosmtpd) run as a
// child process on 127.0.0.1, with throwaway TLS material from test_certs written to a
// temporary folder. The constructor returns once the server has printed its READY line (an
// event, not a sleep); the destructor stops it and removes the folder.
#pragma once

#include "tests/fakes/test_certs.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace pinwatch::test {

struct SmtpFakeOptions {
    enum class Mode { starttls, implicit_tls, plain };
    Mode mode = Mode::starttls;
    std::string user = "";                  // AUTH required before MAIL when set
    std::string password = "";              // the one password that works
    std::string mechanisms = "PLAIN,LOGIN"; // AUTH mechanisms offered
    bool echo_credentials = false;          // a hostile server quoting them in its 535 reply
    bool wrong_name = false;                // certificate for "wrong.invalid" only
    // To bring a stopped server back as it was: its port (0: any free port) and its TLS
    // material (unset: a fresh CA and certificate).
    std::uint16_t port = 0;
    std::optional<TestCertificates> certificates;
};

// One message as the server got it, and as Python's email package reads it.
struct ReceivedMail {
    std::string mail_from;
    std::vector<std::string> rcpt_tos;
    std::optional<std::string> login; // the AUTH user, if any
    bool tls = false;                 // received over TLS (STARTTLS or implicit)
    std::string raw;                  // the message bytes, dot-stuffing undone
    std::vector<std::pair<std::string, std::string>> headers; // RFC 2047 decoded
    std::vector<std::string> defects;                         // the email package's complaints
    std::string content_type;
    std::map<std::string, std::string> parts; // content type -> decoded text

    std::optional<std::string> header(std::string_view name) const; // first, any case
    std::size_t count(std::string_view name) const;                 // fields with that name
};

class SmtpFake {
  public:
    // Throws std::runtime_error when the server cannot start (python3-aiosmtpd missing...).
    explicit SmtpFake(SmtpFakeOptions options = {});
    ~SmtpFake();
    SmtpFake(SmtpFake const&) = delete;
    SmtpFake& operator=(SmtpFake const&) = delete;

    std::uint16_t port() const noexcept { return port_; }
    // PEM of the CA that signed the server's certificate (localhost and 127.0.0.1).
    std::string const& ca_file() const noexcept { return ca_file_; }
    // The CA, certificate and key it serves with (for SmtpFakeOptions::certificates).
    TestCertificates const& certificates() const noexcept { return certificates_; }
    // Every message accepted so far, in arrival order. A message is complete here before the
    // server answers 250 to it, so after a successful send it is always listed.
    std::vector<ReceivedMail> messages() const;

  private:
    void stop(); // the process and the folder; idempotent

    std::string dir_;
    std::string ca_file_;
    TestCertificates certificates_;
    std::uint16_t port_ = 0;
    pid_t pid_ = 0;
    int stdin_fd_ = -1;
};

// A loopback port nothing listens on (bound, then closed), for "server down" tests.
std::uint16_t unused_port();

} // namespace pinwatch::test
