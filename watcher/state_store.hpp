// StateStore: everything pinwatch remembers, in one SQLite file (WAL, versioned schema).
// All SQL lives here. A package's poll result — releases, validators, status, events and the
// outbox rows for those events — is written in ONE transaction, so a crash loses nothing and
// never notifies twice (except a delivery in flight).
#pragma once

#include "watcher/model.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace SQLite {
class Database;
class Statement;
} // namespace SQLite

namespace pinwatch::watcher {

struct StoredRelease {
    std::string version;
    UnixTime first_seen = 0;
    std::optional<UnixTime> upload_time;
    bool yanked = false;
    std::optional<std::string> yank_reason;
};

struct StoredSubscription {
    std::int64_t id = 0;
    Subscription sub;
    bool active = true;
    bool baseline_done = false; // first successful poll recorded
    std::optional<std::string> etag;
    std::optional<std::int64_t> last_serial;
    std::optional<UnixTime> last_poll;
    std::string last_status;    // "", "ok", "unchanged", "gone", "error"
    std::optional<std::string> last_error;
    int consecutive_failures = 0;
    UnixTime next_due = 0;
    std::optional<ProjectMetadata> metadata;
    std::optional<std::string> metadata_version; // release the metadata was read from
    std::optional<UnixTime> gone_since;          // the index has answered 404 since then
};

// What one poll of one subscription changes; produced by diff(), applied atomically.
struct StateUpdate {
    std::int64_t subscription_id = 0;
    UnixTime now = 0;
    std::string status;                 // "ok", "unchanged", "gone", "error"
    std::optional<std::string> error;
    std::optional<std::string> etag;    // replaces the stored validator when set
    bool clear_etag = false;
    std::optional<std::int64_t> last_serial;
    bool baseline_done = false;         // written as is (a baseline can be withheld)
    int consecutive_failures = 0;
    UnixTime next_due = 0;
    enum class Gone { keep = 0, set = 1, clear = 2 };
    Gone gone = Gone::keep;
    std::vector<StoredRelease> upserts; // new or changed releases
    std::vector<std::string> removed;   // versions no longer listed
    std::vector<Event> events;
};

struct OutboxItem {
    std::int64_t id = 0;
    std::string notifier;
    Event event;
    int attempts = 0;
};

struct OutboxCounts {
    std::int64_t pending = 0, delivered = 0, failed = 0;
};

class StateStore {
public:
    enum class Access { read_write, read_only };
    // Opens (creating if needed) and migrates. ":memory:" gives a private in-memory store.
    // Read-only opens an existing file as it is (for `status`): no migration, no WAL switch.
    // Throws std::runtime_error naming the path on failure: this is a start-up error.
    explicit StateStore(std::string const& path, Access access = Access::read_write);
    ~StateStore();
    StateStore(StateStore const&) = delete;
    StateStore& operator=(StateStore const&) = delete;

    static int latest_schema_version() noexcept;
    int schema_version() const;

    // Names of the notifiers every new event is queued for (the outbox fans out per notifier).
    // Kept in the file: another process writing events to it queues them for the same ones.
    void set_notifiers(std::vector<std::string> names);
    std::vector<std::string> const& notifiers() const;
    // When the earliest pending delivery for a configured notifier is due; nullopt if none.
    std::optional<UnixTime> next_outbox_due() const;

    // Subscriptions are keyed by (source, index_url, name). Upsert refreshes where it came
    // from and its specifier, reactivates it, and keeps its history.
    std::int64_t upsert_subscription(Subscription const& sub, UnixTime now);
    // The same for many, in one transaction (one commit instead of one per package).
    std::vector<std::int64_t> upsert_subscriptions(std::vector<Subscription> const& subs, UnixTime now);
    // Marks every active subscription not in `keep` inactive (its history is kept).
    int deactivate_others(std::vector<std::int64_t> const& keep);
    std::vector<StoredSubscription> subscriptions(bool active_only = true) const;
    std::optional<StoredSubscription> subscription(std::int64_t id) const;
    std::map<std::string, StoredRelease> releases(std::int64_t subscription_id) const;

    void apply(StateUpdate const& update);
    void set_metadata(std::int64_t subscription_id, ProjectMetadata const& meta,
                      std::string const& from_version);

    std::vector<Event> events(std::int64_t limit = 100) const; // newest first
    std::vector<OutboxItem> pending_outbox(std::string const& notifier, UnixTime now,
                                           int limit = 100) const;
    void mark_delivered(std::int64_t outbox_id, UnixTime now);
    // Temporary failure: retry at `retry_at`. Permanent failure: never retried.
    void mark_failed(std::int64_t outbox_id, std::string const& error,
                     std::optional<UnixTime> retry_at, UnixTime now);
    OutboxCounts outbox_counts() const;

private:
    void migrate();
    SQLite::Statement& statement(std::string const& sql) const; // prepared once, reset on reuse
    std::unique_ptr<SQLite::Database> db_;
    mutable std::map<std::string, std::unique_ptr<SQLite::Statement>> statements_;
    std::vector<std::string> notifiers_;
};

} // namespace pinwatch::watcher
