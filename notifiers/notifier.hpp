// Notifier: one channel (console, email, Slack, webhook) behind one small interface.
// Rendering is a pure function per channel, tested alone; deliver() does the I/O and says
// whether the dispatcher should consider the events delivered, retry later, or give up.
#pragma once

#include "common/text.hpp"
#include "model/model.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace pinwatch::notifiers {

using model::Event;

struct Delivery {
    enum class Status { delivered, retry, failed };
    Status status = Status::delivered;
    std::string error;                               // never contains secrets
    std::optional<std::chrono::seconds> retry_after; // for retry
    // With failed: the receiver says this notifier is dead (a deleted Slack webhook, an archived
    // channel, 410 Gone): stop using it until the config changes, and tell someone.
    bool disable = false;
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
