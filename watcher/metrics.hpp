// Metrics: what the daemon has done since it started, counted as it happens, and rendered as
// Prometheus text (exposition format 0.0.4) for /metrics; the verdict /healthz gives. Pure: no
// sockets, no SQL; the daemon feeds it and hands it the outbox figures at scrape time. One
// Metrics outlives reloads, so counters keep counting across SIGHUP.
#pragma once

#include "model/model.hpp"
#include "watcher/poller.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pinwatch::watcher {

// One notifier's outbox at scrape time.
struct NotifierQueue {
    std::string notifier;
    std::int64_t pending = 0, failed = 0, dead = 0;
    std::optional<UnixTime> oldest_pending; // when the oldest pending event happened
    bool digest = false;                    // holds events on purpose until its digest time
};

struct Health {
    bool ok = true;
    bool degraded = false; // working, but not as configured (a refused reload); still 200
    std::string text;      // one line per check: "ok cycle: last loop turn 3 s ago"
};

struct HealthLimits {
    // The loop turns at least once a minute; three missed minutes means it is stuck.
    std::chrono::seconds cycle_stale{180};
    // An event waiting this long for a notifier without a digest means deliveries are stuck.
    std::chrono::seconds outbox_stale{3600};
};

class Metrics {
  public:
    static constexpr std::array<double, 10> kLatencyBuckets = {0.05, 0.1, 0.25, 0.5, 1,
                                                               2.5,  5,   10,   30,  60};

    explicit Metrics(UnixTime started = 0) : started_(started) {}

    // A poll's result. It counts as the last successful poll only once stored: at once when
    // outcome.stored, else (an unchanged poll, batched) when record_flush says so.
    void record_poll(PollOutcome const& outcome, UnixTime now);
    void record_crash(); // a poll whose result could not be written: writes are failing
    // Unchanged polls held back were written (true) or the write failed (false).
    void record_flush(bool ok, UnixTime now);
    void record_cycle(UnixTime now);
    // The state file's size now (database pages in use, and the WAL file).
    void set_state_size(std::int64_t database, std::int64_t wal) {
        state_bytes_ = database;
        wal_bytes_ = wal;
    }
    void set_watched(std::size_t n) { watched_ = n; }
    // A SIGHUP's outcome: applied, or refused (the config has problems; `why` says which) so
    // the previous config goes on. A refused reload degrades /healthz until one is applied.
    void record_reload(bool applied, UnixTime now, std::string why = {});

    std::string render(UnixTime now, std::vector<NotifierQueue> const& queues) const;
    Health health(UnixTime now, std::vector<NotifierQueue> const& queues,
                  HealthLimits const& limits) const;

    std::uint64_t polls(PollStatus status) const;
    std::uint64_t not_modified() const { return not_modified_; }
    std::optional<UnixTime> last_cycle() const { return last_cycle_; }

  private:
    // render()'s parts, in the order they are exposed.
    void render_polls(std::string& out) const;
    void render_events_and_outbox(std::string& out, UnixTime now,
                                  std::vector<NotifierQueue> const& queues) const;
    void render_daemon(std::string& out) const;
    UnixTime started_ = 0;
    std::map<PollStatus, std::uint64_t> polls_;
    std::uint64_t not_modified_ = 0;
    std::uint64_t crashes_ = 0;
    std::array<std::uint64_t, kLatencyBuckets.size()> latency_buckets_{}; // not cumulative
    std::uint64_t latency_count_ = 0;
    double latency_sum_ = 0;
    std::map<EventKind, std::uint64_t> events_;
    std::size_t watched_ = 0;
    std::optional<UnixTime> last_cycle_;
    std::optional<UnixTime> last_success_; // last poll that reached its source and was stored
    std::optional<UnixTime> writes_failing_since_; // the state file refuses writes since then
    std::int64_t state_bytes_ = 0, wal_bytes_ = 0;
    std::uint64_t reloads_ = 0, reload_failures_ = 0;
    std::optional<UnixTime> last_reload_;
    std::optional<std::string> reload_refused_; // why the last reload was refused, while it holds
};

} // namespace pinwatch::watcher
