// RemoteFiles: the requirements files that live elsewhere (https:// URLs and the specs a
// source's file host owns, like github:OWNER/REPO/PATH@REF), fetched with conditional requests
// (If-None-Match, If-Modified-Since) every files_interval and held in memory for the requirements
// parser (read()). With a state file, each file's content and validators are kept there too, so a
// restart asks with If-None-Match and a 304 costs one small answer. A file that cannot be
// fetched keeps its last good content, so its subscriptions stay; that is logged once, and
// once when it can be read again. Credentials: a file host puts its own (the [github] token)
// on its own requests only; an https:// URL's userinfo goes only to its own origin (its
// includes there). It names no host: the hosts come from the source registry (file_hosts).
#pragma once

#include "common/result.hpp"
#include "model/model.hpp"
#include "watcher/sources/file_host.hpp"
#include "watcher/subscriptions.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace pinwatch::net {
class Client;
}

namespace pinwatch::watcher {

class StateStore;
struct FetchedFile;

struct RemoteFilesOptions {
    std::chrono::seconds interval{300}; // [projects] files_interval
    std::vector<FileHost> hosts;        // the sources' file hosts (watcher::file_hosts)
};

// What the fetching cost and found, since the RemoteFiles was made.
struct RemoteFetchStats {
    std::size_t requests = 0;     // fetches sent
    std::size_t fetched = 0;      // 200s
    std::size_t not_modified = 0; // 304s
    std::size_t failed = 0;       // no usable answer (network, 4xx, 5xx, unreadable body)
    std::size_t changed = 0;      // 200s whose content differed from the one held
    std::size_t discoveries = 0;  // parses to find the includes (only after a change)
};

class RemoteFiles {
  public:
    // `entries`: the requirements lists as configured (every project's) (https:// userinfo kept by
    // origin, for the file and its includes there). `store`: null keeps nothing between runs
    // (`check`, `deps`).
    RemoteFiles(net::Client& client, RemoteFilesOptions options,
                std::vector<std::string> const& entries, StateStore* store);
    ~RemoteFiles();

    // Fetches every file `load` names that is due (never fetched since this object was made,
    // or files_interval since its last fetch), and the includes a changed file brings; true
    // when a content changed (the requirements must be read again). `load.read_remote` must
    // read from this object. A 304 changes nothing and parses nothing.
    boost::asio::awaitable<bool> refresh(LoadOptions const& load, UnixTime now);
    // The same for every project: the files any of them names (each `read_remote` must read
    // from this object).
    boost::asio::awaitable<bool> refresh(std::vector<LoadOptions> const& projects, UnixTime now);

    // The content held for a file, by name; the error says why there is none.
    Result<std::string> read(std::string const& name) const;
    // When the next file is due (nullopt: nothing to fetch).
    std::optional<UnixTime> next_due() const;
    RemoteFetchStats stats() const { return stats_; }
    // Reads through this object (for LoadOptions::read_remote).
    RemoteRead reader() const;

  private:
    struct File;
    boost::asio::awaitable<bool> fetch(std::string const& name, UnixTime now);
    void record(std::string const& name, File const& f);
    FileHost const* host_of(std::string const& name) const;
    // The state file's row for a file not fetched since this object was made; null for none.
    FetchedFile const* stored(std::string const& name) const;
    Result<net::Request> request_for(std::string const& name, FileHost const* host,
                                     File const& f) const;
    std::optional<std::string> take(File& f, FileHost const* host, net::Response const& response,
                                    UnixTime now, bool& changed);

    net::Client& client_;
    RemoteFilesOptions options_;
    StateStore* store_;
    std::map<std::string, std::string> credentials_; // origin -> Authorization
    std::map<std::string, File> files_;              // by name
    // The state file's rows when this object was made, by the name they are kept under (the
    // file's name without its query string: a token there never reaches the state file).
    std::map<std::string, FetchedFile> stored_;
    std::vector<std::string> named_; // what the requirements name, in order
    bool discovered_ = false;
    bool cancelled_ = false; // the client was shut down
    RemoteFetchStats stats_;
};

} // namespace pinwatch::watcher
