// Diff: compares what a source observed with what the state store remembers and yields the
// StateUpdate to apply (releases, validators, status, events). Pure: no SQL, no clock, no I/O,
// so every rule — baseline silence, yank transitions, failure thresholds — is unit-tested.
#pragma once

#include "watcher/sources/source.hpp"
#include "watcher/state/store.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>

namespace pinwatch::watcher {

struct DiffPolicy {
    int failing_after = 3; // consecutive failed polls before a source_failing event
    // The Python the team runs ("3.11.2"), to judge each new release's Requires-Python
    // (drops_python); nullopt: not judged.
    std::optional<std::string> python;
    // `python` parsed, once, by diff_policy(); a policy built by hand without it has `python`
    // parsed by each diff.
    std::optional<packaging::Version> python_version;
};

// The policy with its target Python parsed once (a target that is no PEP 440 version judges
// nothing, as before).
DiffPolicy diff_policy(int failing_after, std::optional<std::string> python);

// The link to a release's notes that another source of the same package knows (GitHub's
// release for a PyPI version), asked with the release's key (packaging::release_key) when
// the diff makes a new_release event, so the event leaves the diff complete. Empty, or
// nullopt for a key: no link.
using ReleaseLinker = std::function<std::optional<std::string>(std::string const& key)>;

// A successful poll (ok, not_modified or gone).
StateUpdate diff(StoredSubscription const& stored,
                 std::map<std::string, StoredRelease> const& known, Observation const& observed,
                 UnixTime now, UnixTime next_due, DiffPolicy const& policy = {},
                 ReleaseLinker const& release_link = {});

// The updates of one poll shared by several projects' subscriptions of one package: events
// that say the same thing (kind, version, advisory) become one event naming every project it
// concerns (Event::projects, in the updates' order), kept on the first update that had it.
void merge_project_events(std::vector<StateUpdate>& updates);

// A failed poll.
StateUpdate diff_failure(StoredSubscription const& stored, SourceError const& error, UnixTime now,
                         UnixTime next_due, DiffPolicy const& policy = {});

// Advisories read apart from a poll (an advisory source's round over many pins): the pin's
// reading against what was told, as in a poll. Each new live advisory is told once, each told
// one that is withdrawn or no longer listed is retracted once.
struct AdvisoryDiff {
    VulnerabilityState vulns;
    std::vector<Event> events;
};
AdvisoryDiff diff_advisories(StoredSubscription const& stored, VulnerabilityReading const& reading,
                             UnixTime now);

// How `candidate` relates to `reference`: major/minor/patch above it, a pre-release, or older.
// Strings that are not PEP 440 versions compare as `none`.
UpdateType classify_update(std::string const& reference, std::string const& candidate);
UpdateType classify_update(packaging::Version const& reference,
                           packaging::Version const& candidate);

// Whether the pinned version's state must be judged again (a pin never judged, or changed since):
// then a 304 poll needs the known releases.
bool pin_needs_check(StoredSubscription const& stored);

// Whether the requirement's specifier (with its pre-release rule) allows `version`. These read
// the subscription's parsed fields (Subscription::parsed), parsing a hand-built value first.
bool specifier_allows(Subscription const& sub, std::string const& version);
bool specifier_allows(Subscription const& sub, packaging::Version const& version);

// Whether the package's `ignore` rules silence `version` (it matches one of the specifiers).
bool ignored_by_rules(Rules const& rules, std::string const& version);

// Whether a Requires-Python excludes `python` ("3.11.2"); nullopt when either does not parse.
std::optional<bool> excludes_python(std::string const& requires_python, std::string const& python);

// The smallest of `fixed_in` the requirement's specifier allows, if any.
std::optional<std::string> smallest_allowed_fix(Subscription const& sub,
                                                std::vector<std::string> const& fixed_in);

// For a yanked pin: the nearest non-yanked release below it and the nearest above it, where
// they exist (pre-releases only where the requirement takes them; ignored versions never),
// preferring versions the specifier allows when there are any besides the pin.
struct VersionState {
    std::string version;
    bool yanked = false;
};
std::vector<std::string> pin_alternatives(Subscription const& sub,
                                          std::vector<VersionState> const& releases);

// Whether a poll that got a 304 must still read the known releases: the pin needs judging,
// or a release held by a cooldown may be due.
bool known_releases_needed(StoredSubscription const& stored, UnixTime now);

} // namespace pinwatch::watcher
