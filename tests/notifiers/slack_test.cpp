#define BOOST_TEST_MODULE slack
#include <boost/test/unit_test.hpp>

// The Slack notifier: what a message looks like (pure rendering, untrusted text made inert,
// long batches split) and what each answer of a fake Slack on loopback leads to.

#include "common/text.hpp"
#include "notifiers/registry.hpp"
#include "notifiers/slack/slack.hpp"
#include "tests/fakes/fake_slack.hpp"
#include "tests/notifiers/harness.hpp"

#include <rapidjson/document.h>

#include <cstdio>
#include <sstream>

using namespace pinwatch;
using namespace pinwatch::notifiers;
using namespace pinwatch::test;
using Status = Delivery::Status;

namespace {

model::Event release(std::string id = "evt_1") {
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

rapidjson::Document parse(std::string const& body) {
    rapidjson::Document doc;
    doc.Parse(body.data(), body.size());
    BOOST_REQUIRE_MESSAGE(!doc.HasParseError() && doc.IsObject(), "not a JSON object: " + body);
    return doc;
}

// Every string in a JSON value, keys excepted.
void strings(rapidjson::Value const& v, std::vector<std::string>& out) {
    if (v.IsString()) out.emplace_back(v.GetString(), v.GetStringLength());
    if (v.IsArray())
        for (auto const& item : v.GetArray())
            strings(item, out);
    if (v.IsObject())
        for (auto const& m : v.GetObject())
            strings(m.value, out);
}

// A section per event after the header; one context block at the end names the events (#18).
std::string section(rapidjson::Document const& doc, std::size_t event) {
    return doc["blocks"][static_cast<rapidjson::SizeType>(1 + event)]["text"]["text"].GetString();
}
std::string ids(rapidjson::Document const& doc) {
    auto const& blocks = doc["blocks"];
    auto const& last = blocks[blocks.Size() - 1];
    BOOST_REQUIRE(std::string(last["type"].GetString()) == "context");
    return last["elements"][0]["text"].GetString();
}

std::vector<model::Event> many(std::size_t n) {
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

// The webhook's token (its path) never appears in what the notifier says.
void require_no_secret(Delivery const& d, FakeSlack const& slack) {
    BOOST_TEST(d.error.find("s3cr3t") == std::string::npos, d.error);
    BOOST_TEST(d.error.find(slack.token()) == std::string::npos, d.error);
    BOOST_TEST(d.error.find("/services/") == std::string::npos, d.error);
}

// Every message within Block Kit's limits (defined below, with the compact form's tests).
std::string within_limits(rapidjson::Document const& doc);

SlackOptions unpaced() {
    SlackOptions o;
    o.pace = std::chrono::milliseconds(0); // parts back to back; pacing has its own test
    return o;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_release_as_blocks_with_a_fallback) {
    std::vector<model::Event> const events{release()};
    auto const doc = parse(SlackNotifier::render(events));
    BOOST_TEST(doc["text"].GetString() ==
               std::string("requests 2.32.0 released — minor (you pin 2.31.0), outside "
                           "'==2.31.0'"));
    BOOST_TEST(doc["unfurl_links"].GetBool() == false);
    auto const& blocks = doc["blocks"];
    BOOST_REQUIRE(blocks.Size() == 3u);
    BOOST_TEST(blocks[0]["type"].GetString() == std::string("header"));
    BOOST_TEST(blocks[0]["text"]["text"].GetString() ==
               std::string("pinwatch: requests 2.32.0 (minor)"));
    BOOST_TEST(blocks[1]["type"].GetString() == std::string("section"));
    BOOST_TEST(blocks[1]["text"]["type"].GetString() == std::string("mrkdwn"));
    BOOST_TEST(blocks[1]["text"]["verbatim"].GetBool());
    BOOST_TEST(section(doc, 0) == "*requests* 2.31.0 → *2.32.0*\n"
                                  "Update: *minor*\n"
                                  "Not allowed by your requirement: '==2.31.0'\n"
                                  "<https://pypi.org/project/requests/2.32.0/|PyPI: requests "
                                  "2.32.0>");
    BOOST_TEST(blocks[2]["type"].GetString() == std::string("context"));
    BOOST_TEST(ids(doc) == "pinwatch event evt_1 · new_release · 2023-11-14 22:13:20Z");
}

BOOST_AUTO_TEST_CASE(other_indexes_link_to_the_index_and_other_kinds_read_well) {
    auto e = release();
    e.origin = "https://pypi.internal.example/simple/";
    e.allowed = true;
    e.specifier = ">=2";
    auto y = release("evt_2");
    y.kind = model::EventKind::pinned_yanked;
    y.version = "2.31.0";
    y.update.reset();
    y.allowed.reset();
    y.detail = "broken wheel";
    std::vector<model::Event> const events{e, y};
    auto const doc = parse(SlackNotifier::render(events));
    // The header says what matters most (#18), not a count.
    BOOST_TEST(doc["blocks"][0]["text"]["text"].GetString() ==
               std::string("pinwatch: requests 2.31.0 yanked (your pin) and 1 more"));
    BOOST_TEST(section(doc, 0) == "*requests* 2.31.0 → *2.32.0*\n"
                                  "Update: *minor*\n"
                                  "Allowed by your requirement: '&gt;=2'\n"
                                  "Index: <https://pypi.internal.example/simple/"
                                  "|https://pypi.internal.example/simple/>");
    BOOST_TEST(section(doc, 1) == ":warning: *requests* 2.31.0, the version you pin, was yanked\n"
                                  "Reason: broken wheel\n"
                                  "<https://pypi.org/project/requests/2.31.0/|PyPI: requests "
                                  "2.31.0>");
    // Each keeps its own index (they differ); the ids come once, at the end.
    BOOST_TEST(ids(doc).rfind("pinwatch events evt_1, evt_2 · ", 0) == 0u, ids(doc));
    BOOST_TEST(std::string(doc["text"].GetString())
                   .rfind("pinwatch: requests 2.31.0 yanked (your pin) and 1 more\n", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(untrusted_text_arrives_inert) {
    auto e = release();
    e.kind = model::EventKind::pinned_yanked;
    e.package = "evil<!here>";
    e.version = "1.0<@U024BE7LH>";
    e.pinned = e.version;
    e.specifier = "==1.0 <!everyone>";
    e.detail = "<!channel> broken & bad\r\n<script>alert(1)</script> <https://evil.example|docs>";
    e.id = "evt_<!subteam^S1>";
    std::vector<model::Event> const events{e};
    auto const body = SlackNotifier::render(events);
    auto const doc = parse(body);
    std::vector<std::string> texts;
    strings(doc, texts);
    for (auto const& t : texts) {
        // The only '<' left opens our own link to PyPI; no mention, no script, no spoofed link.
        for (auto at = t.find('<'); at != std::string::npos; at = t.find('<', at + 1))
            BOOST_TEST(t.compare(at, 25, "<https://pypi.org/project") == 0, t);
        BOOST_TEST(t.find("<!") == std::string::npos, t);
        BOOST_TEST(t.find("<@") == std::string::npos, t);
        BOOST_TEST(t.find("<script") == std::string::npos, t);
        BOOST_TEST(t.find('\r') == std::string::npos, t);
    }
    BOOST_TEST(section(doc, 0) ==
               ":warning: *evil&lt;!here&gt;* 1.0&lt;@U024BE7LH&gt;, the version you pin, was "
               "yanked\n"
               "Reason: &lt;!channel&gt; broken &amp; bad\\x0d\\x0a&lt;script&gt;alert(1)&lt;/"
               "script&gt; &lt;https://evil.example|docs&gt;\n"
               "<https://pypi.org/project/evil%3C%21here%3E/1.0%3C%40U024BE7LH%3E/"
               "|PyPI: evil&lt;!here&gt; 1.0&lt;@U024BE7LH&gt;>");
    BOOST_TEST(ids(doc).rfind("pinwatch event evt_&lt;!subteam^S1&gt; · ", 0) == 0u);
    BOOST_TEST(std::string(doc["text"].GetString()).find("&lt;!channel&gt; broken &amp; bad") !=
               std::string::npos);
    // Escaping is Slack's three characters, & first, and nothing else.
    BOOST_TEST(SlackNotifier::escape("a&b<c>d \"'*_") == "a&amp;b&lt;c&gt;d \"'*_");
    BOOST_TEST(SlackNotifier::escape("&lt;") == "&amp;lt;");
}

BOOST_AUTO_TEST_CASE(long_untrusted_text_is_cut_without_breaking_an_entity) {
    auto e = release();
    e.kind = model::EventKind::release_yanked;
    e.detail = std::string(5000, '&');
    std::vector<model::Event> const events{e};
    auto const doc = parse(SlackNotifier::render(events));
    auto const text = section(doc, 0);
    BOOST_TEST(text.size() < 3000u);
    auto const reason = text.substr(text.find("Reason: ") + 8);
    auto const line = reason.substr(0, reason.find('\n'));
    BOOST_TEST(line.size() == 600u + std::string("…").size()); // 120 whole "&amp;"
    BOOST_TEST(line.substr(line.size() - 8) == "&amp;…");
}

// A batch too long for one message is cut into parts that each fit one compact message: 80
// releases are 50 (compact, a line each) + 30 (which fit in full, so told in full).
BOOST_AUTO_TEST_CASE(batches_are_split_into_messages_that_fit) {
    auto const events = many(80);
    auto const parts = SlackNotifier::split(events);
    BOOST_REQUIRE(parts.size() == 2u);
    BOOST_TEST(parts[0].size() == SlackNotifier::kMaxCompactEvents);
    BOOST_TEST(parts[1].size() == 80u - SlackNotifier::kMaxCompactEvents);
    auto const messages = SlackNotifier::render_messages(events);
    BOOST_REQUIRE(messages.size() == 2u);
    BOOST_TEST(parse(messages[0])["blocks"].Size() < 10u);                  // compact
    BOOST_TEST(parse(messages[1])["blocks"].Size() == parts[1].size() + 2); // in full
    std::size_t next = 0;
    for (std::size_t m = 0; m < messages.size(); ++m) {
        auto const doc = parse(messages[m]);
        within_limits(doc);
        BOOST_TEST(std::string(doc["blocks"][0]["text"]["text"].GetString())
                       .find("(part " + std::to_string(m + 1) + " of 2)") != std::string::npos);
        std::string expected = "pinwatch events "; // every event, in order, in one line
        for (std::size_t i = 0; i < parts[m].size(); ++i, ++next)
            expected += (i ? ", evt_" : "evt_") + std::to_string(next);
        BOOST_TEST(ids(doc).rfind(expected + " · ", 0) == 0u, ids(doc));
    }
    BOOST_TEST(next == 80u);

    // Long events split sooner: the blocks' text stays within Slack's size limit.
    auto wordy = many(19);
    for (auto& e : wordy)
        e.detail = std::string(2000, 'x');
    for (auto const& message : SlackNotifier::render_messages(wordy)) {
        auto const doc = parse(message);
        std::size_t chars = 0;
        for (std::size_t i = 0; 1 + i < doc["blocks"].Size(); ++i)
            chars += i + 2 < doc["blocks"].Size() ? section(doc, i).size() : ids(doc).size();
        BOOST_TEST(chars <= SlackNotifier::kMaxBlockChars);
    }
    BOOST_TEST(SlackNotifier::split(wordy).size() > 1u);
}

BOOST_AUTO_TEST_CASE(a_message_per_second) {
    DeliverHarness h;
    SlackNotifier n("team-slack", Secret("https://hooks.slack.com/services/T/B/x"), *h.client);
    BOOST_TEST(n.min_interval().count() == 1000);
    BOOST_TEST(n.name() == "team-slack");
}

BOOST_AUTO_TEST_CASE(delivered_on_200_ok) {
    FakeSlack slack;
    DeliverHarness h;
    SlackNotifier n("team-slack", Secret(slack.webhook_url()), *h.client, unpaced());
    std::vector<model::Event> const events{release()};
    auto const d = h.deliver(n, events);
    BOOST_TEST(d.status == Status::delivered, describe(d));
    auto const posts = slack.posts();
    BOOST_REQUIRE(posts.size() == 1u);
    BOOST_TEST(posts[0].path == "/services/" + slack.token());
    BOOST_TEST(posts[0].content_type.rfind("application/json", 0) == 0u);
    BOOST_TEST(posts[0].body == SlackNotifier::render(events));
}

BOOST_AUTO_TEST_CASE(delivered_over_https) {
    FakeSlack slack(TestServerOptions{.tls = true});
    DeliverHarness h(slack.server().ca_file());
    SlackNotifier n("team-slack", Secret(slack.webhook_url()), *h.client, unpaced());
    auto const d = h.deliver(n, {release()});
    BOOST_TEST(d.status == Status::delivered, describe(d));
    BOOST_TEST(slack.posts().size() == 1u);
}

BOOST_AUTO_TEST_CASE(each_answer_class) {
    struct Case {
        TestResponse reply;
        Status status;
        bool disable;
        std::string error;
        std::optional<long> retry_after;
    };
    std::vector<Case> const cases{
        {FakeSlack::rate_limited(7), Status::retry, false,
         "slack team-slack: HTTP 429: rate_limited", 7},
        {FakeSlack::server_error(), Status::retry, false,
         "slack team-slack: HTTP 500: rollup_error", std::nullopt},
        {FakeSlack::error(503, "").header("Retry-After", "12"), Status::retry, false,
         "slack team-slack: HTTP 503", 12},
        {FakeSlack::no_service(), Status::failed, true, "slack team-slack: HTTP 404: no_service",
         std::nullopt},
        {FakeSlack::error(410, "channel_is_archived"), Status::failed, true,
         "slack team-slack: HTTP 410: channel_is_archived", std::nullopt},
        // Issue #20: a refused token pauses the channel (auth_failed), its events kept.
        {FakeSlack::error(403, "invalid_token"), Status::retry, false,
         "slack team-slack: HTTP 403: invalid_token", std::nullopt},
        {FakeSlack::error(400, "no_service"), Status::failed, true,
         "slack team-slack: HTTP 400: no_service", std::nullopt},
        {FakeSlack::error(400, "invalid_payload"), Status::failed, false,
         "slack team-slack: HTTP 400: invalid_payload", std::nullopt},
        {FakeSlack::error(403, "action_prohibited"), Status::failed, false,
         "slack team-slack: HTTP 403: action_prohibited", std::nullopt},
        {FakeSlack::error(400, "bad\r\n\x1b[31mred"), Status::failed, false,
         "slack team-slack: HTTP 400: bad\\x0d\\x0a\\x1b[31mred", std::nullopt},
        {TestResponse::redirect(302, "/elsewhere"), Status::failed, false,
         "slack team-slack: HTTP 302", std::nullopt},
    };
    FakeSlack slack;
    DeliverHarness h;
    SlackNotifier n("team-slack", Secret(slack.webhook_url()), *h.client, unpaced());
    for (auto const& c : cases) {
        slack.script({c.reply});
        auto const d = h.deliver(n, {release()});
        BOOST_TEST_CONTEXT(c.error) {
            BOOST_TEST(d.status == c.status, describe(d));
            BOOST_TEST(d.disable == c.disable, describe(d));
            BOOST_TEST(d.auth_failed == (c.error.find("invalid_token") != std::string::npos));
            BOOST_TEST(d.error == c.error);
            BOOST_TEST(d.retry_after.has_value() == c.retry_after.has_value(), describe(d));
            if (c.retry_after && d.retry_after)
                BOOST_TEST(d.retry_after->count() == *c.retry_after);
            require_no_secret(d, slack);
        }
    }
    BOOST_TEST(slack.posts().size() == cases.size()); // a redirect is not followed
    BOOST_TEST(slack.server().requests() == cases.size());
}

BOOST_AUTO_TEST_CASE(error_bodies_are_cut_and_never_echo_the_url) {
    FakeSlack slack;
    DeliverHarness h;
    SlackNotifier n("team-slack", Secret(slack.webhook_url()), *h.client, unpaced());
    slack.script({FakeSlack::error(400, std::string(1000, 'e'))});
    auto d = h.deliver(n, {release()});
    BOOST_TEST(d.error == "slack team-slack: HTTP 400: " + std::string(200, 'e') + "...");
    slack.script({FakeSlack::error(400, "bad request to " + slack.webhook_url())});
    d = h.deliver(n, {release()});
    BOOST_TEST(d.error == "slack team-slack: HTTP 400: bad request to <redacted>");
    require_no_secret(d, slack);
}

BOOST_AUTO_TEST_CASE(transport_failures_are_retried_without_the_url) {
    FakeSlack slack;
    DeliverHarness h;
    SlackNotifier n("team-slack", Secret(slack.webhook_url()), *h.client, unpaced());
    slack.server().set_handler([](TestRequest const&) {
        TestResponse r;
        r.close_before_response = true;
        return r;
    });
    auto d = h.deliver(n, {release()});
    BOOST_TEST(d.status == Status::retry, describe(d));
    BOOST_TEST(d.error.rfind("slack team-slack: protocol: ", 0) == 0u, d.error);
    require_no_secret(d, slack);

    // A client shutting down names the URL it will not fetch: scrubbed.
    h.client->shutdown();
    d = h.deliver(n, {release()});
    BOOST_TEST(d.status == Status::retry, describe(d));
    BOOST_TEST(d.error.rfind("slack team-slack: cancelled: ", 0) == 0u, d.error);
    require_no_secret(d, slack);

    // TLS that does not verify (no CA given for the fake's certificate).
    FakeSlack tls(TestServerOptions{.tls = true});
    DeliverHarness h2;
    SlackNotifier t("team-slack", Secret(tls.webhook_url()), *h2.client, unpaced());
    d = h2.deliver(t, {release()});
    BOOST_TEST(d.status == Status::retry, describe(d));
    BOOST_TEST(d.error.rfind("slack team-slack: tls: ", 0) == 0u, d.error);
    require_no_secret(d, tls);
    BOOST_TEST(tls.posts().empty());
}

BOOST_AUTO_TEST_CASE(a_batch_is_delivered_when_every_part_was) {
    FakeSlack slack;
    DeliverHarness h;
    SlackNotifier n("team-slack", Secret(slack.webhook_url()), *h.client, unpaced());
    auto const events = many(120); // three parts: 50 + 50 + 20
    slack.script({FakeSlack::ok(), FakeSlack::rate_limited(3)});
    auto d = h.deliver(n, events);
    BOOST_TEST(d.status == Status::retry, describe(d));
    BOOST_TEST(d.error == "slack team-slack: HTTP 429: rate_limited (part 2 of 3)");
    BOOST_TEST(d.retry_after.value().count() == 3);
    BOOST_TEST(slack.posts().size() == 2u); // the third part waits for the retry

    // The dispatcher retries the batch: the part that arrived is not posted again.
    d = h.deliver(n, events);
    BOOST_TEST(d.status == Status::delivered, describe(d));
    auto const posts = slack.posts();
    BOOST_REQUIRE(posts.size() == 4u);
    auto const messages = SlackNotifier::render_messages(events);
    BOOST_TEST(posts[0].body == messages[0]);
    BOOST_TEST(posts[1].body == messages[1]);
    BOOST_TEST(posts[2].body == messages[1]);
    BOOST_TEST(posts[3].body == messages[2]);

    // Delivered batches are forgotten: the same events again are posted again in full.
    d = h.deliver(n, events);
    BOOST_TEST(d.status == Status::delivered, describe(d));
    BOOST_TEST(slack.posts().size() == 7u);
}

// Issue #20, defect 1: a split message's events come to their own part's answer. A refused
// part fails its events alone and the next part still goes; a retry leaves the rest pending.
BOOST_AUTO_TEST_CASE(each_part_records_its_own_events) {
    FakeSlack slack;
    DeliverHarness h;
    SlackNotifier n("team-slack", Secret(slack.webhook_url()), *h.client, unpaced());
    auto const events = many(120); // three parts: 50 + 50 + 20
    auto const parts = SlackNotifier::split(events);
    BOOST_REQUIRE(parts.size() == 3u);
    auto const first = parts[0].size(), second = parts[1].size();
    slack.script({FakeSlack::ok(), FakeSlack::error(400, "invalid_payload"), FakeSlack::ok()});
    auto d = h.deliver(n, events);
    BOOST_TEST(d.status == Status::failed, describe(d));
    BOOST_TEST(slack.posts().size() == 3u); // the third part went after the refused second
    BOOST_REQUIRE(d.outcomes.size() == events.size());
    for (std::size_t i = 0; i < events.size(); ++i) {
        auto const want = i >= first && i < first + second ? Status::failed : Status::delivered;
        BOOST_TEST(d.outcome(i) == want, "event " << i);
    }

    // A retry on the second part: the first part's events are delivered, the others wait.
    auto const others = many(120);
    slack.script({FakeSlack::ok(), FakeSlack::rate_limited(3)});
    d = h.deliver(n, others);
    BOOST_TEST(d.status == Status::retry, describe(d));
    BOOST_REQUIRE(d.outcomes.size() == others.size());
    for (std::size_t i = 0; i < others.size(); ++i)
        BOOST_TEST(d.outcome(i) == (i < first ? Status::delivered : Status::retry), "event " << i);
}

BOOST_AUTO_TEST_CASE(parts_are_paced) {
    FakeSlack slack;
    DeliverHarness h;
    SlackOptions o;
    o.pace = std::chrono::milliseconds(20); // the timer path, not its length, is under test
    SlackNotifier n("team-slack", Secret(slack.webhook_url()), *h.client, o);
    auto const d = h.deliver(n, many(120)); // three parts
    BOOST_TEST(d.status == Status::delivered, describe(d));
    BOOST_TEST(slack.posts().size() == 3u);
}

BOOST_AUTO_TEST_CASE(the_registry_builds_slack_notifiers_only_with_a_client) {
    config::NotifierConfig c;
    c.name = "team-slack";
    c.type = "slack";
    c.route.notifier = c.name;
    auto settings = std::make_shared<SlackConfig>();
    settings->webhook_url = Secret("https://hooks.slack.com/services/T/B/s3cr3t");
    c.settings = settings;
    std::ostringstream console;
    auto none = make_notifier(c, NotifierContext{console, nullptr});
    BOOST_REQUIRE(!none.has_value());
    BOOST_TEST(none.error() == "notifier 'team-slack': type 'slack' needs an HTTP client, and "
                               "none was given (NotifierContext::http is null)");
    DeliverHarness h;
    auto made = make_notifier(c, NotifierContext{console, h.client.get()});
    BOOST_REQUIRE_MESSAGE(made.has_value(), (made ? std::string() : made.error()));
    BOOST_TEST((*made)->name() == "team-slack");
    BOOST_TEST((*made)->min_interval().count() == 1000);
}

BOOST_AUTO_TEST_CASE(an_advisory_links_to_itself_and_its_text_arrives_inert) {
    auto v = release("evt_v");
    v.kind = model::EventKind::vulnerability;
    v.version = "2.31.0";
    v.update.reset();
    v.allowed.reset();
    model::Advisory a;
    a.id = "GHSA-9wx4-h78v-vm56";
    a.aliases = {"CVE-2024-35195"};
    a.summary = "sticky verify <!channel>";
    a.link = "https://osv.dev/vulnerability/GHSA-9wx4-h78v-vm56";
    a.fixed_in = {"2.32.0"};
    v.advisory = a;
    v.detail = a.summary;
    auto w = v;
    w.id = "evt_w";
    w.kind = model::EventKind::vulnerability_withdrawn;
    w.detail = "withdrawn 2026-11-25T10:00:00Z";
    auto n = release("evt_n");
    n.requires_python = ">=3.12";
    n.drops_python = true;
    n.python = "3.11.2";
    std::vector<model::Event> const events{v, w, n};
    auto const doc = parse(SlackNotifier::render(events));
    BOOST_TEST(section(doc, 0) ==
               ":rotating_light: *requests* 2.31.0, the version you pin, is vulnerable\n"
               "*GHSA-9wx4-h78v-vm56 (CVE-2024-35195)*\n"
               "fixed in 2.32.0; none is allowed by '==2.31.0' (change the requirement)\n"
               "<https://osv.dev/vulnerability/GHSA-9wx4-h78v-vm56|GHSA-9wx4-h78v-vm56 (osv.dev)>\n"
               "Summary: sticky verify &lt;!channel&gt;\n"
               "<https://pypi.org/project/requests/2.31.0/|PyPI: requests 2.31.0>");
    BOOST_TEST(section(doc, 1).rfind(":white_check_mark: *requests* 2.31.0: advisory "
                                     "*GHSA-9wx4-h78v-vm56 (CVE-2024-35195)* no longer applies\n"
                                     "Why: withdrawn 2026-11-25T10:00:00Z",
                                     0) == 0u);
    BOOST_TEST(section(doc, 2).find("\n:warning: It drops Python 3.11.2 (requires &gt;=3.12)") !=
               std::string::npos);
    // A link that is not a web URL is not made a link.
    v.advisory->link = "javascript:alert(1)";
    std::vector<model::Event> const odd{v};
    BOOST_TEST(section(parse(SlackNotifier::render(odd)), 0).find("javascript") ==
               std::string::npos);
}

BOOST_AUTO_TEST_CASE(github_events_link_to_github_and_stay_inert) {
    auto e = release();
    e.link = "https://github.com/psf/requests/releases/tag/v2.32.0";
    auto g = release("evt_gh");
    g.kind = model::EventKind::github_release;
    g.source = "github";
    g.version = "v2.33.0";
    g.update.reset();
    g.allowed.reset();
    g.pinned.reset();
    g.detail = "<!channel> notes; not on PyPI after 6 h";
    g.origin = "https://github.com/psf/requests/releases/tag/v2.33.0";
    auto s = release("evt_spike");
    s.kind = model::EventKind::issue_spike;
    s.source = "github";
    s.version.reset();
    s.update.reset();
    s.allowed.reset();
    s.detail = "20 new issues in 24 h";
    s.origin = "https://github.com/psf/requests/issues";
    std::vector<model::Event> const events{e, g, s};
    auto const doc = parse(SlackNotifier::render(events));
    BOOST_TEST(section(doc, 0).find("\n<https://github.com/psf/requests/releases/tag/v2.32.0|"
                                    "Release notes (github.com)>") != std::string::npos,
               section(doc, 0));
    BOOST_TEST(section(doc, 1) == "*requests* *v2.33.0* released on GitHub\n"
                                  "Details: &lt;!channel&gt; notes; not on PyPI after 6 h\n"
                                  "<https://github.com/psf/requests/releases/tag/v2.33.0|GitHub: "
                                  "https://github.com/psf/requests/releases/tag/v2.33.0>");
    BOOST_TEST(section(doc, 2).rfind(":rotating_light: *requests*: a spike of new GitHub issues\n",
                                     0) == 0u,
               section(doc, 2));
}

// Issue #20: Slack has no escape for its formatting characters, so text from outside gets
// look-alikes that do not format; pinwatch's own emphasis stays.
BOOST_AUTO_TEST_CASE(formatting_from_outside_is_defused) {
    BOOST_TEST(SlackNotifier::defuse("*bold* _it_ ~gone~ `code` :rotating_light: ```x```") ==
               "\u2217bold\u2217 \u02cdit_ \u223cgone\u223c \u02cbcode\u02cb "
               "\u2236rotating_light: \u02cb\u02cb\u02cbx\u02cb\u02cb\u02cb");
    // Names with underscores, ids, times and URLs are left as they are.
    BOOST_TEST(SlackNotifier::defuse("typing_extensions evt_1 10:00:00Z https://x.example/a_b") ==
               "typing_extensions evt_1 10:00:00Z https://x.example/a_b");
    BOOST_TEST(SlackNotifier::defuse("__init__ ==2.* ~=1.4") ==
               "\u02cd\u02cdinit_\u02cd ==2.\u2217 \u223c=1.4");

    auto e = release();
    e.kind = model::EventKind::release_yanked;
    e.update.reset();
    e.allowed.reset();
    e.detail = "*URGENT* _click_ ~here~ `rm -rf ~` :white_check_mark: safe <!channel>";
    std::vector<model::Event> const events{e};
    auto const doc = parse(SlackNotifier::render(events));
    BOOST_TEST(section(doc, 0) ==
               "*requests* 2.32.0 was yanked\n"
               "Reason: \u2217URGENT\u2217 \u02cdclick_ \u223chere\u223c \u02cbrm -rf "
               "\u223c\u02cb \u2236white_check_mark: safe &lt;!channel&gt;\n"
               "<https://pypi.org/project/requests/2.32.0/|PyPI: requests 2.32.0>");
    BOOST_TEST(std::string(doc["text"].GetString()) ==
               "requests 2.32.0 was yanked: \u2217URGENT\u2217 \u02cdclick_ \u223chere\u223c "
               "\u02cbrm -rf \u223c\u02cb \u2236white_check_mark: safe &lt;!channel&gt;");
}

// Issue #20: a link's text shows where it really goes. An advisory link from an index is
// untrusted: "https://osv.dev@evil.example/" goes to evil.example, and says so.
BOOST_AUTO_TEST_CASE(links_show_their_real_host) {
    auto v = release("evt_v");
    v.kind = model::EventKind::vulnerability;
    v.version = "2.31.0";
    v.update.reset();
    v.allowed.reset();
    model::Advisory a;
    a.id = "GHSA-9wx4-h78v-vm56";
    a.summary = "*critical*: upgrade `now`";
    a.link = "https://osv.dev@evil.example/";
    v.advisory = a;
    v.detail = a.summary;
    auto g = release("evt_gh");
    g.kind = model::EventKind::github_release;
    g.source = "github";
    g.version = "v2.33.0";
    g.update.reset();
    g.allowed.reset();
    g.pinned.reset();
    g.detail = "release name: ~*Totally safe*~; not on PyPI after 6 h";
    g.origin = "https://github.com/psf/requests/releases/tag/v2.33.0";
    auto n = release("evt_n");
    n.link = "https://docs.example\\@github.com/notes?x=1";
    std::vector<model::Event> const events{v, g, n};
    auto const doc = parse(SlackNotifier::render(events));
    BOOST_TEST(section(doc, 0) ==
               ":rotating_light: *requests* 2.31.0, the version you pin, is vulnerable\n"
               "*GHSA-9wx4-h78v-vm56*\n"
               "no fixed version published\n"
               "<https://evil.example/|GHSA-9wx4-h78v-vm56 (evil.example)>\n"
               "Summary: \u2217critical\u2217: upgrade \u02cbnow\u02cb\n"
               "<https://pypi.org/project/requests/2.31.0/|PyPI: requests 2.31.0>");
    BOOST_TEST(
        section(doc, 1) ==
        "*requests* *v2.33.0* released on GitHub\n"
        "Details: release name: \u223c\u2217Totally safe\u2217\u223c; not on PyPI after 6 h\n"
        "<https://github.com/psf/requests/releases/tag/v2.33.0|GitHub: "
        "https://github.com/psf/requests/releases/tag/v2.33.0>");
    // The release notes' URL loses its userinfo, so it goes where its text says.
    BOOST_TEST(section(doc, 2).find("\n<https://github.com/notes|Release notes (github.com)>") !=
                   std::string::npos,
               section(doc, 2));
}

BOOST_AUTO_TEST_CASE(a_project_status_reason_arrives_inert) {
    model::Event e;
    e.id = "evt_q";
    e.kind = model::EventKind::project_status;
    e.source = "pypi";
    e.package = "demo";
    e.origin = "https://pypi.org/simple/";
    e.at = 1700000000;
    e.project_status = model::ProjectStatus{
        "quarantined", "<!channel> bad & worse\r\n<script>x</script> <https://evil.example|docs>"};
    e.detail = *e.project_status->reason;
    auto odd = e;
    odd.id = "evt_r";
    odd.project_status = model::ProjectStatus{"<!here>frozen", std::nullopt};
    odd.detail.clear();
    std::vector<model::Event> const events{e, odd};
    auto const doc = parse(SlackNotifier::render(events));
    std::vector<std::string> texts;
    strings(doc, texts);
    for (auto const& t : texts) {
        for (auto at = t.find('<'); at != std::string::npos; at = t.find('<', at + 1))
            BOOST_TEST(t.compare(at, 25, "<https://pypi.org/project") == 0, t);
        BOOST_TEST(t.find("<!") == std::string::npos, t);
        BOOST_TEST(t.find("<script") == std::string::npos, t);
        BOOST_TEST(t.find('\r') == std::string::npos, t);
    }
    BOOST_TEST(section(doc, 0).find("*demo* was quarantined by the index") != std::string::npos,
               section(doc, 0));
    BOOST_TEST(section(doc, 0).find("Reason: &lt;!channel&gt; bad &amp; worse\\x0d\\x0a") !=
                   std::string::npos,
               section(doc, 0));
    BOOST_TEST(section(doc, 1).find("&lt;!here&gt;frozen") != std::string::npos, section(doc, 1));
}

namespace {

// A vulnerable pin as a first poll finds it: a typical advisory (an id, a CVE alias, an
// 80-character summary, a fix, an osv.dev link) and an event id as long as pinwatch's own.
model::Event vulnerable_pin(std::size_t i) {
    char id[40];
    std::snprintf(id, sizeof id, "evt_%032zx", 0x3f9c2a7d41b86e05 + i);
    auto e = release(id);
    e.kind = model::EventKind::vulnerability;
    e.package = "package-" + std::to_string(i);
    e.version = "2.31." + std::to_string(i);
    e.update.reset();
    e.allowed.reset();
    model::Advisory a;
    a.id = "GHSA-9wx4-h78v-vm" + std::to_string(10 + i);
    a.aliases = {"CVE-2024-351" + std::to_string(10 + i)};
    a.summary = "Session object does not verify requests after making first request with "
                "verify=False";
    a.link = "https://osv.dev/vulnerability/" + a.id;
    a.fixed_in = {"2.32.0"};
    a.fix_allowed = "2.32.0";
    e.advisory = a;
    e.detail = a.summary;
    return e;
}

// Every message within Block Kit's limits: at most 50 blocks (kMaxBlocks), each section and
// context text at most 3,000 characters, the blocks' text at most kMaxBlockChars in all, the
// header at most 150. Returns the sections' and the ids' text, for what they must hold.
std::string within_limits(rapidjson::Document const& doc) {
    auto const& blocks = doc["blocks"];
    BOOST_TEST(blocks.Size() <= SlackNotifier::kMaxBlocks);
    BOOST_TEST(std::string(blocks[0]["type"].GetString()) == "header");
    BOOST_TEST(display_width(blocks[0]["text"]["text"].GetString()) <= 150u); // characters
    std::string all;
    for (std::size_t i = 1; i < blocks.Size(); ++i) {
        auto const& b = blocks[static_cast<rapidjson::SizeType>(i)];
        auto const& text = std::string(b["type"].GetString()) == "context"
                               ? b["elements"][0]["text"]
                               : b["text"]["text"];
        BOOST_TEST(text.GetStringLength() <= 3000u);
        all += std::string(text.GetString(), text.GetStringLength()) + "\n";
    }
    BOOST_TEST(all.size() <= SlackNotifier::kMaxBlockChars);
    BOOST_TEST(doc["text"].GetStringLength() <= 4000u);
    return all;
}

} // namespace

// #18's second figure: a first poll that finds 35 vulnerable pins, gathered into one batch by
// the window. Each in full they overflow Slack's 10,000-character budget (21 + 14 before); in
// compact form, a line each, they are one message within Block Kit's limits, and every pin,
// advisory id, CVE alias, fix and link is in it.
BOOST_AUTO_TEST_CASE(thirty_five_vulnerable_pins_make_one_compact_message_within_block_kit_limits) {
    std::vector<model::Event> events;
    for (std::size_t i = 0; i < 35; ++i)
        events.push_back(vulnerable_pin(i));
    auto const messages = SlackNotifier::render_messages(events);
    BOOST_TEST_MESSAGE("35 vulnerable pins: " << messages.size() << " Slack message(s)");
    BOOST_REQUIRE(messages.size() == 1u);
    BOOST_TEST(messages[0] == SlackNotifier::render(events));
    auto const doc = parse(messages[0]);
    auto const all = within_limits(doc);
    BOOST_TEST_MESSAGE("  " << doc["blocks"].Size() << " blocks, " << all.size()
                            << " characters of block text");
    std::string const header = doc["blocks"][0]["text"]["text"].GetString();
    BOOST_TEST(header.rfind("pinwatch: 35 vulnerable pins: package-0 2.31.0, ", 0) == 0u, header);
    BOOST_TEST(header.find("(part") == std::string::npos, header);
    // A few sections of lines, not a section per event.
    BOOST_TEST(doc["blocks"].Size() < 10u);
    BOOST_TEST(section(doc, 0).rfind(
                   ":rotating_light: *package-0* 2.31.0 vulnerable (critical): "
                   "<https://osv.dev/vulnerability/GHSA-9wx4-h78v-vm10|*GHSA-9wx4-h78v-vm10*, "
                   "*CVE-2024-35110* (osv.dev)>; fixed in 2.32.0, allowed by '==2.31.0'\n"
                   ":rotating_light: *package-1* 2.31.1 vulnerable (critical): ",
                   0) == 0u,
               section(doc, 0));
    std::string expected_ids = "pinwatch events ";
    for (std::size_t i = 0; i < events.size(); ++i) {
        auto const& a = *events[i].advisory;
        BOOST_TEST_CONTEXT(events[i].id) {
            BOOST_TEST(all.find("*" + events[i].package + "* " + *events[i].version + " ") !=
                       std::string::npos);
            BOOST_TEST(all.find("<" + a.link + "|*" + a.id + "*, *" + a.aliases[0] +
                                "* (osv.dev)>") != std::string::npos);
            BOOST_TEST(all.find("(osv.dev)>; fixed in 2.32.0, allowed by '==2.31.0'\n") !=
                       std::string::npos);
        }
        expected_ids += (i ? ", " : "") + events[i].id;
    }
    BOOST_TEST(ids(doc).rfind(expected_ids + " · ", 0) == 0u, ids(doc));
    // The summary is the advisory's to tell, behind its link.
    BOOST_TEST(all.find("Session object") == std::string::npos);
    // The notification's fallback tells each pin in a line too (as far as it goes).
    std::string const text = doc["text"].GetString();
    BOOST_TEST(text.rfind(header + "\npackage-0 2.31.0 vulnerable (critical): "
                                   "GHSA-9wx4-h78v-vm10, CVE-2024-35110 (osv.dev); fixed in "
                                   "2.32.0, allowed by '==2.31.0'\npackage-1 ",
                          0) == 0u,
               text);
}

// A batch too long even a line an event is cut into the fewest parts that each fit one compact
// message (200 vulnerable pins: 11 parts in full before, 5 now), in order, nothing lost.
BOOST_AUTO_TEST_CASE(a_batch_too_long_even_compact_is_split_and_loses_nothing) {
    std::vector<model::Event> events;
    for (std::size_t i = 0; i < 200; ++i)
        events.push_back(vulnerable_pin(i));
    auto const parts = SlackNotifier::split(events);
    auto const messages = SlackNotifier::render_messages(events);
    BOOST_TEST_MESSAGE("200 vulnerable pins: " << messages.size() << " Slack message(s)");
    BOOST_REQUIRE(messages.size() == parts.size());
    BOOST_TEST(messages.size() > 1u);
    BOOST_TEST(messages.size() <= 6u);
    std::size_t next = 0;
    for (std::size_t m = 0; m < messages.size(); ++m) {
        BOOST_TEST_CONTEXT("part " << m + 1) {
            auto const doc = parse(messages[m]);
            auto const all = within_limits(doc);
            BOOST_TEST(messages[m] == SlackNotifier::render(parts[m], m + 1, parts.size()));
            BOOST_TEST(std::string(doc["blocks"][0]["text"]["text"].GetString())
                           .find("(part " + std::to_string(m + 1) + " of " +
                                 std::to_string(messages.size()) + ")") != std::string::npos);
            BOOST_TEST(parts[m].size() <= SlackNotifier::kMaxCompactEvents);
            // Each part compact: a line per event, a few sections.
            BOOST_TEST(doc["blocks"].Size() < 10u);
            std::string expected_ids = "pinwatch events ";
            for (std::size_t i = 0; i < parts[m].size(); ++i, ++next) {
                BOOST_REQUIRE(next < events.size());
                BOOST_REQUIRE(&parts[m][i] == &events[next]);
                auto const& a = *events[next].advisory;
                BOOST_TEST(all.find("*" + events[next].package + "* " + *events[next].version +
                                    " ") != std::string::npos);
                BOOST_TEST(all.find("<" + a.link + "|*" + a.id + "*, *" + a.aliases[0] +
                                    "* (osv.dev)>") != std::string::npos);
                expected_ids += (i ? ", " : "") + events[next].id;
            }
            BOOST_TEST(ids(doc).rfind(expected_ids + " · ", 0) == 0u, ids(doc));
        }
    }
    BOOST_TEST(next == 200u);
}

// One event whose every untrusted field is enormous, among many: it is cut to its budgets, so
// it still fits a compact part (split() would otherwise cut the whole batch in full, as before),
// and every event is in exactly one part, in order, each message within Block Kit's limits.
BOOST_AUTO_TEST_CASE(an_oversize_event_among_many_loses_nothing) {
    std::vector<model::Event> events;
    for (std::size_t i = 0; i < 120; ++i)
        events.push_back(vulnerable_pin(i));
    auto& big = events[60];
    std::string const huge(5000, 'z');
    big.id = "evt_" + huge;
    big.package = "p" + huge;
    big.version = "1." + huge;
    big.specifier = "==" + huge;
    big.advisory->id = "GHSA-" + huge;
    big.advisory->aliases = {"CVE-1-" + huge, "CVE-2-" + huge, "CVE-3-" + huge, "CVE-4-" + huge};
    big.advisory->link = "https://osv.dev/" + huge;
    big.advisory->fixed_in.assign(12, "9." + huge);
    big.detail = huge;
    auto const parts = SlackNotifier::split(events);
    auto const messages = SlackNotifier::render_messages(events);
    BOOST_TEST_MESSAGE("120 vulnerable pins, one oversize: " << parts.size() << " part(s)");
    BOOST_REQUIRE(messages.size() == parts.size());
    BOOST_TEST(parts.size() > 1u);
    std::size_t next = 0;
    for (std::size_t m = 0; m < parts.size(); ++m) {
        BOOST_TEST_CONTEXT("part " << m + 1) {
            auto const doc = parse(messages[m]);
            within_limits(doc);
            for (std::size_t i = 0; i < parts[m].size(); ++i, ++next) {
                BOOST_REQUIRE(next < events.size());
                BOOST_REQUIRE(&parts[m][i] == &events[next]);
                BOOST_TEST(ids(doc).find(events[next].id.substr(0, 50)) != std::string::npos);
            }
        }
    }
    BOOST_TEST(next == events.size());
}

// Where the compact form begins: a batch that fits with each event in full is told so, exactly
// as before; one event more than fits so is one compact message, not two parts.
BOOST_AUTO_TEST_CASE(the_full_form_while_it_fits_then_the_compact_form) {
    auto const fits = many(SlackNotifier::kMaxEventsPerMessage);
    BOOST_REQUIRE(SlackNotifier::split(fits).size() == 1u);
    auto doc = parse(SlackNotifier::render(fits));
    BOOST_TEST(doc["blocks"].Size() == SlackNotifier::kMaxEventsPerMessage + 2);
    for (std::size_t i = 0; i < fits.size(); ++i)
        BOOST_TEST(section(doc, i) == "*requests* 2.31.0 → *2.32.0*\n"
                                      "Update: *minor*\n"
                                      "Not allowed by your requirement: '==2.31.0'\n"
                                      "<https://pypi.org/project/requests/2.32.0/|PyPI: requests "
                                      "2.32.0>");
    BOOST_TEST(std::string(doc["text"].GetString())
                   .find("\nrequests 2.32.0 released — minor (you pin 2.31.0), outside "
                         "'==2.31.0'\n") != std::string::npos);

    auto const more = many(SlackNotifier::kMaxEventsPerMessage + 1);
    BOOST_REQUIRE(SlackNotifier::split(more).size() == 1u);
    doc = parse(SlackNotifier::render(more));
    auto const all = within_limits(doc);
    BOOST_TEST(doc["blocks"].Size() < 10u);
    std::string const line = "*requests* 2.31.0 → *2.32.0* (minor, outside '==2.31.0') · "
                             "<https://pypi.org/project/requests/2.32.0/|PyPI>\n";
    BOOST_TEST(section(doc, 0).rfind(line + line, 0) == 0u, section(doc, 0));
    std::size_t lines = 0;
    for (auto at = all.find(line); at != std::string::npos; at = all.find(line, at + 1))
        ++lines;
    BOOST_TEST(lines == more.size());
    BOOST_TEST(ids(doc).rfind("pinwatch events evt_0, evt_1, ", 0) == 0u);
    BOOST_TEST(ids(doc).find(", evt_37 · ") != std::string::npos, ids(doc));

    // Past kMaxCompactEvents the batch is parts again: kMaxCompactEvents compact, then the rest.
    auto const most = many(SlackNotifier::kMaxCompactEvents + 1);
    auto const cut = SlackNotifier::split(most);
    BOOST_REQUIRE(cut.size() == 2u);
    BOOST_TEST(cut[0].size() == SlackNotifier::kMaxCompactEvents);
    BOOST_TEST(cut[1].size() == 1u);
}

// Text from outside stays inert in the compact form: escaped, defused, cut, and an advisory
// link names the host it really goes to.
BOOST_AUTO_TEST_CASE(untrusted_text_arrives_inert_in_the_compact_form) {
    std::vector<model::Event> events;
    for (std::size_t i = 0; i < 38; ++i)
        events.push_back(vulnerable_pin(i));
    auto& v = events[0];
    v.package = "evil<!here>";
    v.version = "1.0<@U024BE7LH>";
    v.specifier = "==1.0 <!everyone> *x*";
    v.advisory->id = "GHSA-<!channel>";
    v.advisory->aliases = {"CVE-*2024*-1 <https://evil.example|docs>"};
    v.advisory->link = "https://osv.dev@evil.example/<!here>";
    v.advisory->fixed_in = {"2.0 <!subteam^S1>"};
    v.advisory->fix_allowed.reset();
    auto& y = events[1];
    y.kind = model::EventKind::pinned_yanked;
    y.advisory.reset();
    y.id = "evt_<!subteam^S1>";
    y.detail = "<!channel> broken & bad\r\n<script>alert(1)</script> ~*URGENT*~ :fire: " +
               std::string(1000, '&');
    y.alternatives = {"2.0 `rm -rf`"};
    auto const messages = SlackNotifier::render_messages(events);
    BOOST_REQUIRE(messages.size() == 1u);
    auto const doc = parse(messages[0]);
    within_limits(doc);
    BOOST_TEST(doc["blocks"].Size() < 10u); // compact
    std::vector<std::string> texts;
    strings(doc, texts);
    for (auto const& t : texts) {
        // The only '<' left open our own links: to osv.dev's advisories and the evil one, shown
        // as evil.example.
        for (auto at = t.find('<'); at != std::string::npos; at = t.find('<', at + 1))
            BOOST_TEST((t.compare(at, 31, "<https://osv.dev/vulnerability/") == 0 ||
                        t.compare(at, 28, "<https://evil.example/%3C!he") == 0 ||
                        t.compare(at, 25, "<https://pypi.org/project") == 0),
                       t.substr(at, 40));
        BOOST_TEST(t.find("<!") == std::string::npos, t);
        BOOST_TEST(t.find("<@") == std::string::npos, t);
        BOOST_TEST(t.find("<script") == std::string::npos, t);
        BOOST_TEST(t.find('\r') == std::string::npos, t);
    }
    // The header too, cut within Slack's 150 characters once escaped, no entity split.
    std::string const header = doc["blocks"][0]["text"]["text"].GetString();
    BOOST_TEST(
        header.rfind("pinwatch: 37 vulnerable pins: evil&lt;!here&gt; 1.0&lt;@U024BE7LH&gt;, "
                     "package-2 2.31.2",
                     0) == 0u,
        header);
    BOOST_TEST(header.substr(header.size() - 3) == "…", header);
    BOOST_TEST(display_width(header) == 150u, header);
    auto const lines = section(doc, 0);
    auto const first = lines.substr(0, lines.find('\n'));
    BOOST_TEST(first ==
               ":rotating_light: *evil&lt;!here&gt;* 1.0&lt;@U024BE7LH&gt; vulnerable (critical): "
               "<https://evil.example/%3C!here%3E|*GHSA-&lt;!channel&gt;*, *CVE-\u22172024\u2217-1 "
               "&lt;https://evil.example|docs&gt;* (evil.example)>; fixed in 2.0 "
               "&lt;!subteam^S1&gt;, outside '==1.0 &lt;!everyone&gt; \u2217x\u2217'");
    auto const second =
        lines.substr(first.size() + 1, lines.find('\n', first.size() + 1) - first.size() - 1);
    BOOST_TEST(second.rfind(":warning: *package-1* 2.31.1, the version you pin, was yanked; "
                            "nearest non-yanked: 2.0 \u02cbrm -rf\u02cb — Reason: &lt;!channel&gt; "
                            "broken &amp; bad\\x0d\\x0a&lt;script&gt;alert(1)&lt;/script&gt; "
                            "\u223c\u2217URGENT\u2217\u223c \u2236fire: &amp;",
                            0) == 0u,
               second);
    // The reason is cut at its budget without breaking an entity, then where to read more.
    BOOST_TEST(second.find("&amp;… · <https://pypi.org/project/package-1/2.31.1/|PyPI>") !=
                   std::string::npos,
               second);
    BOOST_TEST(ids(doc).find("evt_&lt;!subteam^S1&gt;") != std::string::npos);
}
