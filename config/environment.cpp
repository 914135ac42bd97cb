#include "config/environment.hpp"

#include "config/files.hpp"

#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>

namespace pinwatch::config {

namespace {

// packaging 23.0's default_environment(), printed as key=value lines. A fixed command: nothing
// from the user reaches the shell. -I keeps PYTHON* variables and user site-packages out; -S
// skips importing site (nothing here needs it), which is most of an interpreter's start-up.
constexpr char const* kProbeCommand = R"(python3 -I -S -c '
import os, platform, sys
def full(i):
    v = "%d.%d.%d" % (i.major, i.minor, i.micro)
    if i.releaselevel != "final":
        v += i.releaselevel[0] + str(i.serial)
    return v
env = {
    "implementation_name": sys.implementation.name,
    "implementation_version": full(sys.implementation.version),
    "os_name": os.name,
    "platform_machine": platform.machine(),
    "platform_release": platform.release(),
    "platform_system": platform.system(),
    "platform_version": platform.version(),
    "python_full_version": platform.python_version(),
    "platform_python_implementation": platform.python_implementation(),
    "python_version": ".".join(platform.python_version_tuple()[:2]),
    "sys_platform": sys.platform,
}
for k, v in env.items():
    print(k + "=" + v.replace("\\", "\\\\").replace("\n", "\\n"))
' 2>/dev/null)";

std::optional<std::string> run_probe() {
    std::FILE* pipe = ::popen(kProbeCommand, "r");
    if (!pipe) return std::nullopt;
    std::string out;
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe))
        out.append(buf, n);
    int status = ::pclose(pipe);
    if (status != 0) return std::nullopt;
    return out;
}

std::string unescape(std::string_view v) {
    std::string out;
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '\\' && i + 1 < v.size()) {
            ++i;
            out += v[i] == 'n' ? '\n' : v[i];
        } else {
            out += v[i];
        }
    }
    return out;
}

bool all_digits(std::string_view s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

} // namespace

Result<packaging::Environment> parse_probe_output(std::string_view text) {
    packaging::Environment env;
    std::vector<std::string_view> seen;
    while (!text.empty()) {
        std::size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        std::size_t eq = line.find('=');
        if (eq == std::string_view::npos) continue;
        std::string_view key = line.substr(0, eq);
        if (key == "extra") continue; // never taken from the probe
        if (std::string* field = env.find(key)) {
            *field = unescape(line.substr(eq + 1));
            seen.push_back(key);
        }
    }
    for (std::string_view key : packaging::Environment::keys()) {
        if (key == "extra") continue;
        if (std::find(seen.begin(), seen.end(), key) == seen.end())
            return fail("python3 did not report the marker variable '" + std::string(key) + "'");
    }
    return env;
}

packaging::Environment fallback_environment() {
    // Debian 12 (bookworm) ships CPython 3.11.2 as python3; the platform comes from uname().
    auto env = packaging::Environment::debian12_x86_64();
    struct utsname u {};
    if (::uname(&u) == 0) {
        env.platform_system = u.sysname;
        env.platform_release = u.release;
        env.platform_version = u.version;
        env.platform_machine = u.machine;
    }
    std::string system = env.platform_system;
    for (char& c : system)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    env.sys_platform = system.empty() ? "linux" : system;
    return env;
}

namespace {
std::atomic<bool> probed{false};

ProbeMemo& probe_memo() {
    static ProbeMemo memo;
    return memo;
}

// The first `python3` on PATH as sh finds it for the probe's command: the first entry (an empty
// one is the working directory) holding an executable regular file of that name.
std::optional<std::filesystem::path> python3_on_path() {
    char const* path = std::getenv("PATH");
    if (!path) return std::nullopt; // sh's own default path: not worth guessing
    std::string_view rest = path;
    for (;;) {
        auto const colon = rest.find(':');
        std::string dir(rest.substr(0, colon));
        std::filesystem::path candidate = (dir.empty() ? std::string(".") : dir) + "/python3";
        struct stat st {};
        if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
            ::access(candidate.c_str(), X_OK) == 0)
            return candidate;
        if (colon == std::string_view::npos) return std::nullopt;
        rest = rest.substr(colon + 1);
    }
}
} // namespace

bool python_probed() {
    return probed.load();
}

std::optional<std::string> probe_identity() {
    auto const found = python3_on_path();
    if (!found) return std::nullopt;
    std::error_code ec;
    auto const real = std::filesystem::canonical(*found, ec);
    if (ec) return std::nullopt;
    struct stat st {};
    if (::stat(real.c_str(), &st) != 0) return std::nullopt;
    char head[2] = {};
    if (std::FILE* f = std::fopen(real.c_str(), "rb")) {
        auto const n = std::fread(head, 1, sizeof head, f);
        std::fclose(f);
        if (n == 2 && head[0] == '#' && head[1] == '!') return std::nullopt; // a script
    } else {
        return std::nullopt;
    }
    struct utsname u {};
    if (::uname(&u) != 0) return std::nullopt;
    return real.string() + "\ndev " + std::to_string(st.st_dev) + " inode " +
           std::to_string(st.st_ino) + " size " + std::to_string(st.st_size) + " mtime " +
           std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) +
           "\nuname " + u.sysname + " " + u.release + " " + u.version + " " + u.machine;
}

void set_probe_memo(ProbeMemo memo) {
    probe_memo() = std::move(memo);
}

SystemEnvironment const& system_environment() {
    static SystemEnvironment const cached = [] {
        probed = true;
        SystemEnvironment s;
        auto const& memo = probe_memo();
        auto const identity = memo.recall || memo.remember ? probe_identity() : std::nullopt;
        // An answer from an earlier run for this very interpreter, when one is kept.
        if (identity && memo.recall)
            if (auto out = memo.recall(*identity))
                if (auto env = parse_probe_output(*out)) {
                    s.env = std::move(*env);
                    s.from_python = true;
                    return s;
                }
        if (auto out = run_probe()) {
            if (auto env = parse_probe_output(*out)) {
                s.env = std::move(*env);
                s.from_python = true;
                if (identity && memo.remember) memo.remember(*identity, *out);
                return s;
            }
        }
        s.env = fallback_environment();
        return s;
    }();
    return cached;
}

std::vector<std::string_view> const& python_only_keys() {
    static std::vector<std::string_view> const keys = {
        "implementation_name", "implementation_version", "platform_python_implementation",
        "python_full_version", "python_version"};
    return keys;
}

packaging::Environment native_environment() {
    packaging::Environment env = fallback_environment(); // uname(), os_name, sys_platform
    for (std::string_view key : python_only_keys()) {
        env.find(key)->clear();
        env.deferred.emplace_back(key);
    }
    env.lookup = [](std::string_view key) { return *system_environment().env.find(key); };
    return env;
}

namespace {

// A value of the base environment, or nullopt where it is not known without asking.
using Getter = std::function<std::optional<std::string>(std::string_view)>;

struct Target {
    std::string series;              // "3.12"
    std::optional<std::string> full; // "3.12.4" when given
};

std::optional<std::string> full_version(Getter const& get, Target const& t) {
    if (t.full) return t.full;
    std::optional<std::string> v = get("python_version");
    if (!v) return std::nullopt;
    if (*v != t.series) return t.series + ".0";
    return get("python_full_version");
}

std::optional<std::string> implementation_version(Getter const& get, Target const& t) {
    std::optional<std::string> name = get("implementation_name");
    if (!name) return std::nullopt;
    if (*name == "cpython") return full_version(get, t);
    return get("implementation_version");
}

} // namespace

Result<packaging::Environment> with_python_version(packaging::Environment base,
                                                   std::string_view version) {
    std::vector<std::string_view> parts;
    for (std::string_view rest = version;;) {
        std::size_t dot = rest.find('.');
        parts.push_back(rest.substr(0, dot));
        if (dot == std::string_view::npos) break;
        rest = rest.substr(dot + 1);
    }
    bool ok = parts.size() == 2 || parts.size() == 3;
    for (auto p : parts)
        ok = ok && all_digits(p);
    if (!ok)
        return fail("expected a Python version like 3.11 or 3.11.4, got '" + std::string(version) +
                    "'");
    Target target{std::string(parts[0]) + "." + std::string(parts[1]), std::nullopt};
    if (parts.size() == 3) target.full = std::string(version);

    // The full and implementation versions depend on the base interpreter's values. Where those
    // are known they are computed now; where they are deferred, so are the results, computed
    // from the base's values when a marker needs them (asking python3 only then).
    auto const shared = std::make_shared<packaging::Environment const>(base);
    Getter const known = [shared](std::string_view key) -> std::optional<std::string> {
        if (shared->is_deferred(key)) return std::nullopt;
        return shared->value(key);
    };
    packaging::Environment out = std::move(base);
    auto set = [&out](std::string_view key, std::optional<std::string> value) {
        auto& d = out.deferred;
        d.erase(std::remove(d.begin(), d.end(), key), d.end());
        *out.find(key) = value.value_or("");
        if (!value) d.emplace_back(key);
    };
    set("python_version", target.series);
    set("python_full_version", full_version(known, target));
    set("implementation_version", implementation_version(known, target));
    out.lookup = nullptr;
    if (!out.deferred.empty()) {
        out.lookup = [shared, target](std::string_view key) -> std::string {
            Getter const ask = [shared](std::string_view k) { return shared->value(k); };
            std::optional<std::string> v = key == "python_full_version" ? full_version(ask, target)
                                           : key == "implementation_version"
                                               ? implementation_version(ask, target)
                                               : shared->value(key);
            return v.value_or("");
        };
    }
    return out;
}

packaging::Environment marker_environment(std::optional<std::string> const& python_version) {
    packaging::Environment env = native_environment();
    if (python_version) {
        if (auto moved = with_python_version(env, *python_version)) env = std::move(*moved);
    }
    return env;
}

packaging::ParseOptions system_parse_options(packaging::Environment env) {
    packaging::ParseOptions o;
    o.environment = std::move(env);
    // Regular files only, 4 MiB at most: -r /dev/zero or a FIFO is an error, not a hang.
    o.read_file = [](std::string const& path) -> Result<packaging::FileContent> {
        auto bytes = read_regular_file(path);
        if (!bytes) return fail(std::move(bytes.error()));
        std::error_code ec;
        auto canonical = std::filesystem::weakly_canonical(path, ec);
        return packaging::FileContent{std::move(*bytes), ec ? path : canonical.string()};
    };
    o.getenv = [](std::string const& name) -> std::optional<std::string> {
        if (char const* v = std::getenv(name.c_str())) return std::string(v);
        return std::nullopt;
    };
    // pip's os.path checks: relative to the working directory, symbolic links followed.
    o.exists = [](std::string const& path) {
        std::error_code ec;
        auto st = std::filesystem::status(path, ec);
        if (ec || !std::filesystem::exists(st)) return packaging::PathKind::missing;
        if (std::filesystem::is_directory(st)) return packaging::PathKind::directory;
        if (std::filesystem::is_regular_file(st)) return packaging::PathKind::file;
        return packaging::PathKind::other;
    };
    std::error_code ec;
    auto cwd = std::filesystem::current_path(ec); // getcwd(), as os.path.abspath uses
    if (!ec) o.working_directory = cwd.string();
    return o;
}

} // namespace pinwatch::config
