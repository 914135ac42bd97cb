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

    bool names(std::string const& id) const {
        return std::any_of(hits.begin(), hits.end(),
                           [&](AdvisoryHit const& h) { return h.id == id; });
    }
};

// Stage 2: every pin asked in batches of the source's limit, following next_page_token. False
// when shutting down.
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

// The pins asked about: each (name, version) once, however many indexes or files pin it.
struct PinSet {
    std::vector<Pin> pins;
    std::map<Pin, std::size_t> index;

    // The pin a subscription holds (one of those the set was made from).
    std::size_t of(StoredSubscription const& s) const {
        return index.at(Pin{s.sub.name, *s.sub.pinned});
    }
};

// Stage 1: the pins to ask about; `subs` keeps only the subscriptions that hold one. A pin that
// is no PEP 440 version cannot be judged against any range: not asked about.
PinSet choose_pins(std::vector<StoredSubscription>& subs, PrivateNames const& private_names) {
    std::erase_if(subs, [&](StoredSubscription const& s) {
        return !s.sub.pinned || private_names.matches(s.sub.name) ||
               !packaging::Version::parse(*s.sub.pinned);
    });
    PinSet set;
    for (auto const& s : subs) {
        Pin p{s.sub.name, *s.sub.pinned};
        if (set.index.emplace(p, set.pins.size()).second) set.pins.push_back(std::move(p));
    }
    return set;
}

// The advisory records the pins are judged by.
struct Records {
    std::map<std::string, std::optional<AdvisoryRecord>> by_id; // known or fetched
    std::vector<AdvisoryRecord> fetched;                        // to store
    std::map<std::string, std::string> errors;                  // id -> why it was not fetched
};

// Stage 3: the records to fetch (known ones go into `records`): ids not known or changed since,
// and ids told before that the answer no longer names for the pin (their record says why:
// withdrawn, or not anymore).
std::set<std::string> records_to_fetch(StateStore& store, std::string const& kind,
                                       std::vector<StoredSubscription> const& subs,
                                       PinSet const& pins, std::vector<PinAnswer> const& answers,
                                       Records& records) {
    std::set<std::string> fetch;
    for (auto const& a : answers)
        for (auto const& h : a.hits) {
            if (records.by_id.count(h.id)) continue;
            auto known = store.advisory_record(kind, h.id);
            if (!known || known->modified != h.modified)
                fetch.insert(h.id);
            else
                records.by_id[h.id] = std::move(known);
        }
    for (auto const& s : subs) {
        auto const& a = answers[pins.of(s)];
        if (a.error || s.vulns.version != s.sub.pinned) continue;
        for (auto const& told : s.vulns.live)
            if (!a.names(told.id)) fetch.insert(told.id);
    }
    for (auto const& id : fetch)
        records.by_id.erase(id);
    return fetch;
}

// Stage 4: the records fetched, kRecordWorkers at a time; a record that cannot be fetched or
// parsed is noted in `records.errors`. False when shutting down.
asio::awaitable<bool> fetch_records(net::Client& client, AdvisorySource const& source,
                                    std::set<std::string> const& fetch, Records& records,
                                    AdvisoryRoundResult& result) {
    std::vector<std::string> const queue(fetch.begin(), fetch.end());
    std::size_t next = 0;
    bool cancelled = false;
    auto worker = [&]() -> asio::awaitable<void> {
        while (next < queue.size() && !cancelled) {
            auto const& id = queue[next++];
            auto response = co_await client.fetch(source.record_request(id));
            ++result.records;
            if (!response) {
                if (response.error().kind == net::ErrorKind::cancelled) cancelled = true;
                records.errors[id] = "vulns/" + id + ": " + response.error().message;
                continue;
            }
            auto record = source.parse_record(id, *response);
            if (!record) {
                records.errors[id] = record.error();
                continue;
            }
            records.by_id[id] = *record;
            records.fetched.push_back(std::move(*record));
        }
    };
    static_assert(kRecordWorkers == 4);
    co_await (worker() && worker() && worker() && worker());
    co_return !cancelled;
}

// Stage 5: a pin's reading, the records that cover it (withdrawn ones marked); an error and no
// advisories when its answer, or a record it names, could not be read.
VulnerabilityReading read_pin(AdvisorySource const& source, StoredSubscription const& s,
                              PinAnswer const& a, Records const& records) {
    std::string const kind(source.kind());
    VulnerabilityReading reading;
    reading.version = *s.sub.pinned;
    if (a.error) {
        reading.error = "advisories: " + a.error.value();
        return reading;
    }
    auto const version = packaging::Version::parse(*s.sub.pinned);
    auto judge = [&](std::string const& id, bool listed) {
        auto const r = records.by_id.find(id);
        if (r == records.by_id.end() || !r->second) {
            // A record told before that cannot be fetched now: no longer listed is reason
            // enough to retract it; a listed one that cannot be read is unknown.
            if (listed && !reading.error) {
                auto const e = records.errors.find(id);
                reading.error = "advisories: " + kind + ": " +
                                (e != records.errors.end() ? e->second : id + ": not read");
            }
            return;
        }
        auto judged = source.judge(r->second->body, s.sub.name, *version);
        if (!judged) {
            if (listed && !reading.error)
                reading.error = "advisories: " + kind + ": " + id + ": " + judged.error();
            return;
        }
        // A record the answer names but whose ranges do not cover the pin (OSV and the index
        // have drifted before) is not live; a withdrawn one retracts.
        if (!*judged) return;
        if (!listed && !(*judged)->withdrawn) return;
        reading.advisories.push_back(std::move(**judged));
    };
    for (auto const& h : a.hits)
        judge(h.id, true);
    if (s.vulns.version == s.sub.pinned)
        for (auto const& told : s.vulns.live)
            if (!a.names(told.id)) judge(told.id, false);
    if (reading.error) reading.advisories.clear();
    return reading;
}

// Stage 6: the events addressed. Several projects pinning one package: one event per advisory
// naming them all (as a poll makes), so a notifier hears of it once.
void address_events(std::vector<StoredSubscription> const& subs,
                    std::vector<AdvisoryUpdate>& updates, Router const& router, UnixTime now,
                    AdvisoryRoundResult& result) {
    std::map<std::pair<std::string, std::string>, std::vector<std::vector<Event>*>> by_package;
    for (std::size_t i = 0; i < subs.size(); ++i)
        by_package[{subs[i].sub.source, subs[i].sub.locator}].push_back(&updates[i].events);
    for (auto const& [package, lists] : by_package)
        if (lists.size() > 1) merge_project_events(lists);
    for (auto& u : updates) {
        for (auto const& e : u.events)
            u.recipients.push_back(router.recipients(e, now));
        result.events += u.events.size();
    }
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
    auto const pins = choose_pins(subs, private_names);
    result.pins = pins.pins.size();
    if (pins.pins.empty()) co_return result;

    // What the service lists against each pin.
    std::vector<PinAnswer> answers(pins.pins.size());
    if (!co_await ask_batches(client, source, pins.pins, answers, result)) {
        result.cancelled = true;
        co_return result;
    }

    Records records;
    auto const fetch = records_to_fetch(store, kind, subs, pins, answers, records);
    if (!co_await fetch_records(client, source, fetch, records, result)) {
        result.cancelled = true;
        co_return result;
    }

    // Each pin's reading, then the diff against what was told before.
    std::vector<AdvisoryUpdate> updates;
    for (auto const& s : subs) {
        auto diffed = diff_advisories(s, read_pin(source, s, answers[pins.of(s)], records), now);
        AdvisoryUpdate u;
        u.subscription_id = s.id;
        u.vulns = std::move(diffed.vulns);
        u.events = std::move(diffed.events);
        updates.push_back(std::move(u));
    }
    address_events(subs, updates, router, now, result);
    store.apply_advisories(kind, records.fetched, updates, now);
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
