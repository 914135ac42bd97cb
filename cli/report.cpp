// `pinwatch report --html FILE`: the dashboard's overview as one self-contained HTML file (a
// CI artifact, a mail attachment), read from a state file opened read-only, as `status` does.
#include "cli/commands.hpp"
#include "cli/support.hpp"
#include "common/text.hpp"
#include "config/state_path.hpp"
#include "watcher/compose.hpp"
#include "watcher/dashboard/dashboard.hpp"
#include "watcher/sources/registry.hpp"

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace pinwatch::cli {
namespace {

constexpr char const* kReportUsage =
    R"(usage: pinwatch report --html FILE [--state FILE | --config FILE]

Writes the dashboard's overview (every project's pins, how far behind they are, what is
vulnerable, yanked or failing, libyears) as one self-contained HTML file: no scripts, fonts or
pictures from anywhere else, so it opens from disk, as a CI artifact or an attachment.
  --html FILE     where to write it ("-" for standard output)
  --state FILE    state file (default: the config's `state`, else the one `pinwatch run` uses)
  --config FILE   read the state path from this config (its `state` only: no secrets needed)
)";

// Writes `body` to `path` through a temporary file beside it, so a reader never sees half.
bool write_file(std::string const& path, std::string const& body, std::ostream& err) {
    auto const tmp = path + ".tmp";
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        f << body;
        f.flush();
        if (!f) {
            err << "pinwatch report: cannot write " << sanitize_text(tmp) << '\n';
            std::remove(tmp.c_str());
            return false;
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        err << "pinwatch report: cannot write " << sanitize_text(path) << ": " << ec.message()
            << '\n';
        std::remove(tmp.c_str());
        return false;
    }
    return true;
}

} // namespace

int run_report(Args const& args, std::ostream& out, std::ostream& err) {
    std::optional<std::string> html, state, config_path;
    ArgReader r(args);
    while (!r.done()) {
        if (r.flag({"-h", "--help"})) {
            out << kReportUsage;
            return 0;
        }
        std::optional<std::string>* into = r.flag({"--html"})           ? &html
                                           : r.flag({"--state"})        ? &state
                                           : r.flag({"--config", "-c"}) ? &config_path
                                                                        : nullptr;
        if (!into) {
            err << "pinwatch report: unknown argument '" << sanitize_text(r.peek()) << "'\n"
                << kReportUsage;
            return 2;
        }
        *into = r.value();
        if (!*into) {
            err << "pinwatch report: " << r.current_flag() << " needs a file\n";
            return 2;
        }
    }
    if (!html) {
        err << "pinwatch report: say where to write the page: --html FILE\n" << kReportUsage;
        return 2;
    }
    if (state && config_path) {
        err << "pinwatch report: give --state or --config, not both\n";
        return 2;
    }
    if (!state && config_path) {
        auto setting = config::read_state_setting(*config_path);
        if (!setting) {
            err << sanitize_text(setting.error().str()) << '\n';
            return 2;
        }
        state = *setting;
    }
    if (!state) state = default_state_location().path;
    if (!std::filesystem::exists(*state)) {
        err << "pinwatch report: no state file at " << sanitize_text(*state)
            << " (has `pinwatch run` or `pinwatch check --state` run yet?)\n";
        return 2;
    }
    std::unique_ptr<watcher::StateStore> store;
    try {
        store =
            std::make_unique<watcher::StateStore>(*state, watcher::StateStore::Access::read_only);
    } catch (std::exception const& e) {
        err << "pinwatch report: " << sanitize_text(e.what()) << '\n';
        return 2;
    }
    std::vector<std::string> warnings;
    watcher::SourceSetup setup;
    setup.mode = watcher::SourceSetup::Mode::report;
    auto sources = watcher::make_sources(setup, warnings);
    if (!sources) {
        err << "pinwatch report: " << sanitize_text(sources.error()) << '\n';
        return 2;
    }
    auto const now = static_cast<model::UnixTime>(std::time(nullptr));
    watcher::dashboard::RenderOptions options;
    options.links = false; // no package pages beside a file
    options.title = "pinwatch report";
    auto const page = watcher::dashboard::render_overview(
        watcher::dashboard::collect_overview(*store, *sources, now), options);
    if (*html == "-") {
        out << page;
        return 0;
    }
    return write_file(*html, page, err) ? 0 : 2;
}

} // namespace pinwatch::cli
