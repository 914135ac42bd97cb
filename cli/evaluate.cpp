// `pinwatch evaluate`: the health of each dependency before a team trusts it — age, release
// cadence, time to merge pull requests and close issues, open issues and pull requests, who
// owns it, archived or not — with a verdict and its reasons. The options and the table/JSON
// are here; the client and the reader (watcher/evaluator, judged with watcher/health) come from
// the composition root (watcher/compose), as for the other commands. One package at a time.
#include "cli/commands.hpp"
#include "cli/support.hpp"
#include "common/json.hpp"
#include "common/text.hpp"
#include "common/time.hpp"
#include "net/client.hpp"
#include "packaging/name.hpp"
#include "watcher/compose.hpp"
#include "watcher/evaluator.hpp"
#include "watcher/subscriptions.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdlib>
#include <ctime>
#include <iostream>

namespace pinwatch::cli {

using namespace pinwatch::watcher;
namespace {

namespace asio = boost::asio;

constexpr char const* kEvaluateUsage =
    R"(usage: pinwatch evaluate NAME... | -r FILE [options]

The health of each package: age, releases in the last 12 months and the median days between
them, days since the last release (from PyPI); open issues and pull requests, median days to
merge a pull request and to close an issue, owner type, archived (from GitHub); and a verdict
(healthy / watch / risky) with the reasons for it.

Which closed items are measured: the 100 pull requests closed most recently (the median is
over the merged ones among them) and the 100 issues closed most recently (pull requests left
out), by the time they were closed, not last updated: a comment on an old item does not move
it. GitHub cannot sort by closing time, so pages sorted by last update are read until no later
item can be among those 100, at most 5 pages (500 items) of each.

When GitHub cannot be read (no repository found, a 404, a rate limit, no answer), PyPI's
figures and a verdict from them are still given, with GitHub's figures null (`-`) and the
reason (`github_error` in JSON).

  -r, --requirement FILE   evaluate every requirement of this file (repeatable)
      --index-url URL      Simple API root whose JSON API to read (default: -i in the files,
                           $PIP_INDEX_URL, PyPI)
      --github-api-url URL GitHub's API root (default https://api.github.com/)
      --json               machine-readable output
      --ca-file FILE       extra CA certificates (PEM)
      --timeout SECONDS    deadline of each request (default 30)

The GitHub token is read from $GITHUB_TOKEN (without one, GitHub allows 60 requests an hour,
and each package costs 4 to 12).
exit status: 0 every package has a verdict (GitHub's figures may be missing: see the
reasons), 2 usage error, 3 some package has none (PyPI could not be read)
)";

struct Options {
    std::vector<std::string> names;
    LoadOptions load;
    std::string github_api_url = "https://api.github.com/";
    bool json = false;
    std::optional<std::string> ca_file;
    std::chrono::milliseconds timeout{30'000};
};

std::optional<Options> parse_args(Args const& args, std::ostream& err, bool& help) {
    Options o;
    ArgReader r(args);
    auto need = [&](std::optional<std::string> v) -> std::optional<std::string> {
        if (!v) err << "pinwatch evaluate: " << r.current_flag() << " needs a value\n";
        return v;
    };
    auto url = [&](std::optional<std::string> v) -> std::optional<std::string> {
        if (v && v->rfind("https://", 0) != 0 && v->rfind("http://", 0) != 0) {
            err << "pinwatch evaluate: " << r.current_flag()
                << ": expected an http:// or https:// URL\n";
            return std::nullopt;
        }
        return v;
    };
    while (!r.done()) {
        if (r.flag({"-h", "--help"})) {
            help = true;
            return o;
        } else if (r.flag({"-r", "--requirement"})) {
            auto v = need(r.value());
            if (!v) return std::nullopt;
            o.load.requirements.push_back(*v);
        } else if (r.flag({"--index-url", "-i"})) {
            auto v = url(need(r.value()));
            if (!v) return std::nullopt;
            o.load.index_url = *v;
        } else if (r.flag({"--github-api-url"})) {
            auto v = url(need(r.value()));
            if (!v) return std::nullopt;
            o.github_api_url = *v;
        } else if (r.flag({"--json"})) {
            o.json = true;
        } else if (r.flag({"--ca-file"})) {
            auto v = need(r.value());
            if (!v) return std::nullopt;
            o.ca_file = *v;
        } else if (r.flag({"--timeout"})) {
            auto v = need(r.value());
            if (!v) return std::nullopt;
            char* end = nullptr;
            double const secs = std::strtod(v->c_str(), &end);
            if (end == v->c_str() || *end || secs <= 0 || secs > 3600) {
                err << "pinwatch evaluate: --timeout: expected seconds between 0 and 3600\n";
                return std::nullopt;
            }
            o.timeout = std::chrono::milliseconds(static_cast<long long>(secs * 1000));
        } else if (!r.peek().empty() && r.peek()[0] == '-') {
            err << "pinwatch evaluate: unknown argument '" << sanitize_text(r.peek()) << "'\n";
            return std::nullopt;
        } else {
            if (!packaging::is_valid_name(r.peek())) {
                err << "pinwatch evaluate: '" << sanitize_text(r.peek())
                    << "' is not a valid project name\n";
                return std::nullopt;
            }
            o.names.push_back(r.peek());
            r.skip();
        }
    }
    if (o.names.empty() && o.load.requirements.empty()) {
        err << "pinwatch evaluate: name one or more packages, or give -r FILE\n";
        return std::nullopt;
    }
    return o;
}

template <class T> void opt_number(JsonWriter& w, char const* key, std::optional<T> const& v) {
    w.key(key);
    if (!v)
        w.null();
    else if constexpr (std::is_floating_point_v<T>)
        w.number(std::round(*v * 10) / 10);
    else
        w.number(static_cast<std::int64_t>(*v));
}

std::optional<std::int64_t> days_since(std::optional<UnixTime> t, UnixTime now) {
    if (!t) return std::nullopt;
    return (now - *t) / 86400;
}

void write_json(std::ostream& out, std::vector<Evaluation> const& all, UnixTime now) {
    JsonWriter w;
    w.begin_object().key("packages").begin_array();
    for (auto const& e : all) {
        auto const& f = e.facts;
        w.begin_object();
        w.field("name", e.name);
        w.field("repo", f.repo);
        w.field("first_release", f.first_release
                                     ? std::optional<std::string>(rfc3339(*f.first_release))
                                     : std::nullopt);
        opt_number(w, "age_days", days_since(f.first_release, now));
        w.field("releases_last_12_months", f.releases_last_12_months);
        opt_number(w, "median_days_between_releases", f.median_days_between_releases);
        opt_number(w, "days_since_last_release", days_since(f.last_release, now));
        opt_number(w, "open_issues", f.open_issues);
        opt_number(w, "open_pull_requests", f.open_pull_requests);
        opt_number(w, "median_days_to_merge_pr", f.median_days_to_merge);
        opt_number(w, "median_days_to_close_issue", f.median_days_to_close);
        w.field("owner_type", f.owner_type);
        w.key("archived");
        f.archived ? w.boolean(*f.archived) : w.null();
        w.key("verdict");
        e.judged ? w.string(health::to_string(e.judgement.verdict)) : w.null();
        w.key("reasons").begin_array();
        for (auto const& r : e.judgement.reasons)
            w.string(r);
        w.end_array();
        w.field("error", e.error);
        w.field("github_error", e.github_error);
        w.end_object();
    }
    w.end_array().end_object();
    out << w.str() << '\n';
}

void write_rows(std::ostream& out, std::vector<Evaluation> const& all, UnixTime now) {
    std::vector<std::vector<std::string>> rows;
    rows.push_back({"PACKAGE", "VERDICT", "AGE", "RELEASES/12M", "LAST RELEASE", "OPEN ISSUES",
                    "OPEN PRS", "MERGE (MEDIAN)", "CLOSE (MEDIAN)", "OWNER", "REASONS"});
    auto num = [](auto const& v, std::string unit = "") -> std::string {
        if (!v) return "-";
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.0f", static_cast<double>(*v));
        return buf + unit;
    };
    for (auto const& e : all) {
        auto const& f = e.facts;
        std::string reasons;
        for (auto const& r : e.judgement.reasons)
            reasons += (reasons.empty() ? "" : "; ") + r;
        if (e.error) reasons = "error: " + *e.error + (reasons.empty() ? "" : "; " + reasons);
        std::string owner = f.owner_type.value_or("-");
        if (f.archived.value_or(false)) owner += ", archived";
        rows.push_back({e.name, e.judged ? health::to_string(e.judgement.verdict) : "-",
                        num(days_since(f.first_release, now), "d"),
                        std::to_string(f.releases_last_12_months),
                        num(days_since(f.last_release, now), "d ago"), num(f.open_issues),
                        num(f.open_pull_requests), num(f.median_days_to_merge, "d"),
                        num(f.median_days_to_close, "d"), owner, sanitize_text(reasons)});
    }
    cli::write_table(out, rows);
}

} // namespace

int run_evaluate(Args const& args, std::ostream& out, std::ostream& err) {
    bool help = false;
    auto parsed = parse_args(args, err, help);
    if (help) {
        out << kEvaluateUsage;
        return 0;
    }
    if (!parsed) {
        err << "Run `pinwatch evaluate --help` for usage.\n";
        return 2;
    }
    auto o = std::move(*parsed);
    spdlog::set_level(spdlog::level::off);
    std::vector<std::string> names = o.names;
    std::string index_url = o.load.index_url.value_or("");
    if (!o.load.requirements.empty()) {
        auto loaded = load_requirements(o.load);
        for (auto const& e : loaded.errors)
            err << sanitize_text(e.str()) << '\n';
        if (loaded.unreadable) return 2;
        for (auto const& s : loaded.subscriptions)
            names.push_back(s.name);
        index_url = loaded.index_url;
    }
    if (index_url.empty()) {
        char const* pip = std::getenv("PIP_INDEX_URL");
        index_url = pip && *pip ? pip : "https://pypi.org/simple/";
    }
    asio::io_context io;
    net::ClientOptions copts;
    copts.extra_ca_file = o.ca_file;
    copts.deadline = o.timeout;
    std::unique_ptr<net::Client> client;
    try {
        client = watcher::make_client(io.get_executor(), copts);
    } catch (std::exception const& e) {
        err << "pinwatch evaluate: " << sanitize_text(e.what()) << '\n';
        return 2;
    }
    auto evaluator = make_evaluator(*client, index_url, o.github_api_url);
    UnixTime const now = std::time(nullptr);
    std::vector<Evaluation> results;
    // One package after another: GitHub asks for serial requests.
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            for (auto const& n : names)
                results.push_back(co_await evaluator->evaluate(n, now));
        },
        [&](std::exception_ptr) {
            client->shutdown();
            io.stop();
        });
    io.run();
    if (o.json)
        write_json(out, results, now);
    else
        write_rows(out, results, now);
    for (auto const& r : results)
        if (r.error) return 3;
    return results.size() == names.size() ? 0 : 3;
}

} // namespace pinwatch::cli
