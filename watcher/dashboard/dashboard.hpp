// The dashboard: what the state file holds, as a page a team lead reads at a glance — per
// project the pins, how far behind they are (update types, libyears), what is vulnerable,
// yanked or failing, and each package's own page (release timeline, advisories, events and
// where they went, new issues per day). Two halves: collect_* read the state through the
// store's queries (no SQL here) and the sources' insight; render_* are pure, data in, HTML out
// (no I/O, no clock). serve() routes the daemon's GETs to them.
#pragma once

#include "model/model.hpp"
#include "net/server.hpp"
#include "watcher/health.hpp"
#include "watcher/sources/source.hpp"
#include "watcher/state/store.hpp"
#include "watcher/summary.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace pinwatch::watcher {
class SourceRegistry;
}

namespace pinwatch::watcher::dashboard {

// The project a pin belongs to: the one place the page's sections come from ("default" for
// the top-level requirements).
std::string project_of(Subscription const& sub);

// One pin as the overview's table shows it.
struct Pin {
    std::string project;
    std::string package; // PEP 503 name
    std::string specifier;
    std::optional<std::string> pinned, latest;
    std::optional<UpdateType> update; // of the newest release above the pin; nullopt: no pin
    std::optional<double> libyears;   // nullopt: no pin, or upload times unknown
    std::vector<Advisory> advisories; // live ones against the pinned version
    bool yanked = false;              // the pinned version is yanked
    std::optional<std::string> yank_reason;
    bool failing = false; // the last poll failed (or the index says the project is gone)
    std::optional<std::string> error;
    std::optional<health::Judgement> health; // evaluate's rules on what the state holds
    std::optional<UnixTime> last_poll;
    std::optional<Event> last_event;
};

// How urgent a pin is, higher first: vulnerable, yanked, failing, then the size of the update,
// then libyears. The table's default order.
double urgency(Pin const& pin);
// Urgent first; ties by package name.
void sort_urgent_first(std::vector<Pin>& pins);

struct SectionCounts {
    std::size_t pins = 0, outdated = 0, major = 0, minor = 0, patch = 0;
    std::size_t vulnerable = 0, yanked = 0, failing = 0;
    double libyears = 0; // summed over the pins whose libyears are known
};
SectionCounts count(std::vector<Pin> const& pins);

struct Section {
    std::string project;
    std::vector<Pin> pins; // urgent first
};

struct Overview {
    UnixTime now = 0;
    std::vector<Section> sections; // by project name, "default" first
};

// An advisory on the package page: live against the pin, or withdrawn upstream (when).
struct AdvisoryState {
    Advisory advisory;
    bool live = false;
    std::optional<UnixTime> told; // when pinwatch told the team (its last event about it)
};

struct PackagePage {
    UnixTime now = 0;
    std::vector<Pin> pins; // one per project pinning it
    std::vector<StoredRelease> releases;
    std::vector<AdvisoryState> advisories;
    std::vector<EventDeliveries> events; // newest first
    std::optional<PackageInsight> insight;
};

// What the overview keeps between requests to one store: each pin's release-derived figures,
// recomputed only when the store wrote that pin's releases since, or another process wrote the
// file. Reading and summarising every release is most of a page's cost (96,000 releases for
// the benchmark's 1,000 pins); a poll that changed nothing leaves its pin's entry as it was.
// A cold cache starts from the summaries the state file keeps (written by the polls), and reads
// releases only for the pins without a fitting one.
class Cache {
  public:
    struct Entry {
        std::uint64_t writes = 0; // StateStore::release_writes when filled
        std::string pin;          // what the summary depends on: specifier, pin, --pre
        ReleaseSummary summary;
        bool has_releases = false;
        std::vector<UnixTime> uploads; // every release's upload time, oldest first
    };
    // Forgets everything when another connection wrote the file since the last call.
    void sync(StateStore const& store);
    // The entry of `s` when it is still good.
    Entry const* find(StateStore const& store, StoredSubscription const& s) const;
    Entry const& put(StateStore const& store, StoredSubscription const& s,
                     std::vector<StoredRelease> const& releases);
    // From the summary the state file keeps, when it fits `s`; nullptr when it does not.
    Entry const* put(StateStore const& store, StoredSubscription const& s,
                     SavedSummary const& saved);
    std::size_t size() const { return entries_.size(); }

  private:
    std::int64_t data_version_ = -1;
    std::unordered_map<std::int64_t, Entry> entries_;
};

// What the state holds now. Pins are the subscriptions of sources without a table of their own
// in `status` (GitHub's repositories are insight about a pin, not pins).
// With a cache, only the pins whose releases changed since are read again.
Overview collect_overview(StateStore const& store, SourceRegistry const& sources, UnixTime now,
                          Cache* cache = nullptr);
// nullopt when no active pin has that (PEP 503) name.
std::optional<PackagePage> collect_package(StateStore const& store, SourceRegistry const& sources,
                                           std::string const& name, UnixTime now);

struct RenderOptions {
    // Package names link to their pages (/package/<name>); off for a report file, which has
    // no pages beside it.
    bool links = true;
    std::string title = "pinwatch";
};

// The overview page (one self-contained HTML document: inline style, a few lines of inline
// script for sorting, allowed by hash in its own Content-Security-Policy meta tag).
std::string render_overview(Overview const& overview, RenderOptions const& options = {});
std::string render_package(PackagePage const& page);
std::string render_not_found(std::string_view what);

// The SVG pictures, on their own (the package page embeds them).
std::string timeline_svg(std::vector<StoredRelease> const& releases,
                         std::optional<std::string> const& pinned,
                         std::optional<std::string> const& latest);
std::string daily_svg(PackageInsight::Daily const& daily);

// The Content-Security-Policy every page is served with: nothing from anywhere, the page's own
// style and script by their SHA-256, pictures only inline.
std::string content_security_policy();

// The daemon's answer to a GET of `target` ("/", "/package/<name>"); nullopt for a path that
// is not the dashboard's.
std::optional<net::ServerReply> serve(std::string_view target, StateStore const& store,
                                      SourceRegistry const& sources, UnixTime now,
                                      Cache* cache = nullptr);

} // namespace pinwatch::watcher::dashboard
