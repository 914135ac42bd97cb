// The daemon's TOML config -> a validated Config value. Every error names the file, the line
// and the key, and says what was expected; nothing here touches the network or the state.
#pragma once

#include "common/diagnostic.hpp"
#include "common/mailbox.hpp"
#include "common/result.hpp"
#include "common/secret.hpp"
#include "model/model.hpp"

#include <any>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pinwatch::config {

using ConfigError = Diagnostic;

struct Reader;
struct TableNode;
struct ChannelTable;

// What a channel read from its own keys of a `[notifiers.<name>]` table (its URL, its
// addresses, its secrets). The channel's folder defines it; config only keeps it on the
// NotifierConfig and asks it the three things every channel answers.
struct ChannelSettings {
    virtual ~ChannelSettings() = default;
    // Where the channel delivers, for telling that a notifier now points elsewhere. It may hold
    // secrets: it is hashed, never printed.
    virtual std::string destination() const = 0;
    // `text` with every secret of these settings replaced (a second lock on printed errors).
    virtual std::string without_secrets(std::string text,
                                        std::filesystem::path const& /*base*/) const {
        return text;
    }
    // Problems found only by resolving what the reader left unresolved (the email password):
    // config-check reports them before the daemon would meet them.
    virtual std::vector<Diagnostic> check(std::string const& /*path*/) const { return {}; }
};

// One `[notifiers.<name>]` table: its type, the settings its channel read, and the route that
// picks its events. The keys every notifier takes (type, events, packages, update_types,
// digest, max_age) are read here; the channel's own keys by its registry entry.
struct NotifierConfig {
    std::string name;
    std::string type;
    model::Route route; // route.notifier == name (and route.digest from `digest`)
    int line = 0;       // where the table starts, for messages
    // `max_age`: undelivered items older than this are given up ("dead"); default 3 days.
    std::optional<std::chrono::seconds> max_age;
    // `batch_window`: what becomes ready within this long of the first event waiting goes out
    // as one message (urgent events wait at most 10 s); 0: each at once. The channel's
    // registry entry says the default (Slack and email 60 s, the others 0).
    std::chrono::seconds batch_window{0};
    // What the channel's reader returned; its type is the channel's own.
    std::shared_ptr<ChannelSettings const> settings;

    // The settings as the channel's type `T`, or null when they are not.
    template <class T> T const* as() const { return dynamic_cast<T const*>(settings.get()); }
};

// A channel's keys, for config: which keys it takes and how to read them. Its reader gets
// every channel key the table has (its own and other channels'), reports what is wrong with
// the config's Reader, and returns the settings, or null when they cannot be used.
using ChannelRead =
    std::function<std::shared_ptr<ChannelSettings const>(Reader&, ChannelTable const&)>;
struct ChannelReader {
    std::string type;              // "slack"
    std::vector<std::string> keys; // the keys of its own, in the order "did you mean" tries them
    ChannelRead read;
    // Its keys are a family of their own (email's SMTP settings): see reject_foreign_keys.
    bool distinct = false;
    // `batch_window` when the table does not say: a chat or a mailbox gathers what comes
    // within a minute into one message; a webhook or the console takes each event at once.
    std::chrono::seconds batch_window{0};
};
// Every channel this build knows, in the order their types are listed in messages.
using ChannelReaders = std::vector<ChannelReader>;

struct HttpConfig {
    std::chrono::milliseconds timeout{30'000}; // deadline of one request
    std::chrono::milliseconds connect_timeout{10'000};
    int max_in_flight_per_host = 8;
    std::optional<std::string> extra_ca_file;
};

// [metrics]: the optional listener for /metrics, /healthz and the dashboard (off unless
// `listen` is set).
struct MetricsConfig {
    std::string host;          // an IP address: "127.0.0.1", "::1"
    std::uint16_t port = 0;    // 0: any free port (the daemon logs which)
    bool allow_remote = false; // a non-loopback `listen` needs this
    bool dashboard = true;     // serve the dashboard at / and /package/<name>
    // /healthz fails when a notifier without a digest has had an event waiting this long.
    std::chrono::seconds outbox_stale{3600};
};

// A table of the config that a component above config owns (a source's [github]): it reads the
// table with the config's Reader (the same "file:line: key: message" errors) into its own
// settings, which Config::tables keeps for it, opaque to everything else.
using TableRead = std::function<std::any(Reader&, TableNode const&)>;
using TableReaders = std::map<std::string, TableRead, std::less<>>;

// A `[projects.<name>]` table: the files one project pins in, where its events go, and what
// it wants told. The top-level `requirements`/`pyproject` form the project named "default".
struct ProjectConfig {
    std::string name;
    std::vector<std::string> files; // read like the top-level `requirements` list
    // Read as pyproject.toml files: the top-level `pyproject` list (for "default"); a file of a
    // [projects.<name>] table named pyproject.toml goes here when it is loaded.
    std::vector<std::string> pyproject;
    // The notifiers its events go to; nullopt: every notifier.
    std::optional<std::vector<std::string>> notifiers;
    model::Transitive transitive = model::Transitive::urgent;
    std::optional<std::string> python_version; // nullopt: the global one
    std::optional<std::string> index_url;      // nullopt: the global one
    // [projects.<name>.packages.<pkg>]: rules for this project only, over the global ones.
    std::map<std::string, model::RuleOverrides> packages;
    std::map<std::string, int> package_lines;
    int line = 0; // where the table starts
};

struct Config {
    std::string path;                 // the file it was read from
    std::optional<std::string> state; // state file; default depends on the environment
    // [state] keep: delivered (or failed) events and their outbox rows older than this are
    // pruned from the state file.
    std::chrono::seconds state_keep{90LL * 86400};
    std::optional<std::string> index_url;
    std::chrono::seconds interval{15 * 60};
    double jitter = 0.1; // +/- this fraction of the interval
    // Local paths resolved against the config file's folder; https:// URLs and
    // github:OWNER/REPO/PATH@REF as written (config/remote_file.hpp).
    std::vector<std::string> requirements;
    std::vector<std::string> pyproject;
    std::optional<std::string> python_version;
    bool pre = false;
    int failing_after = 3; // failed polls in a row before source_failing
    bool console = true;   // the default console notifier (unless `console = false`)
    std::vector<NotifierConfig> notifiers; // [notifiers.<name>] tables, in file order
    // [intervals] package = "5m": polls of that package (PEP 503 name) at its own pace.
    std::map<std::string, std::chrono::seconds> intervals;
    HttpConfig http;
    std::optional<MetricsConfig> metrics;
    // Where keys were written, for checks made after parsing ("requirements" -> line).
    std::map<std::string, int> key_lines;
    // Secret settings written literally in the file (key path, line): config-check warns when
    // the file is readable by group or others.
    std::vector<std::pair<std::string, int>> literal_secrets;
    // What is worth telling: the global rules (`update_types`, `pre`, `min_release_age`,
    // `ignore` at the top level) and `[packages.<name>]` overrides (PEP 503 names).
    model::Rules rules;
    std::map<std::string, model::RuleOverrides> packages;
    std::map<std::string, int> package_lines; // where each [packages.<name>] table starts
    // How often the pinned versions' advisories are read (`vulnerability_interval`).
    std::chrono::seconds vulnerability_interval{6 * 3600};
    // The owned tables the file has ("github" -> what its TableRead returned).
    std::map<std::string, std::any, std::less<>> tables;
    // [projects.<name>] tables, in file order (the "default" project is not among them: see
    // all_projects).
    std::vector<ProjectConfig> projects;
    // [projects] files_interval: how often files that live elsewhere (https://, github:) are
    // fetched again (with conditional requests).
    std::chrono::seconds files_interval{5 * 60};
};

// Every project the config watches: "default" (the top-level `requirements` and `pyproject`,
// with the global python_version and index_url) when it names files, then each
// [projects.<name>] in file order.
std::vector<ProjectConfig> all_projects(Config const& config);
// The name of the project that the top-level `requirements`/`pyproject` form.
inline constexpr char const* kDefaultProject = "default";

// Everything parsing found: the config as far as it could be read, and every problem in it
// (sorted by line). `parse_config` is this with the problems turned into a failure.
struct ConfigReading {
    Config config;
    std::vector<ConfigError> errors;
};
// `owned` names the tables other components read (the source registry's); any other top-level
// table is an unknown key.
// `channels`: the notifier channels' readers (the notifier registry's); a table of another
// type is an unknown notifier type.
ConfigReading read_config_text(std::string const& text, std::string const& path,
                               TableReaders const& owned = {}, ChannelReaders const& channels = {});

// Parses and validates. All problems are returned, not just the first.
Result<Config, std::vector<ConfigError>> load_config(std::string const& path,
                                                     TableReaders const& owned = {},
                                                     ChannelReaders const& channels = {});
Result<Config, std::vector<ConfigError>> parse_config(std::string const& text,
                                                      std::string const& path,
                                                      TableReaders const& owned = {},
                                                      ChannelReaders const& channels = {});

// "90s", "15m", "1h30m", "2d" or a bare number of seconds.
std::optional<std::chrono::seconds> parse_duration(std::string const& text);

} // namespace pinwatch::config
