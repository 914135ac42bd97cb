// StateLock: one daemon per state file. An exclusive lock on "<state>.lock", held for the
// daemon's life (the kernel releases it when the process ends, even after SIGKILL), with the
// holder's pid written inside so a second daemon can say who is running.
#pragma once

#include "common/result.hpp"

#include <optional>
#include <string>

namespace pinwatch::watcher {

// Why this user cannot run a daemon on `state_path` (a state file or its folder it may not
// write, a read-only file system), said in the operator's words; nullopt when nothing is in
// the way. Checked before opening, so the refusal names the file instead of SQLite's
// "attempt to write a readonly database".
std::optional<std::string> state_write_problem(std::string const& state_path);

class StateLock {
  public:
    // Fails with a message naming the lock file and, when known, the pid that holds it.
    static Result<StateLock> acquire(std::string const& state_path);
    StateLock(StateLock&& other) noexcept;
    StateLock& operator=(StateLock&& other) noexcept;
    ~StateLock();

  private:
    explicit StateLock(int fd) : fd_(fd) {}
    int fd_ = -1;
};

} // namespace pinwatch::watcher
