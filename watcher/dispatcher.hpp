// Dispatcher: delivers what the outbox holds, per notifier, and records the outcome.
// At-least-once: an item is marked delivered only after its notifier said so; a crash in
// between re-sends that one batch (with the same event ids) on the next start.
#pragma once

#include "notifiers/notifier.hpp"
#include "watcher/state_store.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <vector>

namespace pinwatch::watcher {

struct DispatchStats {
    std::size_t delivered = 0, retried = 0, failed = 0;
};

class Dispatcher {
public:
    Dispatcher(StateStore& store, std::vector<std::unique_ptr<notifiers::Notifier>> notifiers);
    std::vector<std::string> names() const;
    // Delivers every due item once; returns what happened.
    boost::asio::awaitable<DispatchStats> run_once(UnixTime now);

private:
    StateStore& store_;
    std::vector<std::unique_ptr<notifiers::Notifier>> notifiers_;
};

} // namespace pinwatch::watcher
