#include "watcher/state/lock.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace pinwatch::watcher {

Result<StateLock> StateLock::acquire(std::string const& state_path) {
    std::string const path = state_path + ".lock";
    int const fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return fail("lock file " + path + ": " + std::strerror(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int const err = errno;
        char buf[32] = {};
        auto const n = ::pread(fd, buf, sizeof buf - 1, 0);
        ::close(fd);
        std::string holder = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
        while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' '))
            holder.pop_back();
        if (err == EWOULDBLOCK)
            return fail("another pinwatch" +
                        (holder.empty() ? std::string() : " (pid " + holder + ")") +
                        " is running on " + state_path + " (it holds " + path + ")");
        return fail("lock file " + path + ": " + std::strerror(err));
    }
    // Ours: say who we are, for the next one that tries.
    auto const pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) == 0) (void)!::pwrite(fd, pid.data(), pid.size(), 0);
    return StateLock(fd);
}

StateLock::StateLock(StateLock&& other) noexcept : fd_(other.fd_) {
    other.fd_ = -1;
}

StateLock& StateLock::operator=(StateLock&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = other.fd_;
        other.fd_ = -1;
    }
    return *this;
}

StateLock::~StateLock() {
    if (fd_ >= 0) ::close(fd_); // closing releases the lock
}

} // namespace pinwatch::watcher
