// pip requirements files read the way pip 23.0.1's req_file.py reads them (decoding, line
// joining, comments, ${VAR} expansion, options split off with shlex and parsed like optparse,
// nested -r/-c files), with each requirement line understood through packaging 23.0's grammar.
// Pure: files and environment variables come in through the hooks in ParseOptions, so this file
// opens nothing itself. It reports what it read; it never decides what to poll.
#pragma once

#include "common/diagnostic.hpp"
#include "common/result.hpp"
#include "packaging/marker.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pinwatch::packaging {

struct RequirementEntry {
    std::string name;      // PEP 503 normalised; "" for a URL or path whose name is unknown
    std::string text;      // the requirement as pip hands it on (after options were split off)
    std::string specifier; // str(SpecifierSet): normalised, sorted, comma-joined; "" if none
    std::vector<std::string> extras;   // sorted, as written (not normalised)
    std::optional<std::string> marker; // str(Marker), or none
    std::optional<std::string> url;    // "name @ URL", a bare URL or path, an editable's target
    bool editable = false;
    std::optional<std::string> pinned; // the version of a single "==" without ".*"
    bool applies = true;               // the marker holds in the target environment
    std::string file;                  // the file path as given / joined like pip joins it
    int line = 0;                      // first physical line (continuations keep it)
    bool constraint = false;           // came from a -c file
    // --hash values, per algorithm in the order given (pip keeps a dict of lists).
    std::vector<std::pair<std::string, std::vector<std::string>>> hashes;
    std::vector<std::string> install_options; // --install-option (deprecated in pip, recorded)
    std::vector<std::string> global_options;  // --global-option
    bool watchable = true;
    std::string reason; // why not watchable: "local path", "VCS URL", "direct URL", ...
    // Where in a pyproject.toml it came from ("project.dependencies",
    // "project.optional-dependencies", "dependency-groups"); "" for requirements files.
    std::string section;
    std::optional<std::string> group; // the extra or dependency group (PEP 503 normalised)
    // What the project itself asks for (true), what only other packages pull in (false).
    std::optional<bool> direct;       // nullopt: the files cannot tell
    std::optional<std::string> index; // the index URL the lock names for it
    std::vector<std::string> groups;  // a lock's groups (poetry/pdm groups, Pipfile sections, ...)
};

// What the option-only lines set, after every file was read. Values are kept as written; where
// pip lets one line override another (the last -i wins) we do the same.
struct RequirementsOptions {
    // pip's list of index URLs, split: the -i / --index-url / --pypi-url in effect (none: pip's
    // default) and the --extra-index-urls after it. As in pip, a -i drops the extra URLs given
    // before it, and --no-index drops both and ignores any given after it.
    std::optional<std::string> index_url;
    std::vector<std::string> extra_index_urls;
    bool no_index = false;
    std::vector<std::string> find_links; // -f: pip uses only the first one of each line
    bool pre = false;
    bool prefer_binary = false;
    // pip's --require-hashes option, only as written on an option line. A --hash on a requirement
    // puts pip in hash-checking mode too, but that is has_hashes, never this.
    bool require_hashes = false;
    bool has_hashes = false; // some requirement carried a --hash
    std::vector<std::string> trusted_hosts;
    // --use-feature from any line, deduplicated (pip 23.0.1 accumulates them in a list shared
    // by every line it parses, so a requirement line's --use-feature counts as well).
    std::vector<std::string> features_enabled;
    // pip's FormatControl after every --no-binary / --only-binary, in order (":all:" and
    // ":none:" handled as pip does; names PEP 503 normalised). Sorted for stable output.
    std::vector<std::string> no_binary;
    std::vector<std::string> only_binary;
};

struct RequirementsError : Diagnostic {
    // What went wrong, for callers that treat kinds differently (an unreadable top-level file
    // is fatal for `pinwatch deps`; a bad requirement line is not).
    enum class Kind {
        unreadable,  // a file could not be read (line 0 for a top-level file)
        encoding,    // undecodable bytes or an unsupported coding declaration
        options,     // shlex or option parsing failed (pip stops the whole parse here)
        requirement, // not a valid requirement / editable / URL line
        marker,      // the marker cannot be evaluated in the target environment
        cycle,       // an include names a file that is already being read
        lock,        // a lock file that is not what its format says (bad TOML/JSON, a bad key)
    };
    // file, line (0: the file as a whole, unreadable or undecodable) and message: Diagnostic.
    Kind kind = Kind::requirement;
};

std::string_view to_string(RequirementsError::Kind kind);

struct RequirementsSet {
    std::vector<RequirementEntry> entries;
    RequirementsOptions options;
    std::vector<RequirementsError> errors;
    std::vector<std::string> files; // every file read, in the order they were opened
};

// A file's bytes and an identity that is equal for two paths naming the same file (a canonical
// path), which is how cycles are recognised.
struct FileContent {
    std::string bytes;
    std::string identity;
};

// The process environment, as pip's os.getenv sees it: the default ${NAME} lookup.
std::optional<std::string> process_getenv(std::string const& name);

// What is at a local path, as Python's os.path sees it (symbolic links followed).
enum class PathKind { missing, file, directory, other };

struct ParseOptions {
    Environment environment; // markers are evaluated against it (extra = "")
    // Reads a requirements file. The error text explains why it could not be read. No default:
    // packaging/ opens no files (config::system_parse_options() supplies a disk reader), and
    // without one every include is reported as unreadable.
    std::function<Result<FileContent>(std::string const& path)> read_file;
    // ${NAME} lookup; nullopt (or "") leaves "${NAME}" as written, as pip does. Tests pass
    // their own to stay hermetic; null means no variable is set.
    std::function<std::optional<std::string>(std::string const& name)> getenv = process_getenv;
    // What is at a path, for the checks pip 23.0.1 makes on the disk: a requirement that looks
    // like a path must name an installable project directory (setup.py or pyproject.toml) or an
    // archive, else it is read as a PEP 508 string (and pip says whether the path exists); an
    // editable must name a directory unless it is a file: or VCS URL; a --find-links value that
    // exists next to the requirements file is joined to it. Relative paths are relative to the
    // working directory, as for pip. Null (the default): the disk is unknown, so paths are taken
    // for what they look like and never rejected for not existing.
    std::function<PathKind(std::string const& path)> exists;
    // Files that do not live on this disk (https:// URLs, github:OWNER/REPO/PATH@REF), which the
    // caller fetched before parsing. `is_remote(path)`: whether a path names one (read_file then
    // gets it as it is named). `join_remote(from, target)`: the name of the file that an include
    // of the remote file `from` points at (its error is reported at the including line). Null:
    // nothing is remote, and http(s) requirements files are refused.
    std::function<bool(std::string_view path)> is_remote;
    std::function<Result<std::string>(std::string const& from, std::string const& target)>
        join_remote;
    // The file name of a remote file ("uv.lock" of github:o/r/uv.lock@main), by which a lock
    // file is recognised; null: the path's last segment.
    std::function<std::string(std::string const& path)> remote_basename;
    // What os.path.abspath() joins relative paths to (pip reports such a --find-links folder as
    // an absolute path); "" when unknown: paths then stay relative, only normalised.
    std::string working_directory;
};

// Reads each file (and the files they include) in order. Problems never stop the reading: a
// bad line is reported with its file and line and the other lines still count. Includes are
// joined to the including file's directory as pip joins them (os.path.join(dirname(...))).
// A cycle of -r/-c includes is reported at the including line and not followed (pip 23.0.1
// itself recurses until Python's recursion limit).
RequirementsSet parse_requirements_files(std::vector<std::string> const& paths,
                                         ParseOptions const& options);

// Parses `content` as if it were the file `path` (nested -r/-c still go through read_file).
RequirementsSet parse_requirements_text(std::string_view content, std::string const& path,
                                        ParseOptions const& options);

// The fields a PEP 508 requirement decides: name (normalised), specifier, extras, marker, url,
// pinned, watchable/reason, and applies (the marker evaluated in `env` exactly as given, so set
// env.extra when the requirement belongs to an extra). Fails, leaving `entry` half-filled, when
// the marker cannot be evaluated.
struct Requirement;
Result<void> describe_requirement(Requirement const& req, Environment const& env,
                                  RequirementEntry& entry);

// ---------------------------------------------------------------------------------------------
// The steps, exposed for tests and for the differential oracle.
// ---------------------------------------------------------------------------------------------
namespace reqfile {

// pip's auto_decode: BOMs (UTF-8, UTF-16 LE/BE, UTF-32 BE; a UTF-32 LE BOM is read as UTF-16
// LE as pip's BOM order makes it), then a PEP 263 "coding[:=]" comment on one of the first two
// lines (utf-8, latin-1 and ascii spellings are supported, others are an error), else UTF-8.
// Bytes that are not valid in the encoding are replaced by U+FFFD and the physical lines
// holding them are listed in `bad_lines` (1-based) so those lines can be reported and skipped.
struct Decoded {
    std::string text;
    std::vector<int> bad_lines;
};
Result<Decoded> decode(std::string_view bytes);

// preprocess(): splitlines, join_lines, ignore_comments. `first` is the line number pip
// reports, `last` the last physical line folded into it.
struct LogicalLine {
    int first = 0;
    int last = 0;
    std::string text;
};
std::vector<LogicalLine> preprocess(std::string_view text);

// expand_env_variables() for one line.
std::string expand_env(std::string const& line,
                       std::function<std::optional<std::string>(std::string const&)> const& getenv);

// break_args_options(): the requirement part (tokens before the first one starting with "-",
// split on single spaces) and the options part.
std::pair<std::string, std::string> break_args_options(std::string_view line);

// shlex.split(text) in POSIX mode without comments.
Result<std::vector<std::string>> shlex_split(std::string_view text);

// One line's options, as optparse fills pip's Values for the requirements-file parser.
struct LineOptions {
    std::optional<std::string> index_url;
    std::vector<std::string> extra_index_urls;
    bool no_index = false;
    std::vector<std::string> constraints;
    std::vector<std::string> requirements;
    std::vector<std::string> editables;
    std::vector<std::string> find_links;
    std::vector<std::pair<bool, std::string>> format_control; // (is --no-binary, value)
    bool prefer_binary = false;
    bool require_hashes = false;
    bool pre = false;
    std::vector<std::string> trusted_hosts;
    std::vector<std::string> features_enabled;
    std::vector<std::string> install_options;
    std::vector<std::string> global_options;
    std::vector<std::pair<std::string, std::vector<std::string>>> hashes;
};

// pip-compile's and uv pip compile's "# via" annotations (one line, "# via a, -r x.in", or a
// block, "# via" then "#   a" lines), by the first line of the requirement they follow: true
// when one names an input file (-r / -c, or a pyproject.toml / setup.py), false when they name
// only packages. Requirements without annotations are not in the map.
std::map<int, bool> via_direct(std::string_view text);

// optparse over the shlex'd options, with pip's option table (23.0.1: no --config-settings in
// requirements files). Unambiguous prefixes of long options are accepted, as optparse does.
Result<LineOptions> parse_options(std::vector<std::string> const& args);

} // namespace reqfile

} // namespace pinwatch::packaging
