// SQL for the state store. Migrations are a numbered list applied by PRAGMA user_version;
// never edit a shipped migration, append a new one.
#include "watcher/state_store.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdio>
#include <random>
#include <stdexcept>

namespace pinwatch::watcher {
namespace {

constexpr char const* kMigrations[] = {
    // 1: the first schema.
    R"sql(
CREATE TABLE subscriptions (
    id                   INTEGER PRIMARY KEY,
    source               TEXT NOT NULL,
    index_url            TEXT NOT NULL,
    name                 TEXT NOT NULL,
    specifier            TEXT NOT NULL DEFAULT '',
    pinned               TEXT,
    prereleases          INTEGER NOT NULL DEFAULT 0,
    file                 TEXT NOT NULL DEFAULT '',
    line                 INTEGER NOT NULL DEFAULT 0,
    active               INTEGER NOT NULL DEFAULT 1,
    created_at           INTEGER NOT NULL,
    baseline_done        INTEGER NOT NULL DEFAULT 0,
    etag                 TEXT,
    last_serial          INTEGER,
    last_poll            INTEGER,
    last_status          TEXT NOT NULL DEFAULT '',
    last_error           TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_due             INTEGER NOT NULL DEFAULT 0,
    summary              TEXT,
    project_urls         TEXT,
    home_page            TEXT,
    metadata_version     TEXT,
    gone_since           INTEGER, -- set while the index answers 404; errors do not clear it
    interval             INTEGER, -- seconds; NULL = the daemon's interval
    UNIQUE (source, index_url, name)
);
CREATE TABLE releases (
    subscription_id INTEGER NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
    version         TEXT NOT NULL,
    first_seen      INTEGER NOT NULL,
    upload_time     INTEGER,
    yanked          INTEGER NOT NULL DEFAULT 0,
    yank_reason     TEXT,
    PRIMARY KEY (subscription_id, version)
) WITHOUT ROWID;
CREATE TABLE events (
    id              TEXT PRIMARY KEY,
    seq             INTEGER NOT NULL UNIQUE,
    subscription_id INTEGER REFERENCES subscriptions(id) ON DELETE SET NULL,
    kind            TEXT NOT NULL,
    package         TEXT NOT NULL,
    index_url       TEXT NOT NULL,
    version         TEXT,
    update_type     TEXT,
    allowed         INTEGER,
    pinned          TEXT,
    specifier       TEXT NOT NULL DEFAULT '',
    detail          TEXT NOT NULL DEFAULT '',
    at              INTEGER NOT NULL
);
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    event_id        TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    notifier        TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending', -- pending | delivered | failed
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    delivered_at    INTEGER,
    UNIQUE (event_id, notifier)
);
CREATE INDEX outbox_pending ON outbox(notifier, state, next_attempt_at);
-- The daemon's notifiers, so that events written by another process (`check --state` on the
-- daemon's file) are queued for them too instead of being taken silently.
CREATE TABLE notifiers (
    name TEXT PRIMARY KEY
) WITHOUT ROWID;
)sql",
};

template <class T> void bind_opt(SQLite::Statement& q, int i, std::optional<T> const& v) {
    if (v) q.bind(i, *v);
    else q.bind(i);
}

std::optional<std::string> opt_text(SQLite::Column const& c) {
    if (c.isNull()) return std::nullopt;
    return c.getString();
}
std::optional<std::int64_t> opt_int(SQLite::Column const& c) {
    if (c.isNull()) return std::nullopt;
    return c.getInt64();
}

std::string urls_to_json(std::map<std::string, std::string> const& urls) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    for (auto const& [k, v] : urls) {
        w.Key(k.c_str(), static_cast<rapidjson::SizeType>(k.size()));
        w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
    }
    w.EndObject();
    return buf.GetString();
}

std::map<std::string, std::string> urls_from_json(std::string const& text) {
    std::map<std::string, std::string> out;
    rapidjson::Document d;
    d.Parse(text.c_str(), text.size());
    if (d.HasParseError() || !d.IsObject()) return out;
    for (auto const& m : d.GetObject())
        if (m.value.IsString()) out[m.name.GetString()] = m.value.GetString();
    return out;
}

// Random 128-bit event ids: generated once, stored, and reused by every retry.
std::string new_event_id() {
    static std::random_device rd;
    static std::mt19937_64 gen(rd() ^ (std::uint64_t(rd()) << 32));
    char buf[40];
    std::snprintf(buf, sizeof buf, "evt_%016llx%016llx", static_cast<unsigned long long>(gen()),
                  static_cast<unsigned long long>(gen()));
    return buf;
}

constexpr char const* kSubscriptionColumns =
    "id, source, index_url, name, specifier, pinned, prereleases, file, line, active, "
    "baseline_done, etag, last_serial, last_poll, last_status, last_error, "
    "consecutive_failures, next_due, summary, project_urls, home_page, metadata_version, gone_since, "
    "interval";

StoredSubscription read_subscription(SQLite::Statement& q) {
    StoredSubscription s;
    s.id = q.getColumn(0).getInt64();
    s.sub.source = q.getColumn(1).getString();
    s.sub.index_url = q.getColumn(2).getString();
    s.sub.name = q.getColumn(3).getString();
    s.sub.specifier = q.getColumn(4).getString();
    s.sub.pinned = opt_text(q.getColumn(5));
    s.sub.prereleases = q.getColumn(6).getInt() != 0;
    s.sub.file = q.getColumn(7).getString();
    s.sub.line = q.getColumn(8).getInt();
    s.active = q.getColumn(9).getInt() != 0;
    s.baseline_done = q.getColumn(10).getInt() != 0;
    s.etag = opt_text(q.getColumn(11));
    s.last_serial = opt_int(q.getColumn(12));
    s.last_poll = opt_int(q.getColumn(13));
    s.last_status = q.getColumn(14).getString();
    s.last_error = opt_text(q.getColumn(15));
    s.consecutive_failures = q.getColumn(16).getInt();
    s.next_due = q.getColumn(17).getInt64();
    if (!q.getColumn(18).isNull() || !q.getColumn(19).isNull()) {
        ProjectMetadata m;
        m.summary = q.getColumn(18).getString();
        m.project_urls = urls_from_json(q.getColumn(19).getString());
        m.home_page = q.getColumn(20).getString();
        s.metadata = std::move(m);
    }
    s.metadata_version = opt_text(q.getColumn(21));
    s.gone_since = opt_int(q.getColumn(22));
    s.sub.interval = opt_int(q.getColumn(23));
    return s;
}

constexpr char const* kEventColumns =
    "id, kind, package, index_url, version, update_type, allowed, pinned, specifier, detail, at";

Event read_event(SQLite::Statement& q, int first) {
    Event e;
    e.id = q.getColumn(first + 0).getString();
    e.kind = event_kind_from_string(q.getColumn(first + 1).getString()).value_or(EventKind::new_release);
    e.package = q.getColumn(first + 2).getString();
    e.index_url = q.getColumn(first + 3).getString();
    e.version = opt_text(q.getColumn(first + 4));
    if (auto u = opt_text(q.getColumn(first + 5))) {
        for (auto t : {UpdateType::major, UpdateType::minor, UpdateType::patch,
                       UpdateType::prerelease, UpdateType::older, UpdateType::none})
            if (*u == to_string(t)) e.update = t;
    }
    if (!q.getColumn(first + 6).isNull()) e.allowed = q.getColumn(first + 6).getInt() != 0;
    e.pinned = opt_text(q.getColumn(first + 7));
    e.specifier = q.getColumn(first + 8).getString();
    e.detail = q.getColumn(first + 9).getString();
    e.at = q.getColumn(first + 10).getInt64();
    return e;
}

} // namespace

StateStore::StateStore(std::string const& path, Access access) {
    try {
        if (access == Access::read_only) {
            db_ = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READONLY | SQLite::OPEN_NOMUTEX);
            db_->setBusyTimeout(5000);
            int const v = schema_version();
            if (v != latest_schema_version())
                throw std::runtime_error("schema version " + std::to_string(v) + ", this pinwatch reads " +
                                         std::to_string(latest_schema_version()) +
                                         " (let `pinwatch run` or `pinwatch check --state` migrate it)");
            return;
        }
        db_ = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE |
                                                           SQLite::OPEN_NOMUTEX);
        db_->setBusyTimeout(5000);
        if (path != ":memory:") {
            // WAL: readers (pinwatch status) never block the daemon's writes. NORMAL sync is
            // durable across application crashes; a power cut may lose the last commit, which
            // the next poll re-derives.
            db_->exec("PRAGMA journal_mode=WAL");
            db_->exec("PRAGMA synchronous=NORMAL");
            // Checkpoint less often than the default 1,000 pages: a cold check of thousands of
            // packages otherwise copies the WAL into the database many times over.
            db_->exec("PRAGMA wal_autocheckpoint=10000");
        }
        db_->exec("PRAGMA foreign_keys=ON");
        migrate();
        auto& q = statement("SELECT name FROM notifiers ORDER BY name");
        while (q.executeStep()) notifiers_.push_back(q.getColumn(0).getString());
        q.reset();
    } catch (std::exception const& e) {
        throw std::runtime_error("state file " + path + ": " + e.what());
    }
}

StateStore::~StateStore() {
    statements_.clear(); // finalize before the database closes
}

SQLite::Statement& StateStore::statement(std::string const& sql) const {
    // Preparing is most of the cost of a small statement; a poll of 5,000 packages runs the
    // same dozen statements thousands of times.
    auto it = statements_.find(sql);
    if (it == statements_.end())
        it = statements_.emplace(sql, std::make_unique<SQLite::Statement>(*db_, sql)).first;
    it->second->reset();
    it->second->clearBindings();
    return *it->second;
}

int StateStore::latest_schema_version() noexcept {
    return static_cast<int>(std::size(kMigrations));
}

int StateStore::schema_version() const {
    return db_->execAndGet("PRAGMA user_version").getInt();
}

void StateStore::migrate() {
    // IMMEDIATE: two processes opening a new state file at once (the daemon and `status`)
    // must not both apply migration 1; the second waits, then sees it done.
    SQLite::Transaction t(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    int const current = schema_version();
    if (current > latest_schema_version())
        throw std::runtime_error("schema version " + std::to_string(current) +
                                 " is newer than this pinwatch understands (" +
                                 std::to_string(latest_schema_version()) + "); upgrade pinwatch");
    for (int v = current; v < latest_schema_version(); ++v) db_->exec(kMigrations[v]);
    if (current != latest_schema_version())
        db_->exec("PRAGMA user_version = " + std::to_string(latest_schema_version()));
    t.commit();
}

void StateStore::set_notifiers(std::vector<std::string> names) {
    SQLite::Transaction t(*db_);
    db_->exec("DELETE FROM notifiers");
    auto& ins = statement("INSERT OR IGNORE INTO notifiers (name) VALUES (?)");
    for (auto const& n : names) {
        ins.bind(1, n);
        ins.exec();
        ins.reset();
    }
    t.commit();
    notifiers_ = std::move(names);
}

std::vector<std::string> const& StateStore::notifiers() const { return notifiers_; }

std::optional<UnixTime> StateStore::next_outbox_due() const {
    // Only rows a configured notifier will take: rows left for a notifier removed from the
    // config must not keep waking the daemon.
    auto& q = statement("SELECT MIN(next_attempt_at) FROM outbox WHERE state = 'pending' "
                        "AND notifier IN (SELECT name FROM notifiers)");
    std::optional<UnixTime> due;
    if (q.executeStep() && !q.getColumn(0).isNull()) due = q.getColumn(0).getInt64();
    q.reset();
    return due;
}

std::int64_t StateStore::upsert_subscription(Subscription const& s, UnixTime now) {
    auto& q = statement(R"sql(
INSERT INTO subscriptions (source, index_url, name, specifier, pinned, prereleases, file, line,
                           active, created_at, next_due, interval)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9, ?9, ?10)
ON CONFLICT (source, index_url, name) DO UPDATE SET
    specifier = excluded.specifier, pinned = excluded.pinned, prereleases = excluded.prereleases,
    file = excluded.file, line = excluded.line, active = 1, interval = excluded.interval,
    -- coming back, or a changed interval, is due now; otherwise the schedule stands
    next_due = CASE WHEN subscriptions.active = 0 OR excluded.interval IS NOT subscriptions.interval
                    THEN excluded.next_due ELSE subscriptions.next_due END
RETURNING id)sql");
    q.bind(1, s.source);
    q.bind(2, s.index_url);
    q.bind(3, s.name);
    q.bind(4, s.specifier);
    bind_opt(q, 5, s.pinned);
    q.bind(6, s.prereleases ? 1 : 0);
    q.bind(7, s.file);
    q.bind(8, s.line);
    q.bind(9, static_cast<std::int64_t>(now));
    bind_opt(q, 10, s.interval);
    q.executeStep();
    auto const id = q.getColumn(0).getInt64();
    q.reset();
    return id;
}

std::vector<std::int64_t> StateStore::upsert_subscriptions(std::vector<Subscription> const& subs, UnixTime now) {
    SQLite::Transaction t(*db_);
    std::vector<std::int64_t> ids;
    ids.reserve(subs.size());
    for (auto const& s : subs) ids.push_back(upsert_subscription(s, now));
    t.commit();
    return ids;
}

int StateStore::deactivate_others(std::vector<std::int64_t> const& keep) {
    SQLite::Transaction t(*db_);
    db_->exec("CREATE TEMP TABLE IF NOT EXISTS keep_ids (id INTEGER PRIMARY KEY)");
    db_->exec("DELETE FROM keep_ids");
    auto& ins = statement("INSERT OR IGNORE INTO keep_ids VALUES (?)");
    for (auto id : keep) {
        ins.bind(1, id);
        ins.exec();
        ins.reset();
    }
    int const n = db_->exec(
        "UPDATE subscriptions SET active = 0 WHERE active = 1 AND id NOT IN (SELECT id FROM keep_ids)");
    t.commit();
    return n;
}

std::vector<StoredSubscription> StateStore::subscriptions(bool active_only) const {
    auto& q = statement(std::string("SELECT ") + kSubscriptionColumns +
                                  " FROM subscriptions" + (active_only ? " WHERE active = 1" : "") +
                                  " ORDER BY name, index_url");
    std::vector<StoredSubscription> out;
    while (q.executeStep()) out.push_back(read_subscription(q));
    q.reset(); // a finished read must not hold its snapshot (it would pin the WAL)
    return out;
}

std::optional<StoredSubscription> StateStore::subscription(std::int64_t id) const {
    auto& q = statement(std::string("SELECT ") + kSubscriptionColumns +
                                  " FROM subscriptions WHERE id = ?");
    q.bind(1, id);
    if (!q.executeStep()) return std::nullopt;
    auto s = read_subscription(q);
    q.reset();
    return s;
}

std::map<std::string, StoredRelease> StateStore::releases(std::int64_t subscription_id) const {
    auto& q = statement("SELECT version, first_seen, upload_time, yanked, yank_reason "
                              "FROM releases WHERE subscription_id = ?");
    q.bind(1, subscription_id);
    std::map<std::string, StoredRelease> out;
    while (q.executeStep()) {
        StoredRelease r;
        r.version = q.getColumn(0).getString();
        r.first_seen = q.getColumn(1).getInt64();
        r.upload_time = opt_int(q.getColumn(2));
        r.yanked = q.getColumn(3).getInt() != 0;
        r.yank_reason = opt_text(q.getColumn(4));
        out.emplace(r.version, std::move(r));
    }
    q.reset();
    return out;
}

void StateStore::apply(StateUpdate const& u) {
    SQLite::Transaction t(*db_);

    auto& sub = statement(R"sql(
UPDATE subscriptions SET
    last_poll = ?2, last_status = ?3, last_error = ?4,
    etag = CASE WHEN ?5 THEN NULL WHEN ?6 IS NOT NULL THEN ?6 ELSE etag END,
    last_serial = COALESCE(?7, last_serial),
    baseline_done = ?8, consecutive_failures = ?9, next_due = ?10,
    gone_since = CASE ?11 WHEN 1 THEN COALESCE(gone_since, ?2) WHEN 2 THEN NULL ELSE gone_since END
WHERE id = ?1)sql");
    sub.bind(1, u.subscription_id);
    sub.bind(2, static_cast<std::int64_t>(u.now));
    sub.bind(3, u.status);
    bind_opt(sub, 4, u.error);
    sub.bind(5, u.clear_etag ? 1 : 0);
    bind_opt(sub, 6, u.etag);
    bind_opt(sub, 7, u.last_serial);
    sub.bind(8, u.baseline_done ? 1 : 0);
    sub.bind(9, u.consecutive_failures);
    sub.bind(10, static_cast<std::int64_t>(u.next_due));
    sub.bind(11, static_cast<int>(u.gone));
    sub.exec();

    if (!u.upserts.empty()) {
        auto& rel = statement(R"sql(
INSERT INTO releases (subscription_id, version, first_seen, upload_time, yanked, yank_reason)
VALUES (?1, ?2, ?3, ?4, ?5, ?6)
ON CONFLICT (subscription_id, version) DO UPDATE SET
    upload_time = excluded.upload_time, yanked = excluded.yanked, yank_reason = excluded.yank_reason)sql");
        for (auto const& r : u.upserts) {
            rel.bind(1, u.subscription_id);
            rel.bind(2, r.version);
            rel.bind(3, static_cast<std::int64_t>(r.first_seen));
            bind_opt(rel, 4, r.upload_time);
            rel.bind(5, r.yanked ? 1 : 0);
            bind_opt(rel, 6, r.yank_reason);
            rel.exec();
            rel.reset();
        }
    }
    if (!u.removed.empty()) {
        auto& del = statement("DELETE FROM releases WHERE subscription_id = ? AND version = ?");
        for (auto const& v : u.removed) {
            del.bind(1, u.subscription_id);
            del.bind(2, v);
            del.exec();
            del.reset();
        }
    }
    if (!u.events.empty()) {
        auto& ev = statement(R"sql(
INSERT INTO events (id, seq, subscription_id, kind, package, index_url, version, update_type,
                    allowed, pinned, specifier, detail, at)
VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM events), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12))sql");
        auto& ob = statement("INSERT INTO outbox (event_id, notifier, next_attempt_at) VALUES (?, ?, ?)");
        for (auto const& e0 : u.events) {
            std::string const id = e0.id.empty() ? new_event_id() : e0.id;
            ev.bind(1, id);
            ev.bind(2, u.subscription_id);
            ev.bind(3, to_string(e0.kind));
            ev.bind(4, e0.package);
            ev.bind(5, e0.index_url);
            bind_opt(ev, 6, e0.version);
            if (e0.update) ev.bind(7, to_string(*e0.update));
            else ev.bind(7);
            if (e0.allowed) ev.bind(8, *e0.allowed ? 1 : 0);
            else ev.bind(8);
            bind_opt(ev, 9, e0.pinned);
            ev.bind(10, e0.specifier);
            ev.bind(11, e0.detail);
            ev.bind(12, static_cast<std::int64_t>(e0.at));
            ev.exec();
            ev.reset();
            for (auto const& n : notifiers_) {
                ob.bind(1, id);
                ob.bind(2, n);
                ob.bind(3, static_cast<std::int64_t>(u.now));
                ob.exec();
                ob.reset();
            }
        }
    }
    t.commit();
}

void StateStore::set_metadata(std::int64_t id, ProjectMetadata const& m, std::string const& from) {
    auto& q = statement("UPDATE subscriptions SET summary = ?, project_urls = ?, home_page = ?, "
                              "metadata_version = ? WHERE id = ?");
    q.bind(1, m.summary);
    q.bind(2, urls_to_json(m.project_urls));
    q.bind(3, m.home_page);
    q.bind(4, from);
    q.bind(5, id);
    q.exec();
}

std::vector<Event> StateStore::events(std::int64_t limit) const {
    auto& q = statement(std::string("SELECT ") + kEventColumns +
                                  " FROM events ORDER BY seq DESC LIMIT ?");
    q.bind(1, limit);
    std::vector<Event> out;
    while (q.executeStep()) out.push_back(read_event(q, 0));
    q.reset();
    return out;
}

std::vector<OutboxItem> StateStore::pending_outbox(std::string const& notifier, UnixTime now,
                                                   int limit) const {
    auto& q = statement(std::string("SELECT o.id, o.notifier, o.attempts, ") +
                                  "e.id, e.kind, e.package, e.index_url, e.version, e.update_type, "
                                  "e.allowed, e.pinned, e.specifier, e.detail, e.at "
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
        item.event = read_event(q, 3);
        out.push_back(std::move(item));
    }
    q.reset();
    return out;
}

void StateStore::mark_delivered(std::int64_t id, UnixTime now) {
    auto& q = statement("UPDATE outbox SET state = 'delivered', attempts = attempts + 1, "
                              "delivered_at = ?, last_error = NULL WHERE id = ?");
    q.bind(1, static_cast<std::int64_t>(now));
    q.bind(2, id);
    q.exec();
}

void StateStore::mark_failed(std::int64_t id, std::string const& error,
                             std::optional<UnixTime> retry_at, UnixTime now) {
    auto& q = statement("UPDATE outbox SET state = ?, attempts = attempts + 1, last_error = ?, "
                              "next_attempt_at = ? WHERE id = ?");
    q.bind(1, retry_at ? "pending" : "failed");
    q.bind(2, error);
    q.bind(3, static_cast<std::int64_t>(retry_at.value_or(now)));
    q.bind(4, id);
    q.exec();
}

OutboxCounts StateStore::outbox_counts() const {
    auto& q = statement("SELECT state, COUNT(*) FROM outbox GROUP BY state");
    OutboxCounts c;
    while (q.executeStep()) {
        auto const s = q.getColumn(0).getString();
        auto const n = q.getColumn(1).getInt64();
        if (s == "pending") c.pending = n;
        else if (s == "delivered") c.delivered = n;
        else if (s == "failed") c.failed = n;
    }
    q.reset();
    return c;
}

} // namespace pinwatch::watcher
