#include "notifiers/email/email.hpp"
#include "common/time.hpp"

#include "net/tls.hpp"
#include "notifiers/message.hpp"

#include <boost/asio/ssl/context.hpp>

#include <ctime>

namespace pinwatch::notifiers {
namespace {

constexpr std::size_t kSubjectMax = 150; // characters of the first headline in the subject

// Event ids for the X-Pinwatch-Event-Ids header: ours are "evt_<hex>", but only token
// characters ever reach a header.
std::string event_ids(std::span<Event const> events) {
    std::string out;
    for (auto const& e : events) {
        std::string id;
        for (char c : e.id)
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '-' || c == '.' || c == ':')
                id += c;
        if (id.empty()) continue;
        out += (out.empty() ? "" : ", ") + id;
    }
    return out;
}

} // namespace

std::string EmailNotifier::subject(std::span<Event const> events) {
    auto const messages = messages_for(events);
    return batch_subject(messages, kSubjectMax);
}

net::Message EmailNotifier::render(std::span<Event const> events) const {
    auto const messages = messages_for(events);
    net::Message m;
    m.from = settings_.from;
    m.to = settings_.to;
    m.subject = batch_subject(messages, kSubjectMax);
    // Each event's rows say what differs; where all were seen and their ids come once.
    auto const batch = batch_of(messages);

    // Every text in a Message is sanitised; the HTML part escapes it for markup as well.
    std::string const intro = batch_intro(messages.size());
    std::string text = intro + "\n";
    std::string html = "<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>" +
                       html_escape(m.subject) + "</title></head>\n<body>\n<p>" +
                       html_escape(intro) + "</p>\n";
    for (auto const& message : batch.messages) {
        text += "\n" + message.sentence + "\n";
        html += "<h3>" + html_escape(message.sentence) + "</h3>\n<table>\n";
        for (auto const& [label, value] : message.facts) {
            text += "  " + label + ": " + value + "\n";
            html += "<tr><th align=\"left\">" + html_escape(label) + "</th><td>" +
                    html_escape(value) + "</td></tr>\n";
        }
        html += "</table>\n";
    }
    if (messages.size() > 1) {
        std::vector<Fact> tail = batch.shared_facts;
        tail.push_back(
            {"Event ids", plain(batch.ids).substr(std::string("pinwatch events ").size())});
        text += "\n";
        html += "<p>";
        for (auto const& [label, value] : tail) {
            text += label + ": " + value + "\n";
            html += html_escape(label) + ": " + html_escape(value) + "<br>\n";
        }
        html += "</p>\n";
    }
    html += "</body>\n</html>\n";
    m.text = std::move(text);
    m.html = std::move(html);
    if (auto ids = event_ids(events); !ids.empty())
        m.headers.emplace_back("X-Pinwatch-Event-Ids", std::move(ids));
    return m;
}

boost::asio::awaitable<Delivery> EmailNotifier::deliver(std::span<Event const> events) {
    if (events.empty()) co_return Delivery{};
    auto sent = co_await net::send(settings_.smtp, render(events));
    if (sent) co_return Delivery{};
    auto const& err = sent.error();
    Delivery d{err.temporary ? Delivery::Status::retry : Delivery::Status::failed,
               "email " + settings_.name + ": " + err.message, std::nullopt};
    // 535 (credentials refused) or 530 (authentication required): the account, not these
    // events; pause the channel until the password is fixed, the events stay pending.
    if (err.kind == net::SmtpError::Kind::rejected && (err.code == 535 || err.code == 530)) {
        d.status = Delivery::Status::retry;
        d.auth_failed = true;
    }
    co_return d;
}

Result<std::unique_ptr<Notifier>> make_email_notifier(config::NotifierConfig const& cfg,
                                                      NotifierContext const& ctx) {
    std::string const where = "notifier '" + cfg.name + "'";
    auto const* settings = cfg.as<EmailConfig>();
    if (!settings) return fail(where + ": no email settings");
    auto const& e = *settings;
    EmailSettings s;
    s.name = cfg.name;
    s.from = e.from;
    s.to = e.to;
    s.smtp.host = e.host;
    s.smtp.port = e.port;
    s.smtp.security = e.security;
    s.smtp.username = e.username;
    if (e.password_ref) {
        // The password is a secret reference (env:, file:, credential:), resolved by the
        // resolver the composition root injects (config/secrets), never read from the config.
        if (!ctx.resolve_secret)
            return fail(where + ": key 'password': no secret resolver is available to read it");
        auto password = ctx.resolve_secret(*e.password_ref);
        if (!password) return fail(where + ": key 'password': " + password.error());
        s.smtp.password = std::move(*password);
    }
    s.smtp.extra_ca_file = ctx.extra_ca_file;
    if (s.smtp.security != net::SmtpSecurity::plain) {
        // The trust store is loaded for each message; a CA file that cannot be read is better
        // found now than at the first event.
        try {
            boost::asio::ssl::context tls(boost::asio::ssl::context::tls_client);
            net::configure_tls_client(tls, s.smtp.extra_ca_file);
        } catch (std::exception const& ex) {
            return fail(where + ": " + ex.what());
        }
    }
    return std::unique_ptr<Notifier>(std::make_unique<EmailNotifier>(std::move(s)));
}

} // namespace pinwatch::notifiers
