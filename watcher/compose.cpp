#include "watcher/compose.hpp"

#include "config/secrets.hpp"
#include "notifiers/registry.hpp"

#include <cstdlib>
#include <filesystem>

namespace pinwatch::watcher {

config::ConfigCheck check_config(std::string const& path) {
    return config::check_config(path, source_tables(), notifiers::channel_readers());
}

Result<config::Config, std::vector<config::ConfigError>> load_config(std::string const& path) {
    return config::load_config(path, source_tables(), notifiers::channel_readers());
}

net::ClientOptions client_options(config::HttpConfig const& http) {
    net::ClientOptions o;
    o.deadline = http.timeout;
    o.connect_timeout = http.connect_timeout;
    o.max_in_flight_per_host = static_cast<std::size_t>(http.max_in_flight_per_host);
    o.extra_ca_file = http.extra_ca_file;
    return o;
}

std::unique_ptr<net::Client> make_client(boost::asio::any_io_executor ex,
                                         net::ClientOptions const& options) {
    return std::make_unique<net::Client>(std::move(ex), options);
}

Result<SourceRegistry, std::string> make_sources(SourceSetup const& setup,
                                                 std::vector<std::string>& warnings) {
    return SourceRegistry::build(setup, warnings);
}

std::vector<FileHost> make_file_hosts(SourceSetup const& setup) {
    return file_hosts(setup);
}

std::unique_ptr<Evaluator> make_evaluator(net::Client& client, std::string const& index_url,
                                          std::string const& github_api_url) {
    EvaluatorSetup setup;
    setup.index_url = index_url;
    setup.github_api_url = github_api_url;
    if (char const* t = std::getenv("GITHUB_TOKEN"); t && *t) setup.github_token = Secret(t);
    return std::make_unique<Evaluator>(client, std::move(setup));
}

Result<std::vector<std::pair<std::unique_ptr<notifiers::Notifier>, model::Route>>>
make_notifiers(config::Config const& cfg, std::ostream& console, net::Client* client) {
    auto const base = std::filesystem::path(cfg.path).parent_path();
    return notifiers::make_notifiers(
        cfg, notifiers::NotifierContext{console, client, [base](std::string const& reference) {
                                            return config::resolve_secret(reference, base);
                                        }});
}

} // namespace pinwatch::watcher
