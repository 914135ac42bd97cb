#include "notifiers/console/console.hpp"

#include "config/reader.hpp"

#include "common/time.hpp"
#include "notifiers/message.hpp"

#include <ctime>
#include <ostream>

namespace pinwatch::notifiers {

std::string ConsoleNotifier::render(Event const& e) {
    auto const m = message_for(e);
    return "[" + utc_text(m.at) + "] " + model::to_string(m.kind) + " " + m.sentence;
}

boost::asio::awaitable<Delivery> ConsoleNotifier::deliver(std::span<Event const> events) {
    out_.clear(); // a failure last time (a full disk behind stdout) must not fail every retry
    for (auto const& e : events)
        out_ << render(e) << '\n';
    out_.flush();
    Delivery result;
    if (!out_) {
        result.status = Delivery::Status::retry;
        result.error = "cannot write to the console";
    }
    co_return result;
}

config::ChannelReader console_channel() {
    return {"console",
            {},
            [](config::Reader& r,
               config::ChannelTable const& t) -> std::shared_ptr<config::ChannelSettings const> {
                config::reject_foreign_keys(r, t, {}, false);
                return std::make_shared<ConsoleConfig>();
            }};
}

} // namespace pinwatch::notifiers
