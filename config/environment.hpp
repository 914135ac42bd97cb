// The marker environment requirements are judged against: the running system's Python 3 (or,
// without one, Debian 12's defaults), optionally moved to another Python version; and the
// hooks that let packaging/ read requirements files from disk and ${VARS} from the process.
// Runs one fixed python3 command at most once per process; never touches the network.
#pragma once

#include "common/result.hpp"
#include "packaging/marker.hpp"
#include "packaging/requirements_file.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace pinwatch::config {

// What `python3` on PATH reports as packaging's default_environment() (extra = ""). Without a
// usable python3 the values come from uname() plus Debian 12's Python (CPython 3.11.2), and
// `from_python` is false. Computed once and cached.
struct SystemEnvironment {
    packaging::Environment env;
    bool from_python = false;
};
SystemEnvironment const& system_environment();

// Reads the probe's output: one "key=value" line per marker variable (packaging's
// default_environment() keys), "\\" and "\n" escaped in values. Unknown keys are ignored; a
// missing key is an error naming it. Exposed for tests.
Result<packaging::Environment> parse_probe_output(std::string_view text);

// uname() and Debian 12's defaults (python 3.11.2, CPython).
packaging::Environment fallback_environment();

// `--python-version` semantics: "3.12" sets python_version "3.12" and python_full_version
// "3.12.0" (the first release of that series, so "python_full_version >= '3.12.1'" is judged
// pessimistically) unless `base` already is a 3.12.x interpreter, whose full version is kept;
// "3.12.4" sets both ("3.12" and "3.12.4"). For CPython, implementation_version follows the
// full version as it does on a real interpreter. Anything but 2 or 3 dot-separated numbers
// is an error that says what was expected.
Result<packaging::Environment> with_python_version(packaging::Environment base,
                                                   std::string_view version);

// The system environment, moved to `python_version` when one is given. An invalid version
// keeps the system's values (validate with with_python_version() first to report it).
packaging::Environment marker_environment(std::optional<std::string> const& python_version = {});

// read_file from the local disk (identity: the canonical path), getenv from the process, and
// the disk checks pip makes (exists, relative to the working directory, which is recorded as
// working_directory), around `env`.
packaging::ParseOptions system_parse_options(packaging::Environment env);

} // namespace pinwatch::config
