// Reading a file a person named (a requirements file and its -r/-c includes, a pyproject.toml,
// the config file): only a regular file, and only up to a size no such file reaches, so a
// device (/dev/zero), a FIFO or a directory named by mistake is an error that says what it is,
// never a hang or a process that grows without bound. The open never blocks (O_NONBLOCK) and
// the checks look at the opened descriptor, not the path again, so nothing can swap the file
// in between.
#pragma once

#include "common/result.hpp"

#include <cstddef>
#include <optional>
#include <string>

namespace pinwatch::config {

// Requirements files, pyproject.toml and configs are kilobytes; 4 MiB is generous.
inline constexpr std::size_t kMaxInputFileBytes = 4 * 1024 * 1024;

// The file's bytes, or why not, in words to put after the file's name: the system's message
// when it cannot be opened ("No such file or directory"), "not a regular file (a FIFO)" (or a
// directory, a character device, a block device, a socket), "larger than 4 MiB".
Result<std::string> read_regular_file(std::string const& path,
                                      std::size_t max_bytes = kMaxInputFileBytes);

// Whether only its owner can change what the file at `path` says: refused when group or others
// may write the file, or when a folder on its way (its own, then each one up to /, for the path
// as named and as resolved) lets others write without the sticky bit (they could swap the file
// by renaming). `private_owner` (secrets): the file must also belong to the user pinwatch runs
// as, or to root. nullopt when fine; otherwise the problem naming the path and the fix
// ("'/etc/pinwatch/pinwatch.toml' is writable by group or others (mode 0666); chmod go-w
// '/etc/pinwatch/pinwatch.toml'"). A path that cannot be inspected is left to the reader, whose
// error says why.
std::optional<std::string> unsafe_permissions(std::string const& path, bool private_owner = false);

} // namespace pinwatch::config
