// Email notifier: one message per batch of events (text and HTML alternatives), sent through
// net/smtp. render() is pure and tested alone; deliver() only maps the SMTP outcome (temporary
// -> retry, permanent -> failed). Untrusted text is sanitised, and HTML-escaped in the HTML
// part; nothing an index says can become a header or markup.
#pragma once

#include "net/smtp.hpp"
#include "notifiers/notifier.hpp"
#include "notifiers/registry.hpp"

#include <memory>
#include <span>
#include <string>
#include <vector>

namespace pinwatch::notifiers {

// The keys of a `type = "email"` table, validated. smtp:// is STARTTLS unless `starttls =
// false` says plain text; smtps:// is TLS from the first byte. The password is kept as written
// (a literal, env:NAME, file:PATH or credential:NAME) and resolved when the notifier is built.
struct EmailConfig final : config::ChannelSettings {
    std::string where;        // "notifiers.<name>", for messages
    std::string smtp_url;     // as written: "smtp://mail.example.com:587" (never holds credentials)
    std::string host;         // from smtp_url; an IPv6 address without brackets
    std::uint16_t port = 587; // from smtp_url; 587 for smtp://, 465 for smtps:// by default
    net::SmtpSecurity security = net::SmtpSecurity::starttls;
    std::optional<std::string> username;
    std::optional<std::string> password_ref; // unresolved secret reference; set with username
    int password_line = 0;                   // where `password` was written
    Mailbox from;
    std::vector<Mailbox> to; // at least one

    std::string destination() const override;
    std::string without_secrets(std::string text, std::filesystem::path const& base) const override;
    // The password reference resolves (config-check says so before the first message).
    std::vector<Diagnostic> check(std::string const& path) const override;
};
// The registry's reader of an email table's keys (keys.cpp).
config::ChannelReader email_channel();

struct EmailSettings {
    std::string name;       // the configured notifier name
    net::SmtpSettings smtp; // password already resolved
    Mailbox from;
    std::vector<Mailbox> to;
};

class EmailNotifier final : public Notifier {
  public:
    explicit EmailNotifier(EmailSettings settings) : settings_(std::move(settings)) {}
    std::string_view name() const noexcept override { return settings_.name; }
    boost::asio::awaitable<Delivery> deliver(std::span<Event const> events) override;

    // The message for these events, From and To filled in; Date and Message-ID are left for
    // the sender to stamp. Pure.
    net::Message render(std::span<Event const> events) const;
    // "pinwatch: requests 2.32.0 (minor), 2 more". Pure.
    static std::string subject(std::span<Event const> events);

  private:
    EmailSettings settings_;
};

// The notifier for a `type = "email"` table: the password reference resolved through
// ctx.resolve_secret, the trust store checked now (a bad extra_ca_file is a start-up error).
Result<std::unique_ptr<Notifier>> make_email_notifier(config::NotifierConfig const& cfg,
                                                      NotifierContext const& ctx);

} // namespace pinwatch::notifiers
