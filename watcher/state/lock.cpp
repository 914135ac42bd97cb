#include "watcher/state/lock.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pinwatch::watcher {

namespace {

std::string who() {
    return "this user (uid " + std::to_string(::geteuid()) + ")";
}

std::optional<std::string> not_writable(std::string const& path, bool folder) {
    if (::access(path.c_str(), folder ? (W_OK | X_OK) : W_OK) == 0) return std::nullopt;
    int const err = errno;
    if (err == ENOENT) return std::nullopt;
    if (err == EROFS) return path + " is on a read-only file system";
    struct stat st {};
    std::string owner;
    if (::stat(path.c_str(), &st) == 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        owner = " (owner uid " + std::to_string(st.st_uid) + ", mode " + mode + ")";
    }
    return std::string(folder ? "the folder " : "the state file ") + path + owner +
           " is not writable by " + who() + ": " + std::strerror(err);
}

} // namespace

std::optional<std::string> state_write_problem(std::string const& state_path) {
    namespace fs = std::filesystem;
    std::string const advice = "; run pinwatch as the user that owns it (the service's user), or "
                               "fix the permissions (`pinwatch status` only reads it)";
    if (auto p = not_writable(state_path, false)) return *p + advice;
    // SQLite and the lock keep <state>-wal, <state>-shm and <state>.lock beside the file; each
    // that exists must be writable, and the folder when one does not.
    bool missing = !fs::exists(state_path);
    for (char const* suffix : {"-wal", "-shm", ".lock"}) {
        auto const side = state_path + suffix;
        std::error_code ec;
        if (!fs::exists(side, ec)) {
            missing = true;
            continue;
        }
        if (auto p = not_writable(side, false))
            return *p + " (pinwatch keeps it beside the state file)" + advice;
    }
    if (missing) {
        auto folder = fs::path(state_path).parent_path();
        if (folder.empty()) folder = ".";
        if (auto p = not_writable(folder.string(), true))
            return *p + " (pinwatch creates " + fs::path(state_path).filename().string() +
                   "-wal, -shm and .lock there)" + advice;
    }
    return std::nullopt;
}

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
