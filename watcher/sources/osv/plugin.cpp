// OSV as a plugin: the [advisories] table (where advisories come from, OSV's URL, how often,
// which names stay private), `check`'s --advisories/--osv-url/--private, and its registry
// entry. The entry builds the OSV source only when advisories come from OSV; with
// source = "index" the PyPI source reads them from each index's JSON API.
#include "config/reader.hpp"
#include "watcher/sources/osv/osv.hpp"
#include "watcher/sources/registry.hpp"

namespace pinwatch::watcher {
namespace {

AdvisorySettings read_table(config::Reader& r, toml::node const& node) {
    AdvisorySettings s;
    s.where = r.path + ":" + std::to_string(r.line_of(node));
    auto const* t = node.as_table();
    if (!t) {
        r.error(node, "key 'advisories': expected a table [advisories]");
        return s;
    }
    for (auto const& [key, value] : *t) {
        std::string const k(key.str());
        std::string const full = "advisories." + k;
        if (k == "source") {
            if (auto v = r.string(value, full)) {
                if (auto from = advisory_from(*v))
                    s.from = *from;
                else
                    r.error(value, "key '" + full +
                                       "': expected \"osv\", \"index\" or \"none\", got \"" + *v +
                                       "\"");
            }
        } else if (k == "osv_url") {
            if (auto v = r.string(value, full)) {
                if (auto bad = config::check_endpoint(*v))
                    r.error(value, "key '" + full + "': expected " + *bad);
                else
                    s.osv_url = *v + (v->back() == '/' ? "" : "/");
            }
        } else if (k == "interval") {
            if (auto d = r.duration(value, full, std::chrono::seconds(1))) s.interval = *d;
        } else if (k == "private") {
            r.strings(value, full, [&](std::string const& glob, toml::node const& item) {
                if (auto bad = private_glob_problem(glob))
                    r.error(item, "key '" + full + "': expected " + *bad);
                else
                    s.private_names.push_back(glob);
            });
        } else {
            r.unknown(value, k, "advisories", {"source", "osv_url", "interval", "private"});
        }
    }
    return s;
}

std::optional<std::string> http_url(std::string const& v) {
    if (v.rfind("https://", 0) != 0 && v.rfind("http://", 0) != 0)
        return "expected an http:// or https:// URL";
    return std::nullopt;
}

} // namespace

SourceEntry osv_entry() {
    SourceEntry e;
    e.kind = OsvSource::kKind;
    e.table = "advisories";
    e.read_table = [](config::Reader& r, config::TableNode const& t) -> std::any {
        return read_table(r, t.node);
    };
    e.check_flags = {
        {"--advisories", "SOURCE",
         "where advisories come from: osv (default: one request per 1,000 pins\n"
         "to --osv-url), index (each pin's JSON API page on its index), none",
         [](std::string const& v) -> std::optional<std::string> {
             if (advisory_from(v)) return std::nullopt;
             return "expected osv, index or none, got '" + v + "'";
         }},
        {"--osv-url", "URL", "the OSV API root (default https://api.osv.dev/)", http_url},
        {"--private", "NAME|GLOB",
         "never send this package's name to the advisory service (repeatable;\n"
         "PEP 503 names, globs like 'acme-*')",
         [](std::string const& v) { return private_glob_problem(v); }, true},
    };
    e.make = [](SourceSetup const& setup) -> Result<SourceBuild, std::string> {
        SourceBuild b;
        if (setup.mode == SourceSetup::Mode::report) return b;
        auto const settings = advisory_settings(setup);
        if (settings.from == AdvisorySettings::From::osv)
            b.advisories = std::make_unique<OsvSource>(settings.osv_url);
        return b;
    };
    return e;
}

} // namespace pinwatch::watcher
