// The keys of a `type = "email"` notifier table: read and checked here, with the config's
// Reader, for the registry's entry (config/ reads only what every notifier has).
#include "common/text.hpp"
#include "config/reader.hpp"
#include "config/secrets.hpp"
#include "notifiers/email/email.hpp"
#include "notifiers/post.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <filesystem>

namespace pinwatch::notifiers {
namespace {

// smtp_url, split: scheme (security), host and port. Credentials, paths and queries are refused.
struct SmtpTarget {
    net::SmtpSecurity security = net::SmtpSecurity::starttls;
    std::string host;
    std::uint16_t port = 587;
};

Result<SmtpTarget> parse_smtp_url(std::string_view url) {
    static constexpr char const* kExpected =
        "expected smtp://host[:port] (STARTTLS, port 587 by default) or smtps://host[:port] "
        "(implicit TLS, port 465 by default)";
    SmtpTarget t;
    auto const sep = url.find("://");
    if (sep == std::string_view::npos) return fail(kExpected);
    std::string const scheme = ascii_lower(url.substr(0, sep));
    if (scheme == "smtp") {
        t.security = net::SmtpSecurity::starttls;
        t.port = 587;
    } else if (scheme == "smtps") {
        t.security = net::SmtpSecurity::implicit_tls;
        t.port = 465;
    } else {
        return fail(kExpected);
    }
    std::string_view rest = url.substr(sep + 3);
    if (auto const end = rest.find_first_of("/?#"); end != std::string_view::npos) {
        if (rest.substr(end) != "/")
            return fail("no path, query or fragment allowed; " + std::string(kExpected));
        rest = rest.substr(0, end);
    }
    if (rest.find('@') != std::string_view::npos)
        return fail("credentials go in 'username' and 'password', not in the URL");
    std::string_view port;
    if (!rest.empty() && rest.front() == '[') {
        auto const close = rest.find(']');
        if (close == std::string_view::npos) return fail(kExpected);
        t.host = std::string(rest.substr(1, close - 1));
        auto const after = rest.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return fail(kExpected);
            port = after.substr(1);
            if (port.empty()) return fail(kExpected);
        }
        if (t.host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string::npos ||
            t.host.find(':') == std::string::npos)
            return fail("invalid IPv6 address in brackets");
    } else {
        auto const colon = rest.rfind(':');
        t.host = std::string(rest.substr(0, colon));
        if (colon != std::string_view::npos) {
            port = rest.substr(colon + 1);
            if (port.empty()) return fail(kExpected);
        }
        for (char c : t.host)
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '.'))
                return fail("invalid host name '" + sanitize_text(t.host) + "'");
    }
    if (t.host.empty()) return fail("missing host; " + std::string(kExpected));
    if (!port.empty()) {
        int value = 0;
        for (char c : port) {
            if (c < '0' || c > '9' || value > 65535) {
                value = -1;
                break;
            }
            value = value * 10 + (c - '0');
        }
        if (value < 1 || value > 65535)
            return fail("invalid port '" + sanitize_text(port) + "' (expected 1 to 65535)");
        t.port = static_cast<std::uint16_t>(value);
    }
    return t;
}

// The server: smtp_url and starttls (how the connection is secured). False after reporting.
bool read_email_server(config::Reader& r, config::ChannelTable const& t, EmailConfig& e) {
    bool ok = true;
    if (auto const* n = t.at("smtp_url")) {
        if (auto s = r.string(*n, t.full("smtp_url"))) {
            if (auto target = parse_smtp_url(*s)) {
                e.smtp_url = *s;
                e.host = target->host;
                e.port = target->port;
                e.security = target->security;
            } else {
                r.error(*n, "key '" + t.full("smtp_url") + "': " + target.error());
                ok = false;
            }
        } else {
            ok = false;
        }
    }
    if (auto const* n = t.at("starttls")) {
        if (auto b = r.boolean(*n, t.full("starttls"))) {
            if (e.security == net::SmtpSecurity::implicit_tls) {
                r.error(*n, "key '" + t.full("starttls") +
                                "': only meaningful for smtp:// (smtps:// is always implicit TLS)");
                ok = false;
            } else if (!*b && !e.smtp_url.empty()) {
                e.security = net::SmtpSecurity::plain;
            }
        } else {
            ok = false;
        }
    }
    return ok;
}

// The login: username and password, each needing the other, and TLS under them (read after
// the server). False after reporting.
bool read_email_login(config::Reader& r, config::ChannelTable const& t, EmailConfig& e) {
    bool ok = true;
    auto const no_controls = [](std::string const& s) {
        return std::none_of(s.begin(), s.end(), [](char c) {
            return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
        });
    };
    if (auto const* n = t.at("username")) {
        auto s = r.string(*n, t.full("username"));
        if (s && !s->empty() && no_controls(*s)) {
            e.username = *s;
        } else {
            if (s)
                r.error(*n, "key '" + t.full("username") +
                                "': expected a non-empty name without control characters");
            ok = false;
        }
    }
    if (auto const* n = t.at("password")) {
        auto s = r.string(*n, t.full("password"));
        if (s && !s->empty()) {
            // Resolved when the notifier is built; check_config resolves it beforehand to
            // say early that it does not.
            if (!config::is_secret_reference(*s))
                r.literal_secrets.emplace_back(t.full("password"), r.line_of(*n));
            e.password_line = r.line_of(*n);
            e.password_ref = *s;
        } else {
            if (s)
                r.error(*n, "key '" + t.full("password") +
                                "': expected a secret: a literal, env:NAME, file:PATH or "
                                "credential:NAME");
            ok = false;
        }
    }
    if (e.password_ref && !t.at("username")) {
        r.error(*t.at("password"), "key '" + t.full("password") + "': needs 'username' too");
        ok = false;
    }
    if (e.username && !t.at("password")) {
        r.error(*t.at("username"), "key '" + t.full("username") + "': needs 'password' too");
        ok = false;
    }
    if (e.username && e.security == net::SmtpSecurity::plain) {
        r.error(*t.at("username"),
                "key '" + t.full("username") +
                    "': AUTH needs TLS; use smtps:// or remove starttls = false");
        ok = false;
    }
    return ok;
}

// The addresses: from, and to (at least one). False after reporting.
bool read_email_addresses(config::Reader& r, config::ChannelTable const& t, EmailConfig& e) {
    bool ok = true;
    if (auto const* n = t.at("from")) {
        if (auto s = r.string(*n, t.full("from"))) {
            if (auto m = parse_mailbox(*s)) {
                e.from = *m;
            } else {
                r.error(*n, "key '" + t.full("from") + "': " + m.error() +
                                " (expected \"Name <local@domain>\" or local@domain)");
                ok = false;
            }
        } else {
            ok = false;
        }
    }
    if (auto const* n = t.at("to")) {
        auto const* arr = n->as_array();
        if (!arr || arr->empty()) {
            r.error(*n, "key '" + t.full("to") + "': expected a list of at least one address");
            ok = false;
        } else {
            r.strings(*n, t.full("to"), [&](std::string const& s, toml::node const& item) {
                if (auto m = parse_mailbox(s)) {
                    e.to.push_back(*m);
                } else {
                    r.error(item, "key '" + t.full("to") + "': " + m.error() + " in \"" +
                                      sanitize_text(s) + "\"");
                    ok = false;
                }
            });
            if (e.to.size() != arr->size()) ok = false;
        }
    }
    return ok;
}

// The email settings of [notifiers.<name>], or nothing after reporting every problem.
std::shared_ptr<EmailConfig const> read_email(config::Reader& r, config::ChannelTable const& t) {
    bool ok = true;
    for (auto const* required : {"smtp_url", "from", "to"})
        if (!t.at(required)) {
            r.error(t.node, "[" + t.where + "]: missing key '" + required +
                                "' (type \"email\" needs smtp_url, from and to)");
            ok = false;
        }
    auto out = std::make_shared<EmailConfig>();
    out->where = t.where;
    // Each stage reports all it finds, so every problem is said in one go.
    ok = read_email_server(r, t, *out) && ok;
    ok = read_email_login(r, t, *out) && ok;
    ok = read_email_addresses(r, t, *out) && ok;
    if (!ok) return nullptr;
    return out;
}

} // namespace

std::string EmailConfig::destination() const {
    std::string out = smtp_url + "\n" + username.value_or("") + "\n";
    for (auto const& m : to)
        out += m.address + "\n";
    return out;
}

std::string EmailConfig::without_secrets(std::string text,
                                         std::filesystem::path const& base) const {
    if (!password_ref) return text;
    if (auto password = config::resolve_secret(*password_ref, base))
        text = redact_all(std::move(text), *password);
    return text;
}

std::vector<Diagnostic> EmailConfig::check(std::string const& path) const {
    if (!password_ref) return {};
    auto const base = std::filesystem::path(path).parent_path();
    if (auto v = config::resolve_secret(*password_ref, base); !v)
        return {{path, password_line, where + ".password: " + v.error()}};
    return {};
}

config::ChannelReader email_channel() {
    config::ChannelReader c{
        "email", {"smtp_url", "starttls", "username", "password", "from", "to"}, {}};
    c.read = [keys = c.keys](
                 config::Reader& r,
                 config::ChannelTable const& t) -> std::shared_ptr<config::ChannelSettings const> {
        config::reject_foreign_keys(r, t, keys, true);
        return read_email(r, t);
    };
    c.distinct = true;
    c.batch_window = std::chrono::seconds(60); // one mail for what comes within a minute
    return c;
}

} // namespace pinwatch::notifiers
