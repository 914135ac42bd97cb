// Things a person may name where a file is expected, for the tests of every reader: a FIFO, a
// Unix socket, a file just over the size cap. Header-only, standard library and POSIX.
#pragma once

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>

namespace pinwatch::testing {

// A FIFO nobody writes to. Reading it must never block; in case a reader regresses and does
// (a blocking open waits for a writer forever), a release valve opens and closes the write end
// once a reader has waited a long while: the blocked reader then sees an empty file and the
// test fails on what it got, instead of hanging until CTest kills it.
class Fifo {
  public:
    explicit Fifo(std::filesystem::path path) : path_(std::move(path)) {
        if (::mkfifo(path_.c_str(), 0600) != 0)
            throw std::runtime_error("mkfifo " + path_.string() + ": " + std::strerror(errno));
        valve_ = std::thread([this] { release_valve(); });
    }
    Fifo(Fifo const&) = delete;
    Fifo& operator=(Fifo const&) = delete;
    ~Fifo() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            done_ = true;
        }
        wake_.notify_all();
        valve_.join();
        ::unlink(path_.c_str());
    }
    std::string str() const { return path_.string(); }

  private:
    void release_valve() {
        std::unique_lock<std::mutex> lock(mutex_);
        if (wake_.wait_for(lock, std::chrono::seconds(60), [this] { return done_; })) return;
        while (!done_) {
            // Succeeds only while a reader has the FIFO open (ENXIO otherwise).
            int const fd = ::open(path_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
            if (fd >= 0) ::close(fd);
            wake_.wait_for(lock, std::chrono::milliseconds(100), [this] { return done_; });
        }
    }

    std::filesystem::path path_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool done_ = false;
    std::thread valve_;
};

// A listening Unix socket bound at `path` (open() on it fails with ENXIO).
class UnixSocket {
  public:
    explicit UnixSocket(std::filesystem::path path) : path_(std::move(path)) {
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        if (fd_ < 0 || path_.string().size() >= sizeof addr.sun_path)
            throw std::runtime_error("socket " + path_.string());
        std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
            throw std::runtime_error("bind " + path_.string() + ": " + std::strerror(errno));
    }
    UnixSocket(UnixSocket const&) = delete;
    UnixSocket& operator=(UnixSocket const&) = delete;
    ~UnixSocket() {
        ::close(fd_);
        ::unlink(path_.c_str());
    }
    std::string str() const { return path_.string(); }

  private:
    std::filesystem::path path_;
    int fd_ = -1;
};

// A regular file of `bytes` bytes of text (a requirement line repeated), sparse-free.
inline std::string write_file_of_size(std::filesystem::path const& path, std::size_t bytes) {
    std::ofstream out(path, std::ios::binary);
    std::string const line = "requests==2.31.0 # padding padding padding padding padding\n";
    for (std::size_t written = 0; written < bytes; written += line.size()) {
        std::size_t const n = std::min(line.size(), bytes - written);
        out.write(line.data(), static_cast<std::streamsize>(n));
    }
    return path.string();
}

} // namespace pinwatch::testing
