#include "watcher/metrics.hpp"

#include "common/text.hpp"

#include <charconv>

namespace pinwatch::watcher {
namespace {

// A label value, escaped as the exposition format asks (backslash, quote, newline).
std::string label(std::string_view value) {
    std::string out;
    for (char c : value) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

// The shortest text that reads back as the same double ("0.05", not "0.050000000000000003").
std::string number(double v) {
    char buf[64];
    auto const r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

void head(std::string& out, char const* name, char const* type, char const* help) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

} // namespace

void Metrics::record_poll(PollOutcome const& outcome, UnixTime now) {
    if (outcome.status == PollStatus::cancelled || outcome.status == PollStatus::pending) return;
    ++polls_[outcome.status];
    if (outcome.not_modified) ++not_modified_;
    if (outcome.status != PollStatus::error && outcome.stored) {
        last_success_ = now;
        writes_failing_since_.reset();
    }
    double const seconds = static_cast<double>(outcome.request_time.count()) / 1e6;
    ++latency_count_;
    latency_sum_ += seconds;
    for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i)
        if (seconds <= kLatencyBuckets[i]) {
            ++latency_buckets_[i];
            break;
        }
    for (auto kind : outcome.event_kinds)
        ++events_[kind];
}

void Metrics::record_crash() {
    ++crashes_;
    if (!writes_failing_since_) writes_failing_since_ = last_cycle_.value_or(started_);
}

void Metrics::record_flush(bool ok, UnixTime now) {
    if (ok) {
        last_success_ = now;
        writes_failing_since_.reset();
    } else if (!writes_failing_since_) {
        writes_failing_since_ = now;
    }
}

void Metrics::record_cycle(UnixTime now) {
    last_cycle_ = now;
}

std::uint64_t Metrics::polls(PollStatus status) const {
    auto it = polls_.find(status);
    return it == polls_.end() ? 0 : it->second;
}

std::string Metrics::render(UnixTime now, std::vector<NotifierQueue> const& queues) const {
    std::string out;
    render_polls(out);
    render_events_and_outbox(out, now, queues);
    render_daemon(out);
    return out;
}

// The polls: by result, failed, answered 304, and their time in HTTP requests.
void Metrics::render_polls(std::string& out) const {
    head(out, "pinwatch_polls_total", "counter",
         "Polls by result: ok (a listing), unchanged (nothing new, 304 included), gone (404), "
         "error.");
    for (auto status : {PollStatus::ok, PollStatus::unchanged, PollStatus::gone, PollStatus::error})
        out += std::string("pinwatch_polls_total{result=\"") + to_string(status) + "\"} " +
               std::to_string(polls(status)) + "\n";
    head(out, "pinwatch_poll_errors_total", "counter",
         "Polls that failed: the source's error, or a result that could not be stored.");
    out +=
        "pinwatch_poll_errors_total " + std::to_string(polls(PollStatus::error) + crashes_) + "\n";
    head(out, "pinwatch_polls_not_modified_total", "counter",
         "Polls answered 304 Not Modified (a conditional request saved the listing).");
    out += "pinwatch_polls_not_modified_total " + std::to_string(not_modified_) + "\n";
    std::uint64_t answered = 0;
    for (auto const& [status, n] : polls_)
        if (status != PollStatus::error) answered += n;
    head(out, "pinwatch_polls_not_modified_ratio", "gauge",
         "Share of answered polls that were 304 Not Modified since start.");
    out +=
        "pinwatch_polls_not_modified_ratio " +
        number(answered == 0 ? 0.0
                             : static_cast<double>(not_modified_) / static_cast<double>(answered)) +
        "\n";
    head(out, "pinwatch_poll_request_duration_seconds", "histogram",
         "Time one poll spent in HTTP requests (all its pages).");
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
        cumulative += latency_buckets_[i];
        out += "pinwatch_poll_request_duration_seconds_bucket{le=\"" + number(kLatencyBuckets[i]) +
               "\"} " + std::to_string(cumulative) + "\n";
    }
    out += "pinwatch_poll_request_duration_seconds_bucket{le=\"+Inf\"} " +
           std::to_string(latency_count_) + "\n";
    out += "pinwatch_poll_request_duration_seconds_sum " + number(latency_sum_) + "\n";
    out += "pinwatch_poll_request_duration_seconds_count " + std::to_string(latency_count_) + "\n";
}

// What is watched, the events found, and each notifier's outbox.
void Metrics::render_events_and_outbox(std::string& out, UnixTime now,
                                       std::vector<NotifierQueue> const& queues) const {
    head(out, "pinwatch_packages_watched", "gauge", "Subscriptions on the schedule.");
    out += "pinwatch_packages_watched " + std::to_string(watched_) + "\n";
    head(out, "pinwatch_events_total", "counter", "Events found, by kind.");
    for (auto kind : model::kAllEventKinds) {
        auto it = events_.find(kind);
        out += std::string("pinwatch_events_total{kind=\"") + to_string(kind) + "\"} " +
               std::to_string(it == events_.end() ? 0 : it->second) + "\n";
    }
    head(out, "pinwatch_outbox_pending", "gauge", "Notifications waiting, per notifier.");
    for (auto const& q : queues)
        out += "pinwatch_outbox_pending{notifier=\"" + label(q.notifier) + "\"} " +
               std::to_string(q.pending) + "\n";
    head(out, "pinwatch_outbox_oldest_pending_age_seconds", "gauge",
         "Age of the oldest waiting notification's event, per notifier (0 when none waits).");
    for (auto const& q : queues)
        out +=
            "pinwatch_outbox_oldest_pending_age_seconds{notifier=\"" + label(q.notifier) + "\"} " +
            std::to_string(q.oldest_pending ? std::max<UnixTime>(0, now - *q.oldest_pending) : 0) +
            "\n";
    head(out, "pinwatch_outbox_failed", "gauge",
         "Notifications refused for good (failed) or given up after max_age (dead), per "
         "notifier.");
    for (auto const& q : queues) {
        out += "pinwatch_outbox_failed{notifier=\"" + label(q.notifier) + "\",state=\"failed\"} " +
               std::to_string(q.failed) + "\n";
        out += "pinwatch_outbox_failed{notifier=\"" + label(q.notifier) + "\",state=\"dead\"} " +
               std::to_string(q.dead) + "\n";
    }
}

// The daemon's own health: its loop, its last success, its state file, its reloads.
void Metrics::render_daemon(std::string& out) const {
    head(out, "pinwatch_last_cycle_timestamp_seconds", "gauge",
         "When the daemon's loop last completed a turn (Unix time).");
    out +=
        "pinwatch_last_cycle_timestamp_seconds " + std::to_string(last_cycle_.value_or(0)) + "\n";
    head(out, "pinwatch_last_successful_poll_timestamp_seconds", "gauge",
         "When a poll last reached its source and was stored (Unix time; 0 before the first).");
    out += "pinwatch_last_successful_poll_timestamp_seconds " +
           std::to_string(last_success_.value_or(0)) + "\n";
    head(out, "pinwatch_state_file_bytes", "gauge",
         "Size of the state file: the database's pages in use, and its write-ahead log.");
    out += "pinwatch_state_file_bytes{part=\"database\"} " + std::to_string(state_bytes_) + "\n";
    out += "pinwatch_state_file_bytes{part=\"wal\"} " + std::to_string(wal_bytes_) + "\n";
    head(out, "pinwatch_state_writes_failing", "gauge",
         "1 while the state file refuses writes (a full disk, a read-only file), else 0.");
    out +=
        std::string("pinwatch_state_writes_failing ") + (writes_failing_since_ ? "1" : "0") + "\n";
    head(out, "pinwatch_config_reloads_total", "counter", "Reloads (SIGHUP) applied.");
    out += "pinwatch_config_reloads_total " + std::to_string(reloads_) + "\n";
    head(out, "pinwatch_config_reload_failures_total", "counter",
         "Reloads refused (the new config has problems; the previous one goes on).");
    out += "pinwatch_config_reload_failures_total " + std::to_string(reload_failures_) + "\n";
    head(out, "pinwatch_config_last_reload_successful", "gauge",
         "0 while the last reload was refused, else 1.");
    out += std::string("pinwatch_config_last_reload_successful ") + (reload_refused_ ? "0" : "1") +
           "\n";
    head(out, "pinwatch_config_last_reload_timestamp_seconds", "gauge",
         "When a reload was last tried (Unix time; 0 before the first).");
    out += "pinwatch_config_last_reload_timestamp_seconds " +
           std::to_string(last_reload_.value_or(0)) + "\n";
    head(out, "pinwatch_start_time_seconds", "gauge", "When the daemon started (Unix time).");
    out += "pinwatch_start_time_seconds " + std::to_string(started_) + "\n";
}

Health Metrics::health(UnixTime now, std::vector<NotifierQueue> const& queues,
                       HealthLimits const& limits) const {
    Health h;
    if (!last_cycle_) {
        h.ok = false;
        h.text += "fail cycle: the loop has not turned yet\n";
    } else if (now - *last_cycle_ > limits.cycle_stale.count()) {
        h.ok = false;
        h.text += "fail cycle: last loop turn " + std::to_string(now - *last_cycle_) +
                  " s ago (limit " + std::to_string(limits.cycle_stale.count()) + " s)\n";
    } else {
        h.text += "ok cycle: last loop turn " + std::to_string(now - *last_cycle_) + " s ago\n";
    }
    // Polls that cannot be stored did not happen: the daemon is up but not doing its job.
    if (writes_failing_since_) {
        h.ok = false;
        h.text += "fail state: the state file refuses writes since " +
                  std::to_string(std::max<UnixTime>(0, now - *writes_failing_since_)) +
                  " s ago (a full disk? a read-only file?)\n";
    }
    // Still running, on the previous config: degraded, not failed (a restart would not start
    // with the refused file either).
    if (reload_refused_) {
        h.degraded = true;
        h.text += "degraded config: reload refused " +
                  std::to_string(std::max<UnixTime>(0, now - last_reload_.value_or(now))) +
                  " s ago, the previous config runs: " + sanitize_text(*reload_refused_) + "\n";
    }
    for (auto const& q : queues) {
        std::string const name = label(q.notifier);
        auto const age = q.oldest_pending ? now - *q.oldest_pending : 0;
        if (!q.digest && q.pending > 0 && age > limits.outbox_stale.count()) {
            h.ok = false;
            h.text += "fail outbox " + name + ": " + std::to_string(q.pending) +
                      " pending, oldest " + std::to_string(age) + " s (limit " +
                      std::to_string(limits.outbox_stale.count()) + " s)\n";
        } else {
            h.text += "ok outbox " + name + ": " + std::to_string(q.pending) + " pending\n";
        }
    }
    return h;
}

void Metrics::record_reload(bool applied, UnixTime now, std::string why) {
    last_reload_ = now;
    if (applied) {
        ++reloads_;
        reload_refused_.reset();
    } else {
        ++reload_failures_;
        reload_refused_ = why.empty() ? std::string("the new config could not be used") : why;
    }
}

} // namespace pinwatch::watcher
