// Console notifier: prints one line per event on a stream (stdout for the daemon, the journal
// under systemd). Cannot fail except when the stream does.
#pragma once

#include "config/config.hpp"
#include "notifiers/notifier.hpp"

#include <iosfwd>
#include <string>

namespace pinwatch::notifiers {

// `type = "console"` takes no keys of its own.
struct ConsoleConfig final : config::ChannelSettings {
    std::string destination() const override { return {}; }
};
// The registry's reader of a console table (which only refuses keys).
config::ChannelReader console_channel();

class ConsoleNotifier final : public Notifier {
  public:
    explicit ConsoleNotifier(std::ostream& out, std::string name = "console")
        : out_(out), name_(std::move(name)) {}
    std::string_view name() const noexcept override { return name_; }
    boost::asio::awaitable<Delivery> deliver(std::span<Event const> events) override;

    static std::string
    render(Event const& e); // pure: "[2026-11-24 10:00:00Z] requests 2.32.0: ..."

  private:
    std::ostream& out_;
    std::string name_;
};

} // namespace pinwatch::notifiers
