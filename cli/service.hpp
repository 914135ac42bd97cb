// The daemon as a service: what `pinwatch run` adds around the Daemon. Signals (SIGTERM and
// SIGINT stop, SIGHUP re-reads the config), sd_notify (READY, RELOADING, STOPPING, WATCHDOG,
// STATUS), the optional /metrics and /healthz listener, and a reload that swaps in a new Daemon
// on the same state file (a bad config is refused and the running Daemon goes on). No
// argument parsing and no config checking: `run` does those before it starts a Service.
#pragma once

#include "config/config.hpp"

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>

namespace pinwatch::cli {

struct ServiceOptions {
    std::string config_path;                   // re-read on SIGHUP
    std::optional<std::string> state_override; // --state
    bool once = false;                         // --once: poll once, deliver, exit
};

class Service {
  public:
    // `config` is the checked config to start with; results (console events) go to `out`.
    Service(ServiceOptions options, config::Config config, std::ostream& out);
    ~Service();
    // Runs until a stop signal (or, with `once`, one round); returns the exit status. Start-up
    // problems (the state file, the metrics listener) are said on `err` (exit 2).
    int run(std::ostream& err);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace pinwatch::cli
