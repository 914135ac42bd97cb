#include "watcher/sources/registry.hpp"

#include "watcher/sources/pypi.hpp"

namespace pinwatch::watcher {

void SourceRegistry::add(std::unique_ptr<Source> source) {
    std::string kind(source->kind());
    sources_[kind] = std::move(source);
}

Source const* SourceRegistry::find(std::string_view kind) const {
    auto const it = sources_.find(kind);
    return it == sources_.end() ? nullptr : it->second.get();
}

SourceRegistry SourceRegistry::standard(GithubSettings const* github) {
    SourceRegistry r;
    r.add(std::make_unique<PypiSource>());
    if (github) r.add(std::make_unique<GithubSource>(*github));
    return r;
}

} // namespace pinwatch::watcher
