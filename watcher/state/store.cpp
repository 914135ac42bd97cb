// SQL for the state store. Migrations are a numbered list applied by PRAGMA user_version;
// never edit a shipped migration, append a new one.
#include "watcher/state/store.hpp"
#include "common/json_read.hpp"

#include "common/json.hpp"
#include "common/text.hpp"
#include "watcher/state/sql.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <rapidjson/document.h>

#include <algorithm>
#include <cstdio>
#include <fcntl.h>
#include <random>
#include <stdexcept>
#include <sys/stat.h>
#include <tuple>
#include <unistd.h>

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
    // 2: subscriptions keyed by (source, locator) instead of PyPI's (index_url, name);
    // validator/sequence instead of etag/last_serial; events say their source and origin;
    // notifiers carry their routes.
    R"sql(
CREATE TABLE subscriptions_v2 (
    id                   INTEGER PRIMARY KEY,
    source               TEXT NOT NULL,
    locator              TEXT NOT NULL,
    origin               TEXT NOT NULL DEFAULT '',
    name                 TEXT NOT NULL,
    specifier            TEXT NOT NULL DEFAULT '',
    pinned               TEXT,
    prereleases          INTEGER NOT NULL DEFAULT 0,
    file                 TEXT NOT NULL DEFAULT '',
    line                 INTEGER NOT NULL DEFAULT 0,
    active               INTEGER NOT NULL DEFAULT 1,
    created_at           INTEGER NOT NULL,
    baseline_done        INTEGER NOT NULL DEFAULT 0,
    validator            TEXT,
    sequence             INTEGER,
    last_poll            INTEGER,
    last_status          TEXT NOT NULL DEFAULT '',
    last_error           TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_due             INTEGER NOT NULL DEFAULT 0,
    summary              TEXT,
    project_urls         TEXT,
    home_page            TEXT,
    metadata_version     TEXT,
    gone_since           INTEGER,
    interval             INTEGER,
    UNIQUE (source, locator)
);
INSERT INTO subscriptions_v2
SELECT id, source,
       (CASE WHEN substr(index_url, -1) = '/' THEN index_url ELSE index_url || '/' END) || name || '/',
       (CASE WHEN substr(index_url, -1) = '/' THEN index_url ELSE index_url || '/' END),
       name, specifier, pinned, prereleases, file, line, active, created_at, baseline_done, etag,
       last_serial, last_poll, last_status, last_error, consecutive_failures, next_due, summary,
       project_urls, home_page, metadata_version, gone_since, interval
FROM subscriptions;
DROP TABLE subscriptions;
ALTER TABLE subscriptions_v2 RENAME TO subscriptions;
ALTER TABLE events RENAME COLUMN index_url TO origin;
ALTER TABLE events ADD COLUMN source TEXT NOT NULL DEFAULT 'pypi';
ALTER TABLE notifiers ADD COLUMN route TEXT NOT NULL DEFAULT '{}';
)sql",
    // 3: what the last check of the pinned version found ("ok:1.0", "yanked:1.0",
    // "missing:1.0"), so a yanked or missing pin is told once, also on a first poll or after the
    // pin changed.
    R"sql(
ALTER TABLE subscriptions ADD COLUMN pin_notice TEXT;
)sql",
    // 4: what is worth telling. Per package: its rules (JSON), the pinned version's advisories
    // as last read (vulnerabilities, on their own interval, with their own ETag), and when a
    // release held by a cooldown may be announced; per release: Requires-Python and whether its
    // announcement is held; per event: the fields only some kinds carry (JSON).
    R"sql(
ALTER TABLE subscriptions ADD COLUMN rules TEXT;
ALTER TABLE subscriptions ADD COLUMN vuln_version TEXT;
ALTER TABLE subscriptions ADD COLUMN vuln_validator TEXT;
ALTER TABLE subscriptions ADD COLUMN vuln_checked INTEGER;
ALTER TABLE subscriptions ADD COLUMN vuln_error TEXT;
ALTER TABLE subscriptions ADD COLUMN advisories TEXT;
ALTER TABLE subscriptions ADD COLUMN held_until INTEGER;
ALTER TABLE releases ADD COLUMN requires_python TEXT;
ALTER TABLE releases ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN extra TEXT;
)sql",
    // 5: what a source keeps between polls (GitHub: repository, ETags, tags, issue counts).
    R"sql(
ALTER TABLE subscriptions ADD COLUMN source_state TEXT;
ALTER TABLE events ADD COLUMN link TEXT;
)sql",
    // 6: when each delivery first fell due (a digest's send time), which max_age counts from;
    // and the notifiers that stopped: gone (410, no_service) until their URL changes, or
    // paused because their credentials were refused. `fingerprint` tells a changed URL without
    // holding it (a keyed hash, never the URL).
    R"sql(
ALTER TABLE outbox ADD COLUMN due_at INTEGER;
CREATE TABLE notifier_stops (
    name        TEXT PRIMARY KEY,
    kind        TEXT NOT NULL, -- gone | auth
    reason      TEXT NOT NULL,
    since       INTEGER NOT NULL,
    fingerprint TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
)sql",
    // 7: no credentials in the state file: locators and origins lose their userinfo and their
    // host's case, merging subscriptions that turn out to be one (strip_credentials, below).
    // Events are pruned by age ([state] keep), so they get an index on their time.
    R"sql(
CREATE INDEX IF NOT EXISTS events_at ON events(at);
)sql",
    // 8: what the index says about the project (PEP 792 project status and its reason), as
    // last read; NULL until a listing is read, so the first sighting is told apart from a change.
    R"sql(
ALTER TABLE subscriptions ADD COLUMN project_status TEXT;
ALTER TABLE subscriptions ADD COLUMN project_status_reason TEXT;
)sql",
    // 9: projects. A subscription is one project's pin of a package: keyed by (source,
    // locator, project), so a package several projects pin is one row each (polled once
    // together). What is there becomes the project "default" (the top-level requirements),
    // ids unchanged, so its releases, events and outbox rows stay its own. `direct`: the
    // project asks for it itself (1), only pulls it in (0), or the files cannot tell (NULL).
    R"sql(
CREATE TABLE subscriptions_v9 (
    id                   INTEGER PRIMARY KEY,
    source               TEXT NOT NULL,
    locator              TEXT NOT NULL,
    project              TEXT NOT NULL DEFAULT 'default',
    origin               TEXT NOT NULL DEFAULT '',
    name                 TEXT NOT NULL,
    specifier            TEXT NOT NULL DEFAULT '',
    pinned               TEXT,
    prereleases          INTEGER NOT NULL DEFAULT 0,
    file                 TEXT NOT NULL DEFAULT '',
    line                 INTEGER NOT NULL DEFAULT 0,
    direct               INTEGER,
    active               INTEGER NOT NULL DEFAULT 1,
    created_at           INTEGER NOT NULL,
    baseline_done        INTEGER NOT NULL DEFAULT 0,
    validator            TEXT,
    sequence             INTEGER,
    last_poll            INTEGER,
    last_status          TEXT NOT NULL DEFAULT '',
    last_error           TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_due             INTEGER NOT NULL DEFAULT 0,
    summary              TEXT,
    project_urls         TEXT,
    home_page            TEXT,
    metadata_version     TEXT,
    gone_since           INTEGER,
    interval             INTEGER,
    pin_notice           TEXT,
    rules                TEXT,
    vuln_version         TEXT,
    vuln_validator       TEXT,
    vuln_checked         INTEGER,
    vuln_error           TEXT,
    advisories           TEXT,
    held_until           INTEGER,
    source_state         TEXT,
    project_status       TEXT,
    project_status_reason TEXT,
    UNIQUE (source, locator, project)
);
INSERT INTO subscriptions_v9 (id, source, locator, project, origin, name, specifier, pinned,
    prereleases, file, line, direct, active, created_at, baseline_done, validator, sequence,
    last_poll, last_status, last_error, consecutive_failures, next_due, summary, project_urls,
    home_page, metadata_version, gone_since, interval, pin_notice, rules, vuln_version,
    vuln_validator, vuln_checked, vuln_error, advisories, held_until, source_state,
    project_status, project_status_reason)
SELECT id, source, locator, 'default', origin, name, specifier, pinned, prereleases, file, line,
    NULL, active, created_at, baseline_done, validator, sequence, last_poll, last_status,
    last_error, consecutive_failures, next_due, summary, project_urls, home_page,
    metadata_version, gone_since, interval, pin_notice, rules, vuln_version, vuln_validator,
    vuln_checked, vuln_error, advisories, held_until, source_state, project_status,
    project_status_reason
FROM subscriptions;
DROP TABLE subscriptions;
ALTER TABLE subscriptions_v9 RENAME TO subscriptions;
)sql",
    // 10: the records of an advisory source (OSV), as served, keyed by id with the time they
    // last changed: a record is fetched again only when a batch answer says it changed.
    R"sql(
CREATE TABLE advisory_records (
    source   TEXT NOT NULL,
    id       TEXT NOT NULL,
    modified TEXT NOT NULL,
    body     TEXT NOT NULL,
    fetched  INTEGER NOT NULL,
    PRIMARY KEY (source, id)
) WITHOUT ROWID;
)sql",
    // 11: requirements files that live elsewhere (https://, github:): the last content read,
    // the validators to ask again with, and how the last fetch went (FetchedFiles). `name`
    // has no password in it (config::remote_file_name).
    R"sql(
CREATE TABLE remote_files (
    name          TEXT PRIMARY KEY,
    content       TEXT,
    etag          TEXT,
    last_modified TEXT,
    fetched_at    INTEGER,
    checked_at    INTEGER,
    outcome       TEXT NOT NULL DEFAULT '',
    error         TEXT
) WITHOUT ROWID;
)sql",
    // 12: what a pin's releases mean, kept beside them (SavedSummary), so a poll answered 304
    // reads one row instead of every release: valid while the subscription's release_generation
    // (moved by every write of its releases) is the one it was worked out from and its inputs
    // (the pin, the specifier, --pre) are the reader's. Existing subscriptions start at
    // generation 0 with no summary: the first reader works it out. And the marker probe's
    // answer per interpreter (python3's path, inode, size and mtime, and uname), so a warm
    // `check --state` does not start python3 again.
    R"sql(
ALTER TABLE subscriptions ADD COLUMN release_generation INTEGER NOT NULL DEFAULT 0;
CREATE TABLE release_summaries (
    subscription_id INTEGER PRIMARY KEY REFERENCES subscriptions(id) ON DELETE CASCADE,
    generation      INTEGER NOT NULL,
    inputs          TEXT NOT NULL,
    body            TEXT NOT NULL,
    uploads         BLOB
);
CREATE TABLE python_probes (
    interpreter TEXT PRIMARY KEY,
    output      TEXT NOT NULL,
    probed_at   INTEGER NOT NULL
) WITHOUT ROWID;
)sql",
};

// 7: a package's identity is its index without userinfo, with a lower-cased host (see
// url_identity). Files written before kept the index URL as configured, password included, in
// every locator and origin. Each is rewritten; subscriptions that now name the same package
// (the password was changed once, or the host's case) become one: the one that is active, has
// a baseline and was polled last stays, and takes over the others' releases it lacks and their
// events (whose outbox rows follow the events).
constexpr int kStripCredentialsVersion = 7;

bool strip_credentials(SQLite::Database& db) {
    bool changed = false;
    struct Row {
        std::int64_t id;
        std::string locator, origin;
        bool active, baseline;
        std::int64_t last_poll;
    };
    std::map<std::pair<std::string, std::string>, std::vector<Row>> groups;
    {
        SQLite::Statement q(db, "SELECT id, source, locator, origin, active, baseline_done, "
                                "COALESCE(last_poll, 0) FROM subscriptions");
        while (q.executeStep()) {
            Row r{q.getColumn(0).getInt64(),    q.getColumn(2).getString(),
                  q.getColumn(3).getString(),   q.getColumn(4).getInt() != 0,
                  q.getColumn(5).getInt() != 0, q.getColumn(6).getInt64()};
            groups[{q.getColumn(1).getString(), url_identity(r.locator)}].push_back(std::move(r));
        }
    }
    SQLite::Statement move_releases(
        db, "INSERT OR IGNORE INTO releases (subscription_id, version, first_seen, upload_time, "
            "yanked, yank_reason, requires_python, held) SELECT ?1, version, first_seen, "
            "upload_time, yanked, yank_reason, requires_python, held FROM releases "
            "WHERE subscription_id = ?2");
    SQLite::Statement move_events(db, "UPDATE events SET subscription_id = ?1 "
                                      "WHERE subscription_id = ?2");
    SQLite::Statement drop_releases(db, "DELETE FROM releases WHERE subscription_id = ?");
    SQLite::Statement drop(db, "DELETE FROM subscriptions WHERE id = ?");
    SQLite::Statement rename(db, "UPDATE subscriptions SET locator = ?, origin = ? WHERE id = ?");
    for (auto& [key, rows] : groups) {
        std::sort(rows.begin(), rows.end(), [](Row const& a, Row const& b) {
            return std::tuple(!a.active, !a.baseline, -a.last_poll, a.id) <
                   std::tuple(!b.active, !b.baseline, -b.last_poll, b.id);
        });
        auto const& keep = rows.front();
        changed = changed || rows.size() > 1;
        for (std::size_t i = 1; i < rows.size(); ++i) {
            for (auto* q : {&move_releases, &move_events}) {
                q->bind(1, keep.id);
                q->bind(2, rows[i].id);
                q->exec();
                q->reset();
            }
            for (auto* q : {&drop_releases, &drop}) {
                q->bind(1, rows[i].id);
                q->exec();
                q->reset();
            }
        }
        auto const origin = url_identity(keep.origin);
        if (key.second == keep.locator && origin == keep.origin) continue;
        changed = true;
        rename.bind(1, key.second);
        rename.bind(2, origin);
        rename.bind(3, keep.id);
        rename.exec();
        rename.reset();
    }
    // Events name their origin for people; they were written without userinfo, but a file
    // edited by hand or by an older build may say otherwise.
    std::vector<std::string> origins;
    {
        SQLite::Statement q(db, "SELECT DISTINCT origin FROM events WHERE origin LIKE '%@%'");
        while (q.executeStep())
            origins.push_back(q.getColumn(0).getString());
    }
    SQLite::Statement fix(db, "UPDATE events SET origin = ? WHERE origin = ?");
    for (auto const& o : origins) {
        fix.bind(1, url_identity(redact_url(o)));
        fix.bind(2, o);
        fix.exec();
        fix.reset();
        changed = true;
    }
    return changed;
}

using sql::bind_opt;
using sql::kEventColumns;
using sql::opt_int;
using sql::opt_text;
using sql::read_event;

std::string rules_to_json(Rules const& r) {
    if (r == Rules{}) return "";
    JsonWriter w;
    w.begin_object().key("update_types").begin_array();
    for (auto t : r.update_types)
        w.string(to_string(t));
    w.end_array().key("pre");
    if (r.pre)
        w.boolean(*r.pre);
    else
        w.null();
    w.field("min_release_age", static_cast<std::int64_t>(r.min_release_age)).key("ignore");
    w.begin_array();
    for (auto const& i : r.ignore)
        w.string(i);
    w.end_array();
    if (r.urgent_only) w.field("urgent_only", true);
    w.end_object();
    return w.take();
}

Rules rules_from_json(std::string const& text) {
    Rules r;
    rapidjson::Document d;
    d.Parse(text.c_str(), text.size());
    if (d.HasParseError() || !d.IsObject()) return r;
    if (auto it = d.FindMember("update_types"); it != d.MemberEnd() && it->value.IsArray())
        for (auto const& v : it->value.GetArray())
            if (v.IsString())
                if (auto t = update_type_from_string(v.GetString())) r.update_types.insert(*t);
    if (auto it = d.FindMember("pre"); it != d.MemberEnd() && it->value.IsBool())
        r.pre = it->value.GetBool();
    if (auto it = d.FindMember("min_release_age"); it != d.MemberEnd() && it->value.IsInt64())
        r.min_release_age = it->value.GetInt64();
    if (auto it = d.FindMember("ignore"); it != d.MemberEnd() && it->value.IsArray())
        for (auto const& v : it->value.GetArray())
            if (v.IsString()) r.ignore.emplace_back(v.GetString());
    if (auto it = d.FindMember("urgent_only"); it != d.MemberEnd() && it->value.IsBool())
        r.urgent_only = it->value.GetBool();
    return r;
}

void write_advisory(JsonWriter& w, Advisory const& a) {
    w.begin_object().field("id", a.id).key("aliases").begin_array();
    for (auto const& x : a.aliases)
        w.string(x);
    w.end_array().field("summary", a.summary).field("link", a.link).key("fixed_in").begin_array();
    for (auto const& x : a.fixed_in)
        w.string(x);
    w.end_array().field("fix_allowed", a.fix_allowed).field("withdrawn", a.withdrawn).end_object();
}

Advisory read_advisory(rapidjson::Value const& o) {
    Advisory a;
    a.id = json::optional_string(o, "id").value_or("");
    a.aliases = json::strings(o, "aliases");
    a.summary = json::optional_string(o, "summary").value_or("");
    a.link = json::optional_string(o, "link").value_or("");
    a.fixed_in = json::strings(o, "fixed_in");
    a.fix_allowed = json::optional_string(o, "fix_allowed");
    a.withdrawn = json::optional_string(o, "withdrawn");
    return a;
}

std::string urls_to_json(std::map<std::string, std::string> const& urls) {
    JsonWriter w;
    w.begin_object();
    for (auto const& [k, v] : urls)
        w.field(k, v);
    w.end_object();
    return w.take();
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

std::string route_to_json(Route const& r) {
    JsonWriter w;
    w.begin_object().key("events").begin_array();
    for (auto k : r.events)
        w.string(to_string(k));
    w.end_array().key("packages").begin_array();
    for (auto const& p : r.packages)
        w.string(p);
    w.end_array().key("update_types").begin_array();
    for (auto t : r.update_types)
        w.string(to_string(t));
    w.end_array().end_object();
    return w.take();
}

Route route_from_json(std::string name, std::string const& text) {
    Route r;
    r.notifier = std::move(name);
    rapidjson::Document d;
    d.Parse(text.c_str(), text.size());
    if (d.HasParseError() || !d.IsObject()) return r;
    auto strings = [&](char const* key, auto&& take) {
        auto it = d.FindMember(key);
        if (it == d.MemberEnd() || !it->value.IsArray()) return;
        for (auto const& v : it->value.GetArray())
            if (v.IsString()) take(std::string_view(v.GetString(), v.GetStringLength()));
    };
    strings("events", [&](std::string_view s) {
        if (auto k = event_kind_from_string(s)) r.events.insert(*k);
    });
    strings("packages", [&](std::string_view s) { r.packages.emplace_back(s); });
    strings("update_types", [&](std::string_view s) {
        if (auto t = update_type_from_string(s)) r.update_types.insert(*t);
    });
    if (auto it = d.FindMember("digest"); it != d.MemberEnd() && it->value.IsString())
        r.digest = parse_digest(it->value.GetString());
    return r;
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
    "id, source, locator, origin, name, specifier, pinned, prereleases, file, line, active, "
    "baseline_done, validator, sequence, last_poll, last_status, last_error, "
    "consecutive_failures, next_due, summary, project_urls, home_page, metadata_version, "
    "gone_since, interval, pin_notice, rules, vuln_version, vuln_validator, vuln_checked, "
    "vuln_error, advisories, held_until, source_state, project_status, project_status_reason, "
    "project, direct, release_generation";

StoredSubscription read_subscription(SQLite::Statement& q, FieldParser& parse) {
    StoredSubscription s;
    s.id = q.getColumn(0).getInt64();
    s.sub.source = q.getColumn(1).getString();
    s.sub.locator = q.getColumn(2).getString();
    s.sub.origin = q.getColumn(3).getString();
    s.sub.name = q.getColumn(4).getString();
    s.sub.specifier = q.getColumn(5).getString();
    s.sub.pinned = opt_text(q.getColumn(6));
    s.sub.prereleases = q.getColumn(7).getInt() != 0;
    s.sub.file = q.getColumn(8).getString();
    s.sub.line = q.getColumn(9).getInt();
    s.active = q.getColumn(10).getInt() != 0;
    s.baseline_done = q.getColumn(11).getInt() != 0;
    s.validator = opt_text(q.getColumn(12));
    s.sequence = opt_int(q.getColumn(13));
    s.last_poll = opt_int(q.getColumn(14));
    s.last_status = poll_status_from_string(q.getColumn(15).getString());
    s.last_error = opt_text(q.getColumn(16));
    s.consecutive_failures = q.getColumn(17).getInt();
    s.next_due = q.getColumn(18).getInt64();
    if (!q.getColumn(19).isNull() || !q.getColumn(20).isNull()) {
        ProjectMetadata m;
        m.summary = q.getColumn(19).getString();
        m.project_urls = urls_from_json(q.getColumn(20).getString());
        m.home_page = q.getColumn(21).getString();
        s.metadata = std::move(m);
    }
    s.metadata_version = opt_text(q.getColumn(22));
    s.gone_since = opt_int(q.getColumn(23));
    s.sub.interval = opt_int(q.getColumn(24));
    s.pin_notice = opt_text(q.getColumn(25));
    if (auto r = opt_text(q.getColumn(26))) s.sub.rules = rules_from_json(*r);
    s.vulns.version = opt_text(q.getColumn(27));
    s.vulns.validator = opt_text(q.getColumn(28));
    s.vulns.checked = opt_int(q.getColumn(29));
    s.vulns.error = opt_text(q.getColumn(30));
    if (auto a = opt_text(q.getColumn(31))) s.vulns.live = sql::advisories_from_json(*a);
    s.held_until = opt_int(q.getColumn(32));
    s.source_state = opt_text(q.getColumn(33));
    if (auto status = opt_text(q.getColumn(34)))
        s.project_status = ProjectStatus{*status, opt_text(q.getColumn(35))};
    s.sub.project = q.getColumn(36).getString();
    if (!q.getColumn(37).isNull()) s.sub.direct = q.getColumn(37).getInt() != 0;
    s.release_generation = q.getColumn(38).getInt64();
    parse(s.sub); // parsed once here (and once per pin however often read), not in every diff
    return s;
}

} // namespace

namespace sql {

std::string advisories_to_json(std::vector<Advisory> const& list) {
    JsonWriter w;
    w.begin_array();
    for (auto const& a : list)
        write_advisory(w, a);
    w.end_array();
    return w.take();
}

std::vector<Advisory> advisories_from_json(std::string const& text) {
    std::vector<Advisory> out;
    rapidjson::Document d;
    d.Parse(text.c_str(), text.size());
    if (d.HasParseError() || !d.IsArray()) return out;
    for (auto const& v : d.GetArray())
        if (v.IsObject()) out.push_back(read_advisory(v));
    return out;
}

std::string event_extra_to_json(Event const& e) {
    if (!e.advisory && e.alternatives.empty() && !e.requires_python && !e.drops_python &&
        !e.python && !e.project_status && !e.previous_status && e.projects.empty())
        return "";
    JsonWriter w;
    w.begin_object();
    if (e.advisory) {
        w.key("advisory");
        write_advisory(w, *e.advisory);
    }
    if (!e.alternatives.empty()) {
        w.key("alternatives").begin_array();
        for (auto const& v : e.alternatives)
            w.string(v);
        w.end_array();
    }
    if (e.requires_python) w.field("requires_python", *e.requires_python);
    if (e.drops_python) w.field("drops_python", *e.drops_python);
    if (e.python) w.field("python", *e.python);
    if (e.project_status)
        w.key("project_status")
            .begin_object()
            .field("status", e.project_status->status)
            .field("reason", e.project_status->reason)
            .end_object();
    if (e.previous_status) w.field("previous_status", *e.previous_status);
    if (!e.projects.empty()) {
        w.key("projects").begin_array();
        for (auto const& p : e.projects) {
            w.begin_object().field("name", p.name).field("pinned", p.pinned);
            w.field("specifier", p.specifier).field("file", p.file).key("direct");
            if (p.direct)
                w.boolean(*p.direct);
            else
                w.null();
            if (p.update) w.field("update", std::string(to_string(*p.update)));
            if (p.allowed) w.field("allowed", *p.allowed);
            w.end_object();
        }
        w.end_array();
    }
    w.end_object();
    return w.take();
}

void event_extra_from_json(std::string const& text, Event& e) {
    if (text.empty()) return;
    rapidjson::Document d;
    d.Parse(text.c_str(), text.size());
    if (d.HasParseError() || !d.IsObject()) return;
    if (auto it = d.FindMember("advisory"); it != d.MemberEnd() && it->value.IsObject())
        e.advisory = read_advisory(it->value);
    e.alternatives = json::strings(d, "alternatives");
    e.requires_python = json::optional_string(d, "requires_python");
    if (auto it = d.FindMember("drops_python"); it != d.MemberEnd() && it->value.IsBool())
        e.drops_python = it->value.GetBool();
    e.python = json::optional_string(d, "python");
    if (auto it = d.FindMember("project_status"); it != d.MemberEnd() && it->value.IsObject())
        e.project_status = ProjectStatus{json::optional_string(it->value, "status").value_or(""),
                                         json::optional_string(it->value, "reason")};
    e.previous_status = json::optional_string(d, "previous_status");
    if (auto it = d.FindMember("projects"); it != d.MemberEnd() && it->value.IsArray())
        for (auto const& v : it->value.GetArray()) {
            if (!v.IsObject()) continue;
            EventProject p;
            p.name = json::optional_string(v, "name").value_or("");
            p.pinned = json::optional_string(v, "pinned");
            p.specifier = json::optional_string(v, "specifier").value_or("");
            p.file = json::optional_string(v, "file").value_or("");
            if (auto d2 = v.FindMember("direct"); d2 != v.MemberEnd() && d2->value.IsBool())
                p.direct = d2->value.GetBool();
            if (auto u = json::optional_string(v, "update")) p.update = update_type_from_string(*u);
            if (auto a = v.FindMember("allowed"); a != v.MemberEnd() && a->value.IsBool())
                p.allowed = a->value.GetBool();
            e.projects.push_back(std::move(p));
        }
}

} // namespace sql

StateStore::StateStore(std::string const& path, Access access) {
    try {
        if (access == Access::read_only) {
            open_read_only(path);
            int const v = schema_version();
            if (v > latest_schema_version())
                throw std::runtime_error("schema version " + std::to_string(v) +
                                         " is newer than this pinwatch understands (" +
                                         std::to_string(latest_schema_version()) +
                                         "); upgrade pinwatch");
            if (v != latest_schema_version())
                throw std::runtime_error(
                    "schema version " + std::to_string(v) + ", this pinwatch reads " +
                    std::to_string(latest_schema_version()) +
                    " (let `pinwatch run` or `pinwatch check --state` migrate it)");
            return;
        }
        // ":memory:" and "" (a temporary store, spilled to an unnamed file) are no one's file.
        bool const file = path != ":memory:" && !path.empty();
        if (file) {
            // Created 0600 whatever the umask: it may hold index URLs and event details. SQLite
            // gives its -wal and -shm files the database file's permissions.
            int const fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
            if (fd >= 0) ::close(fd);
        }
        db_ = std::make_unique<SQLite::Database>(
            path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX);
        db_->setBusyTimeout(5000);
        if (file) {
            // WAL: readers (pinwatch status) never block the daemon's writes. NORMAL sync is
            // durable across application crashes; a power cut may lose the last commit, which
            // the next poll re-derives.
            db_->exec("PRAGMA journal_mode=WAL");
            db_->exec("PRAGMA synchronous=NORMAL");
            // The WAL stays small: checkpointed every 1,000 pages (SQLite's default; 10,000
            // let it reach 40 MB beside a 1.5 MB database and fill a small state folder), and
            // cut back to kWalLimit after each checkpoint instead of keeping its high-water mark.
            db_->exec("PRAGMA wal_autocheckpoint=1000");
            db_->exec("PRAGMA journal_size_limit=" + std::to_string(kWalLimit));
        }
        // What is deleted is overwritten, not left in free pages: a state file once held index
        // passwords (see strip_credentials).
        db_->exec("PRAGMA secure_delete=ON");
        // Migrations rebuild tables; foreign keys stay off while they run (SQLite's documented
        // procedure), or dropping the old table would cascade into releases and events.
        db_->exec("PRAGMA foreign_keys=OFF");
        bool const stripped = migrate();
        db_->exec("PRAGMA foreign_keys=ON");
        if (stripped) {
            // Nothing of the old rows may survive anywhere in the file: free pages, the WAL.
            db_->exec("VACUUM");
            if (path != ":memory:") db_->exec("PRAGMA wal_checkpoint(TRUNCATE)");
        }
    } catch (std::exception const& e) {
        throw std::runtime_error("state file " + path + ": " + e.what());
    }
}

namespace {
// A path as a URI file name: '%', '?' and '#' (and anything not printable) percent-encoded.
std::string file_uri(std::string const& path) {
    std::string out = "file:";
    for (unsigned char c : path) {
        if (c == '%' || c == '?' || c == '#' || c <= ' ' || c >= 0x7f) {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}
} // namespace

void StateStore::open_read_only(std::string const& path) {
    // mode=ro: SQLite never writes the database file. A WAL database still needs its -shm (the
    // WAL index) and creates it when missing; a reader who may not write the folder or an
    // existing -shm (another user's daemon) cannot, so it falls back to immutable=1, which
    // reads the database file alone. query_only refuses any write on this connection.
    int const flags = SQLite::OPEN_READONLY | SQLite::OPEN_URI | SQLite::OPEN_NOMUTEX;
    auto open = [&](bool immutable) {
        db_ = std::make_unique<SQLite::Database>(
            file_uri(path) + (immutable ? "?mode=ro&immutable=1" : "?mode=ro"), flags);
        db_->setBusyTimeout(5000);
        db_->exec("PRAGMA query_only=1");
        (void)schema_version(); // the first read opens the WAL index
    };
    try {
        open(false);
        immutable_ = false;
    } catch (SQLite::Exception const& e) {
        int const code = e.getErrorCode() & 0xff; // the primary code
        if (code != SQLITE_READONLY && code != SQLITE_CANTOPEN) throw;
        statements_.clear();
        db_.reset();
        try {
            open(true);
        } catch (std::exception const&) {
            throw e; // the first error says more
        }
        immutable_ = true;
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
    // tryReset: after a failed step (a full disk) sqlite3_reset repeats that step's error, and a
    // throwing reset() would fail the statement's next, healthy use as well.
    it->second->tryReset();
    it->second->clearBindings();
    return *it->second;
}

int StateStore::latest_schema_version() noexcept {
    return static_cast<int>(std::size(kMigrations));
}

void StateStore::set_query_only(bool on) {
    db_->exec(on ? "PRAGMA query_only = ON" : "PRAGMA query_only = OFF");
}

int StateStore::set_max_page_count(int pages) {
    return db_->execAndGet("PRAGMA max_page_count = " + std::to_string(pages)).getInt();
}

int StateStore::schema_version() const {
    return db_->execAndGet("PRAGMA user_version").getInt();
}

bool StateStore::migrate() {
    // IMMEDIATE: two processes opening a new state file at once (the daemon and `status`)
    // must not both apply a migration; the second waits, then sees it done.
    SQLite::Transaction t(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    int const current = schema_version();
    if (current > latest_schema_version())
        throw std::runtime_error("schema version " + std::to_string(current) +
                                 " is newer than this pinwatch understands (" +
                                 std::to_string(latest_schema_version()) + "); upgrade pinwatch");
    bool stripped = false;
    for (int v = current; v < latest_schema_version(); ++v) {
        db_->exec(kMigrations[v]);
        if (v + 1 == kStripCredentialsVersion) stripped = strip_credentials(*db_);
    }
    if (current != latest_schema_version()) {
        SQLite::Statement check(*db_, "PRAGMA foreign_key_check");
        if (check.executeStep()) throw std::runtime_error("migration left dangling references");
        db_->exec("PRAGMA user_version = " + std::to_string(latest_schema_version()));
    }
    t.commit();
    return stripped;
}

PruneStats StateStore::prune(UnixTime before) {
    // An event goes once every notifier it was queued for is done with it (delivered, failed
    // for good, given up), or when it was queued for none; its outbox rows go with it
    // (ON DELETE CASCADE). Anything still to deliver stays, however old.
    SQLite::Transaction t(*db_);
    PruneStats out;
    auto& rows = statement(R"sql(
DELETE FROM outbox WHERE event_id IN (
    SELECT e.id FROM events e WHERE e.at < ?1 AND NOT EXISTS (
        SELECT 1 FROM outbox o WHERE o.event_id = e.id
                                 AND o.state NOT IN ('delivered', 'failed', 'dead'))))sql");
    rows.bind(1, static_cast<std::int64_t>(before));
    out.outbox_rows = rows.exec();
    auto& events = statement(R"sql(
DELETE FROM events WHERE at < ?1
  AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.event_id = events.id))sql");
    events.bind(1, static_cast<std::int64_t>(before));
    out.events = events.exec();
    t.commit();
    return out;
}

void StateStore::checkpoint() {
    // TRUNCATE: copy the WAL into the database and empty the file, when no reader holds an old
    // snapshot (`status` reading at that moment); otherwise the next checkpoint does it.
    db_->exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

StateSize StateStore::size() const {
    StateSize out;
    auto const pages = db_->execAndGet("PRAGMA page_count").getInt64();
    auto const page = db_->execAndGet("PRAGMA page_size").getInt64();
    out.database = pages * page;
    // The file's own name (the read-only open goes through a URI).
    char const* file = sqlite3_db_filename(db_->getHandle(), "main");
    struct stat st {};
    if (file && *file && ::stat((std::string(file) + "-wal").c_str(), &st) == 0)
        out.wal = st.st_size;
    return out;
}

void StateStore::set_routes(std::vector<Route> const& routes) {
    SQLite::Transaction t(*db_);
    db_->exec("DELETE FROM notifiers");
    auto& ins = statement("INSERT OR REPLACE INTO notifiers (name, route) VALUES (?, ?)");
    for (auto const& r : routes) {
        ins.bind(1, r.notifier);
        ins.bind(2, route_to_json(r));
        ins.exec();
        ins.reset();
    }
    t.commit();
}

std::vector<Route> StateStore::routes() const {
    auto& q = statement("SELECT name, route FROM notifiers ORDER BY name");
    std::vector<Route> out;
    while (q.executeStep())
        out.push_back(route_from_json(q.getColumn(0).getString(), q.getColumn(1).getString()));
    q.reset();
    return out;
}

std::int64_t StateStore::upsert_subscription(Subscription const& s, UnixTime now) {
    auto& q = statement(R"sql(
INSERT INTO subscriptions (source, locator, origin, name, specifier, pinned, prereleases, file,
                           line, active, created_at, next_due, interval, rules, project, direct)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10, ?10, ?11, NULLIF(?12, ''), ?13, ?14)
ON CONFLICT (source, locator, project) DO UPDATE SET
    origin = excluded.origin, name = excluded.name, direct = excluded.direct,
    specifier = excluded.specifier, pinned = excluded.pinned, prereleases = excluded.prereleases,
    file = excluded.file, line = excluded.line, active = 1, interval = excluded.interval,
    rules = excluded.rules,
    -- changed rules judge releases held by a cooldown again at the next poll
    held_until = CASE WHEN subscriptions.held_until IS NOT NULL
                           AND excluded.rules IS NOT subscriptions.rules
                      THEN 0 ELSE subscriptions.held_until END,
    -- coming back, or a changed interval, is due now; otherwise the schedule stands
    next_due = CASE WHEN subscriptions.active = 0 OR excluded.interval IS NOT subscriptions.interval
                    THEN excluded.next_due ELSE subscriptions.next_due END
RETURNING id)sql");
    q.bind(1, s.source);
    q.bind(2, s.locator);
    q.bind(3, s.origin);
    q.bind(4, s.name);
    q.bind(5, s.specifier);
    bind_opt(q, 6, s.pinned);
    q.bind(7, s.prereleases ? 1 : 0);
    q.bind(8, s.file);
    q.bind(9, s.line);
    q.bind(10, static_cast<std::int64_t>(now));
    bind_opt(q, 11, s.interval);
    q.bind(12, rules_to_json(s.rules));
    q.bind(13, s.project);
    if (s.direct)
        q.bind(14, *s.direct ? 1 : 0);
    else
        q.bind(14);
    q.executeStep();
    auto const id = q.getColumn(0).getInt64();
    q.reset();
    return id;
}

std::vector<std::int64_t> StateStore::ensure_subscriptions(std::vector<Subscription> const& subs,
                                                           UnixTime now, Refresh refresh) {
    SQLite::Transaction t(*db_);
    std::vector<std::int64_t> ids;
    ids.reserve(subs.size());
    auto& find =
        statement("SELECT id FROM subscriptions WHERE source = ? AND locator = ? AND project = ?");
    // The requirement only, where it differs (a warm check of an unchanged file writes nothing);
    // the right-hand sides read the row as it was, so `rules` in the CASE is the old rules.
    auto& update = statement(R"sql(
UPDATE subscriptions SET
    origin = ?1, name = ?2, direct = ?3, specifier = ?4, pinned = ?5, prereleases = ?6,
    file = ?7, line = ?8, rules = NULLIF(?9, ''),
    held_until = CASE WHEN held_until IS NOT NULL AND NULLIF(?9, '') IS NOT rules
                      THEN 0 ELSE held_until END
WHERE id = ?10 AND (?11 OR active = 0)
  AND (origin IS NOT ?1 OR name IS NOT ?2 OR direct IS NOT ?3 OR specifier IS NOT ?4
       OR pinned IS NOT ?5 OR prereleases IS NOT ?6 OR file IS NOT ?7 OR line IS NOT ?8
       OR rules IS NOT NULLIF(?9, '')))sql");
    for (auto const& s : subs) {
        find.bind(1, s.source);
        find.bind(2, s.locator);
        find.bind(3, s.project);
        bool const known = find.executeStep();
        std::int64_t const id = known ? find.getColumn(0).getInt64() : 0;
        find.reset();
        find.clearBindings();
        if (!known) {
            ids.push_back(upsert_subscription(s, now));
            continue;
        }
        update.bind(1, s.origin);
        update.bind(2, s.name);
        if (s.direct)
            update.bind(3, *s.direct ? 1 : 0);
        else
            update.bind(3);
        update.bind(4, s.specifier);
        bind_opt(update, 5, s.pinned);
        update.bind(6, s.prereleases ? 1 : 0);
        update.bind(7, s.file);
        update.bind(8, s.line);
        update.bind(9, rules_to_json(s.rules));
        update.bind(10, id);
        update.bind(11, refresh == Refresh::all ? 1 : 0);
        update.exec();
        update.reset();
        update.clearBindings();
        ids.push_back(id);
    }
    t.commit();
    return ids;
}

std::vector<std::int64_t> StateStore::upsert_subscriptions(std::vector<Subscription> const& subs,
                                                           UnixTime now) {
    SQLite::Transaction t(*db_);
    std::vector<std::int64_t> ids;
    ids.reserve(subs.size());
    for (auto const& s : subs)
        ids.push_back(upsert_subscription(s, now));
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
    int const n = db_->exec("UPDATE subscriptions SET active = 0 WHERE active = 1 AND id NOT IN "
                            "(SELECT id FROM keep_ids)");
    t.commit();
    return n;
}

std::vector<StoredSubscription> StateStore::subscriptions(bool active_only) const {
    auto& q =
        statement(std::string("SELECT ") + kSubscriptionColumns + " FROM subscriptions" +
                  (active_only ? " WHERE active = 1" : "") + " ORDER BY name, locator, project");
    std::vector<StoredSubscription> out;
    while (q.executeStep())
        out.push_back(read_subscription(q, parse_));
    q.reset(); // a finished read must not hold its snapshot (it would pin the WAL)
    return out;
}

std::optional<StoredSubscription> StateStore::subscription(std::int64_t id) const {
    auto& q = statement(std::string("SELECT ") + kSubscriptionColumns +
                        " FROM subscriptions WHERE id = ?");
    q.bind(1, id);
    if (!q.executeStep()) return std::nullopt;
    auto s = read_subscription(q, parse_);
    q.reset();
    return s;
}

namespace {
// A release selected as "version, first_seen, upload_time, yanked, yank_reason,
// requires_python, held" from column `first` on.
StoredRelease read_release(SQLite::Statement& q, int first) {
    StoredRelease r;
    r.version = q.getColumn(first + 0).getString();
    r.first_seen = q.getColumn(first + 1).getInt64();
    r.upload_time = opt_int(q.getColumn(first + 2));
    r.yanked = q.getColumn(first + 3).getInt() != 0;
    r.yank_reason = opt_text(q.getColumn(first + 4));
    r.requires_python = opt_text(q.getColumn(first + 5));
    r.held = q.getColumn(first + 6).getInt() != 0;
    return r;
}
} // namespace

std::vector<StoredRelease> StateStore::release_list(std::int64_t subscription_id) const {
    auto& q = statement("SELECT version, first_seen, upload_time, yanked, yank_reason, "
                        "requires_python, held FROM releases WHERE subscription_id = ?");
    q.bind(1, subscription_id);
    std::vector<StoredRelease> out;
    while (q.executeStep())
        out.push_back(read_release(q, 0));
    q.reset();
    return out;
}

std::map<std::int64_t, std::vector<StoredRelease>>
StateStore::all_releases(bool active_only) const {
    auto& q = statement(active_only
                            ? "SELECT r.subscription_id, r.version, r.first_seen, r.upload_time, "
                              "r.yanked, r.yank_reason, r.requires_python, r.held FROM releases r "
                              "JOIN subscriptions s ON s.id = r.subscription_id WHERE s.active = 1"
                            : "SELECT subscription_id, version, first_seen, upload_time, yanked, "
                              "yank_reason, requires_python, held FROM releases");
    std::map<std::int64_t, std::vector<StoredRelease>> out;
    while (q.executeStep())
        out[q.getColumn(0).getInt64()].push_back(read_release(q, 1));
    q.reset();
    return out;
}

std::vector<std::pair<std::string, std::string>>
StateStore::source_states_elsewhere(std::string const& name, std::int64_t except) const {
    // Other sources' only: another project's subscription of the same source is this one's
    // twin, not news from elsewhere.
    auto& q = statement("SELECT source, source_state FROM subscriptions "
                        "WHERE name = ?1 AND id != ?2 AND source_state IS NOT NULL AND source != "
                        "(SELECT source FROM subscriptions WHERE id = ?2)");
    q.bind(1, name);
    q.bind(2, except);
    std::vector<std::pair<std::string, std::string>> out;
    while (q.executeStep())
        out.emplace_back(q.getColumn(0).getString(), q.getColumn(1).getString());
    q.reset();
    return out;
}

std::vector<std::string> StateStore::versions_elsewhere(std::string const& name,
                                                        std::int64_t except) const {
    auto& q = statement("SELECT DISTINCT r.version FROM releases r JOIN subscriptions s "
                        "ON s.id = r.subscription_id WHERE s.name = ?1 AND s.id != ?2 AND "
                        "s.source != (SELECT source FROM subscriptions WHERE id = ?2)");
    q.bind(1, name);
    q.bind(2, except);
    std::vector<std::string> out;
    while (q.executeStep())
        out.push_back(q.getColumn(0).getString());
    q.reset();
    return out;
}

std::map<std::string, StoredRelease> StateStore::releases(std::int64_t subscription_id) const {
    std::map<std::string, StoredRelease> out;
    for (auto& r : release_list(subscription_id)) {
        auto key = r.version;
        out.emplace(std::move(key), std::move(r));
    }
    return out;
}

void StateStore::insert_event(Event const& e0, std::optional<std::int64_t> subscription_id,
                              std::vector<OutboxTarget> const& targets) {
    auto& ev = statement(R"sql(
INSERT INTO events (id, seq, subscription_id, kind, source, package, origin, version, update_type,
                    allowed, pinned, specifier, detail, at, extra, link)
VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM events), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,
        ?11, ?12, ?13, NULLIF(?14, ''), ?15))sql");
    std::string const id = e0.id.empty() ? new_event_id() : e0.id;
    ev.bind(1, id);
    bind_opt(ev, 2, subscription_id);
    ev.bind(3, to_string(e0.kind));
    ev.bind(4, e0.source);
    ev.bind(5, e0.package);
    ev.bind(6, e0.origin);
    bind_opt(ev, 7, e0.version);
    if (e0.update)
        ev.bind(8, to_string(*e0.update));
    else
        ev.bind(8);
    if (e0.allowed)
        ev.bind(9, *e0.allowed ? 1 : 0);
    else
        ev.bind(9);
    bind_opt(ev, 10, e0.pinned);
    ev.bind(11, e0.specifier);
    ev.bind(12, e0.detail);
    ev.bind(13, static_cast<std::int64_t>(e0.at));
    ev.bind(14, sql::event_extra_to_json(e0));
    bind_opt(ev, 15, e0.link);
    ev.exec();
    auto& ob =
        statement("INSERT OR IGNORE INTO outbox (event_id, notifier, next_attempt_at, due_at) "
                  "VALUES (?1, ?2, ?3, ?3)");
    for (auto const& target : targets) {
        ob.bind(1, id);
        ob.bind(2, target.notifier);
        ob.bind(3, static_cast<std::int64_t>(target.due));
        ob.exec();
        ob.reset();
    }
}

void StateStore::add_event(Event const& event, std::vector<OutboxTarget> const& targets) {
    SQLite::Transaction t(*db_);
    insert_event(event, std::nullopt, targets);
    t.commit();
}

std::optional<AdvisoryRecord> StateStore::advisory_record(std::string const& source,
                                                          std::string const& id) const {
    auto& q = statement("SELECT modified, body FROM advisory_records WHERE source = ? AND id = ?");
    q.bind(1, source);
    q.bind(2, id);
    if (!q.executeStep()) return std::nullopt;
    return AdvisoryRecord{id, q.getColumn(0).getString(), q.getColumn(1).getString()};
}

std::size_t StateStore::advisory_record_count(std::string const& source) const {
    auto& q = statement("SELECT COUNT(*) FROM advisory_records WHERE source = ?");
    q.bind(1, source);
    q.executeStep();
    return static_cast<std::size_t>(q.getColumn(0).getInt64());
}

void StateStore::apply_advisories(std::string const& source,
                                  std::vector<AdvisoryRecord> const& records,
                                  std::vector<AdvisoryUpdate> const& updates, UnixTime now) {
    SQLite::Transaction t(*db_);
    for (auto const& r : records) {
        auto& q = statement(R"sql(
INSERT INTO advisory_records (source, id, modified, body, fetched) VALUES (?1, ?2, ?3, ?4, ?5)
ON CONFLICT (source, id) DO UPDATE SET modified = ?3, body = ?4, fetched = ?5)sql");
        q.bind(1, source);
        q.bind(2, r.id);
        q.bind(3, r.modified);
        q.bind(4, r.body);
        q.bind(5, static_cast<std::int64_t>(now));
        q.exec();
    }
    for (auto const& u : updates) {
        auto& q = statement("UPDATE subscriptions SET vuln_version = ?, vuln_validator = ?, "
                            "vuln_checked = ?, vuln_error = ?, advisories = ? WHERE id = ?");
        bind_opt(q, 1, u.vulns.version);
        bind_opt(q, 2, u.vulns.validator);
        bind_opt(q, 3, u.vulns.checked);
        bind_opt(q, 4, u.vulns.error);
        q.bind(5, sql::advisories_to_json(u.vulns.live));
        q.bind(6, u.subscription_id);
        q.exec();
        for (std::size_t i = 0; i < u.events.size(); ++i)
            insert_event(u.events[i], u.subscription_id,
                         i < u.recipients.size() ? u.recipients[i] : std::vector<OutboxTarget>{});
    }
    t.commit();
}

void StateStore::apply_all(std::vector<StateUpdate> const& updates) {
    if (updates.empty()) return;
    SQLite::Transaction t(*db_);
    for (auto const& u : updates)
        write(u);
    t.commit();
}

void StateStore::apply(StateUpdate const& u) {
    SQLite::Transaction t(*db_);
    write(u);
    t.commit();
}

void StateStore::write(StateUpdate const& u) {
    write_poll(u);
    write_readings(u);
    bool const moved = !u.upserts.empty() || !u.removed.empty() || !u.released.empty();
    write_releases(u);
    // The summary was worked out from the releases of its generation with this update applied:
    // it is kept when they were at that generation until this write moved them.
    if (u.summary)
        write_summary(u.subscription_id, *u.summary, u.summary->generation + (moved ? 1 : 0));
    for (std::size_t i = 0; i < u.events.size(); ++i)
        insert_event(u.events[i], u.subscription_id,
                     i < u.recipients.size() ? u.recipients[i] : std::vector<OutboxTarget>{});
}

// The poll itself: when, how it went, the validators, the schedule, the pin's notice.
void StateStore::write_poll(StateUpdate const& u) {
    auto& sub = statement(R"sql(
UPDATE subscriptions SET
    last_poll = ?2, last_status = ?3, last_error = ?4,
    validator = CASE WHEN ?5 THEN NULL WHEN ?6 IS NOT NULL THEN ?6 ELSE validator END,
    sequence = COALESCE(?7, sequence),
    baseline_done = ?8, consecutive_failures = ?9, next_due = ?10,
    gone_since = CASE ?11 WHEN 1 THEN COALESCE(gone_since, ?2) WHEN 2 THEN NULL ELSE gone_since END,
    pin_notice = CASE WHEN ?12 THEN ?13 ELSE pin_notice END,
    held_until = CASE WHEN ?14 THEN ?15 ELSE held_until END
WHERE id = ?1)sql");
    sub.bind(1, u.subscription_id);
    sub.bind(2, static_cast<std::int64_t>(u.now));
    sub.bind(3, to_string(u.status));
    bind_opt(sub, 4, u.error);
    sub.bind(5, u.clear_validator ? 1 : 0);
    bind_opt(sub, 6, u.validator);
    bind_opt(sub, 7, u.sequence);
    sub.bind(8, u.baseline_done ? 1 : 0);
    sub.bind(9, u.consecutive_failures);
    sub.bind(10, static_cast<std::int64_t>(u.next_due));
    sub.bind(11, static_cast<int>(u.gone));
    sub.bind(12, u.pin_notice ? 1 : 0);
    bind_opt(sub, 13, u.pin_notice);
    sub.bind(14, u.set_held_until ? 1 : 0);
    bind_opt(sub, 15, u.held_until);
    sub.exec();
}

// What the poll read beside the listing: advisories, the project's status, the source's own
// memory, the project's metadata. Each replaces the stored one when the update carries it.
void StateStore::write_readings(StateUpdate const& u) {
    if (u.vulns) {
        auto& q = statement("UPDATE subscriptions SET vuln_version = ?, vuln_validator = ?, "
                            "vuln_checked = ?, vuln_error = ?, advisories = ? WHERE id = ?");
        bind_opt(q, 1, u.vulns->version);
        bind_opt(q, 2, u.vulns->validator);
        bind_opt(q, 3, u.vulns->checked);
        bind_opt(q, 4, u.vulns->error);
        q.bind(5, sql::advisories_to_json(u.vulns->live));
        q.bind(6, u.subscription_id);
        q.exec();
    }
    if (u.project_status) {
        auto& q = statement("UPDATE subscriptions SET project_status = ?, "
                            "project_status_reason = ? WHERE id = ?");
        q.bind(1, u.project_status->status);
        bind_opt(q, 2, u.project_status->reason);
        q.bind(3, u.subscription_id);
        q.exec();
    }
    if (u.source_state) {
        auto& q = statement("UPDATE subscriptions SET source_state = ? WHERE id = ?");
        q.bind(1, *u.source_state);
        q.bind(2, u.subscription_id);
        q.exec();
    }
    if (u.metadata) {
        auto& q =
            statement("UPDATE subscriptions SET summary = ?, project_urls = ?, home_page = ?, "
                      "metadata_version = ? WHERE id = ?");
        q.bind(1, u.metadata->summary);
        q.bind(2, urls_to_json(u.metadata->project_urls));
        q.bind(3, u.metadata->home_page);
        bind_opt(q, 4, u.metadata_version);
        q.bind(5, u.subscription_id);
        q.exec();
    }
}

// The releases: new or changed ones, those no longer listed, those a hold released. Any of
// them moves the subscription's release_generation, which retires its saved summary.
void StateStore::write_releases(StateUpdate const& u) {
    if (u.upserts.empty() && u.removed.empty() && u.released.empty()) return;
    // A cache of what releases mean (the dashboard's) must not outlive a change to them; a
    // write that then fails costs it only a recomputation.
    ++release_writes_[u.subscription_id];
    auto& moved = statement(
        "UPDATE subscriptions SET release_generation = release_generation + 1 WHERE id = ?");
    moved.bind(1, u.subscription_id);
    moved.exec();
    auto& rel = statement(R"sql(
INSERT INTO releases (subscription_id, version, first_seen, upload_time, yanked, yank_reason,
                      requires_python, held)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
ON CONFLICT (subscription_id, version) DO UPDATE SET
    upload_time = excluded.upload_time, yanked = excluded.yanked, yank_reason = excluded.yank_reason,
    requires_python = excluded.requires_python, held = excluded.held)sql");
    for (auto const& r : u.upserts) {
        rel.bind(1, u.subscription_id);
        rel.bind(2, r.version);
        rel.bind(3, static_cast<std::int64_t>(r.first_seen));
        bind_opt(rel, 4, r.upload_time);
        rel.bind(5, r.yanked ? 1 : 0);
        bind_opt(rel, 6, r.yank_reason);
        bind_opt(rel, 7, r.requires_python);
        rel.bind(8, r.held ? 1 : 0);
        rel.exec();
        rel.reset();
    }
    auto const each_version = [&](char const* sql, std::vector<std::string> const& versions) {
        if (versions.empty()) return;
        auto& q = statement(sql);
        for (auto const& v : versions) {
            q.bind(1, u.subscription_id);
            q.bind(2, v);
            q.exec();
            q.reset();
        }
    };
    each_version("DELETE FROM releases WHERE subscription_id = ? AND version = ?", u.removed);
    each_version("UPDATE releases SET held = 0 WHERE subscription_id = ? AND version = ?",
                 u.released);
}

namespace {
// Upload times as a blob of little-endian 64-bit integers (the same on every machine).
std::vector<unsigned char> uploads_blob(std::vector<UnixTime> const& uploads) {
    std::vector<unsigned char> out;
    out.reserve(uploads.size() * 8);
    for (auto t : uploads) {
        auto const u = static_cast<std::uint64_t>(t);
        for (int b = 0; b < 8; ++b)
            out.push_back(static_cast<unsigned char>(u >> (8 * b)));
    }
    return out;
}

std::vector<UnixTime> uploads_from_blob(SQLite::Column const& c) {
    std::vector<UnixTime> out;
    if (c.isNull()) return out;
    auto const* p = static_cast<unsigned char const*>(c.getBlob());
    auto const n = static_cast<std::size_t>(c.getBytes()) / 8;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        std::uint64_t u = 0;
        for (int b = 0; b < 8; ++b)
            u |= static_cast<std::uint64_t>(p[i * 8 + b]) << (8 * b);
        out.push_back(static_cast<UnixTime>(u));
    }
    return out;
}
} // namespace

// Kept only while the subscription's releases are at `expected_generation`: a summary worked
// out from releases someone else has written since would describe releases that are gone.
void StateStore::write_summary(std::int64_t subscription_id, SavedSummary const& summary,
                               std::int64_t expected_generation) {
    auto& q = statement(R"sql(
INSERT INTO release_summaries (subscription_id, generation, inputs, body, uploads)
SELECT id, release_generation, ?3, ?4, ?5 FROM subscriptions
WHERE id = ?1 AND release_generation = ?2
ON CONFLICT (subscription_id) DO UPDATE SET
    generation = excluded.generation, inputs = excluded.inputs, body = excluded.body,
    uploads = excluded.uploads)sql");
    q.bind(1, subscription_id);
    q.bind(2, expected_generation);
    q.bind(3, summary.inputs);
    q.bind(4, summary.body);
    auto const blob = uploads_blob(summary.uploads);
    q.bind(5, blob.data(), static_cast<int>(blob.size()));
    q.exec();
}

void StateStore::save_summaries(
    std::vector<std::pair<std::int64_t, SavedSummary>> const& summaries) {
    if (summaries.empty()) return;
    SQLite::Transaction t(*db_);
    for (auto const& [id, summary] : summaries)
        write_summary(id, summary, summary.generation);
    t.commit();
}

std::optional<SavedSummary> StateStore::current_summary(std::int64_t subscription_id,
                                                        bool with_uploads) const {
    // Without the upload times, their column is not even read (`check` has no use for them).
    auto& q = statement(std::string("SELECT m.generation, m.inputs, m.body") +
                        (with_uploads ? ", m.uploads" : "") +
                        " FROM release_summaries m JOIN subscriptions s ON s.id = "
                        "m.subscription_id WHERE m.subscription_id = ? AND m.generation = "
                        "s.release_generation");
    q.bind(1, subscription_id);
    if (!q.executeStep()) return std::nullopt;
    SavedSummary out{
        q.getColumn(0).getInt64(), q.getColumn(1).getString(), q.getColumn(2).getString(), {}};
    if (with_uploads) out.uploads = uploads_from_blob(q.getColumn(3));
    q.reset();
    return out;
}

std::optional<PollReport> StateStore::poll_report(std::int64_t subscription_id) const {
    auto& q = statement(R"sql(
SELECT s.last_status, s.last_error, s.vuln_version, s.vuln_validator, s.vuln_checked,
       s.vuln_error, s.advisories, s.project_status, s.project_status_reason,
       s.release_generation, m.generation, m.inputs, m.body
FROM subscriptions s LEFT JOIN release_summaries m
  ON m.subscription_id = s.id AND m.generation = s.release_generation
WHERE s.id = ?)sql");
    q.bind(1, subscription_id);
    if (!q.executeStep()) return std::nullopt;
    PollReport r;
    r.last_status = poll_status_from_string(q.getColumn(0).getString());
    r.last_error = opt_text(q.getColumn(1));
    r.vulns.version = opt_text(q.getColumn(2));
    r.vulns.validator = opt_text(q.getColumn(3));
    r.vulns.checked = opt_int(q.getColumn(4));
    r.vulns.error = opt_text(q.getColumn(5));
    if (auto a = opt_text(q.getColumn(6))) r.vulns.live = sql::advisories_from_json(*a);
    if (auto status = opt_text(q.getColumn(7)))
        r.project_status = ProjectStatus{*status, opt_text(q.getColumn(8))};
    r.release_generation = q.getColumn(9).getInt64();
    if (!q.getColumn(10).isNull())
        r.summary = SavedSummary{q.getColumn(10).getInt64(),
                                 q.getColumn(11).getString(),
                                 q.getColumn(12).getString(),
                                 {}};
    q.reset();
    return r;
}

std::map<std::int64_t, SavedSummary> StateStore::current_summaries(bool active_only) const {
    auto& q = statement(std::string("SELECT m.subscription_id, m.generation, m.inputs, m.body, "
                                    "m.uploads FROM release_summaries m JOIN subscriptions s "
                                    "ON s.id = m.subscription_id "
                                    "WHERE m.generation = s.release_generation") +
                        (active_only ? " AND s.active = 1" : ""));
    std::map<std::int64_t, SavedSummary> out;
    while (q.executeStep())
        out.emplace(q.getColumn(0).getInt64(),
                    SavedSummary{q.getColumn(1).getInt64(), q.getColumn(2).getString(),
                                 q.getColumn(3).getString(), uploads_from_blob(q.getColumn(4))});
    q.reset();
    return out;
}

std::optional<std::string> StateStore::python_probe(std::string const& interpreter) const {
    auto& q = statement("SELECT output FROM python_probes WHERE interpreter = ?");
    q.bind(1, interpreter);
    if (!q.executeStep()) return std::nullopt;
    auto out = q.getColumn(0).getString();
    q.reset();
    return out;
}

void StateStore::save_python_probe(std::string const& interpreter, std::string const& output,
                                   UnixTime now) {
    auto& q = statement("INSERT INTO python_probes (interpreter, output, probed_at) "
                        "VALUES (?1, ?2, ?3) ON CONFLICT (interpreter) DO UPDATE SET "
                        "output = excluded.output, probed_at = excluded.probed_at");
    q.bind(1, interpreter);
    q.bind(2, output);
    q.bind(3, static_cast<std::int64_t>(now));
    q.exec();
}

std::vector<Event> StateStore::events(std::int64_t limit) const {
    auto& q = statement(std::string("SELECT ") + kEventColumns +
                        " FROM events ORDER BY seq DESC LIMIT ?");
    q.bind(1, limit);
    std::vector<Event> out;
    while (q.executeStep())
        out.push_back(read_event(q, 0));
    q.reset();
    return out;
}

std::uint64_t StateStore::release_writes(std::int64_t subscription_id) const {
    auto const it = release_writes_.find(subscription_id);
    return it == release_writes_.end() ? 0 : it->second;
}

std::int64_t StateStore::data_version() const {
    return db_->execAndGet("PRAGMA data_version").getInt64();
}

std::map<std::int64_t, Event> StateStore::last_events() const {
    auto& q = statement(std::string("SELECT subscription_id, ") + kEventColumns +
                        " FROM events WHERE seq IN (SELECT MAX(seq) FROM events "
                        "WHERE subscription_id IS NOT NULL GROUP BY subscription_id)");
    std::map<std::int64_t, Event> out;
    while (q.executeStep())
        out[q.getColumn(0).getInt64()] = read_event(q, 1);
    q.reset();
    return out;
}

std::vector<EventDeliveries> StateStore::package_events(std::string const& name,
                                                        std::int64_t limit) const {
    auto& q = statement(std::string("SELECT ") + kEventColumns +
                        " FROM events WHERE package = ? ORDER BY seq DESC LIMIT ?");
    q.bind(1, name);
    q.bind(2, limit);
    std::vector<EventDeliveries> out;
    while (q.executeStep())
        out.push_back({read_event(q, 0), {}});
    q.reset();
    auto& d = statement("SELECT notifier, state, attempts, delivered_at, last_error FROM outbox "
                        "WHERE event_id = ? ORDER BY notifier");
    for (auto& e : out) {
        d.bind(1, e.event.id);
        while (d.executeStep())
            e.deliveries.push_back({d.getColumn(0).getString(), d.getColumn(1).getString(),
                                    d.getColumn(2).getInt(), opt_int(d.getColumn(3)),
                                    opt_text(d.getColumn(4))});
        d.reset();
    }
    return out;
}

} // namespace pinwatch::watcher
