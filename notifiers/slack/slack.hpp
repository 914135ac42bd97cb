// Slack notifier: events as Block Kit messages POSTed to an incoming webhook. Rendering is pure:
// it renders the message model (notifiers/message.hpp) as mrkdwn, and escapes and defuses
// every piece of untrusted text, so "<!channel>" or "*urgent*" in a yank reason stays text;
// deliver() only posts the rendered parts and reads Slack's answer. The webhook URL is a
// credential (its path is the token): no message, log line or error ever contains it.
#pragma once

#include "common/secret.hpp"
#include "config/config.hpp"
#include "net/client.hpp"
#include "notifiers/notifier.hpp"
#include "notifiers/post.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace pinwatch::notifiers {

// `type = "slack"`'s key: `webhook_url`, the incoming webhook (https://, or http:// to
// loopback); its path is the credential.
struct SlackConfig final : config::ChannelSettings {
    Secret webhook_url;
    std::string destination() const override { return webhook_url.reveal(); }
    std::string without_secrets(std::string text, std::filesystem::path const&) const override;
};
// The registry's reader of a slack table's keys.
config::ChannelReader slack_channel();

struct SlackOptions {
    // Pause between the parts of one batch: Slack allows one message per second per webhook.
    std::chrono::milliseconds pace{1000};
};

class SlackNotifier final : public Notifier {
  public:
    // Slack's limit is 50 blocks; a header, a block per event, the shared lines and the ids
    // line keep well inside it.
    static constexpr std::size_t kMaxBlocks = 40;
    static constexpr std::size_t kMaxEventsPerMessage = kMaxBlocks - 3;
    // Slack refuses messages whose blocks hold much more than ~13,000 characters in all.
    static constexpr std::size_t kMaxBlockChars = 10'000;
    // Slack's limit for one text object (a section's text, a context element).
    static constexpr std::size_t kMaxSectionChars = 3'000;
    // A batch that does not fit one message with each event in full (a section per event)
    // is told in compact form, a line per event (Message::compact) in a few sections, when it
    // fits one message so: at most this many events (a list one reads through; their ids stay
    // within one context element) and kMaxBlockChars in all.
    static constexpr std::size_t kMaxCompactEvents = 50;

    SlackNotifier(std::string name, Secret webhook_url, net::Client& http,
                  SlackOptions options = {});

    std::string_view name() const noexcept override { return name_; }
    std::chrono::milliseconds min_interval() const noexcept override {
        return std::chrono::milliseconds{1000};
    }
    // One message per batch, several (in order, paced) when the events do not fit in one; the
    // batch is delivered only when every part was. Parts that arrived are not sent again when
    // the dispatcher retries the same batch.
    boost::asio::awaitable<Delivery> deliver(std::span<Event const> events) override;

    // Pure: one message for these events (Block Kit blocks plus a plain-text fallback);
    // `part`/`parts` number it when a batch needed several. Each event in full (a section of
    // its own) when they fit so, else in compact form (a line each) when they fit so.
    static std::string render(std::span<Event const> events, std::size_t part = 1,
                              std::size_t parts = 1);
    // Pure: how a batch is cut into messages (each within kMaxBlocks, kMaxBlockChars and
    // kMaxSectionChars): one message when it fits in full or in compact form, else the fewest
    // consecutive parts that each fit one compact message (greedy, longest first); parts that
    // each fit in full when some event does not fit a compact message on its own.
    static std::vector<std::span<Event const>> split(std::span<Event const> events);
    // Pure: the messages for a whole batch, in order.
    static std::vector<std::string> render_messages(std::span<Event const> events);
    // Slack's three control characters as entities ("&" first): &amp; &lt; &gt;.
    static std::string escape(std::string_view text);
    // Untrusted text without Slack formatting of its own: '*', '~' and '`', a '_' that starts a
    // word and a ':' that opens an emoji code become look-alikes that do not format (∗ ∼ ˋ ˍ ∶),
    // so a yank reason cannot bold, strike, quote as code or show an emoji. Before escape().
    static std::string defuse(std::string_view text);

  private:
    boost::asio::awaitable<Delivery> post(std::string body);

    std::string name_;
    std::string label_; // "slack <name>": how messages name this notifier, never by its URL
    Secret url_;
    net::Client& http_;
    SlackOptions options_;
    RecentlyDelivered sent_; // parts already delivered, by their events' ids
};

} // namespace pinwatch::notifiers
