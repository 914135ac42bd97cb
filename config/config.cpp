#include "config/config.hpp"

#include "common/suggest.hpp"
#include "common/text.hpp"
#include "config/environment.hpp"
#include "config/files.hpp"
#include "config/reader.hpp"
#include "config/secrets.hpp"
#include "packaging/name.hpp"
#include "packaging/specifier.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <filesystem>
#include <set>

namespace pinwatch::config {
namespace {

namespace fs = std::filesystem;

// Strings of a list key: each one checked by `accept`, which reports its own errors.
template <class F>
void each_string(Reader& r, toml::node const& n, std::string const& key, F&& accept) {
    auto const* arr = n.as_array();
    if (!arr) {
        r.error(n, "key '" + key + "': expected a list of strings");
        return;
    }
    for (auto const& item : *arr) {
        if (auto s = item.value<std::string>())
            accept(*s, item);
        else
            r.error(item, "key '" + key + "': expected a list of strings");
    }
}

// `update_types` (global or per package): the update kinds whose new releases are told.
std::set<model::UpdateType> read_update_types(Reader& r, toml::node const& n,
                                              std::string const& key) {
    std::set<model::UpdateType> out;
    each_string(r, n, key, [&](std::string const& s, toml::node const& item) {
        auto u = model::update_type_from_string(s);
        if (!u || *u == model::UpdateType::none)
            r.error(item, "key '" + key + "': unknown update type '" + s +
                              "' (expected major, minor, patch, pre-release or older)");
        else
            out.insert(*u);
    });
    return out;
}

// `ignore`: one PEP 440 specifier set, or a list of them; a release matching any is not told.
std::vector<std::string> read_ignore(Reader& r, toml::node const& n, std::string const& key) {
    std::vector<std::string> out;
    auto one = [&](std::string const& text, toml::node const& item) {
        auto spec = packaging::SpecifierSet::parse(text);
        if (!spec || spec->empty())
            r.error(item, "key '" + key + "': '" + text +
                              "' is not a PEP 440 specifier like \">=5\" or \"==4.2.*\"" +
                              (spec ? "" : ": " + spec.error()));
        else
            out.push_back(spec->str());
    };
    if (auto s = n.value<std::string>())
        one(*s, n);
    else if (n.is_array())
        each_string(r, n, key, one);
    else
        r.error(n, "key '" + key + "': expected a specifier (string) or a list of them");
    return out;
}

// One rule key, global or in a [packages.<name>] table; false when `key` is not a rule.
bool read_rule(Reader& r, std::string const& key, std::string const& full, toml::node const& n,
               model::RuleOverrides& into) {
    if (key == "update_types")
        into.update_types = read_update_types(r, n, full);
    else if (key == "pre") {
        if (auto b = r.boolean(n, full)) into.pre = *b;
    } else if (key == "min_release_age") {
        if (auto d = r.duration(n, full, std::chrono::seconds(0)))
            into.min_release_age = d->count();
    } else if (key == "ignore")
        into.ignore = read_ignore(r, n, full);
    else
        return false;
    return true;
}

// "127.0.0.1:9464", "[::1]:9464": an IP address (no names: nothing to resolve at start-up) and a
// port.
std::optional<std::pair<std::string, std::uint16_t>> parse_listen(std::string const& text) {
    std::string host, port;
    if (!text.empty() && text.front() == '[') {
        auto const close = text.find("]:");
        if (close == std::string::npos) return std::nullopt;
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
        if (host.find(':') == std::string::npos) return std::nullopt;
    } else {
        auto const colon = text.rfind(':');
        if (colon == std::string::npos) return std::nullopt;
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (host.find(':') != std::string::npos) return std::nullopt; // IPv6 needs brackets
    }
    if (host.empty() || port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
    if (host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string::npos)
        return std::nullopt;
    if (host.find(':') == std::string::npos) {
        int parts = 0;
        for (std::size_t at = 0; at <= host.size(); ++parts) {
            auto const dot = std::min(host.find('.', at), host.size());
            auto const piece = host.substr(at, dot - at);
            if (piece.empty() || piece.size() > 3 ||
                piece.find_first_not_of("0123456789") != std::string::npos ||
                std::stoi(piece) > 255)
                return std::nullopt;
            at = dot + 1;
        }
        if (parts != 4) return std::nullopt;
    }
    int const p = std::stoi(port);
    if (p > 65535) return std::nullopt;
    return std::pair(host, static_cast<std::uint16_t>(p));
}

bool is_loopback(std::string const& host) {
    return host.rfind("127.", 0) == 0 || host == "::1" || host == "0:0:0:0:0:0:0:1";
}

// `state = "path"`, or a [state] table: `path` and `keep` (how long delivered events stay).
void read_state(Reader& r, toml::node const& node, Config& c) {
    auto const set_path = [&](toml::node const& n, std::string const& key) {
        if (auto s = r.string(n, key)) {
            fs::path p(*s);
            if (p.is_relative()) p = fs::path(r.path).parent_path() / p;
            c.state = p.lexically_normal().string();
        }
    };
    auto const* t = node.as_table();
    if (!t) {
        if (!node.is_string()) {
            r.error(node, "key 'state': expected a file path, or a table [state] with path and "
                          "keep");
            return;
        }
        set_path(node, "state");
        return;
    }
    for (auto const& [k, v] : *t) {
        std::string const key(k.str());
        if (key == "path")
            set_path(v, "state.path");
        else if (key == "keep") {
            if (auto d = r.duration(v, "state.keep", std::chrono::seconds(3600))) c.state_keep = *d;
        } else
            r.unknown(v, key, "state");
    }
}

void read_metrics(Reader& r, toml::node const& node, Config& c) {
    auto const* t = node.as_table();
    if (!t) {
        r.error(node, "key 'metrics': expected a table [metrics]");
        return;
    }
    MetricsConfig m;
    toml::node const* listen = nullptr;
    for (auto const& [k, v] : *t) {
        std::string const key(k.str());
        if (key == "listen") {
            listen = &v;
            if (auto s = r.string(v, "metrics.listen")) {
                if (auto hp = parse_listen(*s)) {
                    m.host = hp->first;
                    m.port = hp->second;
                } else {
                    r.error(v, "key 'metrics.listen': expected an IP address and port, like "
                               "\"127.0.0.1:9464\" or \"[::1]:9464\", got '" +
                                   sanitize_text(*s) + "'");
                    listen = nullptr;
                }
            } else {
                listen = nullptr;
            }
        } else if (key == "allow_remote") {
            if (auto b = r.boolean(v, "metrics.allow_remote")) m.allow_remote = *b;
        } else if (key == "outbox_stale") {
            if (auto d = r.duration(v, "metrics.outbox_stale", std::chrono::seconds(60)))
                m.outbox_stale = *d;
        } else if (key == "dashboard") {
            if (auto b = r.boolean(v, "metrics.dashboard")) m.dashboard = *b;
        } else {
            r.unknown(v, key, "metrics", {"listen", "allow_remote", "outbox_stale", "dashboard"});
        }
    }
    if (!t->contains("listen")) {
        r.error(node, "[metrics]: missing key 'listen' (an address like \"127.0.0.1:9464\")");
        return;
    }
    if (!listen) return;
    if (!is_loopback(m.host) && !m.allow_remote) {
        r.error(*listen, "key 'metrics.listen': " + m.host +
                             " is not a loopback address; set allow_remote = true in [metrics] "
                             "to serve metrics beyond this machine");
        return;
    }
    c.metrics = m;
}

// A `packages` entry as a glob over normalised names: names are compared PEP 503-normalised;
// '*' and '?' survive normalisation only where they stand, so the pieces between them are
// normalised.
std::string package_glob(std::string const& s) {
    std::string glob, piece;
    auto flush = [&] {
        if (!piece.empty()) glob += packaging::canonicalize_name(piece);
        piece.clear();
    };
    for (char ch : s) {
        if (ch == '*' || ch == '?') {
            flush();
            glob += ch;
        } else {
            piece += ch;
        }
    }
    flush();
    return glob;
}

// A routing key of a notifier (events, packages, digest, update_types) into `route`: false
// when `key` is none of them.
bool read_route_key(Reader& r, std::string const& key, toml::node const& v, std::string const& full,
                    model::Route& route) {
    if (key == "events") {
        each_string(r, v, full, [&](std::string const& s, toml::node const& item) {
            if (auto kind = model::event_kind_from_string(s)) {
                route.events.insert(*kind);
                return;
            }
            std::string all;
            for (auto k2 : model::kAllEventKinds)
                all += std::string(all.empty() ? "" : ", ") + model::to_string(k2);
            r.error(item, "key '" + full + "': unknown event kind '" + s + "' (expected one of " +
                              all + ")");
        });
    } else if (key == "packages") {
        each_string(r, v, full, [&](std::string const& s, toml::node const& item) {
            auto glob = package_glob(s);
            if (glob.empty())
                r.error(item, "key '" + full + "': expected a package name or glob, got ''");
            else
                route.packages.push_back(std::move(glob));
        });
    } else if (key == "digest") {
        if (auto text = r.string(v, full)) {
            if (auto d = model::parse_digest(*text))
                route.digest = *d;
            else
                r.error(v, "key '" + full + "': expected \"hourly\", \"daily HH:MM\" or \"weekly " +
                               "mon HH:MM\" (local time), got '" + *text + "'");
        }
    } else if (key == "update_types") {
        each_string(r, v, full, [&](std::string const& s, toml::node const& item) {
            auto u = model::update_type_from_string(s);
            if (!u || *u == model::UpdateType::none || *u == model::UpdateType::older)
                r.error(item, "key '" + full + "': unknown update type '" + s +
                                  "' (expected major, minor, patch or pre-release)");
            else
                route.update_types.insert(*u);
        });
    } else {
        return false;
    }
    return true;
}

// The keys every notifier takes, in order: those that route and time it are read here
// (kCommonNotifierKeys of them); every channel's own follow, in registry order, and are read
// by the channel once its type is known.
constexpr std::size_t kCommonNotifierKeys = 7;

std::vector<std::string_view> notifier_keys(ChannelReaders const& channels) {
    std::vector<std::string_view> known = {"type",    "events",       "packages",    "digest",
                                           "max_age", "update_types", "batch_window"};
    for (auto const& ch : channels)
        for (auto const& k : ch.keys)
            if (std::find(known.begin(), known.end(), k) == known.end()) known.push_back(k);
    return known;
}

// `type`: the channel that reads the rest, or nullptr after reporting an unknown one.
ChannelReader const* read_type(Reader& r, toml::node const& v, std::string const& full,
                               ChannelReaders const& channels, std::string const& types) {
    auto s = r.string(v, full);
    if (!s) return nullptr;
    for (auto const& ch : channels)
        if (ch.type == *s) return &ch;
    r.error(v, "key '" + full + "': unknown notifier type '" + *s + "' (expected " + types + ")");
    return nullptr;
}

void read_notifier(Reader& r, std::string const& name, toml::node const& node, Config& c,
                   ChannelReaders const& channels) {
    std::string const where = "notifiers." + name;
    auto const* t = node.as_table();
    if (!t) {
        r.error(node, "key '" + where + "': expected a table [" + where + "]");
        return;
    }
    NotifierConfig n;
    n.name = name;
    n.route.notifier = name;
    n.line = r.line_of(node);
    auto const known = notifier_keys(channels);
    std::optional<std::chrono::seconds> batch_window;
    std::map<std::string, toml::node const*> settings; // read by the channel's reader
    std::string types;
    for (auto const& ch : channels)
        types += (types.empty() ? "" : ", ") + ch.type;
    ChannelReader const* channel = nullptr;
    for (auto const& [k, v] : *t) {
        std::string const key(k.str());
        std::string const full = where + "." + key;
        if (key == "type") {
            channel = read_type(r, v, full, channels, types);
            if (channel) n.type = channel->type;
        } else if (read_route_key(r, key, v, full, n.route)) {
            continue;
        } else if (key == "max_age") {
            if (auto d = r.duration(v, full, std::chrono::seconds(60))) n.max_age = *d;
        } else if (key == "batch_window") {
            if (auto d = r.duration(v, full, std::chrono::seconds(0))) batch_window = *d;
        } else if (std::find(known.begin() + kCommonNotifierKeys, known.end(), key) !=
                   known.end()) {
            settings[key] = &v; // the channel's, read below once the type is known
        } else {
            r.unknown(v, key, where, known);
        }
    }
    if (n.type.empty() && !t->contains("type")) {
        r.error(node, "[" + where + "]: missing key 'type' (expected one of: " + types + ")");
        return;
    }
    if (!channel) return;
    n.batch_window = batch_window.value_or(channel->batch_window);
    n.settings = channel->read(r, ChannelTable{where, n.type, node, std::move(settings), channels});
    if (!n.settings) return;
    c.notifiers.push_back(std::move(n));
}

} // namespace

std::vector<ProjectConfig> all_projects(Config const& c) {
    std::vector<ProjectConfig> out;
    if (!c.requirements.empty() || !c.pyproject.empty()) {
        ProjectConfig d;
        d.name = kDefaultProject;
        d.files = c.requirements;
        d.pyproject = c.pyproject;
        d.python_version = c.python_version;
        d.index_url = c.index_url;
        out.push_back(std::move(d));
    }
    for (auto p : c.projects) {
        if (!p.python_version) p.python_version = c.python_version;
        if (!p.index_url) p.index_url = c.index_url;
        out.push_back(std::move(p));
    }
    return out;
}

std::optional<std::chrono::seconds> parse_duration(std::string const& text) {
    if (text.empty()) return std::nullopt;
    std::int64_t total = 0;
    std::size_t i = 0;
    bool any = false;
    while (i < text.size()) {
        if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
        std::int64_t n = 0;
        while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
            n = n * 10 + (text[i] - '0');
            if (n > 100'000'000) return std::nullopt;
            ++i;
        }
        std::int64_t unit = 1;
        if (i < text.size()) {
            switch (text[i]) {
            case 's':
                unit = 1;
                break;
            case 'm':
                unit = 60;
                break;
            case 'h':
                unit = 3600;
                break;
            case 'd':
                unit = 86400;
                break;
            default:
                return std::nullopt;
            }
            ++i;
        } else if (any) {
            return std::nullopt; // "1h30" is ambiguous
        }
        total += n * unit;
        any = true;
    }
    return std::chrono::seconds(total);
}

namespace {

// [packages.<name>] (or [projects.<p>.packages.<name>]: `prefix` "projects.<p>."): per-package
// rule overrides, in file order.
void read_package_tables(Reader& r, toml::node const& node, std::string const& prefix,
                         std::map<std::string, model::RuleOverrides>& packages,
                         std::map<std::string, int>& lines) {
    auto const* t = node.as_table();
    if (!t) {
        r.error(node,
                "key '" + prefix + "packages': expected tables [" + prefix + "packages.<name>]");
        return;
    }
    // In file order, so the second spelling of a name is the one reported.
    std::vector<std::pair<std::string, toml::node const*>> tables;
    for (auto const& [pk, pn] : *t)
        tables.emplace_back(std::string(pk.str()), &pn);
    std::stable_sort(tables.begin(), tables.end(), [&](auto const& a, auto const& b) {
        return r.line_of(*a.second) < r.line_of(*b.second);
    });
    std::map<std::string, std::pair<std::string, int>> seen; // normalised -> key, line
    for (auto const& [name, pnp] : tables) {
        auto const& pn = *pnp;
        std::string const where = prefix + "packages." + name;
        if (!packaging::is_valid_name(name)) {
            r.error(pn, "[" + where + "]: not a valid project name");
            continue;
        }
        auto const* pt = pn.as_table();
        if (!pt) {
            r.error(pn, "key '" + where + "': expected a table [" + where + "]");
            continue;
        }
        std::string const normal = packaging::canonicalize_name(name);
        auto const [it, fresh] = seen.emplace(normal, std::pair(name, r.line_of(pn)));
        if (!fresh) {
            r.error(pn, "[" + where + "]: '" + name + "' and '" + it->second.first + "' (line " +
                            std::to_string(it->second.second) + ") name the same package '" +
                            normal + "' once normalised (PEP 503); keep one");
            continue;
        }
        model::RuleOverrides o;
        for (auto const& [rk, rn] : *pt) {
            std::string const rule(rk.str());
            if (!read_rule(r, rule, where + "." + rule, rn, o))
                r.error(rn, "unknown key '" + rule + "' in [" + where + "]" +
                                did_you_mean(rule,
                                             {"update_types", "pre", "min_release_age", "ignore"}) +
                                " (expected update_types, pre, min_release_age or "
                                "ignore)");
        }
        packages[normal] = std::move(o);
        lines[normal] = r.line_of(pn);
    }
}

void read_packages(Reader& r, toml::node const& node, Config& c) {
    read_package_tables(r, node, "", c.packages, c.package_lines);
}

// An index URL (global or a project's): http:// or https://.
std::optional<std::string> read_index_url(Reader& r, toml::node const& node,
                                          std::string const& key) {
    auto s = r.string(node, key);
    if (!s) return std::nullopt;
    if (s->rfind("https://", 0) != 0 && s->rfind("http://", 0) != 0) {
        r.error(node, "key '" + key + "': expected an http:// or https:// URL");
        return std::nullopt;
    }
    return s;
}

bool valid_project_name(std::string const& name) {
    return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.';
    });
}

// One [projects.<name>] table.
void read_project(Reader& r, std::string const& name, toml::node const& node, Config& c) {
    std::string const where = "projects." + name;
    auto const* t = node.as_table();
    if (!t) {
        r.error(node, "key '" + where + "': expected a table [" + where + "]");
        return;
    }
    if (!valid_project_name(name)) {
        r.error(node, "key '" + where +
                          "': not a valid project name (letters, digits, '-', '_' "
                          "and '.', at most 64)");
        return;
    }
    ProjectConfig p;
    p.name = name;
    p.line = r.line_of(node);
    bool has_files = false;
    for (auto const& [k, v] : *t) {
        std::string const key(k.str());
        std::string const full = where + "." + key;
        c.key_lines[full] = r.line_of(v);
        if (key == "files") {
            has_files = true;
            p.files = r.files(v, full);
        } else if (key == "notifiers") {
            std::vector<std::string> names;
            r.strings(v, full,
                      [&](std::string const& s, toml::node const&) { names.push_back(s); });
            p.notifiers = std::move(names);
        } else if (key == "transitive") {
            if (auto s = r.string(v, full)) {
                if (auto mode = model::transitive_from_string(*s))
                    p.transitive = *mode;
                else
                    r.error(v, "key '" + full +
                                   "': expected \"urgent\", \"all\" or \"none\", got '" +
                                   sanitize_text(*s) + "'" +
                                   did_you_mean(*s, {"urgent", "all", "none"}));
            }
        } else if (key == "python_version") {
            if (auto s = r.string(v, full)) {
                if (auto env = with_python_version(fallback_environment(), *s); !env)
                    r.error(v, "key '" + full + "': " + env.error());
                else
                    p.python_version = *s;
            }
        } else if (key == "index_url") {
            p.index_url = read_index_url(r, v, full);
        } else if (key == "packages") {
            read_package_tables(r, v, where + ".", p.packages, p.package_lines);
        } else {
            r.unknown(
                v, key, where,
                {"files", "notifiers", "transitive", "python_version", "index_url", "packages"});
        }
    }
    if (!has_files) {
        r.error(node, "[" + where +
                          "]: missing key 'files' (expected a list of requirements, "
                          "pyproject or lock files)");
        return;
    }
    c.projects.push_back(std::move(p));
}

// [projects]: `files_interval` and one [projects.<name>] table per project.
void read_projects(Reader& r, toml::node const& node, Config& c) {
    auto const* t = node.as_table();
    if (!t) {
        r.error(node, "key 'projects': expected tables [projects.<name>]");
        return;
    }
    for (auto const& [k, v] : *t) {
        std::string const key(k.str());
        if (key == "files_interval") {
            c.key_lines["projects.files_interval"] = r.line_of(v);
            if (auto d = r.duration(v, "projects.files_interval", std::chrono::seconds(10)))
                c.files_interval = *d;
        } else if (v.is_table()) {
            read_project(r, key, v, c);
        } else {
            r.unknown(v, key, "projects", {"files_interval"});
        }
    }
}

// Checks that need the whole file: the names a project's `notifiers` lists exist, and no
// [projects.default] beside the top-level files that form that project.
void check_projects(Reader& r, Config& c) {
    std::vector<std::string> known;
    for (auto const& n : c.notifiers)
        known.push_back(n.name);
    bool const named_console = std::find(known.begin(), known.end(), "console") != known.end();
    if (c.console && !named_console) known.push_back("console");
    std::vector<std::string_view> const wanted(known.begin(), known.end());
    std::string list;
    for (auto const& k : known)
        list += (list.empty() ? "" : ", ") + k;
    bool const top_level = !c.requirements.empty() || !c.pyproject.empty();
    for (auto const& p : c.projects) {
        std::string const where = "projects." + p.name;
        if (p.name == kDefaultProject && top_level)
            r.errors.push_back(
                {r.path, p.line,
                 where + ": the top-level 'requirements'/'pyproject' already form the project "
                         "'default'; name this one differently or move those files into it"});
        if (!p.notifiers) continue;
        int const line =
            c.key_lines.count(where + ".notifiers") ? c.key_lines[where + ".notifiers"] : p.line;
        for (auto const& n : *p.notifiers)
            if (std::find(known.begin(), known.end(), n) == known.end())
                r.errors.push_back({r.path, line,
                                    where + ".notifiers: no notifier named '" + sanitize_text(n) +
                                        "'" + did_you_mean(n, wanted) +
                                        " (configured: " + (list.empty() ? "none" : list) + ")"});
    }
}

// [http]: timeouts, connections per host, an extra CA file.
void read_http(Reader& r, toml::node const& node, Config& c, std::string const& path) {
    auto const* t = node.as_table();
    if (!t) {
        r.error(node, "key 'http': expected a table [http]");
        return;
    }
    for (auto const& [hk, hn] : *t) {
        std::string const h(hk.str());
        if (h == "timeout") {
            if (auto d = r.duration(hn, "http.timeout", std::chrono::seconds(1)))
                c.http.timeout = *d;
        } else if (h == "connect_timeout") {
            if (auto d = r.duration(hn, "http.connect_timeout", std::chrono::seconds(1)))
                c.http.connect_timeout = *d;
        } else if (h == "max_in_flight_per_host") {
            if (auto n = r.integer(hn, "http.max_in_flight_per_host", 1, 256))
                c.http.max_in_flight_per_host = static_cast<int>(*n);
        } else if (h == "extra_ca_file") {
            if (auto s = r.string(hn, "http.extra_ca_file")) {
                fs::path p(*s);
                if (p.is_relative()) p = fs::path(path).parent_path() / p;
                c.http.extra_ca_file = p.lexically_normal().string();
                c.key_lines["http.extra_ca_file"] = r.line_of(hn);
            }
        } else {
            r.unknown(hn, h, "http",
                      {"timeout", "connect_timeout", "max_in_flight_per_host", "extra_ca_file"});
        }
    }
}

// [intervals]: a package's own poll interval.
void read_intervals(Reader& r, toml::node const& node, Config& c) {
    auto const* t = node.as_table();
    if (!t) {
        r.error(node, "key 'intervals': expected a table [intervals] of package = duration");
        return;
    }
    // In file order, so the second spelling of a name is the one reported.
    std::vector<std::pair<std::string, toml::node const*>> keys;
    for (auto const& [pk, pn] : *t)
        keys.emplace_back(std::string(pk.str()), &pn);
    std::stable_sort(keys.begin(), keys.end(), [&](auto const& a, auto const& b) {
        return r.line_of(*a.second) < r.line_of(*b.second);
    });
    std::map<std::string, std::pair<std::string, int>> seen; // normalised -> key, line
    for (auto const& [name, pn] : keys) {
        if (!packaging::is_valid_name(name)) {
            r.error(*pn, "key 'intervals." + name + "': not a valid project name");
            continue;
        }
        std::string const normal = packaging::canonicalize_name(name);
        auto const [it, fresh] = seen.emplace(normal, std::pair(name, r.line_of(*pn)));
        if (!fresh) {
            // Two paces for one package: which one was meant is not for us to guess.
            r.error(*pn, "key 'intervals." + name + "': '" + name + "' (line " +
                             std::to_string(r.line_of(*pn)) + ") and '" + it->second.first +
                             "' (line " + std::to_string(it->second.second) +
                             ") name the same package '" + normal +
                             "' once normalised (PEP 503); keep one");
            continue;
        }
        if (auto d = r.duration(*pn, "intervals." + name, std::chrono::seconds(1)))
            c.intervals[normal] = *d;
    }
}

// The keys a config file takes at its top level, the sources' tables ([github]) included.
std::vector<std::string_view> top_level_keys(TableReaders const& owned) {
    std::vector<std::string_view> known = {
        "state",        "index_url",       "interval",       "jitter",
        "requirements", "pyproject",       "python_version", "pre",
        "update_types", "min_release_age", "ignore",         "vulnerability_interval",
        "packages",     "failing_after",   "http",           "intervals",
        "notifiers",    "metrics",         "console",        "projects"};
    for (auto const& [table, read] : owned)
        known.push_back(table);
    return known;
}

// A top-level key saying what is watched and how often; false when `key` is none of them.
bool read_watch_key(Reader& r, std::string const& key, toml::node const& node, Config& c) {
    if (key == "index_url") {
        if (auto s = read_index_url(r, node, key)) c.index_url = *s;
    } else if (key == "projects") {
        read_projects(r, node, c);
    } else if (key == "interval") {
        if (auto d = r.duration(node, key, std::chrono::seconds(1))) c.interval = *d;
    } else if (key == "jitter") {
        auto v = node.value<double>();
        if (!v || *v < 0 || *v > 0.5)
            r.error(node, "key 'jitter': expected a fraction from 0 to 0.5");
        else
            c.jitter = *v;
    } else if (key == "requirements") {
        c.requirements = r.files(node, key);
    } else if (key == "pyproject") {
        c.pyproject = r.paths(node, key);
    } else if (key == "python_version") {
        if (auto s = r.string(node, key)) {
            if (auto env = with_python_version(fallback_environment(), *s); !env)
                r.error(node, "key 'python_version': " + env.error());
            else
                c.python_version = *s;
        }
    } else if (key == "pre" || key == "update_types" || key == "min_release_age" ||
               key == "ignore") {
        model::RuleOverrides given;
        read_rule(r, key, key, node, given);
        c.rules = given.over(c.rules);
        if (key == "pre" && given.pre) c.pre = *given.pre;
    } else if (key == "vulnerability_interval") {
        if (auto d = r.duration(node, key, std::chrono::seconds(1))) c.vulnerability_interval = *d;
    } else if (key == "packages") {
        read_packages(r, node, c);
    } else if (key == "failing_after") {
        if (auto n = r.integer(node, key, 1, 1000)) c.failing_after = static_cast<int>(*n);
    } else if (key == "intervals") {
        read_intervals(r, node, c);
    } else {
        return false;
    }
    return true;
}

// A top-level key about the daemon itself (state, http, notifiers, metrics, console); false
// when `key` is none of them.
bool read_service_key(Reader& r, std::string const& key, toml::node const& node, Config& c,
                      ChannelReaders const& channels) {
    if (key == "state") {
        read_state(r, node, c);
    } else if (key == "http") {
        read_http(r, node, c, c.path);
    } else if (key == "notifiers") {
        auto const* t = node.as_table();
        if (!t) {
            r.error(node, "key 'notifiers': expected tables [notifiers.<name>]");
            return true;
        }
        for (auto const& [nk, nn] : *t)
            read_notifier(r, std::string(nk.str()), nn, c, channels);
    } else if (key == "metrics") {
        read_metrics(r, node, c);
    } else if (key == "console") {
        if (auto b = r.boolean(node, key)) c.console = *b;
    } else {
        return false;
    }
    return true;
}

// What only the whole config can tell (something to watch, the projects together), and the
// projects, notifiers and problems in file order.
void finish_config(Reader& r, Config& c) {
    if (c.requirements.empty() && c.pyproject.empty() && c.projects.empty())
        r.errors.push_back({c.path, 0,
                            "requirements: nothing to watch: set 'requirements' (and/or "
                            "'pyproject') to a list of files, or add [projects.<name>] tables "
                            "with 'files'"});
    // toml++ walks tables in key order; people read files top to bottom.
    std::stable_sort(
        c.projects.begin(), c.projects.end(),
        [](ProjectConfig const& a, ProjectConfig const& b) { return a.line < b.line; });
    std::stable_sort(
        c.notifiers.begin(), c.notifiers.end(),
        [](NotifierConfig const& a, NotifierConfig const& b) { return a.line < b.line; });
    check_projects(r, c);
    std::stable_sort(r.errors.begin(), r.errors.end(),
                     [](ConfigError const& a, ConfigError const& b) {
                         return (a.line == 0 ? INT_MAX : a.line) < (b.line == 0 ? INT_MAX : b.line);
                     });
}

} // namespace

ConfigReading read_config_text(std::string const& text, std::string const& path,
                               TableReaders const& owned, ChannelReaders const& channels) {
    toml::table root;
    ConfigReading reading;
    Config& c = reading.config;
    c.path = path;
    try {
        root = toml::parse(text, path);
    } catch (toml::parse_error const& e) {
        reading.errors.push_back({path, static_cast<int>(e.source().begin.line),
                                  std::string("invalid TOML: ") + std::string(e.description())});
        return reading;
    }
    Reader r(path);
    for (auto const& [k, node] : root) {
        std::string const key(k.str());
        c.key_lines[key] = r.line_of(node);
        if (read_watch_key(r, key, node, c) || read_service_key(r, key, node, c, channels))
            continue;
        if (auto const table = owned.find(key); table != owned.end())
            c.tables[key] = table->second(r, TableNode{node}); // a source's own table
        else
            r.unknown(node, key, "", top_level_keys(owned));
    }
    finish_config(r, c);
    c.literal_secrets = std::move(r.literal_secrets);
    reading.errors = std::move(r.errors);
    return reading;
}

Result<Config, std::vector<ConfigError>> parse_config(std::string const& text,
                                                      std::string const& path,
                                                      TableReaders const& owned,
                                                      ChannelReaders const& channels) {
    auto reading = read_config_text(text, path, owned, channels);
    if (!reading.errors.empty()) return fail(std::move(reading.errors));
    return std::move(reading.config);
}

Result<Config, std::vector<ConfigError>>
load_config(std::string const& path, TableReaders const& owned, ChannelReaders const& channels) {
    // A regular file of 4 MiB at most: --config DIR says so instead of "nothing to watch", and
    // a FIFO or a device is refused instead of hanging or filling memory.
    auto text = read_regular_file(path);
    if (!text)
        return fail(
            std::vector<ConfigError>{{path, 0, "cannot read the config file: " + text.error()}});
    return parse_config(*text, path, owned, channels);
}

} // namespace pinwatch::config
