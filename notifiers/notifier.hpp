// Notifier: one channel (console, email, Slack, webhook) behind one small interface.
// Rendering is a pure function per channel, tested alone; deliver() does the I/O and says, per
// event, whether the dispatcher should consider it delivered, retry later, or give it up, and
// whether the channel itself must stop (gone, or its credentials refused).
#pragma once

#include "common/text.hpp"
#include "model/model.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pinwatch::notifiers {

using model::Event;

struct Delivery {
    enum class Status { delivered, retry, failed };
    // The batch's outcome, and that of every event without its own entry in `outcomes`.
    Status status = Status::delivered;
    std::string error;                               // never contains secrets
    std::optional<std::chrono::seconds> retry_after; // for retry: the receiver's Retry-After
    // The channel is gone (a deleted Slack webhook, an archived channel, 410 Gone): stop using
    // it until its URL changes, and tell someone. Its undelivered events were not refused: they
    // stay pending (until max_age) in case the URL is fixed.
    bool disable = false;
    // The receiver refused our credentials (SMTP 535/530, Slack invalid_token, webhook 401/403):
    // pause the channel until its secret is fixed (a reload, or notify-test succeeding). The
    // events were not refused: they stay pending. Set with status retry.
    bool auth_failed = false;
    // Each event's own outcome, in the order deliver() was given them, when a batch came to
    // different ends (one event of eight refused, one part of a split message): delivered ones
    // are recorded as delivered, refused ones as failed, the rest stay pending. Empty: every
    // event came to `status`.
    std::vector<Status> outcomes = {};

    Status outcome(std::size_t i) const { return i < outcomes.size() ? outcomes[i] : status; }
};

class Notifier {
  public:
    virtual ~Notifier() = default;
    virtual std::string_view name() const noexcept = 0; // the configured name
    virtual boost::asio::awaitable<Delivery> deliver(std::span<Event const> events) = 0;
    // The shortest time to leave between two deliver() calls (the receiver's rate limit, e.g.
    // Slack's one message per second per webhook); 0 = no limit. The dispatcher enforces it.
    virtual std::chrono::milliseconds min_interval() const noexcept {
        return std::chrono::milliseconds{0};
    }
};

// Text for humans: one line per event (the message model's sentence, notifiers/message.hpp),
// used by the console, `status` and the plain-text part of mail. Untrusted parts go through
// sanitize_text (common/text), so an index cannot send terminal escape sequences through us.
std::string describe(Event const& e);

} // namespace pinwatch::notifiers
