#include "watcher/summary.hpp"

#include "packaging/specifier.hpp"
#include "packaging/version.hpp"
#include "watcher/diff.hpp"

#include <algorithm>

namespace pinwatch::watcher {
namespace {

using packaging::Version;

// The non-yanked releases, parsed once, in the index's order. Linear scans, no sort of the
// whole list: a project with 3,000 releases is summarised for every row of every `check`.
struct Candidates {
    std::vector<Version> versions;
    std::vector<StoredRelease const*> releases; // the release of each version
    std::vector<std::size_t> newer;             // above the pin (unsorted until sort_newer)
    std::optional<std::size_t> best_final, best_any;
    std::optional<UnixTime> pin_upload; // the pinned release's upload
};

// Reads every release once: the pin's own state, and the candidates for the other stages.
Candidates scan(Subscription const& sub, std::vector<StoredRelease> const& releases,
                ReleaseSummary& out) {
    auto const& pin = sub.parsed->pinned;
    // Pre-releases count as "newer" only where the requirement would accept them.
    bool const pre_ok = sub.parsed->prereleases_wanted;
    Candidates c;
    c.versions.reserve(releases.size());
    c.releases.reserve(releases.size());
    for (auto const& r : releases) {
        auto v = Version::parse(r.version);
        if (!v) continue;
        if (pin && *v == *pin) {
            out.pin_found = true;
            c.pin_upload = r.upload_time;
            if (r.yanked) {
                out.pin_yanked = true;
                out.pin_yank_reason = r.yank_reason;
            }
        }
        if (r.yanked) continue;
        std::size_t const at = c.versions.size();
        bool const pre = v->is_prerelease();
        if (pin && *v > *pin && (pre_ok || !pre)) c.newer.push_back(at);
        c.versions.push_back(std::move(*v));
        c.releases.push_back(&r);
        // Equal versions spelled twice: the later spelling wins.
        auto const raise = [&](std::optional<std::size_t>& best) {
            if (!best || !(c.versions[at] < c.versions[*best])) best = at;
        };
        raise(c.best_any);
        if (!pre) raise(c.best_final);
    }
    // Only the (usually few) versions newer than the pin are sorted.
    std::stable_sort(c.newer.begin(), c.newer.end(),
                     [&](std::size_t a, std::size_t b) { return c.versions[a] < c.versions[b]; });
    return c;
}

// The newest non-yanked version the specifier allows (the index's spelling of it).
std::optional<std::string> latest_allowed(Subscription const& sub, Candidates const& c) {
    auto const& spec = sub.parsed->specifier;
    if (!spec) return std::nullopt;
    auto const allowed = spec->filter_indices(
        c.versions, sub.prereleases ? std::optional<bool>(true) : std::nullopt);
    if (allowed.empty()) return std::nullopt;
    auto const best = *std::max_element(allowed.begin(), allowed.end(), [&](auto a, auto b) {
        return c.versions[a] < c.versions[b];
    });
    for (std::size_t i = c.versions.size(); i-- > 0;)
        if (c.versions[i] == c.versions[best]) return c.releases[i]->version;
    return std::nullopt;
}

// A summary before the target Python is judged and libyears counted, with what both need: the
// Requires-Python of each version newer than the pin and the two uploads. This is what the
// state file keeps.
struct Worked {
    ReleaseSummary summary;
    std::vector<std::optional<std::string>> newer_requires_python; // parallel to summary.newer
    std::optional<UnixTime> pin_upload, latest_upload;
};

Worked work_out(Subscription const& sub, std::vector<StoredRelease> const& releases) {
    Worked w;
    auto& out = w.summary;
    out.release_count = releases.size();
    auto const c = scan(sub, releases, out);
    w.pin_upload = c.pin_upload;
    auto const latest = c.best_final ? c.best_final : c.best_any;
    if (latest) {
        out.latest = c.releases[*latest]->version;
        w.latest_upload = c.releases[*latest]->upload_time;
    }
    for (auto i : c.newer) {
        out.newer.push_back(c.releases[i]->version);
        w.newer_requires_python.push_back(c.releases[i]->requires_python);
    }
    out.latest_allowed = latest_allowed(sub, c);
    if (auto const& pin = sub.parsed->pinned)
        out.update_type =
            c.newer.empty() ? UpdateType::none : classify_update(*pin, c.versions[c.newer.back()]);
    return w;
}

// Whether the newest of `newer` drops the target Python, and the newest that still runs on it.
// A target that is no PEP 440 version judges nothing (drops_python stays unknown).
void judge_python(Worked const& w, std::optional<Version> const& python, ReleaseSummary& out) {
    auto const excludes = [&](std::string const& requires_python) -> std::optional<bool> {
        auto const spec = packaging::SpecifierSet::parse(requires_python);
        if (!spec || !python) return std::nullopt;
        return !spec->contains(*python, true); // as pip judges it: pre-release Pythons count
    };
    auto const& rp = w.newer_requires_python.back();
    if (rp) {
        out.drops_python = excludes(*rp);
        if (out.drops_python) out.drops_requires_python = rp;
    }
    for (std::size_t i = out.newer.size(); i-- > 0;) {
        auto const& r = w.newer_requires_python[i];
        if (!r || excludes(*r) != true) {
            out.newest_for_python = out.newer[i];
            break;
        }
    }
}

ReleaseSummary finish(Worked w, std::optional<std::string> const& python) {
    auto out = std::move(w.summary);
    if (out.latest && w.pin_upload && w.latest_upload)
        out.libyears = libyears_between(*w.pin_upload, *w.latest_upload);
    if (python && !out.newer.empty()) {
        auto target = Version::parse(*python);
        judge_python(w, target ? std::optional(std::move(*target)) : std::nullopt, out);
    }
    return out;
}

// The saved form: a sequence of fields, each "n" (absent), "i<number>;" or "s<length>:<bytes>",
// so every string comes back byte for byte (a yank reason as the index sent it).
class Fields {
  public:
    void text(std::optional<std::string> const& s) {
        if (!s) {
            out_ += 'n';
            return;
        }
        out_ += 's' + std::to_string(s->size()) + ':';
        out_ += *s;
    }
    void integer(std::optional<std::int64_t> n) {
        if (n)
            out_ += 'i' + std::to_string(*n) + ';';
        else
            out_ += 'n';
    }
    std::string take() { return std::move(out_); }

  private:
    std::string out_;
};

class FieldReader {
  public:
    explicit FieldReader(std::string const& in) : in_(in) {}
    bool ok() const { return ok_; }
    bool done() const { return at_ == in_.size(); }
    std::optional<std::string> text() {
        if (absent()) return std::nullopt;
        auto const n = number('s', ':');
        if (!ok_ || n < 0 || static_cast<std::size_t>(n) > in_.size() - at_) return fail();
        std::string out = in_.substr(at_, static_cast<std::size_t>(n));
        at_ += static_cast<std::size_t>(n);
        return out;
    }
    std::optional<std::int64_t> integer() {
        if (absent()) return std::nullopt;
        auto const n = number('i', ';');
        if (!ok_) return std::nullopt;
        return n;
    }

  private:
    bool absent() {
        if (at_ < in_.size() && in_[at_] == 'n') {
            ++at_;
            return true;
        }
        return false;
    }
    std::nullopt_t fail() {
        ok_ = false;
        return std::nullopt;
    }
    std::int64_t number(char tag, char end) {
        if (at_ >= in_.size() || in_[at_] != tag) return fail(), 0;
        auto const stop = in_.find(end, ++at_);
        bool const negative = stop != std::string::npos && in_[at_] == '-';
        auto const first = at_ + (negative ? 1 : 0);
        // At most 18 digits: every value kept (a count, a Unix time) fits, none overflows.
        if (stop == std::string::npos || stop == first || stop - first > 18) return fail(), 0;
        std::int64_t n = 0;
        for (auto i = first; i < stop; ++i) {
            if (in_[i] < '0' || in_[i] > '9') return fail(), 0;
            n = n * 10 + (in_[i] - '0');
        }
        at_ = stop + 1;
        return negative ? -n : n;
    }
    std::string const& in_;
    std::size_t at_ = 0;
    bool ok_ = true;
};

std::string encode(Worked const& w) {
    auto const& s = w.summary;
    Fields f;
    f.integer(static_cast<std::int64_t>(s.release_count));
    f.text(s.latest);
    f.text(s.latest_allowed);
    f.text(s.update_type ? std::optional<std::string>(to_string(*s.update_type)) : std::nullopt);
    f.integer(s.pin_yanked);
    f.text(s.pin_yank_reason);
    f.integer(s.pin_found);
    f.integer(w.pin_upload);
    f.integer(w.latest_upload);
    f.integer(static_cast<std::int64_t>(s.newer.size()));
    for (std::size_t i = 0; i < s.newer.size(); ++i) {
        f.text(s.newer[i]);
        f.text(w.newer_requires_python[i]);
    }
    return f.take();
}

std::optional<Worked> decode(std::string const& body) {
    Worked w;
    auto& s = w.summary;
    FieldReader r(body);
    auto const count = r.integer().value_or(-1);
    if (count < 0) return std::nullopt;
    s.release_count = static_cast<std::size_t>(count);
    s.latest = r.text();
    s.latest_allowed = r.text();
    if (auto t = r.text()) {
        s.update_type = update_type_from_string(*t);
        if (!s.update_type) return std::nullopt;
    }
    s.pin_yanked = r.integer().value_or(0) != 0;
    s.pin_yank_reason = r.text();
    s.pin_found = r.integer().value_or(0) != 0;
    w.pin_upload = r.integer();
    w.latest_upload = r.integer();
    auto const n = r.integer().value_or(-1);
    if (!r.ok() || n < 0 || static_cast<std::size_t>(n) > body.size()) return std::nullopt;
    for (std::int64_t i = 0; i < n && r.ok(); ++i) {
        auto v = r.text();
        if (!v) return std::nullopt;
        s.newer.push_back(std::move(*v));
        w.newer_requires_python.push_back(r.text());
    }
    if (!r.ok() || !r.done()) return std::nullopt;
    return w;
}

// The inputs' format: moves when what is saved (or how it is worked out) changes.
constexpr char const* kSummaryFormat = "summary-1";

} // namespace

double libyears_between(UnixTime pinned_upload, UnixTime latest_upload) {
    constexpr double kYear = 365.25 * 86400;
    return latest_upload > pinned_upload
               ? static_cast<double>(latest_upload - pinned_upload) / kYear
               : 0.0;
}

ReleaseSummary summarize(Subscription const& sub, std::vector<StoredRelease> const& releases,
                         std::optional<std::string> const& python) {
    if (sub.parsed) return finish(work_out(sub, releases), python);
    Subscription copy = sub; // built by hand: parse its fields first
    parse_fields(copy);
    return finish(work_out(copy, releases), python);
}

ReleaseSummary summarize(Subscription const& sub,
                         std::map<std::string, StoredRelease> const& releases,
                         std::optional<std::string> const& python) {
    std::vector<StoredRelease> v;
    v.reserve(releases.size());
    for (auto const& [_, r] : releases)
        v.push_back(r);
    return summarize(sub, v, python);
}

std::string summary_inputs(Subscription const& sub) {
    // Each field ends in a newline none of them can hold (a specifier and a version are one line).
    return std::string(kSummaryFormat) + '\n' + sub.specifier + '\n' +
           (sub.pinned ? "=" + *sub.pinned : std::string("-")) + '\n' +
           (sub.prereleases ? "pre" : "final") + '\n';
}

SavedSummary save_summary(Subscription const& sub, std::vector<StoredRelease> const& releases,
                          std::int64_t generation) {
    SavedSummary out;
    out.generation = generation;
    out.inputs = summary_inputs(sub);
    if (sub.parsed) {
        out.body = encode(work_out(sub, releases));
    } else {
        Subscription copy = sub;
        parse_fields(copy);
        out.body = encode(work_out(copy, releases));
    }
    for (auto const& r : releases)
        if (r.upload_time) out.uploads.push_back(*r.upload_time);
    std::sort(out.uploads.begin(), out.uploads.end());
    return out;
}

std::optional<ReleaseSummary> read_summary(SavedSummary const& saved, Subscription const& sub,
                                           std::optional<std::string> const& python) {
    if (saved.inputs != summary_inputs(sub)) return std::nullopt;
    auto w = decode(saved.body);
    if (!w) return std::nullopt;
    return finish(std::move(*w), python);
}

} // namespace pinwatch::watcher
