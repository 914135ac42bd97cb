#include "config/files.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace pinwatch::config {
namespace {

std::string kind_of(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return "neither a file nor a directory";
}

std::string not_regular(mode_t mode) {
    return "not a regular file (" + kind_of(mode) + ")";
}

std::string size_text(std::size_t bytes) {
    constexpr std::size_t kKiB = 1024, kMiB = 1024 * 1024;
    if (bytes >= kMiB && bytes % kMiB == 0) return std::to_string(bytes / kMiB) + " MiB";
    if (bytes >= kKiB && bytes % kKiB == 0) return std::to_string(bytes / kKiB) + " KiB";
    return std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes");
}

struct Fd {
    int fd;
    ~Fd() { ::close(fd); }
};

} // namespace

Result<std::string> read_regular_file(std::string const& path, std::size_t max_bytes) {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
    // O_NOCTTY: a terminal device never becomes this process's controlling terminal.
    int const fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int const error = errno;
        // A Unix socket cannot be opened at all (ENXIO); say what it is rather than that.
        struct stat st {};
        if (error == ENXIO && ::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
            return fail(not_regular(st.st_mode));
        return fail(std::string(std::strerror(error)));
    }
    Fd const closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) return fail(std::string(std::strerror(errno)));
    if (!S_ISREG(st.st_mode)) return fail(not_regular(st.st_mode));
    std::string const too_large = "larger than " + size_text(max_bytes);
    if (st.st_size < 0 || static_cast<unsigned long long>(st.st_size) > max_bytes)
        return fail(too_large);
    // The size may change while it is read (a file being written): read at most one byte more
    // than allowed, whatever fstat said.
    std::string content;
    content.reserve(static_cast<std::size_t>(st.st_size));
    char buf[64 * 1024];
    while (content.size() <= max_bytes) {
        std::size_t const want = std::min(sizeof buf, max_bytes + 1 - content.size());
        auto const n = ::read(fd, buf, want);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail(std::string("read error: ") + std::strerror(errno));
        }
        if (n == 0) break;
        content.append(buf, static_cast<std::size_t>(n));
    }
    if (content.size() > max_bytes) return fail(too_large);
    return content;
}

std::optional<std::string> unsafe_permissions(std::string const& path, bool private_owner) {
    namespace fs = std::filesystem;
    auto const quoted = [](std::string const& p) { return "'" + p + "'"; };
    auto const mode_text = [](mode_t mode) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
        return std::string(buf);
    };
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return std::nullopt;
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
        return quoted(path) + " is writable by group or others (mode " + mode_text(st.st_mode) +
               "); chmod go-w " + quoted(path);
    if (private_owner && st.st_uid != ::geteuid() && st.st_uid != 0)
        return quoted(path) + " belongs to another user (uid " + std::to_string(st.st_uid) +
               ", pinwatch runs as uid " + std::to_string(::geteuid()) + "); chown " +
               std::to_string(::geteuid()) + " " + quoted(path) + " and chmod 600 it";
    // Every folder on the way, as named and as resolved: either one lets a writer swap it.
    std::error_code ec;
    std::vector<fs::path> chains{fs::absolute(path, ec).lexically_normal()};
    if (auto real = fs::canonical(path, ec); !ec) chains.push_back(real);
    for (auto const& file : chains) {
        for (auto dir = file.parent_path(); !dir.empty(); dir = dir.parent_path()) {
            struct stat ds {};
            if (::stat(dir.c_str(), &ds) == 0 && (ds.st_mode & S_IWOTH) != 0 &&
                (ds.st_mode & S_ISVTX) == 0)
                return quoted(path) + " is in the folder " + quoted(dir.string()) +
                       ", which others may write without the sticky bit (mode " +
                       mode_text(ds.st_mode) + "); chmod o-w " + quoted(dir.string());
            if (dir == dir.root_path()) break;
        }
    }
    return std::nullopt;
}

} // namespace pinwatch::config
