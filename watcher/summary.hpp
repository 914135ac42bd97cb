// What a requirement's releases mean for the team right now: latest, newest allowed, what is
// newer than the pin, how big the jump is, whether the pin is yanked. Pure; used by `check`,
// `status` and the dashboard. Also its saved form (SavedSummary), kept in the state file so a
// poll answered 304 need not read every release back.
#pragma once

#include "model/model.hpp"
#include "watcher/state/store.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pinwatch::watcher {

struct ReleaseSummary {
    std::optional<std::string> latest; // newest non-yanked final (or pre-release if only those)
    std::optional<std::string> latest_allowed; // newest non-yanked version the specifier allows
    std::vector<std::string> newer;            // non-yanked versions above the pin, ascending
    std::optional<UpdateType> update_type;     // of the newest in `newer`; nullopt without a pin
    bool pin_yanked = false;
    std::optional<std::string> pin_yank_reason;
    bool pin_found = false; // the pinned version is on the index
    // With a target Python: whether the newest of `newer` declares a Requires-Python that
    // excludes it (nullopt: nothing newer, or no Requires-Python to judge), that declaration,
    // and the newest of `newer` that still runs on it.
    std::optional<bool> drops_python;
    std::optional<std::string> drops_requires_python;
    std::optional<std::string> newest_for_python;
    // Libyears (libyear.com): how far the pin lags behind `latest`, as the time between their
    // uploads in years of 365.25 days; 0 when the pin is the latest (or was uploaded after it).
    // nullopt without a pin, or when either upload time is unknown (PEP 503 HTML lists none).
    std::optional<double> libyears;
    std::size_t release_count = 0; // the releases it was worked out from, yanked ones included
};

// Years of 365.25 days between two uploads, never negative.
double libyears_between(UnixTime pinned_upload, UnixTime latest_upload);

// `python`: the team's target Python ("3.11.2") for drops_python; nullopt = not judged.
ReleaseSummary summarize(Subscription const& sub, std::vector<StoredRelease> const& releases,
                         std::optional<std::string> const& python = std::nullopt);
ReleaseSummary summarize(Subscription const& sub,
                         std::map<std::string, StoredRelease> const& releases,
                         std::optional<std::string> const& python = std::nullopt);

// The saved form. Everything a summary depends on besides the releases and the target Python:
// the pin, the specifier, --pre (and the format's version). The releases are the saved
// summary's generation; the target Python is judged when it is read, from the Requires-Python
// of the versions newer than the pin, which it keeps.
std::string summary_inputs(Subscription const& sub);
// `releases`, as of `generation` (StoredSubscription::release_generation), worked out for `sub`.
SavedSummary save_summary(Subscription const& sub, std::vector<StoredRelease> const& releases,
                          std::int64_t generation);
// What `saved` says for `sub` and `python`, exactly what summarize() would say of the releases
// it was worked out from; nullopt when it was worked out for other inputs (an edited
// requirement, --pre) or cannot be read (then summarize the releases).
std::optional<ReleaseSummary> read_summary(SavedSummary const& saved, Subscription const& sub,
                                           std::optional<std::string> const& python = std::nullopt);

} // namespace pinwatch::watcher
