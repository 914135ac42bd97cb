// `pinwatch run --config FILE`: the daemon. Validates the config, builds the Daemon (which
// migrates the state), tells systemd it is ready, then runs until SIGTERM/SIGINT.
#include "cli/commands.hpp"
#include "cli/support.hpp"
#include "common/text.hpp"
#include "config/config.hpp"
#include "watcher/daemon.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <iostream>

namespace pinwatch::cli {
namespace {

namespace asio = boost::asio;

constexpr char const* kRunUsage = R"(usage: pinwatch run --config FILE [--state FILE] [--once] [-v]

The daemon: polls every requirement the config names, forever, and reports changes.
  --config FILE   TOML config (see the README's config reference)
  --state FILE    overrides the config's state file
  --once          poll every package once, deliver, exit (for cron and tests); exit 1 when a
                  notification could not be delivered, 3 when nothing could be polled
  -v, --verbose   debug logging (every request's outcome)
Stops cleanly on SIGTERM or SIGINT.
)";

} // namespace

int run_daemon(Args const& args, std::ostream& out, std::ostream& err) {
    std::optional<std::string> config_path, state_override;
    bool verbose = false, once = false;
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
            state_override = r.value();
            if (!state_override) {
                err << "pinwatch run: --state needs a file\n";
                return 2;
            }
        } else if (r.flag({"-v", "--verbose"})) {
            verbose = true;
        } else if (r.flag({"--once"})) {
            once = true;
        } else {
            err << "pinwatch run: unknown argument '" << sanitize_text(r.peek()) << "'\n"
                << kRunUsage;
            return 2;
        }
    }
    if (!config_path) {
        err << "pinwatch run: --config FILE is required\n" << kRunUsage;
        return 2;
    }
    auto cfg = config::load_config(*config_path);
    if (!cfg) {
        for (auto const& e : cfg.error())
            err << sanitize_text(e.str()) << '\n';
        return 2;
    }
    spdlog::set_level(verbose ? spdlog::level::debug : spdlog::level::info);

    watcher::DaemonOptions options;
    options.state_path = state_override.value_or(cfg->state.value_or(default_state_path()));
    options.once = once;
    asio::io_context io;
    // Registered before anything slow (opening and migrating the state): a SIGTERM that arrives
    // meanwhile is queued by Asio and stops the daemon cleanly once it runs.
    asio::signal_set signals(io, SIGINT, SIGTERM);
    std::unique_ptr<watcher::Daemon> daemon;
    try {
        daemon = std::make_unique<watcher::Daemon>(io, *cfg, options, out);
    } catch (std::exception const& e) {
        err << "pinwatch run: " << sanitize_text(e.what()) << '\n';
        return 2;
    }
    bool first_reload = true;
    daemon->on_reload = [&](std::size_t n) {
        if (first_reload)
            spdlog::info("pinwatch watching {} package(s); state {}", n, options.state_path);
        first_reload = false;
    };
    // The watchdog is fed only while the loop really turns.
    daemon->on_tick = [] { sd_notify(0, "WATCHDOG=1"); };

    signals.async_wait([&](boost::system::error_code ec, int sig) {
        if (ec) return;
        spdlog::info("signal {}: stopping", sig);
        sd_notify(0, "STOPPING=1");
        daemon->stop();
    });
    int exit_code = 0;
    // Ready: the config is valid and the state file migrated. Requirements files that cannot
    // be read now are logged and retried every cycle; systemd need not wait for them.
    sd_notify(0, "READY=1");
    asio::co_spawn(io, daemon->run(), [&](std::exception_ptr ep) {
        signals.cancel();
        daemon->stop();
        // Idle keep-alive connections, or a resolver stuck in getaddrinfo, would keep the loop
        // going; the daemon is done, so the loop is too.
        io.stop();
        if (ep) {
            try {
                std::rethrow_exception(ep);
            } catch (std::exception const& e) {
                spdlog::critical("daemon stopped: {}", sanitize_text(e.what()));
                exit_code = 1;
            }
        }
    });
    io.run();
    if (exit_code == 0 && once && daemon->polls_answered() == 0 &&
        (daemon->polls_failed() > 0 || daemon->requirements_unreadable())) {
        // As `check` does: nothing could be polled is not success.
        err << "pinwatch run --once: "
            << (daemon->requirements_unreadable() ? "no requirements file could be read"
                                                  : "no package could be polled")
            << '\n';
        exit_code = 3;
    } else if (exit_code == 0 && once) {
        auto const d = daemon->last_delivery();
        if (d.retried + d.failed > 0) {
            err << "pinwatch run --once: " << d.retried + d.failed
                << " notification(s) not delivered (" << d.retried << " to retry, " << d.failed
                << " failed); see `pinwatch status`\n";
            exit_code = 1;
        }
    }
    return exit_code;
}

} // namespace pinwatch::cli
