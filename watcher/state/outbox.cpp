#include "watcher/state/outbox.hpp"

#include "watcher/state/sql.hpp"

namespace pinwatch::watcher {

std::optional<UnixTime> Outbox::next_due() const {
    // Only rows a routed notifier will take: rows left for a notifier removed from the config
    // must not keep waking the daemon.
    auto& q = store_.statement("SELECT MIN(next_attempt_at) FROM outbox WHERE state = 'pending' "
                               "AND notifier IN (SELECT name FROM notifiers)");
    std::optional<UnixTime> due;
    if (q.executeStep() && !q.getColumn(0).isNull()) due = q.getColumn(0).getInt64();
    q.reset();
    return due;
}

std::optional<UnixTime> Outbox::next_due(std::string const& notifier) const {
    auto& q = store_.statement(
        "SELECT MIN(next_attempt_at) FROM outbox WHERE state = 'pending' AND notifier = ?");
    q.bind(1, notifier);
    std::optional<UnixTime> due;
    if (q.executeStep() && !q.getColumn(0).isNull()) due = q.getColumn(0).getInt64();
    q.reset();
    return due;
}

std::optional<UnixTime> Outbox::release_time(std::string const& notifier, std::int64_t window,
                                             std::int64_t urgent_window) const {
    // The kinds the model calls urgent, as stored; and a project_status event that says the
    // project is quarantined (model::is_urgent(Event): urgent by what it carries).
    static std::string const sql = [] {
        std::string urgent;
        for (auto k : model::kAllEventKinds)
            if (model::is_urgent(k))
                urgent += std::string(urgent.empty() ? "'" : ", '") + model::to_string(k) + "'";
        return "SELECT MIN(CASE WHEN o.attempts > 0 THEN o.next_attempt_at "
               "WHEN e.kind IN (" +
               urgent +
               ") OR (e.kind = 'project_status' AND "
               "json_extract(e.extra, '$.project_status.status') = 'quarantined') "
               "THEN COALESCE(o.due_at, o.next_attempt_at) + ?2 "
               "ELSE COALESCE(o.due_at, o.next_attempt_at) + ?3 END) "
               "FROM outbox o JOIN events e ON e.id = o.event_id "
               "WHERE o.notifier = ?1 AND o.state = 'pending'";
    }();
    auto& q = store_.statement(sql);
    q.bind(1, notifier);
    q.bind(2, urgent_window);
    q.bind(3, window);
    std::optional<UnixTime> at;
    if (q.executeStep() && !q.getColumn(0).isNull()) at = q.getColumn(0).getInt64();
    q.reset();
    return at;
}

std::vector<OutboxItem> Outbox::pending(std::string const& notifier, UnixTime now,
                                        int limit) const {
    auto& q =
        store_.statement(std::string("SELECT o.id, o.notifier, o.attempts, ") +
                         "e.id, e.kind, e.source, e.package, e.origin, e.version, e.update_type, "
                         "e.allowed, e.pinned, "
                         "e.specifier, e.detail, e.at, e.extra, e.link "
                         "FROM outbox o JOIN events e ON e.id = o.event_id "
                         "WHERE o.notifier = ? AND o.state = 'pending' AND o.next_attempt_at <= ? "
                         "ORDER BY e.seq LIMIT ?");
    q.bind(1, notifier);
    q.bind(2, static_cast<std::int64_t>(now));
    q.bind(3, limit);
    std::vector<OutboxItem> out;
    while (q.executeStep()) {
        OutboxItem item;
        item.id = q.getColumn(0).getInt64();
        item.notifier = q.getColumn(1).getString();
        item.attempts = q.getColumn(2).getInt();
        item.event = sql::read_event(q, 3);
        out.push_back(std::move(item));
    }
    q.reset();
    return out;
}

void Outbox::mark_delivered(std::int64_t id, UnixTime now) {
    auto& q = store_.statement("UPDATE outbox SET state = 'delivered', attempts = attempts + 1, "
                               "delivered_at = ?, last_error = NULL WHERE id = ?");
    q.bind(1, static_cast<std::int64_t>(now));
    q.bind(2, id);
    q.exec();
}

void Outbox::mark_failed(std::int64_t id, std::string const& error,
                         std::optional<UnixTime> retry_at, UnixTime now) {
    auto& q =
        store_.statement("UPDATE outbox SET state = ?, attempts = attempts + 1, last_error = ?, "
                         "next_attempt_at = ? WHERE id = ?");
    q.bind(1, retry_at ? "pending" : "failed");
    q.bind(2, error);
    q.bind(3, static_cast<std::int64_t>(retry_at.value_or(now)));
    q.bind(4, id);
    q.exec();
}

OutboxCounts Outbox::counts() const {
    auto& q = store_.statement("SELECT state, COUNT(*) FROM outbox GROUP BY state");
    OutboxCounts c;
    while (q.executeStep()) {
        auto const s = q.getColumn(0).getString();
        auto const n = q.getColumn(1).getInt64();
        if (s == "pending")
            c.pending = n;
        else if (s == "delivered")
            c.delivered = n;
        else if (s == "failed")
            c.failed = n;
        else if (s == "dead")
            c.dead = n;
    }
    q.reset();
    return c;
}

std::vector<NotifierOutbox> Outbox::by_notifier() const {
    std::vector<NotifierOutbox> out;
    auto& q = store_.statement(R"sql(
SELECT o.notifier,
       SUM(o.state = 'pending'), SUM(o.state = 'delivered'), SUM(o.state = 'failed'), SUM(o.state = 'dead'),
       (SELECT last_error FROM outbox x WHERE x.notifier = o.notifier AND x.last_error IS NOT NULL
        ORDER BY x.id DESC LIMIT 1),
       MIN(CASE WHEN o.state = 'pending' THEN o.next_attempt_at END),
       MIN(CASE WHEN o.state = 'pending' THEN e.at END)
FROM outbox o JOIN events e ON e.id = o.event_id
GROUP BY o.notifier ORDER BY o.notifier)sql");
    while (q.executeStep()) {
        NotifierOutbox n;
        n.notifier = q.getColumn(0).getString();
        n.counts.pending = q.getColumn(1).getInt64();
        n.counts.delivered = q.getColumn(2).getInt64();
        n.counts.failed = q.getColumn(3).getInt64();
        n.counts.dead = q.getColumn(4).getInt64();
        n.last_error = sql::opt_text(q.getColumn(5));
        n.next_attempt = sql::opt_int(q.getColumn(6));
        n.oldest_pending = sql::opt_int(q.getColumn(7));
        out.push_back(std::move(n));
    }
    q.reset();
    return out;
}

int Outbox::expire(std::string const& notifier, UnixTime cutoff) {
    auto& q = store_.statement(R"sql(
UPDATE outbox SET state = 'dead', last_error = COALESCE(last_error, 'expired undelivered')
WHERE notifier = ?1 AND state = 'pending'
  AND COALESCE(due_at, (SELECT at FROM events WHERE events.id = outbox.event_id)) < ?2)sql");
    q.bind(1, notifier);
    q.bind(2, static_cast<std::int64_t>(cutoff));
    return q.exec();
}

std::vector<std::pair<std::string, std::int64_t>> Outbox::orphaned() const {
    auto& q = store_.statement("SELECT notifier, COUNT(*) FROM outbox WHERE state = 'pending' "
                               "AND notifier NOT IN (SELECT name FROM notifiers) "
                               "GROUP BY notifier ORDER BY notifier");
    std::vector<std::pair<std::string, std::int64_t>> out;
    while (q.executeStep())
        out.emplace_back(q.getColumn(0).getString(), q.getColumn(1).getInt64());
    q.reset();
    return out;
}

namespace {
char const* kind_text(NotifierStop::Kind k) {
    return k == NotifierStop::Kind::auth ? "auth" : "gone";
}
} // namespace

bool Outbox::record_stop(NotifierStop const& stop) {
    auto& old = store_.statement("SELECT kind FROM notifier_stops WHERE name = ?");
    old.bind(1, stop.notifier);
    bool const known = old.executeStep() && old.getColumn(0).getString() == kind_text(stop.kind);
    old.reset();
    auto& q = store_.statement(R"sql(
INSERT INTO notifier_stops (name, kind, reason, since, fingerprint) VALUES (?1, ?2, ?3, ?4, ?5)
ON CONFLICT (name) DO UPDATE SET
    since = CASE WHEN kind = excluded.kind THEN since ELSE excluded.since END,
    kind = excluded.kind, reason = excluded.reason, fingerprint = excluded.fingerprint)sql");
    q.bind(1, stop.notifier);
    q.bind(2, kind_text(stop.kind));
    q.bind(3, stop.reason);
    q.bind(4, static_cast<std::int64_t>(stop.since));
    q.bind(5, stop.fingerprint);
    q.exec();
    return !known;
}

void Outbox::clear_stop(std::string const& notifier) {
    auto& q = store_.statement("DELETE FROM notifier_stops WHERE name = ?");
    q.bind(1, notifier);
    q.exec();
}

std::vector<NotifierStop> Outbox::stops() const {
    // `status` reads older state files as they are: no table, no stops.
    auto& has = store_.statement(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'notifier_stops'");
    bool const exists = has.executeStep();
    has.reset();
    std::vector<NotifierStop> out;
    if (!exists) return out;
    auto& q = store_.statement(
        "SELECT name, kind, reason, since, fingerprint FROM notifier_stops ORDER BY name");
    while (q.executeStep()) {
        NotifierStop s;
        s.notifier = q.getColumn(0).getString();
        s.kind = q.getColumn(1).getString() == "auth" ? NotifierStop::Kind::auth
                                                      : NotifierStop::Kind::gone;
        s.reason = q.getColumn(2).getString();
        s.since = q.getColumn(3).getInt64();
        s.fingerprint = q.getColumn(4).getString();
        out.push_back(std::move(s));
    }
    q.reset();
    return out;
}

} // namespace pinwatch::watcher
