#include "watcher/host_outages.hpp"

#include <algorithm>

namespace pinwatch::watcher {

bool HostOutages::mostly_failing(Host const& h) const {
    auto const failed =
        static_cast<std::size_t>(std::count(h.recent.begin(), h.recent.end(), true));
    return h.recent.size() >= 3 && failed * 2 > h.recent.size();
}

bool HostOutages::down(std::string const& host) const {
    auto it = hosts_.find(host);
    return it != hosts_.end() && it->second.down;
}

void HostOutages::filter(std::string const& host, StateUpdate& u) {
    auto& h = hosts_[host];
    h.recent.push_back(u.status == PollStatus::error);
    while (h.recent.size() > window_)
        h.recent.pop_front();
    auto const about_host = [&](Event& e, std::string detail) {
        e.package = host;
        e.pinned.reset();
        e.specifier.clear();
        e.detail = std::move(detail);
    };
    std::vector<Event> kept;
    for (auto& e : u.events) {
        if (e.kind == EventKind::source_failing && (h.down || mostly_failing(h))) {
            h.covered.insert(u.subscription_id);
            if (h.down) continue; // told already, for the whole host
            h.down = true;
            about_host(e, "most polls of this host fail, so its packages are not told one by "
                          "one (the first: " +
                              e.package + ": " + e.detail + ")");
        } else if (e.kind == EventKind::source_recovered && h.covered.count(u.subscription_id)) {
            h.covered.erase(u.subscription_id);
            if (!h.down) continue; // the host's recovery was told already
            h.down = false;
            h.recent.clear(); // a new outage is judged by polls after this one
            about_host(e, "polls of this host work again (the first: " + e.package + ")");
        }
        kept.push_back(std::move(e));
    }
    // Packages covered by an outage whose recovery was told stay covered until they recover
    // too (their own recovered events are dropped).
    u.events = std::move(kept);
}

} // namespace pinwatch::watcher
