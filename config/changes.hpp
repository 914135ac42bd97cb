// What a reload changes: the differences between two valid configs, one line each, in the
// admin's words ("notifier team: update_types major (was all)"). Pure: the service logs them.
// Values that may hold secrets (index URLs, channel settings) are named, never shown.
#pragma once

#include "config/config.hpp"

#include <string>
#include <vector>

namespace pinwatch::config {

// Every difference `run` applies on a reload, in a stable order: files, index, intervals,
// rules, notifiers, state, listener. Empty when nothing that matters changed.
std::vector<std::string> config_changes(Config const& before, Config const& after);

} // namespace pinwatch::config
