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
