// The GitHub source as a plugin: its [github] table, the repositories it derives from the
// PyPI packages, its `check` flags and cells, its `status` table, the requirements files it
// keeps (github:OWNER/REPO/PATH@REF, a file host), and its registry entry.
#include "common/text.hpp"
#include "common/time.hpp"
#include "config/reader.hpp"
#include "packaging/name.hpp"
#include "watcher/sources/github/contents.hpp"
#include "watcher/sources/github/github.hpp"
#include "watcher/sources/pypi/pypi.hpp"
#include "watcher/sources/registry.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace pinwatch::watcher {
namespace {

// [github] and [github.repos]: the settings a daemon's GitHub source runs with.
GithubSettings read_table(config::Reader& r, toml::node const& node) {
    GithubSettings g;
    g.interval = std::chrono::seconds(3600);
    auto const* t = node.as_table();
    if (!t) {
        r.error(node, "key 'github': expected a table [github]");
        return g;
    }
    for (auto const& [gk, gn] : *t) {
        std::string const k(gk.str());
        std::string const full = "github." + k;
        if (k == "api_url") {
            if (auto s = r.string(gn, full)) {
                if (auto bad = config::check_endpoint(*s))
                    r.error(gn, "key '" + full + "': expected " + *bad);
                else
                    g.api_url = *s + (s->back() == '/' ? "" : "/");
            }
        } else if (k == "token") {
            auto const no_blanks = [](std::string const& v) -> std::optional<std::string> {
                if (v.empty()) return "a token (not empty)";
                for (char ch : v)
                    if (static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7f)
                        return "a token without blanks or control characters";
                return std::nullopt;
            };
            if (auto v = config::read_secret(r, gn, full, no_blanks))
                g.token = Secret(std::move(*v));
        } else if (k == "interval") {
            if (auto d = r.duration(gn, full, std::chrono::seconds(1))) g.interval = *d;
        } else if (k == "repositories") {
            if (auto b = r.boolean(gn, full)) g.repositories = *b;
        } else if (k == "spike_min_issues") {
            if (auto n = r.integer(gn, full, 1, 100000)) g.spike_min_issues = static_cast<int>(*n);
        } else if (k == "spike_p_value") {
            auto v = gn.value<double>();
            if (!v || !(*v > 0) || !(*v < 1))
                r.error(gn,
                        "key '" + full + "': expected a probability between 0 and 1, like 0.001");
            else
                g.spike_p_value = *v;
        } else if (k == "repos") {
            auto const* repos = gn.as_table();
            if (!repos) {
                r.error(gn, "key 'github.repos': expected a table [github.repos] of package = "
                            "\"owner/repo\" or false");
                continue;
            }
            for (auto const& [pk, pn] : *repos) {
                std::string const name(pk.str());
                std::string const where = "github.repos." + name;
                if (!packaging::is_valid_name(name)) {
                    r.error(pn, "key '" + where + "': not a valid project name");
                    continue;
                }
                auto const normal = packaging::canonicalize_name(name);
                if (g.repos.count(normal)) {
                    r.error(pn, "key '" + where + "': another key names the same package '" +
                                    normal + "' once normalised (PEP 503); keep one");
                    continue;
                }
                if (auto b = pn.value<bool>(); b && pn.is_boolean()) {
                    if (*b)
                        r.error(pn, "key '" + where + "': expected \"owner/repo\" or false");
                    else
                        g.repos[normal] = std::nullopt;
                    continue;
                }
                auto s = pn.value<std::string>();
                auto const slash = s ? s->find('/') : std::string::npos;
                bool ok = s && slash != std::string::npos && slash > 0 && slash + 1 < s->size() &&
                          s->find('/', slash + 1) == std::string::npos;
                if (ok)
                    for (char ch : *s)
                        ok = ok && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' ||
                                    ch == '_' || ch == '.' || ch == '/');
                if (!ok) {
                    r.error(pn, "key '" + where + "': expected \"owner/repo\" or false");
                    continue;
                }
                g.repos[normal] = *s;
            }
        } else {
            r.unknown(gn, k, "github",
                      {"api_url", "token", "interval", "spike_min_issues", "spike_p_value", "repos",
                       "repositories"});
        }
    }
    return g;
}

std::optional<std::string> http_url(std::string const& v) {
    if (v.rfind("https://", 0) != 0 && v.rfind("http://", 0) != 0)
        return "expected an http:// or https:// URL";
    return std::nullopt;
}

// The daemon's settings (its [github] table), or `check`'s (its flags and $GITHUB_TOKEN);
// nullopt when GitHub is off for this command.
std::optional<GithubSettings> settings_for(SourceSetup const& setup,
                                           std::vector<std::string>& warnings) {
    std::optional<GithubSettings> g;
    if (setup.mode == SourceSetup::Mode::report) return GithubSettings{};
    if (setup.mode == SourceSetup::Mode::daemon) {
        if (!setup.config) return std::nullopt;
        auto const table = setup.config->tables.find(GithubSource::kKind);
        if (table == setup.config->tables.end()) return std::nullopt;
        g = std::any_cast<GithubSettings>(table->second);
        // `repositories = false`: [github] is there for github: files only (remote_files).
        if (!g->repositories) return std::nullopt;
        // The daemon spreads GitHub's quota (as the server reports it) over each window.
        g->spread_budget = true;
        if (g->token.empty())
            warnings.push_back(
                "github: no token in [github]: requests are unauthenticated and GitHub allows "
                "few of them (60 an hour on github.com); polls are spread to fit");
        return g;
    }
    auto const on = setup.flags.find("--github");
    auto const api = setup.flags.find("--github-api-url");
    if (on == setup.flags.end() && api == setup.flags.end()) return std::nullopt;
    g.emplace();
    if (api != setup.flags.end()) g->api_url = api->second;
    // `check` spends the quota the server allows; it waits for the reset only when it runs out.
    g->spread_budget = false;
    g->always_tags = true;
    if (char const* t = std::getenv("GITHUB_TOKEN"); t && *t) g->token = Secret(t);
    if (g->token.empty())
        warnings.push_back("no GITHUB_TOKEN: GitHub is asked without a token (github.com "
                           "allows 60 such requests an hour)");
    return g;
}

// Where a command reads github: files: the daemon with its [github] api_url and token (even
// with `repositories = false`); `check` and `deps` with a config's, under --github-api-url and
// $GITHUB_TOKEN.
GithubFileAccess file_access(SourceSetup const& setup) {
    GithubFileAccess a;
    if (setup.config) a = github_file_access(*setup.config);
    if (setup.mode != SourceSetup::Mode::check) return a;
    if (auto api = setup.flags.find("--github-api-url"); api != setup.flags.end())
        a.api_url = api->second;
    if (char const* t = std::getenv("GITHUB_TOKEN"); t && *t) a.token = Secret(t);
    return a;
}

void write_check_json(JsonWriter& w, github_detail::Summary const& s,
                      std::optional<std::string> const& error) {
    if (!s.repo && !error) {
        w.null();
        return;
    }
    w.begin_object();
    w.field("repo", s.repo);
    w.field("latest_release", s.latest_release);
    w.field("latest_tag", s.latest_tag);
    w.field("release_notes_url", s.release_notes_url);
    w.key("open_issues");
    s.open_issues ? w.number(*s.open_issues) : w.null();
    if (s.repo) {
        w.field("issues_last_24h", s.issues.last_24h);
        w.field("issues_daily_mean", std::round(s.issues.mean * 100) / 100);
    } else {
        w.key("issues_last_24h").null();
        w.key("issues_daily_mean").null();
    }
    w.key("issue_spike");
    if (s.issues.spike)
        w.begin_object()
            .field("issues_last_24h", s.issues.last_24h)
            .field("expected", std::round(s.issues.mean * 100) / 100)
            .field("p_value", s.issues.p_value)
            .field("since_release", s.since_release)
            .end_object();
    else
        w.null();
    w.field("error", error);
    w.end_object();
}

// The GITHUB column: the repository and what stands out.
std::string check_text(github_detail::Summary const& s) {
    std::string out = *s.repo;
    if (s.latest_release) out += " " + *s.latest_release;
    if (s.open_issues) out += ", " + std::to_string(*s.open_issues) + " open";
    char mean[32];
    std::snprintf(mean, sizeof mean, "%.1f", s.issues.mean);
    if (s.issues.spike)
        out += ", ISSUE SPIKE: " + std::to_string(s.issues.last_24h) + " new in 24 h (usually " +
               mean + ")";
    else
        out += ", " + std::to_string(s.issues.last_24h) + " new in 24 h";
    return sanitize_text(out);
}

} // namespace

std::vector<Derived> GithubSource::derive(std::vector<Subscription> const& subscriptions,
                                          std::vector<std::string>& warnings) const {
    // Each PyPI requirement is watched on GitHub too, unless [github.repos] says it has none.
    std::vector<Derived> out;
    for (std::size_t i = 0; i < subscriptions.size(); ++i) {
        auto const& sub = subscriptions[i];
        if (sub.source != PypiSource::kKind) continue;
        auto const named = settings_.repos.find(sub.name);
        if (named != settings_.repos.end() && !named->second) continue;
        auto g = github_subscription(sub, settings_.api_url);
        if (g.locator.rfind("http", 0) != 0 && named == settings_.repos.end()) {
            warnings.push_back("github:" + sanitize_text(sub.name) +
                               ": the index has no JSON API to find its repository; name it in "
                               "[github.repos]");
            continue;
        }
        if (settings_.interval) g.interval = settings_.interval->count();
        out.push_back({i, std::move(g)});
    }
    return out;
}

CheckCell GithubSource::check_cell(Subscription const& requirement, SubscriptionView const* own,
                                   UnixTime now) const {
    CheckCell c;
    if (!own) {
        auto const why = std::string("the index has no JSON API to read project_urls from");
        c.notes = "no GitHub repository: " + why;
        c.json = [](JsonWriter& w) { w.null(); };
        return c;
    }
    auto const state = github_detail::state_from_json(own->source_state.value_or(""));
    auto const summary = github_detail::summarize(
        state, requirement.name, now, settings_.spike_min_issues, settings_.spike_p_value);
    std::optional<std::string> error;
    if (own->last_status == PollStatus::error || own->last_status == PollStatus::pending) {
        error = sanitize_text(own->last_error.value_or("not checked"));
        c.failed = true;
    }
    if (error)
        c.cell = "error";
    else if (summary.repo)
        c.cell = check_text(summary);
    if (error)
        c.notes = "github: " + *error;
    else if (!state.no_repo.empty())
        c.notes = "no GitHub repository: " + sanitize_text(state.no_repo);
    c.json = [summary, error](JsonWriter& w) { write_check_json(w, summary, error); };
    return c;
}

std::optional<StatusTable> GithubSource::status_table() const {
    // The repository, the quota the server reported with the last answer, and the last result.
    return StatusTable{{"REPOSITORY", "PACKAGE", "LAST POLL", "NEXT", "QUOTA LEFT", "STATUS"},
                       "GitHub repositories"};
}

std::vector<std::string> GithubSource::status_row(SubscriptionView const& s, UnixTime now) const {
    auto const st = github_detail::state_from_json(s.source_state.value_or(""));
    std::string quota = "-";
    if (st.quota_remaining && st.quota_limit) {
        quota = std::to_string(*st.quota_remaining) + "/" + std::to_string(*st.quota_limit);
        if (st.quota_reset) quota += ", resets " + time_until(*st.quota_reset, now);
        if (!st.authenticated) quota += " (no token)";
    }
    std::string status =
        s.last_status == PollStatus::pending ? "pending" : to_string(s.last_status);
    if (s.last_error) status += ": " + sanitize_text(*s.last_error);
    if (!st.repo && !st.no_repo.empty()) status += ": " + sanitize_text(st.no_repo);
    if (st.renamed_from) status += " (renamed from " + sanitize_text(*st.renamed_from) + ")";
    if (st.spike) status += " (ISSUE SPIKE)";
    if (!s.active) status += " (unsubscribed)";
    return {sanitize_text(st.repo.value_or("-")),         s.sub.name, time_ago(s.last_poll, now),
            s.active ? time_until(s.next_due, now) : "-", quota,      status};
}

std::optional<PackageInsight> GithubSource::insight(SubscriptionView const& s, UnixTime now) const {
    auto const st = github_detail::state_from_json(s.source_state.value_or(""));
    PackageInsight in;
    in.repo = st.repo;
    in.no_repo = st.no_repo;
    if (!st.repo) return in;
    if (!st.facts.html_url.empty()) in.repo_url = st.facts.html_url;
    if (st.repo_checked > 0) {
        in.owner_type = ascii_lower(st.facts.owner_type);
        in.archived = st.facts.archived;
        in.open_issues = st.facts.open_issues;
    }
    auto const times = github_detail::issue_times(st);
    auto const spike = github_detail::check_spike(times, now, settings_.spike_min_issues,
                                                  settings_.spike_p_value, st.issues_from);
    PackageInsight::Daily d;
    d.what = "new issues per day";
    d.counts = github_detail::daily_counts(times, now);
    d.threshold = static_cast<double>(github_detail::spike_threshold(
        spike.mean, settings_.spike_min_issues, settings_.spike_p_value));
    d.spike = spike.spike;
    auto const from = std::max(now - 28 * 86400, st.issues_from);
    d.days_known = st.issues_from > 0 || !times.empty()
                       ? static_cast<int>(std::min<UnixTime>(28, (now - from + 86399) / 86400))
                       : 0;
    in.daily = std::move(d);
    return in;
}

SourceEntry github_entry() {
    SourceEntry e;
    e.kind = GithubSource::kKind;
    e.table = "github";
    e.read_table = [](config::Reader& r, config::TableNode const& t) -> std::any {
        return read_table(r, t.node);
    };
    e.check_flags = {
        {"--github", "",
         "also ask GitHub: releases, tags, open issues, issue spikes\n"
         "(token from $GITHUB_TOKEN; without one GitHub allows few requests)"},
        {"--github-api-url", "URL",
         "GitHub's API root (default https://api.github.com/; implies --github)", http_url},
    };
    e.make = [](SourceSetup const& setup) -> Result<SourceBuild, std::string> {
        SourceBuild b;
        auto settings = settings_for(setup, b.warnings);
        if (!settings) return b;
        if (setup.clock) settings->clock = setup.clock;
        b.source = std::make_unique<GithubSource>(std::move(*settings));
        return b;
    };
    e.file_spec = github_file_spec();
    e.file_host = [](SourceSetup const& setup) { return github_file_host(file_access(setup)); };
    return e;
}

} // namespace pinwatch::watcher
