// Turns requirements files and pyproject.toml into Subscriptions: which lines are watched,
// which are skipped (and why), which were rejected. Shared by `check` and `run`, which re-runs
// it every cycle so edits to the files take effect without a restart.
#pragma once

#include "common/diagnostic.hpp"
#include "config/config.hpp"
#include "model/model.hpp"
#include "packaging/requirements_file.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace pinwatch::watcher {

using namespace pinwatch::model;

// The content of a file that lives elsewhere, by its name (config::remote_file_name), as last
// fetched (watcher/remote_files.hpp); the error says why there is none.
using RemoteRead = std::function<Result<std::string>(std::string const& name)>;

struct LoadOptions {
    // -r files: local paths, https:// URLs and github:OWNER/REPO/PATH@REF (read through
    // read_remote, by the names config::remote_file_name gives them).
    std::vector<std::string> requirements;
    std::vector<std::string> pyproject;        // pyproject.toml files
    std::optional<std::string> python_version; // marker environment override
    std::optional<std::string> index_url; // explicit (--index-url or config): wins over the files
    bool pre = false;                     // allow pre-releases everywhere (like pip --pre)
    std::map<std::string, std::int64_t> intervals; // normalised name -> seconds between polls
    Rules rules;                                   // what is worth telling, for every package
    std::map<std::string, RuleOverrides> packages; // normalised name -> its own rules
    // The project these files are ("default": the top-level `requirements`/`pyproject`), its
    // own [projects.<p>.packages.<name>] rules (over `packages`), and what it is told of the
    // packages it only pulls in.
    std::string project = config::kDefaultProject;
    std::map<std::string, RuleOverrides> project_packages;
    Transitive transitive = Transitive::urgent;
    RemoteRead read_remote; // null: files that live elsewhere are unreadable
};

// One LoadOptions per project of the config (config::all_projects), in its order: a project's
// `files` named pyproject.toml are read as pyproject files, the rest like `requirements`.
std::vector<LoadOptions> project_load_options(config::Config const& config);

// The files that live elsewhere (https:// or a file host's) that any of the projects names,
// each once, in the order first named: what one fetcher fetches for all of them.
std::vector<std::string> remote_entries(std::vector<LoadOptions> const& projects);

using LoadProblem = Diagnostic;

struct SkippedRequirement {
    std::string name;
    std::string file;
    int line = 0;
    std::string reason; // "marker does not apply", "local path", "URL requirement", ...
};

struct LoadedRequirements {
    std::vector<Subscription> subscriptions; // one per (index, name), in file order
    std::vector<SkippedRequirement> skipped;
    std::vector<LoadProblem> errors;
    bool unreadable = false; // a top-level file could not be read (usage error)
    // load_projects: the projects none of whose files could be read (their stored
    // subscriptions are kept as they were).
    std::set<std::string> unreadable_projects;
    std::string index_url; // the index the subscriptions use (but where a lock names one)
};

// What the files say, before anything is subscribed: every entry (watchable or not), the
// option lines, and every problem with its kind ("requirement", "unreadable", "pyproject", ...).
// `pinwatch deps` prints this; load_requirements turns it into subscriptions.
struct RequirementsRead {
    std::vector<packaging::RequirementEntry> entries;
    packaging::RequirementsOptions options;
    std::vector<Diagnostic> errors;
    std::vector<std::string> error_kinds; // parallel to errors
    bool unreadable = false;              // a file named by the caller could not be read
    packaging::Environment environment;   // what markers were judged against
};
// The environment is moved to `python_version` when given; an invalid one keeps the system's
// (validate it first with config::with_python_version to report it).
RequirementsRead read_requirements(LoadOptions const& options);

// Index precedence, like pip: explicit option > `-i/--index-url` in the files >
// PIP_INDEX_URL > https://pypi.org/simple/. A package a lock file names an index for is
// polled on that index instead (one subscription per index and name).
LoadedRequirements load_requirements(LoadOptions const& options);

// Every file that lives elsewhere the requirements name: top-level entries, and the includes
// of local files and of what was fetched so far (by name, in the order they were met): what
// to fetch. Empty: nothing to fetch.
std::vector<std::string> remote_files_named(LoadOptions const& options);
// The same for several projects: every file any of them names, each once, in project order.
std::vector<std::string> remote_files_named(std::vector<LoadOptions> const& projects);

// Every project's subscriptions, one after the other (a package several projects pin is one
// subscription per project). `unreadable` when some project's files could not be read.
LoadedRequirements load_projects(std::vector<LoadOptions> const& projects);

// The URL to poll a lock-named index with, credentials as pip finds them: ${NAME} references
// expanded from the environment (as pip and pipenv expand them), and, for a URL without
// userinfo, the userinfo of one of the `known` index URLs (the configured one, -i and
// --extra-index-url in the files, PIP_INDEX_URL, PIP_EXTRA_INDEX_URL) that it lies under, or
// else that shares its origin. The result carries secrets: only for pypi_subscription, which
// keeps them out of the locator.
std::string
lock_index_url(std::string const& index, std::vector<std::string> const& known,
               std::function<std::optional<std::string>(std::string const&)> const& getenv);

} // namespace pinwatch::watcher
