// A source the engine has never heard of, and that is not compiled into the binary: "shelf", a
// plain-text list of versions per package on a test server. Its [shelf] table is read by its own
// reader through the config's owned tables; it derives one subscription per PyPI requirement;
// the registry, scheduler, poller, diff and store run it; what it asks in a poll comes from its
// own prepare(); and its `check` cell and `status` row come through the generic Source hooks.
// It is a file host too: requirements named shelf:PATH are read from the shelf, with its own
// request (its header) and its own reading of the answer, by the engine's remote files.
// Nothing in watcher/ or cli/ names it.
#define BOOST_TEST_MODULE fake_source
#include <boost/test/unit_test.hpp>

#include "config/reader.hpp"
#include "config/remote_file.hpp"
#include "tests/fakes/test_server.hpp"
#include "watcher/remote_files.hpp"
#include "watcher/scheduler.hpp"
#include "watcher/sources/registry.hpp"
#include "watcher/subscriptions.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <any>
#include <mutex>
#include <set>
#include <sstream>

using namespace pinwatch;
using namespace pinwatch::watcher;
using pinwatch::test::TestRequest;
using pinwatch::test::TestResponse;
using pinwatch::test::TestServer;

namespace {

struct ShelfSettings {
    std::string url; // "http://127.0.0.1:port/shelf/"
    std::chrono::seconds every{3600};
};

// [shelf]: url and every, with the config's messages.
std::any read_shelf(config::Reader& r, config::TableNode const& table) {
    ShelfSettings s;
    auto const* t = table.node.as_table();
    if (!t) {
        r.error(table.node, "key 'shelf': expected a table [shelf]");
        return s;
    }
    for (auto const& [k, v] : *t) {
        std::string const key(k.str());
        if (key == "url") {
            if (auto u = r.string(v, "shelf.url")) s.url = *u;
        } else if (key == "every") {
            if (auto d = r.duration(v, "shelf.every", std::chrono::seconds(1))) s.every = *d;
        } else {
            r.unknown(v, key, "shelf");
        }
    }
    return s;
}

class ShelfSource final : public Source {
  public:
    explicit ShelfSource(ShelfSettings settings) : settings_(std::move(settings)) {}
    std::string_view kind() const noexcept override { return "shelf"; }
    std::string host(Subscription const&) const override { return settings_.url; }
    struct Asks {
        bool baseline_done = false;
        std::chrono::seconds interval{0};
    };
    std::any prepare(PollHistory const& h) const override {
        return Asks{h.baseline_done, h.interval};
    }
    SourceRequest first_request(Subscription const& sub, PollContext const& ctx) const override {
        auto const* asks = std::any_cast<Asks>(&ctx.asks);
        SourceRequest r;
        r.step = "list";
        r.http.url = sub.locator;
        r.http.header("X-Shelf-Baseline", asks && asks->baseline_done ? "yes" : "no");
        r.http.header("X-Shelf-Interval", std::to_string(asks ? asks->interval.count() : 0));
        return r;
    }
    Result<SourceStep, SourceError> parse(Subscription const& sub, PollContext const&,
                                          SourceRequest const&, net::Response const& res,
                                          Observation& obs) const override {
        if (res.status != 200)
            return fail(SourceError{SourceError::Kind::temporary,
                                    "shelf:" + sub.name + ": http " + std::to_string(res.status),
                                    {}});
        std::istringstream words(res.body);
        std::string v;
        std::size_t n = 0;
        while (words >> v) {
            Release r;
            r.version = v;
            obs.releases.push_back(r);
            ++n;
        }
        obs.status = Observation::Status::ok;
        obs.source_state = std::to_string(n) + " on the shelf";
        return SourceStep{};
    }
    std::vector<Derived> derive(std::vector<Subscription> const& subs,
                                std::vector<std::string>& warnings) const override {
        std::vector<Derived> out;
        for (std::size_t i = 0; i < subs.size(); ++i) {
            if (subs[i].source != "pypi") continue;
            if (subs[i].name == "hidden") {
                warnings.push_back("shelf:hidden: not on the shelf");
                continue;
            }
            Subscription s;
            s.source = "shelf";
            s.name = subs[i].name;
            s.locator = settings_.url + subs[i].name;
            s.interval = settings_.every.count();
            out.push_back({i, std::move(s)});
        }
        return out;
    }
    std::optional<std::string> check_column() const override { return "SHELF"; }
    CheckCell check_cell(Subscription const&, SubscriptionView const* own,
                         UnixTime) const override {
        CheckCell c;
        if (own && own->source_state) c.cell = *own->source_state;
        c.json = [own = own ? own->source_state : std::nullopt](JsonWriter& w) { w.string(own); };
        return c;
    }
    std::optional<StatusTable> status_table() const override {
        return StatusTable{{"SHELF", "STATE"}, "shelves"};
    }
    std::vector<std::string> status_row(SubscriptionView const& s, UnixTime) const override {
        return {s.sub.name, s.source_state.value_or("-")};
    }

  private:
    ShelfSettings settings_;
};

config::TableReaders shelf_tables() {
    return {{"shelf", read_shelf}};
}

// shelf:PATH, a file kept on the shelf: PATH in its tree, an include relative to its folder.
config::FileSpec shelf_file_spec() {
    config::FileSpec f;
    f.prefix = "shelf:";
    f.shape = "shelf:PATH";
    f.name = [](std::string_view spec) -> Result<std::string> {
        auto const path = config::normal_file_path(spec.substr(6));
        if (!path || path->empty()) return fail(std::string("expected shelf:PATH"));
        return "shelf:" + *path;
    };
    f.basename = [](std::string_view name) {
        return std::string(
            name.substr(name.rfind('/') == std::string_view::npos ? 6 : name.rfind('/') + 1));
    };
    f.join = [](std::string const& from, std::string const& target) -> Result<std::string> {
        auto const folder =
            from.substr(6, from.rfind('/') == std::string::npos ? 0 : from.rfind('/') + 1 - 6);
        auto const path = config::normal_file_path(folder + target);
        if (!path || path->empty()) return fail("'" + target + "' leaves the shelf");
        return "shelf:" + *path;
    };
    return f;
}

// Its registry entry as a program that compiled it in would list it: its table, its file
// spec and the host a command fetches its files through ([shelf] url, a header of its own,
// and answers wrapped in a "SHELF-FILE" line it takes off).
SourceEntry shelf_entry() {
    SourceEntry e;
    e.kind = "shelf";
    e.table = "shelf";
    e.read_table = read_shelf;
    e.make = [](SourceSetup const& setup) -> Result<SourceBuild, std::string> {
        SourceBuild b;
        if (!setup.config || !setup.config->tables.count("shelf")) return b;
        b.source = std::make_unique<ShelfSource>(
            std::any_cast<ShelfSettings>(setup.config->tables.at("shelf")));
        return b;
    };
    e.file_spec = shelf_file_spec();
    e.file_host = [](SourceSetup const& setup) {
        ShelfSettings settings;
        if (setup.config && setup.config->tables.count("shelf"))
            settings = std::any_cast<ShelfSettings>(setup.config->tables.at("shelf"));
        FileHost h;
        h.prefix = "shelf:";
        h.request = [url = settings.url](std::string const& name) -> Result<net::Request> {
            net::Request r;
            r.url = url + "files/" + name.substr(6);
            r.header("X-Shelf-Key", "file-reader");
            return r;
        };
        h.body = [](net::Response const& res) -> Result<std::string> {
            constexpr std::string_view kHead = "SHELF-FILE\n";
            if (res.body.rfind(kHead, 0) != 0) return fail(std::string("not a shelf file"));
            return res.body.substr(kHead.size());
        };
        h.explain = [](int status) -> std::string {
            return status == 404 ? " (not on the shelf)" : "";
        };
        return h;
    };
    return e;
}

// Versions per package, changeable between polls; the headers of every request.
struct Shelf {
    std::mutex mutex;
    std::map<std::string, std::string> lists;
    std::vector<std::pair<std::string, std::string>> seen; // path, X-Shelf-Baseline
    std::vector<std::string> intervals;                    // X-Shelf-Interval
    std::vector<std::string> keys;                         // X-Shelf-Key of every request
    TestServer server{[this](TestRequest const& r) {
        std::lock_guard lock(mutex);
        keys.emplace_back(r.header("X-Shelf-Key").value_or(""));
        seen.emplace_back(std::string(r.path()),
                          std::string(r.header("X-Shelf-Baseline").value_or("")));
        intervals.emplace_back(r.header("X-Shelf-Interval").value_or(""));
        auto it = lists.find(std::string(r.path()));
        return it == lists.end() ? TestResponse::text("missing", 404)
                                 : TestResponse::text(it->second);
    }};
    void set(std::string path, std::string body) {
        std::lock_guard lock(mutex);
        lists[std::move(path)] = std::move(body);
    }
};

Subscription requirement(std::string name) {
    Subscription s;
    s.source = "pypi";
    s.name = name;
    s.locator = "https://pypi.example/simple/" + name + "/";
    return s;
}

} // namespace

BOOST_AUTO_TEST_CASE(its_config_table_is_read_by_its_own_reader_with_the_configs_messages) {
    auto const text = "requirements = [\"r.txt\"]\n"
                      "[shelf]\n"
                      "url = \"http://127.0.0.1:1/shelf/\"\n"
                      "every = \"2h\"\n";
    auto c = config::parse_config(text, "/p.toml", shelf_tables());
    BOOST_REQUIRE(c);
    auto const& s = std::any_cast<ShelfSettings const&>(c->tables.at("shelf"));
    BOOST_TEST(s.url == "http://127.0.0.1:1/shelf/");
    BOOST_TEST(s.every.count() == 7200);

    auto bad =
        config::parse_config("requirements = [\"r.txt\"]\n[shelf]\nevery = \"soon\"\nshelve = 1\n",
                             "/p.toml", shelf_tables());
    BOOST_REQUIRE(!bad);
    std::set<std::string> messages;
    for (auto const& e : bad.error())
        messages.insert(e.str());
    BOOST_TEST(messages.count("/p.toml:3: shelf.every: expected a duration from 1s to 366d, like "
                              "\"90s\", \"15m\", \"1h\" or a number of seconds"));
    BOOST_TEST(messages.count("/p.toml:4: shelf.shelve: unknown key"));

    // Without its owner, the table is an unknown key like any other.
    auto orphan = config::parse_config(text, "/p.toml");
    BOOST_REQUIRE(!orphan);
    BOOST_TEST(orphan.error().front().str() == "/p.toml:2: shelf: unknown key");
}

BOOST_AUTO_TEST_CASE(the_engine_polls_diffs_and_stores_a_source_it_never_heard_of) {
    Shelf shelf;
    shelf.set("/shelf/demo", "1.0 1.1");
    ShelfSettings settings{shelf.server.url("/shelf/"), std::chrono::seconds(900)};
    SourceRegistry sources;
    sources.add(std::make_unique<ShelfSource>(settings));
    auto const* source = sources.find("shelf");
    BOOST_REQUIRE(source);

    // What it derives from the requirements, with what the operator should hear.
    std::vector<std::string> warnings;
    auto derived = source->derive({requirement("demo"), requirement("hidden")}, warnings);
    BOOST_REQUIRE(derived.size() == 1u);
    BOOST_TEST(derived[0].from == 0u);
    BOOST_TEST(warnings.size() == 1u);

    StateStore store(":memory:");
    boost::asio::io_context io;
    net::Client client(io.get_executor(), net::ClientOptions{});
    UnixTime now = 1000;
    PollerOptions po;
    po.jitter = 0;
    Poller poller(client, store, sources, Router{}, po, [&] { return now; });
    Scheduler scheduler(io.get_executor(), store, poller, {}, [&] { return now; });
    auto const ids = store.ensure_subscriptions({derived[0].sub}, now);
    auto const round = [&] {
        bool done = false;
        boost::asio::co_spawn(io, scheduler.poll_each_once({*store.subscription(ids[0])}),
                              [&](std::exception_ptr ep) {
                                  if (ep) std::rethrow_exception(ep);
                                  done = true;
                              });
        io.restart();
        while (!done)
            io.run_one();
    };

    round(); // the baseline: stored, silent
    auto first = store.subscription(ids[0]);
    BOOST_TEST((first->last_status == PollStatus::ok));
    BOOST_TEST(store.releases(ids[0]).size() == 2u);
    BOOST_TEST(store.events().empty());
    BOOST_TEST(first->source_state.value_or("") == "2 on the shelf");

    shelf.set("/shelf/demo", "1.0 1.1 2.0");
    now += 900;
    round();
    auto const events = store.events();
    BOOST_REQUIRE(events.size() == 1u);
    BOOST_TEST((events[0].kind == EventKind::new_release));
    BOOST_TEST(events[0].source == "shelf");
    BOOST_TEST(events[0].version.value_or("") == "2.0");
    // Its prepare() saw what the engine knew before each poll: no baseline, then one; and
    // the interval it derived for the subscription.
    BOOST_REQUIRE(shelf.seen.size() == 2u);
    BOOST_TEST(shelf.seen[0].second == "no");
    BOOST_TEST(shelf.seen[1].second == "yes");
    BOOST_TEST(shelf.intervals[1] == "900");

    // The cells `check` and `status` take from it.
    auto const stored = store.subscription(ids[0]);
    SubscriptionView const view{stored->sub,        stored->active,       stored->last_status,
                                stored->last_error, stored->source_state, stored->last_poll,
                                stored->next_due};
    BOOST_TEST(source->check_column().value_or("") == "SHELF");
    auto const cell = source->check_cell(requirement("demo"), &view, now);
    BOOST_TEST(cell.cell == "3 on the shelf");
    JsonWriter w;
    cell.json(w);
    BOOST_TEST(w.str() == "\"3 on the shelf\"");
    BOOST_TEST(source->status_table()->counted == "shelves");
    BOOST_TEST(source->status_row(view, now) ==
               (std::vector<std::string>{"demo", "3 on the shelf"}));
}

BOOST_AUTO_TEST_CASE(the_engine_reads_requirements_from_a_file_host_it_never_heard_of) {
    Shelf shelf;
    shelf.set("/shelf/files/team/requirements.txt", "SHELF-FILE\nrequests==2.31.0\n-r base.txt\n");
    shelf.set("/shelf/files/team/base.txt", "SHELF-FILE\nflask==3.0.0\n");
    shelf.set("/shelf/files/team/plain.txt", "attrs==23.1\n");
    auto const entry = shelf_entry();
    // What source_entries() does for every source compiled in: config learns its spec.
    BOOST_REQUIRE(!config::is_remote_file("shelf:team/requirements.txt"));
    config::add_file_spec(*entry.file_spec);
    BOOST_TEST(config::is_remote_file("shelf:team/requirements.txt"));
    BOOST_TEST(*config::remote_file_name("shelf:team/./requirements.txt") ==
               "shelf:team/requirements.txt");

    // A config names its files; a bad one is told the host's shape.
    auto const tables = shelf_tables();
    auto const text = "requirements = [\"shelf:team/requirements.txt\", \"shelf:team/plain.txt\", "
                      "\"shelf:team/missing.txt\"]\n[shelf]\nurl = \"" +
                      shelf.server.url("/shelf/") + "\"\n";
    auto cfg = config::parse_config(text, "/p.toml", tables);
    BOOST_REQUIRE(cfg);
    BOOST_TEST(cfg->requirements[0] == "shelf:team/requirements.txt"); // kept as written
    auto bad = config::parse_config("requirements = [\"shelf:..\"]\n", "/p.toml", tables);
    BOOST_REQUIRE(!bad);
    BOOST_TEST(bad.error()[0].str() == "/p.toml:1: requirements[0]: expected shelf:PATH");

    // The engine's remote files fetch through the host the entry built from the config.
    SourceSetup setup;
    setup.config = &*cfg;
    boost::asio::io_context io;
    net::Client client(io.get_executor(), net::ClientOptions{});
    RemoteFilesOptions ro;
    ro.hosts = {entry.file_host(setup)};
    RemoteFiles remote(client, ro, cfg->requirements, nullptr);
    LoadOptions load;
    load.requirements = cfg->requirements;
    load.index_url = "https://pypi.example/simple/";
    load.read_remote = remote.reader();
    bool changed = false;
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> { changed = co_await remote.refresh(load, 1000); },
        [&](std::exception_ptr ep) {
            if (ep) std::rethrow_exception(ep);
            io.stop();
        });
    io.run();
    BOOST_TEST(changed);

    // Its request carried its header; its body() took its wrapping off; its include was
    // joined by its grammar; its explain() worded the 404; an unwrapped answer is refused by
    // its body().
    auto const loaded = load_requirements(load);
    std::set<std::string> got;
    for (auto const& sub : loaded.subscriptions)
        got.insert(sub.name + "@" + sub.file);
    BOOST_TEST((got == std::set<std::string>{"requests@shelf:team/requirements.txt",
                                             "flask@shelf:team/base.txt"}));
    BOOST_REQUIRE(shelf.keys.size() == 4u);
    for (auto const& k : shelf.keys)
        BOOST_TEST(k == "file-reader");
    BOOST_TEST(!remote.read("shelf:team/plain.txt"));
    BOOST_TEST(remote.read("shelf:team/plain.txt").error() ==
               "cannot be fetched: not a shelf file");
    BOOST_TEST(remote.read("shelf:team/missing.txt").error() ==
               "cannot be fetched: http 404 (not on the shelf)");
    BOOST_TEST(remote.stats().fetched == 2u);
    BOOST_TEST(remote.stats().failed == 2u);

    // A command built without the host knows the spec but asks no one (nor fetches the spec
    // as a URL): the file cannot be fetched, and says so.
    auto const asked = shelf.keys.size();
    RemoteFiles hostless(client, RemoteFilesOptions{}, cfg->requirements, nullptr);
    load.read_remote = hostless.reader();
    io.restart();
    boost::asio::co_spawn(
        io, [&]() -> boost::asio::awaitable<void> { co_await hostless.refresh(load, 1000); },
        [&](std::exception_ptr ep) {
            if (ep) std::rethrow_exception(ep);
            io.stop();
        });
    io.run();
    BOOST_TEST(hostless.read("shelf:team/requirements.txt").error() ==
               "cannot be fetched: no file host here fetches such files");
    BOOST_TEST(hostless.stats().requests == 0u);
    BOOST_TEST(shelf.keys.size() == asked);
}
