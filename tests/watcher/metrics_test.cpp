#define BOOST_TEST_MODULE metrics
#include <boost/test/unit_test.hpp>

// Metrics: counting poll outcomes and rendering Prometheus text; the /healthz verdict.

#include "watcher/metrics.hpp"

using namespace pinwatch::watcher;

namespace {
bool contains(std::string const& s, std::string const& part) {
    return s.find(part) != std::string::npos;
}
PollOutcome outcome(PollStatus status, int ms, bool not_modified = false,
                    std::vector<EventKind> kinds = {}) {
    PollOutcome o;
    o.status = status;
    o.request_time = std::chrono::milliseconds(ms);
    o.not_modified = not_modified;
    o.event_kinds = std::move(kinds);
    o.stored = true; // written at once (unchanged polls held back: see below)
    return o;
}
} // namespace

BOOST_AUTO_TEST_CASE(polls_latency_events_and_outbox_are_rendered) {
    Metrics m(1000);
    m.record_poll(outcome(PollStatus::ok, 30, false, {EventKind::new_release}), 1010);
    m.record_poll(outcome(PollStatus::unchanged, 200, true), 1020);
    m.record_poll(outcome(PollStatus::unchanged, 700, true), 1030);
    m.record_poll(outcome(PollStatus::error, 5000), 1040);
    m.record_poll(outcome(PollStatus::cancelled, 1), 1050); // did not happen
    m.record_crash();
    m.record_cycle(1060);
    m.set_watched(3);
    std::vector<NotifierQueue> queues = {{"console", 0, 0, 0, std::nullopt, false},
                                         {"team \"slack\"", 2, 1, 0, 1000, true}};
    auto const text = m.render(1100, queues);
    for (char const* line : {
             "# TYPE pinwatch_polls_total counter\n",
             "pinwatch_polls_total{result=\"ok\"} 1\n",
             "pinwatch_polls_total{result=\"unchanged\"} 2\n",
             "pinwatch_polls_total{result=\"gone\"} 0\n",
             "pinwatch_polls_total{result=\"error\"} 1\n",
             "pinwatch_poll_errors_total 2\n",
             "pinwatch_polls_not_modified_total 2\n",
             "pinwatch_polls_not_modified_ratio 0.6666666666666666\n",
             "# TYPE pinwatch_poll_request_duration_seconds histogram\n",
             "pinwatch_poll_request_duration_seconds_bucket{le=\"0.05\"} 1\n",
             "pinwatch_poll_request_duration_seconds_bucket{le=\"0.25\"} 2\n",
             "pinwatch_poll_request_duration_seconds_bucket{le=\"1\"} 3\n",
             "pinwatch_poll_request_duration_seconds_bucket{le=\"5\"} 4\n",
             "pinwatch_poll_request_duration_seconds_bucket{le=\"+Inf\"} 4\n",
             "pinwatch_poll_request_duration_seconds_sum 5.93",
             "pinwatch_poll_request_duration_seconds_count 4\n",
             "pinwatch_packages_watched 3\n",
             "pinwatch_events_total{kind=\"new_release\"} 1\n",
             "pinwatch_events_total{kind=\"pinned_yanked\"} 0\n",
             "pinwatch_outbox_pending{notifier=\"console\"} 0\n",
             "pinwatch_outbox_pending{notifier=\"team \\\"slack\\\"\"} 2\n",
             "pinwatch_outbox_oldest_pending_age_seconds{notifier=\"team \\\"slack\\\"\"} 100\n",
             "pinwatch_outbox_failed{notifier=\"team \\\"slack\\\"\",state=\"failed\"} 1\n",
             "pinwatch_last_cycle_timestamp_seconds 1060\n",
             "pinwatch_last_successful_poll_timestamp_seconds 1030\n",
             "pinwatch_start_time_seconds 1000\n",
         })
        BOOST_TEST(contains(text, line), "missing: " << line << "in:\n" << text);
}

BOOST_AUTO_TEST_CASE(health_fails_when_cycles_stop_or_the_outbox_is_stuck) {
    Metrics m(0);
    HealthLimits const limits{std::chrono::seconds(180), std::chrono::seconds(3600)};
    auto h = m.health(100, {}, limits);
    BOOST_TEST(!h.ok);
    BOOST_TEST(h.text == "fail cycle: the loop has not turned yet\n");

    m.record_cycle(1000);
    std::vector<NotifierQueue> queues = {{"slack", 1, 0, 0, 1000, false},
                                         {"digest", 5, 0, 0, 0, true}};
    h = m.health(1100, queues, limits);
    BOOST_TEST(h.ok, h.text);
    BOOST_TEST(h.text == "ok cycle: last loop turn 100 s ago\nok outbox slack: 1 pending\n"
                         "ok outbox digest: 5 pending\n");

    h = m.health(1181, queues, limits); // the loop stopped turning
    BOOST_TEST(!h.ok);
    BOOST_TEST(contains(h.text, "fail cycle: last loop turn 181 s ago (limit 180 s)\n"), h.text);

    m.record_cycle(4700);
    h = m.health(4700, queues, limits); // slack's event waits 3700 s; the digest holds on purpose
    BOOST_TEST(!h.ok);
    BOOST_TEST(contains(h.text, "fail outbox slack: 1 pending, oldest 3700 s (limit 3600 s)\n"),
               h.text);
    BOOST_TEST(contains(h.text, "ok outbox digest: 5 pending\n"), h.text);
}

// Issue #20: during a full disk /healthz said 200 and the last-successful-poll metric stayed
// current. A poll counts once stored; a refused write degrades the health until one is stored.
BOOST_AUTO_TEST_CASE(refused_writes_degrade_health_and_only_stored_polls_count) {
    Metrics m(1000);
    HealthLimits const limits;
    m.record_cycle(1000);
    auto held = outcome(PollStatus::unchanged, 10, true);
    held.stored = false; // batched, not yet written
    m.record_poll(held, 1010);
    BOOST_TEST(contains(m.render(1010, {}), "pinwatch_last_successful_poll_timestamp_seconds 0\n"));
    m.record_flush(true, 1020); // the batch is written
    BOOST_TEST(
        contains(m.render(1020, {}), "pinwatch_last_successful_poll_timestamp_seconds 1020\n"));
    BOOST_TEST(m.health(1020, {}, limits).ok);

    m.record_flush(false, 1030); // the disk is full
    m.record_poll(held, 1040);   // polls go on, none is stored
    m.record_crash();
    m.record_cycle(1050);
    auto h = m.health(1050, {}, limits);
    BOOST_TEST(!h.ok);
    BOOST_TEST(contains(h.text, "fail state: the state file refuses writes since 20 s ago"),
               h.text);
    auto const text = m.render(1050, {});
    BOOST_TEST(contains(text, "pinwatch_last_successful_poll_timestamp_seconds 1020\n"), text);
    BOOST_TEST(contains(text, "pinwatch_state_writes_failing 1\n"), text);

    m.record_poll(outcome(PollStatus::ok, 10), 1060); // stored again
    BOOST_TEST(m.health(1060, {}, limits).ok);
    BOOST_TEST(contains(m.render(1060, {}), "pinwatch_state_writes_failing 0\n"));
    m.set_state_size(1536000, 4096);
    BOOST_TEST(
        contains(m.render(1060, {}), "pinwatch_state_file_bytes{part=\"database\"} 1536000\n"));
    BOOST_TEST(contains(m.render(1060, {}), "pinwatch_state_file_bytes{part=\"wal\"} 4096\n"));
}

// A refused reload leaves the daemon on its previous config: /healthz stays 200 but says
// "degraded" with the reason until a reload is applied; /metrics counts both.
BOOST_AUTO_TEST_CASE(a_refused_reload_degrades_health_until_one_is_applied) {
    Metrics m(1000);
    HealthLimits const limits;
    m.record_cycle(1000);
    BOOST_TEST(!m.health(1001, {}, limits).degraded);
    m.record_reload(false, 1002, "1 problem(s) in /etc/pinwatch/pinwatch.toml, first: x:3: y");
    auto h = m.health(1010, {}, limits);
    BOOST_TEST(h.ok);
    BOOST_TEST(h.degraded);
    BOOST_TEST(contains(h.text,
                        "degraded config: reload refused 8 s ago, the previous config "
                        "runs: 1 problem(s) in /etc/pinwatch/pinwatch.toml, first: x:3: y\n"),
               h.text);
    auto text = m.render(1010, {});
    BOOST_TEST(contains(text, "\npinwatch_config_reload_failures_total 1\n"), text);
    BOOST_TEST(contains(text, "\npinwatch_config_last_reload_successful 0\n"), text);
    BOOST_TEST(contains(text, "\npinwatch_config_last_reload_timestamp_seconds 1002\n"), text);
    m.record_reload(true, 1020);
    h = m.health(1021, {}, limits);
    BOOST_TEST(!h.degraded);
    BOOST_TEST(!contains(h.text, "degraded"), h.text);
    text = m.render(1021, {});
    BOOST_TEST(contains(text, "\npinwatch_config_reloads_total 1\n"), text);
    BOOST_TEST(contains(text, "\npinwatch_config_last_reload_successful 1\n"), text);
}
