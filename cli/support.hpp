// Small helpers the commands share: reading flags, where the state file lives by default,
// and writing JSON. Nothing here decides policy.
#pragma once

#include "cli/commands.hpp"

#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace pinwatch::config {
struct ConfigCheck;
}
namespace boost::asio {
class io_context;
}
namespace pinwatch::watcher {
class RemoteFiles;
struct LoadOptions;
} // namespace pinwatch::watcher

namespace pinwatch::cli {

// Walks argv-style arguments, the same way for every command: "--flag value", "--flag=value",
// and for one-letter flags "-r value" and "-rvalue" (as pip reads "-rrequirements.txt").
class ArgReader {
  public:
    explicit ArgReader(Args const& args) : args_(args) {}
    bool done() const { return i_ >= args_.size(); }
    std::string const& peek() const { return args_[i_]; }
    // True (and consumes it) when the current argument is one of the names. A value glued with
    // '=' is kept for value().
    bool flag(std::initializer_list<std::string_view> names);
    // The value of the flag just matched; nullopt (and an error message) when missing.
    std::optional<std::string> value();
    // Further values until the next argument starting with '-'.
    std::vector<std::string> values();
    std::string const& current_flag() const { return flag_; }
    void skip() { ++i_; }

  private:
    Args const& args_;
    std::size_t i_ = 0;
    std::string flag_;
    std::optional<std::string> glued_;
};

// $STATE_DIRECTORY/state.db under systemd, else $XDG_STATE_HOME/pinwatch/state.db, else
// ~/.local/state/pinwatch/state.db. Creates the folder.
std::string default_state_path();
// The same choice without touching the disk, and which rule made it ("$STATE_DIRECTORY", ...).
struct StateLocation {
    std::string path;
    std::string rule;
};
StateLocation default_state_location();

bool stderr_is_terminal();

// `check` and `deps`: fetches once the files that live elsewhere the projects in `load` name (their
// read_remote reads from `files`), running `io` until they are in; `io` can run again after.
void fetch_remote_files(boost::asio::io_context& io, watcher::RemoteFiles& files,
                        std::vector<watcher::LoadOptions> const& load);

// The config `run` and `config-check` read when none is named: $CONFIGURATION_DIRECTORY/
// pinwatch.toml under systemd (ConfigurationDirectory=), else /etc/pinwatch/pinwatch.toml.
std::string default_config_path();
// Prints a config check's warnings ("warning: file:line: key: message") and errors, one a line.
void print_config_problems(config::ConfigCheck const& checked, std::ostream& err);

// Prints rows as left-aligned columns two spaces apart (the first row is the header).
void write_table(std::ostream& out, std::vector<std::vector<std::string>> const& rows);

} // namespace pinwatch::cli
