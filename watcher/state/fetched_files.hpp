// FetchedFiles: what the state file keeps of each requirements file that lives elsewhere
// (https://, github:): its last content, the validators to ask again with (ETag,
// Last-Modified) and how its last fetch went, so a restart asks with If-None-Match and a file
// that cannot be fetched still has its last good content. SQL only, no policy.
#pragma once

#include "watcher/state/store.hpp"

namespace pinwatch::watcher {

struct FetchedFile {
    std::string name;                         // config::remote_file_name: no password in it
    std::optional<std::string> content;       // the last content read (none before the first)
    std::optional<std::string> etag;          // sent back as If-None-Match
    std::optional<std::string> last_modified; // sent back as If-Modified-Since
    std::optional<UnixTime> fetched_at;       // the last answer that gave (or confirmed) content
    std::optional<UnixTime> checked_at;       // the last attempt
    std::string outcome; // "fetched" (200), "not_modified" (304), "error"; "" never tried
    std::optional<std::string> error; // why the last attempt failed (no secrets)
};

class FetchedFiles {
  public:
    explicit FetchedFiles(StateStore& store) : store_(store) {}

    std::optional<FetchedFile> find(std::string const& name) const;
    // Every file, by name (a state file older than this table has none).
    std::vector<FetchedFile> all() const;
    // Writes the row as it is (insert or replace).
    void put(FetchedFile const& file);
    // Forgets the files not in `keep` (no longer named by any requirements file).
    int forget_others(std::vector<std::string> const& keep);

  private:
    StateStore& store_;
};

} // namespace pinwatch::watcher
