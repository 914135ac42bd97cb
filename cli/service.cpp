#include "cli/service.hpp"

#include "cli/support.hpp"

#include "common/text.hpp"
#include "config/changes.hpp"
#include "net/server.hpp"
#include "watcher/compose.hpp"
#include "watcher/daemon.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <functional>
#include <map>

namespace pinwatch::cli {
namespace {

namespace asio = boost::asio;

// What a reload changes besides the packages (which the Daemon's first reload names itself):
// every difference it applies, one line each.
void log_config_changes(config::Config const& before, config::Config const& after) {
    for (auto const& change : config::config_changes(before, after))
        spdlog::info("reload: {}", change);
}

bool same_listener(std::optional<config::MetricsConfig> const& a,
                   std::optional<config::MetricsConfig> const& b) {
    if (!a || !b) return !a && !b;
    return a->host == b->host && a->port == b->port;
}

void notify_systemd(std::string const& message) {
    sd_notify(0, message.c_str());
}

} // namespace

struct Service::Impl {
    ServiceOptions opts;
    config::Config current;
    std::ostream& out;
    watcher::Metrics metrics{watcher::unix_now()};
    asio::io_context io;
    // Registered before anything slow (opening and migrating the state): a signal that arrives
    // meanwhile is queued by Asio and handled once the loop runs.
    asio::signal_set signals{io, SIGINT, SIGTERM, SIGHUP};
    std::unique_ptr<watcher::Daemon> daemon;
    watcher::DaemonOptions options;
    std::unique_ptr<net::Server> server;
    int exit_code = 0;
    std::optional<config::Config> pending; // a checked config waiting for the Daemon to stop
    std::unique_ptr<net::Server> pending_server;
    bool pending_server_set = false;
    asio::steady_timer settle{io};

    Impl(ServiceOptions o, config::Config c, std::ostream& console)
        : opts(std::move(o)), current(std::move(c)), out(console) {}

    watcher::DaemonOptions options_for(config::Config const& c) {
        watcher::DaemonOptions o;
        o.state_path = opts.state_override.value_or(c.state.value_or(default_state_path()));
        o.once = opts.once;
        o.metrics = &metrics;
        return o;
    }

    // /metrics, /healthz and the dashboard, answered from whichever Daemon runs now.
    std::unique_ptr<net::Server> serve(config::MetricsConfig const& m) {
        auto s = std::make_unique<net::Server>(
            io.get_executor(), m.host, m.port,
            [this](std::string_view target) { return answer(target); });
        auto const host = m.host.find(':') == std::string::npos ? m.host : "[" + m.host + "]";
        spdlog::info("metrics on http://{}:{}/metrics and /healthz{}", host, s->port(),
                     m.dashboard ? ", the dashboard on /" : "");
        return s;
    }

    net::ServerReply answer(std::string_view target) {
        auto const path = target.substr(0, target.find('?'));
        auto const now = watcher::unix_now();
        if (!daemon) return {503, "text/plain; charset=utf-8", "reloading\n", {}};
        if (path == "/metrics")
            return {200,
                    "text/plain; version=0.0.4; charset=utf-8",
                    metrics.render(now, daemon->outbox_queues()),
                    {}};
        if (path == "/healthz") {
            watcher::HealthLimits limits;
            if (current.metrics) limits.outbox_stale = current.metrics->outbox_stale;
            auto h = metrics.health(now, daemon->outbox_queues(), limits);
            return {h.ok ? 200 : 503, "text/plain; charset=utf-8", std::move(h.text), {}};
        }
        if (current.metrics && current.metrics->dashboard)
            if (auto page = daemon->dashboard(target, now)) return std::move(*page);
        return {404, "text/plain; charset=utf-8", "not found: try /metrics or /healthz\n", {}};
    }

    void finish() {
        signals.cancel();
        if (daemon) daemon->stop();
        // Idle keep-alive connections, a resolver stuck in getaddrinfo, or the metrics listener
        // would keep the loop going; the daemon is done, so the loop is too.
        io.stop();
    }

    void arm_signals() {
        signals.async_wait([this](boost::system::error_code ec, int sig) {
            if (ec) return;
            if (sig != SIGHUP) {
                spdlog::info("signal {}: stopping", sig);
                notify_systemd("STOPPING=1");
                pending.reset();
                daemon->stop();
                return;
            }
            if (opts.once || pending) {
                spdlog::info("SIGHUP: {}",
                             opts.once ? "ignored by --once" : "a reload is under way");
                arm_signals();
                return;
            }
            reload_config();
            arm_signals();
        });
    }

    // SIGHUP: check the config again; a good one stops the Daemon so the next is built from it.
    void reload_config() {
        spdlog::info("SIGHUP: re-reading {}", sanitize_text(opts.config_path));
        notify_systemd("RELOADING=1");
        auto next = watcher::check_config(opts.config_path);
        if (next.ok() && !same_listener(current.metrics, next.config->metrics) &&
            next.config->metrics) {
            // Bound before the switch, so an address in use refuses the reload instead of
            // leaving the daemon without its listener.
            try {
                pending_server = serve(*next.config->metrics);
            } catch (std::exception const& e) {
                next.errors.push_back({opts.config_path, next.config->key_lines["metrics"],
                                       "metrics.listen: " + std::string(e.what())});
            }
        }
        if (!next.ok()) {
            spdlog::error("reload refused: {} problem(s) in {}; the running config stays",
                          next.errors.size(), sanitize_text(opts.config_path));
            for (auto const& e : next.errors)
                spdlog::error("{}", sanitize_text(e.str()));
            metrics.record_reload(false, watcher::unix_now(),
                                  std::to_string(next.errors.size()) + " problem(s) in " +
                                      opts.config_path + ", first: " + next.errors.front().str());
            notify_systemd("READY=1\nSTATUS=reload refused: " + std::to_string(next.errors.size()) +
                           " problem(s) in the config; " +
                           daemon->status_line(watcher::unix_now()));
            return;
        }
        for (auto const& w : next.warnings)
            spdlog::warn("{}", sanitize_text(w.str()));
        log_config_changes(current, *next.config);
        pending_server_set = !same_listener(current.metrics, next.config->metrics);
        pending = std::move(next.config);
        daemon->stop(); // run() returns; the completion handler builds the next Daemon
    }

    // Runs the current Daemon; when it returns, either the process is done or a reload builds
    // the next one.
    void start() {
        bool first_reload = true;
        daemon->on_reload = [this, first_reload](std::size_t n) mutable {
            if (first_reload)
                spdlog::info("pinwatch watching {} package(s); state {}", n,
                             sanitize_text(options.state_path));
            first_reload = false;
        };
        // The watchdog is fed only while the loop really turns; STATUS says what it does.
        daemon->on_tick = [this] {
            notify_systemd("WATCHDOG=1\nSTATUS=" + daemon->status_line(watcher::unix_now()));
        };
        // Ready: the config is valid and the state file migrated. Requirements files that
        // cannot be read later are logged and retried every cycle.
        notify_systemd("READY=1\nSTATUS=" + daemon->status_line(watcher::unix_now()));
        asio::co_spawn(io, daemon->run(), [this](std::exception_ptr ep) {
            if (ep) {
                try {
                    std::rethrow_exception(ep);
                } catch (std::exception const& e) {
                    spdlog::critical("daemon stopped: {}", sanitize_text(e.what()));
                    exit_code = 1;
                }
                pending.reset();
            }
            if (!pending) return finish();
            swap();
        });
    }

    // A reload: wait until nothing of the old Daemon runs, then build the next one on the same
    // state file (its lock is released when the old one goes).
    void swap() {
        if (!pending) return finish(); // SIGTERM while waiting
        if (!daemon->quiescent()) {
            settle.expires_after(std::chrono::milliseconds(50));
            settle.async_wait([this](boost::system::error_code) { swap(); });
            return;
        }
        auto next = std::move(*pending);
        pending.reset();
        daemon.reset();
        auto next_options = options_for(next);
        try {
            daemon = std::make_unique<watcher::Daemon>(io, next, next_options, out);
            if (next_options.state_path != options.state_path)
                spdlog::info("reload: state file is now {}",
                             sanitize_text(next_options.state_path));
            if (pending_server_set) {
                server = std::move(pending_server);
                if (!server) spdlog::info("reload: metrics listener closed");
            }
            current = std::move(next);
            options = next_options;
            metrics.record_reload(true, watcher::unix_now());
            spdlog::info("reload: done");
        } catch (std::exception const& e) {
            spdlog::error("reload failed: {}; going on with the previous config",
                          sanitize_text(e.what()));
            metrics.record_reload(false, watcher::unix_now(), e.what());
            pending_server.reset();
            if (!restart_previous()) return finish();
        }
        pending_server_set = false;
        start();
    }

    bool restart_previous() {
        try {
            daemon = std::make_unique<watcher::Daemon>(io, current, options, out);
            return true;
        } catch (std::exception const& again) {
            spdlog::critical("cannot restart with the previous config either: {}",
                             sanitize_text(again.what()));
            exit_code = 1;
            daemon.reset();
            return false;
        }
    }

    // `run --once`: nothing polled, or notifications not delivered, is not success.
    int once_status(std::ostream& err) const {
        if (daemon->polls_answered() == 0 &&
            (daemon->polls_failed() > 0 || daemon->requirements_unreadable())) {
            // As `check` does: nothing could be polled is not success.
            err << "pinwatch run --once: "
                << (daemon->requirements_unreadable() ? "no requirements file could be read"
                                                      : "no package could be polled")
                << '\n';
            return 3;
        }
        auto const d = daemon->last_delivery();
        if (d.orphaned > 0)
            err << "pinwatch run --once: " << d.orphaned
                << " notification(s) pending for notifiers no longer configured; see `pinwatch "
                   "status`\n";
        if (d.retried + d.failed > 0) {
            err << "pinwatch run --once: " << d.retried + d.failed
                << " notification(s) not delivered (" << d.retried << " to retry, " << d.failed
                << " failed); see `pinwatch status`\n";
            return 1;
        }
        return 0;
    }
};

Service::Service(ServiceOptions options, config::Config config, std::ostream& out)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(config), out)) {}

Service::~Service() = default;

int Service::run(std::ostream& err) {
    auto& s = *impl_;
    s.options = s.options_for(s.current);
    try {
        s.daemon = std::make_unique<watcher::Daemon>(s.io, s.current, s.options, s.out);
    } catch (std::exception const& e) {
        err << "pinwatch run: " << sanitize_text(e.what()) << '\n';
        return 2;
    }
    if (s.current.metrics && !s.opts.once) {
        try {
            s.server = s.serve(*s.current.metrics);
        } catch (std::exception const& e) {
            err << "pinwatch run: [metrics] " << sanitize_text(e.what()) << '\n';
            return 2;
        }
    }
    s.arm_signals();
    s.start();
    s.io.run();
    s.server.reset();
    if (s.exit_code == 0 && s.opts.once) return s.once_status(err);
    return s.exit_code;
}

} // namespace pinwatch::cli
