#define BOOST_TEST_MODULE dispatcher
#include <boost/test/unit_test.hpp>

#include "watcher/dispatcher.hpp"
#include "watcher/sources/pypi/pypi.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

using namespace pinwatch;
using namespace pinwatch::watcher;
using S = notifiers::Delivery::Status;

namespace {

// A notifier that answers from a script and remembers what it was given. With `hold` set it
// waits on a timer until the test releases it (a receiver that hangs).
class ScriptedNotifier : public notifiers::Notifier {
  public:
    ScriptedNotifier(std::string name, std::vector<notifiers::Delivery> script)
        : name_(std::move(name)), script_(std::move(script)) {}
    std::string_view name() const noexcept override { return name_; }
    boost::asio::awaitable<notifiers::Delivery> deliver(std::span<Event const> events) override {
        ++calls;
        for (auto const& e : events)
            seen.push_back(e);
        if (hold) {
            co_await hold->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        }
        auto d = script_.empty() ? notifiers::Delivery{} : script_.front();
        if (!script_.empty()) script_.erase(script_.begin());
        co_return d;
    }
    std::vector<Event> seen;
    int calls = 0;
    boost::asio::steady_timer* hold = nullptr;

  private:
    std::string name_;
    std::vector<notifiers::Delivery> script_;
};

struct Rig {
    boost::asio::io_context io;
    StateStore store{":memory:"};
    std::unique_ptr<Dispatcher> d;
    std::vector<ScriptedNotifier*> n;

    using Scripts = std::vector<std::pair<std::string, std::vector<notifiers::Delivery>>>;
    Rig(Scripts scripts, DispatcherOptions options = quiet(), std::vector<Route> routes = {},
        std::vector<std::chrono::seconds> windows = {}) {
        build(std::move(scripts), options, std::move(routes), {}, std::move(windows));
    }
    // A new dispatcher with new notifiers on the same state file: what a reload does.
    // `fingerprints` stand for where each notifier delivers (its URL).
    void build(Scripts scripts, DispatcherOptions options = quiet(), std::vector<Route> routes = {},
               std::vector<std::string> fingerprints = {},
               std::vector<std::chrono::seconds> windows = {}) {
        d.reset();
        n.clear();
        std::vector<Dispatcher::Channel> list;
        for (std::size_t i = 0; i < scripts.size(); ++i) {
            auto notifier = std::make_unique<ScriptedNotifier>(scripts[i].first, scripts[i].second);
            n.push_back(notifier.get());
            Route r = i < routes.size() ? routes[i] : Route{};
            list.push_back({std::move(notifier), r, std::nullopt,
                            i < fingerprints.size() ? fingerprints[i] : "",
                            i < windows.size() ? windows[i] : std::chrono::seconds(0)});
        }
        d = std::make_unique<Dispatcher>(io.get_executor(), store, std::move(list), options);
        store.set_routes(d->router().routes());
    }
    static DispatcherOptions quiet() {
        DispatcherOptions o;
        o.retry.jitter = 0; // exact backoff figures in the assertions
        return o;
    }
    DispatchStats run(UnixTime now) {
        DispatchStats stats;
        bool done = false;
        boost::asio::co_spawn(io, d->run_once(now), [&](std::exception_ptr ep, DispatchStats s) {
            if (ep) std::rethrow_exception(ep);
            stats = s;
            done = true;
        });
        io.restart();
        while (!done)
            io.run_one();
        return stats;
    }
    // An event for `package`, routed by the dispatcher's own routes.
    void add_event(std::string package, std::string version, UnixTime now,
                   EventKind kind = EventKind::new_release, UpdateType update = UpdateType::minor) {
        auto const id =
            store.upsert_subscription(pypi_subscription("https://pypi.org/simple/", package), now);
        StateUpdate u;
        u.subscription_id = id;
        u.now = now;
        u.status = PollStatus::ok;
        u.baseline_done = true;
        Event e;
        e.kind = kind;
        e.package = package;
        e.version = std::move(version);
        e.update = update;
        e.at = now;
        u.events.push_back(e);
        u.recipients.push_back(d->router().recipients(e, now));
        store.apply(u);
    }
};

} // namespace

BOOST_AUTO_TEST_CASE(delivers_once_retries_with_backoff_and_gives_up_on_permanent_failure) {
    Rig rig({{"scripted",
              {{S::retry, "http 503", std::nullopt},
               {S::delivered, "", std::nullopt},
               {S::failed, "http 404", std::nullopt}}}});
    auto* n = rig.n[0];
    rig.add_event("demo", "1.0", 100);
    auto first = rig.run(100);
    BOOST_TEST(first.retried == 1u);
    BOOST_TEST(rig.run(110).delivered == 0u); // backoff: not yet due
    BOOST_TEST(rig.d->next_due().value() == 130);
    auto second = rig.run(100 + 30);
    BOOST_TEST(second.delivered == 1u);
    BOOST_REQUIRE(n->seen.size() == 2u);
    BOOST_TEST(n->seen[0].id == n->seen[1].id); // the retry carries the same event id
    BOOST_TEST(rig.run(1000).delivered == 0u);  // delivered means never again

    rig.add_event("demo", "1.1", 2000);
    auto third = rig.run(2000);
    BOOST_TEST(third.failed == 1u);
    BOOST_TEST(rig.run(100000).failed == 0u);
    BOOST_TEST(Outbox(rig.store).counts().failed == 1);
    BOOST_TEST(Outbox(rig.store).counts().delivered == 1);
}

BOOST_AUTO_TEST_CASE(retry_after_wins_when_longer_than_the_backoff) {
    Rig rig({{"slack", {{S::retry, "http 429", std::chrono::seconds(600)}}}});
    rig.add_event("demo", "1.0", 100);
    rig.run(100);
    BOOST_TEST(rig.d->next_due().value() == 700);
}

BOOST_AUTO_TEST_CASE(a_hanging_notifier_does_not_delay_another) {
    Rig rig({{"slow", {}}, {"fast", {}}});
    boost::asio::steady_timer hold(rig.io, std::chrono::hours(1));
    rig.n[0]->hold = &hold;
    rig.add_event("demo", "1.0", 100);
    int idle_calls = 0;
    rig.d->on_idle = [&] { ++idle_calls; };
    rig.d->kick(100);
    rig.io.restart();
    while (idle_calls < 1)
        rig.io.run_one(); // "fast" finishes while "slow" still hangs
    BOOST_TEST(rig.n[1]->seen.size() == 1u);
    BOOST_TEST(!rig.d->idle());
    auto by = Outbox(rig.store).by_notifier();
    BOOST_REQUIRE(by.size() == 2u);
    BOOST_TEST(by[0].notifier == "fast");
    BOOST_TEST(by[0].counts.delivered == 1);
    BOOST_TEST(by[1].counts.pending == 1);
    hold.cancel();
    while (idle_calls < 2)
        rig.io.run_one();
    BOOST_TEST(rig.d->idle());
    BOOST_TEST(Outbox(rig.store).counts().delivered == 2);
}

BOOST_AUTO_TEST_CASE(a_receiver_that_is_gone_disables_its_notifier_and_the_others_hear_of_it) {
    notifiers::Delivery gone{S::failed, "http 404 no_service", std::nullopt, true};
    Rig rig({{"slack", {gone}}, {"mail", {}}});
    rig.add_event("demo", "1.0", 100);
    rig.run(100);
    BOOST_TEST((rig.d->disabled() == std::vector<std::string>{"slack"}));
    rig.add_event("demo", "1.1", 200);
    rig.run(200);
    BOOST_TEST(rig.n[0]->calls == 1); // not used again
    // mail got both releases and the notice about slack.
    auto const& mail = rig.n[1]->seen;
    BOOST_REQUIRE(mail.size() == 3u);
    bool told = false;
    for (auto const& e : mail)
        told = told || (e.kind == EventKind::notifier_disabled && e.package == "slack" &&
                        e.detail.find("no_service") != std::string::npos);
    BOOST_TEST(told);
}

BOOST_AUTO_TEST_CASE(items_past_their_age_are_given_up) {
    Rig rig({{"slack", {{S::retry, "http 500", std::nullopt}}}});
    rig.add_event("demo", "1.0", 100);
    rig.run(100);
    auto const stats = rig.run(100 + 3 * 86400 + 1); // default max age: 3 days
    BOOST_TEST(stats.expired == 1u);
    BOOST_TEST(Outbox(rig.store).counts().dead == 1);
    BOOST_TEST(rig.n[0]->calls == 1);
    BOOST_TEST(!rig.d->next_due().has_value());
}

BOOST_AUTO_TEST_CASE(routes_and_digests_decide_who_and_when) {
    Route majors;
    majors.update_types = {UpdateType::major};
    Route digest;
    digest.digest = parse_digest("hourly");
    Rig rig({{"majors", {}}, {"digest", {}}, {"all", {}}}, Rig::quiet(), {majors, digest, Route{}});
    UnixTime const now = 1'700'000'123; // not on an hour boundary
    Event minor;
    minor.kind = EventKind::new_release;
    minor.package = "demo";
    minor.update = UpdateType::minor;
    auto const targets = rig.d->router().recipients(minor, now);
    BOOST_REQUIRE(targets.size() == 2u);
    BOOST_TEST(targets[0].notifier == "digest");
    BOOST_TEST(targets[0].due > now);
    BOOST_TEST(targets[0].due - now <= 3600);
    BOOST_TEST(targets[0].due % 60 == 0);
    BOOST_TEST(targets[1].notifier == "all");
    BOOST_TEST(targets[1].due == now);
    // An urgent event skips the digest's wait.
    Event yank;
    yank.kind = EventKind::pinned_yanked;
    yank.package = "demo";
    auto const urgent = rig.d->router().recipients(yank, now);
    BOOST_REQUIRE(urgent.size() == 3u);
    BOOST_TEST(urgent[1].due == now);

    // The digest sends many events in one message when its time comes.
    for (int i = 0; i < 5; ++i)
        rig.add_event("pkg" + std::to_string(4 - i), "1." + std::to_string(i), now);
    rig.run(now);
    BOOST_TEST(rig.n[1]->calls == 0);
    rig.run(targets[0].due);
    BOOST_TEST(rig.n[1]->calls == 1);
    BOOST_REQUIRE(rig.n[1]->seen.size() == 5u);
    BOOST_TEST(rig.n[1]->seen[0].package == "pkg0"); // grouped by package
}

BOOST_AUTO_TEST_CASE(once_mode_waits_out_a_short_retry_after) {
    auto options = Rig::quiet();
    options.wait_out_retries = true;
    Rig rig({{"slack",
              {{S::retry, "http 429", std::chrono::seconds(1)}, {S::delivered, "", std::nullopt}}}},
            options);
    rig.add_event("demo", "1.0", 100);
    auto const stats = rig.run(100);
    BOOST_TEST(stats.delivered == 1u);
    BOOST_TEST(stats.retried == 0u); // waited out and delivered: nothing is left undelivered
    BOOST_TEST(rig.n[0]->calls == 2);
    BOOST_TEST(Outbox(rig.store).counts().pending == 0);
}

BOOST_AUTO_TEST_CASE(once_mode_counts_a_waited_out_retry_that_fails_again) {
    auto options = Rig::quiet();
    options.wait_out_retries = true;
    Rig rig(
        {{"slack",
          {{S::retry, "http 429", std::chrono::seconds(1)}, {S::retry, "http 503", std::nullopt}}}},
        options);
    rig.add_event("demo", "1.0", 100);
    auto const stats = rig.run(100);
    BOOST_TEST(stats.delivered == 0u);
    BOOST_TEST(stats.retried == 1u); // one item, left for a later run
    BOOST_TEST(rig.n[0]->calls == 2);
    BOOST_TEST(Outbox(rig.store).counts().pending == 1);
}

// Issue #20, defect 1: one refused event does not fail its batch. Each event is recorded by
// its own outcome: the delivered as delivered, the refused one as failed, the unsent pending.
BOOST_AUTO_TEST_CASE(each_event_is_recorded_by_its_own_outcome) {
    notifiers::Delivery partly{S::retry, "HTTP 503 on the fifth", std::nullopt};
    partly.outcomes = {S::delivered, S::delivered, S::delivered, S::failed,
                       S::retry,     S::retry,     S::retry,     S::retry};
    Rig rig({{"hook", {partly}}});
    for (int i = 0; i < 8; ++i)
        rig.add_event("pkg" + std::to_string(i), "1.0", 100);
    auto const first = rig.run(100);
    BOOST_TEST(first.delivered == 3u);
    BOOST_TEST(first.failed == 1u);
    BOOST_TEST(first.retried == 4u);
    auto c = Outbox(rig.store).counts();
    BOOST_TEST(c.delivered == 3);
    BOOST_TEST(c.failed == 1);
    BOOST_TEST(c.pending == 4);
    // The four unsent go at the retry, and only they.
    auto const due = rig.d->next_due().value();
    auto const second = rig.run(due);
    BOOST_TEST(second.delivered == 4u);
    BOOST_REQUIRE(rig.n[0]->seen.size() == 12u);
    BOOST_TEST(rig.n[0]->seen[8].id == rig.n[0]->seen[4].id);
    c = Outbox(rig.store).counts();
    BOOST_TEST(c.delivered == 7);
    BOOST_TEST(c.failed == 1);
    BOOST_TEST(c.pending == 0);
}

// Only refusals and deliveries in a batch: the refused are given up, the rest of the queue goes
// on in the same run.
BOOST_AUTO_TEST_CASE(a_refusal_does_not_stop_the_queue) {
    notifiers::Delivery refused{S::failed, "HTTP 400", std::nullopt};
    refused.outcomes = {S::failed, S::delivered};
    auto options = Rig::quiet();
    options.batch = 2;
    Rig rig({{"hook", {refused}}}, options);
    for (int i = 0; i < 4; ++i)
        rig.add_event("pkg" + std::to_string(i), "1.0", 100);
    auto const stats = rig.run(100);
    BOOST_TEST(stats.failed == 1u);
    BOOST_TEST(stats.delivered == 3u);
    BOOST_TEST(rig.n[0]->calls == 2);
}

// Issue #20, item 8: a batch refused with 429 is retried as ONE batch at the server's
// Retry-After (jitter at most 10 % of it), not each event after its own backoff.
BOOST_AUTO_TEST_CASE(a_rate_limited_batch_is_retried_as_one_at_retry_after) {
    DispatcherOptions options; // the default jitter (20 % on the backoff)
    Rig rig({{"slack", {{S::retry, "HTTP 429", std::chrono::seconds(5)}}}}, options);
    for (int i = 0; i < 12; ++i)
        rig.add_event("pkg" + std::to_string(i), "1.0", 1000);
    rig.run(1000);
    BOOST_TEST(rig.n[0]->calls == 1);
    auto const due = rig.d->next_due().value();
    BOOST_TEST(due >= 1005);
    BOOST_TEST(due <= 1005); // 10 % of 5 s is under a second
    Outbox const outbox(rig.store);
    BOOST_TEST(outbox.pending("slack", due - 1).empty());
    BOOST_TEST(outbox.pending("slack", due).size() == 12u); // all due together
    auto const again = rig.run(due);
    BOOST_TEST(again.delivered == 12u);
    BOOST_TEST(rig.n[0]->calls == 2); // one batch, one call

    // A longer Retry-After: between it and 10 % more, still one time for the whole batch.
    Rig slow({{"slack", {{S::retry, "HTTP 429", std::chrono::seconds(600)}}}}, options);
    for (int i = 0; i < 12; ++i)
        slow.add_event("pkg" + std::to_string(i), "1.0", 1000);
    slow.run(1000);
    auto const later = slow.d->next_due().value();
    BOOST_TEST(later >= 1600);
    BOOST_TEST(later <= 1660);
    BOOST_TEST(Outbox(slow.store).pending("slack", later).size() == 12u);
}

// Issue #20, defect 6: max_age counts from when an item is due (its digest's send time), not
// from the event: a digest keeps what it holds.
BOOST_AUTO_TEST_CASE(a_digest_keeps_what_it_holds_past_max_age) {
    Route daily;
    daily.digest = parse_digest("daily 09:00");
    auto options = Rig::quiet();
    options.max_age = std::chrono::seconds(60);
    Rig rig({{"digest", {}}}, options, {daily});
    // Four releases two minutes before the digest's time.
    UnixTime const send = daily.digest->next_after(1'700'000'000);
    for (int i = 0; i < 4; ++i)
        rig.add_event("pkg" + std::to_string(i), "1.0", send - 120);
    BOOST_TEST(rig.d->next_due().value() == send);
    auto const stats = rig.run(send + 5);
    BOOST_TEST(stats.expired == 0u);
    BOOST_TEST(stats.delivered == 4u);
    BOOST_TEST(rig.n[0]->seen.size() == 4u);

    // Past max_age after the send time, an undelivered item is given up as before.
    Rig late({{"digest", {{S::retry, "HTTP 503", std::nullopt}}}}, options, {daily});
    late.add_event("demo", "1.0", send - 120);
    late.run(send);
    BOOST_TEST(late.run(send + 61).expired == 1u);

    // A weekly digest with the default max_age (3 days) keeps its whole week.
    Route weekly;
    weekly.digest = parse_digest("weekly mon 09:00");
    Rig week({{"weekly", {}}}, Rig::quiet(), {weekly});
    UnixTime const monday = weekly.digest->next_after(1'700'000'000);
    week.add_event("early", "1.0", monday + 3600); // just after one digest: waits a week
    UnixTime const next = weekly.digest->next_after(monday + 3600);
    BOOST_TEST(next - (monday + 3600) > 6 * 86400);
    auto const weekly_stats = week.run(next);
    BOOST_TEST(weekly_stats.expired == 0u);
    BOOST_TEST(weekly_stats.delivered == 1u);
}

// Issue #20, item 8: a channel disabled as gone (410, no_service) stays disabled across a
// reload (a new dispatcher on the same state file), unless its URL changed.
BOOST_AUTO_TEST_CASE(a_gone_channel_stays_disabled_across_a_reload_until_its_url_changes) {
    notifiers::Delivery gone{S::failed, "HTTP 410: gone", std::nullopt, true};
    Rig rig({{"hook", {gone}}, {"mail", {}}});
    rig.build({{"hook", {gone}}, {"mail", {}}}, Rig::quiet(), {}, {"url-1", "mail"});
    rig.add_event("demo", "1.0", 100);
    rig.run(100);
    BOOST_TEST((rig.d->disabled() == std::vector<std::string>{"hook"}));
    // Not refused: the event waits in case the URL is fixed.
    BOOST_TEST(Outbox(rig.store).counts().failed == 0);

    // A reload with the same URL: still disabled, not tried, nobody told again.
    rig.build({{"hook", {}}, {"mail", {}}}, Rig::quiet(), {}, {"url-1", "mail"});
    BOOST_TEST((rig.d->disabled() == std::vector<std::string>{"hook"}));
    rig.add_event("demo", "1.1", 200);
    rig.run(200);
    BOOST_TEST(rig.n[0]->calls == 0);
    std::size_t notices = 0;
    for (auto const& e : rig.store.events(100))
        notices += e.kind == EventKind::notifier_disabled;
    BOOST_TEST(notices == 1u);

    // A reload with another URL: enabled, and what waited goes out.
    rig.build({{"hook", {}}, {"mail", {}}}, Rig::quiet(), {}, {"url-2", "mail"});
    BOOST_TEST(rig.d->disabled().empty());
    auto const stats = rig.run(300);
    BOOST_TEST(rig.n[0]->seen.size() == 2u);
    BOOST_TEST(stats.delivered == 2u);
    BOOST_TEST(Outbox(rig.store).stops().empty());
}

// Issue #20, defect 2: refused credentials pause the channel, never the events; the others
// hear of it once; a reload with a fixed secret, or notify-test succeeding, sends them.
BOOST_AUTO_TEST_CASE(refused_credentials_pause_the_channel_and_keep_its_events) {
    notifiers::Delivery refused{S::retry, "smtp: 535 5.7.8 authentication failed", std::nullopt};
    refused.auth_failed = true;
    Rig rig({{"mail", {refused}}, {"slack", {}}});
    rig.add_event("demo", "1.0", 100);
    auto const stats = rig.run(100);
    BOOST_TEST(stats.failed == 0u);
    BOOST_TEST((rig.d->disabled() == std::vector<std::string>{"mail"}));
    auto const mail = Outbox(rig.store).by_notifier().at(0);
    BOOST_TEST(mail.notifier == "mail");
    BOOST_TEST(mail.counts.pending == 1);
    BOOST_TEST(mail.counts.failed == 0);
    auto const stops = Outbox(rig.store).stops();
    BOOST_REQUIRE(stops.size() == 1u);
    BOOST_TEST((stops[0].kind == NotifierStop::Kind::auth));
    BOOST_TEST(stops[0].reason.find("535") != std::string::npos);
    bool told = false;
    for (auto const& e : rig.n[1]->seen)
        told = told || (e.kind == EventKind::notifier_disabled && e.package == "mail");
    BOOST_TEST(told);
    rig.run(5000);
    BOOST_TEST(rig.n[0]->calls == 1); // paused: not tried again by this dispatcher

    // A reload with the password still wrong: tried once more, nobody told twice.
    rig.build({{"mail", {refused}}, {"slack", {}}});
    rig.run(6000);
    BOOST_TEST(rig.n[0]->calls == 1);
    std::size_t notices = 0;
    for (auto const& e : rig.store.events(100))
        notices += e.kind == EventKind::notifier_disabled;
    BOOST_TEST(notices == 1u);

    // `notify-test` succeeded with it (it clears the record): the waiting event goes out.
    Outbox(rig.store).clear_stop("mail");
    BOOST_TEST(rig.d->next_due().has_value());
    auto const resumed = rig.run(7000);
    BOOST_TEST(resumed.delivered == 1u);
    BOOST_TEST(rig.n[0]->calls == 2);
    BOOST_TEST(Outbox(rig.store).counts().pending == 0);

    // A reload with the fixed password after a refusal: delivered, the record cleared.
    rig.add_event("demo", "1.1", 8000);
    rig.build({{"mail", {refused}}, {"slack", {}}});
    rig.run(8000);
    BOOST_TEST(Outbox(rig.store).stops().size() == 1u);
    rig.build({{"mail", {}}, {"slack", {}}});
    BOOST_TEST(rig.run(8100).delivered >= 1u);
    BOOST_TEST(rig.n[0]->seen.size() == 1u);
    BOOST_TEST(rig.n[0]->seen[0].version.value_or("") == "1.1");
    BOOST_TEST(Outbox(rig.store).stops().empty());
}

BOOST_AUTO_TEST_CASE(digest_schedules) {
    BOOST_TEST(parse_digest("hourly").has_value());
    BOOST_TEST(parse_digest("daily 09:00")->str() == "daily 09:00");
    BOOST_TEST(parse_digest("weekly mon 09:30")->str() == "weekly mon 09:30");
    BOOST_TEST(!parse_digest("daily 9:00").has_value());
    BOOST_TEST(!parse_digest("weekly funday 09:00").has_value());
    BOOST_TEST(!parse_digest("daily 24:00").has_value());
    BOOST_TEST(!parse_digest("every minute").has_value());
    auto const weekly = *parse_digest("weekly wed 10:15");
    UnixTime const now = 1'700'000'000;
    auto const next = weekly.next_after(now);
    BOOST_TEST(next > now);
    BOOST_TEST(next - now <= 7 * 86400);
    std::time_t const t = next;
    std::tm tm{};
    localtime_r(&t, &tm);
    BOOST_TEST(tm.tm_wday == 3);
    BOOST_TEST(tm.tm_hour == 10);
    BOOST_TEST(tm.tm_min == 15);
    BOOST_TEST(weekly.next_after(next) - next >= 6 * 86400); // the week after, not the same minute
}

// #16: an event naming several projects goes to the union of their notifiers, once each; a
// notifier's own filters judge each project's view of it (a major for one pin, a patch for
// another); a project without `notifiers` reaches every notifier.
BOOST_AUTO_TEST_CASE(an_event_goes_to_the_union_of_its_projects_notifiers) {
    Route api{"api-slack", {}, {}, {}, std::nullopt};
    Route worker{"worker-majors", {}, {}, {UpdateType::major}, std::nullopt};
    Route audit{"audit", {}, {}, {}, std::nullopt};
    Router router({api, worker, audit});
    router.set_projects({{"api", std::set<std::string>{"api-slack"}},
                         {"worker", std::set<std::string>{"worker-majors", "audit"}}});
    Event e;
    e.kind = EventKind::new_release;
    e.package = "requests";
    e.version = "3.0.0";
    e.update = UpdateType::patch; // the first project's view
    e.projects = {{"api", "2.99.0", "==2.99.0", "a.txt", true, UpdateType::patch, false},
                  {"worker", "2.0.0", "==2.0.0", "w.txt", true, UpdateType::major, false}};
    auto names = [&](Event const& ev) {
        std::set<std::string> out;
        auto const targets = router.recipients(ev, 100);
        for (auto const& t : targets)
            out.insert(t.notifier);
        BOOST_TEST(out.size() == targets.size()); // one row per notifier
        return out;
    };
    BOOST_TEST((names(e) == std::set<std::string>{"api-slack", "worker-majors", "audit"}));
    // Only api's pin: worker's notifiers are not reached.
    Event only_api = e;
    only_api.projects.resize(1);
    BOOST_TEST((names(only_api) == std::set<std::string>{"api-slack"}));
    // worker's view is a patch: its majors-only notifier lets it pass by.
    Event patch = e;
    patch.projects[1].update = UpdateType::patch;
    BOOST_TEST((names(patch) == std::set<std::string>{"api-slack", "audit"}));
    // A project the router was not told of (or "default" without `notifiers`): every notifier.
    Event other = e;
    other.projects = {{"default", std::nullopt, "", "r.txt", std::nullopt, UpdateType::major, {}}};
    BOOST_TEST((names(other) == std::set<std::string>{"api-slack", "worker-majors", "audit"}));
    // An event naming no project at all (a notifier disabled): as before, every route.
    Event none = e;
    none.projects.clear();
    none.update = UpdateType::major;
    BOOST_TEST(names(none).size() == 3u);
}
BOOST_AUTO_TEST_CASE(a_quarantine_skips_a_digest_and_other_project_statuses_wait_for_it) {
    Route digest;
    digest.digest = parse_digest("hourly");
    Rig rig({{"digest", {}}}, Rig::quiet(), {digest});
    UnixTime const now = 1'700'000'123;
    Event e;
    e.kind = EventKind::project_status;
    e.package = "demo";
    e.project_status = ProjectStatus{"quarantined", "malware"};
    auto const urgent = rig.d->router().recipients(e, now);
    BOOST_REQUIRE(urgent.size() == 1u);
    BOOST_TEST(urgent[0].due == now);
    for (auto const* status : {"archived", "deprecated", "active"}) {
        e.project_status = ProjectStatus{status, std::nullopt};
        auto const later = rig.d->router().recipients(e, now);
        BOOST_REQUIRE(later.size() == 1u);
        BOOST_TEST(later[0].due > now, status);
    }
}

// --- batch windows ---------------------------------------------------------------------------

namespace {
constexpr std::chrono::seconds kMinute{60};
}

BOOST_AUTO_TEST_CASE(a_held_batch_goes_out_as_one_when_the_window_from_the_first_event_ends) {
    Rig rig({{"slack", {}}}, Rig::quiet(), {}, {kMinute});
    auto* n = rig.n[0];
    rig.add_event("requests", "2.32.0", 100);
    BOOST_TEST(rig.run(100).delivered == 0u);
    BOOST_TEST(n->calls == 0);
    rig.add_event("urllib3", "2.2.2", 130);
    rig.add_event("idna", "3.7", 150);
    // The window counts from the first event waiting, not the last.
    BOOST_TEST(rig.d->next_due().value() == 160);
    BOOST_TEST(rig.run(159).delivered == 0u);
    BOOST_TEST(n->calls == 0);
    BOOST_TEST(rig.run(160).delivered == 3u);
    BOOST_TEST(n->calls == 1); // one message for all three
    BOOST_TEST(n->seen.size() == 3u);
    BOOST_TEST(rig.run(1000).delivered == 0u);
    BOOST_TEST(n->calls == 1);
    BOOST_TEST(!rig.d->next_due().has_value());
}

BOOST_AUTO_TEST_CASE(an_urgent_event_cuts_the_wait_to_ten_seconds) {
    Rig rig({{"slack", {}}}, Rig::quiet(), {}, {kMinute});
    auto* n = rig.n[0];
    rig.add_event("requests", "2.32.0", 100);
    rig.add_event("urllib3", "1.26.5", 130, EventKind::vulnerability, UpdateType::none);
    BOOST_TEST(rig.d->next_due().value() == 140); // not 160
    BOOST_TEST(rig.run(139).delivered == 0u);
    BOOST_TEST(rig.run(140).delivered == 2u);
    BOOST_TEST(n->calls == 1);
    // A yanked pin and a withdrawn advisory are urgent too.
    rig.add_event("idna", "3.6", 500, EventKind::pinned_yanked, UpdateType::none);
    BOOST_TEST(rig.d->next_due().value() == 510);
    rig.add_event("certifi", "2024.2.2", 505, EventKind::vulnerability_withdrawn, UpdateType::none);
    BOOST_TEST(rig.d->next_due().value() == 510);
    BOOST_TEST(rig.run(510).delivered == 2u);
    BOOST_TEST(n->calls == 2);
}

BOOST_AUTO_TEST_CASE(a_channel_without_a_window_is_not_held) {
    // The webhook (and the console) take each event at once while Slack gathers.
    Rig rig({{"slack", {}}, {"webhook", {}}}, Rig::quiet(), {}, {kMinute, std::chrono::seconds(0)});
    rig.add_event("requests", "2.32.0", 100);
    rig.add_event("urllib3", "2.2.2", 101);
    rig.run(100);
    BOOST_TEST(rig.n[0]->calls == 0);
    BOOST_TEST(rig.n[1]->calls == 1);
    BOOST_TEST(rig.n[1]->seen.size() == 1u);
    rig.run(101);
    BOOST_TEST(rig.n[0]->calls == 0);
    BOOST_TEST(rig.n[1]->seen.size() == 2u);
    BOOST_TEST(rig.d->next_due().value() == 160);
    rig.run(160);
    BOOST_TEST(rig.n[0]->calls == 1);
    BOOST_TEST(rig.n[0]->seen.size() == 2u);
}

BOOST_AUTO_TEST_CASE(run_once_does_not_hold) {
    auto options = Rig::quiet();
    options.hold = false; // what `run --once` sets
    Rig rig({{"slack", {}}}, options, {}, {kMinute});
    rig.add_event("requests", "2.32.0", 100);
    rig.add_event("urllib3", "2.2.2", 100);
    BOOST_TEST(rig.d->next_due().value() == 100);
    BOOST_TEST(rig.run(100).delivered == 2u);
    BOOST_TEST(rig.n[0]->calls == 1);
}

BOOST_AUTO_TEST_CASE(a_hold_survives_a_restart_counted_from_the_stored_time) {
    Rig rig({{"slack", {}}}, Rig::quiet(), {}, {kMinute});
    rig.add_event("requests", "2.32.0", 100);
    BOOST_TEST(rig.run(100).delivered == 0u);
    // A restart (a new dispatcher on the same state file) 30 s later: the window still ends
    // 60 s after the event fell due, not 60 s after the restart.
    rig.build({{"slack", {}}}, Rig::quiet(), {}, {}, {kMinute});
    BOOST_TEST(rig.d->next_due().value() == 160);
    BOOST_TEST(rig.run(130).delivered == 0u);
    rig.add_event("urllib3", "2.2.2", 140);
    BOOST_TEST(rig.d->next_due().value() == 160);
    rig.build({{"slack", {}}}, Rig::quiet(), {}, {}, {kMinute});
    BOOST_TEST(rig.run(160).delivered == 2u);
    BOOST_TEST(rig.n[0]->calls == 1);
    // Nothing twice.
    rig.build({{"slack", {}}}, Rig::quiet(), {}, {}, {kMinute});
    BOOST_TEST(rig.run(1000).delivered == 0u);
    BOOST_TEST(rig.n[0]->calls == 0);
    BOOST_TEST(Outbox(rig.store).counts().delivered == 2);
}

BOOST_AUTO_TEST_CASE(a_retry_of_a_held_batch_goes_at_its_retry_time) {
    Rig rig({{"slack", {{S::retry, "http 503", std::nullopt}, {S::delivered, "", std::nullopt}}}},
            Rig::quiet(), {}, {kMinute});
    rig.add_event("requests", "2.32.0", 100);
    BOOST_TEST(rig.run(160).retried == 1u);
    // Backoff 30 s, not another window.
    BOOST_TEST(rig.d->next_due().value() == 190);
    BOOST_TEST(rig.run(190).delivered == 1u);
}
