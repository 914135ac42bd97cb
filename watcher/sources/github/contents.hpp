// Requirements files kept in a GitHub repository (github:OWNER/REPO/PATH@REF), the GitHub
// source's file host: the grammar of a spec (its parts, its name, where an include in it
// points), the contents API request (the raw media type, the [github] token, the validators to
// ask again with) and the file read from the answer. Pure: no socket, no log;
// watcher/remote_files.hpp does the fetching.
#pragma once

#include "common/result.hpp"
#include "common/secret.hpp"
#include "config/remote_file.hpp"
#include "net/http.hpp"
#include "watcher/sources/file_host.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace pinwatch::config {
struct Config;
}

namespace pinwatch::watcher {

// What `expected ...` says of a github: entry that is not one.
inline constexpr std::string_view kGithubFileShape = "github:OWNER/REPO/PATH@REF";

// A file in a GitHub repository at a ref (branch, tag or commit).
struct GithubFile {
    std::string owner, repo, path, ref;
    std::string spec() const; // "github:owner/repo/path@ref"
};

// github:OWNER/REPO/PATH@REF split into its parts (the REF after the last '@'). The error is
// "expected github:OWNER/REPO/PATH@REF", with the part that is wrong in parentheses when the
// shape is right but a part is not.
Result<GithubFile> parse_github_file(std::string_view spec);

// The grammar of github: specs, for config (the GitHub source's registry entry offers it): a
// spec's name is itself once checked; an include is a path in the same repository at the same
// ref, relative to the file's folder ("/x.txt": from the repository's root).
config::FileSpec github_file_spec();

// Where files kept on GitHub are read, and with which token ([github] api_url and token; the
// defaults without a [github] table: github.com, no token).
struct GithubFileAccess {
    std::string api_url = "https://api.github.com/";
    Secret token;
};
GithubFileAccess github_file_access(config::Config const& config);

// The file host a command fetches github: files through, with `access`; a 404 without a token
// says that a private repository needs one.
FileHost github_file_host(GithubFileAccess access);

// GET {api_url}repos/OWNER/REPO/contents/PATH?ref=REF with `Accept:
// application/vnd.github.raw+json`; the token (Bearer) goes with it, to the API only.
net::Request github_contents_request(GithubFile const& file, GithubFileAccess const& access);

// The file's bytes from a 200: the raw body, or the base64 `content` of the JSON object a
// server sends when it ignores the raw media type. A directory or a submodule is an error.
Result<std::string> github_contents_body(net::Response const& response);

// RFC 3986 percent-encoding of everything but unreserved characters (and '/' when
// `keep_slash`), for a path or a query value.
std::string percent_encode(std::string_view text, bool keep_slash);

} // namespace pinwatch::watcher
