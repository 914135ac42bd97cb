#include "watcher/sources/registry.hpp"

#include "watcher/sources/github/github.hpp"
#include "watcher/sources/osv/osv.hpp"
#include "watcher/sources/pypi/pypi.hpp"

#include <stdexcept>

namespace pinwatch::watcher {

std::vector<SourceEntry> const& source_entries() {
    static std::vector<SourceEntry> const entries = [] {
        // One line per source.
        std::vector<SourceEntry> e{
            pypi_entry(),
            github_entry(),
            osv_entry(),
        };
        for (auto const& entry : e)
            if (entry.file_spec) config::add_file_spec(*entry.file_spec);
        return e;
    }();
    return entries;
}

namespace {
// A command may read a file name (`check -r github:…`) before it builds anything: the hosts'
// grammars are config's from the start of any program that links the registry.
[[maybe_unused]] auto const& kEntries = source_entries();
} // namespace

Subscription requirement_subscription(std::string_view index_url, std::string_view name) {
    for (auto const& entry : source_entries())
        if (entry.watch) return entry.watch(index_url, name);
    throw std::logic_error("no source in this build watches requirements");
}

std::vector<FileHost> file_hosts(SourceSetup const& setup) {
    std::vector<FileHost> out;
    for (auto const& entry : source_entries())
        if (entry.file_host) out.push_back(entry.file_host(setup));
    return out;
}

config::TableReaders source_tables() {
    config::TableReaders out;
    for (auto const& e : source_entries())
        if (!e.table.empty()) out.emplace(std::string(e.table), e.read_table);
    return out;
}

void SourceRegistry::add(std::unique_ptr<Source> source) {
    std::erase_if(sources_, [&](auto const& s) { return s->kind() == source->kind(); });
    sources_.push_back(std::move(source));
}

Source const* SourceRegistry::find(std::string_view kind) const {
    for (auto const& s : sources_)
        if (s->kind() == kind) return s.get();
    return nullptr;
}

std::vector<Source const*> SourceRegistry::all() const {
    std::vector<Source const*> out;
    for (auto const& s : sources_)
        out.push_back(s.get());
    return out;
}

Result<SourceRegistry, std::string> SourceRegistry::build(SourceSetup const& setup,
                                                          std::vector<std::string>& warnings) {
    SourceRegistry r;
    for (auto const& entry : source_entries()) {
        auto built = entry.make(setup);
        if (!built) return fail(std::move(built).error());
        for (auto& w : built->warnings)
            warnings.push_back(std::move(w));
        if (built->source) r.add(std::move(built->source));
        if (built->advisories) r.set_advisories(std::move(built->advisories));
    }
    return r;
}

SourceRegistry SourceRegistry::standard() {
    std::vector<std::string> ignored;
    auto r = build(SourceSetup{}, ignored);
    return r ? std::move(*r) : SourceRegistry{};
}

} // namespace pinwatch::watcher
