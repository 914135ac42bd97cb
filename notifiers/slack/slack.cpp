#include "notifiers/slack/slack.hpp"
#include "common/time.hpp"

#include "common/json.hpp"
#include "common/text.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace pinwatch::notifiers {

namespace {

using model::EventKind;
using model::UpdateType;

// Output budgets (characters after escaping) for each piece of untrusted text, so that one
// event's section stays far below Slack's 3,000 characters whatever an index sends.
constexpr std::size_t kPackageChars = 100;
constexpr std::size_t kVersionChars = 64;
constexpr std::size_t kSpecifierChars = 200;
constexpr std::size_t kDetailChars = 600;
constexpr std::size_t kOriginChars = 200;
constexpr std::size_t kIdChars = 100;
constexpr std::size_t kFallbackLineChars = 300;
constexpr std::size_t kFallbackChars = 3000;

// Untrusted text as it may appear in a Slack message: sanitised (no control characters, no
// bidi overrides), escaped (& < > as entities, so "<!channel>" pings no one), and cut to
// `max_chars` characters of output without splitting an entity or a UTF-8 sequence.
std::string inert(std::string_view untrusted, std::size_t max_chars) {
    std::string const clean = sanitize_text(untrusted);
    std::string out;
    std::size_t chars = 0;
    for (std::size_t i = 0; i < clean.size();) {
        auto const ch = decode_utf8(clean, i);
        std::string piece = SlackNotifier::escape(std::string_view(clean).substr(i, ch.length));
        std::size_t const width = display_width(piece);
        if (chars + width > max_chars) {
            out += "…";
            break;
        }
        out += piece;
        chars += width;
        i += ch.length;
    }
    return out;
}

// A URL inside Slack's <url|label>: characters that would end the link, start another one or
// break the URL are percent-encoded.
std::string link_url(std::string_view url) {
    std::string out;
    for (unsigned char c : url) {
        if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '|' || c == '&' || c == '"' ||
            c == '\\' || c == '`' || c == '^' || c == '{' || c == '}') {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned>(c));
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

// One path segment: everything but RFC 3986's unreserved characters percent-encoded.
std::string path_segment(std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
        bool const unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                                c == '~';
        if (unreserved) {
            out += static_cast<char>(c);
        } else {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned>(c));
            out += buf;
        }
    }
    return out;
}

// Whether the event was seen on pypi.org's own index (then PyPI's project pages exist).
bool from_pypi_org(std::string_view origin) {
    auto const url = ascii_lower(redact_url(origin));
    return url == "https://pypi.org" || url.rfind("https://pypi.org/", 0) == 0;
}

bool is_web_url(std::string_view url) {
    auto const lower = ascii_lower(url.substr(0, 8));
    return lower.rfind("https://", 0) == 0 || lower.rfind("http://", 0) == 0;
}

// Where to read more: PyPI's page for the release when the event came from pypi.org, else the
// index it came from.
std::string links(Event const& e) {
    if (e.source == "github" && is_web_url(e.origin)) {
        std::string const url = redact_url(e.origin);
        return "<" + link_url(url.substr(0, 2 * kOriginChars)) +
               "|GitHub: " + inert(url, kOriginChars) + ">";
    }
    if (from_pypi_org(e.origin)) {
        // Names and versions are cut before they go into the URL, like everything else.
        std::string const name(e.package.substr(0, kPackageChars));
        std::string url = "https://pypi.org/project/" + path_segment(name) + "/";
        std::string label = "PyPI: " + inert(e.package, kPackageChars);
        if (e.version) {
            url += path_segment(e.version->substr(0, kVersionChars)) + "/";
            label += " " + inert(*e.version, kVersionChars);
        }
        return "<" + link_url(url) + "|" + label + ">";
    }
    if (is_web_url(e.origin)) {
        std::string const origin = redact_url(e.origin);
        return "Index: <" + link_url(origin.substr(0, 2 * kOriginChars)) + "|" +
               inert(origin, kOriginChars) + ">";
    }
    if (!e.origin.empty()) return "Index: " + inert(e.origin, kOriginChars);
    return "";
}

std::string section_text(Event const& e) {
    std::string const pkg = "*" + inert(e.package, kPackageChars) + "*";
    std::string const ver = inert(e.version.value_or("?"), kVersionChars);
    std::string const pin = e.pinned ? inert(*e.pinned, kVersionChars) : "";
    std::string s;
    char const* detail_label = "Details";
    switch (e.kind) {
    case EventKind::new_release:
        if (e.update == UpdateType::older)
            s = pkg + " " + ver + " released, " +
                (e.pinned ? "below the version you pin (" + pin + ")"
                          : std::string("older than the newest release")) +
                ": a backport";
        else if (e.pinned)
            s = pkg + " " + pin + " → *" + ver + "*";
        else
            s = pkg + " *" + ver + "* released";
        if (e.update && *e.update != UpdateType::none && *e.update != UpdateType::older)
            s += "\nUpdate: *" + std::string(model::to_string(*e.update)) + "*";
        if (e.allowed) {
            std::string const spec = e.specifier.empty()
                                         ? std::string("any version")
                                         : "'" + inert(e.specifier, kSpecifierChars) + "'";
            s += *e.allowed ? "\nAllowed by your requirement: " + spec
                            : "\nNot allowed by your requirement: " + spec;
        }
        if (auto const drops = drops_python_text(e); !drops.empty())
            s += "\n:warning: It " + inert(drops, kSpecifierChars);
        break;
    case EventKind::release_yanked:
        s = pkg + " " + ver + " was yanked";
        detail_label = "Reason";
        break;
    case EventKind::release_unyanked:
        s = pkg + " " + ver + " is no longer yanked";
        break;
    case EventKind::pinned_yanked:
        s = ":warning: " + pkg + " " + ver + ", the version you pin, was yanked";
        if (auto const near = alternatives_text(e); !near.empty())
            s += "\nNearest non-yanked: " + inert(near, kSpecifierChars);
        detail_label = "Reason";
        break;
    case EventKind::vulnerability:
        s = ":rotating_light: " + pkg + " " + ver + ", the version you pin, is vulnerable";
        if (e.advisory) {
            s += "\n*" + inert(advisory_title(*e.advisory), kSpecifierChars) + "*";
            s += "\n" + inert(fix_text(e), kDetailChars);
            if (is_web_url(e.advisory->link))
                s += "\n<" + link_url(e.advisory->link.substr(0, 2 * kOriginChars)) + "|" +
                     inert(e.advisory->id, kIdChars) + ">";
        }
        detail_label = "Summary";
        break;
    case EventKind::vulnerability_withdrawn:
        s = ":white_check_mark: " + pkg + " " + ver + ": advisory *" +
            inert(e.advisory ? advisory_title(*e.advisory) : std::string("?"), kSpecifierChars) +
            "* no longer applies";
        detail_label = "Why";
        break;
    case EventKind::pin_not_found:
        s = pkg + " " + inert(e.pinned.value_or("?"), kVersionChars) +
            ", the version you pin, is not listed";
        break;
    case EventKind::release_removed:
        s = pkg + " " + ver + " was removed from the index";
        break;
    case EventKind::package_gone:
        s = pkg + " is gone from the index";
        break;
    case EventKind::source_failing:
        s = pkg + ": polls keep failing";
        detail_label = "Last error";
        break;
    case EventKind::source_recovered:
        s = pkg + ": polls work again";
        break;
    case EventKind::notifier_disabled:
        s = "Notifier " + pkg + " is disabled: it gets nothing until the config changes";
        break;
    case EventKind::github_release:
        s = pkg + " *" + ver + "* released on GitHub";
        break;
    case EventKind::issue_spike:
        s = ":rotating_light: " + pkg + ": a spike of new GitHub issues";
        break;
    case EventKind::issue_spike_over:
        s = pkg + ": new GitHub issues are back to their usual rate";
        break;
    }
    if (!e.detail.empty())
        s += "\n" + std::string(detail_label) + ": " + inert(e.detail, kDetailChars);
    if (auto l = links(e); !l.empty()) s += "\n" + l;
    if (e.link && e.source != "github" && is_web_url(*e.link)) {
        std::string const url = redact_url(*e.link);
        s += "\n<" + link_url(url.substr(0, 2 * kOriginChars)) + "|Release notes>";
    }
    return s;
}

std::string context_text(Event const& e) {
    return "pinwatch event " + inert(e.id, kIdChars) + " · " + model::to_string(e.kind) + " · " +
           utc_text(e.at);
}

// The plain-text fallback Slack shows in notifications (and parses like mrkdwn: escaped too).
std::string fallback(std::span<Event const> events) {
    std::string out;
    if (events.size() > 1) out = "pinwatch: " + std::to_string(events.size()) + " changes";
    for (auto const& e : events) {
        if (!out.empty()) out += "\n";
        out += SlackNotifier::escape(truncate_text(describe(e), kFallbackLineChars));
        if (out.size() > kFallbackChars) break;
    }
    if (out.size() > kFallbackChars) {
        // Cut at a line, so no entity is split.
        auto const cut = out.rfind('\n', kFallbackChars);
        out.resize(cut == std::string::npos ? 0 : cut);
        out += "\n…";
    }
    return out;
}

void mrkdwn(JsonWriter& w, std::string const& text) {
    // verbatim: no automatic links or mentions from plain words; our own <url|label> remain.
    w.begin_object().field("type", "mrkdwn").field("text", text).field("verbatim", true);
    w.end_object();
}

} // namespace

std::string SlackNotifier::escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

std::string SlackNotifier::render(std::span<Event const> events, std::size_t part,
                                  std::size_t parts) {
    JsonWriter w;
    w.begin_object();
    w.field("text", fallback(events));
    w.field("unfurl_links", false).field("unfurl_media", false);
    w.key("blocks").begin_array();
    std::string header = "pinwatch: " + std::to_string(events.size()) +
                         (events.size() == 1 ? " change" : " changes");
    if (parts > 1)
        header += " (part " + std::to_string(part) + " of " + std::to_string(parts) + ")";
    w.begin_object().field("type", "header").key("text").begin_object();
    w.field("type", "plain_text").field("text", header).end_object().end_object();
    for (auto const& e : events) {
        w.begin_object().field("type", "section").key("text");
        mrkdwn(w, section_text(e));
        w.end_object();
        w.begin_object().field("type", "context").key("elements").begin_array();
        mrkdwn(w, context_text(e));
        w.end_array().end_object();
    }
    w.end_array();
    w.end_object();
    return w.take();
}

std::vector<std::span<Event const>> SlackNotifier::split(std::span<Event const> events) {
    std::vector<std::span<Event const>> out;
    std::size_t start = 0, chars = 0;
    for (std::size_t i = 0; i < events.size(); ++i) {
        std::size_t const size = section_text(events[i]).size() + context_text(events[i]).size();
        if (i > start && (i - start == kMaxEventsPerMessage || chars + size > kMaxBlockChars)) {
            out.push_back(events.subspan(start, i - start));
            start = i;
            chars = 0;
        }
        chars += size;
    }
    if (start < events.size()) out.push_back(events.subspan(start));
    return out;
}

std::vector<std::string> SlackNotifier::render_messages(std::span<Event const> events) {
    auto const parts = split(events);
    std::vector<std::string> out;
    for (std::size_t i = 0; i < parts.size(); ++i)
        out.push_back(render(parts[i], i + 1, parts.size()));
    return out;
}

SlackNotifier::SlackNotifier(std::string name, Secret webhook_url, net::Client& http,
                             SlackOptions options)
    : name_(std::move(name)), label_("slack " + sanitize_text(name_)), url_(std::move(webhook_url)),
      http_(http), options_(options) {}

boost::asio::awaitable<Delivery> SlackNotifier::deliver(std::span<Event const> events) {
    if (events.empty()) co_return Delivery{};
    // Each part's events come to that part's answer: a part Slack refuses (invalid_payload) is
    // given up alone and the next part goes; a retry, a refused token or a gone webhook stops
    // the batch, and the parts not sent stay pending.
    auto const parts = split(events);
    Delivery d;
    d.outcomes.assign(events.size(), Delivery::Status::retry);
    std::vector<std::string> keys;
    bool posted = false, refused = false, all_sent = true;
    std::size_t first = 0; // index in `events` of the part's first event
    for (std::size_t i = 0; i < parts.size(); first += parts[i].size(), ++i) {
        auto const set = [&](Delivery::Status s) {
            std::fill_n(d.outcomes.begin() + static_cast<std::ptrdiff_t>(first), parts[i].size(),
                        s);
        };
        std::string key;
        for (auto const& e : parts[i])
            key += e.id + "\n";
        keys.push_back(key);
        if (sent_.contains(key)) { // arrived in an earlier call whose answer was not recorded
            set(Delivery::Status::delivered);
            continue;
        }
        if (posted && options_.pace.count() > 0) {
            boost::asio::steady_timer pause(co_await boost::asio::this_coro::executor,
                                            options_.pace);
            auto [ec] =
                co_await pause.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
            if (ec) {
                d.status = Delivery::Status::retry;
                d.error = label_ + ": cancelled between parts";
                all_sent = false;
                break;
            }
        }
        auto result = co_await post(render(parts[i], i + 1, parts.size()));
        posted = true;
        if (result.status == Delivery::Status::delivered) {
            sent_.remember(key);
            set(Delivery::Status::delivered);
            continue;
        }
        if (parts.size() > 1)
            result.error +=
                " (part " + std::to_string(i + 1) + " of " + std::to_string(parts.size()) + ")";
        result.outcomes = std::move(d.outcomes);
        d = std::move(result);
        if (d.status == Delivery::Status::failed && !d.disable) {
            set(Delivery::Status::failed); // this part is refused; the next may go
            refused = true;
            continue;
        }
        all_sent = false;
        break;
    }
    if (all_sent) {
        for (auto const& key : keys) // every answer is in: the dispatcher records each part
            sent_.forget(key);
        d.status = refused ? Delivery::Status::failed : Delivery::Status::delivered;
        if (!refused) d.outcomes.clear();
    }
    co_return d;
}

boost::asio::awaitable<Delivery> SlackNotifier::post(std::string body) {
    net::Request request;
    request.method = "POST";
    request.url = url_.reveal();
    request.header("Content-Type", "application/json; charset=utf-8");
    request.body = std::move(body);
    request.follow_redirects = false; // Slack never redirects a webhook; a POST must stay one
    auto response = co_await http_.fetch(std::move(request));

    Delivery d;
    if (!response) {
        // Network trouble, a timeout, a shutdown: try again later. The client's message names
        // the URL's host and path; the path is the token, so it goes.
        d.status = Delivery::Status::retry;
        d.error = label_ + ": " + std::string(net::to_string(response.error().kind)) + ": " +
                  sanitize_text(scrub(response.error().message, url_.reveal()));
        co_return d;
    }
    int const status = response->status;
    if (status >= 200 && status < 300) co_return d;

    std::string const said = body_excerpt(response->body, url_.reveal());
    d.error = label_ + ": HTTP " + std::to_string(status) + (said.empty() ? "" : ": " + said);
    // Slack's answers that mean the webhook is gone for good: stop using it.
    auto const code = trim_blanks(response->body);
    bool const dead =
        status == 404 || status == 410 || code == "no_service" || code == "channel_is_archived";
    if (code == "invalid_token" || code == "token_revoked") {
        // The webhook's token is refused: pause the channel until its URL is fixed; the events
        // were not refused and stay pending.
        d.status = Delivery::Status::retry;
        d.auth_failed = true;
    } else if (status == 429 || (status >= 500 && !dead)) {
        d.status = Delivery::Status::retry;
        d.retry_after = retry_after(*response);
    } else {
        d.status = Delivery::Status::failed; // 3xx, other 4xx: the same payload would fail again
        d.disable = dead;
    }
    co_return d;
}

} // namespace pinwatch::notifiers
