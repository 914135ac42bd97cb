// Entry point: dispatches `pinwatch <command> ...` to the command functions.
#include "cli/commands.hpp"
#include "cli/logging.hpp"
#include "pinwatch_version.hpp"

#include <cstring>
#include <iostream>
#include <string_view>

namespace {

constexpr char const* kUsage = R"(usage: pinwatch <command> [options]

commands:
  check   -r FILE [-r FILE...] [--index-url URL] [--json] [--fail-on KIND...] [--state FILE]
          [--github [--github-api-url URL]]
          one poll: pin, latest, what is newer, yanked pins, vulnerable pins
          (and GitHub: releases, issue spikes)
  run     [--config FILE] [--once] [--log-level LEVEL]
          the daemon: polls forever, reports releases and yanks as they happen;
          SIGHUP re-reads the config, SIGTERM stops; Type=notify under systemd
  status  [--state FILE | --config FILE]
          what the state file holds: packages, last polls, errors, outbox
  report  --html FILE [--state FILE | --config FILE]
          the dashboard's overview as one self-contained HTML file (a CI artifact)
  notify-test  --config FILE [--notifier NAME]
          send one test event through each notifier and say whether it arrived
  config-check [--config FILE]
          check the daemon's config the way `run` does; every problem as file:line: key: message
  evaluate NAME... | -r FILE [--github-api-url URL] [--json]
          the health of each dependency: age, release cadence, PR merge and issue close times,
          open issues, owner, archived; a verdict (healthy / watch / risky) with its reasons
  deps    -r FILE [-r FILE...] [--pyproject FILE] [--python-version X.Y] [--json]
          show what pinwatch understood from requirements files
  --version
  --help

Run `pinwatch <command> --help` for a command's options.
)";

} // namespace

int main(int argc, char** argv) {
    // A reader that goes away (`pinwatch check | head`, a closed journal stream) costs output,
    // never the process: no SIGPIPE, EPIPE said once.
    pinwatch::cli::guard_standard_streams();
    // Logs go to stderr; stdout carries only results (tables, JSON, console events).
    pinwatch::cli::setup_logging();
    using namespace pinwatch::cli;
    if (argc < 2) {
        std::cerr << kUsage;
        return 2;
    }
    std::string_view command = argv[1];
    Args args(argv + 2, argv + argc);
    if (command == "--version" || command == "version") {
        std::cout << "pinwatch " << pinwatch::kVersion << "\n";
        return 0;
    }
    if (command == "--help" || command == "-h" || command == "help") {
        std::cout << kUsage;
        return 0;
    }
    if (command == "deps") return run_deps(args, std::cout, std::cerr);
    if (command == "check") return run_check(args, std::cout, std::cerr);
    if (command == "run") return run_daemon(args, std::cout, std::cerr);
    if (command == "status") return run_status(args, std::cout, std::cerr);
    if (command == "config-check") return run_config_check(args, std::cout, std::cerr);
    if (command == "notify-test") return run_notify_test(args, std::cout, std::cerr);
    if (command == "evaluate") return run_evaluate(args, std::cout, std::cerr);
    if (command == "report") return run_report(args, std::cout, std::cerr);
    std::cerr << "pinwatch: unknown command '" << command << "'\n\n" << kUsage;
    return 2;
}
