// Notifier: one channel (console, email, Slack, webhook) behind one small interface.
// Rendering is a pure function per channel, tested alone; deliver() does the I/O and says
// whether the dispatcher should consider the events delivered, retry later, or give up.
#pragma once

#include "watcher/model.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace pinwatch::notifiers {

using watcher::Event;

struct Delivery {
    enum class Status { delivered, retry, failed };
    Status status = Status::delivered;
    std::string error;                              // never contains secrets
    std::optional<std::chrono::seconds> retry_after; // for retry
};

class Notifier {
public:
    virtual ~Notifier() = default;
    virtual std::string_view name() const noexcept = 0; // the configured name
    virtual boost::asio::awaitable<Delivery> deliver(std::span<Event const> events) = 0;
};

// Text for humans: one line per event, used by the console and as the plain-text part of mail.
// Untrusted parts (versions, reasons, error messages) have control characters replaced, so an
// index cannot send terminal escape sequences through us.
std::string describe(Event const& e);
std::string sanitize_text(std::string_view untrusted);

} // namespace pinwatch::notifiers
