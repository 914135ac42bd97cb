// `pinwatch notify-test --config FILE [--notifier NAME]`: sends one made-up event through each
// notifier the config names (or through one of them), built exactly as the daemon builds them,
// and says per notifier whether it arrived and, if not, what the receiver answered. Nothing is
// queued or recorded; the one write to the state file: a notifier the daemon paused because
// its credentials were refused, and that took the test event, is marked ready again.
#include "cli/commands.hpp"
#include "cli/support.hpp"
#include "common/text.hpp"
#include "config/check.hpp"
#include "config/config.hpp"
#include "config/secrets.hpp"
#include "net/client.hpp"
#include "notifiers/post.hpp"
#include "notifiers/registry.hpp"
#include "watcher/compose.hpp"
#include "watcher/state/outbox.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <random>

namespace pinwatch::cli {
namespace {

namespace asio = boost::asio;

constexpr char const* kNotifyTestUsage =
    R"(usage: pinwatch notify-test --config FILE [--notifier NAME]

Sends one test event (a made-up patch release of "pinwatch-test") through every notifier the
config names, built as `pinwatch run` builds them, and prints one line per notifier:
"NAME  ok" or "NAME  failed: <what the receiver or the connection said>", then a summary on
stderr. The config is checked first as `pinwatch config-check` checks it; every problem it
finds is printed, and nothing is sent.
  --config FILE     TOML config (see the README's config reference)
  --notifier NAME   only this notifier (the default console notifier is named "console")
Nothing is queued. A notifier the daemon paused because its credentials were refused and that
takes the test event is marked ready again in the state file (the daemon resumes it).
Exit status: 0 every notifier took the event, 1 some did not, 2 usage or config error.
)";

// "evt_test_" + 64 random bits: unlike the daemon's ids, recognisable as a test at a glance.
std::string test_event_id() {
    std::random_device rd;
    std::uint64_t const bits = (std::uint64_t(rd()) << 32) ^ rd();
    char buf[32];
    std::snprintf(buf, sizeof buf, "evt_test_%016llx", static_cast<unsigned long long>(bits));
    return buf;
}

// A notifier the daemon paused because its credentials were refused goes again once they
// work: its record in the state file is cleared, and the daemon resumes it at its next turn.
// The only write notify-test makes, and only when there is such a record; a state file that
// cannot be read or written is left alone with a note.
void resume_paused(std::string const& path, std::vector<std::string> const& took,
                   std::ostream& out) {
    std::error_code ec;
    if (took.empty() || !std::filesystem::exists(path, ec)) return;
    try {
        std::vector<std::string> paused;
        {
            watcher::StateStore store(path, watcher::StateStore::Access::read_only);
            for (auto const& stop : watcher::Outbox(store).stops())
                if (stop.kind == watcher::NotifierStop::Kind::auth &&
                    std::find(took.begin(), took.end(), stop.notifier) != took.end())
                    paused.push_back(stop.notifier);
        }
        if (paused.empty()) return;
        watcher::StateStore store(path);
        watcher::Outbox outbox(store);
        for (auto const& name : paused) {
            outbox.clear_stop(name);
            out << sanitize_text(name)
                << ": its credentials work again: the daemon delivers what it holds for it\n";
        }
    } catch (std::exception const& e) {
        out << "note: the state file " << sanitize_text(path)
            << " was not updated: " << sanitize_text(e.what()) << '\n';
    }
}

model::Event test_event() {
    model::Event e;
    e.id = test_event_id();
    e.kind = model::EventKind::new_release;
    e.source = "pypi";
    e.package = "pinwatch-test";
    e.version = "1.0.1";
    e.pinned = "1.0.0";
    e.specifier = "==1.0.0";
    e.update = model::UpdateType::patch;
    e.allowed = false;
    e.detail = "a test message from pinwatch notify-test";
    e.at = std::time(nullptr);
    return e;
}

// The names the daemon would deliver to, in its order: the default console notifier first
// (unless the config turns it off or names its own "console"), then the config's tables.
std::vector<std::string> notifier_names(config::Config const& cfg) {
    std::vector<std::string> names;
    bool named_console = false;
    for (auto const& n : cfg.notifiers)
        named_console = named_console || n.name == "console";
    if (cfg.console && !named_console) names.push_back("console");
    for (auto const& n : cfg.notifiers)
        names.push_back(n.name);
    return names;
}

// Notifiers promise to keep secrets out of their errors; this is the second lock. Every
// credential of the config's notifiers (URLs in all their forms, keys, passwords) is replaced
// in `text` before it is printed.
std::string without_secrets(std::string text, config::Config const& cfg,
                            std::filesystem::path const& base) {
    for (auto const& n : cfg.notifiers)
        if (n.settings) text = n.settings->without_secrets(std::move(text), base);
    return text;
}

// Sends the test event through each notifier in turn; `crashed` holds what a bug threw.
template <class Made>
std::vector<std::pair<std::string, notifiers::Delivery>>
send_test(asio::io_context& io, net::Client& client, Made& made, std::exception_ptr& crashed) {
    std::vector<model::Event> const events{test_event()};
    std::vector<std::pair<std::string, notifiers::Delivery>> results;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            for (auto& [notifier, route] : made) {
                notifiers::Delivery d;
                try {
                    d = co_await notifier->deliver(events);
                } catch (std::exception const& e) {
                    d.status = notifiers::Delivery::Status::failed;
                    d.error = e.what();
                }
                results.emplace_back(std::string(notifier->name()), std::move(d));
            }
        },
        [&](std::exception_ptr ep) {
            crashed = ep;
            // Idle keep-alive connections would keep the loop going; the test is done.
            client.shutdown();
            io.stop();
        });
    io.run();
    return results;
}

// One row per notifier, ok or why not (without its secrets), paused channels that took the
// test resumed, and a summary on stderr; 0 when every one delivered.
int report(std::ostream& out, std::ostream& err,
           std::vector<std::pair<std::string, notifiers::Delivery>> const& results,
           config::Config const& cfg, std::filesystem::path const& base) {
    std::vector<std::vector<std::string>> rows;
    bool all_ok = true;
    for (auto const& [name, d] : results) {
        bool const ok = d.status == notifiers::Delivery::Status::delivered;
        all_ok = all_ok && ok;
        rows.push_back(
            {name, ok ? "ok"
                      : "failed: " + without_secrets(d.error.empty() ? "no reason given" : d.error,
                                                     cfg, base)});
    }
    write_table(out, rows); // sanitises every cell
    out.flush();
    std::vector<std::string> took;
    for (auto const& [name, d] : results)
        if (d.status == notifiers::Delivery::Status::delivered) took.push_back(name);
    resume_paused(cfg.state.value_or(default_state_path()), took, out);
    // The summary goes to stderr: stdout stays one line per notifier for scripts.
    std::size_t const failed = static_cast<std::size_t>(
        std::count_if(rows.begin(), rows.end(), [](auto const& row) { return row[1] != "ok"; }));
    err << "notify-test: " << rows.size() << (rows.size() == 1 ? " notifier: " : " notifiers: ")
        << rows.size() - failed << " ok, " << failed << " failed\n";
    return all_ok ? 0 : 1;
}

// notify-test's command line: the config, and the one notifier to try (all when none).
struct NotifyTestArgs {
    std::optional<std::string> config_path, only;
};

// The command line read into `a`; an exit status when the command ends here (help, or a usage
// error said on `err`).
std::optional<int> read_notify_test_args(Args const& args, NotifyTestArgs& a, std::ostream& out,
                                         std::ostream& err) {
    ArgReader r(args);
    while (!r.done()) {
        if (r.flag({"-h", "--help"})) {
            out << kNotifyTestUsage;
            return 0;
        } else if (r.flag({"--config", "-c"})) {
            a.config_path = r.value();
            if (!a.config_path) {
                err << "pinwatch notify-test: --config needs a file\n";
                return 2;
            }
        } else if (r.flag({"--notifier", "-n"})) {
            a.only = r.value();
            if (!a.only || a.only->empty()) {
                err << "pinwatch notify-test: --notifier needs a name\n";
                return 2;
            }
        } else {
            err << "pinwatch notify-test: unknown argument '" << sanitize_text(r.peek()) << "'\n"
                << kNotifyTestUsage;
            return 2;
        }
    }
    if (!a.config_path) {
        err << "pinwatch notify-test: --config FILE is required\n" << kNotifyTestUsage;
        return 2;
    }
    return std::nullopt;
}

// The notifiers to try: all the config's, or only the one named (the others left unbuilt);
// false after saying why there is none to try.
bool choose_notifiers(config::Config& cfg, std::optional<std::string> const& only,
                      std::ostream& err) {
    auto const names = notifier_names(cfg);
    if (only) {
        if (std::find(names.begin(), names.end(), *only) == names.end()) {
            err << "pinwatch notify-test: no notifier named '" << sanitize_text(*only) << "'; ";
            if (names.empty()) {
                err << "the config has none\n";
            } else {
                err << "the config has ";
                for (std::size_t i = 0; i < names.size(); ++i)
                    err << (i ? ", " : "") << sanitize_text(names[i]);
                err << '\n';
            }
            return false;
        }
        // Only that one is built: another notifier's trouble does not stop this test.
        std::erase_if(cfg.notifiers, [&](auto const& n) { return n.name != *only; });
        cfg.console = cfg.console && *only == "console";
    }
    if (names.empty()) {
        err << "pinwatch notify-test: the config has no notifiers (console = false and no "
               "[notifiers.<name>] tables)\n";
        return false;
    }
    return true;
}

} // namespace

int run_notify_test(Args const& args, std::ostream& out, std::ostream& err) {
    NotifyTestArgs a;
    if (auto done = read_notify_test_args(args, a, out, err)) return *done;
    // Checked as config-check checks it (watcher/compose.hpp), so both report the same problems.
    auto checked = watcher::check_config(*a.config_path);
    print_config_problems(checked, err);
    if (!checked.ok()) {
        err << sanitize_text(*a.config_path) << ": " << checked.errors.size()
            << " problem(s); nothing was sent\n";
        return 2;
    }
    config::Config cfg = std::move(*checked.config);
    auto const base = std::filesystem::path(cfg.path).parent_path();

    if (!choose_notifiers(cfg, a.only, err)) return 2;

    // The daemon's wiring (watcher/compose.hpp): one HTTPS client with the config's [http]
    // settings, secrets resolved relative to the config file's folder.
    asio::io_context io;
    std::unique_ptr<net::Client> client;
    try {
        client = watcher::make_client(io.get_executor(), watcher::client_options(cfg.http));
    } catch (std::exception const& e) {
        err << "pinwatch notify-test: " << sanitize_text(e.what()) << '\n';
        return 2;
    }
    auto made = watcher::make_notifiers(cfg, out, client.get());
    if (!made) {
        err << "pinwatch notify-test: " << sanitize_text(without_secrets(made.error(), cfg, base))
            << '\n';
        return 2;
    }

    std::exception_ptr crashed;
    auto const results = send_test(io, *client, *made, crashed);
    if (crashed) {
        try {
            std::rethrow_exception(crashed);
        } catch (std::exception const& e) {
            err << "pinwatch notify-test: " << sanitize_text(without_secrets(e.what(), cfg, base))
                << '\n';
            return 1;
        }
    }

    return report(out, err, results, cfg, base);
}

} // namespace pinwatch::cli
