// A source for the poller and scheduler tests: its pages are plain text on a TestServer.
// A page body is "1.0 1.1 | next=/p/2 | pause=30" (releases, then optional next page and host
// pause); "!429" and "!permanent" make the page a failure of that kind, "!throw" a bug. The locator
// is the first page's URL; the host is the locator's scheme://authority.
#pragma once

#include "watcher/sources/source.hpp"

#include <sstream>
#include <stdexcept>

namespace pinwatch::test {

class PagedSource final : public watcher::Source {
  public:
    explicit PagedSource(std::optional<std::size_t> per_host = std::nullopt)
        : per_host_(per_host) {}
    std::string_view kind() const noexcept override { return "paged"; }
    std::string host(model::Subscription const& s) const override {
        auto const end = s.locator.find('/', s.locator.find("://") + 3);
        return s.locator.substr(0, end);
    }
    std::optional<std::size_t> max_polls_per_host() const override { return per_host_; }
    watcher::SourceRequest first_request(model::Subscription const& s,
                                         watcher::PollContext const&) const override {
        watcher::SourceRequest r;
        r.step = "page";
        r.http.url = s.locator;
        return r;
    }
    Result<watcher::SourceStep, watcher::SourceError>
    parse(model::Subscription const& s, watcher::PollContext const&, watcher::SourceRequest const&,
          net::Response const& res, model::Observation& obs) const override {
        using K = watcher::SourceError::Kind;
        if (res.body == "!throw") throw std::runtime_error("a bug in the source");
        if (res.body == "!429")
            return fail(watcher::SourceError{K::rate_limited, "paged:" + s.name + ": 429",
                                             std::chrono::seconds(120)});
        if (res.body == "!permanent")
            return fail(watcher::SourceError{K::permanent, "paged:" + s.name + ": bad", {}});
        if (res.status != 200)
            return fail(watcher::SourceError{
                K::temporary, "paged:" + s.name + ": http " + std::to_string(res.status), {}});
        watcher::SourceStep step;
        std::stringstream parts(res.body);
        std::string part;
        int n = 0;
        while (std::getline(parts, part, '|')) {
            std::stringstream words(part);
            std::string w;
            while (words >> w) {
                if (n == 0) {
                    model::Release r;
                    r.version = w;
                    obs.releases.push_back(r);
                } else if (w.rfind("next=", 0) == 0) {
                    watcher::SourceRequest next;
                    next.step = "page";
                    next.http.url = host(s) + w.substr(5);
                    step.next = next;
                } else if (w.rfind("pause=", 0) == 0) {
                    step.pause_host = std::chrono::seconds(std::stoi(w.substr(6)));
                }
            }
            ++n;
        }
        return step;
    }

  private:
    std::optional<std::size_t> per_host_;
};

} // namespace pinwatch::test
