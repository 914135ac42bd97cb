#define BOOST_TEST_MODULE webhook
#include <boost/test/unit_test.hpp>

// The webhook notifier: the Standard Webhooks body and signature (pure, against known
// vectors), and deliveries to a receiver on loopback that verifies every signature with its
// own code; what each status leads to; no secret in any error.

#include "common/base64.hpp"
#include "notifiers/registry.hpp"
#include "notifiers/webhook/webhook.hpp"
#include "tests/fakes/webhook_receiver.hpp"
#include "tests/notifiers/harness.hpp"

#include <map>
#include <sstream>

using namespace pinwatch;
using namespace pinwatch::notifiers;
using namespace pinwatch::test;
using Status = Delivery::Status;

namespace {

// The Standard Webhooks reference libraries' test key.
constexpr char const* kWhsec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

std::string key_bytes() {
    return base64_decode(std::string_view(kWhsec).substr(6)).value();
}

model::Event release(std::string id = "evt_0123456789abcdef") {
    model::Event e;
    e.id = std::move(id);
    e.kind = model::EventKind::new_release;
    e.source = "pypi";
    e.package = "requests";
    e.origin = "https://pypi.org/simple/";
    e.version = "2.32.0";
    e.update = model::UpdateType::minor;
    e.allowed = false;
    e.pinned = "2.31.0";
    e.specifier = "==2.31.0";
    e.at = 1700000000;
    return e;
}

std::vector<model::Event> events(std::size_t n) {
    std::vector<model::Event> out;
    for (std::size_t i = 0; i < n; ++i)
        out.push_back(release("evt_" + std::to_string(i)));
    return out;
}

std::string describe(Delivery const& d) {
    std::ostringstream os;
    os << d.status << " '" << d.error << "'"
       << (d.retry_after ? " retry_after=" + std::to_string(d.retry_after->count()) : "")
       << (d.disable ? " disable" : "");
    return os.str();
}

// Neither the URL's tokens nor the key appear in what the notifier says.
void require_no_secret(Delivery const& d) {
    for (char const* secret : {"s3cr3t", "/hooks/", "token=", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})
        BOOST_TEST(d.error.find(secret) == std::string::npos, d.error);
}

struct Rig {
    WebhookReceiver receiver;
    DeliverHarness h;
    WebhookNotifier notifier;

    explicit Rig(std::string const& whsec = kWhsec, TestServerOptions options = {},
                 WebhookOptions wo = {})
        : receiver(kWhsec, options), h(options.tls ? receiver.server().ca_file() : ""),
          notifier("audit-hook", Secret(receiver.url()),
                   Secret(base64_decode(std::string_view(whsec).substr(6)).value()), *h.client,
                   std::move(wo)) {}
    Delivery deliver(std::vector<model::Event> const& e) { return h.deliver(notifier, e); }
};

} // namespace

BOOST_AUTO_TEST_CASE(the_body_is_one_event_with_nulls_where_nothing_applies) {
    BOOST_TEST(WebhookNotifier::render(release()) ==
               R"({"type":"new_release","timestamp":"2023-11-14T22:13:20Z","data":{)"
               R"("package":"requests","version":"2.32.0","pinned":"2.31.0",)"
               R"("specifier":"==2.31.0","update_type":"minor","allowed":false,"reason":null,)"
               R"("index_url":"https://pypi.org/simple/","advisory":null,"alternatives":null,)"
               R"("requires_python":null,"drops_python":null,"link":null,"project_status":null}})");
    model::Event y;
    y.id = "evt_y";
    y.kind = model::EventKind::release_yanked;
    y.package = "urllib3";
    y.version = "2.1.0";
    y.detail = "broken <!channel>\r\n";
    y.at = 86400;
    BOOST_TEST(WebhookNotifier::render(y) ==
               R"({"type":"release_yanked","timestamp":"1970-01-02T00:00:00Z","data":{)"
               R"("package":"urllib3","version":"2.1.0","pinned":null,"specifier":null,)"
               R"("update_type":null,"allowed":null,"reason":"broken <!channel>\r\n",)"
               R"("index_url":null,"advisory":null,"alternatives":null,"requires_python":null,)"
               R"("drops_python":null,"link":null,"project_status":null}})");
}

BOOST_AUTO_TEST_CASE(signatures_match_known_vectors) {
    // The Standard Webhooks reference libraries' vector
    // (libraries/javascript/src/webhook.test.ts).
    BOOST_TEST(WebhookNotifier::sign(key_bytes(), "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                                     R"({"test": 2432232314})") ==
               "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    // A pinwatch body, computed when this test was written with Python's hmac module:
    //   key = base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    //   base64.b64encode(hmac.new(key, ("evt_0123456789abcdef.1700000060." + body).encode(),
    //                             hashlib.sha256).digest())
    // with body = render(release()) as asserted in the test above.
    auto const body = WebhookNotifier::render(release());
    BOOST_TEST(WebhookNotifier::sign(key_bytes(), "evt_0123456789abcdef", 1700000060, body) ==
               "v1,IPb9I1CuXRjlSK/PzzbIcEYMMtPf2TEVrizUBiLRpFg=");
}

BOOST_AUTO_TEST_CASE(the_request_carries_standard_webhooks_headers) {
    DeliverHarness h;
    WebhookNotifier n("audit-hook", Secret("https://hooks.example.com/pinwatch"),
                      Secret(key_bytes()), *h.client);
    auto const r = n.request_for(release(), 1700000060);
    BOOST_TEST(r.method == "POST");
    BOOST_TEST(r.url == "https://hooks.example.com/pinwatch");
    BOOST_TEST(!r.follow_redirects);
    BOOST_TEST(r.body == WebhookNotifier::render(release()));
    std::map<std::string, std::string> headers(r.headers.begin(), r.headers.end());
    BOOST_TEST(headers.at("Content-Type") == "application/json");
    BOOST_TEST(headers.at("webhook-id") == "evt_0123456789abcdef");
    BOOST_TEST(headers.at("webhook-timestamp") == "1700000060");
    BOOST_TEST(headers.at("webhook-signature") ==
               "v1,IPb9I1CuXRjlSK/PzzbIcEYMMtPf2TEVrizUBiLRpFg=");
    BOOST_TEST(n.min_interval().count() == 0);
}

BOOST_AUTO_TEST_CASE(one_verified_request_per_event) {
    Rig rig;
    auto const batch = events(3);
    auto const d = rig.deliver(batch);
    BOOST_TEST(d.status == Status::delivered, describe(d));
    auto const got = rig.receiver.deliveries();
    BOOST_REQUIRE(got.size() == 3u);
    BOOST_TEST(rig.receiver.verified() == 3u);
    for (std::size_t i = 0; i < got.size(); ++i) {
        BOOST_TEST_CONTEXT("event " << i) {
            BOOST_TEST(got[i].verified, got[i].problem);
            BOOST_TEST(got[i].method == "POST");
            BOOST_TEST(got[i].target == "/hooks/s3cr3tPathToken?token=s3cr3tQueryToken");
            BOOST_TEST(got[i].id == batch[i].id);
            BOOST_TEST(got[i].content_type == "application/json");
            BOOST_TEST(got[i].body == WebhookNotifier::render(batch[i]));
        }
    }
}

BOOST_AUTO_TEST_CASE(delivered_over_https) {
    Rig rig(kWhsec, TestServerOptions{.tls = true});
    auto const d = rig.deliver(events(1));
    BOOST_TEST(d.status == Status::delivered, describe(d));
    BOOST_TEST(rig.receiver.verified() == 1u);
}

BOOST_AUTO_TEST_CASE(the_receiver_really_verifies) {
    // Another key: the receiver's own check refuses it (401), so a broken signer cannot pass.
    Rig wrong("whsec_" + std::string("c29tZSBvdGhlciBrZXkgb2YgMjQgYnl0ZXMh"));
    auto d = wrong.deliver(events(1));
    // Issue #20: a 401 is a refused credential: the channel pauses, the event is kept.
    BOOST_TEST(d.status == Status::retry, describe(d));
    BOOST_TEST(d.auth_failed);
    BOOST_TEST(d.error == "webhook audit-hook: HTTP 401: invalid signature");
    BOOST_TEST(wrong.receiver.unverified() == 1u);
    BOOST_TEST(wrong.receiver.deliveries().at(0).problem == "no signature matches");
    require_no_secret(d);

    // A send time far from the receiver's clock is refused too (replay protection).
    WebhookOptions stale;
    stale.clock = [] { return model::UnixTime{1614265330}; };
    Rig old(kWhsec, {}, stale);
    d = old.deliver(events(1));
    BOOST_TEST(d.status == Status::retry, describe(d));
    BOOST_TEST(d.auth_failed);
    BOOST_TEST(old.receiver.deliveries().at(0).problem == "timestamp outside the tolerance");
}

BOOST_AUTO_TEST_CASE(each_status_class) {
    struct Case {
        TestResponse reply;
        Status status;
        bool disable;
        std::string error;
        std::optional<long> retry_after;
    };
    std::vector<Case> const cases{
        {TestResponse::text("accepted", 202), Status::delivered, false, "", std::nullopt},
        {TestResponse::text("gone", 410), Status::failed, true,
         "webhook audit-hook: HTTP 410: gone", std::nullopt},
        {TestResponse::text("slow down", 429).header("Retry-After", "30"), Status::retry, false,
         "webhook audit-hook: HTTP 429: slow down", 30},
        {TestResponse::text("", 503).header("Retry-After", "999999"), Status::retry, false,
         "webhook audit-hook: HTTP 503", 3600},
        {TestResponse::text("oops", 500), Status::retry, false,
         "webhook audit-hook: HTTP 500: oops", std::nullopt},
        {TestResponse::text("bad", 400), Status::failed, false, "webhook audit-hook: HTTP 400: bad",
         std::nullopt},
        {TestResponse::text("", 404), Status::failed, false, "webhook audit-hook: HTTP 404",
         std::nullopt},
        {TestResponse::redirect(302, "/elsewhere"), Status::failed, false,
         "webhook audit-hook: HTTP 302 (redirects are not followed)", std::nullopt},
    };
    Rig rig;
    for (std::size_t i = 0; i < cases.size(); ++i) {
        auto const& c = cases[i];
        rig.receiver.script({c.reply});
        auto const d = rig.deliver({release("evt_case" + std::to_string(i))});
        BOOST_TEST_CONTEXT(c.error) {
            BOOST_TEST(d.status == c.status, describe(d));
            BOOST_TEST(d.disable == c.disable, describe(d));
            BOOST_TEST(d.error == c.error);
            BOOST_TEST(d.retry_after.has_value() == c.retry_after.has_value(), describe(d));
            if (c.retry_after && d.retry_after)
                BOOST_TEST(d.retry_after->count() == *c.retry_after);
            require_no_secret(d);
        }
    }
    // Every request was signed and verified, and the redirect was not followed.
    BOOST_TEST(rig.receiver.verified() == cases.size());
    BOOST_TEST(rig.receiver.server().requests() == cases.size());
}

BOOST_AUTO_TEST_CASE(transport_failures_are_retried_without_secrets) {
    Rig rig;
    rig.receiver.server().set_handler([](TestRequest const&) {
        TestResponse r;
        r.close_before_response = true;
        return r;
    });
    auto d = rig.deliver(events(1));
    BOOST_TEST(d.status == Status::retry, describe(d));
    BOOST_TEST(d.error.rfind("webhook audit-hook: protocol: ", 0) == 0u, d.error);
    require_no_secret(d);
    rig.h.client->shutdown();
    d = rig.deliver(events(1));
    BOOST_TEST(d.status == Status::retry, describe(d));
    BOOST_TEST(d.error.rfind("webhook audit-hook: cancelled: ", 0) == 0u, d.error);
    require_no_secret(d);
}

BOOST_AUTO_TEST_CASE(a_retried_batch_skips_what_arrived) {
    Rig rig;
    auto const batch = events(3);
    rig.receiver.script({TestResponse{}, TestResponse::text("busy", 503)});
    auto d = rig.deliver(batch);
    BOOST_TEST(d.status == Status::retry, describe(d));
    BOOST_TEST(rig.receiver.deliveries().size() == 2u); // evt_0 arrived, evt_1 failed
    d = rig.deliver(batch);
    BOOST_TEST(d.status == Status::delivered, describe(d));
    std::vector<std::string> ids;
    for (auto const& r : rig.receiver.deliveries())
        ids.push_back(r.id);
    BOOST_TEST((ids == std::vector<std::string>{"evt_0", "evt_1", "evt_1", "evt_2"}));
}

// Issue #20, defect 1: the receiver refusing one event of eight (400) fails that one alone; the
// others are sent and delivered.
BOOST_AUTO_TEST_CASE(a_refused_event_fails_alone) {
    Rig rig;
    auto const batch = events(8);
    rig.receiver.script(
        {TestResponse{}, TestResponse{}, TestResponse{}, TestResponse::text("bad event", 400)});
    auto d = rig.deliver(batch);
    BOOST_TEST(d.status == Status::failed, describe(d));
    BOOST_TEST(d.error == "webhook audit-hook: HTTP 400: bad event");
    BOOST_TEST(rig.receiver.deliveries().size() == 8u);
    BOOST_REQUIRE(d.outcomes.size() == 8u);
    for (std::size_t i = 0; i < 8; ++i)
        BOOST_TEST(d.outcome(i) == (i == 3 ? Status::failed : Status::delivered), "event " << i);

    // A 503 on the third: two delivered, the rest left for the retry (not refused).
    auto const more = events(5);
    rig.receiver.script({TestResponse{}, TestResponse{}, TestResponse::text("busy", 503)});
    d = rig.deliver(more);
    BOOST_TEST(d.status == Status::retry, describe(d));
    BOOST_REQUIRE(d.outcomes.size() == 5u);
    for (std::size_t i = 0; i < 5; ++i)
        BOOST_TEST(d.outcome(i) == (i < 2 ? Status::delivered : Status::retry), "event " << i);

    // A 403 is a refused credential: nothing is refused, the channel pauses.
    rig.receiver.script({TestResponse::text("forbidden", 403)});
    d = rig.deliver({release("evt_forbidden")});
    BOOST_TEST(d.status == Status::retry, describe(d));
    BOOST_TEST(d.auth_failed);
    BOOST_TEST(!d.disable);
}

BOOST_AUTO_TEST_CASE(the_registry_builds_webhook_notifiers_only_with_a_client) {
    config::NotifierConfig c;
    c.name = "audit-hook";
    c.type = "webhook";
    c.route.notifier = c.name;
    auto settings = std::make_shared<WebhookConfig>();
    settings->url = Secret("https://hooks.example.com/pinwatch");
    settings->signing_key = Secret(key_bytes());
    c.settings = settings;
    std::ostringstream console;
    auto none = make_notifier(c, NotifierContext{console, nullptr});
    BOOST_REQUIRE(!none.has_value());
    BOOST_TEST(none.error() == "notifier 'audit-hook': type 'webhook' needs an HTTP client, and "
                               "none was given (NotifierContext::http is null)");
    DeliverHarness h;
    auto made = make_notifier(c, NotifierContext{console, h.client.get()});
    BOOST_REQUIRE_MESSAGE(made.has_value(), (made ? std::string() : made.error()));
    BOOST_TEST((*made)->name() == "audit-hook");
    auto no_key = std::make_shared<WebhookConfig>(*settings);
    no_key->signing_key = Secret();
    c.settings = no_key;
    auto unsigned_ = make_notifier(c, NotifierContext{console, h.client.get()});
    BOOST_REQUIRE(!unsigned_.has_value());
    BOOST_TEST(unsigned_.error() == "notifier 'audit-hook': type 'webhook' needs 'secret'");
}

BOOST_AUTO_TEST_CASE(advisories_alternatives_and_python_drops_are_in_the_body) {
    auto v = release("evt_v");
    v.kind = model::EventKind::vulnerability;
    v.version = "2.31.0";
    v.update.reset();
    v.allowed.reset();
    model::Advisory a;
    a.id = "GHSA-9wx4-h78v-vm56";
    a.aliases = {"CVE-2024-35195"};
    a.summary = "sticky verify";
    a.link = "https://osv.dev/vulnerability/GHSA-9wx4-h78v-vm56";
    a.fixed_in = {"2.32.0"};
    v.advisory = a;
    v.detail = a.summary;
    BOOST_TEST(
        WebhookNotifier::render(v) ==
        R"({"type":"vulnerability","timestamp":"2023-11-14T22:13:20Z","data":{)"
        R"("package":"requests","version":"2.31.0","pinned":"2.31.0",)"
        R"("specifier":"==2.31.0","update_type":null,"allowed":null,)"
        R"("reason":"sticky verify","index_url":"https://pypi.org/simple/",)"
        R"("advisory":{"id":"GHSA-9wx4-h78v-vm56","aliases":["CVE-2024-35195"],)"
        R"("summary":"sticky verify","link":"https://osv.dev/vulnerability/GHSA-9wx4-h78v-vm56",)"
        R"("fixed_in":["2.32.0"],"fix_allowed":null,"withdrawn":null},)"
        R"("alternatives":null,"requires_python":null,"drops_python":null,"link":null,"project_status":null}})");
    auto y = release("evt_y");
    y.kind = model::EventKind::pinned_yanked;
    y.alternatives = {"2.30.0"};
    BOOST_TEST(WebhookNotifier::render(y).find(R"("advisory":null,"alternatives":["2.30.0"])") !=
               std::string::npos);
    auto n = release("evt_n");
    n.requires_python = ">=3.12";
    n.drops_python = true;
    BOOST_TEST(WebhookNotifier::render(n).find(
                   R"("requires_python":">=3.12","drops_python":true)") != std::string::npos);
}

// #16: an event concerning several projects names them, each with its own pin.
BOOST_AUTO_TEST_CASE(the_body_names_the_projects_an_event_concerns) {
    auto e = release();
    e.projects = {{"api", "2.31.0", "==2.31.0", "/srv/api/requirements.txt", true, {}, {}},
                  {"worker", std::nullopt, ">=2.30", "/srv/worker/uv.lock", std::nullopt, {}, {}}};
    auto const body = WebhookNotifier::render(e);
    BOOST_TEST(body.find(R"("index_url":"https://pypi.org/simple/","projects":[)"
                         R"({"name":"api","pinned":"2.31.0","specifier":"==2.31.0",)"
                         R"("file":"/srv/api/requirements.txt","direct":true},)"
                         R"({"name":"worker","pinned":null,"specifier":">=2.30",)"
                         R"("file":"/srv/worker/uv.lock","direct":null}],)") != std::string::npos,
               body);
}
BOOST_AUTO_TEST_CASE(a_project_status_event_carries_the_status_as_json_text) {
    model::Event e;
    e.id = "evt_q";
    e.kind = model::EventKind::project_status;
    e.package = "demo";
    e.at = 86400;
    e.project_status = model::ProjectStatus{"quarantined", "<script>x</script>\r\n<!channel>"};
    e.previous_status = "active";
    e.detail = *e.project_status->reason;
    auto const body = WebhookNotifier::render(e);
    BOOST_TEST(body.find(R"("project_status":{"status":"quarantined",)"
                         R"("reason":"<script>x</script>\r\n<!channel>","previous":"active"})") !=
                   std::string::npos,
               body);
    BOOST_TEST(body.find('\r') == std::string::npos); // JSON-escaped, never raw
}
