// A host of requirements files that a source offers (the GitHub source: github:OWNER/REPO/
// PATH@REF): how one command asks it for a file, with the source's own access (its table's
// token, `check`'s flags), and how the file is read from the answer. The grammar of its specs
// is config::FileSpec; watcher/remote_files.hpp does the fetching and names no host. Pure.
#pragma once

#include "common/result.hpp"
#include "net/http.hpp"

#include <functional>
#include <string>

namespace pinwatch::watcher {

struct FileHost {
    std::string prefix; // the specs it owns ("github:"), as its config::FileSpec says
    // The request for one file, by its name (config::remote_file_name); the caller adds the
    // validators. The token (if any) goes with it, to the host only.
    std::function<Result<net::Request>(std::string const& name)> request;
    // The file's bytes from a 2xx answer.
    std::function<Result<std::string>(net::Response const&)> body;
    // What an error status means here, added to "http STATUS" ("" for nothing to add).
    std::function<std::string(int status)> explain = {};
};

} // namespace pinwatch::watcher
