#include "watcher/advisories.hpp"

#include "common/text.hpp"
#include "watcher/diff.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>

#include <algorithm>
#include <map>
#include <set>

namespace pinwatch::watcher {

namespace asio = boost::asio;
using namespace boost::asio::experimental::awaitable_operators;

namespace {

// Pages of one query followed at most (OSV pages a few thousand ids at a time; a package with
// that many advisories against one version does not exist, a looping server does).
constexpr int kMaxPages = 20;
// Records fetched at once.
constexpr int kRecordWorkers = 4;

struct Pin {
    std::string name, version;
    auto operator<=>(Pin const&) const = default;
};

struct PinAnswer {
    std::vector<AdvisoryHit> hits;
    std::optional<std::string> error;
};

// Asks every pin in batches of the source's limit, following next_page_token.
asio::awaitable<bool> ask_batches(net::Client& client, AdvisorySource const& source,
                                  std::vector<Pin> const& pins, std::vector<PinAnswer>& answers,
                                  AdvisoryRoundResult& result) {
    struct Todo {
        std::size_t pin;
        std::optional<std::string> token;
    };
    std::vector<Todo> todo;
    for (std::size_t i = 0; i < pins.size(); ++i)
        todo.push_back({i, std::nullopt});
    for (int page = 0; !todo.empty(); ++page) {
        std::vector<Todo> more;
        for (std::size_t at = 0; at < todo.size(); at += source.batch_limit()) {
            auto const end = std::min(todo.size(), at + source.batch_limit());
            std::vector<AdvisoryQuery> queries;
            for (auto k = at; k < end; ++k)
                queries.push_back(
                    {pins[todo[k].pin].name, pins[todo[k].pin].version, todo[k].token});
            ++result.batches;
            auto response = co_await client.fetch(source.batch_request(queries));
            std::optional<std::string> error;
            std::vector<BatchAnswer> got;
            if (!response) {
                if (response.error().kind == net::ErrorKind::cancelled) co_return false;
                error = "querybatch: " + response.error().message;
            } else if (auto parsed = source.parse_batch(*response, queries.size()); !parsed) {
                error = parsed.error();
            } else {
                got = std::move(*parsed);
            }
            for (auto k = at; k < end; ++k) {
                auto& answer = answers[todo[k].pin];
                if (error) {
                    answer.error = std::string(source.kind()) + ": " + *error;
                    continue;
                }
                auto& one = got[k - at];
                for (auto& h : one.hits)
                    answer.hits.push_back(std::move(h));
                if (one.next_page_token) {
                    if (page + 1 >= kMaxPages)
                        answer.error = std::string(source.kind()) + ": more than " +
                                       std::to_string(kMaxPages) +
                                       " pages of advisories for one version (a paging loop?)";
                    else
                        more.push_back({todo[k].pin, one.next_page_token});
                }
            }
            if (error && !result.error) result.error = std::string(source.kind()) + ": " + *error;
        }
        todo = std::move(more);
    }
    co_return true;
}

} // namespace

bool advisories_due(StoredSubscription const& s, std::chrono::seconds interval, UnixTime now) {
    if (!s.sub.pinned) return false;
    if (!s.vulns.checked || s.vulns.version != s.sub.pinned || s.vulns.error) return true;
    return now >= *s.vulns.checked + interval.count();
}

asio::awaitable<AdvisoryRoundResult> read_advisories(net::Client& client, StateStore& store,
                                                     AdvisorySource const& source,
                                                     PrivateNames const& private_names,
                                                     std::vector<StoredSubscription> subs,
                                                     Router const& router, UnixTime now) {
    AdvisoryRoundResult result;
    std::string const kind(source.kind());
    // The pins asked about: each (name, version) once, however many indexes or files pin it.
    // A pin that is no PEP 440 version cannot be judged against any range: not asked about.
    std::erase_if(subs, [&](StoredSubscription const& s) {
        return !s.sub.pinned || private_names.matches(s.sub.name) ||
               !packaging::Version::parse(*s.sub.pinned);
    });
    std::map<Pin, std::size_t> index;
    std::vector<Pin> pins;
    for (auto const& s : subs) {
        Pin p{s.sub.name, *s.sub.pinned};
        if (index.emplace(p, pins.size()).second) pins.push_back(std::move(p));
    }
    result.pins = pins.size();
    if (pins.empty()) co_return result;

    std::vector<PinAnswer> answers(pins.size());
    if (!co_await ask_batches(client, source, pins, answers, result)) {
        result.cancelled = true;
        co_return result;
    }

    // The records to fetch: ids not known or changed since, and ids told before that the
    // answer no longer names for the pin (their record says why: withdrawn, or not anymore).
    std::map<std::string, std::optional<AdvisoryRecord>> records; // id -> known or fetched
    std::set<std::string> fetch;
    for (auto const& a : answers)
        for (auto const& h : a.hits) {
            if (records.count(h.id)) continue;
            auto known = store.advisory_record(kind, h.id);
            if (!known || known->modified != h.modified)
                fetch.insert(h.id);
            else
                records[h.id] = std::move(known);
        }
    for (auto const& s : subs) {
        auto const& a = answers[index.at(Pin{s.sub.name, *s.sub.pinned})];
        if (a.error || s.vulns.version != s.sub.pinned) continue;
        for (auto const& told : s.vulns.live)
            if (std::none_of(a.hits.begin(), a.hits.end(),
                             [&](AdvisoryHit const& h) { return h.id == told.id; }))
                fetch.insert(told.id);
    }
    for (auto const& id : fetch)
        records.erase(id);

    std::vector<std::string> const queue(fetch.begin(), fetch.end());
    std::size_t next = 0;
    std::vector<AdvisoryRecord> fetched;
    std::map<std::string, std::string> record_errors;
    bool cancelled = false;
    auto worker = [&]() -> asio::awaitable<void> {
        while (next < queue.size() && !cancelled) {
            auto const& id = queue[next++];
            auto response = co_await client.fetch(source.record_request(id));
            ++result.records;
            if (!response) {
                if (response.error().kind == net::ErrorKind::cancelled) cancelled = true;
                record_errors[id] = "vulns/" + id + ": " + response.error().message;
                continue;
            }
            auto record = source.parse_record(id, *response);
            if (!record) {
                record_errors[id] = record.error();
                continue;
            }
            records[id] = *record;
            fetched.push_back(std::move(*record));
        }
    };
    static_assert(kRecordWorkers == 4);
    co_await (worker() && worker() && worker() && worker());
    if (cancelled) {
        result.cancelled = true;
        co_return result;
    }

    // Each pin's reading: the records that cover it (withdrawn ones marked), then the diff.
    std::vector<AdvisoryUpdate> updates;
    for (auto const& s : subs) {
        auto const& a = answers[index.at(Pin{s.sub.name, *s.sub.pinned})];
        VulnerabilityReading reading;
        reading.version = *s.sub.pinned;
        auto const version = packaging::Version::parse(*s.sub.pinned);
        if (a.error) {
            reading.error = "advisories: " + a.error.value();
        } else {
            auto judge = [&](std::string const& id, bool listed) {
                auto const r = records.find(id);
                if (r == records.end() || !r->second) {
                    // A record told before that cannot be fetched now: no longer listed is
                    // reason enough to retract it; a listed one that cannot be read is unknown.
                    if (listed && !reading.error) {
                        auto const e = record_errors.find(id);
                        reading.error = "advisories: " + kind + ": " +
                                        (e != record_errors.end() ? e->second : id + ": not read");
                    }
                    return;
                }
                auto judged = source.judge(r->second->body, s.sub.name, *version);
                if (!judged) {
                    if (listed && !reading.error)
                        reading.error = "advisories: " + kind + ": " + id + ": " + judged.error();
                    return;
                }
                // A record the answer names but whose ranges do not cover the pin (OSV and
                // the index have drifted before) is not live; a withdrawn one retracts.
                if (!*judged) return;
                if (!listed && !(*judged)->withdrawn) return;
                reading.advisories.push_back(std::move(**judged));
            };
            for (auto const& h : a.hits)
                judge(h.id, true);
            if (s.vulns.version == s.sub.pinned)
                for (auto const& told : s.vulns.live)
                    if (std::none_of(a.hits.begin(), a.hits.end(),
                                     [&](AdvisoryHit const& h) { return h.id == told.id; }))
                        judge(told.id, false);
            if (reading.error) reading.advisories.clear();
        }
        auto diffed = diff_advisories(s, reading, now);
        AdvisoryUpdate u;
        u.subscription_id = s.id;
        u.vulns = std::move(diffed.vulns);
        u.events = std::move(diffed.events);
        for (auto const& e : u.events)
            u.recipients.push_back(router.recipients(e, now));
        result.events += u.events.size();
        updates.push_back(std::move(u));
    }
    store.apply_advisories(kind, fetched, updates, now);
    co_return result;
}

std::optional<std::string> advisory_disclosure(std::vector<Subscription> const& requirements,
                                               AdvisorySettings const& settings,
                                               std::string_view how_to_hold_back) {
    if (settings.from != AdvisorySettings::From::osv) return std::nullopt;
    PrivateNames const private_names(settings.private_names);
    std::set<std::string> names, indexes;
    for (auto const& s : requirements) {
        if (!s.pinned || private_names.matches(s.name)) continue;
        auto const host = ascii_lower(url_origin(s.origin));
        if (host == "https://pypi.org") continue;
        names.insert(s.name);
        indexes.insert(redact_url(s.origin));
    }
    if (names.empty()) return std::nullopt;
    std::string from;
    for (auto const& i : indexes)
        from += (from.empty() ? "" : ", ") + i;
    return "advisories: the names of " + std::to_string(names.size()) +
           (names.size() == 1 ? " package" : " packages") + " from " + sanitize_text(from) +
           " are sent to " + sanitize_text(redact_url(settings.osv_url)) +
           " (with their pinned versions) to look up their advisories; to keep a name here, " +
           std::string(how_to_hold_back);
}

} // namespace pinwatch::watcher
