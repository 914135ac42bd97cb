// Reading one TOML table of the config with the messages every key gets: "file:line: key:
// what was expected". config.cpp reads its own keys with it, and a component that owns a table
// (a source's [github]) reads that table with it, so every key of the file is reported alike.
#pragma once

#include "common/diagnostic.hpp"
#include "common/suggest.hpp"
#include "config/config.hpp"
#include "config/secrets.hpp"

#include <toml++/toml.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pinwatch::config {

// A table handed to its owner (TableRead): the node as toml++ parsed it, lines included.
struct TableNode {
    toml::node const& node;
};

// Puts a message in the one shape "key.path: what is wrong" (see reader.cpp).
std::string keyed(std::string msg);

struct Reader {
    explicit Reader(std::string p) : path(std::move(p)) {}
    std::string path;
    std::vector<ConfigError> errors;
    std::vector<std::pair<std::string, int>> literal_secrets;

    int line_of(toml::node const& n) const { return static_cast<int>(n.source().begin.line); }
    void error(toml::node const& n, std::string msg) {
        errors.push_back({path, line_of(n), keyed(std::move(msg))});
    }

    std::optional<std::string> string(toml::node const& n, std::string const& key) {
        if (auto s = n.value<std::string>()) return *s;
        error(n, "key '" + key + "': expected a string");
        return std::nullopt;
    }
    std::optional<bool> boolean(toml::node const& n, std::string const& key) {
        if (auto b = n.value<bool>()) return *b;
        error(n, "key '" + key + "': expected true or false");
        return std::nullopt;
    }
    std::optional<std::int64_t> integer(toml::node const& n, std::string const& key,
                                        std::int64_t lo, std::int64_t hi) {
        auto v = n.value<std::int64_t>();
        if (!v || !n.is_integer() || *v < lo || *v > hi) {
            error(n, "key '" + key + "': expected an integer from " + std::to_string(lo) + " to " +
                         std::to_string(hi));
            return std::nullopt;
        }
        return *v;
    }
    std::optional<std::chrono::seconds> duration(toml::node const& n, std::string const& key,
                                                 std::chrono::seconds min) {
        std::optional<std::chrono::seconds> d;
        if (n.is_integer())
            d = std::chrono::seconds(*n.value<std::int64_t>());
        else if (auto s = n.value<std::string>())
            d = parse_duration(*s);
        // A year is more than any interval or timeout needs, and keeps millisecond maths safe.
        constexpr std::chrono::seconds kMax{366LL * 86400};
        if (!d || *d < min || *d > kMax) {
            error(n, "key '" + key + "': expected a duration from " + std::to_string(min.count()) +
                         "s to 366d, like \"90s\", \"15m\", \"1h\" or a number of seconds");
            return std::nullopt;
        }
        return d;
    }
    // Strings of a list key: each one checked by `accept`, which reports its own errors.
    template <class F> void strings(toml::node const& n, std::string const& key, F&& accept) {
        auto const* arr = n.as_array();
        if (!arr) {
            error(n, "key '" + key + "': expected a list of strings");
            return;
        }
        for (auto const& item : *arr) {
            if (auto s = item.value<std::string>())
                accept(*s, item);
            else
                error(item, "key '" + key + "': expected a list of strings");
        }
    }
    std::vector<std::string> paths(toml::node const& n, std::string const& key) {
        std::vector<std::string> out;
        auto add = [&](toml::node const& item) {
            if (auto s = item.value<std::string>()) {
                std::filesystem::path p(*s);
                if (p.is_relative()) p = std::filesystem::path(path).parent_path() / p;
                out.push_back(p.lexically_normal().string());
            } else {
                error(item, "key '" + key + "': expected a file path (string)");
            }
        };
        if (auto const* arr = n.as_array()) {
            for (auto const& item : *arr)
                add(item);
        } else if (n.is_string()) {
            add(n);
        } else {
            error(n, "key '" + key + "': expected a list of file paths");
        }
        return out;
    }
    // A list of requirements files (the top-level `requirements`; a project's `files`): local
    // paths resolved against the config's folder like paths(), https:// URLs and
    // github:OWNER/REPO/PATH@REF kept as written once checked (their credentials are needed to
    // fetch them; remote_file_name() is what they are shown as). A bad entry is reported as
    // "key[i]: expected ..." (i counted from 0).
    std::vector<std::string> files(toml::node const& n, std::string const& key);
    // `known`: the keys the table takes, for a "did you mean" when one is close.
    void unknown(toml::node const& n, std::string const& key, std::string const& where,
                 std::vector<std::string_view> const& known = {}) {
        error(n, "unknown key '" + key + "'" + (where.empty() ? "" : " in [" + where + "]") +
                     did_you_mean(key, known));
    }
};

// A `[notifiers.<name>]` table handed to its channel's reader (ChannelRead), once its type is
// known: the channel keys it has, its own and other channels'.
struct ChannelTable {
    std::string where; // "notifiers.<name>", the prefix of every key it reports
    std::string type;
    toml::node const& node;                        // the table, for "missing key" messages
    std::map<std::string, toml::node const*> keys; // every channel key given
    ChannelReaders const& channels;                // every channel, to say whose a key is

    toml::node const* at(std::string const& key) const {
        auto it = keys.find(key);
        return it == keys.end() ? nullptr : it->second;
    }
    std::string full(std::string const& key) const { return where + "." + key; }
};

// Reports the keys of `t` that are not `own`: for a channel whose keys are a family of their
// own (`distinct`: email's SMTP settings), "not a setting of type 'email'"; elsewhere a key of
// such a family says which type takes it, and any other says what this type takes.
void reject_foreign_keys(Reader& r, ChannelTable const& t, std::vector<std::string> const& own,
                         bool distinct);

// Where a notifier or an API may be reached: https://, or plain http:// to this machine (tests,
// a local relay). The URL may be a secret, so the message says what is wrong without it.
std::optional<std::string> check_endpoint(std::string_view url);

// Resolves one secret-bearing setting and checks what it resolved to with `check` (which
// returns what was expected, or nothing). No message repeats the value.
template <class Check>
std::optional<std::string> read_secret(Reader& r, toml::node const& v, std::string const& full,
                                       Check&& check) {
    auto reference = r.string(v, full);
    if (!reference) return std::nullopt;
    if (!is_secret_reference(*reference)) r.literal_secrets.emplace_back(full, r.line_of(v));
    auto value = resolve_secret(*reference, std::filesystem::path(r.path).parent_path());
    if (!value) {
        r.error(v, "key '" + full + "': " + value.error());
        return std::nullopt;
    }
    if (auto expected = check(*value)) {
        // A reference (env:NAME, file:PATH) is not secret and says where to look.
        r.error(v, "key '" + full + "': " +
                       (is_secret_reference(*reference) ? *reference + " does not hold "
                                                        : std::string("expected ")) +
                       *expected);
        return std::nullopt;
    }
    return std::move(*value);
}

} // namespace pinwatch::config
