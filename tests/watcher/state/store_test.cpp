#define BOOST_TEST_MODULE state_store
#include <boost/test/unit_test.hpp>

#include "watcher/sources/pypi/pypi.hpp"
#include "watcher/state/outbox.hpp"
#include "watcher/state/store.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <unistd.h>

using namespace pinwatch::watcher;
namespace fs = std::filesystem;

namespace {
struct TempDir {
    fs::path path;
    TempDir() {
        path = fs::temp_directory_path() / ("pinwatch-state-" + std::to_string(::getpid()) + "-" +
                                            std::to_string(reinterpret_cast<std::uintptr_t>(this)));
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
};
Subscription sub(std::string name) {
    Subscription s = pypi_subscription("https://pypi.org/simple/", name);
    s.specifier = "==1.0";
    s.pinned = "1.0";
    s.file = "requirements.txt";
    s.line = 3;
    return s;
}
Event event(EventKind k, std::string version) {
    Event e;
    e.kind = k;
    e.package = "demo";
    e.origin = "https://pypi.org/simple/";
    e.version = std::move(version);
    e.update = UpdateType::minor;
    e.allowed = false;
    e.at = 50;
    return e;
}
} // namespace

BOOST_AUTO_TEST_CASE(migrates_to_the_latest_schema_in_wal_mode) {
    TempDir dir;
    auto const path = (dir.path / "state.db").string();
    {
        StateStore store(path);
        BOOST_TEST(store.schema_version() == StateStore::latest_schema_version());
    }
    SQLite::Database db(path);
    BOOST_TEST(db.execAndGet("PRAGMA journal_mode").getString() == "wal");
    StateStore again(path); // reopening is a no-op migration
    BOOST_TEST(again.schema_version() == StateStore::latest_schema_version());
}

BOOST_AUTO_TEST_CASE(refuses_a_newer_schema) {
    TempDir dir;
    auto const path = (dir.path / "state.db").string();
    {
        SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        db.exec("PRAGMA user_version = 999");
    }
    BOOST_CHECK_EXCEPTION(StateStore{path}, std::runtime_error, [&](std::runtime_error const& e) {
        return std::string(e.what()).find(path) != std::string::npos &&
               std::string(e.what()).find("999") != std::string::npos;
    });
}

BOOST_AUTO_TEST_CASE(subscriptions_upsert_and_deactivate_keep_history) {
    StateStore store(":memory:");
    auto const a = store.upsert_subscription(sub("a"), 10);
    auto const b = store.upsert_subscription(sub("b"), 10);
    BOOST_TEST(a != b);
    auto changed = sub("a");
    changed.specifier = ">=2";
    changed.pinned.reset();
    BOOST_TEST(store.upsert_subscription(changed, 20) == a);
    auto s = store.subscription(a);
    BOOST_TEST(s->sub.specifier == ">=2");
    BOOST_TEST(!s->sub.pinned.has_value());
    BOOST_TEST(s->next_due == 10); // an active subscription keeps its schedule

    StateUpdate u;
    u.subscription_id = b;
    u.now = 30;
    u.status = PollStatus::ok;
    u.baseline_done = true;
    u.upserts = {StoredRelease{"1.0", 30, 5, false, std::nullopt}};
    store.apply(u);

    BOOST_TEST(store.deactivate_others({a}) == 1);
    BOOST_TEST(store.subscriptions().size() == 1u);
    BOOST_TEST(store.subscriptions(false).size() == 2u);
    BOOST_TEST(store.upsert_subscription(sub("b"), 40) == b); // back again
    BOOST_TEST(store.releases(b).size() == 1u);
    BOOST_TEST(store.subscription(b)->baseline_done);
}

// `check --state`: a known subscription is given the requirement the files say now, its
// schedule, interval and activity kept (changed rules judge held releases again); on a
// daemon's file, only one the daemon no longer watches is.
BOOST_AUTO_TEST_CASE(ensure_gives_a_known_subscription_the_files_requirement) {
    StateStore store(":memory:");
    auto daemons = sub("a");
    daemons.interval = 600;
    auto const a = store.upsert_subscription(daemons, 10);
    auto const b = store.upsert_subscription(sub("b"), 10);
    auto const hold = [&](UnixTime until) {
        StateUpdate u;
        u.subscription_id = a;
        u.now = 20;
        u.status = PollStatus::ok;
        u.baseline_done = true;
        u.next_due = 500;
        u.set_held_until = true;
        u.held_until = until;
        store.apply(u);
    };
    hold(900);
    BOOST_TEST(store.deactivate_others({a}) == 1); // b is no longer watched

    auto edited = sub("a");
    edited.specifier = "==2.0";
    edited.pinned = "2.0";
    edited.file = "other.txt";
    edited.line = 7;
    edited.rules.min_release_age = 86400;
    auto edited_b = sub("b");
    edited_b.specifier = ">=3";
    edited_b.pinned.reset();
    std::vector<std::int64_t> const ids = {a, b};
    // A daemon's file: what it watches keeps its requirement; what it dropped takes the file's.
    BOOST_TEST(store.ensure_subscriptions({edited, edited_b}, 30, StateStore::Refresh::inactive) ==
               ids);
    BOOST_TEST(store.subscription(a)->sub.specifier == "==1.0");
    BOOST_TEST((store.subscription(a)->held_until == 900));
    BOOST_TEST(store.subscription(b)->sub.specifier == ">=3");
    BOOST_TEST(!store.subscription(b)->sub.pinned);

    // The check's own file: every one takes the file's.
    BOOST_TEST(store.ensure_subscriptions({edited, edited_b}, 40) == ids);
    auto const s = store.subscription(a);
    BOOST_TEST(s->sub.specifier == "==2.0");
    BOOST_TEST((s->sub.pinned == "2.0"));
    BOOST_TEST(s->sub.file == "other.txt");
    BOOST_TEST(s->sub.line == 7);
    BOOST_TEST(s->sub.rules.min_release_age == 86400);
    BOOST_TEST((s->held_until == 0)); // the new rules judge held releases at the next poll
    BOOST_TEST(s->next_due == 500);   // the schedule, interval and activity stay
    BOOST_TEST((s->sub.interval == 600));
    BOOST_TEST(s->active);
    BOOST_TEST(!store.subscription(b)->active);
    // The same requirement again writes nothing (held_until stands).
    hold(950);
    BOOST_TEST(store.ensure_subscriptions({edited}, 50).front() == a);
    BOOST_TEST((store.subscription(a)->held_until == 950));
}

BOOST_AUTO_TEST_CASE(apply_writes_releases_status_events_and_outbox_together) {
    StateStore store(":memory:");
    Outbox outbox(store);
    auto const id = store.upsert_subscription(sub("demo"), 1);
    StateUpdate u;
    u.subscription_id = id;
    u.now = 100;
    u.status = PollStatus::ok;
    u.validator = "\"v1\"";
    u.sequence = 9;
    u.baseline_done = true;
    u.next_due = 400;
    u.upserts = {StoredRelease{"1.0", 100, 90, false, std::nullopt},
                 StoredRelease{"1.1", 100, 95, true, std::string("bad")}};
    u.events = {event(EventKind::new_release, "1.1")};
    u.recipients = {{{"console", 100}, {"slack", 100}}};
    store.apply(u);

    auto s = store.subscription(id);
    BOOST_TEST(s->validator.value() == "\"v1\"");
    BOOST_TEST(s->sequence.value() == 9);
    BOOST_TEST(s->next_due == 400);
    BOOST_TEST(s->last_status == PollStatus::ok);
    auto rel = store.releases(id);
    BOOST_TEST(rel.at("1.1").yanked);
    BOOST_TEST(rel.at("1.1").yank_reason.value() == "bad");
    BOOST_TEST(rel.at("1.0").upload_time.value() == 90);

    auto ev = store.events();
    BOOST_REQUIRE(ev.size() == 1u);
    BOOST_TEST(ev[0].id.rfind("evt_", 0) == 0u);
    BOOST_TEST(ev[0].version.value() == "1.1");
    BOOST_TEST(to_string(*ev[0].update) == std::string("minor"));
    BOOST_TEST(ev[0].allowed.value() == false);

    auto pending = outbox.pending("console", 100);
    BOOST_REQUIRE(pending.size() == 1u);
    BOOST_TEST(pending[0].event.id == ev[0].id);
    BOOST_TEST(outbox.pending("slack", 100).size() == 1u);
    BOOST_TEST(outbox.counts().pending == 2);

    outbox.mark_delivered(pending[0].id, 101);
    BOOST_TEST(outbox.pending("console", 200).empty());
    auto slack = outbox.pending("slack", 100);
    outbox.mark_failed(slack[0].id, "http 503", 160, 100);
    BOOST_TEST(outbox.pending("slack", 150).empty()); // not before its retry time
    BOOST_REQUIRE(outbox.pending("slack", 160).size() == 1u);
    BOOST_TEST(outbox.pending("slack", 160)[0].attempts == 1);
    outbox.mark_failed(slack[0].id, "http 404", std::nullopt, 170);
    BOOST_TEST(outbox.pending("slack", 1000).empty());
    auto counts = outbox.counts();
    BOOST_TEST(counts.delivered == 1);
    BOOST_TEST(counts.failed == 1);

    // Clearing the validator and removing a release.
    StateUpdate clear;
    clear.subscription_id = id;
    clear.now = 500;
    clear.status = PollStatus::ok;
    clear.clear_validator = true;
    clear.baseline_done = true;
    clear.removed = {"1.0"};
    store.apply(clear);
    BOOST_TEST(!store.subscription(id)->validator.has_value());
    BOOST_TEST(store.releases(id).size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_failed_transaction_leaves_nothing_behind) {
    StateStore store(":memory:");
    Outbox outbox(store);
    auto const id = store.upsert_subscription(sub("demo"), 1);
    StateUpdate u;
    u.subscription_id = id;
    u.now = 100;
    u.status = PollStatus::ok;
    u.baseline_done = true;
    u.upserts = {StoredRelease{"1.0", 100, std::nullopt, false, std::nullopt}};
    auto e = event(EventKind::new_release, "1.0");
    e.id = "evt_fixed";
    u.recipients = {{{"console", 100}}, {{"console", 100}}};
    u.events = {e, e}; // duplicate id: the second insert fails, the whole update must roll back
    BOOST_CHECK_THROW(store.apply(u), std::exception);
    BOOST_TEST(store.releases(id).empty());
    BOOST_TEST(store.events().empty());
    BOOST_TEST(outbox.counts().pending == 0);
    BOOST_TEST(!store.subscription(id)->baseline_done);
}

BOOST_AUTO_TEST_CASE(metadata_round_trip) {
    StateStore store(":memory:");
    auto const id = store.upsert_subscription(sub("demo"), 1);
    ProjectMetadata m;
    m.summary = "A demo";
    m.project_urls = {{"Source", "https://github.com/o/r"}, {"Quote\"d", "x"}};
    StateUpdate u;
    u.subscription_id = id;
    u.status = PollStatus::ok;
    u.metadata = m;
    u.metadata_version = "1.0";
    store.apply(u);
    auto s = store.subscription(id);
    BOOST_REQUIRE(s->metadata.has_value());
    BOOST_TEST(s->metadata->summary == "A demo");
    BOOST_TEST(s->metadata->project_urls.at("Quote\"d") == "x");
    BOOST_TEST(s->metadata_version.value() == "1.0");
}

BOOST_AUTO_TEST_CASE(routes_are_kept_in_the_file_and_read_only_access_writes_nothing) {
    TempDir dir;
    auto const path = (dir.path / "state.db").string();
    Route slack;
    slack.notifier = "slack";
    slack.events = {EventKind::new_release, EventKind::pinned_yanked};
    slack.packages = {"django", "boto*"};
    slack.update_types = {UpdateType::major};
    {
        StateStore daemon(path);
        Route console;
        console.notifier = "console";
        daemon.set_routes({console, slack});
    }
    // Another process (`check --state`) reads the daemon's routes to queue events the same way.
    StateStore other(path);
    Outbox outbox(other);
    auto const routes = other.routes();
    BOOST_REQUIRE(routes.size() == 2u);
    BOOST_TEST(routes[0].notifier == "console");
    BOOST_TEST(routes[0].events.empty());
    BOOST_TEST(routes[1].notifier == "slack");
    BOOST_TEST((routes[1].events == slack.events));
    BOOST_TEST((routes[1].packages == slack.packages));
    BOOST_TEST((routes[1].update_types == slack.update_types));
    auto const id = other.upsert_subscription(sub("demo"), 1);
    StateUpdate u;
    u.subscription_id = id;
    u.now = 10;
    u.status = PollStatus::ok;
    u.baseline_done = true;
    u.gone = StateUpdate::Gone::set;
    u.events = {event(EventKind::new_release, "2.0")};
    u.recipients = {{{"console", 10}, {"slack", 10}}};
    other.apply(u);
    BOOST_TEST(outbox.counts().pending == 2);
    BOOST_TEST(outbox.next_due().value() == 10);
    BOOST_TEST(other.subscription(id)->gone_since.value() == 10);

    StateStore reader(path, StateStore::Access::read_only);
    BOOST_TEST(reader.subscriptions().size() == 1u);
    BOOST_CHECK_THROW(reader.upsert_subscription(sub("x"), 1), std::exception);
    BOOST_CHECK_THROW(StateStore((dir.path / "missing.db").string(), StateStore::Access::read_only),
                      std::runtime_error);
}

// The first schema, as pinwatch 0.1 created it (watcher/state/store.cpp, migration 1).
constexpr char const* kSchemaV1 = R"sql(
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
)sql";

BOOST_AUTO_TEST_CASE(migrating_a_version_1_file_keeps_everything) {
    TempDir dir;
    auto const path = (dir.path / "state.db").string();
    {
        SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        db.exec(kSchemaV1);
        db.exec("PRAGMA user_version = 1");
        db.exec("INSERT INTO subscriptions (id, source, index_url, name, specifier, pinned, "
                "created_at, "
                "baseline_done, etag, last_serial, last_status, next_due) VALUES "
                "(1, 'pypi', 'https://pypi.org/simple', 'requests', '==2.31.0', '2.31.0', 5, 1, "
                "'\"e1\"', 77, 'ok', 900)");
        db.exec("INSERT INTO releases (subscription_id, version, first_seen, yanked) VALUES (1, "
                "'2.31.0', 5, 0), "
                "(1, '2.32.0', 6, 1)");
        db.exec(
            "INSERT INTO events (id, seq, subscription_id, kind, package, index_url, version, at) "
            "VALUES "
            "('evt_1', 1, 1, 'new_release', 'requests', 'https://pypi.org/simple/', '2.32.0', 6)");
        db.exec("INSERT INTO outbox (event_id, notifier, state) VALUES ('evt_1', 'console', "
                "'pending')");
        db.exec("INSERT INTO notifiers (name) VALUES ('console')");
    }
    StateStore store(path);
    BOOST_TEST(store.schema_version() == StateStore::latest_schema_version());
    auto const subs = store.subscriptions();
    BOOST_REQUIRE(subs.size() == 1u);
    auto const& s = subs[0];
    BOOST_TEST(s.id == 1);
    BOOST_TEST(s.sub.locator == "https://pypi.org/simple/requests/");
    BOOST_TEST(s.sub.origin == "https://pypi.org/simple/");
    BOOST_TEST(s.validator.value() == "\"e1\"");
    BOOST_TEST(s.sequence.value() == 77);
    BOOST_TEST(s.next_due == 900);
    BOOST_TEST(s.baseline_done);
    BOOST_TEST(store.releases(1).size() == 2u); // not cascaded away by the table rebuild
    auto const events = store.events();
    BOOST_REQUIRE(events.size() == 1u);
    BOOST_TEST(events[0].origin == "https://pypi.org/simple/");
    BOOST_TEST(events[0].source == "pypi");
    Outbox outbox(store);
    BOOST_TEST(outbox.counts().pending == 1);
    BOOST_TEST(store.routes().size() == 1u);
    BOOST_TEST(outbox.next_due().value() == 0);
    // The same package subscribed the new way is the same row.
    BOOST_TEST(store.upsert_subscription(pypi_subscription("https://pypi.org/simple/", "requests"),
                                         10) == 1);
    SQLite::Database check(path);
    BOOST_TEST(check.execAndGet("PRAGMA integrity_check").getString() == "ok");
}

BOOST_AUTO_TEST_CASE(rules_advisories_held_releases_and_event_extras_round_trip) {
    StateStore store(":memory:");
    BOOST_TEST(store.schema_version() >= 4); // 4 added rules, advisories, cooldowns
    auto s0 = sub("demo");
    s0.rules.update_types = {UpdateType::major, UpdateType::patch};
    s0.rules.pre = false;
    s0.rules.min_release_age = 86400;
    s0.rules.ignore = {">=5", "==4.2.3"};
    auto const id = store.upsert_subscription(s0, 1);
    BOOST_TEST((store.subscription(id)->sub.rules == s0.rules));
    // Rules follow the config: a changed rule replaces the stored one.
    s0.rules = {};
    store.upsert_subscription(s0, 2);
    BOOST_TEST((store.subscription(id)->sub.rules == Rules{}));

    Advisory a;
    a.id = "PYSEC-1";
    a.aliases = {"CVE-1", "GHSA-x"};
    a.summary = "bad \"things\"";
    a.link = "https://osv.dev/vulnerability/PYSEC-1";
    a.fixed_in = {"1.1"};
    StateUpdate u;
    u.subscription_id = id;
    u.status = PollStatus::ok;
    u.vulns = VulnerabilityState{"1.0", "\"e1\"", 50, std::nullopt, {a}};
    u.set_held_until = true;
    u.held_until = 500;
    StoredRelease r{"1.1", 40, 30, false, std::nullopt, ">=3.12", true};
    u.upserts = {r};
    Event e = event(EventKind::vulnerability, "1.0");
    e.advisory = a;
    Event y = event(EventKind::pinned_yanked, "1.0");
    y.alternatives = {"0.9", "1.1"};
    Event n = event(EventKind::new_release, "1.1");
    n.requires_python = ">=3.12";
    n.drops_python = true;
    n.python = "3.11.2";
    u.events = {e, y, n};
    u.recipients = {{{"console", 0}}, {{"console", 0}}, {{"console", 0}}};
    store.apply(u);

    auto s = store.subscription(id);
    BOOST_TEST(s->vulns.version.value() == "1.0");
    BOOST_TEST(s->vulns.validator.value() == "\"e1\"");
    BOOST_TEST(s->vulns.checked.value() == 50);
    BOOST_TEST(!s->vulns.error.has_value());
    BOOST_REQUIRE_EQUAL(s->vulns.live.size(), 1u);
    BOOST_TEST((s->vulns.live[0] == a));
    BOOST_TEST(s->held_until.value() == 500);
    auto const rel = store.releases(id).at("1.1");
    BOOST_TEST(rel.requires_python.value() == ">=3.12");
    BOOST_TEST(rel.held);

    // Released: no longer held; held_until cleared.
    StateUpdate later;
    later.subscription_id = id;
    later.status = PollStatus::unchanged;
    later.released = {"1.1"};
    later.set_held_until = true;
    store.apply(later);
    BOOST_TEST(!store.releases(id).at("1.1").held);
    BOOST_TEST(!store.subscription(id)->held_until.has_value());
    BOOST_TEST(store.subscription(id)->vulns.live.size() == 1u); // untouched when not set

    // Events keep their extras, in the event log and in the outbox.
    auto const events = store.events();
    BOOST_REQUIRE_EQUAL(events.size(), 3u);
    BOOST_TEST((events[2].advisory.value() == a));
    BOOST_TEST(events[1].alternatives == (std::vector<std::string>{"0.9", "1.1"}),
               boost::test_tools::per_element());
    BOOST_TEST(events[0].drops_python.value());
    BOOST_TEST(events[0].requires_python.value() == ">=3.12");
    BOOST_TEST(events[0].python.value() == "3.11.2");
    auto const pending = Outbox(store).pending("console", 1000, 10);
    BOOST_REQUIRE_EQUAL(pending.size(), 3u);
    BOOST_TEST((pending[0].event.advisory.value() == a));
}

BOOST_AUTO_TEST_CASE(a_sources_own_state_and_an_events_link_are_kept) {
    StateStore store(":memory:");
    auto const pypi_id = store.upsert_subscription(sub("demo"), 10);
    Subscription gh = sub("demo");
    gh.source = "github";
    gh.locator = "https://pypi.org/pypi/demo/json";
    auto const gh_id = store.upsert_subscription(gh, 10);
    store.set_routes({Route{"console", {}, {}, {}, std::nullopt}});

    StateUpdate u;
    u.subscription_id = pypi_id;
    u.now = 20;
    u.status = PollStatus::ok;
    u.baseline_done = true;
    u.upserts.push_back({"1.0", 20, std::nullopt, false, std::nullopt});
    auto e = event(EventKind::new_release, "1.0");
    e.link = "https://github.com/o/demo/releases/tag/v1.0";
    u.events.push_back(e);
    u.recipients.push_back({{"console", 20}});
    store.apply(u);

    StateUpdate g;
    g.subscription_id = gh_id;
    g.now = 20;
    g.status = PollStatus::ok;
    g.baseline_done = true;
    g.source_state = R"({"repo":"o/demo"})";
    store.apply(g);

    BOOST_TEST(store.subscription(gh_id)->source_state.value_or("-") == R"({"repo":"o/demo"})");
    BOOST_TEST(!store.subscription(pypi_id)->source_state);
    // What other sources know of the same package.
    auto const versions = store.versions_elsewhere("demo", gh_id);
    BOOST_TEST(versions.size() == 1u);
    BOOST_TEST(versions[0] == "1.0");
    BOOST_TEST(store.versions_elsewhere("demo", pypi_id).empty());
    auto const states = store.source_states_elsewhere("demo", pypi_id);
    BOOST_REQUIRE(states.size() == 1u);
    BOOST_TEST(states[0].first == "github");
    // A later update without a state keeps the stored one.
    g.source_state.reset();
    store.apply(g);
    BOOST_TEST(store.subscription(gh_id)->source_state.has_value());

    BOOST_TEST(store.events(1)[0].link.value_or("-") == *e.link);
    auto const items = Outbox(store).pending("console", 100, 10);
    BOOST_REQUIRE(items.size() == 1u);
    BOOST_TEST(items[0].event.link.value_or("-") == *e.link);
}

namespace {
std::string file_bytes(fs::path const& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}
} // namespace

// Issue #20 defect 4: the index password was stored in every locator (61 copies), and a new
// password (or host case) made new subscriptions. The migration strips userinfo, merges the
// rows that then name one package (releases, events and outbox rows kept), and leaves no copy
// of a password anywhere in the file.
BOOST_AUTO_TEST_CASE(migration_strips_credentials_and_merges_what_they_split) {
    TempDir dir;
    auto const path = (dir.path / "state.db").string();
    {
        SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        db.exec(kSchemaV1);
        db.exec("PRAGMA user_version = 1");
        db.exec("INSERT INTO subscriptions (id, source, index_url, name, active, created_at, "
                "baseline_done, last_poll, last_status) VALUES "
                "(1, 'pypi', 'https://alice:OLDPASSWORD@Mirror.Example/simple', 'demo', 0, 5, 1, "
                "100, 'ok'), "
                "(2, 'pypi', 'https://alice:NEWPASSWORD@mirror.example/simple/', 'demo', 1, 6, 1, "
                "200, 'ok'), "
                "(3, 'pypi', 'https://bob:BOBSECRET@mirror.example/simple/', 'other', 1, 7, 1, "
                "200, 'ok')");
        db.exec("INSERT INTO releases (subscription_id, version, first_seen) VALUES "
                "(1, '1.0', 5), (1, '1.1', 6), (2, '1.1', 7), (2, '1.2', 8), (3, '3.0', 9)");
        db.exec(
            "INSERT INTO events (id, seq, subscription_id, kind, package, index_url, version, "
            "at) VALUES "
            "('evt_1', 1, 1, 'new_release', 'demo', 'https://mirror.example/simple/', '1.1', 6), "
            "('evt_2', 2, 2, 'new_release', 'demo', 'https://mirror.example/simple/', '1.2', 8)");
        db.exec("INSERT INTO outbox (event_id, notifier, state) VALUES ('evt_1', 'console', "
                "'delivered'), ('evt_2', 'console', 'pending')");
    }
    {
        StateStore store(path);
        auto const subs = store.subscriptions(false);
        BOOST_REQUIRE(subs.size() == 2u);
        auto const& demo = subs[0];
        BOOST_TEST(demo.sub.name == "demo");
        BOOST_TEST(demo.id == 2); // active, polled last
        BOOST_TEST(demo.sub.locator == "https://mirror.example/simple/demo/");
        BOOST_TEST(demo.sub.origin == "https://mirror.example/simple/");
        auto const releases = store.releases(2);
        BOOST_TEST(releases.size() == 3u); // 1.0 came over from the old row
        BOOST_TEST(releases.count("1.0") == 1u);
        BOOST_TEST(subs[1].sub.locator == "https://mirror.example/simple/other/");
        BOOST_TEST(store.events().size() == 2u);
        Outbox outbox(store);
        BOOST_TEST(outbox.counts().pending == 1);
        BOOST_TEST(outbox.counts().delivered == 1);
        // The package subscribed with yet another password (and host case) is the same row.
        auto again = pypi_subscription("https://alice:THIRD@MIRROR.example/simple/", "demo");
        BOOST_TEST(again.locator == "https://mirror.example/simple/demo/");
        BOOST_TEST(store.upsert_subscription(again, 300) == 2);
        BOOST_TEST(store.subscriptions(false).size() == 2u);
    }
    SQLite::Database check(path);
    BOOST_TEST(check.execAndGet("PRAGMA integrity_check").getString() == "ok");
    BOOST_TEST(check.execAndGet("SELECT COUNT(*) FROM events WHERE subscription_id = 2").getInt() ==
               2);
    auto bytes = file_bytes(path);
    if (fs::exists(path + "-wal")) bytes += file_bytes(path + "-wal");
    for (char const* secret : {"OLDPASSWORD", "NEWPASSWORD", "BOBSECRET", "THIRD"})
        BOOST_TEST(bytes.find(secret) == std::string::npos, secret << " is still in the file");
}

// Issue #20: the WAL grew to 40 MB beside a 1.5 MB database and events and outbox rows were
// never pruned. 10,000 cycles of a busy package (three events a cycle, each delivered), with
// the daemon's hourly maintenance (prune to `keep`, checkpoint): the WAL, the file and the
// tables stay under a bound. Also prints the file's growth per 1,000 events before pruning
// starts (the README's figure).
BOOST_AUTO_TEST_CASE(the_wal_and_the_tables_stay_bounded_over_ten_thousand_busy_cycles) {
    TempDir dir;
    auto const path = (dir.path / "state.db").string();
    StateStore store(path);
    UnixTime now = 1'000'000;
    auto const id = store.upsert_subscription(sub("demo"), now);
    Outbox outbox(store);
    constexpr UnixTime kKeep = 86400; // [state] keep = "1d"; a cycle is a minute
    constexpr int kPerCycle = 3;
    std::int64_t max_wal = 0, max_db = 0, start_db = store.size().database, db_at_3000 = 0;
    std::size_t max_events = 0;
    for (int cycle = 1; cycle <= 10'000; ++cycle) {
        now += 60;
        StateUpdate u;
        u.subscription_id = id;
        u.now = now;
        u.status = PollStatus::ok;
        u.baseline_done = true;
        u.next_due = now + 60;
        for (int k = 0; k < kPerCycle; ++k) {
            auto e = event(k == 0 ? EventKind::new_release : EventKind::release_yanked,
                           "1." + std::to_string(cycle) + "." + std::to_string(k));
            e.at = now;
            e.detail = "yanked: broken wheels for some platforms";
            u.events.push_back(std::move(e));
            u.recipients.push_back({{"console", now}});
        }
        store.apply(u);
        for (auto const& item : outbox.pending("console", now))
            outbox.mark_delivered(item.id, now);
        if (cycle % 60 == 0) { // the daemon's hourly maintenance
            store.prune(now - kKeep);
            store.checkpoint();
            max_events = std::max(max_events, store.events(1'000'000).size());
        }
        if (cycle == 1000) db_at_3000 = store.size().database;
        auto const size = store.size();
        max_wal = std::max(max_wal, size.wal);
        max_db = std::max(max_db, size.database);
    }
    BOOST_TEST_MESSAGE("state file growth per 1,000 events (one outbox row each, before "
                       "pruning): "
                       << (db_at_3000 - start_db) / 3 << " bytes; largest WAL " << max_wal
                       << " bytes, largest database " << max_db << " bytes");
    // A day of events (1,440 cycles) plus an hour's worth between prunes.
    BOOST_TEST(max_events <= std::size_t((1440 + 60) * kPerCycle));
    BOOST_TEST(store.events(1'000'000).size() <= std::size_t((1440 + 60) * kPerCycle));
    BOOST_TEST(max_wal <= kWalLimit + (1 << 20)); // the autocheckpoint's 1,000 pages, then cut
    BOOST_TEST(max_db <= std::int64_t(4) << 20);
    auto const counts = outbox.counts();
    BOOST_TEST(counts.pending == 0);
    BOOST_TEST(counts.delivered <= (1440 + 60) * kPerCycle);
}

// Pruning never takes what is still owed: a pending row keeps its event however old.
BOOST_AUTO_TEST_CASE(prune_keeps_events_still_to_deliver) {
    StateStore store(":memory:");
    auto const id = store.upsert_subscription(sub("demo"), 0);
    StateUpdate u;
    u.subscription_id = id;
    u.now = 100;
    u.status = PollStatus::ok;
    for (auto const* v : {"1.1", "1.2", "1.3"}) {
        auto e = event(EventKind::new_release, v);
        e.at = 100;
        u.events.push_back(e);
    }
    u.recipients = {{{"console", 100}}, {{"console", 100}, {"slack", 100}}, {}};
    store.apply(u);
    Outbox outbox(store);
    auto const items = outbox.pending("console", 100);
    BOOST_REQUIRE(items.size() == 2u);
    for (auto const& i : items)
        outbox.mark_delivered(i.id, 100);
    auto const pruned = store.prune(1000);
    // 1.1 (delivered) and 1.3 (routed nowhere) go; 1.2 still owes slack.
    BOOST_TEST(pruned.events == 2);
    BOOST_TEST(pruned.outbox_rows == 1);
    auto const left = store.events();
    BOOST_REQUIRE(left.size() == 1u);
    BOOST_TEST(left[0].version.value() == "1.2");
    BOOST_TEST(outbox.counts().pending == 1);
    BOOST_TEST(store.prune(50).events == 0); // nothing older than 50
}

BOOST_AUTO_TEST_CASE(subscriptions_read_back_carry_their_parsed_fields) {
    StateStore store(":memory:");
    auto s = sub("demo");
    s.specifier = "==1.0rc1";
    s.pinned = "1.0-RC1";
    s.rules.ignore = {">=2"};
    s.rules.min_release_age = 60;    // stored rules are written only when they differ from none
    BOOST_TEST(s.parsed == nullptr); // as built: strings only
    auto const id = store.upsert_subscription(s, 1);
    for (auto const& read : {*store.subscription(id), store.subscriptions().at(0)}) {
        BOOST_TEST(read.sub.parsed);
        BOOST_TEST(read.sub.parsed->specifier.value().str() == "==1.0rc1");
        BOOST_TEST(read.sub.parsed->pinned.value().str() == "1.0rc1");
        BOOST_TEST(read.sub.parsed->pinned_key.value_or("") == "1.0rc1");
        BOOST_TEST(read.sub.parsed->prereleases_wanted);
        BOOST_REQUIRE(read.sub.rules.ignore_sets.size() == 1u);
        BOOST_TEST(read.sub.rules.ignore_sets[0].value().str() == ">=2");
    }
}

// #16, schema 8: a subscription is one project's pin. What an older file holds becomes the
// project "default" (ids unchanged: its releases, events and outbox rows stay its own); another
// project's pin of the same package is a row of its own; project and `direct` round-trip.
BOOST_AUTO_TEST_CASE(migrating_to_projects_keeps_every_row_as_project_default) {
    TempDir dir;
    auto const path = (dir.path / "state.db").string();
    {
        SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        db.exec(kSchemaV1);
        db.exec("PRAGMA user_version = 1");
        db.exec("INSERT INTO subscriptions (id, source, index_url, name, specifier, pinned, "
                "created_at, baseline_done, etag, last_status, next_due) VALUES "
                "(4, 'pypi', 'https://pypi.org/simple/', 'requests', '==2.31.0', '2.31.0', 5, 1, "
                "'\"e1\"', 'ok', 900)");
        db.exec("INSERT INTO releases (subscription_id, version, first_seen, yanked) VALUES "
                "(4, '2.31.0', 5, 0), (4, '2.32.0', 6, 0)");
        db.exec("INSERT INTO events (id, seq, subscription_id, kind, package, index_url, version, "
                "at) VALUES ('evt_9', 1, 4, 'new_release', 'requests', "
                "'https://pypi.org/simple/', '2.32.0', 6)");
        db.exec("INSERT INTO outbox (event_id, notifier, state) VALUES ('evt_9', 'team', "
                "'pending')");
    }
    StateStore store(path);
    BOOST_TEST(store.schema_version() == StateStore::latest_schema_version());
    auto const subs = store.subscriptions();
    BOOST_REQUIRE(subs.size() == 1u);
    BOOST_TEST(subs[0].id == 4);
    BOOST_TEST(subs[0].sub.project == "default");
    BOOST_TEST(!subs[0].sub.direct.has_value());
    BOOST_TEST(subs[0].validator.value_or("") == "\"e1\"");
    BOOST_TEST(subs[0].next_due == 900);
    BOOST_TEST(store.releases(4).size() == 2u);
    BOOST_TEST(store.events().size() == 1u);
    BOOST_TEST(Outbox(store).counts().pending == 1);

    auto mine = pypi_subscription("https://pypi.org/simple/", "requests");
    BOOST_TEST(store.upsert_subscription(mine, 10) == 4); // "default": the same row
    mine.project = "api";
    mine.direct = false;
    mine.rules.urgent_only = true;
    auto const api = store.upsert_subscription(mine, 10);
    BOOST_TEST(api != 4);
    auto const read = store.subscription(api);
    BOOST_REQUIRE(read.has_value());
    BOOST_TEST(read->sub.project == "api");
    BOOST_TEST(read->sub.direct.value_or(true) == false);
    BOOST_TEST(read->sub.rules.urgent_only);
    BOOST_TEST(store.releases(api).empty()); // its own history, from its own first poll
    BOOST_TEST(store.subscriptions().size() == 2u);
    // An event naming its projects keeps them.
    Event e = event(EventKind::new_release, "2.33.0");
    e.projects = {{"api", "2.31.0", "==2.31.0", "/srv/api/r.txt", false, UpdateType::minor, false},
                  {"worker", std::nullopt, ">=2", "/srv/w/r.txt", std::nullopt, {}, true}};
    store.add_event(e, {});
    auto const events = store.events();
    BOOST_REQUIRE(!events.empty());
    BOOST_TEST((events[0].projects == e.projects));
    SQLite::Database check(path);
    BOOST_TEST(check.execAndGet("PRAGMA integrity_check").getString() == "ok");
    SQLite::Statement dangling(check, "PRAGMA foreign_key_check");
    BOOST_TEST(!dangling.executeStep());
}
BOOST_AUTO_TEST_CASE(a_projects_status_and_a_status_events_fields_are_kept) {
    StateStore store(":memory:");
    auto const id = store.upsert_subscription(sub("demo"), 10);
    store.set_routes({Route{"console", {}, {}, {}, std::nullopt}});
    // Never read: nothing stored (a first sighting is told apart from a change).
    BOOST_TEST(!store.subscription(id)->project_status.has_value());

    StateUpdate u;
    u.subscription_id = id;
    u.now = 20;
    u.status = PollStatus::ok;
    u.baseline_done = true;
    u.project_status = ProjectStatus{"quarantined", "malware <b>"};
    Event e;
    e.kind = EventKind::project_status;
    e.package = "demo";
    e.at = 20;
    e.project_status = u.project_status;
    e.previous_status = "archived";
    u.events.push_back(e);
    u.recipients.push_back({{"console", 20}});
    store.apply(u);

    auto const s = store.subscription(id);
    BOOST_REQUIRE(s->project_status.has_value());
    BOOST_TEST(s->project_status->status == "quarantined");
    BOOST_TEST(s->project_status->reason.value() == "malware <b>");
    // An update that read no status (a 304, a failure) keeps the stored one.
    u.project_status.reset();
    u.events.clear();
    u.recipients.clear();
    store.apply(u);
    BOOST_TEST(store.subscription(id)->project_status->status == "quarantined");
    // Back to active, without a reason: the reason goes.
    u.project_status = ProjectStatus{};
    store.apply(u);
    BOOST_TEST(store.subscription(id)->project_status->active());
    BOOST_TEST(!store.subscription(id)->project_status->reason.has_value());

    auto const items = Outbox(store).pending("console", 100, 30);
    BOOST_REQUIRE(items.size() == 1u);
    auto const& told = items[0].event;
    BOOST_TEST(told.kind == EventKind::project_status);
    BOOST_REQUIRE(told.project_status.has_value());
    BOOST_TEST(told.project_status->status == "quarantined");
    BOOST_TEST(told.project_status->reason.value() == "malware <b>");
    BOOST_TEST(told.previous_status.value() == "archived");
    BOOST_TEST(is_urgent(told)); // read back, it is still urgent
    // A batch window holds it as briefly as the other urgent kinds (10 s here, not 60).
    BOOST_TEST(Outbox(store).release_time("console", 60, 10).value() == 30);
}

namespace {
SavedSummary summary_of(std::int64_t generation, std::string body) {
    return SavedSummary{generation, "inputs", std::move(body), {100, 200, 300}};
}
StateUpdate poll_update(std::int64_t id) {
    StateUpdate u;
    u.subscription_id = id;
    u.now = 100;
    u.status = PollStatus::ok;
    u.baseline_done = true;
    u.next_due = 400;
    return u;
}
} // namespace

// A saved summary is current while its releases have not moved: every write of them (new,
// changed, removed, released from a hold) retires it; a poll that wrote none keeps it.
BOOST_AUTO_TEST_CASE(a_saved_summary_holds_until_the_releases_move) {
    StateStore store(":memory:");
    auto const id = store.upsert_subscription(sub("demo"), 1);
    BOOST_TEST(store.subscription(id)->release_generation == 0);
    BOOST_TEST(!store.current_summary(id).has_value());

    // A poll that lists releases writes its summary with them, for the generation they make.
    auto u = poll_update(id);
    u.upserts = {StoredRelease{"1.0", 100, 90, false, std::nullopt}};
    u.summary = summary_of(0, "first");
    store.apply(u);
    BOOST_TEST(store.subscription(id)->release_generation == 1);
    auto saved = store.current_summary(id);
    BOOST_REQUIRE(saved.has_value());
    BOOST_TEST(saved->body == "first");
    BOOST_TEST(saved->generation == 1);
    BOOST_TEST(saved->inputs == "inputs");
    BOOST_TEST(saved->uploads.empty()); // not asked for
    BOOST_TEST((store.current_summary(id, true)->uploads == std::vector<UnixTime>{100, 200, 300}));
    BOOST_TEST(store.current_summaries().at(id).body == "first");

    // A poll answered 304 writes no release: the summary stands.
    store.apply(poll_update(id));
    BOOST_TEST(store.current_summary(id).has_value());

    // Each kind of release write retires it.
    auto held = poll_update(id);
    held.upserts = {StoredRelease{"1.1", 100, 95, false, std::nullopt, std::nullopt, true}};
    store.apply(held);
    BOOST_TEST(!store.current_summary(id).has_value());
    BOOST_TEST(store.current_summaries().empty());
    store.save_summaries({{id, summary_of(2, "second")}});
    BOOST_TEST(store.current_summary(id)->body == "second");
    auto released = poll_update(id);
    released.released = {"1.1"};
    store.apply(released);
    BOOST_TEST(!store.current_summary(id).has_value());
    store.save_summaries({{id, summary_of(3, "third")}});
    auto removed = poll_update(id);
    removed.removed = {"1.0"};
    store.apply(removed);
    BOOST_TEST(!store.current_summary(id).has_value());
    BOOST_TEST(store.subscription(id)->release_generation == 4);
}

// A summary worked out from releases someone else has written since is not kept: neither one a
// reader saves, nor one a poll brings from a reading that another write overtook.
BOOST_AUTO_TEST_CASE(a_summary_of_releases_that_moved_meanwhile_is_not_kept) {
    StateStore store(":memory:");
    auto const id = store.upsert_subscription(sub("demo"), 1);
    auto u = poll_update(id);
    u.upserts = {StoredRelease{"1.0", 100, 90, false, std::nullopt}};
    store.apply(u); // generation 1
    store.save_summaries({{id, summary_of(0, "stale reader")}});
    BOOST_TEST(!store.current_summary(id).has_value());
    // A poll that read the releases at generation 0, written after another write made them 1.
    auto late = poll_update(id);
    late.upserts = {StoredRelease{"1.1", 100, 95, false, std::nullopt}};
    late.summary = summary_of(0, "stale poll");
    store.apply(late);
    BOOST_TEST(!store.current_summary(id).has_value());
    // The same from the current reading is kept.
    auto fresh = poll_update(id);
    fresh.upserts = {StoredRelease{"1.2", 100, 96, false, std::nullopt}};
    fresh.summary = summary_of(2, "fresh");
    store.apply(fresh);
    BOOST_TEST(store.current_summary(id)->body == "fresh");
}

// The marker probe's answer, per interpreter.
BOOST_AUTO_TEST_CASE(python_probes_are_kept_per_interpreter) {
    StateStore store(":memory:");
    BOOST_TEST(!store.python_probe("/usr/bin/python3.11\nsize 1").has_value());
    store.save_python_probe("/usr/bin/python3.11\nsize 1", "python_full_version=3.11.2\n", 5);
    store.save_python_probe("/usr/bin/python3.12\nsize 2", "python_full_version=3.12.1\n", 6);
    BOOST_TEST(store.python_probe("/usr/bin/python3.11\nsize 1").value() ==
               "python_full_version=3.11.2\n");
    store.save_python_probe("/usr/bin/python3.11\nsize 1", "python_full_version=3.11.4\n", 7);
    BOOST_TEST(store.python_probe("/usr/bin/python3.11\nsize 1").value() ==
               "python_full_version=3.11.4\n");
    BOOST_TEST(store.python_probe("/usr/bin/python3.12\nsize 2").value() ==
               "python_full_version=3.12.1\n");
}

// A file from before the saved summaries (schema 11) keeps every release; its subscriptions
// start at generation 0 with no summary, and the first one saved for it holds.
BOOST_AUTO_TEST_CASE(migrating_to_saved_summaries_keeps_every_release) {
    TempDir dir;
    auto const path = (dir.path / "state.db").string();
    {
        SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        db.exec(kSchemaV1);
        db.exec("PRAGMA user_version = 1");
        db.exec("INSERT INTO subscriptions (id, source, index_url, name, specifier, pinned, "
                "created_at, baseline_done, etag, last_status, next_due) VALUES "
                "(4, 'pypi', 'https://pypi.org/simple/', 'requests', '==2.31.0', '2.31.0', 5, 1, "
                "'\"e1\"', 'ok', 900)");
        db.exec("INSERT INTO releases (subscription_id, version, first_seen, upload_time, yanked) "
                "VALUES (4, '2.31.0', 5, 50, 0), (4, '2.32.0', 6, 60, 0)");
    }
    {
        // Up to schema 11 as a build of before would leave it, then the rest.
        StateStore store(path);
        BOOST_TEST(store.schema_version() == StateStore::latest_schema_version());
        BOOST_TEST(store.releases(4).size() == 2u);
        BOOST_TEST(store.subscription(4)->release_generation == 0);
        BOOST_TEST(store.subscription(4)->validator.value_or("") == "\"e1\"");
        BOOST_TEST(!store.current_summary(4).has_value());
        store.save_summaries({{4, summary_of(0, "worked out")}});
        BOOST_TEST(store.current_summary(4)->body == "worked out");
    }
    SQLite::Database check(path);
    BOOST_TEST(check.execAndGet("PRAGMA integrity_check").getString() == "ok");
    SQLite::Statement dangling(check, "PRAGMA foreign_key_check");
    BOOST_TEST(!dangling.executeStep());
}
