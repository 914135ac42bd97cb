#include "config/check.hpp"

#include "config/files.hpp"
#include "config/remote_file.hpp"
#include "config/secrets.hpp"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <filesystem>
#include <sys/stat.h>

namespace pinwatch::config {
namespace {

namespace fs = std::filesystem;

int line_of(Config const& c, std::string const& key) {
    auto it = c.key_lines.find(key);
    return it == c.key_lines.end() ? 0 : it->second;
}

void sort_by_line(std::vector<ConfigError>& v) {
    std::stable_sort(v.begin(), v.end(), [](ConfigError const& a, ConfigError const& b) {
        return (a.line == 0 ? INT_MAX : a.line) < (b.line == 0 ? INT_MAX : b.line);
    });
}

// The files the config names must be readable regular files now: the daemon would otherwise
// start with nothing to watch, or fail at its first TLS handshake.
void check_files(Config const& c, std::vector<ConfigError>& errors) {
    auto const check = [&](std::string const& key, std::string const& file) {
        if (auto text = read_regular_file(file); !text)
            errors.push_back(
                {c.path, line_of(c, key), key + ": cannot read '" + file + "': " + text.error()});
    };
    // Whoever can change a requirements file chooses what is watched and, through its
    // --index-url, where the index credentials are sent.
    auto const owned = [&](std::string const& key, std::string const& file) {
        if (auto unsafe = unsafe_permissions(file))
            errors.push_back({c.path, line_of(c, key), key + ": " + *unsafe});
    };
    for (auto const& f : c.requirements) {
        if (is_remote_file(f)) continue; // fetched by the daemon; its name was checked
        check("requirements", f);
        owned("requirements", f);
    }
    for (auto const& f : c.pyproject) {
        check("pyproject", f);
        owned("pyproject", f);
    }
    // A project's files like the top-level ones; what is fetched from elsewhere (https://,
    // github:) is not on this disk to check.
    for (auto const& p : c.projects)
        for (auto const& f : p.files) {
            if (is_remote_file(f)) continue;
            check("projects." + p.name + ".files", f);
            owned("projects." + p.name + ".files", f);
        }
    if (c.http.extra_ca_file) check("http.extra_ca_file", *c.http.extra_ca_file);
}

// Secrets parse_config leaves to the notifier (the email password) are resolved here once, so
// a reference that does not resolve is an error now rather than at the first message.
void check_secrets(Config const& c, std::vector<ConfigError>& errors) {
    for (auto const& n : c.notifiers) {
        if (!n.settings) continue;
        for (auto& e : n.settings->check(c.path))
            errors.push_back(std::move(e));
    }
}

void check_literal_secrets(Config const& c, std::vector<ConfigError>& warnings) {
    if (c.literal_secrets.empty()) return;
    struct stat st {};
    if (::stat(c.path.c_str(), &st) != 0 || (st.st_mode & (S_IRGRP | S_IROTH)) == 0) return;
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    for (auto const& [key, line] : c.literal_secrets)
        warnings.push_back({c.path, line,
                            key +
                                ": a literal secret in a file readable by group or others "
                                "(mode " +
                                std::string(mode) +
                                "); use env:NAME, file:PATH or credential:NAME, or chmod 600 "
                                "the file"});
}

} // namespace

ConfigCheck check_config(std::string const& path, TableReaders const& owned,
                         ChannelReaders const& channels) {
    ConfigCheck out;
    auto text = read_regular_file(path);
    if (!text) {
        out.errors.push_back({path, 0, "cannot read the config file: " + text.error()});
        return out;
    }
    auto reading = read_config_text(*text, path, owned, channels);
    out.errors = std::move(reading.errors);
    // The config names the notifiers, the index and the secrets: only its owner may change it.
    if (auto unsafe = unsafe_permissions(path))
        out.errors.push_back({path, 0, "config: " + *unsafe});
    Config const& c = reading.config;
    check_files(c, out.errors);
    check_secrets(c, out.errors);
    check_literal_secrets(c, out.warnings);
    sort_by_line(out.errors);
    sort_by_line(out.warnings);
    if (out.errors.empty()) out.config = std::move(reading.config);
    return out;
}

} // namespace pinwatch::config
