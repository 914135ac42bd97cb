// A source the engine has never heard of, and that is not compiled into the binary: "shelf", a
// plain-text list of versions per package on a test server. Its [shelf] table is read by its own
// reader through the config's owned tables; it derives one subscription per PyPI requirement;
// the registry, scheduler, poller, diff and store run it; what it asks in a poll comes from its
// own prepare(); and its `check` cell and `status` row come through the generic Source hooks.
// Nothing in watcher/ or cli/ names it.
#define BOOST_TEST_MODULE fake_source
#include <boost/test/unit_test.hpp>

#include "config/reader.hpp"
#include "tests/fakes/test_server.hpp"
#include "watcher/scheduler.hpp"
#include "watcher/sources/registry.hpp"

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

// Versions per package, changeable between polls; the headers of every request.
struct Shelf {
    std::mutex mutex;
    std::map<std::string, std::string> lists;
    std::vector<std::pair<std::string, std::string>> seen; // path, X-Shelf-Baseline
    std::vector<std::string> intervals;                    // X-Shelf-Interval
    TestServer server{[this](TestRequest const& r) {
        std::lock_guard lock(mutex);
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
