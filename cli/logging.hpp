// Where log lines go: to the journal with syslog priorities ("<3>message") when stderr is
// systemd's journal stream ($JOURNAL_STREAM names it), readable timestamped lines otherwise.
// Only the logger's shape is decided here; what is logged is decided where things happen.
#pragma once

#include <spdlog/common.h>

#include <optional>
#include <string>
#include <string_view>

namespace pinwatch::cli {

// True when $JOURNAL_STREAM ("DEV:INODE") is the file stderr is: systemd connected stderr to
// the journal, which reads a "<N>" prefix on each line as its priority.
bool stderr_is_journal();

// The sd-daemon priority of a level: debug 7, info 6, warning 4, error 3, critical 2.
int journal_priority(spdlog::level::level_enum level) noexcept;

// "debug", "info", "warning" (or "warn"), "error", "critical", "off".
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view text);

// Writes that cannot kill the process: SIGPIPE is ignored, and stdout becomes a stream that,
// once its reader has gone (EPIPE), says so in one log line and discards what follows instead
// of failing every later write. Other write errors (a full disk behind stdout) still fail the
// stream, so the console notifier retries them. Call once, first thing in main().
void guard_standard_streams();

// Installs the default logger on stderr: journal lines under systemd, else readable lines
// ("2026-12-01 17:40:02 warning: message"), coloured on a terminal. When stderr goes away
// (EPIPE: journald restarted, the reader of a pipe exited), that is said once to the journal
// when there is one, and later lines go there directly (or nowhere) instead of failing.
void setup_logging();

} // namespace pinwatch::cli
