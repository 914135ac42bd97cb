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
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pinwatch::config {

using ConfigError = Diagnostic;

// Notifier types this build knows; `[notifiers.<name>] type = ...` must name one.
inline constexpr char const* kNotifierTypes[] = {"console", "slack", "webhook", "email"};

// How an email notifier talks to its server: smtp:// is STARTTLS unless `starttls = false`
// says plain text; smtps:// is TLS from the first byte.
enum class SmtpSecurity { starttls, implicit_tls, plain };

// The settings of a `type = "email"` notifier, validated. The password is kept as written (a
// literal, env:NAME, file:PATH or credential:NAME) and resolved when the notifier is built.
struct EmailConfig {
    std::string smtp_url;     // as written: "smtp://mail.example.com:587" (never holds credentials)
    std::string host;         // from smtp_url; an IPv6 address without brackets
    std::uint16_t port = 587; // from smtp_url; 587 for smtp://, 465 for smtps:// by default
    SmtpSecurity security = SmtpSecurity::starttls;
    std::optional<std::string> username;
    std::optional<std::string> password_ref; // unresolved secret reference; set with username
    int password_line = 0;                   // where `password` was written
    Mailbox from;
    std::vector<Mailbox> to; // at least one
};

// One `[notifiers.<name>]` table: its type, its own settings (validated per type), and the
// route that picks its events. Settings that are credentials were given as references
// (env:NAME, file:PATH, credential:NAME, or literally) and are resolved and checked at load
// time; they are held as Secrets, so printing a NotifierConfig cannot leak them.
struct NotifierConfig {
    std::string name;
    std::string type;
    model::Route route; // route.notifier == name (and route.digest from `digest`)
    int line = 0;       // where the table starts, for messages
    // `max_age`: undelivered items older than this are given up ("dead"); default 3 days.
    std::optional<std::chrono::seconds> max_age;

    // type = "slack": `webhook_url`, the incoming webhook (https://, or http:// to loopback);
    // its path is the credential.
    Secret webhook_url;
    // type = "webhook": `url`, the endpoint (https://, or http:// to loopback), and `secret`, the
    // Standard Webhooks key "whsec_<base64>", held here decoded: the HMAC-SHA256 key bytes.
    Secret url;
    Secret signing_key;
    std::optional<EmailConfig> email; // set when type == "email"
};

struct HttpConfig {
    std::chrono::milliseconds timeout{30'000}; // deadline of one request
    std::chrono::milliseconds connect_timeout{10'000};
    int max_in_flight_per_host = 8;
    std::optional<std::string> extra_ca_file;
};

// [metrics]: the optional listener for /metrics and /healthz (off unless `listen` is set).
struct MetricsConfig {
    std::string host;          // an IP address: "127.0.0.1", "::1"
    std::uint16_t port = 0;    // 0: any free port (the daemon logs which)
    bool allow_remote = false; // a non-loopback `listen` needs this
    // /healthz fails when a notifier without a digest has had an event waiting this long.
    std::chrono::seconds outbox_stale{3600};
};

struct Reader;
struct TableNode;
// A table of the config that a component above config owns (a source's [github]): it reads the
// table with the config's Reader (the same "file:line: key: message" errors) into its own
// settings, which Config::tables keeps for it, opaque to everything else.
using TableRead = std::function<std::any(Reader&, TableNode const&)>;
using TableReaders = std::map<std::string, TableRead, std::less<>>;

struct Config {
    std::string path;                 // the file it was read from
    std::optional<std::string> state; // state file; default depends on the environment
    // [state] keep: delivered (or failed) events and their outbox rows older than this are
    // pruned from the state file.
    std::chrono::seconds state_keep{90LL * 86400};
    std::optional<std::string> index_url;
    std::chrono::seconds interval{15 * 60};
    double jitter = 0.1;                   // +/- this fraction of the interval
    std::vector<std::string> requirements; // resolved against the config file's folder
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
};

// Everything parsing found: the config as far as it could be read, and every problem in it
// (sorted by line). `parse_config` is this with the problems turned into a failure.
struct ConfigReading {
    Config config;
    std::vector<ConfigError> errors;
};
// `owned` names the tables other components read (the source registry's); any other top-level
// table is an unknown key.
ConfigReading read_config_text(std::string const& text, std::string const& path,
                               TableReaders const& owned = {});

// Parses and validates. All problems are returned, not just the first.
Result<Config, std::vector<ConfigError>> load_config(std::string const& path,
                                                     TableReaders const& owned = {});
Result<Config, std::vector<ConfigError>>
parse_config(std::string const& text, std::string const& path, TableReaders const& owned = {});

// "90s", "15m", "1h30m", "2d" or a bare number of seconds.
std::optional<std::chrono::seconds> parse_duration(std::string const& text);

} // namespace pinwatch::config
