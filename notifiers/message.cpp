#include "notifiers/message.hpp"
#include "notifiers/notifier.hpp"

#include "common/text.hpp"
#include "common/time.hpp"

#include <algorithm>
#include <cstdio>

namespace pinwatch::notifiers {
namespace {

using model::Event;
using model::EventKind;
using model::UpdateType;

std::string clean(std::string_view untrusted) {
    return sanitize_text(untrusted);
}

// --- pieces shared by several kinds ---------------------------------------------------------

// "GHSA-9wx4-h78v-vm56 (CVE-2024-35195)"
std::string advisory_title(model::Advisory const& a) {
    std::string out = clean(a.id);
    if (!a.aliases.empty()) {
        out += " (";
        for (std::size_t i = 0; i < a.aliases.size() && i < 5; ++i)
            out += (i ? ", " : "") + clean(a.aliases[i]);
        out += ")";
    }
    return out;
}

// A requirement as a sentence names it: "any version" or '<specifier>'.
std::string requirement_text(std::string const& specifier) {
    return specifier.empty() ? "any version" : "'" + clean(specifier) + "'";
}

// "fixed in 2.32.0; none is allowed by '==2.31.0' (change the requirement)" /
// "fixed in 2.32.0; 2.32.0 is allowed by '>=2,<3'" / "no fixed version published"
std::string fix_text(Event const& e) {
    if (!e.advisory || e.advisory->fixed_in.empty()) return "no fixed version published";
    std::string fixed;
    for (std::size_t i = 0; i < e.advisory->fixed_in.size() && i < 10; ++i)
        fixed += (i ? ", " : "") + clean(e.advisory->fixed_in[i]);
    std::string const spec = requirement_text(e.specifier);
    if (e.advisory->fix_allowed)
        return "fixed in " + fixed + "; " + clean(*e.advisory->fix_allowed) + " is allowed by " +
               spec;
    return "fixed in " + fixed + "; none is allowed by " + spec + " (change the requirement)";
}

// The same for one line: "fixed in 2.32.0, outside '==2.31.0'" / "fixed in 2.32.0, allowed by
// '>=2,<3'" / "fixed in 1.26.19, 2.2.2; 2.2.2 allowed by '>=2'" / "no fixed version published"
std::string compact_fix_text(Event const& e) {
    if (!e.advisory || e.advisory->fixed_in.empty()) return "no fixed version published";
    auto const& a = *e.advisory;
    std::string fixed;
    for (std::size_t i = 0; i < a.fixed_in.size() && i < 10; ++i)
        fixed += (i ? ", " : "") + clean(a.fixed_in[i]);
    std::string const spec = requirement_text(e.specifier);
    if (!a.fix_allowed) return "fixed in " + fixed + ", outside " + spec;
    if (a.fixed_in.size() == 1 && a.fixed_in.front() == *a.fix_allowed)
        return "fixed in " + fixed + ", allowed by " + spec;
    return "fixed in " + fixed + "; " + clean(*a.fix_allowed) + " allowed by " + spec;
}

// "2.0.7, 2.1.1": the nearest non-yanked versions to a yanked pin, or "".
std::string alternatives_text(Event const& e) {
    std::string out;
    for (auto const& v : e.alternatives)
        out += (out.empty() ? "" : ", ") + clean(v);
    return out;
}

// "drops Python 3.11 (requires >=3.12)" when a new release excludes the target Python, or "".
std::string drops_python_text(Event const& e) {
    if (!e.drops_python || !*e.drops_python) return "";
    return "drops Python " + clean(e.python.value_or("?")) + " (requires " +
           clean(e.requires_python.value_or("?")) + ")";
}

// Whether the event was seen on pypi.org's own index (then PyPI's project pages exist).
bool from_pypi_org(std::string_view origin) {
    auto const url = ascii_lower(redact_url(origin));
    return url == "https://pypi.org" || url.rfind("https://pypi.org/", 0) == 0;
}

// One path segment: everything but RFC 3986's unreserved characters percent-encoded.
std::string path_segment(std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
        bool const unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                                c == '~';
        if (unreserved) {
            out += static_cast<char>(c);
        } else {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned>(c));
            out += buf;
        }
    }
    return out;
}

// Names and versions are cut before they go into a URL, like everything else.
constexpr std::size_t kUrlNameChars = 100;
constexpr std::size_t kUrlVersionChars = 64;

// --- building a message ---------------------------------------------------------------------

Span ours(std::string text, bool strong = false) {
    return Span{std::move(text), Role::ours, strong, {}};
}
Span piece(std::string_view untrusted, Role role, bool strong = false) {
    return Span{clean(untrusted), role, strong, {}};
}
Line line(std::vector<Span> spans, bool warning = false) {
    return Line{std::move(spans), warning};
}
// The same as spans (the specifier a phrase of its own, for each channel to escape).
void append_requirement(std::vector<Span>& spans, std::string const& specifier) {
    if (specifier.empty()) {
        spans.push_back(ours("any version"));
        return;
    }
    spans.push_back(ours("'"));
    spans.push_back(piece(specifier, Role::phrase));
    spans.push_back(ours("'"));
}
// Spans that make one link to `url` (already without credentials).
std::vector<Span> linked(std::vector<Span> spans, std::string const& url) {
    for (auto& s : spans)
        s.url = url;
    return spans;
}

// What differs between kinds: the one switch over event kinds in the tree.
struct Wording {
    Severity severity = Severity::info;
    std::string headline;
    std::string sentence;
    Line title;
    std::vector<Line> lines;              // after the title, before the detail
    std::string detail_label = "Details"; // how a chat labels e.detail
    std::string detail_fact = "Detail";   // how the full record labels it ("" = left out)
    // The compact line's words (Message::compact): its start (empty: the title's spans), what
    // follows it, and whether e.detail is told there (an advisory's summary is not: its link
    // tells it).
    std::vector<Span> compact_title;
    std::vector<Span> compact_extra;
    bool compact_detail = true;
    bool compact_links = true; // where to read more (not when the advisory's link is there)
};

Wording word(Event const& e) {
    std::string const pkg = clean(e.package);
    std::string const ver = clean(e.version.value_or("?"));
    std::string const pin_words = e.pinned ? " (you pin " + clean(*e.pinned) + ")" : "";
    std::string const detail = e.detail.empty() ? "" : ": " + clean(e.detail);
    Span const name = piece(e.package, Role::name, true);
    Span const version = piece(e.version.value_or("?"), Role::version);
    Wording w;
    switch (e.kind) {
    case EventKind::new_release: {
        bool const older = e.update == UpdateType::older;
        w.headline = pkg + " " + ver +
                     (e.update && *e.update != UpdateType::none
                          ? " (" + std::string(model::to_string(*e.update)) + ")"
                          : " (new release)");
        std::string s = pkg + " " + ver + " released";
        if (e.update && *e.update != UpdateType::none)
            s += " — " + std::string(model::to_string(*e.update));
        if (older)
            s = pkg + " " + ver + " released — " +
                (e.pinned ? "below your pin" : "older than the newest release") + " (a backport)";
        s += pin_words;
        std::string const spec = requirement_text(e.specifier);
        if (e.allowed) s += *e.allowed ? ", allowed by " + spec : ", outside " + spec;
        auto const drops = drops_python_text(e);
        if (!drops.empty()) s += ", " + drops;
        if (e.link) s += "; release notes: " + clean(redact_url(*e.link));
        w.sentence = s + detail;

        if (older && e.pinned)
            w.title =
                line({name, ours(" "), version, ours(" released, below the version you pin ("),
                      piece(*e.pinned, Role::version), ours("): a backport")});
        else if (older)
            w.title = line({name, ours(" "), version,
                            ours(" released, older than the newest release: a backport")});
        else if (e.pinned)
            w.title = line({name, ours(" "), piece(*e.pinned, Role::version), ours(" → "),
                            piece(e.version.value_or("?"), Role::version, true)});
        else
            w.title = line({name, ours(" "), piece(e.version.value_or("?"), Role::version, true),
                            ours(" released")});
        if (e.update && *e.update != UpdateType::none && !older)
            w.lines.push_back(line({ours("Update: "), ours(model::to_string(*e.update), true)}));
        if (e.allowed) {
            std::vector<Span> l{ours(*e.allowed ? "Allowed by your requirement: "
                                                : "Not allowed by your requirement: ")};
            append_requirement(l, e.specifier);
            w.lines.push_back(line(std::move(l)));
        }
        if (!drops.empty())
            w.lines.push_back(line({ours("It "), Span{drops, Role::phrase, false, {}}}, true));
        // " (minor, outside '==2.31.0', drops Python 3.11 (requires >=3.12))"
        std::vector<Span> said;
        auto const say = [&](std::vector<Span> spans) {
            said.push_back(ours(said.empty() ? " (" : ", "));
            said.insert(said.end(), spans.begin(), spans.end());
        };
        if (e.update && *e.update != UpdateType::none && !older)
            say({ours(model::to_string(*e.update))});
        if (e.allowed) {
            std::vector<Span> l{ours(*e.allowed ? "allowed by " : "outside ")};
            append_requirement(l, e.specifier);
            say(std::move(l));
        }
        if (!drops.empty()) say({Span{drops, Role::phrase, false, {}}});
        if (!said.empty()) said.push_back(ours(")"));
        w.compact_extra = std::move(said);
        break;
    }
    case EventKind::release_yanked:
        w.headline = pkg + " " + ver + " yanked";
        w.sentence = pkg + " " + ver + " was yanked" + detail;
        w.title = line({name, ours(" "), version, ours(" was yanked")});
        w.detail_label = "Reason";
        w.detail_fact = "Yank reason";
        break;
    case EventKind::release_unyanked:
        w.headline = pkg + " " + ver + " no longer yanked";
        w.sentence = pkg + " " + ver + " is no longer yanked";
        w.title = line({name, ours(" "), version, ours(" is no longer yanked")});
        break;
    case EventKind::pinned_yanked: {
        w.severity = Severity::warning;
        w.headline = pkg + " " + ver + " yanked (your pin)";
        // An event without alternatives (none on the index, or written before pinwatch named
        // them) says nothing of them.
        auto const near = alternatives_text(e);
        w.sentence = pkg + " " + ver + ", the version you pin, was yanked" + detail +
                     (near.empty() ? "" : "; nearest non-yanked: " + near);
        w.title = line({name, ours(" "), version, ours(", the version you pin, was yanked")});
        if (!near.empty()) {
            w.lines.push_back(
                line({ours("Nearest non-yanked: "), Span{near, Role::phrase, false, {}}}));
            w.compact_extra = {ours("; nearest non-yanked: "), Span{near, Role::phrase, false, {}}};
        }
        w.detail_label = "Reason";
        w.detail_fact = "Yank reason";
        break;
    }
    case EventKind::vulnerability:
        w.severity = Severity::critical;
        w.headline = pkg + " " + ver + " vulnerable (your pin)" +
                     (e.advisory ? ": " + clean(e.advisory->id) : "");
        if (!e.advisory)
            w.sentence = pkg + " " + ver + ", the version you pin, is vulnerable" + detail;
        else
            w.sentence = pkg + " " + ver +
                         ", the version you pin, is vulnerable: " + advisory_title(*e.advisory) +
                         (e.advisory->summary.empty() ? "" : ": " + clean(e.advisory->summary)) +
                         "; " + fix_text(e);
        w.title = line({name, ours(" "), version, ours(", the version you pin, is vulnerable")});
        if (e.advisory) {
            w.lines.push_back(line({Span{advisory_title(*e.advisory), Role::phrase, true, {}}}));
            w.lines.push_back(line({Span{fix_text(e), Role::prose, false, {}}}));
            // The link's text says where it really goes: an advisory link from an index is
            // untrusted, and "https://osv.dev@evil.example/" must not read as osv.dev.
            if (is_web_url(e.advisory->link)) {
                std::string const url = link_target(e.advisory->link);
                w.lines.push_back(line(linked({piece(e.advisory->id, Role::id), ours(" ("),
                                               piece(url_host(url), Role::url), ours(")")},
                                              url)));
            }
        }
        w.detail_label = "Summary";
        w.detail_fact = ""; // the advisory's summary is a fact of its own
        // "*requests* 2.31.0 vulnerable (critical): <GHSA-…, CVE-… (osv.dev)>; fixed in …":
        // the summary is the advisory's to tell, behind its link.
        w.compact_title = {name, ours(" "), version, ours(" vulnerable (critical)")};
        if (e.advisory) {
            w.compact_detail = false;
            w.compact_title.push_back(ours(": "));
            std::vector<Span> ids{piece(e.advisory->id, Role::id, true)};
            std::size_t cves = 0;
            for (auto const& alias : e.advisory->aliases) {
                if (alias.rfind("CVE-", 0) != 0 || cves == 3) continue;
                ids.push_back(ours(", "));
                ids.push_back(piece(alias, Role::id, true));
                ++cves;
            }
            if (is_web_url(e.advisory->link)) {
                std::string const url = link_target(e.advisory->link);
                ids.push_back(ours(" ("));
                ids.push_back(piece(url_host(url), Role::url));
                ids.push_back(ours(")"));
                ids = linked(std::move(ids), url);
                w.compact_links = false;
            }
            w.compact_title.insert(w.compact_title.end(), ids.begin(), ids.end());
            w.compact_extra = {ours("; "), Span{compact_fix_text(e), Role::prose, false, {}}};
        }
        break;
    case EventKind::vulnerability_withdrawn: {
        w.severity = Severity::resolved;
        w.headline = pkg + " " + ver + " advisory withdrawn" +
                     (e.advisory ? ": " + clean(e.advisory->id) : "");
        std::string const title = e.advisory ? advisory_title(*e.advisory) : std::string("?");
        w.sentence = pkg + " " + ver + ": advisory " + title + " no longer applies" + detail;
        w.title = line({name, ours(" "), version, ours(": advisory "),
                        Span{title, Role::phrase, true, {}}, ours(" no longer applies")});
        w.detail_label = "Why";
        w.detail_fact = "Why";
        break;
    }
    case EventKind::pin_not_found: {
        std::string const pinned = clean(e.pinned.value_or("?"));
        w.headline = pkg + " " + clean(e.pinned.value_or(e.version.value_or("?"))) +
                     " not listed (your pin)";
        w.sentence = pkg + " " + pinned + ", the version you pin, is not listed" + detail;
        w.title = line({name, ours(" "), piece(e.pinned.value_or("?"), Role::version),
                        ours(", the version you pin, is not listed")});
        break;
    }
    case EventKind::release_removed:
        w.headline = pkg + " " + ver + " removed";
        w.sentence = pkg + " " + ver + " was removed from the index";
        w.title = line({name, ours(" "), version, ours(" was removed from the index")});
        break;
    case EventKind::package_gone:
        w.headline = pkg + " gone from the index";
        w.sentence = pkg + " is gone from the index" + detail;
        w.title = line({name, ours(" is gone from the index")});
        break;
    case EventKind::source_failing:
        w.headline = pkg + ": polls failing";
        w.sentence = pkg + ": polls keep failing" + detail;
        w.title = line({name, ours(": polls keep failing")});
        w.detail_label = "Last error";
        break;
    case EventKind::source_recovered:
        w.headline = pkg + ": polls work again";
        w.sentence = pkg + ": polls work again" + detail;
        w.title = line({name, ours(": polls work again")});
        break;
    case EventKind::notifier_disabled:
        // The detail (from the dispatcher) says why and what brings it back: a paused channel
        // keeps its events until its secret is fixed, a gone one gets nothing until its URL
        // changes.
        w.headline = "notifier " + pkg + " stopped";
        w.sentence = "notifier " + pkg + " stopped delivering" + detail;
        w.title = line({ours("Notifier "), name, ours(" stopped delivering")});
        break;
    case EventKind::github_release:
        w.headline = pkg + " " + ver + " (GitHub release)";
        w.sentence = pkg + " " + ver + " released on GitHub" + detail +
                     (e.origin.empty() ? "" : " (" + clean(redact_url(e.origin)) + ")");
        w.title = line({name, ours(" "), piece(e.version.value_or("?"), Role::version, true),
                        ours(" released on GitHub")});
        break;
    case EventKind::issue_spike:
        w.severity = Severity::critical;
        w.headline = pkg + ": GitHub issue spike";
        w.sentence = pkg + ": a spike of new GitHub issues" + detail;
        w.title = line({name, ours(": a spike of new GitHub issues")});
        break;
    case EventKind::issue_spike_over:
        w.headline = pkg + ": GitHub issue spike over";
        w.sentence = pkg + ": new GitHub issues are back to their usual rate" + detail;
        w.title = line({name, ours(": new GitHub issues are back to their usual rate")});
        break;
    case EventKind::project_status: {
        // PEP 792's statuses, in the index's own word (a status it does not define is quoted,
        // sanitised, as the index sent it).
        auto const status = e.project_status.value_or(model::ProjectStatus{});
        auto const was = e.previous_status ? " (was " + clean(*e.previous_status) + ")" : "";
        w.detail_label = "Reason";
        w.detail_fact = "Reason";
        if (status.active()) {
            w.severity = Severity::resolved;
            w.headline = pkg + " active again on the index";
            w.sentence = pkg + " is active again on the index" + was + detail;
            w.title = line({name, ours(" is active again on the index" + was)});
        } else if (status.quarantined()) {
            w.severity = Severity::critical;
            w.headline = pkg + " QUARANTINED by the index";
            w.sentence = pkg + " was quarantined by the index (suspected malware; nothing can " +
                         "be downloaded from it)" + was + detail;
            w.title = line({name, ours(" was quarantined by the index" + was)});
            w.lines.push_back(line(
                {ours("Indexes quarantine suspected malware; check where it is installed")}, true));
            w.compact_extra = {ours(": suspected malware, check where it is installed")};
        } else if (status.status == "archived") {
            w.headline = pkg + " archived";
            w.sentence = pkg + " was archived: no new releases are expected" + was + detail;
            w.title = line({name, ours(" was archived: no new releases are expected" + was)});
        } else if (status.status == "deprecated") {
            w.headline = pkg + " deprecated";
            w.sentence = pkg + " was marked deprecated (obsolete, perhaps replaced)" + was + detail;
            w.title =
                line({name, ours(" was marked deprecated (obsolete, perhaps replaced)" + was)});
        } else {
            auto const word = "'" + clean(status.status) + "'";
            w.headline = pkg + " marked " + word + " by the index";
            w.sentence = pkg + " was marked " + word + " by the index (a status pinwatch does " +
                         "not know)" + was + detail;
            w.title = line({name, ours(" was marked "), piece(status.status, Role::phrase),
                            ours(" by the index" + was)});
        }
        break;
    }
    }
    return w;
}

// Where to read more, as a chat's last lines: the page of the event on GitHub, PyPI's page for
// the release when the event came from pypi.org, else the index it came from; then the release
// notes.
std::vector<Line> read_more(Event const& e) {
    std::vector<Line> out;
    if (e.source == "github" && is_web_url(e.origin)) {
        std::string const url = redact_url(e.origin);
        out.push_back(line(linked({ours("GitHub: "), Span{url, Role::url, false, {}}}, url)));
    } else if (from_pypi_org(e.origin)) {
        std::string url = "https://pypi.org/project/" +
                          path_segment(std::string_view(e.package).substr(0, kUrlNameChars)) + "/";
        std::vector<Span> label{ours("PyPI: "), piece(e.package, Role::name)};
        if (e.version) {
            url += path_segment(std::string_view(*e.version).substr(0, kUrlVersionChars)) + "/";
            label.push_back(ours(" "));
            label.push_back(piece(*e.version, Role::version));
        }
        out.push_back(line(linked(std::move(label), url)));
    } else if (is_web_url(e.origin)) {
        std::string const url = redact_url(e.origin);
        auto spans = linked({Span{url, Role::url, false, {}}}, url);
        spans.insert(spans.begin(), ours("Index: "));
        out.push_back(line(std::move(spans)));
    } else if (!e.origin.empty()) {
        out.push_back(line({ours("Index: "), piece(e.origin, Role::url)}));
    }
    if (e.link && e.source != "github" && is_web_url(*e.link)) {
        std::string const url = redact_url(*e.link);
        out.push_back(line(
            linked({ours("Release notes ("), piece(url_host(url), Role::url), ours(")")}, url)));
    }
    return out;
}

// Where to read more, as the compact line's last parts: " · <PyPI>" or " · <github.com>", the
// release notes, and last " · index <host>" (from `*index`, which is set then).
std::vector<Span> compact_more(Event const& e, std::optional<std::size_t>& index,
                               std::size_t offset) {
    std::vector<Span> out;
    auto const add = [&](std::vector<Span> spans) {
        out.push_back(ours(" · "));
        out.insert(out.end(), spans.begin(), spans.end());
    };
    if (e.source == "github" && is_web_url(e.origin)) {
        std::string const url = redact_url(e.origin);
        add(linked({piece(url_host(url), Role::url)}, url));
    } else if (from_pypi_org(e.origin)) {
        std::string url = "https://pypi.org/project/" +
                          path_segment(std::string_view(e.package).substr(0, kUrlNameChars)) + "/";
        if (e.version)
            url += path_segment(std::string_view(*e.version).substr(0, kUrlVersionChars)) + "/";
        add(linked({ours("PyPI")}, url));
    }
    // As read_more's "Index: " line (Message::index_line), and last.
    bool const index_part = !(e.source == "github" && is_web_url(e.origin)) &&
                            !from_pypi_org(e.origin) && !e.origin.empty();
    if (e.link && e.source != "github" && is_web_url(*e.link)) {
        std::string const url = redact_url(*e.link);
        add(linked({ours("release notes ("), piece(url_host(url), Role::url), ours(")")}, url));
    }
    if (index_part) {
        index = offset + out.size();
        if (is_web_url(e.origin)) {
            std::string const url = redact_url(e.origin);
            auto spans = linked({piece(url_host(url), Role::url)}, url);
            spans.insert(spans.begin(), ours("index "));
            add(std::move(spans));
        } else {
            add({ours("index "), piece(e.origin, Role::url)});
        }
    }
    return out;
}

// The full record, label by label.
std::vector<Fact> record(Event const& e, Wording const& w) {
    std::vector<Fact> rows;
    rows.push_back({"Package", clean(e.package)});
    if (e.kind == EventKind::new_release && e.version) {
        std::string v = clean(*e.version);
        if (e.pinned) v = clean(*e.pinned) + " → " + v;
        rows.push_back({e.pinned ? "Pinned → new" : "Version", v});
    } else if (e.kind == EventKind::pin_not_found) {
        rows.push_back({"Pinned", clean(e.pinned.value_or("?"))});
    } else if (e.version) {
        std::string v = clean(*e.version);
        if (e.kind == EventKind::pinned_yanked || e.kind == EventKind::vulnerability ||
            e.kind == EventKind::vulnerability_withdrawn)
            v += " (your pin)";
        rows.push_back({"Version", v});
    }
    if (e.update) rows.push_back({"Update", model::to_string(*e.update)});
    if (e.allowed) {
        std::string const spec =
            e.specifier.empty() ? std::string() : " '" + clean(e.specifier) + "'";
        rows.push_back({"Allowed", *e.allowed
                                       ? (spec.empty() ? "yes (any version)" : "yes, by" + spec)
                                       : "no, outside" + spec});
    }
    if (e.advisory) {
        rows.push_back({"Advisory", advisory_title(*e.advisory)});
        if (!e.advisory->summary.empty()) rows.push_back({"Summary", clean(e.advisory->summary)});
        // As it really goes: without userinfo, so the host shown is the host reached.
        if (!e.advisory->link.empty())
            rows.push_back({"Link", clean(link_target(e.advisory->link))});
        if (e.kind == EventKind::vulnerability) rows.push_back({"Fix", fix_text(e)});
    }
    if (e.project_status) {
        rows.push_back({"Status", clean(e.project_status->status)});
        if (e.previous_status) rows.push_back({"Was", clean(*e.previous_status)});
    }
    if (auto const drops = drops_python_text(e); !drops.empty())
        rows.push_back({"Python", "this release " + drops});
    if (auto const near = alternatives_text(e); !near.empty())
        rows.push_back({"Nearest non-yanked", near});
    if (!e.detail.empty() && !w.detail_fact.empty())
        rows.push_back({w.detail_fact, clean(e.detail)});
    if (!e.origin.empty()) rows.push_back({"Seen at", clean(redact_url(e.origin))});
    if (e.link && *e.link != e.origin)
        rows.push_back({"Release notes", clean(redact_url(*e.link))});
    rows.push_back({"Noticed", utc_text(e.at)});
    rows.push_back({"Event id", clean(e.id)});
    return rows;
}

// Cut to at most `max` characters (not bytes), marking the cut.
std::string shorten(std::string const& s, std::size_t max) {
    std::size_t chars = 0;
    for (std::size_t i = 0; i < s.size();) {
        if (chars == max) return s.substr(0, i) + "…";
        i += decode_utf8(s, i).length;
        ++chars;
    }
    return s;
}

std::string changes(std::size_t n) {
    return std::to_string(n) + (n == 1 ? " change" : " changes");
}

} // namespace

char const* to_string(Severity s) noexcept {
    constexpr std::pair<Severity, char const*> kNames[] = {{Severity::info, "info"},
                                                           {Severity::resolved, "resolved"},
                                                           {Severity::warning, "warning"},
                                                           {Severity::critical, "critical"}};
    for (auto const& [severity, name] : kNames)
        if (severity == s) return name;
    return "info";
}

std::string plain(Line const& l) {
    std::string out;
    for (auto const& s : l.spans)
        out += s.text;
    return out;
}

std::string pinned_by(Event const& e) {
    bool const named =
        std::any_of(e.projects.begin(), e.projects.end(),
                    [](model::EventProject const& p) { return p.name != "default"; });
    if (!named) return "";
    std::string out = "pinned by ";
    for (std::size_t i = 0; i < e.projects.size(); ++i) {
        auto const& p = e.projects[i];
        std::string const pin = p.pinned              ? *p.pinned
                                : p.specifier.empty() ? std::string("any version")
                                                      : p.specifier;
        out += (i ? ", " : "") + p.name + " (" + pin + ")";
    }
    return sanitize_text(out);
}

Message message_for(Event const& e) {
    Wording w = word(e);
    Message m;
    m.id = e.id;
    m.kind = e.kind;
    m.at = e.at;
    m.severity = w.severity;
    m.headline = std::move(w.headline);
    m.sentence = std::move(w.sentence);
    m.facts = record(e, w);
    auto const projects = pinned_by(e);
    if (!projects.empty()) m.facts.insert(m.facts.begin() + 1, Fact{"Projects", projects});
    m.brief.push_back(std::move(w.title));
    for (auto& l : w.lines)
        m.brief.push_back(std::move(l));
    if (!projects.empty()) m.brief.push_back(line({piece(projects, Role::phrase)}));
    if (!e.detail.empty())
        m.brief.push_back(line({ours(w.detail_label + ": "), piece(e.detail, Role::prose)}));
    for (auto& l : read_more(e)) {
        if (!l.spans.empty() && l.spans.front().text == "Index: ") m.index_line = m.brief.size();
        m.brief.push_back(std::move(l));
    }
    auto& compact = m.compact.spans;
    compact = w.compact_title.empty() ? m.brief.front().spans : std::move(w.compact_title);
    compact.insert(compact.end(), w.compact_extra.begin(), w.compact_extra.end());
    if (!e.detail.empty() && w.compact_detail) {
        compact.push_back(ours(" — " + w.detail_label + ": "));
        compact.push_back(piece(e.detail, Role::prose));
    }
    if (!projects.empty()) {
        compact.push_back(ours("; "));
        compact.push_back(piece(projects, Role::phrase));
    }
    if (w.compact_links) {
        auto more = compact_more(e, m.compact_index, compact.size());
        compact.insert(compact.end(), more.begin(), more.end());
    }
    for (auto const& l : m.brief) {
        std::string_view open; // the url of the link the previous span belonged to
        for (auto const& s : l.spans) {
            if (!s.url.empty() && s.url != open) m.links.push_back({"", s.url});
            if (!s.url.empty()) m.links.back().label += s.text;
            open = s.url;
        }
    }
    return m;
}

std::string describe(Event const& e) {
    return message_for(e).sentence;
}

std::vector<Message> messages_for(std::span<Event const> events) {
    std::vector<Message> out;
    out.reserve(events.size());
    for (auto const& e : events)
        out.push_back(message_for(e));
    return out;
}

std::string batch_header(std::span<Message const> messages, std::size_t max_chars) {
    if (messages.empty()) return "no changes";
    if (messages.size() == 1) return shorten(messages.front().headline, max_chars);
    // The most pressing message leads (the first of its severity).
    auto const lead =
        std::max_element(messages.begin(), messages.end(), [](Message const& a, Message const& b) {
            return static_cast<int>(a.severity) < static_cast<int>(b.severity);
        });
    // "2 vulnerable pins: requests 2.31.0, urllib3 1.26.5": what the team runs, named.
    char const* group = lead->kind == EventKind::vulnerability   ? "vulnerable pins"
                        : lead->kind == EventKind::pinned_yanked ? "yanked pins"
                                                                 : nullptr;
    std::vector<Message const*> same;
    for (auto const& m : messages)
        if (m.kind == lead->kind) same.push_back(&m);
    if (group && same.size() > 1) {
        std::string out = std::to_string(same.size()) + " " + group + ":";
        std::vector<std::string> names;
        for (auto const* m : same) {
            // The name and version of "requests 2.31.0 vulnerable (your pin): ...".
            auto const& h = m->headline;
            auto cut = h.find(' ', h.find(' ') + 1);
            std::string const nv = cut == std::string::npos ? h : h.substr(0, cut);
            if (std::find(names.begin(), names.end(), nv) == names.end()) names.push_back(nv);
        }
        std::size_t shown = 0;
        for (auto const& nv : names) {
            // Room kept for " and 35 more".
            if (shown > 0 && out.size() + nv.size() + 2 + 14 > max_chars) break;
            out += (shown++ ? ", " : " ") + nv;
        }
        std::size_t const rest = messages.size() - same.size() + (names.size() - shown);
        if (rest > 0) out += " and " + std::to_string(rest) + " more";
        return shorten(out, max_chars);
    }
    return shorten(lead->headline, max_chars) + " and " + std::to_string(messages.size() - 1) +
           " more";
}

std::string batch_title(std::span<Message const> messages, std::size_t part, std::size_t parts) {
    // A chat's header holds 150 characters: the part number is never the piece cut.
    std::string const of =
        parts > 1 ? " (part " + std::to_string(part) + " of " + std::to_string(parts) + ")" : "";
    std::string const prefix = "pinwatch: ";
    return prefix + batch_header(messages, 150 - prefix.size() - of.size()) + of;
}

Batch batch_of(std::vector<Message> messages) {
    Batch b;
    if (messages.size() == 1) b.ids = trail(messages.front());
    if (messages.size() <= 1) {
        b.messages = std::move(messages);
        return b;
    }
    // The index once, when every message names the same one.
    bool const one_index = std::all_of(messages.begin(), messages.end(), [&](Message const& m) {
        auto const& f = messages.front();
        return m.index_line && f.index_line && m.brief[*m.index_line] == f.brief[*f.index_line];
    });
    if (one_index) b.shared.push_back(messages.front().brief[*messages.front().index_line]);
    auto const seen_at = [](Message const& m) -> std::string const* {
        for (auto const& f : m.facts)
            if (f.label == "Seen at") return &f.value;
        return nullptr;
    };
    auto const* first_seen = seen_at(messages.front());
    bool const one_seen =
        first_seen && std::all_of(messages.begin(), messages.end(), [&](Message const& m) {
            auto const* s = seen_at(m);
            return s && *s == *first_seen;
        });
    if (one_seen) b.shared_facts.push_back({"Seen at", *first_seen});
    std::vector<Span> ids{ours("pinwatch events ")};
    for (auto& m : messages) {
        if (ids.size() > 1) ids.push_back(ours(", "));
        ids.push_back(piece(m.id, Role::id));
        if (one_index) {
            m.brief.erase(m.brief.begin() + static_cast<std::ptrdiff_t>(*m.index_line));
            m.index_line.reset();
            if (m.compact_index) {
                m.compact.spans.resize(*m.compact_index);
                m.compact_index.reset();
            }
        }
        std::erase_if(m.facts, [&](Fact const& f) {
            return f.label == "Event id" || (one_seen && f.label == "Seen at");
        });
    }
    auto const [oldest, newest] =
        std::minmax_element(messages.begin(), messages.end(),
                            [](Message const& a, Message const& b) { return a.at < b.at; });
    std::string when = utc_text(oldest->at);
    if (newest->at != oldest->at) when += " – " + utc_text(newest->at);
    ids.push_back(ours(" · " + when));
    b.ids = line(std::move(ids));
    b.messages = std::move(messages);
    return b;
}

std::string batch_intro(std::size_t count) {
    return "pinwatch noticed " + changes(count) + ".";
}

std::string batch_subject(std::span<Message const> messages, std::size_t max_chars) {
    return "pinwatch: " + batch_header(messages, max_chars);
}

Line trail(Message const& m) {
    return line({ours("pinwatch event "), piece(m.id, Role::id),
                 ours(std::string(" · ") + model::to_string(m.kind) + " · " + utc_text(m.at))});
}

std::string url_host(std::string_view url) {
    auto const scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return "";
    auto authority = url.substr(scheme_end + 3);
    authority = authority.substr(0, authority.find_first_of("/\\?#"));
    if (auto at = authority.rfind('@'); at != std::string_view::npos)
        authority.remove_prefix(at + 1);
    return ascii_lower(authority);
}

std::string link_target(std::string_view url) {
    auto const scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return std::string(url);
    auto const start = scheme_end + 3;
    auto const authority_end = std::min(url.find_first_of("/\\?#", start), url.size());
    auto authority = url.substr(start, authority_end - start);
    if (auto at = authority.rfind('@'); at != std::string_view::npos)
        authority.remove_prefix(at + 1);
    std::string out(url.substr(0, start));
    out += authority;
    for (char c : url.substr(authority_end))
        out += c == '\\' ? '/' : c;
    return out;
}

bool is_web_url(std::string_view url) {
    auto const lower = ascii_lower(url.substr(0, 8));
    return lower.rfind("https://", 0) == 0 || lower.rfind("http://", 0) == 0;
}

} // namespace pinwatch::notifiers
