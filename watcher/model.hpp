// The watcher's vocabulary, in the user's words: what is watched (Subscription), what a source
// saw (Observation), what changed (Event). Plain values only: no SQL, no sockets, no Asio.
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pinwatch::watcher {

// Seconds since the Unix epoch, UTC. Upload and first-seen times are stored at this precision.
using UnixTime = std::int64_t;

// One package a team depends on, as the requirements files describe it.
struct Subscription {
    std::string source = "pypi";      // which Source polls it
    std::string name;                 // PEP 503 normalised project name
    std::string index_url;            // Simple API root, e.g. "https://pypi.org/simple/"
    std::string specifier;            // normalised specifier set ("" = any version)
    std::optional<std::string> pinned; // version when the specifier is a single "=="
    std::string file;                 // where the requirement was read
    int line = 0;
    bool prereleases = false;         // `--pre` in the file, or the specifier names a pre-release
    std::optional<std::int64_t> interval; // seconds between polls, when the config sets one for it
};

// One release as the index shows it now.
struct ReleaseInfo {
    std::string version;                    // as the index spells it
    std::string key;                        // normalised version (the source fills it; "" = derive)
    std::optional<UnixTime> upload_time;    // earliest file upload; absent in PEP 503 HTML
    bool yanked = false;                    // PEP 592: a release is yanked when all its files are
    std::optional<std::string> yank_reason; // the reason string when one was given
};

// What a source saw for one subscription in one poll.
struct Observation {
    enum class Status { ok, not_modified, gone };
    Status status = Status::ok;
    std::vector<ReleaseInfo> releases; // only for ok
    std::optional<std::string> etag;   // validator to send next time
    std::optional<std::int64_t> last_serial;
};

// Project metadata from /pypi/<name>/<version>/json: for display and, later, GitHub mapping.
struct ProjectMetadata {
    std::string summary;
    std::map<std::string, std::string> project_urls; // label -> URL, labels as published
    std::string home_page;
};

// A change worth telling someone about.
enum class EventKind {
    new_release,     // a version the index did not list before
    release_yanked,  // a known release became yanked
    release_unyanked,
    pinned_yanked,   // the version the team pins is yanked (instead of release_yanked for it)
    release_removed, // a known release disappeared from the index
    package_gone,    // the index answers 404 for the project
    source_failing,  // polls failed several times in a row
    source_recovered,
};

char const* to_string(EventKind) noexcept;
std::optional<EventKind> event_kind_from_string(std::string_view) noexcept;

// How a new release relates to the pin (or, without a pin, to the newest release known before).
enum class UpdateType { major, minor, patch, prerelease, older, none };
char const* to_string(UpdateType) noexcept;

inline std::ostream& operator<<(std::ostream& os, EventKind k) { return os << to_string(k); }
inline std::ostream& operator<<(std::ostream& os, UpdateType t) { return os << to_string(t); }

struct Event {
    std::string id;          // stable across retries; receivers dedupe on it
    EventKind kind;
    std::string package;     // normalised name
    std::string index_url;
    std::optional<std::string> version;
    std::optional<UpdateType> update;    // new_release only
    std::optional<bool> allowed;         // new_release: does the requirement's specifier allow it
    std::optional<std::string> pinned;
    std::string specifier;
    std::string detail;                  // yank reason, error message, ...
    UnixTime at = 0;                     // when pinwatch noticed
};

} // namespace pinwatch::watcher
