// GitHub source: request building, response parsing and the pure rules (discovery, tag
// versions, spike statistics). No I/O.
#include "watcher/sources/github/github.hpp"
#include "common/json_read.hpp"

#include "common/json.hpp"
#include "common/text.hpp"
#include "common/time.hpp"
#include "packaging/name.hpp"
#include "packaging/version.hpp"
#include "watcher/sources/pypi/pypi.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

namespace pinwatch::watcher {
namespace github_detail {
namespace {

constexpr UnixTime kDay = 24 * 3600;
constexpr UnixTime kWindow = 28 * kDay;
constexpr std::size_t kNotesChars = 280;   // the start of the release notes in an event
constexpr std::size_t kTitleChars = 120;   // one issue title in a spike event
constexpr std::size_t kMaxIssuePages = 40; // per poll; a busier window is counted partly

UnixTime time_member(rapidjson::Value const& o, char const* key) {
    auto s = json::string_or_empty(o, key);
    return pypi_detail::parse_upload_time(s).value_or(0);
}

// Cut to `max` characters, marking the cut.
std::string cut(std::string_view s, std::size_t max) {
    std::size_t chars = 0;
    for (std::size_t i = 0; i < s.size();) {
        if (chars == max) return std::string(s.substr(0, i)) + "…";
        i += decode_utf8(s, i).length;
        ++chars;
    }
    return std::string(s);
}

// Release notes are Markdown over many lines: one line of sanitised text for an event.
std::string one_line(std::string_view s) {
    std::string out;
    bool blank = false;
    for (char c : s) {
        if (c == '\r' || c == '\n' || c == '\t') {
            blank = !out.empty();
            continue;
        }
        if (blank) out += ' ';
        blank = false;
        out += c;
    }
    return sanitize_text(out);
}

} // namespace

std::string normalise_label(std::string_view label) {
    // PEP 753: string.punctuation and whitespace removed, then lowercased.
    static constexpr std::string_view kPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    std::string out;
    for (char c : label) {
        if (is_blank(c) || kPunctuation.find(c) != std::string_view::npos) continue;
        out += ascii_lower(c);
    }
    return out;
}

std::optional<std::string> repo_from_url(std::string_view url) {
    auto s = trim_blanks(url);
    s = s.substr(0, s.find_first_of("?#"));
    auto lower = ascii_lower(s);
    for (std::string_view scheme : {"https://", "http://"})
        if (lower.rfind(scheme, 0) == 0) {
            s.remove_prefix(scheme.size());
            lower.erase(0, scheme.size());
            break;
        }
    if (lower.rfind("www.", 0) == 0) {
        s.remove_prefix(4);
        lower.erase(0, 4);
    }
    if (lower.rfind("github.com/", 0) != 0) return std::nullopt;
    s.remove_prefix(11);
    std::vector<std::string_view> parts;
    while (!s.empty() && parts.size() < 2) {
        auto const slash = s.find('/');
        auto part = s.substr(0, slash);
        if (!part.empty()) parts.push_back(part);
        if (slash == std::string_view::npos) break;
        s.remove_prefix(slash + 1);
    }
    if (parts.size() < 2) return std::nullopt;
    std::string owner = ascii_lower(parts[0]), repo = ascii_lower(parts[1]);
    if (iends_with(repo, ".git")) repo.resize(repo.size() - 4);
    auto valid = [](std::string const& t) {
        return !t.empty() && t != "." && t != ".." && std::all_of(t.begin(), t.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                   c == '.';
        });
    };
    // Pages of GitHub itself, not repositories (a sponsor link under "Homepage").
    static const std::set<std::string> kNotOwners = {
        "sponsors", "orgs",        "settings", "marketplace", "apps",  "features",
        "topics",   "collections", "about",    "site",        "login", "join"};
    if (!valid(owner) || !valid(repo) || kNotOwners.count(owner)) return std::nullopt;
    return owner + "/" + repo;
}

Discovery discover(std::map<std::string, std::string> const& project_urls,
                   std::string_view home_page) {
    // PEP 753's well-known labels, most specific first; funding and sponsor links never count.
    static constexpr std::string_view kOrder[] = {
        "source", "sourcecode", "repository",   "code",      "github",      "homepage",
        "issues", "bugtracker", "issuetracker", "changelog", "releasenotes"};
    for (auto want : kOrder)
        for (auto const& [label, url] : project_urls)
            if (normalise_label(label) == want)
                if (auto repo = repo_from_url(url))
                    return {repo, "project_urls '" + sanitize_text(label) + "'"};
    if (auto repo = repo_from_url(home_page)) return {repo, "home_page"};
    return {};
}

std::optional<std::string> tag_version(std::string_view tag, std::string_view project,
                                       std::string_view repo) {
    auto parse = [](std::string_view t) -> std::optional<std::string> {
        if (t.empty()) return std::nullopt;
        if (auto v = packaging::Version::parse(t)) return v->str();
        return std::nullopt;
    };
    if (auto v = parse(tag)) return v;
    auto const lower = ascii_lower(tag);
    for (std::string_view prefix : {"release-", "release_", "release/", "rel-", "version-"})
        if (lower.rfind(prefix, 0) == 0)
            if (auto v = parse(tag.substr(prefix.size()))) return v;
    // "<name>-1.2.3", "<name>_v1.2.3", "<name>/1.2.3": the name as PEP 503 compares it (any
    // case, "-", "_" and "." alike). The name is the package's or the repository's, which often
    // differ ("py-foo-2.4.4" in py-foo for the package foo, "pkg11.core-2.13.1" in pkg11.core).
    auto const canon = packaging::canonicalize_name(project);
    auto const repo_canon = packaging::canonicalize_name(repo.substr(repo.rfind('/') + 1));
    for (std::size_t i = 1; i < tag.size(); ++i) {
        char const c = tag[i];
        if (c != '-' && c != '_' && c != '/' && c != '@') continue;
        auto const name = packaging::canonicalize_name(tag.substr(0, i));
        if (name != canon && (repo_canon.empty() || name != repo_canon)) continue;
        if (auto v = parse(tag.substr(i + 1))) return v;
    }
    return std::nullopt;
}

Release const* latest_release(std::vector<Release> const& releases) {
    Release const* best = nullptr;
    for (auto const& r : releases)
        if (!r.draft && !r.prerelease && (!best || r.published > best->published)) best = &r;
    return best;
}

std::optional<std::string> latest_tag(std::vector<std::string> const& tags,
                                      std::string_view project, std::string_view repo) {
    std::optional<packaging::Version> best;
    std::optional<std::string> name;
    for (auto const& t : tags) {
        auto text = tag_version(t, project, repo);
        if (!text) continue;
        auto v = packaging::Version::parse(*text);
        if (!v || v->is_prerelease()) continue;
        if (!best || *v > *best) best = *v, name = t;
    }
    return name;
}

Result<std::vector<Release>, std::string> parse_releases(std::string const& body) {
    rapidjson::Document d;
    d.Parse(body.c_str(), body.size());
    if (d.HasParseError() || !d.IsArray()) return fail("releases: not a JSON list");
    std::vector<Release> out;
    for (auto const& v : d.GetArray()) {
        if (!v.IsObject()) continue;
        Release r;
        r.tag = json::string_or_empty(v, "tag_name");
        if (r.tag.empty()) continue;
        r.name = json::string_or_empty(v, "name");
        r.url = json::string_or_empty(v, "html_url");
        r.notes = cut(one_line(json::string_or_empty(v, "body")), kNotesChars);
        r.draft = json::flag(v, "draft");
        r.prerelease = json::flag(v, "prerelease");
        r.published = time_member(v, "published_at");
        if (r.published == 0) r.published = time_member(v, "created_at");
        out.push_back(std::move(r));
    }
    return out;
}

Result<std::vector<std::string>, std::string> parse_tags(std::string const& body) {
    rapidjson::Document d;
    d.Parse(body.c_str(), body.size());
    if (d.HasParseError() || !d.IsArray()) return fail("tags: not a JSON list");
    std::vector<std::string> out;
    for (auto const& v : d.GetArray())
        if (v.IsObject())
            if (auto name = json::string_or_empty(v, "name"); !name.empty())
                out.push_back(std::move(name));
    return out;
}

Result<std::vector<Issue>, std::string> parse_issues(std::string const& body) {
    rapidjson::Document d;
    d.Parse(body.c_str(), body.size());
    if (d.HasParseError() || !d.IsArray()) return fail("issues: not a JSON list");
    std::vector<Issue> out;
    for (auto const& v : d.GetArray()) {
        if (!v.IsObject()) continue;
        Issue i;
        i.number = json::integer(v, "number");
        i.created = time_member(v, "created_at");
        i.title = json::string_or_empty(v, "title");
        // A pull request carries a `pull_request` object; a null one (an old media type's
        // default) is an issue.
        auto pr = v.FindMember("pull_request");
        i.pull_request = pr != v.MemberEnd() && !pr->value.IsNull();
        if (i.number > 0 && i.created > 0) out.push_back(std::move(i));
    }
    return out;
}

Result<Repository, std::string> parse_repository(std::string const& body) {
    rapidjson::Document d;
    d.Parse(body.c_str(), body.size());
    if (d.HasParseError() || !d.IsObject()) return fail("repository: not a JSON object");
    Repository r;
    r.full_name = json::string_or_empty(d, "full_name");
    if (r.full_name.empty()) return fail("repository: no full_name");
    r.html_url = json::string_or_empty(d, "html_url");
    r.open_issues = json::integer(d, "open_issues_count");
    r.archived = json::flag(d, "archived");
    r.created = time_member(d, "created_at");
    if (auto o = d.FindMember("owner"); o != d.MemberEnd() && o->value.IsObject())
        r.owner_type = json::string_or_empty(o->value, "type");
    return r;
}

std::optional<std::string> next_link(std::string_view h) {
    // <url>; rel="next", <url>; rel="last"
    std::size_t pos = 0;
    while (pos < h.size()) {
        auto const open = h.find('<', pos);
        if (open == std::string_view::npos) break;
        auto const close = h.find('>', open);
        if (close == std::string_view::npos) break;
        auto const end = h.find('<', close);
        auto const params =
            h.substr(close + 1, end == std::string_view::npos ? h.npos : end - close - 1);
        auto const lower = ascii_lower(params);
        if (lower.find("rel=\"next\"") != std::string::npos ||
            lower.find("rel=next") != std::string::npos)
            return std::string(h.substr(open + 1, close - open - 1));
        pos = close + 1;
    }
    return std::nullopt;
}

double poisson_tail(std::int64_t n, double mean) {
    if (n <= 0) return 1.0;
    if (!(mean > 0)) return 0.0;
    auto term = [&](std::int64_t k) {
        double const kd = static_cast<double>(k);
        return std::exp(-mean + kd * std::log(mean) - std::lgamma(kd + 1));
    };
    if (static_cast<double>(n) > mean) {
        // The upper tail directly: its terms fall off fast past the mean.
        double sum = 0;
        for (std::int64_t k = n; k < n + 1'000'000; ++k) {
            double const t = term(k);
            sum += t;
            if (t <= sum * 1e-17 || t == 0) break;
        }
        return std::min(1.0, sum);
    }
    double lower = 0;
    for (std::int64_t k = 0; k < n; ++k)
        lower += term(k);
    return std::clamp(1.0 - lower, 0.0, 1.0);
}

SpikeCheck check_spike(std::vector<UnixTime> const& created, UnixTime now, int min_issues,
                       double p_value, UnixTime covered_from) {
    SpikeCheck c;
    UnixTime const day_start = now - kDay;
    UnixTime const window_start = std::max(now - kWindow, covered_from);
    std::int64_t base = 0;
    for (auto t : created) {
        if (t > day_start)
            ++c.last_24h;
        else if (t > window_start)
            ++base;
    }
    double const days = static_cast<double>(day_start - window_start) / static_cast<double>(kDay);
    if (days < 1) return c; // less than a day of history: no baseline to judge by
    c.mean = static_cast<double>(base) / days;
    c.p_value = poisson_tail(c.last_24h, c.mean);
    c.spike = c.last_24h >= min_issues && c.p_value < p_value;
    return c;
}

std::optional<std::string> release_since(std::vector<Release> const& releases, UnixTime now) {
    Release const* best = nullptr;
    for (auto const& r : releases)
        if (!r.draft && r.published > now - 3 * kDay && r.published <= now &&
            (!best || r.published > best->published))
            best = &r;
    if (!best) return std::nullopt;
    return best->tag;
}

std::string to_json(State const& s) {
    JsonWriter w;
    w.begin_object();
    w.field("repo", s.repo);
    w.field("found_in", s.found_in);
    w.field("no_repo", s.no_repo);
    w.field("renamed_from", s.renamed_from);
    w.field("meta_etag", s.meta_etag);
    w.field("meta_checked", static_cast<std::int64_t>(s.meta_checked));
    w.field("repo_etag", s.repo_etag);
    w.field("repo_checked", static_cast<std::int64_t>(s.repo_checked));
    w.key("facts")
        .begin_object()
        .field("full_name", s.facts.full_name)
        .field("html_url", s.facts.html_url)
        .field("owner_type", s.facts.owner_type)
        .field("open_issues", s.facts.open_issues)
        .field("archived", s.facts.archived)
        .field("created", static_cast<std::int64_t>(s.facts.created))
        .end_object();
    w.field("releases_etag", s.releases_etag);
    w.key("releases").begin_array();
    for (auto const& r : s.releases)
        w.begin_object()
            .field("tag", r.tag)
            .field("name", r.name)
            .field("url", r.url)
            .field("notes", r.notes)
            .field("draft", r.draft)
            .field("prerelease", r.prerelease)
            .field("published", static_cast<std::int64_t>(r.published))
            .end_object();
    w.end_array();
    w.field("tags_etag", s.tags_etag);
    w.key("tags").begin_array();
    for (auto const& t : s.tags)
        w.string(t);
    w.end_array();
    w.field("issues_etag", s.issues_etag);
    w.field("issues_max", s.issues_max);
    w.field("issues_from", static_cast<std::int64_t>(s.issues_from));
    w.key("issues").begin_array();
    for (auto const& [n, t] : s.issues)
        w.begin_array().number(n).number(static_cast<std::int64_t>(t)).end_array();
    w.end_array();
    w.key("newest_titles").begin_array();
    for (auto const& t : s.newest_titles)
        w.string(t);
    w.end_array();
    w.field("spike", s.spike);
    w.key("pending").begin_array();
    for (auto const& p : s.pending)
        w.begin_object()
            .field("tag", p.tag)
            .field("key", p.key)
            .field("url", p.url)
            .field("detail", p.detail)
            .field("first_seen", static_cast<std::int64_t>(p.first_seen))
            .end_object();
    w.end_array();
    w.key("quota_limit");
    s.quota_limit ? w.number(*s.quota_limit) : w.null();
    w.key("quota_remaining");
    s.quota_remaining ? w.number(*s.quota_remaining) : w.null();
    w.key("quota_reset");
    s.quota_reset ? w.number(static_cast<std::int64_t>(*s.quota_reset)) : w.null();
    w.field("authenticated", s.authenticated);
    w.field("polled", static_cast<std::int64_t>(s.polled));
    w.end_object();
    return w.take();
}

State state_from_json(std::string_view text) {
    State s;
    rapidjson::Document d;
    d.Parse(text.data(), text.size());
    if (d.HasParseError() || !d.IsObject()) return s;
    s.repo = json::optional_string(d, "repo");
    s.found_in = json::string_or_empty(d, "found_in");
    s.no_repo = json::string_or_empty(d, "no_repo");
    s.renamed_from = json::optional_string(d, "renamed_from");
    s.meta_etag = json::optional_string(d, "meta_etag");
    s.meta_checked = json::integer(d, "meta_checked");
    s.repo_etag = json::optional_string(d, "repo_etag");
    s.repo_checked = json::integer(d, "repo_checked");
    if (auto f = d.FindMember("facts"); f != d.MemberEnd() && f->value.IsObject()) {
        auto const& o = f->value;
        s.facts.full_name = json::string_or_empty(o, "full_name");
        s.facts.html_url = json::string_or_empty(o, "html_url");
        s.facts.owner_type = json::string_or_empty(o, "owner_type");
        s.facts.open_issues = json::integer(o, "open_issues");
        s.facts.archived = json::flag(o, "archived");
        s.facts.created = json::integer(o, "created");
    }
    s.releases_etag = json::optional_string(d, "releases_etag");
    if (auto a = d.FindMember("releases"); a != d.MemberEnd() && a->value.IsArray())
        for (auto const& v : a->value.GetArray()) {
            if (!v.IsObject()) continue;
            Release r;
            r.tag = json::string_or_empty(v, "tag");
            r.name = json::string_or_empty(v, "name");
            r.url = json::string_or_empty(v, "url");
            r.notes = json::string_or_empty(v, "notes");
            r.draft = json::flag(v, "draft");
            r.prerelease = json::flag(v, "prerelease");
            r.published = json::integer(v, "published");
            s.releases.push_back(std::move(r));
        }
    s.tags_etag = json::optional_string(d, "tags_etag");
    if (auto a = d.FindMember("tags"); a != d.MemberEnd() && a->value.IsArray())
        for (auto const& v : a->value.GetArray())
            if (v.IsString()) s.tags.emplace_back(v.GetString(), v.GetStringLength());
    s.issues_etag = json::optional_string(d, "issues_etag");
    s.issues_max = json::integer(d, "issues_max");
    s.issues_from = json::integer(d, "issues_from");
    if (auto a = d.FindMember("issues"); a != d.MemberEnd() && a->value.IsArray())
        for (auto const& v : a->value.GetArray())
            if (v.IsArray() && v.Size() == 2 && v[0].IsInt64() && v[1].IsInt64())
                s.issues.emplace_back(v[0].GetInt64(), v[1].GetInt64());
    if (auto a = d.FindMember("newest_titles"); a != d.MemberEnd() && a->value.IsArray())
        for (auto const& v : a->value.GetArray())
            if (v.IsString()) s.newest_titles.emplace_back(v.GetString(), v.GetStringLength());
    s.spike = json::flag(d, "spike");
    if (auto a = d.FindMember("pending"); a != d.MemberEnd() && a->value.IsArray())
        for (auto const& v : a->value.GetArray()) {
            if (!v.IsObject()) continue;
            Pending p;
            p.tag = json::string_or_empty(v, "tag");
            p.key = json::string_or_empty(v, "key");
            p.url = json::string_or_empty(v, "url");
            p.detail = json::string_or_empty(v, "detail");
            p.first_seen = json::integer(v, "first_seen");
            s.pending.push_back(std::move(p));
        }
    s.quota_limit = json::optional_integer(d, "quota_limit");
    s.quota_remaining = json::optional_integer(d, "quota_remaining");
    s.quota_reset = json::optional_integer(d, "quota_reset");
    s.authenticated = json::flag(d, "authenticated");
    s.polled = json::integer(d, "polled");
    return s;
}

std::vector<UnixTime> issue_times(State const& s) {
    std::vector<UnixTime> out;
    out.reserve(s.issues.size());
    for (auto const& [n, t] : s.issues)
        out.push_back(t);
    return out;
}

std::vector<std::int64_t> daily_counts(std::vector<UnixTime> const& created, UnixTime now) {
    auto const days = static_cast<std::size_t>(kWindow / kDay);
    std::vector<std::int64_t> out(days, 0);
    for (auto t : created) {
        if (t <= now - kWindow || t > now) continue;
        // Days back from now, each (now - (k+1) days, now - k days], as check_spike counts the
        // last 24 hours.
        auto const ago = static_cast<std::size_t>((now - t) / kDay);
        if (ago < days) ++out[days - 1 - ago];
    }
    return out;
}

std::int64_t spike_threshold(double mean, int min_issues, double p_value) {
    std::int64_t n = std::max(1, min_issues);
    // poisson_tail falls as n grows; the mean plus a generous margin bounds the search.
    auto const limit = n + static_cast<std::int64_t>(mean * 10 + 1000);
    while (n < limit && poisson_tail(n, mean) >= p_value)
        ++n;
    return n;
}

Summary summarize(State const& s, std::string_view project, UnixTime now, int min_issues,
                  double p_value) {
    Summary out;
    out.repo = s.repo;
    out.no_repo = s.no_repo;
    if (!s.repo) return out;
    if (auto const* r = latest_release(s.releases)) {
        out.latest_release = r->tag;
        if (!r->url.empty()) out.release_notes_url = r->url;
    }
    out.latest_tag = latest_tag(s.tags, project, *s.repo);
    if (s.repo_checked > 0) out.open_issues = s.facts.open_issues;
    out.issues = check_spike(issue_times(s), now, min_issues, p_value, s.issues_from);
    if (out.issues.spike) out.since_release = release_since(s.releases, now);
    return out;
}

} // namespace github_detail

// --- the source ----------------------------------------------------------------------------

namespace {

using namespace github_detail;

constexpr std::string_view kDiscover = "discover";
constexpr std::string_view kRepo = "repo";
constexpr std::string_view kReleases = "releases";
constexpr std::string_view kTags = "tags";
constexpr std::string_view kIssues = "issues";
constexpr std::size_t kBodyLimit = 16u << 20;
constexpr std::size_t kPypiJsonLimit = 64u << 20; // the whole project, every release

std::optional<std::int64_t> header_int(net::Response const& r, std::string_view name) {
    auto h = r.header(name);
    if (!h) return std::nullopt;
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(h->data(), h->data() + h->size(), v);
    if (ec != std::errc{} || p != h->data() + h->size()) return std::nullopt;
    return v;
}

std::string api_root(std::string_view api_url) {
    std::string out(api_url);
    if (out.empty() || out.back() != '/') out += '/';
    return out;
}

std::optional<std::string> override_for(GithubSettings const& g, std::string const& name,
                                        bool& disabled) {
    disabled = false;
    auto it = g.repos.find(name);
    if (it == g.repos.end()) return std::nullopt;
    if (!it->second) disabled = true;
    return it->second;
}

// The state a poll starts from: the stored one, or a fresh one when [github.repos] names
// another repository than the one it describes.
State starting_state(GithubSettings const& g, Subscription const& sub, PollContext const& ctx) {
    auto st = state_from_json(ctx.source_state.value_or(""));
    bool disabled = false;
    auto const forced = override_for(g, sub.name, disabled);
    if (forced && ascii_lower(st.repo.value_or("")) != ascii_lower(*forced) &&
        ascii_lower(st.renamed_from.value_or("")) != ascii_lower(*forced)) {
        st = State{};
        st.repo = *forced;
        st.found_in = "[github.repos]";
    }
    return st;
}

} // namespace

GithubSource::GithubSource(GithubSettings settings) : settings_(std::move(settings)) {
    settings_.api_url = api_root(settings_.api_url);
}

UnixTime GithubSource::now() const {
    if (settings_.clock) return settings_.clock();
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::any GithubSource::prepare(PollHistory const& history) const {
    // Which of its tags and releases PyPI already has (a release PyPI lacks is announced
    // after the grace period).
    Asks asks;
    if (history.versions_elsewhere) asks.other_versions = history.versions_elsewhere();
    return asks;
}

std::string GithubSource::host(Subscription const&) const {
    // Every repository shares one quota: one budget for the API host.
    auto const& u = settings_.api_url;
    auto const scheme = u.find("://");
    if (scheme == std::string::npos) return u;
    return ascii_lower(u.substr(0, u.find('/', scheme + 3)));
}

Subscription github_subscription(Subscription const& pypi, std::string_view api_url) {
    Subscription s = pypi;
    s.source = std::string(GithubSource::kKind);
    s.origin = api_root(api_url);
    s.interval.reset();
    auto root = pypi.origin;
    constexpr std::string_view kSimple = "/simple/";
    if (root.size() >= kSimple.size() &&
        std::string_view(root).substr(root.size() - kSimple.size()) == kSimple)
        s.locator =
            root.substr(0, root.size() - kSimple.size() + 1) + "pypi/" + pypi.name + "/json";
    else
        s.locator = "github:" + pypi.name;
    return s;
}

namespace {

// The next request of a poll after `done` (empty at the start), or nullopt when finished.
std::optional<SourceRequest> plan(GithubSettings const& g, Subscription const& sub, State const& st,
                                  std::string_view done, UnixTime now) {
    auto api = [&](std::string const& step, std::string const& path,
                   std::optional<std::string> const& etag) {
        SourceRequest r;
        r.step = step;
        r.http.url = g.api_url + path;
        r.http.header("Accept", "application/vnd.github+json");
        r.http.header("X-GitHub-Api-Version", "2022-11-28");
        if (!g.token.empty()) r.http.header("Authorization", "Bearer " + g.token.reveal());
        if (etag) r.http.header("If-None-Match", *etag);
        r.http.body_limit = kBodyLimit;
        return r;
    };
    bool disabled = false;
    auto const forced = override_for(g, sub.name, disabled);
    bool const stale_meta =
        st.meta_checked == 0 || now - st.meta_checked >= g.metadata_every.count();
    if (done.empty() && !forced && !disabled && sub.locator.rfind("http", 0) == 0 &&
        (stale_meta || !st.repo)) {
        SourceRequest r;
        r.step = std::string(kDiscover);
        r.http.url = sub.locator;
        with_index_credentials(sub, r.http); // the index's JSON API, on the index's origin
        r.http.header("Accept", "application/json");
        if (st.meta_etag && st.repo) r.http.header("If-None-Match", *st.meta_etag);
        r.http.body_limit = kPypiJsonLimit;
        return r;
    }
    if (!st.repo) return std::nullopt;
    auto const& repo = *st.repo;
    bool const stale_repo =
        st.repo_checked == 0 || now - st.repo_checked >= g.metadata_every.count();
    if ((done.empty() || done == kDiscover) && stale_repo)
        return api(std::string(kRepo), "repos/" + repo,
                   st.repo_checked ? st.repo_etag : std::nullopt);
    if (done.empty() || done == kDiscover || done == kRepo)
        return api(std::string(kReleases), "repos/" + repo + "/releases?per_page=100",
                   st.releases_etag);
    // Tags matter for projects without releases (and for `check`, which shows the latest tag):
    // a repository with releases costs one request less per poll.
    bool const tags = g.always_tags || st.releases.empty();
    if (done == kReleases && tags)
        return api(std::string(kTags), "repos/" + repo + "/tags?per_page=100", st.tags_etag);
    if (done == kTags || done == kReleases) {
        // The window starts at a whole day, so the URL (and its ETag) holds for a day.
        UnixTime from = now - 28 * 24 * 3600;
        from -= from % (24 * 3600);
        auto r = api(
            std::string(kIssues),
            "repos/" + repo +
                "/issues?state=all&sort=created&direction=desc&per_page=100&since=" + rfc3339(from),
            st.issues_etag);
        r.argument = "1:" + std::to_string(st.issues_max);
        return r;
    }
    return std::nullopt;
}

// The poll is complete: what changed since the last one, as notices.
void finish(GithubSettings const& g, Subscription const& sub, PollContext const& ctx,
            State const& prev, State& st, UnixTime now, Observation& obs) {
    st.polled = now;
    if (!st.repo) {
        st.pending.clear();
        st.spike = false;
        return;
    }
    auto const* asks = std::any_cast<GithubSource::Asks>(&ctx.asks);
    std::set<std::string> const other =
        asks ? std::set<std::string>(asks->other_versions.begin(), asks->other_versions.end())
             : std::set<std::string>{};
    auto const same = [](std::optional<std::string> const& a, std::optional<std::string> const& b) {
        return a && b && ascii_lower(*a) == ascii_lower(*b);
    };
    bool const first =
        prev.polled == 0 || (!same(prev.repo, st.repo) && !same(prev.repo, st.renamed_from));
    if (!first) {
        std::set<std::string> known(prev.tags.begin(), prev.tags.end());
        for (auto const& r : prev.releases)
            known.insert(r.tag);
        std::set<std::string> pending;
        for (auto const& p : st.pending)
            pending.insert(p.tag);
        // The grace period runs from the release's publication (a tag's: from when it was seen).
        auto add = [&](std::string const& tag, std::string url, std::string detail,
                       UnixTime since) {
            if (known.count(tag) || pending.count(tag)) return;
            auto v = tag_version(tag, sub.name, *st.repo);
            st.pending.push_back({tag, v ? release_key(*v) : release_key(tag), std::move(url),
                                  std::move(detail), since > 0 && since <= now ? since : now});
            pending.insert(tag);
        };
        for (auto const& r : st.releases) {
            if (r.draft) continue;
            std::string detail = r.name.empty() || r.name == r.tag ? "" : sanitize_text(r.name);
            if (r.prerelease) detail += std::string(detail.empty() ? "" : " ") + "(pre-release)";
            if (!r.notes.empty()) detail += std::string(detail.empty() ? "" : " — ") + r.notes;
            add(r.tag, r.url, detail, r.published);
        }
        // Projects that only push tags: a new tag is their release.
        if (st.releases.empty() && !st.facts.html_url.empty())
            for (auto const& t : st.tags)
                add(t, st.facts.html_url + "/releases/tag/" + t, "a new tag (no GitHub release)",
                    now);
    }
    // A release PyPI has too is told by the PyPI event; one PyPI still lacks after the grace
    // period is its own event.
    std::vector<Pending> keep;
    for (auto& p : st.pending) {
        if (other.count(p.key)) continue;
        if (now - p.first_seen >= g.release_grace.count()) {
            Observation::Notice n{EventKind::github_release, p.tag, p.detail, p.url};
            auto const hours = g.release_grace.count() / 3600;
            n.detail += std::string(n.detail.empty() ? "" : "; ") + "not on PyPI after " +
                        std::to_string(hours) + " h";
            obs.notices.push_back(std::move(n));
            continue;
        }
        keep.push_back(std::move(p));
    }
    st.pending = std::move(keep);

    auto const c =
        check_spike(issue_times(st), now, g.spike_min_issues, g.spike_p_value, st.issues_from);
    char mean[32];
    std::snprintf(mean, sizeof mean, "%.1f", c.mean);
    std::string const link = st.facts.html_url.empty() ? "" : st.facts.html_url + "/issues";
    if (c.spike && !prev.spike) {
        char p[32];
        std::snprintf(p, sizeof p, "%.2g", c.p_value);
        auto const since = release_since(st.releases, now);
        std::string detail = std::to_string(c.last_24h) + " new issues in 24 h (usually " + mean +
                             " a day, p = " + p + ")";
        if (since) detail += " since release " + sanitize_text(*since);
        if (!st.newest_titles.empty()) {
            detail += "; newest:";
            for (auto const& t : st.newest_titles)
                detail += " \"" + t + "\"";
        }
        obs.notices.push_back({EventKind::issue_spike, since, detail, link});
    } else if (!c.spike && prev.spike) {
        obs.notices.push_back(
            {EventKind::issue_spike_over, std::nullopt,
             std::to_string(c.last_24h) + " new issues in 24 h (usually " + mean + " a day)",
             link});
    }
    // The baseline says nothing: a spike already under way then is told by the next poll (and
    // only a spike that was told is ever told over).
    st.spike = c.spike && !first;
}

} // namespace

std::optional<std::string> GithubSource::release_link(std::string_view source_state,
                                                      std::string_view project,
                                                      std::string_view version_key) const {
    auto const st = state_from_json(source_state);
    for (auto const& r : st.releases) {
        if (r.draft || r.url.empty()) continue;
        auto v = tag_version(r.tag, project, st.repo.value_or(""));
        if (v && release_key(*v) == version_key) return r.url;
    }
    return std::nullopt;
}

SourceRequest GithubSource::first_request(Subscription const& sub, PollContext const& ctx) const {
    if (auto r = plan(settings_, sub, starting_state(settings_, sub, ctx), "", now()))
        return std::move(*r);
    // Nothing to ask (no repository and nowhere to discover one): read the PyPI page anyway,
    // whose answer says why.
    SourceRequest r;
    r.step = std::string(kDiscover);
    r.http.url = sub.locator;
    return r;
}

namespace {

// How a stage of GithubSource::parse fails: the kind, the message after the "github:<name>: "
// prefix, and a retry hint.
using Failure = std::optional<SourceError>;
Failure error(SourceError::Kind k, std::string msg,
              std::optional<std::chrono::seconds> after = std::nullopt) {
    return SourceError{k, std::move(msg), after};
}

// Every GitHub answer: the quota the server reports, its rate limits, a pause that spreads the
// quota (daemon) or waits for its reset, and the failures any endpoint can answer.
Failure read_quota(GithubSettings const& settings, SourceRequest const& request,
                   net::Response const& res, UnixTime t, State& st, SourceStep& step) {
    // The quota as the server tells it: never a number of our own.
    auto const limit = header_int(res, "x-ratelimit-limit");
    auto const remaining = header_int(res, "x-ratelimit-remaining");
    auto const reset = header_int(res, "x-ratelimit-reset");
    if (limit) st.quota_limit = limit;
    if (remaining) st.quota_remaining = remaining;
    if (reset) st.quota_reset = reset;
    auto const until_reset = reset ? std::max<std::int64_t>(1, *reset - t + 1) : 60;
    if (res.status == 403 || res.status == 429) {
        if (auto after = net::parse_retry_after(res))
            return error(SourceError::Kind::rate_limited,
                         "http " + std::to_string(res.status) + ": rate limited (retry-after " +
                             std::to_string(after->count()) + " s)",
                         std::max(std::chrono::seconds(1), *after));
        if (remaining && *remaining == 0)
            return error(SourceError::Kind::rate_limited,
                         "http " + std::to_string(res.status) + ": rate limit exhausted until " +
                             utc_text(reset.value_or(t + 60)),
                         std::chrono::seconds(until_reset));
        if (res.status == 429 || ascii_lower(res.body).find("rate limit") != std::string::npos)
            // A secondary limit without retry-after: at least a minute (GitHub's advice).
            return error(SourceError::Kind::rate_limited,
                         "http " + std::to_string(res.status) + ": secondary rate limit",
                         std::chrono::seconds(60));
    }
    // Spend the quota evenly over its window (daemon), or only wait when it is gone.
    if (remaining && reset) {
        std::int64_t const window = std::max<std::int64_t>(1, *reset - t);
        std::int64_t pause = 0;
        if (*remaining <= 0)
            pause = until_reset;
        else if (settings.spread_budget)
            pause = window * request.ordinal / *remaining; // under a second: no pause
        else if (*remaining < 5)
            pause = until_reset;
        if (pause > 0) step.pause_host = std::chrono::seconds(pause);
    }
    if (net::classify_status(res.status) == net::StatusClass::server_error)
        return error(SourceError::Kind::temporary,
                     std::string(request.step) + ": http " + std::to_string(res.status));
    if (res.status == 401)
        return error(SourceError::Kind::permanent, std::string(request.step) +
                                                       ": http 401: GitHub refused the token "
                                                       "(bad credentials; see [github] token)");
    // A redirect (renamed or moved repository) was followed: ask who it is now.
    if (!res.final_url.empty() && res.final_url != request.http.url) st.repo_checked = 0;
    return std::nullopt;
}

// The project's PyPI JSON: which repository its project_urls (or home_page) name.
Failure read_discovery(GithubSettings const& settings, Subscription const& sub,
                       net::Response const& res, UnixTime t, State& st) {
    if (net::is_temporary(net::classify_status(res.status)))
        return error(SourceError::Kind::temporary,
                     "PyPI JSON API: http " + std::to_string(res.status));
    st.meta_checked = t;
    if (res.status == 200) {
        auto meta = pypi_detail::parse_metadata(res.body);
        if (!meta) return error(SourceError::Kind::permanent, "PyPI JSON API: " + meta.error());
        if (auto etag = res.header("etag")) st.meta_etag = std::string(*etag);
        auto found = discover(meta->project_urls, meta->home_page);
        if (found.repo) {
            if (ascii_lower(st.repo.value_or("")) != *found.repo &&
                ascii_lower(st.renamed_from.value_or("")) != *found.repo) {
                // A new repository: start over with it.
                auto const meta_etag = st.meta_etag;
                st = State{};
                st.meta_etag = meta_etag;
                st.meta_checked = t;
                st.repo = *found.repo;
                st.authenticated = !settings.token.empty();
            }
            st.found_in = found.found_in;
            st.no_repo.clear();
        } else {
            st.repo.reset();
            st.no_repo = "no GitHub repository in the project's PyPI project_urls or home_page";
        }
    } else if (res.status == 404) {
        st.repo.reset();
        st.no_repo = "PyPI's JSON API has no project " + sub.name;
    } else if (res.status != 304) {
        st.repo.reset();
        st.no_repo = "PyPI's JSON API answered http " + std::to_string(res.status);
    }
    return std::nullopt;
}

// The repository's facts (and who it is now, after a rename).
Failure read_repository(net::Response const& res, UnixTime t, State& st) {
    if (res.status == 200) {
        auto repo = parse_repository(res.body);
        if (!repo) return error(SourceError::Kind::permanent, repo.error());
        if (st.repo && ascii_lower(repo->full_name) != ascii_lower(*st.repo))
            st.renamed_from = *st.repo;
        st.repo = repo->full_name;
        st.facts = std::move(*repo);
        st.repo_checked = t;
        if (auto etag = res.header("etag")) st.repo_etag = std::string(*etag);
    } else if (res.status == 304) {
        st.repo_checked = t;
    } else if (res.status == 404 || res.status == 410) {
        st.no_repo = "GitHub has no repository " + st.repo.value_or("?") + " (found in " +
                     (st.found_in.empty() ? std::string("?") : st.found_in) + ")";
        st.repo.reset();
    } else {
        return error(SourceError::Kind::permanent, "repo: http " + std::to_string(res.status));
    }
    return std::nullopt;
}

// The newest page of releases or tags.
Failure read_listing(SourceRequest const& request, net::Response const& res, State& st) {
    if (res.status == 200) {
        if (request.step == kReleases) {
            auto list = parse_releases(res.body);
            if (!list) return error(SourceError::Kind::permanent, list.error());
            st.releases = std::move(*list);
            st.releases_etag =
                res.header("etag") ? std::optional<std::string>(*res.header("etag")) : std::nullopt;
        } else {
            auto list = parse_tags(res.body);
            if (!list) return error(SourceError::Kind::permanent, list.error());
            st.tags = std::move(*list);
            st.tags_etag =
                res.header("etag") ? std::optional<std::string>(*res.header("etag")) : std::nullopt;
        }
    } else if (res.status != 304) {
        return error(SourceError::Kind::permanent,
                     std::string(request.step) + ": http " + std::to_string(res.status));
    }
    return std::nullopt;
}

// One page of issues: those opened in the 28-day window, the newest titles, and the next page
// while the window is not covered.
Failure read_issues(SourceRequest const& request, net::Response const& res, UnixTime t, State& st,
                    SourceStep& step) {
    auto const colon = request.argument.find(':');
    int const page = std::atoi(request.argument.substr(0, colon).c_str());
    std::int64_t const old_max =
        colon == std::string::npos ? 0 : std::atoll(request.argument.c_str() + colon + 1);
    UnixTime const window_start = t - 28 * 24 * 3600;
    if (res.status == 200) {
        auto items = parse_issues(res.body);
        if (!items) return error(SourceError::Kind::permanent, items.error());
        if (page == 1)
            st.issues_etag =
                res.header("etag") ? std::optional<std::string>(*res.header("etag")) : std::nullopt;
        if (old_max == 0 && page == 1) {
            st.issues.clear();
            st.newest_titles.clear();
            st.issues_from = window_start;
        }
        std::set<std::int64_t> have;
        for (auto const& [n, when] : st.issues)
            have.insert(n);
        bool reached_known = false;
        std::vector<std::string> fresh; // titles of new issues, newest first
        UnixTime oldest = t;
        for (auto const& i : *items) {
            oldest = std::min(oldest, i.created);
            if (i.number <= old_max || i.created < window_start) {
                reached_known = true;
                continue;
            }
            st.issues_max = std::max(st.issues_max, i.number);
            if (i.pull_request || have.count(i.number)) continue;
            have.insert(i.number);
            st.issues.emplace_back(i.number, i.created);
            if (page == 1 && fresh.size() < 5)
                fresh.push_back(cut(sanitize_text(i.title), kTitleChars));
        }
        // New issues come first on page 1: their titles push out the oldest ones.
        if (page == 1) {
            fresh.insert(fresh.end(), st.newest_titles.begin(), st.newest_titles.end());
            if (fresh.size() > 5) fresh.resize(5);
            st.newest_titles = std::move(fresh);
        }
        auto next = next_link(res.header("link").value_or(""));
        if (next && !reached_known && !items->empty()) {
            if (static_cast<std::size_t>(page) >= kMaxIssuePages) {
                // Too busy to count the whole window in one poll: judge by what was read.
                st.issues_from = std::max(st.issues_from, oldest);
            } else if (auto page_request = net::follow_link(request.http, *next)) {
                // The token goes to the next page only on GitHub's own origin.
                SourceRequest more = request;
                more.http = std::move(*page_request);
                // Only the first page is conditional: later ones are new by construction.
                std::erase_if(more.http.headers, [](net::Header const& h) {
                    return iequals(h.first, "If-None-Match");
                });
                more.argument = std::to_string(page + 1) + ":" + std::to_string(old_max);
                step.next = std::move(more);
            }
        }
    } else if (res.status != 304) {
        return error(SourceError::Kind::permanent, "issues: http " + std::to_string(res.status));
    }
    if (!step.next) {
        // Issues that left the window, and the window itself, move with the clock.
        st.issues_from = std::max(st.issues_from, window_start);
        std::erase_if(st.issues, [&](auto const& i) { return i.second < st.issues_from; });
    }
    return std::nullopt;
}

} // namespace

Result<SourceStep, SourceError> GithubSource::parse(Subscription const& sub, PollContext const& ctx,
                                                    SourceRequest const& request,
                                                    net::Response const& res,
                                                    Observation& obs) const {
    UnixTime const t = now();
    State const prev = state_from_json(ctx.source_state.value_or(""));
    // What this poll has learnt so far (earlier steps), else where it starts.
    State st =
        obs.source_state ? state_from_json(*obs.source_state) : starting_state(settings_, sub, ctx);
    st.authenticated = !settings_.token.empty();
    SourceStep step;
    Failure failed;
    if (request.step != kDiscover) failed = read_quota(settings_, request, res, t, st, step);
    if (!failed) {
        if (request.step == kDiscover)
            failed = read_discovery(settings_, sub, res, t, st);
        else if (request.step == kRepo)
            failed = read_repository(res, t, st);
        else if (request.step == kReleases || request.step == kTags)
            failed = read_listing(request, res, st);
        else if (request.step == kIssues)
            failed = read_issues(request, res, t, st, step);
    }
    if (failed) {
        failed->message = std::string(kKind) + ":" + sub.name + ": " + failed->message;
        return fail(std::move(*failed));
    }
    if (!step.next) {
        auto next = plan(settings_, sub, st, request.step, t);
        if (next)
            step.next = std::move(*next);
        else
            finish(settings_, sub, ctx, prev, st, t, obs);
    }
    obs.status = Observation::Status::ok;
    obs.source_state = to_json(st);
    obs.baseline_complete = true; // the baseline is the state just written
    return step;
}

} // namespace pinwatch::watcher
