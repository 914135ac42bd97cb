#include "watcher/dispatcher.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace pinwatch::watcher {

Dispatcher::Dispatcher(StateStore& store, std::vector<std::unique_ptr<notifiers::Notifier>> notifiers)
    : store_(store), notifiers_(std::move(notifiers)) {}

std::vector<std::string> Dispatcher::names() const {
    std::vector<std::string> out;
    for (auto const& n : notifiers_) out.emplace_back(n->name());
    return out;
}

boost::asio::awaitable<DispatchStats> Dispatcher::run_once(UnixTime now) {
    DispatchStats stats;
    for (auto const& n : notifiers_) {
        std::string const name(n->name());
        while (true) {
            auto items = store_.pending_outbox(name, now, 50);
            if (items.empty()) break;
            std::vector<Event> events;
            events.reserve(items.size());
            for (auto const& i : items) events.push_back(i.event);
            auto const result = co_await n->deliver(events);
            using S = notifiers::Delivery::Status;
            for (auto const& i : items) {
                if (result.status == S::delivered) {
                    store_.mark_delivered(i.id, now);
                    ++stats.delivered;
                } else if (result.status == S::retry) {
                    // Capped exponential backoff: 30s, 60s, ... 1h.
                    auto const backoff = std::min<std::int64_t>(3600, 30LL << std::min(i.attempts, 10));
                    auto const wait = std::max<std::int64_t>(backoff, result.retry_after.value_or(std::chrono::seconds(0)).count());
                    store_.mark_failed(i.id, result.error, now + wait, now);
                    ++stats.retried;
                } else {
                    store_.mark_failed(i.id, result.error, std::nullopt, now);
                    ++stats.failed;
                }
            }
            if (result.status != S::delivered) {
                spdlog::warn("notifier {}: {} ({} events {})", name, result.error, items.size(),
                             result.status == S::retry ? "will be retried" : "dropped");
                break;
            }
        }
    }
    co_return stats;
}

} // namespace pinwatch::watcher
