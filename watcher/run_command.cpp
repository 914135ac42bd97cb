// `pinwatch run --config FILE`: the daemon. Validates the config, migrates the state, tells
// systemd it is ready, then polls forever until SIGTERM/SIGINT.
#include "config/config.hpp"
#include "net/client.hpp"
#include "notifiers/console.hpp"
#include "watcher/cli_support.hpp"
#include "watcher/commands.hpp"
#include "watcher/requirements_loader.hpp"
#include "watcher/scheduler.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <iostream>

namespace pinwatch::watcher {
namespace {

namespace asio = boost::asio;

constexpr char const* kRunUsage = R"(usage: pinwatch run --config FILE [--state FILE] [-v]

The daemon: polls every requirement the config names, forever, and reports changes.
  --config FILE   TOML config (see the README's config reference)
  --state FILE    overrides the config's state file
  --once          poll every package once, deliver, exit (for cron and tests)
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
            err << "pinwatch run: unknown argument '" << r.peek() << "'\n" << kRunUsage;
            return 2;
        }
    }
    if (!config_path) {
        err << "pinwatch run: --config FILE is required\n" << kRunUsage;
        return 2;
    }
    auto cfg = config::load_config(*config_path);
    if (!cfg) {
        for (auto const& e : cfg.error()) err << e.str() << '\n';
        return 2;
    }
    spdlog::set_level(verbose ? spdlog::level::debug : spdlog::level::info);

    std::string const state_path = state_override.value_or(cfg->state.value_or(default_state_path()));
    std::unique_ptr<StateStore> store;
    try {
        store = std::make_unique<StateStore>(state_path);
    } catch (std::exception const& e) {
        err << "pinwatch run: " << e.what() << '\n';
        return 2;
    }

    asio::io_context io;
    net::ClientOptions copts;
    copts.deadline = cfg->http.timeout;
    copts.connect_timeout = cfg->http.connect_timeout;
    copts.max_in_flight_per_host = static_cast<std::size_t>(cfg->http.max_in_flight_per_host);
    copts.extra_ca_file = cfg->http.extra_ca_file;
    net::Client client(io.get_executor(), copts);

    PollerOptions popts;
    popts.interval = cfg->interval;
    popts.jitter = cfg->jitter;
    popts.failing_after = cfg->failing_after;
    popts.max_backoff = std::max(std::chrono::seconds(30), cfg->interval);
    Poller poller(client, *store, popts);

    std::vector<std::unique_ptr<notifiers::Notifier>> notifiers;
    if (cfg->console) notifiers.push_back(std::make_unique<notifiers::ConsoleNotifier>(out));
    Dispatcher dispatcher(*store, std::move(notifiers));
    store->set_notifiers(dispatcher.names());

    LoadOptions lo;
    lo.requirements = cfg->requirements;
    lo.pyproject = cfg->pyproject;
    lo.python_version = cfg->python_version;
    lo.index_url = cfg->index_url;
    lo.pre = cfg->pre;
    for (auto const& [name, every] : cfg->intervals) lo.intervals[name] = every.count();
    // Each reload logs only problems that are new, so a bad line is reported once, not per cycle.
    auto reported = std::make_shared<std::set<std::string>>();
    auto loader = [lo, reported]() {
        auto loaded = load_requirements(lo);
        std::set<std::string> now;
        for (auto const& e : loaded.errors) {
            auto const text = e.str();
            if (!reported->count(text)) spdlog::error("{}", text);
            now.insert(text);
        }
        *reported = std::move(now);
        if (loaded.unreadable && loaded.subscriptions.empty())
            throw std::runtime_error("no requirements file could be read; keeping the current subscriptions");
        return loaded.subscriptions;
    };

    SchedulerOptions sopts;
    auto shortest = cfg->interval;
    for (auto const& [name, every] : cfg->intervals) shortest = std::min(shortest, every);
    sopts.reload_every = std::min(shortest, std::chrono::seconds(60));
    sopts.once = once;
    Scheduler scheduler(io.get_executor(), *store, poller, dispatcher, client, loader, sopts);
    bool first_reload = true;
    scheduler.on_reload = [&](std::size_t n) {
        if (first_reload) spdlog::info("pinwatch watching {} package(s); state {}", n, state_path);
        first_reload = false;
    };
    scheduler.on_tick = [&] {
        // The watchdog is fed only while the loop really turns.
        sd_notify(0, "WATCHDOG=1");
    };

    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code ec, int sig) {
        if (ec) return;
        spdlog::info("signal {}: stopping", sig);
        sd_notify(0, "STOPPING=1");
        scheduler.stop();
    });
    int exit_code = 0;
    // Ready: the config is valid and the state file migrated. Requirements files that cannot
    // be read now are logged and retried every cycle; systemd need not wait for them.
    sd_notify(0, "READY=1");
    asio::co_spawn(io, scheduler.run(), [&](std::exception_ptr ep) {
        signals.cancel();
        client.shutdown();
        // Idle keep-alive connections, or a resolver stuck in getaddrinfo, would keep run()
        // going; the scheduler is done, so the loop is too.
        io.stop();
        if (ep) {
            try {
                std::rethrow_exception(ep);
            } catch (std::exception const& e) {
                spdlog::critical("scheduler stopped: {}", e.what());
                exit_code = 1;
            }
        }
    });
    io.run();
    return exit_code;
}

} // namespace pinwatch::watcher
