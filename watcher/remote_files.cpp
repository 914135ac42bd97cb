#include "watcher/remote_files.hpp"

#include "common/text.hpp"
#include "config/remote_file.hpp"
#include "net/client.hpp"
#include "watcher/state/fetched_files.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace pinwatch::watcher {
namespace {

// Requirements and lock files are kilobytes; the same cap as a local file's.
constexpr std::size_t kFileLimit = 4 * 1024 * 1024;
// Includes of includes: beyond any real project, and a bound on a file that names new files
// every time it is fetched.
constexpr int kMaxRounds = 16;

// A file's name, or an error naming one, in a log line or the state file: no control
// characters, and no token in the query string of the URL it is fetched from (`?…` instead).
std::string shown(std::string_view text) {
    return sanitize_text(redact_url_queries(text));
}

// The name a file's row goes by in the state file: no query string (a token may be in it).
std::string kept_name(std::string const& name) {
    return redact_url_queries(name);
}

} // namespace

struct RemoteFiles::File {
    FetchedFile kept;    // as the state file has it (content, validators, last outcome)
    std::string content; // what the parser reads (with credentials, unlike kept.content)
    bool has_content = false;
    bool failing = false;   // the last attempt failed (said once)
    UnixTime next_due = 0;  // 0: not fetched since this object was made
    bool attempted = false; // fetched (or tried) since this object was made
};

RemoteFiles::RemoteFiles(net::Client& client, RemoteFilesOptions options,
                         std::vector<std::string> const& entries, StateStore* store)
    : client_(client), options_(std::move(options)), store_(store) {
    for (auto const& e : entries) {
        if (!config::is_remote_file(e)) continue;
        if (auto user = url_userinfo(e))
            credentials_[url_origin(e)] = net::basic_authorization(user->user, user->password);
    }
    if (!store_) return;
    // What the state file kept: the last good content (read until a fetch says otherwise) and
    // the validators to ask again with.
    for (auto& kept : FetchedFiles(*store_).all())
        stored_.emplace(kept.name, std::move(kept));
}

RemoteFiles::~RemoteFiles() = default;

RemoteRead RemoteFiles::reader() const {
    return [this](std::string const& name) { return read(name); };
}

Result<std::string> RemoteFiles::read(std::string const& name) const {
    auto it = files_.find(name);
    if (it == files_.end())
        if (auto const* kept = stored(name)) {
            if (kept->content) return *kept->content;
            if (kept->error) return fail("cannot be fetched: " + *kept->error);
        }
    if (it == files_.end() || !it->second.has_content)
        return fail(it == files_.end() || !it->second.kept.error
                        ? std::string("not fetched yet")
                        : "cannot be fetched: " + *it->second.kept.error);
    return it->second.content;
}

std::optional<UnixTime> RemoteFiles::next_due() const {
    if (!discovered_) return UnixTime{0}; // the first refresh finds what there is to fetch
    std::optional<UnixTime> due;
    for (auto const& name : named_) {
        auto it = files_.find(name);
        UnixTime const at = it == files_.end() ? 0 : it->second.next_due;
        due = due ? std::min(*due, at) : at;
    }
    return due;
}

FetchedFile const* RemoteFiles::stored(std::string const& name) const {
    auto const key = kept_name(name);
    auto it = stored_.find(key);
    if (it == stored_.end()) return nullptr;
    // Two files whose URLs differ in their query only would share a row: neither trusts it.
    for (auto const& n : named_)
        if (n != name && kept_name(n) == key) return nullptr;
    return &it->second;
}

FileHost const* RemoteFiles::host_of(std::string const& name) const {
    for (auto const& h : options_.hosts)
        if (name.size() >= h.prefix.size() &&
            iequals(std::string_view(name).substr(0, h.prefix.size()), h.prefix))
            return &h;
    return nullptr;
}

Result<net::Request> RemoteFiles::request_for(std::string const& name, FileHost const* host,
                                              File const& f) const {
    net::Request r;
    if (host) {
        auto asked = host->request(name);
        if (!asked) return fail(asked.error());
        r = std::move(*asked);
    } else if (config::file_spec_of(name)) {
        return fail(std::string("no file host here fetches such files"));
    } else {
        r.url = name;
        // The credentials the configured URL carried, for its origin only (never a host's).
        if (auto c = credentials_.find(url_origin(name)); c != credentials_.end())
            r.header("Authorization", c->second);
        r.body_limit = kFileLimit;
    }
    // Validators only with a copy to fall back on: a 304 must name content we hold.
    if (f.has_content) {
        if (f.kept.etag) r.header("If-None-Match", *f.kept.etag);
        if (f.kept.last_modified) r.header("If-Modified-Since", *f.kept.last_modified);
    }
    return r;
}

// What an answer means for the file: a 304 keeps it, a 2xx replaces it (`changed` when the
// content differs); the error says why it could not be read.
std::optional<std::string> RemoteFiles::take(File& f, FileHost const* host,
                                             net::Response const& response, UnixTime now,
                                             bool& changed) {
    if (response.status == 304 && f.has_content) {
        ++stats_.not_modified;
        f.kept.outcome = "not_modified";
        f.kept.fetched_at = now;
        return std::nullopt;
    }
    if (net::classify_status(response.status) != net::StatusClass::success)
        return "http " + std::to_string(response.status) +
               (host && host->explain ? host->explain(response.status) : "");
    auto body = host ? host->body(response) : Result<std::string>(response.body);
    if (!body) return body.error();
    ++stats_.fetched;
    changed = !f.has_content || *body != f.content;
    f.content = std::move(*body);
    f.has_content = true;
    f.kept.outcome = "fetched";
    f.kept.fetched_at = now;
    auto const header = [&](std::string_view h) -> std::optional<std::string> {
        if (auto v = response.header(h)) return std::string(*v);
        return std::nullopt;
    };
    f.kept.etag = header("ETag");
    f.kept.last_modified = header("Last-Modified");
    return std::nullopt;
}

boost::asio::awaitable<bool> RemoteFiles::fetch(std::string const& name, UnixTime now) {
    auto [at, added] = files_.try_emplace(name);
    auto& f = at->second;
    if (auto const* kept = added ? stored(name) : nullptr) {
        // What the state file kept: the last good content and the validators to ask again with.
        f.kept = *kept;
        f.has_content = kept->content.has_value();
        f.content = kept->content.value_or("");
    }
    f.kept.name = name;
    f.attempted = true;
    f.next_due = now + options_.interval.count();
    f.kept.checked_at = now;
    auto const* host = host_of(name);
    std::optional<std::string> error;
    bool changed = false;
    if (auto request = request_for(name, host, f); !request) {
        error = request.error();
    } else {
        ++stats_.requests;
        auto response = co_await client_.fetch(std::move(*request));
        if (!response && response.error().kind == net::ErrorKind::cancelled) {
            // Shutting down: nothing was learnt, nothing is said or kept.
            cancelled_ = true;
            co_return false;
        }
        if (!response)
            error = std::string(net::to_string(response.error().kind)) + ": " +
                    response.error().message;
        else
            error = take(f, host, *response, now, changed);
    }
    if (error) {
        ++stats_.failed;
        f.kept.outcome = "error";
        f.kept.error = shown(redact_credentials(*error));
        // Said once, when it starts failing; its last good content stays in use.
        if (!f.failing)
            spdlog::error("requirements file {}: cannot be fetched: {}; {}", shown(name),
                          *f.kept.error,
                          f.has_content ? "its last good content stays in use"
                                        : "nothing of it was ever read");
        f.failing = true;
    } else {
        if (f.failing) spdlog::info("requirements file {}: fetched again", shown(name));
        f.failing = false;
        f.kept.error.reset();
        spdlog::debug("requirements file {}: {}", shown(name),
                      f.kept.outcome == "not_modified" ? "304 unchanged"
                      : changed                        ? "changed"
                                                       : "200 unchanged");
    }
    if (changed) ++stats_.changed;
    record(name, f);
    co_return changed;
}

void RemoteFiles::record(std::string const& name, File const& f) {
    if (!store_) return;
    FetchedFile kept = f.kept;
    kept.name = kept_name(name);
    // Two files whose URLs differ in their query only: kept in memory, not in one shared row.
    for (auto const& n : named_)
        if (n != name && kept_name(n) == kept.name) return;
    if (f.has_content) {
        // No password in the state file: a file whose content carries one (an index URL's
        // userinfo) is kept without it, and without its validators, so the next run fetches
        // it whole instead of trusting a copy that lacks the credentials.
        auto const clean = redact_credentials(f.content);
        kept.content = clean;
        if (clean != f.content) kept.etag.reset(), kept.last_modified.reset();
    }
    try {
        FetchedFiles(*store_).put(kept);
    } catch (std::exception const& e) {
        // The state file refuses writes: the content stays in memory; the next fetch retries.
        spdlog::debug("requirements file {}: not kept in the state file: {}", shown(name),
                      e.what());
    }
}

boost::asio::awaitable<bool> RemoteFiles::refresh(LoadOptions const& load, UnixTime now) {
    std::vector<LoadOptions> const one{load};
    co_return co_await refresh(one, now);
}

boost::asio::awaitable<bool> RemoteFiles::refresh(std::vector<LoadOptions> const& load,
                                                  UnixTime now) {
    if (!discovered_) {
        named_ = remote_files_named(load); // the stored copies name their includes
        discovered_ = true;
    }
    bool changed = false;
    std::set<std::string> done;
    for (int round = 0; round < kMaxRounds; ++round) {
        bool round_changed = false;
        for (auto const& name : std::vector<std::string>(named_)) {
            if (done.count(name)) continue;
            done.insert(name);
            auto it = files_.find(name);
            bool const due =
                it == files_.end() || !it->second.attempted || it->second.next_due <= now;
            if (due && co_await fetch(name, now)) round_changed = true;
            if (cancelled_) co_return changed || round_changed;
        }
        if (!round_changed) break;
        changed = true;
        // A changed file may include others: read what is held now to find them.
        ++stats_.discoveries;
        named_ = remote_files_named(load);
        if (std::all_of(named_.begin(), named_.end(),
                        [&](std::string const& n) { return done.count(n) > 0; }))
            break;
    }
    if (changed && store_) {
        try {
            std::vector<std::string> keep;
            for (auto const& n : named_)
                keep.push_back(kept_name(n));
            FetchedFiles(*store_).forget_others(keep);
        } catch (std::exception const&) {
            // kept rows of files no longer named cost nothing but a line in `status`
        }
    }
    co_return changed;
}

} // namespace pinwatch::watcher
