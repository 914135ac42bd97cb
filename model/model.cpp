#include "model/model.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <utility>

namespace pinwatch::model {
namespace {
constexpr std::pair<EventKind, char const*> kEventNames[] = {
    {EventKind::new_release, "new_release"},
    {EventKind::release_yanked, "release_yanked"},
    {EventKind::release_unyanked, "release_unyanked"},
    {EventKind::pinned_yanked, "pinned_yanked"},
    {EventKind::pin_not_found, "pin_not_found"},
    {EventKind::release_removed, "release_removed"},
    {EventKind::package_gone, "package_gone"},
    {EventKind::source_failing, "source_failing"},
    {EventKind::source_recovered, "source_recovered"},
    {EventKind::notifier_disabled, "notifier_disabled"},
    {EventKind::vulnerability, "vulnerability"},
    {EventKind::vulnerability_withdrawn, "vulnerability_withdrawn"},
    {EventKind::github_release, "github_release"},
    {EventKind::issue_spike, "issue_spike"},
    {EventKind::issue_spike_over, "issue_spike_over"},
    {EventKind::project_status, "project_status"},
};
constexpr std::pair<UpdateType, char const*> kUpdateNames[] = {
    {UpdateType::major, "major"}, {UpdateType::minor, "minor"},
    {UpdateType::patch, "patch"}, {UpdateType::prerelease, "pre-release"},
    {UpdateType::older, "older"}, {UpdateType::none, "none"},
};
constexpr std::pair<PollStatus, char const*> kPollNames[] = {
    {PollStatus::pending, ""},  {PollStatus::ok, "ok"},       {PollStatus::unchanged, "unchanged"},
    {PollStatus::gone, "gone"}, {PollStatus::error, "error"}, {PollStatus::cancelled, "cancelled"},
};
} // namespace

char const* to_string(EventKind k) noexcept {
    for (auto const& [kind, name] : kEventNames)
        if (kind == k) return name;
    return "unknown";
}

std::optional<EventKind> event_kind_from_string(std::string_view s) noexcept {
    for (auto const& [kind, name] : kEventNames)
        if (s == name) return kind;
    return std::nullopt;
}

char const* to_string(UpdateType t) noexcept {
    for (auto const& [type, name] : kUpdateNames)
        if (type == t) return name;
    return "none";
}

std::optional<UpdateType> update_type_from_string(std::string_view s) noexcept {
    if (s == "prerelease") s = "pre-release";
    for (auto const& [type, name] : kUpdateNames)
        if (s == name) return type;
    return std::nullopt;
}

char const* to_string(Transitive t) noexcept {
    switch (t) {
    case Transitive::urgent:
        return "urgent";
    case Transitive::all:
        return "all";
    case Transitive::none:
        return "none";
    }
    return "urgent";
}

std::optional<Transitive> transitive_from_string(std::string_view s) noexcept {
    for (auto t : {Transitive::urgent, Transitive::all, Transitive::none})
        if (s == to_string(t)) return t;
    return std::nullopt;
}

char const* to_string(PollStatus s) noexcept {
    for (auto const& [status, name] : kPollNames)
        if (status == s) return name;
    return "";
}

PollStatus poll_status_from_string(std::string_view s) noexcept {
    for (auto const& [status, name] : kPollNames)
        if (s == name) return status;
    return PollStatus::pending;
}

bool is_urgent(EventKind k) noexcept {
    // What the team runs is unsafe (or was said to be and is not): that cannot wait for a digest.
    return k == EventKind::pinned_yanked || k == EventKind::vulnerability ||
           k == EventKind::vulnerability_withdrawn;
}

bool is_urgent(Event const& e) noexcept {
    // PyPI quarantines a project it suspects of malware: the team may be running it.
    if (e.kind == EventKind::project_status)
        return e.project_status && e.project_status->quarantined();
    return is_urgent(e.kind);
}

bool ProjectStatus::known() const noexcept {
    return status == "active" || status == "archived" || status == "quarantined" ||
           status == "deprecated";
}

namespace {
constexpr char const* kWeekdays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
}

UnixTime DigestSchedule::next_after(UnixTime now) const {
    std::time_t const t = static_cast<std::time_t>(now);
    std::tm tm{};
    localtime_r(&t, &tm);
    tm.tm_sec = 0;
    tm.tm_isdst = -1;
    if (period == Period::hourly) {
        tm.tm_min = 0;
        tm.tm_hour += 1;
        return static_cast<UnixTime>(std::mktime(&tm));
    }
    tm.tm_hour = hour;
    tm.tm_min = minute;
    // Walk forward day by day (at most 8): mktime normalises month ends and DST changes.
    for (int day = 0; day < 9; ++day) {
        std::tm c = tm;
        c.tm_mday += day;
        c.tm_isdst = -1;
        auto const when = std::mktime(&c);
        if (when <= t) continue;
        if (period == Period::weekly && c.tm_wday != weekday) continue;
        return static_cast<UnixTime>(when);
    }
    return now + 7 * 86400;
}

std::string DigestSchedule::str() const {
    if (period == Period::hourly) return "hourly";
    char hm[8];
    std::snprintf(hm, sizeof hm, "%02d:%02d", hour, minute);
    if (period == Period::daily) return std::string("daily ") + hm;
    return std::string("weekly ") + kWeekdays[weekday] + " " + hm;
}

std::optional<DigestSchedule> parse_digest(std::string_view text) {
    DigestSchedule d;
    auto take_word = [&]() {
        while (!text.empty() && text.front() == ' ')
            text.remove_prefix(1);
        auto const end = std::min(text.find(' '), text.size());
        auto const w = text.substr(0, end);
        text.remove_prefix(end);
        return w;
    };
    auto time_of_day = [&](std::string_view w) {
        if (w.size() != 5 || w[2] != ':') return false;
        for (int i : {0, 1, 3, 4})
            if (w[i] < '0' || w[i] > '9') return false;
        d.hour = (w[0] - '0') * 10 + (w[1] - '0');
        d.minute = (w[3] - '0') * 10 + (w[4] - '0');
        return d.hour < 24 && d.minute < 60;
    };
    auto const period = take_word();
    if (period == "hourly")
        d.period = DigestSchedule::Period::hourly;
    else if (period == "daily") {
        d.period = DigestSchedule::Period::daily;
        if (!time_of_day(take_word())) return std::nullopt;
    } else if (period == "weekly") {
        d.period = DigestSchedule::Period::weekly;
        auto const day = take_word();
        bool found = false;
        for (int i = 0; i < 7; ++i)
            if (day == kWeekdays[i]) d.weekday = i, found = true;
        if (!found || !time_of_day(take_word())) return std::nullopt;
    } else {
        return std::nullopt;
    }
    if (!take_word().empty()) return std::nullopt;
    return d;
}

bool glob_match(std::string_view p, std::string_view t) noexcept {
    // Iterative matcher with one backtrack point: linear in practice, no recursion.
    std::size_t pi = 0, ti = 0, star = std::string_view::npos, mark = 0;
    while (ti < t.size()) {
        if (pi < p.size() && (p[pi] == '?' || p[pi] == t[ti])) {
            ++pi, ++ti;
        } else if (pi < p.size() && p[pi] == '*') {
            star = pi++;
            mark = ti;
        } else if (star != std::string_view::npos) {
            pi = star + 1;
            ti = ++mark;
        } else {
            return false;
        }
    }
    while (pi < p.size() && p[pi] == '*')
        ++pi;
    return pi == p.size();
}

bool route_accepts(Route const& r, Event const& e) {
    if (!r.events.empty() && !r.events.count(e.kind)) return false;
    if (!r.packages.empty() &&
        std::none_of(r.packages.begin(), r.packages.end(),
                     [&](std::string const& g) { return glob_match(g, e.package); }))
        return false;
    if (!r.update_types.empty() && e.kind == EventKind::new_release &&
        (!e.update || !r.update_types.count(*e.update)))
        return false;
    return true;
}

namespace {
std::shared_ptr<Subscription::Parsed const> parse_pin(Subscription const& sub) {
    auto parsed = std::make_shared<Subscription::Parsed>();
    auto& p = *parsed;
    if (auto spec = packaging::SpecifierSet::parse(sub.specifier)) p.specifier = std::move(*spec);
    if (sub.pinned) {
        if (auto v = packaging::Version::parse(*sub.pinned)) p.pinned = std::move(*v);
        p.pinned_key = packaging::release_key(*sub.pinned);
    }
    p.prereleases_wanted =
        sub.prereleases || (p.specifier && p.specifier->prereleases().value_or(false));
    return parsed;
}

void parse_rules(Subscription& sub) {
    auto& rules = sub.rules;
    rules.ignore_sets.clear();
    rules.ignore_sets.reserve(rules.ignore.size());
    for (auto const& text : rules.ignore) {
        auto spec = packaging::SpecifierSet::parse(text);
        rules.ignore_sets.push_back(spec ? std::optional(std::move(*spec)) : std::nullopt);
    }
}
} // namespace

void parse_fields(Subscription& sub) {
    sub.parsed = parse_pin(sub);
    parse_rules(sub);
}

void FieldParser::operator()(Subscription& sub) {
    // Each field on a line of its own: a specifier and a version are one line each.
    std::string key = sub.specifier + '\n' + (sub.pinned ? "=" + *sub.pinned : "-") + '\n' +
                      (sub.prereleases ? "pre" : "final");
    auto it = seen_.find(key);
    if (it == seen_.end()) {
        if (seen_.size() >= limit_) seen_.clear();
        it = seen_.emplace(std::move(key), parse_pin(sub)).first;
    }
    sub.parsed = it->second;
    parse_rules(sub);
}

} // namespace pinwatch::model
