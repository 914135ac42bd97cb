#include "config/state_path.hpp"

#include "config/files.hpp"

#include <toml++/toml.h>

#include <filesystem>

namespace pinwatch::config {

Result<std::optional<std::string>, Diagnostic> read_state_setting(std::string const& path) {
    auto text = read_regular_file(path);
    if (!text) return fail(Diagnostic{path, 0, "cannot read the config file: " + text.error()});
    toml::table root;
    try {
        root = toml::parse(*text, path);
    } catch (toml::parse_error const& e) {
        return fail(Diagnostic{path, static_cast<int>(e.source().begin.line),
                               std::string("invalid TOML: ") + std::string(e.description())});
    }
    // `state = "path"`, or a [state] table whose `path` says it (as config.cpp reads both).
    auto const* node = root.get("state");
    if (!node) return std::optional<std::string>();
    std::string key = "state";
    if (auto const* table = node->as_table()) {
        node = table->get("path");
        if (!node) return std::optional<std::string>();
        key = "state.path";
    }
    auto const s = node->value<std::string>();
    if (!s || !node->is_string())
        return fail(Diagnostic{path, static_cast<int>(node->source().begin.line),
                               key + ": expected a string"});
    std::filesystem::path p(*s);
    if (p.is_relative()) p = std::filesystem::path(path).parent_path() / p;
    return std::optional<std::string>(p.lexically_normal().string());
}

} // namespace pinwatch::config
