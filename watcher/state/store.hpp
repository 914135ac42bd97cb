// StateStore: everything pinwatch remembers, in one SQLite file (WAL, versioned schema).
// All SQL lives in this folder. A poll's result — releases, validators, status, metadata,
// events and the outbox rows for those events — is written in ONE transaction, so a crash
// loses nothing and never notifies twice (except a delivery in flight). The store routes
// nothing: which notifier gets an event is decided by the caller and handed in.
#pragma once

#include "model/model.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace SQLite {
class Database;
class Statement;
} // namespace SQLite

namespace pinwatch::watcher {

using namespace pinwatch::model;

struct StoredRelease {
    std::string version;
    UnixTime first_seen = 0;
    std::optional<UnixTime> upload_time;
    bool yanked = false;
    std::optional<std::string> yank_reason;
    std::optional<std::string> requires_python;
    // Its announcement waits for the package's min_release_age (the cooldown); a release
    // yanked meanwhile is never announced.
    bool held = false;
};

// What the last reading of the pinned version's advisories found.
struct VulnerabilityState {
    std::optional<std::string> version;   // the pin they were read for
    std::optional<std::string> validator; // ETag of that reading
    std::optional<UnixTime> checked;      // last successful reading
    std::optional<std::string> error;     // the last reading failed: why
    std::vector<Advisory> live;           // live advisories of `version`, as told to the team
    bool operator==(VulnerabilityState const&) const = default;
};

struct StoredSubscription {
    std::int64_t id = 0;
    Subscription sub;
    bool active = true;
    bool baseline_done = false; // first successful poll recorded
    std::optional<std::string> validator;
    std::optional<std::int64_t> sequence;
    std::optional<UnixTime> last_poll;
    PollStatus last_status = PollStatus::pending;
    std::optional<std::string> last_error;
    int consecutive_failures = 0;
    UnixTime next_due = 0;
    std::optional<ProjectMetadata> metadata;
    std::optional<std::string> metadata_version; // release the metadata was read from
    std::optional<UnixTime> gone_since;          // the source has answered "gone" since then
    std::optional<std::string> pin_notice;       // "ok:1.0" / "yanked:1.0" / "missing:1.0"
    VulnerabilityState vulns;
    std::optional<UnixTime> held_until;      // the earliest time a held release may be announced
    std::optional<std::string> source_state; // the source's own memory (Observation)
    // What the index said about the project when a listing was last read (PEP 792); nullopt:
    // never read (a new subscription, a state file from before pinwatch read it).
    std::optional<ProjectStatus> project_status;
    // Moves whenever its releases are written (new, changed, removed, released from a hold):
    // a summary worked out from them holds while this has not moved.
    std::int64_t release_generation = 0;
};

// What a pin's releases mean (watcher/summary.hpp's encoding), kept beside them so that a poll
// answered 304 costs one small row instead of every release read back and parsed. The store
// keeps it opaque: it only checks that the releases have not moved since it was worked out.
struct SavedSummary {
    // The subscription's release_generation the summary was worked out from.
    std::int64_t generation = 0;
    std::string inputs;            // what else it depends on (the pin, the specifier, --pre)
    std::string body;              // the summary itself
    std::vector<UnixTime> uploads; // every release's upload time, oldest first (may be empty)
};

// What `check` reports of a subscription once it is polled, in one small read: how the last
// poll went, the pinned version's advisories, the project's status, and the summary saved for
// its releases as they are now (nullopt: none current).
struct PollReport {
    PollStatus last_status = PollStatus::pending;
    std::optional<std::string> last_error;
    VulnerabilityState vulns;
    std::optional<ProjectStatus> project_status;
    std::int64_t release_generation = 0;
    std::optional<SavedSummary> summary; // without its upload times
};

// What one poll of one subscription changes; produced by diff(), applied atomically.
struct StateUpdate {
    std::int64_t subscription_id = 0;
    UnixTime now = 0;
    PollStatus status = PollStatus::pending;
    std::optional<std::string> error;
    std::optional<std::string> validator; // replaces the stored validator when set
    bool clear_validator = false;
    std::optional<std::int64_t> sequence;
    bool baseline_done = false; // written as is (a baseline can be withheld)
    int consecutive_failures = 0;
    UnixTime next_due = 0;
    enum class Gone { keep = 0, set = 1, clear = 2 };
    Gone gone = Gone::keep;
    std::vector<StoredRelease> upserts; // new or changed releases
    std::vector<std::string> removed;   // versions no longer listed
    std::optional<ProjectMetadata> metadata;
    std::optional<std::string> metadata_version;
    std::optional<std::string> pin_notice;   // replaces the stored one when set
    std::optional<VulnerabilityState> vulns; // replaces the stored one when set
    bool set_held_until = false;             // write held_until (NULL when it is empty)
    std::optional<UnixTime> held_until;
    std::vector<std::string> released;       // held releases now announced (or dropped): not held
    std::optional<std::string> source_state; // replaces the stored one when set
    std::optional<ProjectStatus> project_status; // replaces the stored one when set
    // What the releases mean once this update is written, worked out from the releases of
    // `summary->generation` (the poll's reading) with the upserts and removals applied. Written
    // only when no other write moved the releases in between; else it is simply not kept.
    std::optional<SavedSummary> summary;
    std::vector<Event> events;
    // For each event, the notifiers it is queued for and when each is first due (parallel to
    // `events`; filled by the poller from the dispatcher's routes). Missing entries queue for
    // nobody.
    std::vector<std::vector<OutboxTarget>> recipients;
};

// What one advisory round changes for one subscription: its reading and the events it causes.
struct AdvisoryUpdate {
    std::int64_t subscription_id = 0;
    VulnerabilityState vulns;
    std::vector<Event> events;
    std::vector<std::vector<OutboxTarget>> recipients; // parallel to `events`
};

// What prune() removed.
struct PruneStats {
    int events = 0;
    int outbox_rows = 0;
};

// One outbox row of an event: where it went and how that went (the dashboard's package page).
struct Delivery {
    std::string notifier;
    std::string state; // pending | delivered | failed | dead
    int attempts = 0;
    std::optional<UnixTime> delivered_at;
    std::optional<std::string> last_error;
};

struct EventDeliveries {
    Event event;
    std::vector<Delivery> deliveries; // by notifier name
};

// The state file's size on disk: the database (pages in use) and its write-ahead log.
struct StateSize {
    std::int64_t database = 0;
    std::int64_t wal = 0;
};

// The WAL is cut back to this after a checkpoint (PRAGMA journal_size_limit).
inline constexpr std::int64_t kWalLimit = 4 << 20;

class StateStore {
  public:
    enum class Access { read_write, read_only };
    // Opens (creating if needed) and migrates. ":memory:" gives a private in-memory store;
    // "" a private temporary one that SQLite keeps in its page cache and spills to an unnamed
    // file beyond it (bounded memory for thousands of packages), deleted when closed.
    // Read-only opens an existing file as it is (for `status`): no migration, no WAL switch,
    // no write of any kind (SQLite's mode=ro and query_only), and it works for a user who may
    // read the file but not write it or its folder (then without the WAL: see read_without_wal).
    // Throws std::runtime_error naming the path on failure: this is a start-up error.
    explicit StateStore(std::string const& path, Access access = Access::read_write);
    ~StateStore();
    StateStore(StateStore const&) = delete;
    StateStore& operator=(StateStore const&) = delete;

    // A read-only store that could not open the WAL index (no write access to the folder or
    // the -shm) reads the database file alone: the last writes of a running daemon that are
    // still in its -wal are not seen.
    bool read_without_wal() const noexcept { return immutable_; }

    // For tests and operators: caps the file at `pages` database pages (PRAGMA
    // max_page_count), so writes beyond it fail with "database or disk is full" as on a full
    // disk. Returns the cap SQLite applied (never below the pages already in use).
    int set_max_page_count(int pages);
    // For tests: every write fails with "attempt to write a readonly database" until turned off
    // (PRAGMA query_only), as on a state file that became read-only under the daemon.
    void set_query_only(bool on);

    static int latest_schema_version() noexcept;
    int schema_version() const;

    // The daemon's notifiers and the routes that pick their events. Kept in the file: another
    // process writing events to it (`check --state` on the daemon's file) routes them the same way.
    void set_routes(std::vector<Route> const& routes);
    std::vector<Route> routes() const;

    // Subscriptions are keyed by (source, locator). Upsert refreshes where it came from and its
    // specifier, reactivates it, and keeps its history.
    std::int64_t upsert_subscription(Subscription const& sub, UnixTime now);
    // The same for many, in one transaction (one commit instead of one per package).
    std::vector<std::int64_t> upsert_subscriptions(std::vector<Subscription> const& subs,
                                                   UnixTime now);
    // Which known subscriptions `ensure_subscriptions` gives the requirement it is handed.
    enum class Refresh {
        all,      // every one: the file is the check's own (a CI cache)
        inactive, // only those no longer watched: a daemon's file, whose own it keeps
    };
    // For `check --state`, on its own file or another command's: adds what is missing and
    // refreshes a known subscription's requirement (where it came from, its specifier, pin,
    // pre-releases, file, line and rules, as upsert does; changed rules judge held releases
    // again), as `refresh` says; it touches nothing of a subscription's schedule, interval or
    // activity, and writes nothing when the requirement is the same.
    std::vector<std::int64_t> ensure_subscriptions(std::vector<Subscription> const& subs,
                                                   UnixTime now, Refresh refresh = Refresh::all);
    // Marks every active subscription not in `keep` inactive (its history is kept).
    int deactivate_others(std::vector<std::int64_t> const& keep);
    std::vector<StoredSubscription> subscriptions(bool active_only = true) const;
    std::optional<StoredSubscription> subscription(std::int64_t id) const;
    std::map<std::string, StoredRelease> releases(std::int64_t subscription_id) const;
    // The same releases as a list, in no particular order (cheaper where no lookup follows).
    std::vector<StoredRelease> release_list(std::int64_t subscription_id) const;
    // The saved summary of a subscription's releases, when it was worked out from the releases
    // as they are now (nullopt: none, or the releases moved since); its upload times on request.
    std::optional<SavedSummary> current_summary(std::int64_t subscription_id,
                                                bool with_uploads = false) const;
    // A subscription's PollReport; nullopt for an unknown id.
    std::optional<PollReport> poll_report(std::int64_t subscription_id) const;
    // Every current one (with upload times) of the active subscriptions, or of all.
    std::map<std::int64_t, SavedSummary> current_summaries(bool active_only = true) const;
    // Keeps summaries worked out by a reader, each only while the releases are still those of
    // its `generation` (another process may have written them since). One transaction.
    void save_summaries(std::vector<std::pair<std::int64_t, SavedSummary>> const& summaries);
    // `python3 -I -S`'s marker probe as last run for an interpreter (config::probe_identity
    // names it): the answer, or nullopt. And keeping one.
    std::optional<std::string> python_probe(std::string const& interpreter) const;
    void save_python_probe(std::string const& interpreter, std::string const& output, UnixTime now);
    // Release keys other subscriptions of package `name` (other sources) know.
    std::vector<std::string> versions_elsewhere(std::string const& name,
                                                std::int64_t except_subscription) const;
    // (source, source_state) of the other subscriptions of package `name` that keep one.
    std::vector<std::pair<std::string, std::string>>
    source_states_elsewhere(std::string const& name, std::int64_t except_subscription) const;

    void apply(StateUpdate const& update);
    // Several updates in one transaction (unchanged polls: one commit instead of hundreds).
    void apply_all(std::vector<StateUpdate> const& updates);
    // An advisory source's records (OSV), by id; and one round's new records with the pins'
    // readings and events, in one transaction.
    std::optional<AdvisoryRecord> advisory_record(std::string const& source,
                                                  std::string const& id) const;
    std::size_t advisory_record_count(std::string const& source) const;
    void apply_advisories(std::string const& source, std::vector<AdvisoryRecord> const& records,
                          std::vector<AdvisoryUpdate> const& updates, UnixTime now);
    // An event that belongs to no subscription (a notifier disabled), queued for `targets`.
    void add_event(Event const& event, std::vector<OutboxTarget> const& targets);

    std::vector<Event> events(std::int64_t limit = 100) const; // newest first
    // The dashboard's reads, one query each however many packages there are: every release of
    // every subscription (active ones only, or all), the newest event of each subscription,
    // and the newest events of one package with where each went.
    std::map<std::int64_t, std::vector<StoredRelease>> all_releases(bool active_only = true) const;
    std::map<std::int64_t, Event> last_events() const;
    std::vector<EventDeliveries> package_events(std::string const& name,
                                                std::int64_t limit = 50) const;
    // What may have changed since a cache was filled: how many times this store wrote a
    // subscription's releases since it was opened, and SQLite's data_version, which moves
    // when another connection commits to the file (then nothing cached from it holds).
    std::uint64_t release_writes(std::int64_t subscription_id) const;
    std::int64_t data_version() const;

    // Retention ([state] keep): removes events older than `before` (their time, `at`) that no
    // notifier still has to deliver, with their outbox rows. Pending rows are never pruned.
    PruneStats prune(UnixTime before);
    // Copies the WAL into the database and truncates it (when no reader holds it back).
    void checkpoint();
    StateSize size() const;

  private:
    friend class Outbox;
    friend class FetchedFiles;
    bool migrate(); // true when credentials were stripped from an older file
    void open_read_only(std::string const& path);
    // One poll's update, inside a transaction, in stages: the subscription's row, what was read
    // beside the listing, the releases, their summary, the events.
    void write(StateUpdate const& u);
    void write_poll(StateUpdate const& u);
    void write_readings(StateUpdate const& u);
    void write_releases(StateUpdate const& u);
    void write_summary(std::int64_t subscription_id, SavedSummary const& summary,
                       std::int64_t expected_generation);
    void insert_event(Event const& e, std::optional<std::int64_t> subscription_id,
                      std::vector<OutboxTarget> const& targets);
    SQLite::Statement& statement(std::string const& sql) const; // prepared once, reset on reuse
    std::unique_ptr<SQLite::Database> db_;
    mutable std::unordered_map<std::string, std::unique_ptr<SQLite::Statement>> statements_;
    bool immutable_ = false;
    std::unordered_map<std::int64_t, std::uint64_t> release_writes_;
    mutable FieldParser parse_; // subscriptions read back share their parsed pins
};

} // namespace pinwatch::watcher
