// What a requirement's releases mean for the team right now: latest, newest allowed, what is
// newer than the pin, how big the jump is, whether the pin is yanked. Pure; used by `check`
// and `status`.
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
};

ReleaseSummary summarize(Subscription const& sub, std::vector<StoredRelease> const& releases);
ReleaseSummary summarize(Subscription const& sub,
                         std::map<std::string, StoredRelease> const& releases);

} // namespace pinwatch::watcher
