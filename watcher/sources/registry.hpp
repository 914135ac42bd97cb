// SourceRegistry: every source pinwatch knows, by Source::kind(). The poller asks the registry
// for a subscription's source and never names one itself; a new source is one file in this
// folder plus one line in standard().
#pragma once

#include "watcher/sources/github.hpp"
#include "watcher/sources/source.hpp"

#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace pinwatch::watcher {

class SourceRegistry {
  public:
    void add(std::unique_ptr<Source> source);
    Source const* find(std::string_view kind) const;
    // The sources a daemon and `check` use; GitHub when settings are given.
    static SourceRegistry standard(GithubSettings const* github = nullptr);

  private:
    std::map<std::string, std::unique_ptr<Source>, std::less<>> sources_;
};

} // namespace pinwatch::watcher
