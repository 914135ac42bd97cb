// The notifier registry: turns `[notifiers.<name>]` tables into Notifier objects by type. A new
// channel is one folder in notifiers/ plus one entry in registry.cpp: the entry says which keys
// the channel takes and reads them (its secrets, their checks), and builds the notifier from
// what it read; nothing else names a channel.
#pragma once

#include "common/result.hpp"
#include "config/config.hpp"
#include "notifiers/notifier.hpp"

#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>

namespace pinwatch::net {
class Client;
}

namespace pinwatch::notifiers {

// Turns a secret reference from the config (a literal, env:NAME, file:PATH or credential:NAME)
// into the secret. Its errors say what failed without the secret.
using SecretResolver = std::function<Result<std::string>(std::string const& reference)>;

// What channels may need from the process: where the console writes, the HTTPS client that
// channels which post (Slack, webhook) send through (building one of those without it fails),
// the secret resolver (the email password) and the extra CA file for SMTP's TLS.
struct NotifierContext {
    std::ostream& console;
    net::Client* http = nullptr; // owned by the caller; must outlive the notifiers
    // While unset, a notifier configured with a secret reference refuses to start (it never
    // takes a reference for the secret itself).
    SecretResolver resolve_secret = {};
    // PEM added to the system trust store for notifiers' TLS (SMTP); make_notifiers fills it
    // from [http] extra_ca_file when unset, so HTTPS and SMTP trust the same CAs.
    std::optional<std::string> extra_ca_file = {};
};

// The readers of every channel's keys, for config::read_config_text (the composition root
// passes them down; config/ reads only what every notifier has).
config::ChannelReaders channel_readers();

Result<std::unique_ptr<Notifier>> make_notifier(config::NotifierConfig const& cfg,
                                                NotifierContext const& ctx);

// The notifiers a config asks for, in file order, plus the default console notifier (named
// "console") unless the config says `console = false` or names its own "console".
Result<std::vector<std::pair<std::unique_ptr<Notifier>, model::Route>>>
make_notifiers(config::Config const& cfg, NotifierContext const& ctx);

} // namespace pinwatch::notifiers
