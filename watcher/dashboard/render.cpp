// The dashboard's pages, pure: data in, HTML out. Every text that came from outside (an index,
// GitHub, an error message) goes through text() — sanitised, then HTML-escaped — and every URL
// through href(), which lets only http(s) through. Pictures are SVG drawn here; the one script
// only sorts the table, and the page reads the same without it.
#include "common/text.hpp"
#include "common/time.hpp"
#include "net/crypto.hpp"
#include "net/http.hpp"
#include "packaging/version.hpp"
#include "watcher/dashboard/dashboard.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace pinwatch::watcher::dashboard {
namespace {

// Untrusted text for element content or a quoted attribute.
std::string text(std::string_view untrusted) {
    return html_escape(sanitize_text(untrusted));
}

// A link target from outside: http(s) only (never javascript: or data:), credentials removed.
std::optional<std::string> href(std::string_view url) {
    if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) return std::nullopt;
    return text(redact_credentials(url));
}

std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

constexpr char const* kStyle = R"css(
:root{color-scheme:light dark;--fg:#1b1f24;--bg:#fff;--mute:#59636e;--line:#d1d9e0;--bad:#cf222e;--warn:#9a6700;--ok:#1a7f37;--accent:#0969da}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--mute:#9198a1;--line:#3d444d;--bad:#ff7b72;--warn:#d29922;--ok:#3fb950;--accent:#4493f8}}
body{font:14px/1.45 system-ui,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1400px;padding:1em 1.5em}
h1{font-size:1.4em;margin:.2em 0}h2{font-size:1.2em;margin:1.2em 0 .4em}h3{font-size:1.05em;margin:1em 0 .3em}
a{color:var(--accent)}.mute,header p{color:var(--mute)}
dl.counts{display:flex;flex-wrap:wrap;gap:.6em;margin:.4em 0 1em}
dl.counts div{border:1px solid var(--line);border-radius:6px;padding:.3em .8em;min-width:6em}
dl.counts dt{color:var(--mute);font-size:.85em}dl.counts dd{margin:0;font-size:1.3em;font-weight:600}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.25em .5em;border-bottom:1px solid var(--line);vertical-align:top}
th button{font:inherit;font-weight:600;background:none;border:0;padding:0;color:inherit;cursor:pointer}
th[aria-sort=ascending] button::after{content:" \25B2"}th[aria-sort=descending] button::after{content:" \25BC"}
td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.urgent td:first-child{border-left:3px solid var(--bad)}
.bad{color:var(--bad);font-weight:600}.warn{color:var(--warn)}.ok{color:var(--ok)}
.major{color:var(--bad)}.minor{color:var(--warn)}
del{color:var(--mute)}svg{max-width:100%;height:auto;display:block}
svg text{font:11px system-ui,sans-serif;fill:var(--fg)}svg .axis{stroke:var(--line)}
svg .rel{fill:var(--mute)}svg .pin{fill:var(--accent)}svg .latest{fill:var(--ok)}
svg .yanked{fill:var(--bad)}svg .strike{stroke:var(--bad);stroke-width:1.5}
svg .bar{fill:var(--accent)}svg .bar.over{fill:var(--bad)}svg .threshold{stroke:var(--bad);stroke-dasharray:4 3}
)css";

constexpr char const* kScript = R"js(
(function(){
function key(td,num){var v=td.getAttribute('data-v');if(v===null)v=td.textContent;if(!num)return v.toLowerCase();var f=parseFloat(v);return isNaN(f)?-1e300:f;}
function sort(table,col,dir){var ths=table.tHead.rows[0].cells,idx=-1,num=false,i;
for(i=0;i<ths.length;i++){ths[i].removeAttribute('aria-sort');if(ths[i].getAttribute('data-col')===col){idx=i;num=ths[i].getAttribute('data-type')==='num';}}
if(idx<0)return;if(!dir)dir=num?'desc':'asc';
var body=table.tBodies[0],rows=Array.prototype.slice.call(body.rows);
rows.sort(function(a,b){var x=key(a.cells[idx],num),y=key(b.cells[idx],num),c=x<y?-1:x>y?1:0;if(dir==='desc')c=-c;return c||(+a.getAttribute('data-rank'))-(+b.getAttribute('data-rank'));});
rows.forEach(function(r){body.appendChild(r);});ths[idx].setAttribute('aria-sort',dir==='desc'?'descending':'ascending');}
document.querySelectorAll('table.pins th[data-col]').forEach(function(th){var b=document.createElement('button');b.type='button';b.textContent=th.textContent;th.textContent='';th.appendChild(b);
b.addEventListener('click',function(){var cur=th.getAttribute('aria-sort'),num=th.getAttribute('data-type')==='num';sort(th.closest('table'),th.getAttribute('data-col'),cur?(cur==='descending'?'asc':'desc'):(num?'desc':'asc'));});});
function fromHash(){var m=/^#sort=([a-z_]+)(?::(asc|desc))?$/.exec(location.hash);if(m)document.querySelectorAll('table.pins').forEach(function(t){sort(t,m[1],m[2]);});}
fromHash();window.addEventListener('hashchange',fromHash);
})();
)js";

std::string csp_hash(std::string_view content) {
    return "'sha256-" + net::base64_encode(net::sha256(content)) + "'";
}

// The policy without the directives a <meta> tag may not carry.
std::string policy_core() {
    static std::string const policy = "default-src 'none'; style-src " + csp_hash(kStyle) +
                                      "; script-src " + csp_hash(kScript) +
                                      "; img-src data:; base-uri 'none'; form-action 'none'";
    return policy;
}

std::string head(std::string_view title) {
    return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
           "<meta http-equiv=\"Content-Security-Policy\" content=\"" +
           policy_core() + "\"><meta name=\"referrer\" content=\"no-referrer\"><title>" +
           text(title) + "</title><style>" + kStyle + "</style></head><body>";
}

std::string foot() {
    return std::string("<script>") + kScript + "</script></body></html>\n";
}

std::string when(std::optional<UnixTime> t, UnixTime now) {
    if (!t) return "<td data-v=\"0\">never</td>";
    return "<td data-v=\"" + std::to_string(*t) + "\"><time datetime=\"" + rfc3339(*t) +
           "\" title=\"" + utc_text(*t) + "\">" + time_ago(t, now) + "</time></td>";
}

int update_rank(std::optional<UpdateType> u) {
    if (!u) return -1;
    switch (*u) {
    case UpdateType::major:
        return 4;
    case UpdateType::minor:
        return 3;
    case UpdateType::patch:
        return 2;
    case UpdateType::prerelease:
        return 1;
    default:
        return 0;
    }
}

bool outdated(std::optional<UpdateType> u) {
    return update_rank(u) > 0;
}

int health_rank(Pin const& p) {
    if (!p.health) return -1;
    return p.health->verdict == health::Verdict::risky   ? 2
           : p.health->verdict == health::Verdict::watch ? 1
                                                         : 0;
}

std::string counts_html(SectionCounts const& c) {
    auto item = [](char const* label, std::string value, char const* cls = nullptr) {
        return std::string("<div><dt>") + label + "</dt><dd" +
               (cls ? std::string(" class=\"") + cls + "\"" : std::string()) + ">" + value +
               "</dd></div>";
    };
    std::string out = "<dl class=\"counts\">";
    out += item("pins", std::to_string(c.pins));
    out += item("outdated", std::to_string(c.outdated));
    out += item("major", std::to_string(c.major), c.major ? "major" : nullptr);
    out += item("minor", std::to_string(c.minor), c.minor ? "minor" : nullptr);
    out += item("patch", std::to_string(c.patch));
    out += item("vulnerable", std::to_string(c.vulnerable), c.vulnerable ? "bad" : nullptr);
    out += item("yanked", std::to_string(c.yanked), c.yanked ? "bad" : nullptr);
    out += item("failing to poll", std::to_string(c.failing), c.failing ? "bad" : nullptr);
    out += item("libyears", fixed(c.libyears, 1));
    return out + "</dl>";
}

std::string event_text(Event const& e) {
    std::string out = to_string(e.kind);
    if (e.version) out += " " + *e.version;
    return text(out);
}

// One row of the pins table. Each cell's data-v is its sort key.
void pin_row(std::string& out, Pin const& p, std::size_t rank, UnixTime now, bool links) {
    bool const urgent = !p.advisories.empty() || p.yanked;
    out += "<tr data-rank=\"" + std::to_string(rank) + "\" data-package=\"" + text(p.package) +
           "\"" + (urgent ? " class=\"urgent\"" : "") + ">";
    // package
    out += "<td data-v=\"" + text(p.package) + "\">";
    if (links)
        out += "<a href=\"package/" + text(p.package) + "\">" + text(p.package) + "</a>";
    else
        out += text(p.package);
    if (p.failing)
        out += " <span class=\"bad\" title=\"" + text(p.error.value_or("")) +
               "\">failing to poll</span>";
    out += "</td>";
    // pinned (yanked ones struck out, with the reason as text)
    if (p.pinned) {
        out += "<td data-v=\"" + text(*p.pinned) + "\">";
        if (p.yanked) {
            out += "<del>" + text(*p.pinned) + "</del> <span class=\"bad\">yanked</span>";
            if (p.yank_reason) out += " <span class=\"reason\">" + text(*p.yank_reason) + "</span>";
        } else {
            out += text(*p.pinned);
        }
        out += "</td>";
    } else {
        out += "<td data-v=\"\">" + text(p.specifier.empty() ? "*" : p.specifier) + "</td>";
    }
    out += "<td>" + text(p.latest.value_or("-")) + "</td>";
    auto const u = update_rank(p.update);
    out += "<td data-v=\"" + std::to_string(u) + "\"";
    if (u >= 3) out += std::string(" class=\"") + (u == 4 ? "major" : "minor") + "\"";
    out += ">" + std::string(!p.update ? "-" : to_string(*p.update)) + "</td>";
    out += "<td class=\"n\" data-v=\"" + (p.libyears ? fixed(*p.libyears, 3) : "-1") + "\">" +
           (p.libyears ? fixed(*p.libyears, 2) : "-") + "</td>";
    out += "<td data-v=\"" + std::to_string(p.advisories.size()) + "\">";
    for (std::size_t i = 0; i < p.advisories.size(); ++i)
        out += std::string(i ? ", " : "") + "<span class=\"bad\" title=\"" +
               text(p.advisories[i].summary) + "\">" + text(p.advisories[i].id) + "</span>";
    if (p.advisories.empty()) out += "none";
    out += "</td>";
    out += "<td data-v=\"" + std::to_string(health_rank(p)) + "\"";
    if (p.health) {
        std::string reasons;
        for (auto const& r : p.health->reasons)
            reasons += (reasons.empty() ? "" : "; ") + r;
        auto const v = p.health->verdict;
        out += std::string(" class=\"") +
               (v == health::Verdict::risky   ? "bad"
                : v == health::Verdict::watch ? "warn"
                                              : "ok") +
               "\" title=\"" + text(reasons) + "\">" + health::to_string(v);
    } else {
        out += ">-";
    }
    out += "</td>";
    out += when(p.last_poll, now);
    if (p.last_event)
        out += "<td data-v=\"" + std::to_string(p.last_event->at) + "\">" +
               event_text(*p.last_event) + " <span class=\"mute\">" +
               time_ago(p.last_event->at, now) + "</span></td>";
    else
        out += "<td data-v=\"0\">-</td>";
    out += "</tr>\n";
}

constexpr char const* kPinsHead =
    "<table class=\"pins\"><thead><tr>"
    "<th data-col=\"package\">package</th><th data-col=\"pinned\">pinned</th>"
    "<th data-col=\"latest\">latest</th><th data-col=\"update\" data-type=\"num\">update</th>"
    "<th data-col=\"libyears\" data-type=\"num\">libyears</th>"
    "<th data-col=\"advisories\" data-type=\"num\">advisories</th>"
    "<th data-col=\"health\" data-type=\"num\">health</th>"
    "<th data-col=\"last_poll\" data-type=\"num\">last poll</th>"
    "<th data-col=\"last_event\" data-type=\"num\">last event</th></tr></thead><tbody>\n";

std::string section_html(Section const& s, UnixTime now, bool links) {
    std::string out = "<section class=\"project\" id=\"project-" + text(s.project) + "\"><h2>" +
                      text(s.project) + "</h2>" + counts_html(count(s.pins)) + kPinsHead;
    out.reserve(out.size() + s.pins.size() * 700);
    for (std::size_t i = 0; i < s.pins.size(); ++i)
        pin_row(out, s.pins[i], i, now, links);
    return out + "</tbody></table></section>\n";
}

// The releases in time order: upload time, else when pinwatch first saw them.
std::vector<StoredRelease const*> by_time(std::vector<StoredRelease> const& releases) {
    std::vector<StoredRelease const*> out;
    for (auto const& r : releases)
        out.push_back(&r);
    std::stable_sort(out.begin(), out.end(), [](auto const* a, auto const* b) {
        return a->upload_time.value_or(a->first_seen) < b->upload_time.value_or(b->first_seen);
    });
    return out;
}

bool same_version(std::string const& a, std::optional<std::string> const& b) {
    return b && (a == *b || packaging::release_key(a) == packaging::release_key(*b));
}

} // namespace

double urgency(Pin const& p) {
    double u = 0;
    if (!p.advisories.empty()) u += 1e9;
    if (p.yanked) u += 1e8;
    if (p.failing) u += 1e7;
    u += update_rank(p.update) * 1e5;
    u += std::min(p.libyears.value_or(0.0), 99.0) * 1e3;
    return u;
}

void sort_urgent_first(std::vector<Pin>& pins) {
    std::stable_sort(pins.begin(), pins.end(), [](Pin const& a, Pin const& b) {
        auto const ua = urgency(a), ub = urgency(b);
        if (ua != ub) return ua > ub;
        return a.package < b.package;
    });
}

SectionCounts count(std::vector<Pin> const& pins) {
    SectionCounts c;
    c.pins = pins.size();
    for (auto const& p : pins) {
        if (outdated(p.update)) {
            ++c.outdated;
            c.major += *p.update == UpdateType::major;
            c.minor += *p.update == UpdateType::minor;
            c.patch += *p.update == UpdateType::patch;
        }
        c.vulnerable += !p.advisories.empty();
        c.yanked += p.yanked;
        c.failing += p.failing;
        c.libyears += p.libyears.value_or(0.0);
    }
    return c;
}

std::string content_security_policy() {
    return policy_core() + "; frame-ancestors 'none'";
}

std::string render_overview(Overview const& o, RenderOptions const& options) {
    std::string out = head(options.title);
    out += "<header><h1>" + text(options.title) + "</h1><p>as of <time datetime=\"" +
           rfc3339(o.now) + "\">" + utc_text(o.now) +
           "</time>. Click a column to sort; the most urgent pins come first.</p></header>\n";
    if (o.sections.empty()) out += "<p>Nothing is watched yet.</p>";
    for (auto const& s : o.sections)
        out += section_html(s, o.now, options.links);
    return out + foot();
}

std::string timeline_svg(std::vector<StoredRelease> const& releases,
                         std::optional<std::string> const& pinned,
                         std::optional<std::string> const& latest) {
    auto const ordered = by_time(releases);
    constexpr int kW = 960, kH = 150, kLeft = 20, kRight = 20, kAxis = 80;
    std::string out =
        "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " +
        std::to_string(kW) + " " + std::to_string(kH) +
        "\" role=\"img\" aria-label=\"release timeline\">";
    if (ordered.empty()) return out + "<text x=\"20\" y=\"20\">no releases known</text></svg>";
    auto const t0 = ordered.front()->upload_time.value_or(ordered.front()->first_seen);
    auto const t1 = ordered.back()->upload_time.value_or(ordered.back()->first_seen);
    auto const x_of = [&](StoredRelease const* r) {
        auto const t = r->upload_time.value_or(r->first_seen);
        double const span = t1 > t0 ? static_cast<double>(t1 - t0) : 1.0;
        return kLeft + (kW - kLeft - kRight) * (t1 > t0 ? static_cast<double>(t - t0) / span : 0.5);
    };
    out += "<line class=\"axis\" x1=\"" + std::to_string(kLeft) + "\" y1=\"" +
           std::to_string(kAxis) + "\" x2=\"" + std::to_string(kW - kRight) + "\" y2=\"" +
           std::to_string(kAxis) + "\"/>";
    out += "<text x=\"" + std::to_string(kLeft) + "\" y=\"" + std::to_string(kH - 8) + "\">" +
           utc_text(t0).substr(0, 10) + "</text><text x=\"" + std::to_string(kW - kRight) +
           "\" y=\"" + std::to_string(kH - 8) + "\" text-anchor=\"end\">" +
           utc_text(t1).substr(0, 10) + "</text>";
    int label_row = 0;
    for (auto const* r : ordered) {
        auto const x = fixed(x_of(r), 1);
        bool const is_pin = same_version(r->version, pinned);
        bool const is_latest = same_version(r->version, latest);
        char const* cls = r->yanked ? "yanked" : is_pin ? "pin" : is_latest ? "latest" : "rel";
        auto const tip =
            text(r->version) + (r->upload_time ? " uploaded " + utc_text(*r->upload_time) : "") +
            (r->yanked ? " (yanked" + (r->yank_reason ? ": " + text(*r->yank_reason) : "") + ")"
                       : "");
        out += "<g><title>" + tip + "</title><circle class=\"" + std::string(cls) + "\" cx=\"" + x +
               "\" cy=\"" + std::to_string(kAxis) + "\" r=\"" +
               (is_pin || is_latest ? "6" : "3.5") + "\"/>";
        if (r->yanked)
            out += "<line class=\"strike\" x1=\"" + fixed(x_of(r) - 5, 1) + "\" y1=\"" +
                   std::to_string(kAxis - 5) + "\" x2=\"" + fixed(x_of(r) + 5, 1) + "\" y2=\"" +
                   std::to_string(kAxis + 5) + "\"/>";
        if (is_pin || is_latest || r->yanked) {
            // Labels take turns above and below the axis so neighbours do not overlap.
            int const y = (label_row++ % 2) ? kAxis + 24 : kAxis - 14;
            std::string label = is_pin && is_latest ? "pinned = latest " + text(r->version)
                                : is_pin            ? "pinned " + text(r->version)
                                : is_latest         ? "latest " + text(r->version)
                                                    : text(r->version);
            out += "<text x=\"" + x + "\" y=\"" + std::to_string(y) + "\" text-anchor=\"middle\"" +
                   (r->yanked ? " text-decoration=\"line-through\" class=\"yanked\"" : "") + ">" +
                   label + "</text>";
        }
        out += "</g>";
    }
    return out + "</svg>";
}

std::string daily_svg(PackageInsight::Daily const& d) {
    constexpr int kW = 960, kH = 180, kLeft = 36, kTop = 14, kBottom = 24;
    std::int64_t top = static_cast<std::int64_t>(std::ceil(d.threshold));
    for (auto c : d.counts)
        top = std::max(top, c);
    top = std::max<std::int64_t>(top, 1);
    double const plot_h = kH - kTop - kBottom;
    auto const y_of = [&](double v) { return kTop + plot_h * (1 - v / static_cast<double>(top)); };
    auto const n = std::max<std::size_t>(d.counts.size(), 1);
    double const slot = static_cast<double>(kW - kLeft - 8) / static_cast<double>(n);
    std::string out = "<svg class=\"daily\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " +
                      std::to_string(kW) + " " + std::to_string(kH) +
                      "\" role=\"img\" aria-label=\"" + text(d.what) + "\">";
    out += "<line class=\"axis\" x1=\"" + std::to_string(kLeft) + "\" y1=\"" + fixed(y_of(0), 1) +
           "\" x2=\"" + std::to_string(kW - 8) + "\" y2=\"" + fixed(y_of(0), 1) + "\"/>";
    out += "<text x=\"" + std::to_string(kLeft - 4) + "\" y=\"" + fixed(y_of(top) + 4, 1) +
           "\" text-anchor=\"end\">" + std::to_string(top) + "</text><text x=\"" +
           std::to_string(kLeft - 4) + "\" y=\"" + fixed(y_of(0), 1) +
           "\" text-anchor=\"end\">0</text>";
    for (std::size_t i = 0; i < d.counts.size(); ++i) {
        auto const c = d.counts[i];
        double const x = kLeft + slot * static_cast<double>(i) + 1;
        bool const over = static_cast<double>(c) >= d.threshold && c > 0;
        auto const days_ago = d.counts.size() - 1 - i;
        out += "<rect class=\"bar" + std::string(over ? " over" : "") + "\" x=\"" + fixed(x, 1) +
               "\" y=\"" + fixed(y_of(static_cast<double>(c)), 1) + "\" width=\"" +
               fixed(std::max(1.0, slot - 2), 1) + "\" height=\"" +
               fixed(y_of(0) - y_of(static_cast<double>(c)), 1) + "\"><title>" + std::to_string(c) +
               (days_ago == 0 ? " in the last 24 hours" : " on day -" + std::to_string(days_ago)) +
               "</title></rect>";
    }
    out += "<text x=\"" + std::to_string(kLeft) + "\" y=\"" + std::to_string(kH - 6) +
           "\">28 days ago</text><text x=\"" + std::to_string(kW - 8) + "\" y=\"" +
           std::to_string(kH - 6) + "\" text-anchor=\"end\">last 24 h</text>";
    auto const ty = fixed(y_of(d.threshold), 1);
    out += "<line class=\"threshold\" x1=\"" + std::to_string(kLeft) + "\" y1=\"" + ty +
           "\" x2=\"" + std::to_string(kW - 8) + "\" y2=\"" + ty + "\"/><text x=\"" +
           std::to_string(kW - 10) + "\" y=\"" + fixed(y_of(d.threshold) - 4, 1) +
           "\" text-anchor=\"end\" class=\"yanked\">spike threshold " + fixed(d.threshold, 0) +
           "</text>";
    return out + "</svg>";
}

namespace {

std::string advisories_html(PackagePage const& page) {
    if (page.advisories.empty()) return "<p>No advisory against the pinned version.</p>";
    std::string out = "<table class=\"advisories\"><thead><tr><th>advisory</th><th>state</th>"
                      "<th>summary</th><th>fixed in</th><th>told</th></tr></thead><tbody>";
    for (auto const& a : page.advisories) {
        auto const& v = a.advisory;
        out += "<tr><td>";
        if (auto link = href(v.link))
            out += "<a href=\"" + *link + "\" rel=\"noreferrer\">" + text(v.id) + "</a>";
        else
            out += text(v.id);
        for (auto const& alias : v.aliases)
            out += " <span class=\"mute\">" + text(alias) + "</span>";
        out += "</td><td>" +
               std::string(a.live ? "<span class=\"bad\">live</span>"
                                  : "withdrawn" + (v.withdrawn ? " " + text(*v.withdrawn) : "")) +
               "</td><td>" + text(v.summary) + "</td><td>";
        for (std::size_t i = 0; i < v.fixed_in.size(); ++i)
            out += (i ? ", " : "") + text(v.fixed_in[i]);
        out += "</td><td>" + (a.told ? utc_text(*a.told) : std::string("-")) + "</td></tr>";
    }
    return out + "</tbody></table>";
}

std::string events_html(PackagePage const& page) {
    if (page.events.empty()) return "<p>No event told about it (the first poll is a baseline).</p>";
    std::string out = "<table class=\"events\"><thead><tr><th>when</th><th>event</th>"
                      "<th>detail</th><th>where it went</th></tr></thead><tbody>";
    for (auto const& e : page.events) {
        out += "<tr><td>" + utc_text(e.event.at) + "</td><td>" + event_text(e.event) + "</td><td>" +
               text(e.event.detail) + "</td><td>";
        if (e.deliveries.empty()) out += "<span class=\"mute\">no notifier routed it</span>";
        for (std::size_t i = 0; i < e.deliveries.size(); ++i) {
            auto const& d = e.deliveries[i];
            out += (i ? "<br>" : "") + text(d.notifier) + ": " + text(d.state);
            if (d.delivered_at) out += " " + utc_text(*d.delivered_at);
            if (d.state != "delivered" && d.attempts > 0)
                out += " after " + std::to_string(d.attempts) + " attempt(s)";
            if (d.last_error && d.state != "delivered")
                out += " <span class=\"mute\">" +
                       text(redact_credentials(d.last_error->substr(0, 200))) + "</span>";
        }
        out += "</td></tr>";
    }
    return out + "</tbody></table>";
}

std::string releases_html(std::vector<StoredRelease> const& releases, Pin const& pin) {
    auto ordered = by_time(releases);
    std::reverse(ordered.begin(), ordered.end());
    constexpr std::size_t kShown = 100;
    std::string out = "<table class=\"releases\"><thead><tr><th>version</th><th>uploaded</th>"
                      "<th></th></tr></thead><tbody>";
    for (std::size_t i = 0; i < ordered.size() && i < kShown; ++i) {
        auto const* r = ordered[i];
        out += "<tr><td>" + (r->yanked ? "<del>" + text(r->version) + "</del>" : text(r->version)) +
               "</td><td>" + (r->upload_time ? utc_text(*r->upload_time) : std::string("-")) +
               "</td><td>";
        if (same_version(r->version, pin.pinned)) out += "<b>pinned</b> ";
        if (same_version(r->version, pin.latest)) out += "<b class=\"ok\">latest</b> ";
        if (r->yanked)
            out += "<span class=\"bad\">yanked</span>" +
                   (r->yank_reason ? " " + text(*r->yank_reason) : std::string());
        out += "</td></tr>";
    }
    out += "</tbody></table>";
    if (ordered.size() > kShown)
        out += "<p class=\"mute\">" + std::to_string(ordered.size() - kShown) +
               " older release(s) not listed.</p>";
    return out;
}

} // namespace

std::string render_package(PackagePage const& page) {
    auto const& pin = page.pins.front();
    std::string out = head("pinwatch: " + pin.package);
    out += "<header><p><a href=\"../\">&larr; all pins</a></p><h1>" + text(pin.package) +
           "</h1><p>as of " + utc_text(page.now) + "</p></header>\n";
    out += kPinsHead;
    for (std::size_t i = 0; i < page.pins.size(); ++i)
        pin_row(out, page.pins[i], i, page.now, false);
    out += "</tbody></table>";
    out += "<h2>Releases</h2>" + timeline_svg(page.releases, pin.pinned, pin.latest);
    out += releases_html(page.releases, pin);
    out += "<h2>Advisories</h2>" + advisories_html(page);
    out += "<h2>Events</h2>" + events_html(page);
    if (page.insight) {
        auto const& in = *page.insight;
        out += "<h2>Repository</h2>";
        if (in.repo) {
            out += "<p>";
            if (auto link = in.repo_url ? href(*in.repo_url) : std::nullopt)
                out += "<a href=\"" + *link + "\" rel=\"noreferrer\">" + text(*in.repo) + "</a>";
            else
                out += text(*in.repo);
            if (in.open_issues) out += ", " + std::to_string(*in.open_issues) + " open issues";
            if (in.archived.value_or(false)) out += ", <span class=\"bad\">archived</span>";
            out += "</p>";
        } else {
            out += "<p>No repository: " + text(in.no_repo) + "</p>";
        }
        if (in.daily) {
            out += "<h3>" + text(in.daily->what) + ", last 28 days" +
                   (in.daily->spike ? " <span class=\"bad\">spike</span>" : "") + "</h3>";
            out += daily_svg(*in.daily);
            if (in.daily->days_known < static_cast<int>(in.daily->counts.size()))
                out += "<p class=\"mute\">Issues are known for the last " +
                       std::to_string(in.daily->days_known) +
                       " day(s) only: the days before show none.</p>";
        }
    }
    return out + foot();
}

std::string render_not_found(std::string_view what) {
    return head("pinwatch: not found") +
           "<p><a href=\"/\">&larr; all pins</a></p><h1>Not found</h1><p>" + text(what) + "</p>" +
           foot();
}

} // namespace pinwatch::watcher::dashboard
