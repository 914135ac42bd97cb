// The marker environment requirements are judged against: this machine as uname() reports it,
// and the running system's Python 3 (or, without one, Debian 12's defaults) for the values only
// Python knows, optionally moved to another Python version; and the hooks that let packaging/
// read requirements files from disk and ${VARS} from the process. Runs one fixed python3
// command at most once per process, and only when a marker needs a value only Python knows;
// never touches the network.
#pragma once

#include "common/result.hpp"
#include "packaging/marker.hpp"
#include "packaging/requirements_file.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pinwatch::config {

// What `python3` on PATH reports as packaging's default_environment() (extra = ""). Without a
// usable python3 the values come from uname() plus Debian 12's Python (CPython 3.11.2), and
// `from_python` is false. Computed (python3 started) on the first call, then cached.
struct SystemEnvironment {
    packaging::Environment env;
    bool from_python = false;
};
SystemEnvironment const& system_environment();

// Whether python3 was asked in this process (system_environment() has run), by starting it or
// by recalling its answer from a ProbeMemo.
bool python_probed();

// What names the interpreter the probe would start, so its answer can be remembered between
// runs: the real path of the first `python3` on PATH with its device, inode, size and
// modification time, and this machine's uname() (the probe reports the kernel too). An upgraded
// or replaced interpreter, PATH leading elsewhere, or a new kernel names another. nullopt (ask
// it every time): no PATH or no python3 on it, or a python3 that is a script (`#!`), such as a
// pyenv shim, which picks an interpreter by directory and environment, not by its own file.
std::optional<std::string> probe_identity();

// Where system_environment() may find the probe's answer from an earlier run (`recall`) and
// leave a fresh one (`remember`), by probe_identity(). `check --state` keeps it in the state
// file. Consulted by the first system_environment() after it is set; an empty memo (the
// default) remembers nothing.
struct ProbeMemo {
    std::function<std::optional<std::string>(std::string const& identity)> recall;
    std::function<void(std::string const& identity, std::string const& output)> remember;
};
void set_probe_memo(ProbeMemo memo);

// The keys only a Python interpreter knows: implementation_name, implementation_version,
// platform_python_implementation, python_full_version, python_version.
std::vector<std::string_view> const& python_only_keys();

// This machine's marker environment, computed without starting anything: os_name "posix",
// sys_platform (the lowercased system name: "linux") and platform_system, platform_release,
// platform_version, platform_machine from uname(). The python_only_keys() are deferred
// (packaging::Environment::deferred): the first marker that needs one asks system_environment(),
// so python3 runs at most once per process and not at all when no marker needs it.
packaging::Environment native_environment();

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
// full version as it does on a real interpreter. Where that depends on values `base` defers,
// the result is deferred too (worked out from them when a marker needs it). Anything but 2 or
// 3 dot-separated numbers is an error that says what was expected.
Result<packaging::Environment> with_python_version(packaging::Environment base,
                                                   std::string_view version);

// native_environment(), moved to `python_version` when one is given. An invalid version keeps
// the system's values (validate with with_python_version() first to report it). The values
// only Python knows are deferred (read them with value(), not the fields): python3 is asked
// only if a marker needs one of them (with "3.12.4", only for implementation_name and
// platform_python_implementation, and implementation_version follows from the former).
packaging::Environment marker_environment(std::optional<std::string> const& python_version = {});

// read_file from the local disk (identity: the canonical path), getenv from the process, and
// the disk checks pip makes (exists, relative to the working directory, which is recorded as
// working_directory), around `env`.
packaging::ParseOptions system_parse_options(packaging::Environment env);

} // namespace pinwatch::config
