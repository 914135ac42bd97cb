// The source registry: every source pinwatch knows, one entry each (registry.cpp), and the
// sources one command runs. A source is one folder in watcher/sources/ plus its entry: the
// entry says which config table it owns, which `check` flags it adds, which files it keeps on
// a host (github:…) and how it is built; the daemon, `check`, `deps`, `status`, the poller, the
// scheduler and the remote files loop over the registry and never name a source themselves.
#pragma once

#include "config/config.hpp"
#include "config/remote_file.hpp"
#include "watcher/sources/advisory.hpp"
#include "watcher/sources/file_host.hpp"
#include "watcher/sources/source.hpp"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace pinwatch::watcher {

// What a command asks of the sources it builds (cli's composition root fills it).
struct SourceSetup {
    enum class Mode {
        daemon, // polls for ever: spread budgets, read what changes slowly on its own interval
        check,  // one poll now: spend budgets, read what the report shows
        report, // no polls: every source, to show what the state file holds (`status`)
    };
    Mode mode = Mode::daemon;
    config::Config const* config = nullptr; // the daemon's config (none for `check`)
    // `check`'s source flags that were given, with their values ("" for a switch).
    std::map<std::string, std::string, std::less<>> flags;
    std::function<UnixTime()> clock; // unset: the system's
};

// A flag a source adds to `check` (`--github`, `--github-api-url URL`).
struct CheckFlag {
    std::string name;       // "--github-api-url"
    std::string value_name; // "URL"; "" for a switch
    std::string help;       // the usage text after the name and its value
    // What is wrong with a value ("expected an http:// or https:// URL"); nullopt: fine.
    std::function<std::optional<std::string>(std::string const&)> check = {};
    bool repeatable = false; // given again, it adds a value (one per line in SourceSetup::flags)
};

// A built source and what the operator should hear about it (an unauthenticated API).
struct SourceBuild {
    std::unique_ptr<Source> source;
    std::unique_ptr<AdvisorySource> advisories; // an advisory source (OSV) instead
    std::vector<std::string> warnings;
};

// One registry entry: how a source folder plugs in.
struct SourceEntry {
    std::string_view kind;
    std::string_view table;       // the config table it owns ("github"); "" for none
    config::TableRead read_table; // reads that table (set with `table`)
    std::vector<CheckFlag> check_flags;
    // Builds the source for a command; no source when it is off there (no table, no flag).
    std::function<Result<SourceBuild, std::string>(SourceSetup const&)> make;
    // Files it keeps on a host (requirements named github:OWNER/REPO/PATH@REF), if any: the
    // grammar of their specs (added to config's by source_entries()) and the host a command
    // fetches them through, with the source's own access (its table, `check`'s flags and
    // environment). Set both or neither.
    std::optional<config::FileSpec> file_spec;
    std::function<FileHost(SourceSetup const&)> file_host;
    // For the source that watches what the requirements name (the index: PyPI): the
    // subscription to a requirement `name` on the index at `index_url` (its locator, what it
    // is keyed by, the index's credentials). One entry sets it.
    std::function<Subscription(std::string_view index_url, std::string_view name)> watch;
};

// Every source this build knows, in the order their columns appear. The first call adds their
// file specs to config's (config::add_file_spec), so a file name is understood from then on.
std::vector<SourceEntry> const& source_entries();
// The subscription that watches requirement `name` on the index at `index_url`, from the
// entry that watches requirements (SourceEntry::watch).
Subscription requirement_subscription(std::string_view index_url, std::string_view name);
// The file hosts a command fetches through (every entry's that offers one).
std::vector<FileHost> file_hosts(SourceSetup const& setup);
// The config tables the sources own, for config::read_config_text.
config::TableReaders source_tables();

class SourceRegistry {
  public:
    void add(std::unique_ptr<Source> source);
    Source const* find(std::string_view kind) const;
    // Every source, in registration order.
    std::vector<Source const*> all() const;
    // The advisory source that reads the pins' advisories in batches (nullopt: none runs; the
    // index's JSON API or nothing reads them).
    AdvisorySource const* advisories() const { return advisories_.get(); }
    void set_advisories(std::unique_ptr<AdvisorySource> a) { advisories_ = std::move(a); }
    // The sources one command runs, from the registry's entries; `warnings` gets what their
    // builds had to say.
    static Result<SourceRegistry, std::string> build(SourceSetup const& setup,
                                                     std::vector<std::string>& warnings);
    // The sources a daemon without any source table runs (tests).
    static SourceRegistry standard();

  private:
    std::vector<std::unique_ptr<Source>> sources_;
    std::unique_ptr<AdvisorySource> advisories_;
};

} // namespace pinwatch::watcher
