// The vocabulary, in the user's words: what is watched (Subscription), what a source saw
// (Observation), what changed (Event), and where an event may go (Route). Plain values only:
// no SQL, no sockets, no Asio, and no source's or channel's own words.
#pragma once

#include "common/secret.hpp"
#include "packaging/specifier.hpp"
#include "packaging/version.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace pinwatch::model {

// Seconds since the Unix epoch, UTC. Upload and first-seen times are stored at this precision.
using UnixTime = std::int64_t;

// How a new release relates to the pin (defined below; a scoped enum is complete when declared).
enum class UpdateType;

// What a team wants told about one package (the config's global keys, overridden per package
// by `[packages.<name>]`). Urgent events (vulnerabilities, a yanked pin) ignore every rule.
struct Rules {
    std::set<UpdateType> update_types; // new releases of these kinds only; empty = all
    // Pre-releases: unset = announced like any release; true = also allowed by the specifier
    // (like pip --pre); false = never announced unless the pin itself is a pre-release.
    std::optional<bool> pre;
    std::int64_t min_release_age = 0; // seconds a release must be out before it is announced
    std::vector<std::string> ignore;  // PEP 440 specifier sets; a release matching one is silent
    // `ignore` parsed, one entry per rule (nullopt: not a specifier set, never matches); filled
    // by parse_fields with the subscription's other parsed values.
    std::vector<std::optional<packaging::SpecifierSet>> ignore_sets;
    // Only urgent events are told (a transitive dependency of a project with
    // `transitive = "urgent"`).
    bool urgent_only = false;
    // The settings; ignore_sets follows `ignore` and is not compared.
    bool operator==(Rules const& o) const {
        return update_types == o.update_types && pre == o.pre &&
               min_release_age == o.min_release_age && ignore == o.ignore &&
               urgent_only == o.urgent_only;
    }
};

// What a project is told of the packages it only pulls in (`direct == false`): urgent events
// only (vulnerabilities, a yanked pin, a withdrawn advisory), everything, or nothing (then they
// are not watched at all).
enum class Transitive { urgent, all, none };
char const* to_string(Transitive) noexcept; // "urgent", "all", "none"
std::optional<Transitive> transitive_from_string(std::string_view) noexcept;

// A `[packages.<name>]` table: each key it sets replaces the global one.
struct RuleOverrides {
    std::optional<std::set<UpdateType>> update_types;
    std::optional<bool> pre;
    std::optional<std::int64_t> min_release_age;
    std::optional<std::vector<std::string>> ignore;
    Rules over(Rules base) const {
        if (update_types) base.update_types = *update_types;
        if (pre) base.pre = pre;
        if (min_release_age) base.min_release_age = *min_release_age;
        if (ignore) base.ignore = *ignore;
        return base;
    }
};

// One package a team depends on, as the requirements files describe it. A subscription is
// keyed by (source, locator): the locator is what the source needs to find the package (for
// PyPI the project's page on one index), opaque to everything else.
struct Subscription {
    std::string source = "pypi"; // which Source polls it
    // The project that pins it ("default": the top-level `requirements`/`pyproject`). One
    // package pinned by several projects is one subscription each, polled once together.
    std::string project = "default";
    // What the project itself asks for (true), only pulled in by other packages (false), or
    // not known from the files (nullopt, counted as direct).
    std::optional<bool> direct;
    std::string locator;               // the source's address of the package
    std::string origin;                // where it is watched, for people (an index URL)
    std::string name;                  // PEP 503 normalised project name
    std::string specifier;             // normalised specifier set ("" = any version)
    std::optional<std::string> pinned; // version an exact clause names
    std::string file;                  // where the requirement was read
    int line = 0;
    bool prereleases = false;             // `--pre` in the file, or the specifier names one
    std::optional<std::int64_t> interval; // seconds between polls, when the config sets one
    Rules rules;
    // "Basic ..." for requests to the locator's origin, from the userinfo of the index URL the
    // config (or a requirements file) names. Applied when a request is made and never stored:
    // the locator and origin carry no credentials, so a new password names the same package.
    Secret authorization;

    // The strings above parsed once, where subscriptions are loaded (load_requirements) and
    // read back (the state store), by parse_fields: the diff and the summaries work on these
    // instead of parsing `specifier`, `pinned` and the ignore rules again for every release.
    // Shared and read-only: a subscription is copied often (the scheduler, the poller, check's
    // rows), and the parsed values (a specifier set, a version) are its largest part. Null
    // until parse_fields runs.
    struct Parsed {
        std::optional<packaging::SpecifierSet> specifier; // nullopt: not a valid specifier set
        std::optional<packaging::Version> pinned;         // nullopt: no pin, or not PEP 440
        std::optional<std::string> pinned_key;            // release_key of `pinned` text
        // Pre-releases count as "newer" only where the requirement accepts them: `--pre`, or a
        // specifier that names one itself (packaging's implicit rule).
        bool prereleases_wanted = false;
    };
    std::shared_ptr<Parsed const> parsed;
};

// Fills sub.parsed and sub.rules.ignore_sets from the strings; idempotent. Called once where a
// subscription enters (loaded from the requirements files, read from the state store).
void parse_fields(Subscription& sub);

// parse_fields with a memory, for a reader that reads the same subscriptions again and again
// (the state store: every poll round, every `check` row): subscriptions with the same
// specifier, pin and --pre share one Parsed (it is read-only) instead of parsing it again. The
// ignore rules are parsed each time (rarely any). Forgets everything past `limit` entries.
class FieldParser {
  public:
    explicit FieldParser(std::size_t limit = 20'000) : limit_(limit) {}
    void operator()(Subscription& sub);

  private:
    std::size_t limit_;
    std::unordered_map<std::string, std::shared_ptr<Subscription::Parsed const>> seen_;
};

// One release as a source shows it now.
struct Release {
    std::string version;                    // as the source spells it
    std::string key;                        // normalised version (the source fills it; "" = derive)
    std::optional<UnixTime> upload_time;    // earliest file upload; absent in PEP 503 HTML
    bool yanked = false;                    // PEP 592: a release is yanked when all its files are
    std::optional<std::string> yank_reason; // the reason string when one was given
    std::optional<std::string> requires_python; // PEP 345 Requires-Python, as published
};

// A published advisory against one version (PyPI's `vulnerabilities` list, OSV's shape).
struct Advisory {
    std::string id;                   // "PYSEC-2023-74", "GHSA-..."
    std::vector<std::string> aliases; // "CVE-2023-32681", ...
    std::string summary;
    std::string link;
    std::vector<std::string> fixed_in;
    std::optional<std::string> fix_allowed; // smallest of fixed_in the specifier allows
    std::optional<std::string> withdrawn;   // when upstream withdrew it ("...Z"); never live
    bool operator==(Advisory const&) const = default;
};

// An advisory source's record of one advisory as served (OSV's JSON), with the time it last
// changed upstream: kept in the state file as is, so it is judged again for a new pin.
struct AdvisoryRecord {
    std::string id;
    std::string modified;
    std::string body;
};

// What the advisories list of one version said in one poll.
struct VulnerabilityReading {
    std::string version;                  // the pinned version it was read for
    bool not_modified = false;            // 304: as read last time
    std::vector<Advisory> advisories;     // every entry, withdrawn ones included
    std::optional<std::string> validator; // ETag, to send next time
    std::optional<std::string> error;     // could not be read (then nothing else is set)
};

// Facts about a project that are not releases: for display, links and repository discovery.
struct ProjectMetadata {
    std::string summary;
    std::map<std::string, std::string> project_urls; // label -> URL, labels as published
    std::string home_page;
};

// What the index says about a project (PEP 792 project status markers, Simple API 1.4). A
// project the index marks nothing for is `active`.
struct ProjectStatus {
    // "active" | "archived" | "quarantined" | "deprecated", or a value a later standard may add
    // (kept as the index sent it, cut short, and treated as not active; see known()).
    std::string status = "active";
    std::optional<std::string> reason; // the index's words, untrusted
    bool active() const noexcept { return status == "active"; }
    bool quarantined() const noexcept { return status == "quarantined"; }
    // One of the four values PEP 792 defines.
    bool known() const noexcept;
    bool operator==(ProjectStatus const&) const = default;
};

enum class EventKind; // below

// What a source saw for one subscription in one poll (possibly over several requests).
struct Observation {
    enum class Status { ok, not_modified, gone };
    Status status = Status::ok;
    std::vector<Release> releases;        // the full listing, only for ok
    std::optional<std::string> validator; // ETag of the listing, to send next time
    // A counter the source's answers increase monotonically (PyPI's last serial): an answer
    // older than one already seen comes from a stale cache and is ignored.
    std::optional<std::int64_t> sequence;
    std::optional<ProjectMetadata> metadata;     // read in this poll, when the source reads it
    std::optional<std::string> metadata_version; // the release the metadata belongs to
    // The pinned version's advisories, when this poll read them (on their own, longer interval).
    std::optional<VulnerabilityReading> vulnerabilities;
    // What the index says about the project (PEP 792), read with the listing (ok only).
    std::optional<ProjectStatus> project_status;
    // What the source keeps between its polls (GitHub: the repository found, ETags per
    // endpoint, known tags, issue counts), opaque to everything else. Stored as is and handed
    // back on the next poll; unset keeps what is stored.
    std::optional<std::string> source_state;
    // The source's baseline is complete although the listing may be empty (a source whose
    // baseline is its own state, once that state is written). A non-empty listing always is one.
    bool baseline_complete = false;
    // Changes the source found beyond the release listing (a GitHub release, an issue spike);
    // the diff turns each into an event, except on a baseline poll.
    struct Notice {
        EventKind kind;
        std::optional<std::string> version;
        std::string detail;
        std::string link; // where to read more (a release page); the event's origin when set
    };
    std::vector<Notice> notices;
};

// A change worth telling someone about.
enum class EventKind {
    new_release,    // a version the source did not list before
    release_yanked, // a known release became yanked
    release_unyanked,
    pinned_yanked,   // the version the team pins is yanked (instead of release_yanked for it)
    pin_not_found,   // the pinned version is not listed at all
    release_removed, // a known release disappeared
    package_gone,    // the source answers 404 for the project
    source_failing,  // polls failed several times in a row
    source_recovered,
    notifier_disabled, // a notifier's receiver said it is gone (told through the others)
    // An advisory against the pinned version.
    vulnerability,
    // An advisory told before was withdrawn (or is no longer listed).
    vulnerability_withdrawn,
    github_release,   // a GitHub release (or tag) PyPI has not seen after a grace period
    issue_spike,      // far more new issues in 24 h than the repository's usual rate
    issue_spike_over, // the rate of new issues is back to normal
    // The index marks the project archived, quarantined, deprecated or active again (PEP 792).
    project_status,
};
inline constexpr EventKind kAllEventKinds[] = {
    EventKind::new_release,       EventKind::release_yanked, EventKind::release_unyanked,
    EventKind::pinned_yanked,     EventKind::pin_not_found,  EventKind::release_removed,
    EventKind::package_gone,      EventKind::source_failing, EventKind::source_recovered,
    EventKind::notifier_disabled, EventKind::vulnerability,  EventKind::vulnerability_withdrawn,
    EventKind::github_release,    EventKind::issue_spike,    EventKind::issue_spike_over,
    EventKind::project_status,
};
// Urgent events go out at once, whatever a notifier's digest says. Most kinds are urgent or
// not by kind; a project_status event is urgent when it says the project is quarantined.
bool is_urgent(EventKind) noexcept;
struct Event;
bool is_urgent(Event const&) noexcept;
char const* to_string(EventKind) noexcept;
std::optional<EventKind> event_kind_from_string(std::string_view) noexcept;

// How a new release relates to the pin (or, without a pin, to the newest release known before).
enum class UpdateType { major, minor, patch, prerelease, older, none };
char const* to_string(UpdateType) noexcept; // "major" ... "pre-release" ... "none"
std::optional<UpdateType> update_type_from_string(std::string_view) noexcept;

// What the last poll of a subscription came to.
enum class PollStatus { pending, ok, unchanged, gone, error, cancelled };
char const* to_string(PollStatus) noexcept; // "" for pending, as stored
PollStatus poll_status_from_string(std::string_view) noexcept;

inline std::ostream& operator<<(std::ostream& os, EventKind k) {
    return os << to_string(k);
}
inline std::ostream& operator<<(std::ostream& os, UpdateType t) {
    return os << to_string(t);
}
inline std::ostream& operator<<(std::ostream& os, Transitive t) {
    return os << to_string(t);
}
inline std::ostream& operator<<(std::ostream& os, PollStatus s) {
    return os << to_string(s);
}

// One project an event concerns, with its pin of the package (an event may concern several).
struct EventProject {
    std::string name;
    std::optional<std::string> pinned;
    std::string specifier;
    std::string file;
    std::optional<bool> direct;
    // new_release: how the release relates to this project's pin, and whether its specifier
    // allows it (the event's own `update`/`allowed` are the first project's).
    std::optional<UpdateType> update;
    std::optional<bool> allowed;
    bool operator==(EventProject const&) const = default;
};

struct Event {
    std::string id; // stable across retries; receivers dedupe on it
    EventKind kind = EventKind::new_release;
    std::string source;  // the subscription's source ("pypi")
    std::string package; // normalised name
    std::string origin;  // where it was seen (an index URL), credentials removed
    std::optional<std::string> version;
    std::optional<UpdateType> update; // new_release only
    std::optional<bool> allowed;      // new_release: does the requirement's specifier allow it
    std::optional<std::string> pinned;
    std::string specifier;
    std::string detail; // yank reason, error message, ...
    UnixTime at = 0;    // when pinwatch noticed

    // vulnerability, vulnerability_withdrawn: the advisory.
    std::optional<Advisory> advisory;
    // pinned_yanked: the nearest non-yanked versions below and above the pin.
    std::vector<std::string> alternatives;
    // new_release: its Requires-Python, and whether that excludes the target Python (`python`).
    std::optional<std::string> requires_python;
    std::optional<bool> drops_python;
    std::optional<std::string> python;
    // The release notes another source knows for this version (GitHub's release page), or
    // where to read more about a GitHub event.
    std::optional<std::string> link;
    // The projects it concerns, one entry per project pinning the package (same package, same
    // release or advisory: one event, not one per project).
    std::vector<EventProject> projects;
    // project_status: what the index says now, and the status it said before (nullopt: never
    // read before, a first sighting).
    std::optional<ProjectStatus> project_status;
    std::optional<std::string> previous_status;
};

// When a digest notifier sends: at the top of every hour, every day at HH:MM, or every week on
// one day at HH:MM, in the machine's local time.
struct DigestSchedule {
    enum class Period { hourly, daily, weekly };
    Period period = Period::daily;
    int weekday = 1; // weekly: 0 = Sunday ... 6 = Saturday
    int hour = 9, minute = 0;
    // The first sending time strictly after `now`.
    UnixTime next_after(UnixTime now) const;
    std::string str() const; // "hourly", "daily 09:00", "weekly mon 09:00"
};
std::optional<DigestSchedule> parse_digest(std::string_view text);

// Which events reach one notifier, and when. Empty sets mean "all".
struct Route {
    std::string notifier;
    std::set<EventKind> events;
    std::vector<std::string> packages;    // PEP 503 names or globs ('*', '?')
    std::set<UpdateType> update_types;    // applies to new_release events only
    std::optional<DigestSchedule> digest; // none: at once
};

// One outbox row to write for an event: the notifier and when it is first due.
struct OutboxTarget {
    std::string notifier;
    UnixTime due = 0;
    bool operator==(OutboxTarget const&) const = default;
};

// Whether the route lets `e` through (pure; the dispatcher decides with it).
bool route_accepts(Route const& r, Event const& e);
// Shell-style glob: '*' any run, '?' one character; everything else literal.
bool glob_match(std::string_view pattern, std::string_view text) noexcept;

} // namespace pinwatch::model
