// Helpers shared by the files of watcher/state/ (and only them): optional binds and reads, and
// the event columns both the store and the outbox select.
#pragma once

#include "model/model.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include <optional>
#include <string>

namespace pinwatch::watcher::sql {

template <class T> void bind_opt(SQLite::Statement& q, int i, std::optional<T> const& v) {
    if (v)
        q.bind(i, *v);
    else
        q.bind(i);
}

inline std::optional<std::string> opt_text(SQLite::Column const& c) {
    if (c.isNull()) return std::nullopt;
    return c.getString();
}
inline std::optional<std::int64_t> opt_int(SQLite::Column const& c) {
    if (c.isNull()) return std::nullopt;
    return c.getInt64();
}

inline constexpr char const* kEventColumns =
    "id, kind, source, package, origin, version, "
    "update_type, allowed, pinned, specifier, detail, at, extra, link";

// The fields of an event that only some kinds carry (advisory, alternatives, Requires-Python),
// stored as one JSON object; "" when it has none.
std::string event_extra_to_json(model::Event const& e);
void event_extra_from_json(std::string const& text, model::Event& e);
std::string advisories_to_json(std::vector<model::Advisory> const& list);
std::vector<model::Advisory> advisories_from_json(std::string const& text);

// Reads an event selected with kEventColumns starting at column `first`.
inline model::Event read_event(SQLite::Statement& q, int first) {
    model::Event e;
    e.id = q.getColumn(first + 0).getString();
    e.kind = model::event_kind_from_string(q.getColumn(first + 1).getString())
                 .value_or(model::EventKind::new_release);
    e.source = q.getColumn(first + 2).getString();
    e.package = q.getColumn(first + 3).getString();
    e.origin = q.getColumn(first + 4).getString();
    e.version = opt_text(q.getColumn(first + 5));
    if (auto u = opt_text(q.getColumn(first + 6))) e.update = model::update_type_from_string(*u);
    if (!q.getColumn(first + 7).isNull()) e.allowed = q.getColumn(first + 7).getInt() != 0;
    e.pinned = opt_text(q.getColumn(first + 8));
    e.specifier = q.getColumn(first + 9).getString();
    e.detail = q.getColumn(first + 10).getString();
    e.at = q.getColumn(first + 11).getInt64();
    if (!q.getColumn(first + 12).isNull())
        event_extra_from_json(q.getColumn(first + 12).getString(), e);
    e.link = opt_text(q.getColumn(first + 13));
    return e;
}

} // namespace pinwatch::watcher::sql
