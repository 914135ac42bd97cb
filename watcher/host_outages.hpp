// HostOutages: one source_failing / source_recovered pair per host when most of its polls fail
// together (an index outage: 1,500 packages once made 3,000 events), and the usual pair per
// package when only some of them fail. The poller hands it every poll's update before it is
// stored; it rewrites the update's failing/recovered events and nothing else. In memory: a
// restart during an outage tells the packages that recover afterwards one by one.
#pragma once

#include "watcher/state/store.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>

namespace pinwatch::watcher {

class HostOutages {
  public:
    // "Most" means more than half of the host's last `window` polls failed (at least 3 seen).
    explicit HostOutages(std::size_t window = 20) : window_(window) {}

    // Records the poll's outcome for `host` (a failure when update.status is error) and decides
    // for the events diff put in the update:
    // - source_failing while most of the host's polls fail: the first becomes the host's own
    //   event (package: the host; detail says so), later ones are dropped: the host event
    //   covers them;
    // - source_recovered of a covered package: the first becomes the host's recovered event,
    //   later ones are dropped;
    // - anything else passes unchanged.
    void filter(std::string const& host, StateUpdate& update);

    // Whether the host's outage has been told and not yet its end.
    bool down(std::string const& host) const;

  private:
    struct Host {
        std::deque<bool> recent;        // true: a failed poll; newest last
        bool down = false;              // the host's source_failing was told, its recovery not yet
        std::set<std::int64_t> covered; // subscriptions whose failing event the host's covered
    };
    bool mostly_failing(Host const& h) const;
    std::size_t window_;
    std::map<std::string, Host> hosts_;
};

} // namespace pinwatch::watcher
