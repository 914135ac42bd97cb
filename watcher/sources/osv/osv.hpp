// OSV (api.osv.dev or any OSV-compatible mirror) as an advisory source: the pins' advisories
// in one POST /v1/querybatch per 1,000 pins (ids and `modified` only, paged by
// next_page_token), and each record at GET /v1/vulns/{id}, judged against the pin by OSV's
// rules. Builds requests and reads responses only; the round (watcher/advisories.cpp) does
// the I/O and the state file keeps the records.
#pragma once

#include "watcher/sources/advisory.hpp"

namespace pinwatch::watcher {

class OsvSource final : public AdvisorySource {
  public:
    static constexpr std::string_view kKind = "osv";
    // OSV answers at most this many queries in one batch (a 1,001st is a 400).
    static constexpr std::size_t kBatchLimit = 1000;
    explicit OsvSource(std::string api_url); // "https://api.osv.dev/"
    std::string_view kind() const noexcept override { return kKind; }
    std::string const& service() const noexcept override { return api_url_; }
    std::size_t batch_limit() const noexcept override { return kBatchLimit; }
    net::Request batch_request(std::vector<AdvisoryQuery> const& queries) const override;
    Result<std::vector<BatchAnswer>, std::string> parse_batch(net::Response const& response,
                                                              std::size_t asked) const override;
    net::Request record_request(std::string const& id) const override;
    Result<AdvisoryRecord, std::string> parse_record(std::string const& id,
                                                     net::Response const& response) const override;
    Result<std::optional<Advisory>, std::string>
    judge(std::string const& body, std::string const& name,
          packaging::Version const& version) const override;

  private:
    std::string api_url_;
};

struct SourceEntry;
// The registry's entry for OSV: the [advisories] table and `check`'s advisory flags.
SourceEntry osv_entry();

namespace osv_detail {
// Whether an OSV `affected[].ranges[]` of type ECOSYSTEM (its events in any order) covers
// `version`: introduced and last_affected inclusive, fixed exclusive, PEP 440 order. Events
// whose version does not parse are skipped ("0" is before everything).
struct RangeEvent {
    std::string kind; // introduced | fixed | last_affected | limit
    std::string version;
};
bool range_covers(std::vector<RangeEvent> const& events, packaging::Version const& version);
} // namespace osv_detail

} // namespace pinwatch::watcher
