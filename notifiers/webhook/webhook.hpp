// Webhook notifier: one signed JSON POST per event, as Standard Webhooks describes them
// (webhook-id / webhook-timestamp / webhook-signature, HMAC-SHA256 under a "whsec_" key).
// Rendering and signing are pure; deliver() only sends and reads the status. The URL may carry
// a token and the key is secret: neither appears in any message.
#pragma once

#include "common/secret.hpp"
#include "config/config.hpp"
#include "net/client.hpp"
#include "notifiers/notifier.hpp"
#include "notifiers/post.hpp"

#include <functional>
#include <string>
#include <string_view>

namespace pinwatch::notifiers {

// `type = "webhook"`'s keys: `url`, the endpoint (https://, or http:// to loopback), and
// `secret`, the Standard Webhooks key "whsec_<base64>", held here decoded: the HMAC key bytes.
struct WebhookConfig final : config::ChannelSettings {
    Secret url;
    Secret signing_key;
    std::string destination() const override { return url.reveal(); }
    std::string without_secrets(std::string text, std::filesystem::path const&) const override;
};
// The registry's reader of a webhook table's keys.
config::ChannelReader webhook_channel();

struct WebhookOptions {
    // The send time for webhook-timestamp; the system clock unless a test fixes it.
    std::function<model::UnixTime()> clock;
};

class WebhookNotifier final : public Notifier {
  public:
    // `signing_key`: the HMAC key bytes, i.e. the base64 after "whsec_", decoded.
    WebhookNotifier(std::string name, Secret url, Secret signing_key, net::Client& http,
                    WebhookOptions options = {});

    std::string_view name() const noexcept override { return name_; }
    // One request per event, in order; the batch is delivered when every event was. Events
    // that arrived are not sent again when the dispatcher retries the same batch (receivers
    // dedupe on webhook-id anyway).
    boost::asio::awaitable<Delivery> deliver(std::span<Event const> events) override;

    // Pure: {"type": kind, "timestamp": RFC 3339 of e.at, "data": {...}}; keys that do not
    // apply to the event are null.
    static std::string render(Event const& e);
    // Pure: the webhook-signature value "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>".
    static std::string sign(std::string_view key, std::string_view id, model::UnixTime timestamp,
                            std::string_view body);
    // Pure: the request that delivers `e` when sent at `sent_at` (Unix seconds).
    net::Request request_for(Event const& e, model::UnixTime sent_at) const;

  private:
    std::string name_;
    std::string label_; // "webhook <name>": how messages name this notifier, never by its URL
    Secret url_;
    Secret key_;
    net::Client& http_;
    WebhookOptions options_;
    RecentlyDelivered sent_; // event ids already delivered
};

} // namespace pinwatch::notifiers
