// The composition root: the one place that builds what the commands run from a config or
// flags — the config read with the tables the sources own, the HTTPS client, the sources and
// the notifiers. `run` (through the Daemon), `check`, `notify-test` and `evaluate` call it, so
// none of them wires these pieces by hand.
#pragma once

#include "config/check.hpp"
#include "config/config.hpp"
#include "net/client.hpp"
#include "notifiers/notifier.hpp"
#include "watcher/evaluator.hpp"
#include "watcher/sources/registry.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <iosfwd>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace pinwatch::watcher {

// The config at `path`, with every source's table read by its source and every notifier's
// channel keys by its channel (config-check's checks and messages).
config::ConfigCheck check_config(std::string const& path);
Result<config::Config, std::vector<config::ConfigError>> load_config(std::string const& path);

// The client options a config's [http] table sets.
net::ClientOptions client_options(config::HttpConfig const& http);
// The HTTPS client; throws std::runtime_error with a message for the operator (a CA file that
// cannot be read).
std::unique_ptr<net::Client> make_client(boost::asio::any_io_executor ex,
                                         net::ClientOptions const& options);

// The sources a command runs (the registry's entries that are on for it); `warnings` gets what
// the operator should hear (an API asked without a token).
Result<SourceRegistry, std::string> make_sources(SourceSetup const& setup,
                                                 std::vector<std::string>& warnings);

// The hosts of the files a command fetches (github: and the like), each with its source's
// access for this command (the daemon's tables; `check`'s and `deps`' flags and environment).
std::vector<FileHost> make_file_hosts(SourceSetup const& setup);

// `evaluate`'s reader on `client`: the index's JSON API beside `index_url`, GitHub's API at
// `github_api_url` with the token from $GITHUB_TOKEN (none without it).
std::unique_ptr<Evaluator> make_evaluator(net::Client& client, std::string const& index_url,
                                          std::string const& github_api_url);

// The notifiers a config names, with their routes, built on `client`; secrets are resolved
// relative to the config file's folder.
Result<std::vector<std::pair<std::unique_ptr<notifiers::Notifier>, model::Route>>>
make_notifiers(config::Config const& cfg, std::ostream& console, net::Client* client);

} // namespace pinwatch::watcher
