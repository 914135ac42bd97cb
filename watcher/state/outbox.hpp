// Outbox: the notifications the state file owes, one row per (event, notifier). Rows are
// written by StateStore::apply in the same transaction as the change that caused them; this
// class reads what is due and records what each delivery came to. SQL only, no policy: the
// dispatcher decides retries and backoff.
#pragma once

#include "watcher/state/store.hpp"

namespace pinwatch::watcher {

struct OutboxItem {
    std::int64_t id = 0;
    std::string notifier;
    Event event;
    int attempts = 0;
};

struct OutboxCounts {
    std::int64_t pending = 0, delivered = 0, failed = 0, dead = 0;
};

// How one notifier's deliveries stand (for `pinwatch status`).
struct NotifierOutbox {
    std::string notifier;
    OutboxCounts counts;
    std::optional<std::string> last_error;  // of its most recent failed attempt
    std::optional<UnixTime> next_attempt;   // earliest pending item's due time
    std::optional<UnixTime> oldest_pending; // when the oldest pending event happened
};

// A notifier that stopped delivering, as the state file remembers it across reloads.
struct NotifierStop {
    enum class Kind { gone, auth };
    std::string notifier;
    Kind kind = Kind::gone;
    std::string reason;      // the receiver's answer (no secrets: notifiers scrub them)
    UnixTime since = 0;      // when it stopped
    std::string fingerprint; // of the config it stopped with (a keyed hash, never the URL)
};

class Outbox {
  public:
    explicit Outbox(StateStore& store) : store_(store) {}

    // When the earliest pending delivery for a routed notifier is due; nullopt if none.
    std::optional<UnixTime> next_due() const;
    // The same for one notifier.
    std::optional<UnixTime> next_due(std::string const& notifier) const;
    // When a notifier that gathers events into one message sends next, counted from the
    // stored due times (so a restart neither resets nor loses a hold): each first attempt of
    // an item is held `window` from when it fell due, an urgent one `urgent_window`; a retry
    // goes at its own time. nullopt: nothing pending.
    std::optional<UnixTime> release_time(std::string const& notifier, std::int64_t window,
                                         std::int64_t urgent_window) const;
    std::vector<OutboxItem> pending(std::string const& notifier, UnixTime now,
                                    int limit = 100) const;
    void mark_delivered(std::int64_t outbox_id, UnixTime now);
    // Temporary failure: retry at `retry_at`. Permanent failure: never retried (state "failed").
    void mark_failed(std::int64_t outbox_id, std::string const& error,
                     std::optional<UnixTime> retry_at, UnixTime now);
    OutboxCounts counts() const;
    // Per notifier that has rows, by name.
    std::vector<NotifierOutbox> by_notifier() const;
    // Pending items of `notifier` that fell due before `cutoff` are given up ("dead"); an item
    // is due when its event happened, or at its digest's send time. Returns how many.
    int expire(std::string const& notifier, UnixTime cutoff);
    // Pending items of notifiers no longer configured (not among the routed notifiers).
    std::vector<std::pair<std::string, std::int64_t>> orphaned() const;

    // Records that `stop.notifier` stopped; returns false when it had already stopped for the
    // same kind of reason (the others were told then).
    bool record_stop(NotifierStop const& stop);
    void clear_stop(std::string const& notifier);
    // Every stopped notifier, by name (none for a state file older than the table).
    std::vector<NotifierStop> stops() const;

  private:
    StateStore& store_;
};

} // namespace pinwatch::watcher
