#include "watcher/sources/advisory.hpp"

#include "packaging/name.hpp"
#include "watcher/sources/registry.hpp"

#include <fnmatch.h>

#include <any>
#include <cctype>

namespace pinwatch::watcher {
namespace {

// A glob normalised as PEP 503 normalises names: lower case, each run of - _ . one '-'. The
// wildcards stay as they are.
std::string normalise_glob(std::string_view glob) {
    std::string out;
    bool run = false;
    for (char ch : glob) {
        if (ch == '-' || ch == '_' || ch == '.') {
            if (!run) out += '-';
            run = true;
            continue;
        }
        run = false;
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
    return out;
}

} // namespace

std::string_view to_string(AdvisorySettings::From f) {
    switch (f) {
    case AdvisorySettings::From::osv:
        return "osv";
    case AdvisorySettings::From::index:
        return "index";
    case AdvisorySettings::From::none:
        return "none";
    }
    return "osv";
}

std::optional<AdvisorySettings::From> advisory_from(std::string_view text) {
    if (text == "osv") return AdvisorySettings::From::osv;
    if (text == "index") return AdvisorySettings::From::index;
    if (text == "none") return AdvisorySettings::From::none;
    return std::nullopt;
}

AdvisorySettings advisory_settings(SourceSetup const& setup) {
    AdvisorySettings s;
    if (setup.mode == SourceSetup::Mode::daemon) {
        if (!setup.config) return s;
        auto const table = setup.config->tables.find("advisories");
        if (table != setup.config->tables.end())
            if (auto const* read = std::any_cast<AdvisorySettings>(&table->second)) s = *read;
        if (!s.interval) s.interval = setup.config->vulnerability_interval;
        return s;
    }
    if (auto f = setup.flags.find("--advisories"); f != setup.flags.end())
        s.from = advisory_from(f->second).value_or(s.from);
    if (auto f = setup.flags.find("--osv-url"); f != setup.flags.end())
        s.osv_url = f->second + (!f->second.empty() && f->second.back() == '/' ? "" : "/");
    // --private is repeatable: its values arrive one per line.
    if (auto f = setup.flags.find("--private"); f != setup.flags.end()) {
        std::size_t at = 0;
        while (at <= f->second.size()) {
            auto const end = f->second.find('\n', at);
            auto one = f->second.substr(at, end == std::string::npos ? end : end - at);
            if (!one.empty()) s.private_names.push_back(std::move(one));
            if (end == std::string::npos) break;
            at = end + 1;
        }
    }
    s.interval = std::chrono::seconds(0); // `check`: every pin's, now
    return s;
}

PrivateNames::PrivateNames(std::vector<std::string> const& globs) {
    for (auto const& g : globs)
        globs_.push_back(normalise_glob(g));
}

bool PrivateNames::matches(std::string_view name) const {
    if (globs_.empty()) return false;
    auto const normal = packaging::canonicalize_name(name);
    for (auto const& g : globs_)
        if (fnmatch(g.c_str(), normal.c_str(), 0) == 0) return true;
    return false;
}

std::optional<std::string> private_glob_problem(std::string const& glob) {
    if (glob.empty()) return "a package name or glob (not empty)";
    for (char ch : glob) {
        auto const c = static_cast<unsigned char>(ch);
        if (!std::isalnum(c) && ch != '-' && ch != '_' && ch != '.' && ch != '*' && ch != '?' &&
            ch != '[' && ch != ']' && ch != '!')
            return "a package name or glob (letters, digits, - _ . and * ? [...]), got '" + glob +
                   "'";
    }
    return std::nullopt;
}

} // namespace pinwatch::watcher
