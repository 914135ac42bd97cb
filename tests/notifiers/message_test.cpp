#define BOOST_TEST_MODULE message
#include <boost/test/unit_test.hpp>

// The message model: every event kind is worded here once (headline, severity, sentence, facts,
// a brief form for chats, links), and links name the host they really go to.

#include "common/text.hpp"
#include "notifiers/message.hpp"

#include <algorithm>
#include <map>

using namespace pinwatch;
using namespace pinwatch::notifiers;
using model::EventKind;

namespace {

// An event with every field a kind may use filled in.
model::Event full(EventKind kind) {
    model::Event e;
    e.id = "evt_1";
    e.kind = kind;
    e.source = "pypi";
    e.package = "requests";
    e.origin = "https://pypi.org/simple/";
    e.version = "2.32.0";
    e.pinned = "2.31.0";
    e.specifier = "==2.31.0";
    e.detail = "the detail";
    e.at = 1700000000;
    if (kind == EventKind::new_release) {
        e.update = model::UpdateType::minor;
        e.allowed = false;
    }
    if (kind == EventKind::vulnerability || kind == EventKind::vulnerability_withdrawn) {
        e.version = "2.31.0";
        model::Advisory a;
        a.id = "GHSA-9wx4-h78v-vm56";
        a.aliases = {"CVE-2024-35195"};
        a.summary = "the detail";
        a.link = "https://osv.dev/vulnerability/GHSA-9wx4-h78v-vm56";
        a.fixed_in = {"2.32.0"};
        e.advisory = a;
    }
    if (kind == EventKind::pinned_yanked) {
        e.version = "2.31.0";
        e.alternatives = {"2.30.0", "2.31.1"};
    }
    if (kind == EventKind::github_release || kind == EventKind::issue_spike ||
        kind == EventKind::issue_spike_over) {
        e.source = "github";
        e.origin = "https://github.com/psf/requests/releases/tag/v2.32.0";
    }
    if (kind == EventKind::project_status) {
        e.project_status = model::ProjectStatus{"quarantined", "the detail"};
        e.previous_status = "active";
    }
    return e;
}

std::string fact(Message const& m, std::string const& label) {
    for (auto const& f : m.facts)
        if (f.label == label) return f.value;
    return "<none>";
}

} // namespace

BOOST_AUTO_TEST_CASE(every_kind_has_a_headline_a_severity_a_sentence_and_facts) {
    struct Expected {
        std::string headline;
        Severity severity;
        std::string title;
    };
    std::map<EventKind, Expected> const expected{
        {EventKind::new_release,
         {"requests 2.32.0 (minor)", Severity::info, "requests 2.31.0 → 2.32.0"}},
        {EventKind::release_yanked,
         {"requests 2.32.0 yanked", Severity::info, "requests 2.32.0 was yanked"}},
        {EventKind::release_unyanked,
         {"requests 2.32.0 no longer yanked", Severity::info,
          "requests 2.32.0 is no longer yanked"}},
        {EventKind::pinned_yanked,
         {"requests 2.31.0 yanked (your pin)", Severity::warning,
          "requests 2.31.0, the version you pin, was yanked"}},
        {EventKind::pin_not_found,
         {"requests 2.31.0 not listed (your pin)", Severity::info,
          "requests 2.31.0, the version you pin, is not listed"}},
        {EventKind::release_removed,
         {"requests 2.32.0 removed", Severity::info, "requests 2.32.0 was removed from the index"}},
        {EventKind::package_gone,
         {"requests gone from the index", Severity::info, "requests is gone from the index"}},
        {EventKind::source_failing,
         {"requests: polls failing", Severity::info, "requests: polls keep failing"}},
        {EventKind::source_recovered,
         {"requests: polls work again", Severity::info, "requests: polls work again"}},
        {EventKind::notifier_disabled,
         {"notifier requests stopped", Severity::info, "Notifier requests stopped delivering"}},
        {EventKind::vulnerability,
         {"requests 2.31.0 vulnerable (your pin): GHSA-9wx4-h78v-vm56", Severity::critical,
          "requests 2.31.0, the version you pin, is vulnerable"}},
        {EventKind::vulnerability_withdrawn,
         {"requests 2.31.0 advisory withdrawn: GHSA-9wx4-h78v-vm56", Severity::resolved,
          "requests 2.31.0: advisory GHSA-9wx4-h78v-vm56 (CVE-2024-35195) no longer applies"}},
        {EventKind::github_release,
         {"requests 2.32.0 (GitHub release)", Severity::info,
          "requests 2.32.0 released on GitHub"}},
        {EventKind::issue_spike,
         {"requests: GitHub issue spike", Severity::critical,
          "requests: a spike of new GitHub issues"}},
        {EventKind::issue_spike_over,
         {"requests: GitHub issue spike over", Severity::info,
          "requests: new GitHub issues are back to their usual rate"}},
        {EventKind::project_status,
         {"requests QUARANTINED by the index", Severity::critical,
          "requests was quarantined by the index (was active)"}},
    };
    BOOST_REQUIRE(expected.size() == std::size(model::kAllEventKinds));
    for (auto kind : model::kAllEventKinds) {
        BOOST_TEST_CONTEXT(model::to_string(kind)) {
            auto const m = message_for(full(kind));
            auto const& want = expected.at(kind);
            BOOST_TEST(m.id == "evt_1");
            BOOST_TEST((m.kind == kind));
            BOOST_TEST(m.at == 1700000000);
            BOOST_TEST(m.headline == want.headline);
            BOOST_TEST(to_string(m.severity) == to_string(want.severity));
            BOOST_REQUIRE(!m.brief.empty());
            BOOST_TEST(plain(m.brief[0]) == want.title);
            // The sentence says the same as the title (and more), in the same order.
            BOOST_TEST(ascii_lower(m.sentence).rfind(ascii_lower(want.title.substr(0, 12)), 0) ==
                           0u,
                       m.sentence);
            // Every record names the package, when it was noticed and the event id, and says
            // where it was seen.
            BOOST_TEST(m.facts.front().label == "Package");
            BOOST_TEST(fact(m, "Package") == "requests");
            BOOST_TEST(fact(m, "Noticed") == "2023-11-14 22:13:20Z");
            BOOST_TEST(fact(m, "Event id") == "evt_1");
            BOOST_TEST(fact(m, "Seen at") != "<none>");
            // The detail is told once in the chat form and (except for a vulnerability, whose
            // summary is a fact of its own) once in the record.
            auto const told = std::count_if(m.brief.begin(), m.brief.end(), [](Line const& l) {
                return plain(l).find("the detail") != std::string::npos;
            });
            BOOST_TEST(told == 1);
            // The chat form ends with where to read more.
            BOOST_TEST(!m.links.empty());
            BOOST_TEST(!m.brief.back().spans.back().url.empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(each_kind_records_its_own_facts) {
    auto const r = message_for(full(EventKind::new_release));
    BOOST_TEST(fact(r, "Pinned → new") == "2.31.0 → 2.32.0");
    BOOST_TEST(fact(r, "Update") == "minor");
    BOOST_TEST(fact(r, "Allowed") == "no, outside '==2.31.0'");
    BOOST_TEST(fact(r, "Detail") == "the detail");

    auto const y = message_for(full(EventKind::pinned_yanked));
    BOOST_TEST(fact(y, "Version") == "2.31.0 (your pin)");
    BOOST_TEST(fact(y, "Yank reason") == "the detail");
    BOOST_TEST(fact(y, "Nearest non-yanked") == "2.30.0, 2.31.1");
    BOOST_TEST(plain(y.brief[1]) == "Nearest non-yanked: 2.30.0, 2.31.1");
    BOOST_TEST(plain(y.brief[2]) == "Reason: the detail");

    auto const v = message_for(full(EventKind::vulnerability));
    BOOST_TEST(fact(v, "Advisory") == "GHSA-9wx4-h78v-vm56 (CVE-2024-35195)");
    BOOST_TEST(fact(v, "Summary") == "the detail");
    BOOST_TEST(fact(v, "Fix") ==
               "fixed in 2.32.0; none is allowed by '==2.31.0' (change the requirement)");
    BOOST_TEST(fact(v, "Detail") == "<none>");
    BOOST_TEST(fact(v, "Link") == "https://osv.dev/vulnerability/GHSA-9wx4-h78v-vm56");

    auto const w = message_for(full(EventKind::vulnerability_withdrawn));
    BOOST_TEST(fact(w, "Why") == "the detail");
    BOOST_TEST(fact(w, "Fix") == "<none>");

    auto const p = message_for(full(EventKind::pin_not_found));
    BOOST_TEST(fact(p, "Pinned") == "2.31.0");

    auto const f = message_for(full(EventKind::source_failing));
    BOOST_TEST(plain(f.brief[1]) == "Last error: the detail");

    auto n = full(EventKind::new_release);
    n.requires_python = ">=3.12";
    n.drops_python = true;
    n.python = "3.11";
    auto const d = message_for(n);
    BOOST_TEST(fact(d, "Python") == "this release drops Python 3.11 (requires >=3.12)");
    auto const drops =
        std::find_if(d.brief.begin(), d.brief.end(), [](Line const& l) { return l.warning; });
    BOOST_REQUIRE(drops != d.brief.end());
    BOOST_TEST(plain(*drops) == "It drops Python 3.11 (requires >=3.12)");
}

BOOST_AUTO_TEST_CASE(untrusted_parts_are_marked_and_sanitised) {
    auto e = full(EventKind::release_yanked);
    e.detail = "bad\x1b[2J *bold*";
    auto const m = message_for(e);
    auto const& reason = m.brief[1];
    BOOST_REQUIRE(reason.spans.size() == 2u);
    BOOST_TEST((reason.spans[0].role == Role::ours));
    BOOST_TEST(reason.spans[0].text == "Reason: ");
    BOOST_TEST((reason.spans[1].role == Role::prose));
    BOOST_TEST(reason.spans[1].text == "bad\\x1b[2J *bold*"); // sanitised, not escaped
    BOOST_TEST((m.brief[0].spans[0].role == Role::name));
    BOOST_TEST(m.brief[0].spans[0].strong);
}

BOOST_AUTO_TEST_CASE(links_come_from_the_model_and_name_their_real_host) {
    auto const r = message_for(full(EventKind::new_release));
    BOOST_REQUIRE(r.links.size() == 1u);
    BOOST_TEST(r.links[0].url == "https://pypi.org/project/requests/2.32.0/");
    BOOST_TEST(r.links[0].label == "PyPI: requests 2.32.0");

    auto v = full(EventKind::vulnerability);
    v.advisory->link = "https://osv.dev@evil.example/GHSA-9wx4-h78v-vm56?ref=pinwatch";
    v.link = "https://docs.example\\@github.com/notes";
    auto const m = message_for(v);
    BOOST_REQUIRE(m.links.size() == 3u);
    BOOST_TEST(m.links[0].url == "https://evil.example/GHSA-9wx4-h78v-vm56?ref=pinwatch");
    BOOST_TEST(m.links[0].label == "GHSA-9wx4-h78v-vm56 (evil.example)");
    BOOST_TEST(fact(m, "Link") == "https://evil.example/GHSA-9wx4-h78v-vm56?ref=pinwatch");
    BOOST_TEST(m.links[1].label == "PyPI: requests 2.31.0");
    // The link that is followed is the one named: without its userinfo it goes to github.com.
    BOOST_TEST(m.links[2].url == "https://github.com/notes");
    BOOST_TEST(m.links[2].label == "Release notes (github.com)");

    auto n = full(EventKind::new_release);
    n.link = "https://user:pw@Notes.Example:8443/r?token=x";
    auto const l = message_for(n);
    BOOST_REQUIRE(l.links.size() == 2u);
    BOOST_TEST(l.links[1].url == "https://Notes.Example:8443/r");
    BOOST_TEST(l.links[1].label == "Release notes (notes.example:8443)");
}

BOOST_AUTO_TEST_CASE(url_hosts_are_read_as_browsers_read_them) {
    BOOST_TEST(url_host("https://osv.dev@evil.example/") == "evil.example");
    BOOST_TEST(url_host("https://a:b@c@Evil.Example:8443/x") == "evil.example:8443");
    BOOST_TEST(url_host("https://evil.example\\@osv.dev/") == "evil.example");
    BOOST_TEST(url_host("https://evil.example?@osv.dev/") == "evil.example");
    BOOST_TEST(url_host("https://evil.example#@osv.dev/") == "evil.example");
    BOOST_TEST(url_host("https://[::1]:8080/p") == "[::1]:8080");
    BOOST_TEST(url_host("no scheme") == "");
    // Links are written so that every reader, browser and label agree on the host; a link's
    // query and fragment are kept.
    BOOST_TEST(link_target("https://osv.dev@evil.example/a?id=1#f") ==
               "https://evil.example/a?id=1#f");
    BOOST_TEST(link_target("https://evil.example\\@osv.dev/x") ==
               "https://evil.example/@osv.dev/x");
    BOOST_TEST(url_host(link_target("https://evil.example\\@osv.dev/x")) == "evil.example");
    BOOST_TEST(link_target("https://evil.example?@osv.dev/") == "https://evil.example?@osv.dev/");
    BOOST_TEST(link_target("https://osv.dev/vulnerability/GHSA-1") ==
               "https://osv.dev/vulnerability/GHSA-1");
    BOOST_TEST(is_web_url("HTTPS://x"));
    BOOST_TEST(!is_web_url("javascript:alert(1)"));
}

BOOST_AUTO_TEST_CASE(words_for_a_batch) {
    std::vector<model::Event> const events{full(EventKind::new_release),
                                           full(EventKind::pinned_yanked),
                                           full(EventKind::source_failing)};
    auto const messages = messages_for(events);
    // The header says what the batch is about, not how many (#18): the most pressing first.
    BOOST_TEST(batch_title(std::span(messages).first(1)) == "pinwatch: requests 2.32.0 (minor)");
    BOOST_TEST(batch_title(messages, 2, 3) ==
               "pinwatch: requests 2.31.0 yanked (your pin) and 2 more (part 2 of 3)");
    BOOST_TEST(batch_intro(1) == "pinwatch noticed 1 change.");
    BOOST_TEST(batch_intro(3) == "pinwatch noticed 3 changes.");
    BOOST_TEST(batch_subject(messages) == "pinwatch: requests 2.31.0 yanked (your pin) and 2 more");
    BOOST_TEST(batch_subject(std::span(messages).first(1), 8) == "pinwatch: requests…");
    BOOST_TEST(batch_subject({}) == "pinwatch: no changes");
    BOOST_TEST(plain(trail(messages[1])) ==
               "pinwatch event evt_1 · pinned_yanked · 2023-11-14 22:13:20Z");
}

// #16: the projects an event concerns, in one line ("pinned by api (2.31.0), worker (>=2)") and
// one fact; nothing when it concerns only the project "default".
BOOST_AUTO_TEST_CASE(an_event_says_which_projects_pin_the_package) {
    auto e = full(EventKind::new_release);
    e.projects = {{"default", "2.31.0", "==2.31.0", "r.txt", std::nullopt, {}, {}}};
    BOOST_TEST(pinned_by(e).empty());
    auto const plain_message = message_for(e);
    e.projects = {{"api", "2.31.0", "==2.31.0", "a.txt", true, {}, {}},
                  {"worker", std::nullopt, ">=2", "w.txt", std::nullopt, {}, {}},
                  {"batch\x1b[31m", std::nullopt, "", "b.txt", std::nullopt, {}, {}}};
    auto const text = pinned_by(e);
    BOOST_TEST(text.find("pinned by api (2.31.0), worker (>=2), batch") == 0u, text);
    BOOST_TEST(text.find("(any version)") != std::string::npos, text);
    BOOST_TEST(text.find('\x1b') == std::string::npos); // sanitised
    auto const m = message_for(e);
    BOOST_TEST(m.brief.size() == plain_message.brief.size() + 1);
    bool line = false;
    for (auto const& l : m.brief)
        line = line || plain(l) == text;
    BOOST_TEST(line);
    bool fact = false;
    for (auto const& f : m.facts)
        fact = fact || (f.label == "Projects" && f.value == text);
    BOOST_TEST(fact);
}

BOOST_AUTO_TEST_CASE(a_batch_header_names_the_substance) {
    auto release = [](std::string pkg, std::string ver) {
        auto e = full(EventKind::new_release);
        e.package = std::move(pkg);
        e.version = std::move(ver);
        return e;
    };
    std::vector<model::Event> releases{release("requests", "2.32.0")};
    for (int i = 0; i < 5; ++i)
        releases.push_back(release("pkg" + std::to_string(i), "1.1"));
    BOOST_TEST(batch_header(messages_for(releases)) == "requests 2.32.0 (minor) and 5 more");

    auto vulnerable = [](std::string pkg, std::string ver) {
        auto e = full(EventKind::vulnerability);
        e.package = std::move(pkg);
        e.version = std::move(ver);
        return e;
    };
    std::vector<model::Event> two{vulnerable("requests", "2.31.0"),
                                  vulnerable("urllib3", "1.26.5")};
    BOOST_TEST(batch_header(messages_for(two)) ==
               "2 vulnerable pins: requests 2.31.0, urllib3 1.26.5");
    // The vulnerable pins lead, whatever came first.
    std::vector<model::Event> mixed{release("idna", "3.7"), two[0], two[1]};
    BOOST_TEST(batch_header(messages_for(mixed)) ==
               "2 vulnerable pins: requests 2.31.0, urllib3 1.26.5 and 1 more");
    // Thirty-five do not make a header longer than its budget.
    std::vector<model::Event> many;
    for (int i = 0; i < 35; ++i)
        many.push_back(vulnerable("package-" + std::to_string(i), "1.0." + std::to_string(i)));
    auto const h = batch_header(messages_for(many));
    BOOST_TEST(h.rfind("35 vulnerable pins: package-0 1.0.0, package-1 1.0.1", 0) == 0u, h);
    BOOST_TEST(h.size() <= 160u, h);
    BOOST_TEST(h.find(" more") != std::string::npos, h);
}

BOOST_AUTO_TEST_CASE(a_batch_says_the_index_and_the_ids_once) {
    auto a = full(EventKind::new_release);
    a.origin = "https://pypi.internal.example/simple/";
    auto b = a;
    b.id = "evt_2";
    b.package = "urllib3";
    auto const batch = batch_of(messages_for(std::vector<model::Event>{a, b}));
    BOOST_REQUIRE(batch.shared.size() == 1u);
    BOOST_TEST(plain(batch.shared[0]) == "Index: https://pypi.internal.example/simple/");
    for (auto const& m : batch.messages) {
        for (auto const& l : m.brief)
            BOOST_TEST(plain(l).find("Index:") == std::string::npos);
        for (auto const& f : m.facts)
            BOOST_TEST(f.label != "Event id");
    }
    BOOST_TEST(plain(batch.ids).rfind("pinwatch events " + a.id + ", evt_2 · ", 0) == 0u,
               plain(batch.ids));
    // Different indexes: each event keeps its own.
    b.origin = "https://other.example/simple/";
    auto const apart = batch_of(messages_for(std::vector<model::Event>{a, b}));
    BOOST_TEST(apart.shared.empty());
    BOOST_TEST(plain(apart.messages[1].brief.back()) == "Index: https://other.example/simple/");
}

// A chat whose batch is too long to tell each event in full tells each in one line: what an
// on-call engineer acts on stays, an advisory's summary goes (its link tells it).
BOOST_AUTO_TEST_CASE(every_kind_has_a_compact_line) {
    for (auto kind : model::kAllEventKinds) {
        BOOST_TEST_CONTEXT(model::to_string(kind)) {
            auto const m = message_for(full(kind));
            auto const line = plain(m.compact);
            BOOST_TEST(!m.compact.warning);
            // It says what the title says (a vulnerability more briefly) and names the package.
            if (kind != EventKind::vulnerability)
                BOOST_TEST(line.rfind(plain(m.brief[0]), 0) == 0u, line);
            BOOST_TEST(line.find("requests") != std::string::npos, line);
            // The detail once, but not an advisory's summary; a link to read more, always.
            BOOST_TEST(line.find("the detail") == (kind == EventKind::vulnerability
                                                       ? std::string::npos
                                                       : line.rfind("the detail")),
                       line);
            BOOST_TEST(std::any_of(m.compact.spans.begin(), m.compact.spans.end(),
                                   [](Span const& s) { return !s.url.empty(); }));
            // Untrusted text keeps its role, so a chat cuts and escapes it.
            for (auto const& s : m.compact.spans)
                if (s.text.find("the detail") != std::string::npos || s.text == "requests")
                    BOOST_TEST((s.role != Role::ours), s.text);
        }
    }
    auto const line = [](model::Event const& e) { return plain(message_for(e).compact); };
    BOOST_TEST(line(full(EventKind::new_release)) ==
               "requests 2.31.0 → 2.32.0 (minor, outside '==2.31.0') — Details: the detail · PyPI");
    BOOST_TEST(line(full(EventKind::pinned_yanked)) ==
               "requests 2.31.0, the version you pin, was yanked; nearest non-yanked: 2.30.0, "
               "2.31.1 — Reason: the detail · PyPI");
    BOOST_TEST(line(full(EventKind::project_status)) ==
               "requests was quarantined by the index (was active): suspected malware, check "
               "where it is installed — Reason: the detail · PyPI");

    // A vulnerability: the pin, the advisory's id and CVE aliases linked to it (its real host
    // named), the severity, the fix and whether the requirement allows it.
    auto v = full(EventKind::vulnerability);
    v.advisory->aliases = {"PYSEC-2024-1", "CVE-2024-35195", "CVE-2024-35196"};
    auto m = message_for(v);
    BOOST_TEST(plain(m.compact) ==
               "requests 2.31.0 vulnerable (critical): GHSA-9wx4-h78v-vm56, CVE-2024-35195, "
               "CVE-2024-35196 (osv.dev); fixed in 2.32.0, outside '==2.31.0'");
    auto const linked = std::count_if(m.compact.spans.begin(), m.compact.spans.end(),
                                      [&](Span const& s) { return s.url == v.advisory->link; });
    BOOST_TEST(linked == 8); // the id, two aliases, two commas, " (", the host, ")"
    v.specifier = ">=2,<3";
    v.advisory->fix_allowed = "2.32.0";
    v.advisory->link = "https://osv.dev@evil.example/x";
    v.projects = {{"api", "2.31.0", "==2.31.0", "a.txt", true, {}, {}},
                  {"worker", std::nullopt, ">=2,<3", "w.txt", true, {}, {}}};
    m = message_for(v);
    BOOST_TEST(plain(m.compact) ==
               "requests 2.31.0 vulnerable (critical): GHSA-9wx4-h78v-vm56, CVE-2024-35195, "
               "CVE-2024-35196 (evil.example); fixed in 2.32.0, allowed by '>=2,<3'; "
               "pinned by api (2.31.0), worker (>=2,<3)");
    v.advisory->fixed_in = {"1.26.19", "2.2.2"};
    v.advisory->fix_allowed = "2.2.2";
    BOOST_TEST(plain(message_for(v).compact)
                   .find("; fixed in 1.26.19, 2.2.2; 2.2.2 allowed by "
                         "'>=2,<3'; pinned by") != std::string::npos);
    BOOST_TEST(std::any_of(m.compact.spans.begin(), m.compact.spans.end(),
                           [](Span const& s) { return s.url == "https://evil.example/x"; }));
    // No web link, no fix: said as such, and where to read more instead.
    v.projects.clear();
    v.advisory->link = "javascript:alert(1)";
    v.advisory->fixed_in.clear();
    m = message_for(v);
    BOOST_TEST(plain(m.compact) ==
               "requests 2.31.0 vulnerable (critical): GHSA-9wx4-h78v-vm56, CVE-2024-35195, "
               "CVE-2024-35196; no fixed version published · PyPI");
}

// What a batch shares is said once in compact form too: the index goes from each line.
BOOST_AUTO_TEST_CASE(a_compact_batch_says_the_index_once) {
    auto a = full(EventKind::release_yanked);
    a.origin = "https://pypi.internal.example/simple/";
    auto const alone = message_for(a);
    BOOST_TEST(plain(alone.compact) ==
               "requests 2.32.0 was yanked — Reason: the detail · index pypi.internal.example");
    BOOST_TEST(alone.compact.spans.back().url == "https://pypi.internal.example/simple/");
    auto b = a;
    b.id = "evt_2";
    b.package = "urllib3";
    auto const batch = batch_of(messages_for(std::vector<model::Event>{a, b}));
    BOOST_REQUIRE(batch.shared.size() == 1u);
    BOOST_TEST(plain(batch.messages[0].compact) ==
               "requests 2.32.0 was yanked — Reason: the detail");
    BOOST_TEST(plain(batch.messages[1].compact) ==
               "urllib3 2.32.0 was yanked — Reason: the detail");
    b.origin = "https://other.example/simple/";
    auto const apart = batch_of(messages_for(std::vector<model::Event>{a, b}));
    BOOST_TEST(plain(apart.messages[1].compact) ==
               "urllib3 2.32.0 was yanked — Reason: the detail · index other.example");
}
