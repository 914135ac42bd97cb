// GitHub's contents API for a requirements file kept in a repository
// (github:OWNER/REPO/PATH@REF): the request (the raw media type, the [github] token, the
// validators to ask again with) and the file read from the answer. Pure: no socket, no log;
// watcher/remote_files.hpp does the fetching.
#pragma once

#include "common/result.hpp"
#include "common/secret.hpp"
#include "config/remote_file.hpp"
#include "net/http.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace pinwatch::config {
struct Config;
}

namespace pinwatch::watcher {

// Where files kept on GitHub are read, and with which token ([github] api_url and token; the
// defaults without a [github] table: github.com, no token).
struct GithubFileAccess {
    std::string api_url = "https://api.github.com/";
    Secret token;
};
GithubFileAccess github_file_access(config::Config const& config);

// GET {api_url}repos/OWNER/REPO/contents/PATH?ref=REF with `Accept:
// application/vnd.github.raw+json`; the token (Bearer) goes with it, to the API only.
net::Request github_contents_request(config::GithubFile const& file,
                                     GithubFileAccess const& access);

// The file's bytes from a 200: the raw body, or the base64 `content` of the JSON object a
// server sends when it ignores the raw media type. A directory or a submodule is an error.
Result<std::string> github_contents_body(net::Response const& response);

// RFC 3986 percent-encoding of everything but unreserved characters (and '/' when
// `keep_slash`), for a path or a query value.
std::string percent_encode(std::string_view text, bool keep_slash);

} // namespace pinwatch::watcher
