// Diff: compares what a source observed with what the state store remembers and yields the
// StateUpdate to apply (releases, validators, status, events). Pure: no SQL, no clock, no I/O,
// so every rule — baseline silence, yank transitions, failure thresholds — is unit-tested.
#pragma once

#include "watcher/sources/source.hpp"
#include "watcher/state/store.hpp"

#include <map>
#include <string>

namespace pinwatch::watcher {

struct DiffPolicy {
    int failing_after = 3; // consecutive failed polls before a source_failing event
};

// A successful poll (ok, not_modified or gone).
StateUpdate diff(StoredSubscription const& stored,
                 std::map<std::string, StoredRelease> const& known, Observation const& observed,
                 UnixTime now, UnixTime next_due, DiffPolicy const& policy = {});

// A failed poll.
StateUpdate diff_failure(StoredSubscription const& stored, SourceError const& error, UnixTime now,
                         UnixTime next_due, DiffPolicy const& policy = {});

// How `candidate` relates to `reference`: major/minor/patch above it, a pre-release, or older.
// Strings that are not PEP 440 versions compare as `none`.
UpdateType classify_update(std::string const& reference, std::string const& candidate);

// Whether the pinned version's state must be judged again (a pin never judged, or changed since):
// then a 304 poll needs the known releases.
bool pin_needs_check(StoredSubscription const& stored);

// Whether the requirement's specifier (with its pre-release rule) allows `version`.
bool specifier_allows(Subscription const& sub, std::string const& version);

} // namespace pinwatch::watcher
