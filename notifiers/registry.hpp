// The notifier registry: turns `[notifiers.<name>]` tables into Notifier objects by type. A new
// channel is one folder in notifiers/ plus one entry in the table in registry.cpp; nothing
// else names a channel.
#pragma once

#include "common/result.hpp"
#include "config/config.hpp"
#include "notifiers/notifier.hpp"

#include <iosfwd>
#include <memory>

namespace pinwatch::net {
class Client;
}

namespace pinwatch::notifiers {

// What channels may need from the process: where the console writes, and the HTTPS client that
// channels which post (Slack, webhook) send through. Building one of those without `http` fails.
struct NotifierContext {
    std::ostream& console;
    net::Client* http = nullptr; // owned by the caller; must outlive the notifiers
};

Result<std::unique_ptr<Notifier>> make_notifier(config::NotifierConfig const& cfg,
                                                NotifierContext const& ctx);

// The notifiers a config asks for, in file order, plus the default console notifier (named
// "console") unless the config says `console = false` or names its own "console".
Result<std::vector<std::pair<std::unique_ptr<Notifier>, model::Route>>>
make_notifiers(config::Config const& cfg, NotifierContext const& ctx);

} // namespace pinwatch::notifiers
