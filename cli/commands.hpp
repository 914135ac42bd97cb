// The `pinwatch` sub-commands. Each takes its own arguments (after the command name) and
// returns the process exit status; main() only dispatches.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace pinwatch::cli {

using Args = std::vector<std::string>;

int run_deps(Args const& args, std::ostream& out, std::ostream& err);
int run_check(Args const& args, std::ostream& out, std::ostream& err);
int run_daemon(Args const& args, std::ostream& out, std::ostream& err);
int run_status(Args const& args, std::ostream& out, std::ostream& err);
int run_notify_test(Args const& args, std::ostream& out, std::ostream& err);
int run_config_check(Args const& args, std::ostream& out, std::ostream& err);
int run_evaluate(Args const& args, std::ostream& out, std::ostream& err);
int run_report(Args const& args, std::ostream& out, std::ostream& err);

} // namespace pinwatch::cli
