// Lock files (uv.lock, poetry.lock, pdm.lock, Pipfile.lock, pylock.toml) read into the entries
// requirements files give: one RequirementEntry per locked package, with its pin, source, marker,
// groups, whether the project asks for it itself (direct) and the index the lock names for it.
// Pure functions from bytes to entries and errors: the caller reads the files (the lock and the
// manifest beside it); nothing here opens a file or decides what to poll.
#pragma once

#include "packaging/marker.hpp"
#include "packaging/requirements_file.hpp"

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace pinwatch::packaging::locks {

enum class Format { uv, poetry, pdm, pipfile, pylock };

// By file name alone (the folders do not count): "uv.lock", "poetry.lock", "pdm.lock",
// "Pipfile.lock", "pylock.toml" and PEP 751's named "pylock.<name>.toml"; nullopt for anything
// else (a requirements file).
std::optional<Format> format_of(std::string_view path);
std::string_view to_string(Format format); // "uv.lock", "poetry.lock", ...

// The manifest a lock of this format is written from, looked for in the lock's folder
// ("pyproject.toml", or "Pipfile" for Pipfile.lock); "" for uv.lock, which names its workspace
// members itself.
std::string_view manifest_name(Format format);

// A manifest's bytes and path (for messages).
struct Manifest {
    std::string path;
    std::string bytes;
};

struct LockRead {
    std::vector<RequirementEntry> entries; // in file order
    std::vector<RequirementsError> errors; // what could not be read, with file and line
};

// Reads `bytes` as the lock file `path` of `format`. Markers are judged against `env` (for
// pylock.toml with its default groups and no extras). `manifest`, when there is one beside the
// lock, decides `direct` for poetry, pdm, Pipfile and pylock locks (nullopt: direct stays
// unknown). Problems never stop the reading: what could be read is still returned.
LockRead read_lock(Format format, std::string_view bytes, std::string const& path,
                   std::optional<Manifest> const& manifest, Environment const& env);

// The projects a manifest asks for itself, PEP 503 normalised: a pyproject.toml's
// [project] dependencies and optional dependencies, [dependency-groups], Poetry's
// [tool.poetry.*dependencies] and PDM's [tool.pdm.dev-dependencies]; a Pipfile's [packages],
// [dev-packages] and other package categories. An error (with the manifest's line) when it is
// not valid TOML.
struct ManifestNames {
    std::set<std::string> names;
    std::vector<RequirementsError> errors;
    bool readable = false; // parsed as TOML: `names` is what it asks for
};
ManifestNames manifest_names(Manifest const& manifest, bool pipfile);

} // namespace pinwatch::packaging::locks
