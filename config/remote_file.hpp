// Requirements files that live elsewhere, as a config or a `-r` names them: an https:// URL or a
// spec a file host owns (github:OWNER/REPO/PATH@REF, offered by the GitHub source). Pure: what
// such an entry means, the name it goes by, and where an include inside it points. It fetches
// nothing (watcher/remote_files.hpp does) and names no host: the sources' registry
// (watcher/sources/registry.cpp) adds each host's FileSpec.
#pragma once

#include "common/result.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pinwatch::config {

// The grammar of the files one host keeps: the specs that start with `prefix`.
struct FileSpec {
    std::string prefix; // "github:" (compared without case)
    std::string shape;  // "github:OWNER/REPO/PATH@REF": what `expected ...` says
    // The name a spec goes by, once checked (the error: "expected " + shape, and why).
    std::function<Result<std::string>(std::string_view spec)> name;
    // The last segment of the file's path in a name (what a lock file is recognised by).
    std::function<std::string(std::string_view name)> basename;
    // The name an include (`-r TARGET`) of the file `from` points at when TARGET is a path: on
    // the same host, relative to `from`'s folder.
    std::function<Result<std::string>(std::string const& from, std::string const& target)> join;
};

// Adds a host's grammar (one with the same prefix is replaced). The source registry adds every
// source's before a command reads a file name.
void add_file_spec(FileSpec spec);
// The host whose specs `entry` starts with; null for none (a path, an https:// URL).
FileSpec const* file_spec_of(std::string_view entry) noexcept;
// Every host's grammar, in the order they were added.
std::vector<FileSpec> const& file_specs() noexcept;

// Whether an entry names a file fetched over the network rather than read from the disk: it
// starts with https://, http:// (refused by remote_file_name) or a file host's prefix.
bool is_remote_file(std::string_view entry) noexcept;

// The name a remote file goes by in subscriptions, logs, `status` and the state file: an
// https:// URL without its userinfo (scheme and host lower-cased, fragment dropped), a host's
// spec as its grammar writes it once checked. A password never reaches the name. The error
// says what was expected ("expected github:OWNER/REPO/PATH@REF", "expected an https:// URL
// ...").
Result<std::string> remote_file_name(std::string_view entry);

// "a/./b/../c" -> "a/c": a path inside a host's tree; nullopt when ".." climbs above its start.
std::optional<std::string> normal_file_path(std::string_view path);

// The last segment of a remote file's path ("uv.lock" of github:o/r/a/uv.lock@main, of
// https://h/a/uv.lock?x=1): what a lock file is recognised by.
std::string remote_basename(std::string_view name);

// The name of the file that an include (`-r TARGET`, `-c TARGET`) of the remote file `from`
// (a name) points at: for a host's file, what its grammar's `join` says (a github: file: a path
// in the same repository at the same ref); for an https:// file, TARGET resolved against its
// URL (pip's urljoin). An absolute https:// URL or a host's spec is itself. A local path (file:
// URL) is refused: a fetched file never reads this machine's disk.
Result<std::string> join_remote_include(std::string const& from, std::string const& target);

} // namespace pinwatch::config
