// Shared by the lock readers (packaging/locks/*.cpp) only: TOML access with line numbers, and
// the few ways every format turns a locked package into a RequirementEntry. Not included
// outside packaging/locks, so toml++ stays out of widely included headers.
#pragma once

#include "packaging/locks/locks.hpp"

#include <toml++/toml.h>

#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace pinwatch::packaging::locks::detail {

int line_of(toml::node const& n);

// Parses TOML, or reports "not valid TOML: ..." at its line and returns nullopt.
std::optional<toml::table> parse_toml(std::string_view bytes, std::string const& path,
                                      LockRead& out);

// Appends an error of kind `lock` (or `kind`) at `line`.
void error(LockRead& out, std::string const& path, int line, std::string message,
           RequirementsError::Kind kind = RequirementsError::Kind::lock);

// A string value of `key`, or nullopt (absent, or not a string: reported when `required` or
// when present with another type).
std::optional<std::string> string_at(toml::table const& t, std::string_view key, LockRead& out,
                                     std::string const& path, std::string_view where,
                                     bool required = false);

// A list of strings at `key`; a non-string item or a non-array is reported and skipped.
std::vector<std::string> strings_at(toml::table const& t, std::string_view key, LockRead& out,
                                    std::string const& path, std::string_view where);

// The entry of one locked package: name (normalised), file, line. `version` set: the pin
// (specifier "==<version>", text "name==version"); false when the version is no PEP 440
// version (reported, and the entry should be dropped).
RequirementEntry package_entry(std::string const& name, std::string const& path, int line);
bool pin(RequirementEntry& e, std::string const& version, LockRead& out);

// A package from git, a path, a directory, a URL or an editable/virtual source: listed with
// `where` as its url, no pin, and never polled (`reason` says why).
void not_polled(RequirementEntry& e, std::string const& where, std::string reason);

// Judges `text` as the entry's marker in `env` (`lock_file`: PEP 751's dialect). False, with
// the error reported, when it cannot be parsed or evaluated; the entry is still listed then.
bool judge_marker(RequirementEntry& e, std::string const& text, Environment const& env,
                  LockRead& out, bool lock_file = false);

// direct from the manifest's names (nullopt without a readable manifest).
void set_direct(RequirementEntry& e, std::optional<std::set<std::string>> const& names);

// The manifest's names when there is a readable one; its errors go to `out`.
std::optional<std::set<std::string>> direct_names(std::optional<Manifest> const& manifest,
                                                  bool pipfile, LockRead& out);

LockRead read_uv(std::string_view bytes, std::string const& path, Environment const& env);
LockRead read_poetry(std::string_view bytes, std::string const& path,
                     std::optional<Manifest> const& manifest, Environment const& env);
LockRead read_pdm(std::string_view bytes, std::string const& path,
                  std::optional<Manifest> const& manifest, Environment const& env);
LockRead read_pipfile(std::string_view bytes, std::string const& path,
                      std::optional<Manifest> const& manifest, Environment const& env);
LockRead read_pylock(std::string_view bytes, std::string const& path,
                     std::optional<Manifest> const& manifest, Environment const& env);

} // namespace pinwatch::packaging::locks::detail
