#include "notifiers/webhook/webhook.hpp"

#include "common/base64.hpp"
#include "common/time.hpp"
#include "config/reader.hpp"

#include "common/json.hpp"
#include "common/text.hpp"
#include "net/crypto.hpp"

#include <ctime>

namespace pinwatch::notifiers {

namespace {

std::optional<std::string> unless_empty(std::string const& s) {
    if (s.empty()) return std::nullopt;
    return s;
}

model::UnixTime system_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace

WebhookNotifier::WebhookNotifier(std::string name, Secret url, Secret signing_key,
                                 net::Client& http, WebhookOptions options)
    : name_(std::move(name)), label_("webhook " + sanitize_text(name_)), url_(std::move(url)),
      key_(std::move(signing_key)), http_(http), options_(std::move(options)) {
    if (!options_.clock) options_.clock = system_now;
}

std::string WebhookNotifier::render(Event const& e) {
    JsonWriter w;
    w.begin_object();
    w.field("type", model::to_string(e.kind));
    w.field("timestamp", pinwatch::rfc3339(e.at));
    w.key("data").begin_object();
    w.field("package", e.package);
    w.field("version", e.version);
    w.field("pinned", e.pinned);
    w.field("specifier", unless_empty(e.specifier));
    w.key("update_type");
    if (e.update)
        w.string(model::to_string(*e.update));
    else
        w.null();
    w.key("allowed");
    if (e.allowed)
        w.boolean(*e.allowed);
    else
        w.null();
    w.field("reason", unless_empty(e.detail));
    w.field("index_url", unless_empty(e.origin));
    // The projects it concerns, each with its own pin (one event for all of them); every
    // event the daemon writes names at least one ("default" for the top-level files).
    if (!e.projects.empty()) {
        w.key("projects").begin_array();
        for (auto const& p : e.projects) {
            w.begin_object().field("name", p.name).field("pinned", p.pinned);
            w.field("specifier", p.specifier).field("file", p.file).key("direct");
            if (p.direct)
                w.boolean(*p.direct);
            else
                w.null();
            w.end_object();
        }
        w.end_array();
    }
    // vulnerability / vulnerability_withdrawn: the advisory, as PyPI lists it.
    w.key("advisory");
    if (e.advisory) {
        auto const& a = *e.advisory;
        w.begin_object().field("id", a.id).key("aliases").begin_array();
        for (auto const& x : a.aliases)
            w.string(x);
        w.end_array().field("summary", a.summary).field("link", unless_empty(a.link));
        w.key("fixed_in").begin_array();
        for (auto const& x : a.fixed_in)
            w.string(x);
        w.end_array().field("fix_allowed", a.fix_allowed).field("withdrawn", a.withdrawn);
        w.end_object();
    } else {
        w.null();
    }
    // pinned_yanked: the nearest non-yanked versions (null for other kinds).
    w.key("alternatives");
    if (e.kind == model::EventKind::pinned_yanked) {
        w.begin_array();
        for (auto const& v : e.alternatives)
            w.string(v);
        w.end_array();
    } else {
        w.null();
    }
    // new_release: its Requires-Python and whether that excludes the team's Python.
    w.field("requires_python", e.requires_python);
    w.key("drops_python");
    if (e.drops_python)
        w.boolean(*e.drops_python);
    else
        w.null();
    w.field("link", e.link);
    // project_status: what the index says now (PEP 792) and what it said before (null at a
    // first sighting); null for other kinds.
    w.key("project_status");
    if (e.project_status)
        w.begin_object()
            .field("status", e.project_status->status)
            .field("reason", e.project_status->reason)
            .field("previous", e.previous_status)
            .end_object();
    else
        w.null();
    w.end_object();
    w.end_object();
    return w.take();
}

std::string WebhookNotifier::sign(std::string_view key, std::string_view id,
                                  model::UnixTime timestamp, std::string_view body) {
    std::string content;
    content.reserve(id.size() + body.size() + 24);
    content.append(id).append(".").append(std::to_string(timestamp)).append(".").append(body);
    return "v1," + net::base64_encode(net::hmac_sha256(key, content));
}

net::Request WebhookNotifier::request_for(Event const& e, model::UnixTime sent_at) const {
    net::Request request;
    request.method = "POST";
    request.url = url_.reveal();
    request.body = render(e);
    request.header("Content-Type", "application/json");
    request.header("webhook-id", e.id);
    request.header("webhook-timestamp", std::to_string(sent_at));
    request.header("webhook-signature", sign(key_.reveal(), e.id, sent_at, request.body));
    // Standard Webhooks: a 3xx is a failed delivery, never followed (and a POST stays one).
    request.follow_redirects = false;
    return request;
}

boost::asio::awaitable<Delivery> WebhookNotifier::deliver(std::span<Event const> events) {
    // Each event has its own answer: one the receiver refuses (a 4xx about that event) is given
    // up alone and the next is sent; a retry (429, 5xx, network), a refused credential (401,
    // 403) or a gone endpoint (410) stops the batch, and what was not sent stays pending.
    Delivery d;
    d.outcomes.assign(events.size(), Delivery::Status::retry);
    bool refused = false, all_sent = true;
    for (std::size_t i = 0; i < events.size(); ++i) {
        auto const& e = events[i];
        if (sent_.contains(e.id)) { // arrived in an earlier call whose answer was not recorded
            d.outcomes[i] = Delivery::Status::delivered;
            continue;
        }
        auto response = co_await http_.fetch(request_for(e, options_.clock()));
        if (!response) {
            // Network trouble, a timeout, a shutdown: try again later, without the URL.
            d.status = Delivery::Status::retry;
            d.error = label_ + ": " + std::string(net::to_string(response.error().kind)) + ": " +
                      sanitize_text(scrub(response.error().message, url_.reveal()));
            all_sent = false;
            break;
        }
        int const status = response->status;
        if (net::classify_status(status) == net::StatusClass::success) {
            sent_.remember(e.id);
            d.outcomes[i] = Delivery::Status::delivered;
            continue;
        }
        std::string const said = body_excerpt(response->body, url_.reveal());
        d.error = label_ + ": HTTP " + std::to_string(status) +
                  (status >= 300 && status < 400 ? " (redirects are not followed)" : "") +
                  (said.empty() ? "" : ": " + said);
        if (net::is_temporary(net::classify_status(status))) {
            d.status = Delivery::Status::retry;
            d.retry_after = retry_after(*response);
        } else if (status == 401 || status == 403) {
            d.status = Delivery::Status::retry; // the key or the URL's token, not this event
            d.auth_failed = true;
        } else if (status == 410) {
            d.status = Delivery::Status::failed; // Standard Webhooks: 410 Gone = disable it
            d.disable = true;
        } else {
            // This event is refused (400, 404, 422, a redirect): the same payload would fail
            // again. The others may still go.
            d.outcomes[i] = Delivery::Status::failed;
            refused = true;
            continue;
        }
        all_sent = false;
        break;
    }
    if (all_sent) {
        for (auto const& e : events) // every answer is in: the dispatcher records each
            sent_.forget(e.id);
        d.status = refused ? Delivery::Status::failed : Delivery::Status::delivered;
        if (!refused) d.outcomes.clear();
    }
    co_return d;
}

std::string WebhookConfig::without_secrets(std::string text, std::filesystem::path const&) const {
    if (!url.empty()) text = scrub(text, url.reveal());
    if (!signing_key.empty()) text = redact_all(std::move(text), signing_key.reveal());
    return text;
}

config::ChannelReader webhook_channel() {
    std::vector<std::string> const keys{"url", "secret"};
    return {"webhook", keys,
            [keys](config::Reader& r, config::ChannelTable const& t)
                -> std::shared_ptr<config::ChannelSettings const> {
                config::reject_foreign_keys(r, t, keys, false);
                require_key(r, t, "url", "the URL");
                require_key(r, t, "secret", "a Standard Webhooks key \"whsec_...\"");
                auto s = std::make_shared<WebhookConfig>();
                read_endpoint(r, t, "url", s->url);
                if (auto const* v = t.at("secret")) {
                    std::optional<std::string> key_bytes;
                    auto const check = [&](std::string const& value) -> std::optional<std::string> {
                        if (value.rfind("whsec_", 0) == 0)
                            key_bytes = base64_decode(std::string_view(value).substr(6));
                        if (!key_bytes || key_bytes->empty())
                            return "a Standard Webhooks key: \"whsec_\" followed by base64";
                        return std::nullopt;
                    };
                    if (config::read_secret(r, *v, t.full("secret"), check))
                        s->signing_key = Secret(std::move(*key_bytes));
                }
                return s;
            }};
}

} // namespace pinwatch::notifiers
