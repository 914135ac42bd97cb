#include "watcher/sources/osv/osv.hpp"

#include "common/json.hpp"
#include "common/json_read.hpp"
#include "packaging/name.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace pinwatch::watcher {
namespace {

// A batch answer for 1,000 pins is a few hundred kilobytes; a record, a few (some list every
// affected version of a long-lived project).
constexpr std::size_t kBatchBodyLimit = 32u << 20;
constexpr std::size_t kRecordBodyLimit = 8u << 20;

// Long advisories are summarised by their first 1,000 bytes (cut on a UTF-8 boundary).
std::string cut_summary(std::string s) {
    if (s.size() <= 1000) return s;
    std::size_t cut = 1000;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80)
        --cut;
    return s.substr(0, cut) + "…";
}

// Where to read about an advisory: the database's own page, else its ADVISORY reference, else
// the first reference, else OSV's page for it.
std::string link_of(rapidjson::Value const& d, std::string const& id) {
    if (auto ds = d.FindMember("database_specific"); ds != d.MemberEnd() && ds->value.IsObject())
        if (auto url = json::optional_string(ds->value, "url");
            url && url->rfind("https://", 0) == 0)
            return *url;
    std::optional<std::string> first;
    if (auto refs = d.FindMember("references"); refs != d.MemberEnd() && refs->value.IsArray())
        for (auto const& r : refs->value.GetArray()) {
            if (!r.IsObject()) continue;
            auto url = json::optional_string(r, "url");
            if (!url || url->rfind("https://", 0) != 0) continue;
            if (json::string_or_empty(r, "type") == "ADVISORY") return *url;
            if (!first) first = url;
        }
    if (first) return *first;
    return "https://osv.dev/vulnerability/" + id;
}

} // namespace

namespace osv_detail {

bool range_covers(std::vector<RangeEvent> const& events, packaging::Version const& version) {
    // OSV's evaluation: the events in version order, each switching the state at its version.
    struct Parsed {
        std::string kind;
        std::optional<packaging::Version> at; // nullopt: "0", before everything
    };
    std::vector<Parsed> list;
    for (auto const& e : events) {
        if (e.kind != "introduced" && e.kind != "fixed" && e.kind != "last_affected") continue;
        if (e.kind == "introduced" && e.version == "0") {
            list.push_back({e.kind, std::nullopt});
            continue;
        }
        auto v = packaging::Version::parse(e.version);
        if (!v) continue;
        list.push_back({e.kind, std::move(*v)});
    }
    std::stable_sort(list.begin(), list.end(), [](Parsed const& a, Parsed const& b) {
        if (!a.at || !b.at) return !a.at && b.at;
        return *a.at < *b.at;
    });
    bool affected = false;
    for (auto const& e : list) {
        if (e.kind == "introduced") {
            if (!e.at || version >= *e.at) affected = true;
        } else if (e.kind == "fixed") {
            if (e.at && version >= *e.at) affected = false;
        } else if (e.kind == "last_affected") {
            if (e.at && version > *e.at) affected = false;
        }
    }
    return affected;
}

} // namespace osv_detail

OsvSource::OsvSource(std::string api_url) : api_url_(std::move(api_url)) {
    if (api_url_.empty() || api_url_.back() != '/') api_url_ += '/';
}

net::Request OsvSource::batch_request(std::vector<AdvisoryQuery> const& queries) const {
    net::Request r;
    r.method = "POST";
    r.url = api_url_ + "v1/querybatch";
    JsonWriter w;
    w.begin_object().key("queries").begin_array();
    for (auto const& q : queries) {
        w.begin_object();
        w.key("package")
            .begin_object()
            .field("name", packaging::canonicalize_name(q.name))
            .field("ecosystem", "PyPI")
            .end_object();
        w.field("version", q.version);
        if (q.page_token) w.field("page_token", *q.page_token);
        w.end_object();
    }
    w.end_array().end_object();
    r.body = w.take();
    r.header("Content-Type", "application/json");
    r.header("Accept", "application/json");
    r.body_limit = kBatchBodyLimit;
    return r;
}

Result<std::vector<BatchAnswer>, std::string> OsvSource::parse_batch(net::Response const& res,
                                                                     std::size_t asked) const {
    if (res.status != 200) return fail("querybatch: http " + std::to_string(res.status));
    rapidjson::Document d;
    d.Parse(res.body.c_str(), res.body.size());
    if (d.HasParseError() || !d.IsObject()) return fail("querybatch: invalid JSON");
    auto results = d.FindMember("results");
    if (results == d.MemberEnd() || !results->value.IsArray())
        return fail("querybatch: the answer has no \"results\" list");
    if (results->value.Size() != asked)
        return fail("querybatch: " + std::to_string(results->value.Size()) + " results for " +
                    std::to_string(asked) + " queries");
    std::vector<BatchAnswer> out;
    for (auto const& r : results->value.GetArray()) {
        if (!r.IsObject()) return fail("querybatch: a result is not an object");
        BatchAnswer a;
        if (auto vulns = r.FindMember("vulns"); vulns != r.MemberEnd()) {
            if (!vulns->value.IsArray()) return fail("querybatch: \"vulns\" is not a list");
            for (auto const& v : vulns->value.GetArray()) {
                if (!v.IsObject()) return fail("querybatch: a vuln is not an object");
                auto id = json::optional_string(v, "id");
                if (!id || id->empty()) return fail("querybatch: a vuln has no \"id\"");
                a.hits.push_back({std::move(*id), json::string_or_empty(v, "modified")});
            }
        }
        a.next_page_token = json::optional_string(r, "next_page_token");
        if (a.next_page_token && a.next_page_token->empty()) a.next_page_token.reset();
        out.push_back(std::move(a));
    }
    return out;
}

net::Request OsvSource::record_request(std::string const& id) const {
    net::Request r;
    // Ids are letters, digits and - : . _ (GHSA-xxxx, PYSEC-2024-1); anything else is escaped.
    std::string path;
    for (char ch : id) {
        auto const c = static_cast<unsigned char>(ch);
        if (std::isalnum(c) || ch == '-' || ch == '.' || ch == '_' || ch == ':')
            path += ch;
        else {
            char hex[4];
            std::snprintf(hex, sizeof hex, "%%%02X", c);
            path += hex;
        }
    }
    r.url = api_url_ + "v1/vulns/" + path;
    r.header("Accept", "application/json");
    r.body_limit = kRecordBodyLimit;
    return r;
}

Result<AdvisoryRecord, std::string> OsvSource::parse_record(std::string const& id,
                                                            net::Response const& res) const {
    if (res.status != 200) return fail("vulns/" + id + ": http " + std::to_string(res.status));
    rapidjson::Document d;
    d.Parse(res.body.c_str(), res.body.size());
    if (d.HasParseError() || !d.IsObject()) return fail("vulns/" + id + ": invalid JSON");
    auto const got = json::optional_string(d, "id");
    if (got != id) return fail("vulns/" + id + ": the record is not " + id);
    return AdvisoryRecord{id, json::string_or_empty(d, "modified"), res.body};
}

Result<std::optional<Advisory>, std::string>
OsvSource::judge(std::string const& body, std::string const& name,
                 packaging::Version const& version) const {
    rapidjson::Document d;
    d.Parse(body.c_str(), body.size());
    if (d.HasParseError() || !d.IsObject()) return fail("a stored record is not JSON");
    Advisory a;
    a.id = json::string_or_empty(d, "id");
    a.aliases = json::strings(d, "aliases", 100);
    a.summary = json::optional_string(d, "summary").value_or("");
    if (a.summary.empty()) {
        // Some records have details only: their first line stands in.
        auto details = json::string_or_empty(d, "details");
        a.summary = details.substr(0, details.find('\n'));
    }
    a.summary = cut_summary(std::move(a.summary));
    a.link = link_of(d, a.id);
    a.withdrawn = json::optional_string(d, "withdrawn");
    auto const normal = packaging::canonicalize_name(name);
    bool covered = false;
    auto affected = d.FindMember("affected");
    if (affected != d.MemberEnd() && affected->value.IsArray())
        for (auto const& entry : affected->value.GetArray()) {
            if (!entry.IsObject()) continue;
            auto pkg = entry.FindMember("package");
            if (pkg == entry.MemberEnd() || !pkg->value.IsObject()) continue;
            if (json::string_or_empty(pkg->value, "ecosystem") != "PyPI") continue;
            if (packaging::canonicalize_name(json::string_or_empty(pkg->value, "name")) != normal)
                continue;
            for (auto const& v : json::strings(entry, "versions")) {
                auto parsed = packaging::Version::parse(v);
                covered = covered || (parsed && *parsed == version);
            }
            auto ranges = entry.FindMember("ranges");
            if (ranges == entry.MemberEnd() || !ranges->value.IsArray()) continue;
            for (auto const& range : ranges->value.GetArray()) {
                if (!range.IsObject() || json::string_or_empty(range, "type") != "ECOSYSTEM")
                    continue;
                std::vector<osv_detail::RangeEvent> events;
                auto ev = range.FindMember("events");
                if (ev == range.MemberEnd() || !ev->value.IsArray()) continue;
                for (auto const& e : ev->value.GetArray()) {
                    if (!e.IsObject() || e.MemberCount() == 0) continue;
                    auto const& m = *e.MemberBegin();
                    if (!m.value.IsString()) continue;
                    events.push_back({m.name.GetString(), m.value.GetString()});
                    if (events.back().kind == "fixed" &&
                        std::find(a.fixed_in.begin(), a.fixed_in.end(), events.back().version) ==
                            a.fixed_in.end() &&
                        a.fixed_in.size() < 100)
                        a.fixed_in.push_back(events.back().version);
                }
                covered = covered || osv_detail::range_covers(events, version);
            }
        }
    // A withdrawn record is told as such whatever it covers: it retracts what was told.
    if (!covered && !a.withdrawn) return std::optional<Advisory>();
    // Fixes in PEP 440 order, so the first is the nearest.
    std::stable_sort(a.fixed_in.begin(), a.fixed_in.end(),
                     [](std::string const& x, std::string const& y) {
                         auto vx = packaging::Version::parse(x), vy = packaging::Version::parse(y);
                         if (vx && vy) return *vx < *vy;
                         return static_cast<bool>(vx) && !vy;
                     });
    return std::optional<Advisory>(std::move(a));
}

} // namespace pinwatch::watcher
