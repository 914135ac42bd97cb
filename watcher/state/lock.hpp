// StateLock: one daemon per state file. An exclusive lock on "<state>.lock", held for the
// daemon's life (the kernel releases it when the process ends, even after SIGKILL), with the
// holder's pid written inside so a second daemon can say who is running.
#pragma once

#include "common/result.hpp"

#include <string>

namespace pinwatch::watcher {

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
