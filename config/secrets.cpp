#include "config/secrets.hpp"

#include "config/files.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pinwatch::config {

namespace {

namespace fs = std::filesystem;

// Secrets are short; a bigger file is a mistake (the wrong path), not a key.
constexpr std::size_t kMaxSecretBytes = 64 * 1024;

bool starts_with(std::string_view s, std::string_view prefix) noexcept {
    return s.substr(0, prefix.size()) == prefix;
}

std::string quoted(fs::path const& p) {
    return "'" + p.string() + "'";
}

std::string octal_mode(mode_t mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
    return buf;
}

// Reads a secret file through one descriptor, so the checks and the read see the same file.
// `private_only`: refuse a file whose mode lets group or others read it.
Result<std::string> read_secret_file(std::string const& kind, fs::path const& path,
                                     bool private_only) {
    int const fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) return fail(kind + ": cannot read " + quoted(path) + ": " + std::strerror(errno));
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0)
        return fail(kind + ": cannot read " + quoted(path) + ": " + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) return fail(kind + ": " + quoted(path) + " is not a regular file");
    if (private_only && (st.st_mode & (S_IRGRP | S_IROTH)) != 0)
        return fail(kind + ": " + quoted(path) + " is readable by group or others (mode " +
                    octal_mode(st.st_mode) + "); restrict it with chmod 600");
    if (static_cast<std::size_t>(st.st_size) > kMaxSecretBytes)
        return fail(kind + ": " + quoted(path) + " is too large for a secret (over 64 KiB)");
    std::string content;
    char buf[4096];
    while (true) {
        auto const n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail(kind + ": cannot read " + quoted(path) + ": " + std::strerror(errno));
        }
        if (n == 0) break;
        content.append(buf, static_cast<std::size_t>(n));
        if (content.size() > kMaxSecretBytes)
            return fail(kind + ": " + quoted(path) + " is too large for a secret (over 64 KiB)");
    }
    // `echo secret > file` and editors add a final newline; no secret ends with one.
    while (!content.empty() && (content.back() == '\n' || content.back() == '\r'))
        content.pop_back();
    if (content.empty()) return fail(kind + ": " + quoted(path) + " is empty");
    return content;
}

} // namespace

bool is_secret_reference(std::string_view reference) noexcept {
    return starts_with(reference, "env:") || starts_with(reference, "file:") ||
           starts_with(reference, "credential:");
}

namespace {
Result<std::string> resolve(std::string_view reference, fs::path const& base);
}

Result<std::string> resolve_secret(std::string_view reference, fs::path const& base) {
    auto value = resolve(reference, base);
    // Remembered so error bodies that quote it are scrubbed (notifiers/post.cpp).
    if (value) remember_secret(*value);
    return value;
}

namespace {
Result<std::string> resolve(std::string_view reference, fs::path const& base) {
    if (starts_with(reference, "env:")) {
        std::string const name(reference.substr(4));
        if (name.empty() || name.find('=') != std::string::npos)
            return fail("env: expected an environment variable name after 'env:'");
        char const* value = std::getenv(name.c_str());
        if (!value) return fail("env: environment variable '" + name + "' is not set");
        if (*value == '\0') return fail("env: environment variable '" + name + "' is empty");
        return std::string(value);
    }
    if (starts_with(reference, "file:")) {
        fs::path path(reference.substr(5));
        if (path.empty()) return fail("file: expected a path after 'file:'");
        if (path.is_relative() && !base.empty()) path = base / path;
        path = path.lexically_normal();
        // Whoever can change the file chooses the credential (and, for a webhook URL, where
        // the notifications go).
        if (auto unsafe = unsafe_permissions(path.string(), true)) return fail("file: " + *unsafe);
        return read_secret_file("file", path, true);
    }
    if (starts_with(reference, "credential:")) {
        std::string const name(reference.substr(11));
        if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos)
            return fail("credential: expected a credential name (no '/') after 'credential:'");
        char const* dir = std::getenv("CREDENTIALS_DIRECTORY");
        if (!dir || *dir == '\0')
            return fail("credential: $CREDENTIALS_DIRECTORY is not set, so credential '" + name +
                        "' cannot be read (systemd sets it for units with LoadCredential=)");
        // No mode check here: systemd owns that directory, makes it private to the unit, and
        // may grant access through an ACL, which shows up as group bits in the mode.
        return read_secret_file("credential", fs::path(dir) / name, false);
    }
    return std::string(reference);
}
} // namespace

Result<Secret> resolve_secret_value(std::string_view reference, fs::path const& base) {
    auto value = resolve_secret(reference, base);
    if (!value) return fail(std::move(value).error());
    return Secret(std::move(*value));
}

} // namespace pinwatch::config
