// Dispatcher: decides which notifier an event goes to (routing) and delivers what the outbox
// holds, per notifier, recording each outcome. At-least-once: an item is marked delivered only
// after its notifier said so; a crash in between re-sends that one batch (with the same event
// ids) on the next start. One failing notifier never holds up another.
#pragma once

#include "common/backoff.hpp"
#include "notifiers/notifier.hpp"
#include "watcher/state/outbox.hpp"

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <vector>

namespace pinwatch::watcher {

// Routes events to notifiers by the notifiers' routes (event kinds, packages, update types).
class Router {
  public:
    Router() = default;
    explicit Router(std::vector<Route> routes) : routes_(std::move(routes)) {}
    std::vector<std::string> recipients(Event const& e) const;
    std::vector<Route> const& routes() const { return routes_; }

  private:
    std::vector<Route> routes_;
};

struct DispatchStats {
    std::size_t delivered = 0, retried = 0, failed = 0;
};

class Dispatcher {
  public:
    struct Channel {
        std::unique_ptr<notifiers::Notifier> notifier;
        Route route;
    };
    Dispatcher(StateStore& store, std::vector<Channel> channels, Backoff retry = {});
    // The routes of every channel, for the store and the poller.
    Router router() const;
    std::vector<std::string> names() const;
    // Delivers every due item once; returns what happened.
    boost::asio::awaitable<DispatchStats> run_once(UnixTime now);
    // When the next pending item is due (nullopt: nothing pending).
    std::optional<UnixTime> next_due() const { return outbox_.next_due(); }

  private:
    Outbox outbox_;
    std::vector<Channel> channels_;
    Backoff retry_;
};

} // namespace pinwatch::watcher
