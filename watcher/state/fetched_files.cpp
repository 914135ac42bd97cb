#include "watcher/state/fetched_files.hpp"

#include "watcher/state/sql.hpp"

#include <set>

namespace pinwatch::watcher {
namespace {

constexpr char const* kColumns =
    "name, content, etag, last_modified, fetched_at, checked_at, outcome, error";

FetchedFile row(SQLite::Statement& q) {
    FetchedFile f;
    f.name = q.getColumn(0).getString();
    f.content = sql::opt_text(q.getColumn(1));
    f.etag = sql::opt_text(q.getColumn(2));
    f.last_modified = sql::opt_text(q.getColumn(3));
    f.fetched_at = sql::opt_int(q.getColumn(4));
    f.checked_at = sql::opt_int(q.getColumn(5));
    f.outcome = q.getColumn(6).getString();
    f.error = sql::opt_text(q.getColumn(7));
    return f;
}

} // namespace

std::optional<FetchedFile> FetchedFiles::find(std::string const& name) const {
    auto& q =
        store_.statement(std::string("SELECT ") + kColumns + " FROM remote_files WHERE name = ?");
    q.bind(1, name);
    std::optional<FetchedFile> out;
    if (q.executeStep()) out = row(q);
    q.reset();
    return out;
}

std::vector<FetchedFile> FetchedFiles::all() const {
    std::vector<FetchedFile> out;
    // `status` opens older files read-only, without migrating them.
    auto& has = store_.statement(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'remote_files'");
    bool const exists = has.executeStep();
    has.reset();
    if (!exists) return out;
    auto& q =
        store_.statement(std::string("SELECT ") + kColumns + " FROM remote_files ORDER BY name");
    while (q.executeStep())
        out.push_back(row(q));
    q.reset();
    return out;
}

void FetchedFiles::put(FetchedFile const& f) {
    auto& q = store_.statement(std::string("INSERT OR REPLACE INTO remote_files (") + kColumns +
                               ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    q.bind(1, f.name);
    sql::bind_opt(q, 2, f.content);
    sql::bind_opt(q, 3, f.etag);
    sql::bind_opt(q, 4, f.last_modified);
    sql::bind_opt(q, 5, f.fetched_at);
    sql::bind_opt(q, 6, f.checked_at);
    q.bind(7, f.outcome);
    sql::bind_opt(q, 8, f.error);
    q.exec();
    q.reset();
}

int FetchedFiles::forget_others(std::vector<std::string> const& keep) {
    std::set<std::string> const kept(keep.begin(), keep.end());
    int n = 0;
    for (auto const& f : all()) {
        if (kept.count(f.name)) continue;
        auto& q = store_.statement("DELETE FROM remote_files WHERE name = ?");
        q.bind(1, f.name);
        n += q.exec();
        q.reset();
    }
    return n;
}

} // namespace pinwatch::watcher
