#define BOOST_TEST_MODULE advisories
#include <boost/test/unit_test.hpp>

#include "tests/fakes/fake_osv.hpp"
#include "watcher/advisories.hpp"
#include "watcher/sources/osv/osv.hpp"
#include "watcher/sources/pypi/pypi.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

using namespace pinwatch;
using namespace pinwatch::watcher;
using pinwatch::test::FakeOsv;
using pinwatch::test::FakeVuln;

namespace {

struct Rig {
    FakeOsv osv;
    StateStore store{":memory:"};
    boost::asio::io_context io;
    net::Client client{io.get_executor(), net::ClientOptions{}};
    OsvSource source{osv.url()};
    PrivateNames private_names;
    UnixTime now = 1000;

    std::int64_t pin(std::string const& name, std::string const& version,
                     std::string const& index = "https://pkgs.example/simple/") {
        auto s = pypi_subscription(index, name);
        s.specifier = "==" + version;
        s.pinned = version;
        return store.upsert_subscription(s, now);
    }
    AdvisoryRoundResult round() {
        std::vector<StoredSubscription> subs = store.subscriptions();
        AdvisoryRoundResult out;
        bool done = false;
        boost::asio::co_spawn(
            io,
            read_advisories(client, store, source, private_names, std::move(subs), Router(), now),
            [&](std::exception_ptr ep, AdvisoryRoundResult r) {
                if (ep) std::rethrow_exception(ep);
                out = std::move(r);
                done = true;
            });
        io.restart();
        while (!done)
            io.run_one();
        return out;
    }
    VulnerabilityState vulns(std::int64_t id) { return store.subscription(id)->vulns; }
    std::vector<Event> events_of(EventKind k) {
        std::vector<Event> out;
        for (auto const& e : store.events(1000))
            if (e.kind == k) out.push_back(e);
        return out;
    }
};

FakeVuln vuln(std::string id, std::string package, std::vector<std::string> versions) {
    FakeVuln v;
    v.id = std::move(id);
    v.package = std::move(package);
    v.versions = std::move(versions);
    v.summary = "bad thing in " + v.package;
    v.aliases = {"CVE-2026-" + v.id.substr(v.id.size() - 1)};
    return v;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_thousand_pins_cost_one_batch_and_a_quiet_round_one_request) {
    Rig rig;
    for (int i = 0; i < 1001; ++i)
        rig.pin("pkg-" + std::to_string(i), "1.0");
    auto bad = vuln("PYSEC-2026-1", "pkg-7", {"1.0"});
    bad.events = {{"introduced", "0"}, {"fixed", "1.1"}};
    rig.osv.add(bad);
    auto first = rig.round();
    // 1,001 pins: two batches (the fake refuses a 1,001st query in one, as OSV does).
    BOOST_TEST(first.pins == 1001u);
    BOOST_TEST(first.batches == 2u);
    BOOST_TEST(rig.osv.stats().rejected == 0u);
    BOOST_TEST(first.records == 1u);
    BOOST_TEST(!first.error);
    auto const told = rig.events_of(EventKind::vulnerability);
    BOOST_TEST_REQUIRE(told.size() == 1u);
    BOOST_TEST(told[0].package == "pkg-7");
    BOOST_TEST(told[0].advisory->id == "PYSEC-2026-1");
    BOOST_TEST((told[0].advisory->fixed_in == std::vector<std::string>{"1.1"}));
    BOOST_TEST(rig.store.advisory_record_count("osv") == 1u);

    // Nothing changed: the batches alone, no record fetched again, nothing told again.
    rig.now += 7 * 3600;
    auto const before = rig.osv.stats();
    auto quiet = rig.round();
    BOOST_TEST(quiet.batches == 2u);
    BOOST_TEST(quiet.records == 0u);
    BOOST_TEST(rig.osv.stats().records == before.records);
    BOOST_TEST(rig.events_of(EventKind::vulnerability).size() == 1u);

    // A changed record (its `modified`) is fetched again, once.
    rig.osv.set_modified("PYSEC-2026-1", "2026-02-01T00:00:00Z");
    auto changed = rig.round();
    BOOST_TEST(changed.records == 1u);
    BOOST_TEST(rig.osv.record_fetches().at("PYSEC-2026-1") == 2u);
}

BOOST_AUTO_TEST_CASE(pages_are_followed) {
    Rig rig;
    auto const id = rig.pin("demo", "1.0");
    rig.osv.add(vuln("GHSA-0001", "demo", {"1.0"}));
    rig.osv.add(vuln("GHSA-0002", "demo", {"1.0"}));
    rig.osv.add(vuln("GHSA-0003", "demo", {"1.0"}));
    rig.osv.set_page_size(1);
    auto r = rig.round();
    BOOST_TEST(r.batches == 3u);
    BOOST_TEST(rig.osv.stats().pages == 2u);
    BOOST_TEST(rig.vulns(id).live.size() == 3u);
}

BOOST_AUTO_TEST_CASE(a_record_that_does_not_cover_the_pin_is_not_live) {
    Rig rig;
    auto const id = rig.pin("demo", "2.0");
    // The answer names it for 2.0, but its range ends before (OSV and PyPI drifted).
    auto drift = vuln("PYSEC-2026-2", "demo", {});
    drift.events = {{"introduced", "1.0"}, {"fixed", "1.5"}};
    drift.returned_for = {"2.0"};
    rig.osv.add(drift);
    auto r = rig.round();
    BOOST_TEST(r.records == 1u);
    BOOST_TEST(!rig.vulns(id).error);
    BOOST_TEST(rig.vulns(id).checked.has_value());
    BOOST_TEST(rig.vulns(id).live.empty());
    BOOST_TEST(rig.events_of(EventKind::vulnerability).empty());
}

BOOST_AUTO_TEST_CASE(withdrawn_or_no_longer_named_advisories_are_retracted_with_the_reason) {
    Rig rig;
    auto const id = rig.pin("demo", "1.0");
    rig.osv.add(vuln("PYSEC-2026-1", "demo", {"1.0"}));
    rig.osv.add(vuln("PYSEC-2026-2", "demo", {"1.0"}));
    rig.round();
    BOOST_TEST(rig.vulns(id).live.size() == 2u);
    BOOST_TEST(rig.events_of(EventKind::vulnerability).size() == 2u);

    // OSV leaves withdrawn records out of its answers: the record is fetched to say why.
    rig.osv.withdraw("PYSEC-2026-1", "2026-11-25T10:00:00Z");
    rig.osv.stop_returning("PYSEC-2026-2");
    rig.now += 100;
    rig.round();
    auto const retracted = rig.events_of(EventKind::vulnerability_withdrawn);
    BOOST_TEST_REQUIRE(retracted.size() == 2u);
    std::map<std::string, std::string> why;
    for (auto const& e : retracted)
        why[e.advisory->id] = e.detail;
    BOOST_TEST(why["PYSEC-2026-1"] == "withdrawn 2026-11-25T10:00:00Z");
    BOOST_TEST(why["PYSEC-2026-2"] == "no longer listed for 1.0");
    BOOST_TEST(rig.osv.record_fetches().at("PYSEC-2026-1") == 2u);
    BOOST_TEST(rig.vulns(id).live.empty());
    // Retracted once.
    rig.now += 100;
    rig.round();
    BOOST_TEST(rig.events_of(EventKind::vulnerability_withdrawn).size() == 2u);
}

BOOST_AUTO_TEST_CASE(private_names_never_reach_the_service) {
    Rig rig;
    rig.private_names = PrivateNames({"acme-*"});
    auto const secret = rig.pin("Acme_Billing", "1.0");
    rig.pin("requests", "2.31.0");
    rig.round();
    BOOST_TEST((rig.osv.names_seen() == std::set<std::string>{"requests"}));
    BOOST_TEST(!rig.vulns(secret).checked);
}

BOOST_AUTO_TEST_CASE(a_service_that_cannot_be_read_is_an_error_of_the_reading_only) {
    Rig rig;
    auto const id = rig.pin("demo", "1.0");
    rig.osv.add(vuln("PYSEC-2026-1", "demo", {"1.0"}));
    rig.round();
    BOOST_TEST(rig.vulns(id).live.size() == 1u);
    for (auto fault : {FakeOsv::Fault::down, FakeOsv::Fault::garbage}) {
        rig.osv.set_fault(fault);
        auto r = rig.round();
        BOOST_TEST_REQUIRE(r.error.has_value());
        auto const v = rig.vulns(id);
        BOOST_TEST(v.error.value_or("") == (fault == FakeOsv::Fault::down
                                                ? "advisories: osv: querybatch: http 503"
                                                : "advisories: osv: querybatch: invalid JSON"));
        // What was told stands: nothing retracted because the service is down.
        BOOST_TEST(v.live.size() == 1u);
        BOOST_TEST(rig.events_of(EventKind::vulnerability_withdrawn).empty());
    }
    rig.osv.set_fault(FakeOsv::Fault::none);
    rig.round();
    BOOST_TEST(!rig.vulns(id).error);
}

BOOST_AUTO_TEST_CASE(the_disclosure_counts_names_from_other_indexes) {
    AdvisorySettings s;
    s.private_names = {"acme-*"};
    auto mine = pypi_subscription("https://pkgs.example/simple/", "tool");
    mine.pinned = "1.0";
    auto hidden = pypi_subscription("https://pkgs.example/simple/", "acme-x");
    hidden.pinned = "1.0";
    auto public_one = pypi_subscription("https://pypi.org/simple/", "requests");
    public_one.pinned = "2.0";
    auto told = advisory_disclosure({mine, hidden, public_one}, s, "use private");
    BOOST_TEST_REQUIRE(told.has_value());
    BOOST_TEST(*told == "advisories: the names of 1 package from https://pkgs.example/simple/ are "
                        "sent to https://api.osv.dev/ (with their pinned versions) to look up "
                        "their advisories; to keep a name here, use private");
    BOOST_TEST(!advisory_disclosure({public_one}, s, "x"));
    s.from = AdvisorySettings::From::index;
    BOOST_TEST(!advisory_disclosure({mine}, s, "x"));
}
