// `pinwatch run --config FILE`: the daemon. Checks the config (as `config-check` does), builds
// the Daemon (which migrates the state), tells systemd it is ready, then runs until SIGTERM or
// SIGINT. SIGHUP re-reads the config: a good one replaces the running Daemon (same state file,
// same counters), a bad one is refused with its messages and the running one goes on. The
// optional [metrics] listener serves /metrics and /healthz from the Daemon of the moment.
#include "cli/commands.hpp"
#include "cli/logging.hpp"
#include "cli/service.hpp"
#include "cli/support.hpp"
#include "common/text.hpp"
#include "watcher/compose.hpp"

#include <spdlog/spdlog.h>

#include <iostream>
#include <variant>

namespace pinwatch::cli {
namespace {

constexpr char const* kRunUsage =
    R"(usage: pinwatch run [--config FILE] [--state FILE] [--once] [--log-level LEVEL] [-v]

The daemon: polls every requirement the config names, forever, and reports changes.
  --config FILE      TOML config (see the README's config reference); default:
                     $CONFIGURATION_DIRECTORY/pinwatch.toml under systemd, else
                     /etc/pinwatch/pinwatch.toml
  --state FILE       overrides the config's state file
  --once             poll every package once, deliver, exit (for cron and tests); exit 1 when a
                     notification could not be delivered, 3 when nothing could be polled
  --log-level LEVEL  debug, info (the default), warning, error
  -v, --verbose      the same as --log-level debug (every request's outcome)
Refuses to start (exit 2) on any problem `pinwatch config-check` reports, with the same lines.
Signals: SIGTERM/SIGINT stop cleanly (the current write completes); SIGHUP re-reads the config
and the requirements files, keeps the state, and logs what changed; a config with problems is
refused and the running one goes on. Under systemd: Type=notify (READY=1, STATUS=, WATCHDOG=1)
and log lines with journal priorities.
)";

struct RunOptions {
    ServiceOptions service;
    std::optional<spdlog::level::level_enum> level;
};

// The arguments, or the exit status when there is nothing to run (help, a usage error).
std::variant<RunOptions, int> parse_args(Args const& args, std::ostream& out, std::ostream& err) {
    RunOptions o;
    std::optional<std::string> config_path;
    ArgReader r(args);
    while (!r.done()) {
        if (r.flag({"-h", "--help"})) {
            out << kRunUsage;
            return 0;
        } else if (r.flag({"--config", "-c"})) {
            config_path = r.value();
            if (!config_path) {
                err << "pinwatch run: --config needs a file\n";
                return 2;
            }
        } else if (r.flag({"--state"})) {
            o.service.state_override = r.value();
            if (!o.service.state_override) {
                err << "pinwatch run: --state needs a file\n";
                return 2;
            }
        } else if (r.flag({"--log-level"})) {
            auto v = r.value();
            o.level = v ? parse_log_level(*v) : std::nullopt;
            if (!o.level) {
                err << "pinwatch run: --log-level takes debug, info, warning or error\n";
                return 2;
            }
        } else if (r.flag({"-v", "--verbose"})) {
            o.level = spdlog::level::debug;
        } else if (r.flag({"--once"})) {
            o.service.once = true;
        } else {
            err << "pinwatch run: unknown argument '" << sanitize_text(r.peek()) << "'\n"
                << kRunUsage;
            return 2;
        }
    }
    o.service.config_path = config_path.value_or(default_config_path());
    return o;
}

// The same checks, and the same messages, as `pinwatch config-check`; nullopt after saying
// why the service does not start.
std::optional<config::ConfigCheck> checked_config(std::string const& path, std::ostream& err) {
    auto checked = watcher::check_config(path);
    if (checked.ok()) return checked;
    if (stderr_is_journal() && &err == &std::cerr) {
        // Under systemd the journal records them as errors: `journalctl -p err` finds them.
        for (auto const& w : checked.warnings)
            spdlog::warn("{}", sanitize_text(w.str()));
        for (auto const& e : checked.errors)
            spdlog::error("{}", sanitize_text(e.str()));
        spdlog::critical("not starting: {} problem(s) in the config", checked.errors.size());
    } else {
        print_config_problems(checked, err);
        err << "pinwatch run: not starting: " << checked.errors.size()
            << " problem(s) in the config\n";
    }
    return std::nullopt;
}

} // namespace

int run_daemon(Args const& args, std::ostream& out, std::ostream& err) {
    auto parsed = parse_args(args, out, err);
    if (auto const* code = std::get_if<int>(&parsed)) return *code;
    auto& o = std::get<RunOptions>(parsed);
    auto checked = checked_config(o.service.config_path, err);
    if (!checked) return 2;
    spdlog::set_level(o.level.value_or(spdlog::level::info));
    for (auto const& w : checked->warnings)
        spdlog::warn("{}", sanitize_text(w.str()));
    Service service(std::move(o.service), std::move(*checked->config), out);
    return service.run(err);
}

} // namespace pinwatch::cli
