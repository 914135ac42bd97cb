// Health of a dependency: parsing and rules, no I/O.
#include "watcher/health.hpp"

#include "watcher/sources/github/github.hpp"
#include "watcher/sources/pypi/pypi.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>

namespace pinwatch::watcher::health {
namespace {

constexpr double kDay = 86400.0;

std::optional<UnixTime> time_of(rapidjson::Value const& o, char const* key) {
    auto it = o.FindMember(key);
    if (it == o.MemberEnd() || !it->value.IsString()) return std::nullopt;
    return pypi_detail::parse_upload_time(it->value.GetString());
}

std::string days_text(double d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", d);
    return buf;
}

} // namespace

Result<PypiProject, std::string> parse_pypi_project(std::string const& body) {
    rapidjson::Document d;
    d.Parse(body.c_str(), body.size());
    if (d.HasParseError() || !d.IsObject()) return fail("PyPI JSON API: invalid JSON");
    PypiProject p;
    auto meta = pypi_detail::parse_metadata(body);
    if (meta) {
        p.project_urls = meta->project_urls;
        p.home_page = meta->home_page;
    }
    if (auto info = d.FindMember("info"); info != d.MemberEnd() && info->value.IsObject())
        if (auto n = info->value.FindMember("name");
            n != info->value.MemberEnd() && n->value.IsString())
            p.name = n->value.GetString();
    auto rel = d.FindMember("releases");
    if (rel == d.MemberEnd() || !rel->value.IsObject())
        return fail("PyPI JSON API: no \"releases\" (not a project's JSON page)");
    for (auto const& [version, files] : rel->value.GetObject()) {
        if (!files.IsArray()) continue;
        std::optional<UnixTime> first;
        for (auto const& f : files.GetArray()) {
            if (!f.IsObject()) continue;
            auto t = time_of(f, "upload_time_iso_8601");
            if (!t) t = time_of(f, "upload_time");
            if (t && (!first || *t < *first)) first = t;
        }
        if (first) p.releases.emplace_back(version.GetString(), *first);
    }
    std::sort(p.releases.begin(), p.releases.end(),
              [](auto const& a, auto const& b) { return a.second < b.second; });
    return p;
}

namespace {
Result<std::vector<double>, std::string> durations(std::string const& body, char const* end_key,
                                                   bool skip_pull_requests, char const* what) {
    rapidjson::Document d;
    d.Parse(body.c_str(), body.size());
    if (d.HasParseError() || !d.IsArray()) return fail(std::string(what) + ": not a JSON list");
    std::vector<double> out;
    for (auto const& v : d.GetArray()) {
        if (!v.IsObject()) continue;
        if (skip_pull_requests) {
            auto pr = v.FindMember("pull_request");
            if (pr != v.MemberEnd() && !pr->value.IsNull()) continue;
        }
        auto const from = time_of(v, "created_at");
        auto const to = time_of(v, end_key);
        if (from && to && *to >= *from) out.push_back(static_cast<double>(*to - *from) / kDay);
    }
    return out;
}
} // namespace

Result<std::vector<double>, std::string> merge_days(std::string const& body) {
    return durations(body, "merged_at", false, "pulls");
}

Result<std::vector<double>, std::string> close_days(std::string const& body) {
    return durations(body, "closed_at", true, "issues");
}

Result<bool, std::string> RecentlyClosed::add_page(std::string const& body) {
    rapidjson::Document d;
    d.Parse(body.c_str(), body.size());
    if (d.HasParseError() || !d.IsArray())
        return fail(std::string(issues_only_ ? "issues" : "pulls") + ": not a JSON list");
    ++pages_;
    // GitHub's pages hold up to per_page=100 items: fewer means the list ended.
    if (d.Size() < 100) ended_ = true;
    for (auto const& v : d.GetArray()) {
        if (!v.IsObject()) continue;
        if (auto updated = time_of(v, "updated_at"))
            last_updated_ = std::min(last_updated_.value_or(*updated), *updated);
        if (issues_only_) {
            auto pr = v.FindMember("pull_request");
            if (pr != v.MemberEnd() && !pr->value.IsNull()) continue;
        }
        auto const created = time_of(v, "created_at");
        auto const closed = time_of(v, "closed_at");
        if (!created || !closed || *closed < *created) continue;
        items_.push_back({*created, *closed, time_of(v, "merged_at")});
    }
    return true;
}

bool RecentlyClosed::settled() const noexcept {
    if (items_.size() < want_ || !last_updated_) return false;
    std::vector<UnixTime> closes;
    closes.reserve(items_.size());
    for (auto const& i : items_)
        closes.push_back(i.closed);
    std::nth_element(closes.begin(), closes.begin() + static_cast<std::ptrdiff_t>(want_ - 1),
                     closes.end(), std::greater<>());
    return *last_updated_ <= closes[want_ - 1];
}

std::vector<ClosedItem> RecentlyClosed::newest() const {
    auto out = items_;
    std::stable_sort(out.begin(), out.end(),
                     [](ClosedItem const& a, ClosedItem const& b) { return a.closed > b.closed; });
    if (out.size() > want_) out.resize(want_);
    return out;
}

std::optional<double> median_days_to_merge(std::vector<ClosedItem> const& items) {
    std::vector<double> days;
    for (auto const& i : items)
        if (i.merged && *i.merged >= i.created)
            days.push_back(static_cast<double>(*i.merged - i.created) / kDay);
    return median(std::move(days));
}

std::optional<double> median_days_to_close(std::vector<ClosedItem> const& items) {
    std::vector<double> days;
    for (auto const& i : items)
        days.push_back(static_cast<double>(i.closed - i.created) / kDay);
    return median(std::move(days));
}

std::optional<std::int64_t> count_from_page(std::string const& body, std::string_view link) {
    // <...&page=7>; rel="last"
    auto const last = link.find("rel=\"last\"");
    if (last != std::string_view::npos) {
        auto const open = link.rfind('<', last);
        auto const close = link.find('>', open);
        if (open != std::string_view::npos && close != std::string_view::npos) {
            auto const url = link.substr(open + 1, close - open - 1);
            for (std::size_t at = url.find("page="); at != std::string_view::npos;
                 at = url.find("page=", at + 1)) {
                if (at > 0 && url[at - 1] != '?' && url[at - 1] != '&') continue; // per_page=
                return std::atoll(std::string(url.substr(at + 5)).c_str());
            }
        }
    }
    rapidjson::Document d;
    d.Parse(body.c_str(), body.size());
    if (d.HasParseError() || !d.IsArray()) return std::nullopt;
    return static_cast<std::int64_t>(d.Size());
}

std::optional<double> median(std::vector<double> v) {
    if (v.empty()) return std::nullopt;
    std::sort(v.begin(), v.end());
    auto const n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void release_facts(PypiProject const& p, UnixTime now, Facts& f) {
    std::vector<UnixTime> uploads;
    uploads.reserve(p.releases.size());
    for (auto const& [v, t] : p.releases)
        uploads.push_back(t);
    release_facts(uploads, now, f);
}

void release_facts(std::vector<UnixTime> const& uploads, UnixTime now, Facts& f) {
    if (uploads.empty()) return;
    f.first_release = uploads.front();
    f.last_release = uploads.back();
    UnixTime const year_ago = now - 365 * 86400;
    std::vector<UnixTime> recent;
    for (auto const t : uploads)
        if (t >= year_ago && t <= now) recent.push_back(t);
    f.releases_last_12_months = static_cast<std::int64_t>(recent.size());
    std::vector<double> gaps;
    for (std::size_t i = 1; i < recent.size(); ++i)
        gaps.push_back(static_cast<double>(recent[i] - recent[i - 1]) / kDay);
    f.median_days_between_releases = median(gaps);
}

char const* to_string(Verdict v) noexcept {
    switch (v) {
    case Verdict::healthy:
        return "healthy";
    case Verdict::watch:
        return "watch";
    case Verdict::risky:
        return "risky";
    }
    return "watch";
}

Judgement judge(Facts const& f, UnixTime now) {
    Judgement j;
    std::vector<std::string> risky, watch, good;
    if (f.archived.value_or(false)) risky.push_back("the repository is archived (read-only)");
    if (!f.last_release) {
        risky.push_back("no release with files on PyPI");
    } else {
        double const silent = static_cast<double>(now - *f.last_release) / kDay;
        if (silent > 730)
            risky.push_back("no release for " + days_text(silent) + " days (over two years)");
        else if (silent > 365)
            watch.push_back("no release for " + days_text(silent) + " days (over a year)");
        else
            good.push_back("released " + std::to_string(f.releases_last_12_months) +
                           " time(s) in the last 12 months");
    }
    if (f.first_release && now - *f.first_release < 90 * 86400)
        watch.push_back("young: first release " +
                        days_text(static_cast<double>(now - *f.first_release) / kDay) +
                        " days ago");
    if (f.github_error) {
        // Nothing known of the repository: neither good nor bad, said below.
    } else if (!f.repo) {
        watch.push_back("no GitHub repository found to judge maintenance by");
    } else {
        if (f.owner_type == "user")
            watch.push_back("owned by a personal account, not an organisation");
        else if (f.owner_type == "organization")
            good.push_back("backed by an organisation");
        if (f.median_days_to_merge && *f.median_days_to_merge > 30)
            watch.push_back("pull requests take " + days_text(*f.median_days_to_merge) +
                            " days to merge (median)");
        if (f.median_days_to_close && *f.median_days_to_close > 90)
            watch.push_back("issues take " + days_text(*f.median_days_to_close) +
                            " days to close (median)");
        if (f.median_days_to_merge && *f.median_days_to_merge <= 30)
            good.push_back("pull requests merged in " + days_text(*f.median_days_to_merge) +
                           " days (median)");
    }
    if (!risky.empty())
        j.verdict = Verdict::risky;
    else if (!watch.empty())
        j.verdict = Verdict::watch;
    j.reasons = risky;
    j.reasons.insert(j.reasons.end(), watch.begin(), watch.end());
    if (j.verdict == Verdict::healthy) j.reasons = good;
    if (f.github_error)
        j.reasons.push_back("GitHub not read (" + *f.github_error +
                            "): judged by PyPI's figures alone");
    return j;
}

} // namespace pinwatch::watcher::health
