// Requirements files that live elsewhere, as a config or a `-r` names them: an https:// URL or
// github:OWNER/REPO/PATH@REF. Pure: what such an entry means, the name it goes by, and where an
// include inside it points. It fetches nothing (watcher/remote_files.hpp does).
#pragma once

#include "common/result.hpp"

#include <string>
#include <string_view>

namespace pinwatch::config {

// What `expected ...` says of a github: entry that is not one.
inline constexpr std::string_view kGithubFileShape = "github:OWNER/REPO/PATH@REF";

// A file in a GitHub repository at a ref (branch, tag or commit).
struct GithubFile {
    std::string owner, repo, path, ref;
    std::string spec() const; // "github:owner/repo/path@ref"
};

// Whether an entry names a file fetched over the network rather than read from the disk: it
// starts with https://, http:// (refused by remote_file_name) or github:.
bool is_remote_file(std::string_view entry) noexcept;

// github:OWNER/REPO/PATH@REF split into its parts (the REF after the last '@'). The error is
// "expected github:OWNER/REPO/PATH@REF", with the part that is wrong in parentheses when the
// shape is right but a part is not.
Result<GithubFile> parse_github_file(std::string_view spec);

// The name a remote file goes by in subscriptions, logs, `status` and the state file: an
// https:// URL without its userinfo (scheme and host lower-cased, fragment dropped), a github:
// spec as written once checked. A password never reaches the name. The error says what was
// expected ("expected github:OWNER/REPO/PATH@REF", "expected an https:// URL ...").
Result<std::string> remote_file_name(std::string_view entry);

// The last segment of a remote file's path ("uv.lock" of github:o/r/a/uv.lock@main, of
// https://h/a/uv.lock?x=1): what a lock file is recognised by.
std::string remote_basename(std::string_view name);

// The name of the file that an include (`-r TARGET`, `-c TARGET`) of the remote file `from`
// (a name) points at: for a github: file, a path in the same repository at the same ref,
// relative to the file's folder ("/x.txt": from the repository's root); for an https:// file,
// TARGET resolved against its URL (pip's urljoin). An absolute https:// URL or a github: spec
// is itself. A local path (file: URL) is refused: a fetched file never reads this machine's
// disk.
Result<std::string> join_remote_include(std::string const& from, std::string const& target);

} // namespace pinwatch::config
