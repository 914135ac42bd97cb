// `pinwatch config-check [--config FILE]`: everything `run` would check before starting, said
// all at once as "file:line: key: message"; exit 0 when `run` would start, 1 when it would not.
#include "cli/commands.hpp"
#include "cli/support.hpp"
#include "common/text.hpp"
#include "watcher/advisories.hpp"
#include "watcher/compose.hpp"
#include "watcher/daemon.hpp"

#include <cstdlib>
#include <ostream>

namespace pinwatch::cli {
namespace {

constexpr char const* kConfigCheckUsage = R"(usage: pinwatch config-check [--config FILE]

Checks the daemon's config the way `run` does before it starts: unknown keys, wrong types,
bad durations and URLs, unreadable requirements/pyproject/CA files, unknown notifier types,
secret references that do not resolve. Every problem is printed on stderr as
"file:line: key: message"; warnings (a literal secret in a file others can read) too.
  --config FILE   the config (default: $CONFIGURATION_DIRECTORY/pinwatch.toml under systemd,
                  else /etc/pinwatch/pinwatch.toml)
Exit status: 0 the config is good (warnings allowed), 1 it has errors, 2 usage error.
)";

} // namespace

std::string default_config_path() {
    if (char const* dir = std::getenv("CONFIGURATION_DIRECTORY"); dir && *dir) {
        std::string first(dir);
        first = first.substr(0, first.find(':')); // several directories are ':'-separated
        return first + "/pinwatch.toml";
    }
    return "/etc/pinwatch/pinwatch.toml";
}

void print_config_problems(config::ConfigCheck const& checked, std::ostream& err) {
    for (auto const& w : checked.warnings)
        err << "warning: " << sanitize_text(w.str()) << '\n';
    for (auto const& e : checked.errors)
        err << sanitize_text(e.str()) << '\n';
}

int run_config_check(Args const& args, std::ostream& out, std::ostream& err) {
    std::optional<std::string> config_path;
    ArgReader r(args);
    while (!r.done()) {
        if (r.flag({"-h", "--help"})) {
            out << kConfigCheckUsage;
            return 0;
        } else if (r.flag({"--config", "-c"})) {
            config_path = r.value();
            if (!config_path) {
                err << "pinwatch config-check: --config needs a file\n";
                return 2;
            }
        } else {
            err << "pinwatch config-check: unknown argument '" << sanitize_text(r.peek()) << "'\n"
                << kConfigCheckUsage;
            return 2;
        }
    }
    auto const path = config_path.value_or(default_config_path());
    auto const checked = watcher::check_config(path);
    print_config_problems(checked, err);
    if (!checked.ok()) {
        err << sanitize_text(path) << ": " << checked.errors.size()
            << " problem(s); `pinwatch run` "
            << "would refuse to start\n";
        return 1;
    }
    auto const& c = *checked.config;
    {
        // Which names the daemon would send to the advisory service, said once.
        watcher::SourceSetup setup;
        setup.config = &c;
        auto const loaded = watcher::load_projects(watcher::project_load_options(c));
        if (auto told = watcher::advisory_disclosure(
                loaded.subscriptions, watcher::advisory_settings(setup),
                "list it in [advisories] private (names or globs)"))
            err << "note: " << *told << '\n';
    }
    out << sanitize_text(path) << ": ok: " << c.requirements.size() << " requirements file(s), "
        << c.pyproject.size() << " pyproject file(s), " << c.notifiers.size() + (c.console ? 1 : 0)
        << " notifier(s)"
        << (checked.warnings.empty()
                ? ""
                : ", " + std::to_string(checked.warnings.size()) + " warning(s)")
        << '\n';
    return 0;
}

} // namespace pinwatch::cli
