#include "watcher/dispatcher.hpp"

#include "common/text.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace pinwatch::watcher {

std::vector<std::string> Router::recipients(Event const& e) const {
    std::vector<std::string> out;
    for (auto const& r : routes_)
        if (route_accepts(r, e)) out.push_back(r.notifier);
    return out;
}

Dispatcher::Dispatcher(StateStore& store, std::vector<Channel> channels, Backoff retry)
    : outbox_(store), channels_(std::move(channels)), retry_(retry) {}

Router Dispatcher::router() const {
    std::vector<Route> routes;
    for (auto const& c : channels_) {
        Route r = c.route;
        r.notifier = std::string(c.notifier->name());
        routes.push_back(std::move(r));
    }
    return Router(std::move(routes));
}

std::vector<std::string> Dispatcher::names() const {
    std::vector<std::string> out;
    for (auto const& c : channels_)
        out.emplace_back(c.notifier->name());
    return out;
}

boost::asio::awaitable<DispatchStats> Dispatcher::run_once(UnixTime now) {
    DispatchStats stats;
    for (auto const& c : channels_) {
        auto& n = *c.notifier;
        std::string const name(n.name());
        while (true) {
            auto items = outbox_.pending(name, now, 50);
            if (items.empty()) break;
            std::vector<Event> events;
            events.reserve(items.size());
            for (auto const& i : items)
                events.push_back(i.event);
            auto const result = co_await n.deliver(events);
            using S = notifiers::Delivery::Status;
            for (auto const& i : items) {
                if (result.status == S::delivered) {
                    outbox_.mark_delivered(i.id, now);
                    ++stats.delivered;
                } else if (result.status == S::retry) {
                    auto const backoff = retry_.after(i.attempts + 1).count();
                    auto const asked = result.retry_after.value_or(std::chrono::seconds(0)).count();
                    outbox_.mark_failed(i.id, result.error,
                                        now + std::max<std::int64_t>(backoff, asked), now);
                    ++stats.retried;
                } else {
                    outbox_.mark_failed(i.id, result.error, std::nullopt, now);
                    ++stats.failed;
                }
            }
            if (result.status != S::delivered) {
                spdlog::warn("notifier {}: {} ({} events {})", name, sanitize_text(result.error),
                             items.size(),
                             result.status == S::retry ? "will be retried" : "dropped");
                break;
            }
        }
    }
    co_return stats;
}

} // namespace pinwatch::watcher
