#define BOOST_TEST_MODULE dispatcher
#include <boost/test/unit_test.hpp>

#include "watcher/dispatcher.hpp"
#include "watcher/sources/pypi.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

using namespace pinwatch;
using namespace pinwatch::watcher;

namespace {

// A notifier that answers from a script and remembers what it was given.
class ScriptedNotifier : public notifiers::Notifier {
  public:
    explicit ScriptedNotifier(std::vector<notifiers::Delivery> script)
        : script_(std::move(script)) {}
    std::string_view name() const noexcept override { return "scripted"; }
    boost::asio::awaitable<notifiers::Delivery> deliver(std::span<Event const> events) override {
        for (auto const& e : events)
            seen.push_back(e.id);
        auto d = script_.empty() ? notifiers::Delivery{} : script_.front();
        if (!script_.empty()) script_.erase(script_.begin());
        co_return d;
    }
    std::vector<std::string> seen;

  private:
    std::vector<notifiers::Delivery> script_;
};

DispatchStats run(Dispatcher& d, UnixTime now) {
    boost::asio::io_context io;
    DispatchStats stats;
    boost::asio::co_spawn(io, d.run_once(now), [&](std::exception_ptr ep, DispatchStats s) {
        if (ep) std::rethrow_exception(ep);
        stats = s;
    });
    io.run();
    return stats;
}

void add_event(StateStore& store, std::string version, UnixTime now) {
    Subscription s = pypi_subscription("https://pypi.org/simple/", "demo");
    auto const id = store.upsert_subscription(s, now);
    StateUpdate u;
    u.subscription_id = id;
    u.now = now;
    u.status = PollStatus::ok;
    u.baseline_done = true;
    Event e;
    e.kind = EventKind::new_release;
    e.package = "demo";
    e.version = std::move(version);
    e.at = now;
    u.events.push_back(e);
    u.recipients.push_back({"scripted"});
    store.apply(u);
}

} // namespace

BOOST_AUTO_TEST_CASE(delivers_once_retries_with_backoff_and_gives_up_on_permanent_failure) {
    using S = notifiers::Delivery::Status;
    StateStore store(":memory:");
    auto notifier = std::make_unique<ScriptedNotifier>(
        std::vector<notifiers::Delivery>{{S::retry, "http 503", std::nullopt},
                                         {S::delivered, "", std::nullopt},
                                         {S::failed, "http 404", std::nullopt}});
    auto* n = notifier.get();
    std::vector<Dispatcher::Channel> list;
    list.push_back({std::move(notifier), Route{}});
    Dispatcher d(store, std::move(list));
    store.set_routes(d.router().routes());

    add_event(store, "1.0", 100);
    auto first = run(d, 100);
    BOOST_TEST(first.retried == 1u);
    BOOST_TEST(run(d, 110).delivered == 0u); // backoff: not yet due
    auto second = run(d, 100 + 30);
    BOOST_TEST(second.delivered == 1u);
    BOOST_TEST(n->seen.size() == 2u);
    BOOST_TEST(n->seen[0] == n->seen[1]);     // the retry carries the same event id
    BOOST_TEST(run(d, 1000).delivered == 0u); // delivered means never again

    add_event(store, "1.1", 2000);
    auto third = run(d, 2000);
    BOOST_TEST(third.failed == 1u);
    BOOST_TEST(run(d, 100000).failed == 0u);
    BOOST_TEST(Outbox(store).counts().failed == 1);
    BOOST_TEST(Outbox(store).counts().delivered == 1);
}
