#include "notifiers/email/email.hpp"
#include "common/time.hpp"

#include "net/tls.hpp"

#include <boost/asio/ssl/context.hpp>

#include <ctime>

namespace pinwatch::notifiers {
namespace {

using model::EventKind;

constexpr std::size_t kSubjectMax = 150; // characters of event summary in the subject

// A few words for the subject line, e.g. "requests 2.32.0 (minor)". Sanitised.
std::string headline(Event const& e) {
    std::string const pkg = sanitize_text(e.package);
    std::string const ver = sanitize_text(e.version.value_or("?"));
    std::string const pin = sanitize_text(e.pinned.value_or(e.version.value_or("?")));
    switch (e.kind) {
    case EventKind::new_release:
        if (e.update && *e.update != model::UpdateType::none)
            return pkg + " " + ver + " (" + model::to_string(*e.update) + ")";
        return pkg + " " + ver + " (new release)";
    case EventKind::release_yanked:
        return pkg + " " + ver + " yanked";
    case EventKind::release_unyanked:
        return pkg + " " + ver + " no longer yanked";
    case EventKind::pinned_yanked:
        return pkg + " " + ver + " yanked (your pin)";
    case EventKind::pin_not_found:
        return pkg + " " + pin + " not listed (your pin)";
    case EventKind::release_removed:
        return pkg + " " + ver + " removed";
    case EventKind::package_gone:
        return pkg + " gone from the index";
    case EventKind::source_failing:
        return pkg + ": polls failing";
    case EventKind::source_recovered:
        return pkg + ": polls work again";
    case EventKind::notifier_disabled:
        return "notifier " + pkg + " disabled";
    case EventKind::vulnerability:
        return pkg + " " + ver + " vulnerable (your pin)" +
               (e.advisory ? ": " + sanitize_text(e.advisory->id) : "");
    case EventKind::vulnerability_withdrawn:
        return pkg + " " + ver + " advisory withdrawn" +
               (e.advisory ? ": " + sanitize_text(e.advisory->id) : "");
    case EventKind::github_release:
        return pkg + " " + ver + " (GitHub release)";
    case EventKind::issue_spike:
        return pkg + ": GitHub issue spike";
    case EventKind::issue_spike_over:
        return pkg + ": GitHub issue spike over";
    }
    return pkg + " " + model::to_string(e.kind);
}

// Cut to at most `max` characters (not bytes), marking the cut.
std::string shorten(std::string const& s, std::size_t max) {
    std::size_t chars = 0;
    for (std::size_t i = 0; i < s.size();) {
        if (chars == max) return s.substr(0, i) + "…";
        i += decode_utf8(s, i).length;
        ++chars;
    }
    return s;
}

// The facts of one event as label/value rows, every value sanitised.
std::vector<std::pair<std::string, std::string>> facts(Event const& e) {
    std::vector<std::pair<std::string, std::string>> rows;
    rows.emplace_back("Package", sanitize_text(e.package));
    if (e.kind == EventKind::new_release && e.version) {
        std::string v = sanitize_text(*e.version);
        if (e.pinned) v = sanitize_text(*e.pinned) + " → " + v;
        rows.emplace_back(e.pinned ? "Pinned → new" : "Version", v);
    } else if (e.kind == EventKind::pin_not_found) {
        rows.emplace_back("Pinned", sanitize_text(e.pinned.value_or("?")));
    } else if (e.version) {
        std::string v = sanitize_text(*e.version);
        if (e.kind == EventKind::pinned_yanked || e.kind == EventKind::vulnerability ||
            e.kind == EventKind::vulnerability_withdrawn)
            v += " (your pin)";
        rows.emplace_back("Version", v);
    }
    if (e.update) rows.emplace_back("Update", model::to_string(*e.update));
    if (e.allowed) {
        std::string const spec =
            e.specifier.empty() ? std::string() : " '" + sanitize_text(e.specifier) + "'";
        rows.emplace_back("Allowed", *e.allowed
                                         ? (spec.empty() ? "yes (any version)" : "yes, by" + spec)
                                         : "no, outside" + spec);
    }
    if (e.advisory) {
        rows.emplace_back("Advisory", advisory_title(*e.advisory));
        if (!e.advisory->summary.empty())
            rows.emplace_back("Summary", sanitize_text(e.advisory->summary));
        if (!e.advisory->link.empty()) rows.emplace_back("Link", sanitize_text(e.advisory->link));
        if (e.kind == EventKind::vulnerability) rows.emplace_back("Fix", fix_text(e));
    }
    if (auto const drops = drops_python_text(e); !drops.empty())
        rows.emplace_back("Python", "this release " + drops);
    if (auto const near = alternatives_text(e); !near.empty())
        rows.emplace_back("Nearest non-yanked", near);
    if (!e.detail.empty() && e.kind != EventKind::vulnerability) {
        bool const yank = e.kind == EventKind::release_yanked || e.kind == EventKind::pinned_yanked;
        rows.emplace_back(yank                                           ? "Yank reason"
                          : e.kind == EventKind::vulnerability_withdrawn ? "Why"
                                                                         : "Detail",
                          sanitize_text(e.detail));
    }
    if (!e.origin.empty()) rows.emplace_back("Seen at", sanitize_text(redact_url(e.origin)));
    if (e.link && *e.link != e.origin)
        rows.emplace_back("Release notes", sanitize_text(redact_url(*e.link)));
    rows.emplace_back("Noticed", utc_text(e.at));
    rows.emplace_back("Event id", sanitize_text(e.id));
    return rows;
}

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

std::string count_line(std::size_t n) {
    return n == 1 ? "pinwatch noticed 1 change."
                  : "pinwatch noticed " + std::to_string(n) + " changes.";
}

} // namespace

std::string EmailNotifier::subject(std::span<Event const> events) {
    if (events.empty()) return "pinwatch: no changes";
    std::string s = "pinwatch: " + shorten(headline(events.front()), kSubjectMax);
    if (events.size() > 1) s += ", " + std::to_string(events.size() - 1) + " more";
    return s;
}

net::Message EmailNotifier::render(std::span<Event const> events) const {
    net::Message m;
    m.from = settings_.from;
    m.to = settings_.to;
    m.subject = subject(events);

    std::string text = count_line(events.size()) + "\n";
    std::string html = "<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>" +
                       html_escape(m.subject) + "</title></head>\n<body>\n<p>" +
                       html_escape(count_line(events.size())) + "</p>\n";
    for (auto const& e : events) {
        std::string const line = describe(e); // sanitised by describe
        text += "\n" + line + "\n";
        html += "<h3>" + html_escape(line) + "</h3>\n<table>\n";
        for (auto const& [label, value] : facts(e)) {
            text += "  " + label + ": " + value + "\n";
            html += "<tr><th align=\"left\">" + html_escape(label) + "</th><td>" +
                    html_escape(value) + "</td></tr>\n";
        }
        html += "</table>\n";
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
    if (!cfg.email) return fail(where + ": no email settings");
    auto const& e = *cfg.email;
    EmailSettings s;
    s.name = cfg.name;
    s.from = e.from;
    s.to = e.to;
    s.smtp.host = e.host;
    s.smtp.port = e.port;
    switch (e.security) {
    case config::SmtpSecurity::starttls:
        s.smtp.security = net::SmtpSecurity::starttls;
        break;
    case config::SmtpSecurity::implicit_tls:
        s.smtp.security = net::SmtpSecurity::implicit_tls;
        break;
    case config::SmtpSecurity::plain:
        s.smtp.security = net::SmtpSecurity::plain;
        break;
    }
    s.smtp.username = e.username;
    if (e.password_ref) {
        // TODO(merge): NotifierContext::resolve_secret is config/secrets.hpp's resolver.
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
