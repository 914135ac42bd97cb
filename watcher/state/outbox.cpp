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
  AND event_id IN (SELECT id FROM events WHERE at < ?2))sql");
    q.bind(1, notifier);
    q.bind(2, static_cast<std::int64_t>(cutoff));
    return q.exec();
}

} // namespace pinwatch::watcher
