// `pinwatch check`: one poll of every requirement, printed as a table or JSON, with exit
// statuses CI can act on.
#include "cli/commands.hpp"
#include "cli/support.hpp"
#include "common/json.hpp"
#include "common/text.hpp"
#include "common/time.hpp"
#include "config/environment.hpp"
#include "config/remote_file.hpp"
#include "net/client.hpp"
#include "watcher/advisories.hpp"
#include "watcher/compose.hpp"
#include "watcher/remote_files.hpp"
#include "watcher/scheduler.hpp"
#include "watcher/subscriptions.hpp"
#include "watcher/summary.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iomanip>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

namespace pinwatch::cli {

using namespace pinwatch::watcher;
namespace {

namespace asio = boost::asio;

constexpr char const* kCheckUsage = R"(usage: pinwatch check -r FILE [-r FILE...] [options]
       pinwatch check --config FILE [--project NAME] [options]

One poll of every requirement; prints pin, latest, what is newer, yanked pins, and the
advisories published against each pinned version.

  -r, --requirement FILE   requirements file (repeatable), or a lock file by its name:
                           uv.lock, poetry.lock, pdm.lock, Pipfile.lock, pylock[.NAME].toml;
                           a path, an https:// URL or github:OWNER/REPO/PATH@REF (token
                           from $GITHUB_TOKEN)
      --pyproject FILE     pyproject.toml to read dependencies from (repeatable)
      --config FILE        check every project of a daemon's config, its rules applied
      --project NAME       with --config: only this project ("default": the top-level files)
      --index-url URL      Simple API root (default: -i in the files, $PIP_INDEX_URL, PyPI)
      --state FILE         keep state between runs (default: a temporary state)
      --json               machine-readable output
      --fail-on KIND...    exit 1 when any requirement shows KIND: major minor patch
                           pre-release outdated yanked vulnerable
      --python-version X.Y evaluate markers and Requires-Python for this Python
      --pre                allow pre-releases everywhere
      --ca-file FILE       extra CA certificates (PEM) for a private index
      --timeout SECONDS    deadline of each request (default 30)
      --concurrency N      requests in flight per host (default 8)
  -q, --quiet              no progress bar
  -v, --verbose            log every request's outcome on stderr
      --stats              print request, connection and byte counts on stderr
)";
constexpr char const* kCheckUsageEnd = R"(
exit status: 0 ok, 1 --fail-on matched, 2 usage error, 3 some packages could not be checked
(or, with --fail-on vulnerable, some pins' advisories could not be read)
)";

// The usage text, with the flags the sources add.
std::string check_usage() {
    std::string out = kCheckUsage;
    for (auto const& entry : source_entries())
        for (auto const& f : entry.check_flags) {
            std::string head = f.name + (f.value_name.empty() ? "" : " " + f.value_name);
            head.resize(std::max<std::size_t>(head.size(), 20), ' ');
            std::string help = f.help;
            for (std::size_t at = help.find('\n'); at != std::string::npos;
                 at = help.find('\n', at + 1))
                help.insert(at + 1, std::string(27, ' '));
            out += "      " + head + " " + help + "\n";
        }
    return out + kCheckUsageEnd;
}

const std::set<std::string> kFailKinds = {"major",    "minor",  "patch",     "pre-release",
                                          "outdated", "yanked", "vulnerable"};

struct CheckOptions {
    LoadOptions load;
    std::optional<std::string> config;  // --config: its projects instead of -r/--pyproject
    std::optional<std::string> project; // --project
    std::optional<std::string> state;
    bool json = false;
    bool quiet = false;
    bool stats = false;
    bool verbose = false;
    std::set<std::string> fail_on;
    std::optional<std::string> ca_file;
    std::chrono::milliseconds timeout{30'000};
    int concurrency = 8;
    // The sources' own flags that were given ("--github" -> "").
    std::map<std::string, std::string, std::less<>> source_flags;
};

// A flag a source registered: true when `r` is at one (its value checked), with `bad` set
// when it is wrong.
bool read_source_flag(ArgReader& r, CheckOptions& o, std::ostream& err, bool& bad) {
    for (auto const& entry : source_entries())
        for (auto const& f : entry.check_flags) {
            if (!r.flag({f.name})) continue;
            std::string value;
            if (!f.value_name.empty()) {
                auto v = r.value();
                if (!v) {
                    err << "pinwatch check: " << f.name << " needs a value\n";
                    bad = true;
                    return true;
                }
                value = *v;
            }
            if (f.check)
                if (auto wrong = f.check(value)) {
                    err << "pinwatch check: " << f.name << ": " << *wrong << "\n";
                    bad = true;
                    return true;
                }
            auto const had = o.source_flags.find(f.name);
            if (f.repeatable && had != o.source_flags.end())
                had->second += "\n" + value;
            else
                o.source_flags[f.name] = value;
            return true;
        }
    return false;
}

// --fail-on KIND...: false after saying what is wrong.
bool read_fail_on(std::vector<std::string> kinds, CheckOptions& o, std::ostream& err) {
    if (kinds.empty()) {
        err << "pinwatch check: --fail-on needs one or more of: major minor patch "
               "pre-release outdated yanked vulnerable\n";
        return false;
    }
    for (auto k : kinds) {
        if (k == "prerelease") k = "pre-release";
        if (!kFailKinds.count(k)) {
            err << "pinwatch check: --fail-on: unknown kind '" << k
                << "' (expected major, minor, patch, pre-release, outdated, yanked or "
                   "vulnerable)\n";
            return false;
        }
        o.fail_on.insert(k);
    }
    return true;
}

bool read_timeout(std::string const& v, CheckOptions& o, std::ostream& err) {
    char* end = nullptr;
    double const secs = std::strtod(v.c_str(), &end);
    if (end == v.c_str() || *end || secs <= 0 || secs > 3600) {
        err << "pinwatch check: --timeout: expected seconds between 0 and 3600, got '" << v
            << "'\n";
        return false;
    }
    o.timeout = std::chrono::milliseconds(static_cast<long long>(secs * 1000));
    return true;
}

bool read_concurrency(std::string const& v, CheckOptions& o, std::ostream& err) {
    int n = std::atoi(v.c_str());
    if (n < 1 || n > 256 || std::to_string(n) != v) {
        err << "pinwatch check: --concurrency: expected a number from 1 to 256, got '" << v
            << "'\n";
        return false;
    }
    o.concurrency = n;
    return true;
}

// -r FILE: a file that lives elsewhere must be one whose name can be told (no password in it).
bool read_requirement(std::string const& v, CheckOptions& o, std::ostream& err) {
    if (config::is_remote_file(v))
        if (auto name = config::remote_file_name(v); !name) {
            err << "pinwatch check: -r " << sanitize_text(redact_url_queries(redact_credentials(v)))
                << ": " << name.error() << "\n";
            return false;
        }
    o.load.requirements.push_back(v);
    return true;
}

bool read_index_url(std::string const& v, CheckOptions& o, std::ostream& err) {
    if (v.rfind("https://", 0) != 0 && v.rfind("http://", 0) != 0) {
        err << "pinwatch check: --index-url: expected an http:// or https:// URL\n";
        return false;
    }
    o.load.index_url = v;
    return true;
}

bool read_python_version(std::string const& v, CheckOptions& o, std::ostream& err) {
    if (auto env = config::with_python_version(config::fallback_environment(), v); !env) {
        err << "pinwatch check: --python-version: " << env.error() << "\n";
        return false;
    }
    o.load.python_version = v;
    return true;
}

// What to read: --config (and --project with it), or -r/--pyproject files, not both.
bool inputs_agree(CheckOptions const& o, std::ostream& err) {
    if (o.project && !o.config) {
        err << "pinwatch check: --project needs --config FILE\n";
        return false;
    }
    if (o.config && (!o.load.requirements.empty() || !o.load.pyproject.empty())) {
        err << "pinwatch check: give --config FILE or -r/--pyproject files, not both\n";
        return false;
    }
    if (!o.config && o.load.requirements.empty() && o.load.pyproject.empty()) {
        err << "pinwatch check: give at least one -r FILE or --pyproject FILE\n";
        return false;
    }
    return true;
}

// Usage problems: message on stderr, exit 2.
std::optional<CheckOptions> parse_args(Args const& args, std::ostream& err, bool& help) {
    CheckOptions o;
    ArgReader r(args);
    auto need = [&](std::optional<std::string> v) -> std::optional<std::string> {
        if (!v) err << "pinwatch check: " << r.current_flag() << " needs a value\n";
        return v;
    };
    while (!r.done()) {
        if (r.flag({"-h", "--help"})) {
            help = true;
            return o;
        } else if (r.flag({"-r", "--requirement"})) {
            auto v = need(r.value());
            if (!v || !read_requirement(*v, o, err)) return std::nullopt;
        } else if (r.flag({"--pyproject"})) {
            auto v = need(r.value());
            if (!v) return std::nullopt;
            o.load.pyproject.push_back(*v);
        } else if (r.flag({"--index-url", "-i"})) {
            auto v = need(r.value());
            if (!v || !read_index_url(*v, o, err)) return std::nullopt;
        } else if (r.flag({"--state"})) {
            auto v = need(r.value());
            if (!v) return std::nullopt;
            o.state = *v;
        } else if (r.flag({"--config"})) {
            auto v = need(r.value());
            if (!v) return std::nullopt;
            o.config = *v;
        } else if (r.flag({"--project"})) {
            auto v = need(r.value());
            if (!v) return std::nullopt;
            o.project = *v;
        } else if (r.flag({"--json"})) {
            o.json = true;
        } else if (r.flag({"-q", "--quiet"})) {
            o.quiet = true;
        } else if (r.flag({"-v", "--verbose"})) {
            o.verbose = true;
        } else if (r.flag({"--stats"})) {
            o.stats = true;
        } else if (r.flag({"--pre"})) {
            o.load.pre = true;
        } else if (r.flag({"--fail-on"})) {
            if (!read_fail_on(r.values(), o, err)) return std::nullopt;
        } else if (r.flag({"--python-version"})) {
            auto v = need(r.value());
            if (!v || !read_python_version(*v, o, err)) return std::nullopt;
        } else if (r.flag({"--ca-file"})) {
            auto v = need(r.value());
            if (!v) return std::nullopt;
            o.ca_file = *v;
        } else if (r.flag({"--timeout"})) {
            auto v = need(r.value());
            if (!v || !read_timeout(*v, o, err)) return std::nullopt;
        } else if (r.flag({"--concurrency"})) {
            auto v = need(r.value());
            if (!v || !read_concurrency(*v, o, err)) return std::nullopt;
        } else if (bool bad = false; read_source_flag(r, o, err, bad)) {
            if (bad) return std::nullopt;
        } else {
            err << "pinwatch check: unknown argument '" << r.peek() << "'\n";
            return std::nullopt;
        }
    }
    if (!inputs_agree(o, err)) return std::nullopt;
    return o;
}

// A progress bar on stderr, only for a terminal and only when the check is long enough to
// wonder about.
class Progress {
  public:
    Progress(std::size_t total, bool enabled) : total_(total), enabled_(enabled && total >= 20) {}
    void tick() {
        ++done_;
        if (!enabled_) return;
        auto const now = std::chrono::steady_clock::now();
        if (done_ != total_ && now - last_ < std::chrono::milliseconds(100)) return;
        last_ = now;
        int const width = 30;
        int const filled = static_cast<int>(width * done_ / std::max<std::size_t>(1, total_));
        std::cerr << "\r[" << std::string(filled, '#') << std::string(width - filled, ' ') << "] "
                  << done_ << "/" << total_ << std::flush;
    }
    ~Progress() {
        if (enabled_ && done_ > 0) std::cerr << "\r" << std::string(50, ' ') << "\r" << std::flush;
    }

  private:
    std::size_t total_, done_ = 0;
    bool enabled_;
    std::chrono::steady_clock::time_point last_{};
};

struct Row {
    Subscription sub;
    ReleaseSummary summary;
    std::optional<std::string> python; // the Python it was judged for (drops_python)
    std::optional<std::string> error;  // the listing (or the advisories) could not be read
    bool listing_error = false;        // the listing itself could not be read
    std::optional<std::vector<Advisory>> vulnerabilities; // live ones; nullopt: not known
    // What the index says about the project (PEP 792); nullopt when the listing was not read.
    std::optional<ProjectStatus> project_status;
    // Why they are not known: they could not be read (OSV down, an index without a JSON API),
    // or they were not asked for (a private name, advisories off).
    std::optional<std::string> advisories_error, advisories_withheld;
    std::vector<CheckCell> cells; // one per source with a column (SourceColumn)
};

// A source that adds a column (and a JSON key) to `check`.
struct SourceColumn {
    Source const* source;
    std::string header;
    std::vector<std::optional<std::int64_t>> own; // its subscription per requirement, if any
};

bool matches_fail_on(Row const& row, std::set<std::string> const& kinds) {
    if (kinds.count("yanked") && row.summary.pin_yanked) return true;
    if (kinds.count("vulnerable") && row.vulnerabilities && !row.vulnerabilities->empty())
        return true;
    if (!row.summary.update_type) return false;
    auto const t = *row.summary.update_type;
    if (t == UpdateType::none || t == UpdateType::older) return false;
    if (kinds.count("outdated")) return true;
    return kinds.count(to_string(t)) > 0;
}

// The "summary" object: what the table's last line says, and the libyears of every pin summed.
void write_json_summary(JsonWriter& w, std::vector<Row> const& rows) {
    std::int64_t outdated = 0, vulnerable = 0, yanked = 0, errors = 0;
    std::map<UpdateType, std::int64_t> by_type;
    double libyears = 0;
    for (auto const& r : rows) {
        auto const t = r.summary.update_type;
        if (t && !r.listing_error && *t != UpdateType::none && *t != UpdateType::older) {
            ++outdated;
            ++by_type[*t];
        }
        vulnerable += r.vulnerabilities && !r.vulnerabilities->empty();
        yanked += r.summary.pin_yanked;
        errors += r.error.has_value();
        if (r.summary.libyears && !r.listing_error) libyears += *r.summary.libyears;
    }
    w.key("summary").begin_object();
    w.field("packages", static_cast<std::int64_t>(rows.size()));
    w.field("outdated", outdated);
    for (auto t : {UpdateType::major, UpdateType::minor, UpdateType::patch, UpdateType::prerelease})
        w.field(to_string(t), by_type[t]);
    w.field("vulnerable", vulnerable);
    w.field("yanked", yanked);
    w.field("errors", errors);
    w.key("libyears").number(std::round(libyears * 1000) / 1000);
    w.end_object();
}

// A requirement's pin as the files say it: where it is and what it allows.
void write_json_pin(JsonWriter& w, Row const& r) {
    w.field("name", r.sub.name);
    w.field("project", r.sub.project);
    w.key("direct");
    if (r.sub.direct)
        w.boolean(*r.sub.direct);
    else
        w.null();
    w.field("file", r.sub.file);
    w.field("line", r.sub.line);
    w.field("specifier", r.sub.specifier);
    w.field("pinned", r.sub.pinned);
}

// What the index lists against the pin: the latest, what is newer, a yanked or missing pin.
void write_json_releases(JsonWriter& w, Row const& r) {
    w.field("latest", r.summary.latest);
    w.field("latest_allowed", r.summary.latest_allowed);
    w.key("newer").begin_array();
    for (auto const& v : r.summary.newer)
        w.string(v);
    w.end_array();
    w.key("update_type");
    if (r.summary.update_type && !r.listing_error)
        w.string(to_string(*r.summary.update_type));
    else
        w.null();
    w.key("yanked_pin");
    if (r.summary.pin_yanked)
        w.begin_object().field("reason", r.summary.pin_yank_reason).end_object();
    else
        w.null();
    // Whether the index lists the pinned version at all (null: no pin, or no listing).
    w.key("pin_on_index");
    if (r.sub.pinned && !r.listing_error)
        w.boolean(r.summary.pin_found);
    else
        w.null();
}

// Live advisories against the pinned version; null without a pin, when they could not be read
// (the reason is in `advisories_error`) or were not asked for (`advisories_withheld`: a private
// name, advisories off).
void write_json_advisories(JsonWriter& w, Row const& r) {
    w.key("vulnerabilities");
    if (r.vulnerabilities) {
        w.begin_array();
        for (auto const& a : *r.vulnerabilities) {
            w.begin_object().field("id", a.id).key("aliases").begin_array();
            for (auto const& x : a.aliases)
                w.string(x);
            w.end_array().field("summary", a.summary).field("link", a.link);
            w.key("fixed_in").begin_array();
            for (auto const& x : a.fixed_in)
                w.string(x);
            w.end_array().field("fix_allowed", a.fix_allowed).end_object();
        }
        w.end_array();
    } else {
        w.null();
    }
    w.field("advisories_error", r.advisories_error);
    w.field("advisories_withheld", r.advisories_withheld);
}

// How the project ages: the target Python dropped, its status on the index, libyears.
void write_json_aging(JsonWriter& w, Row const& r) {
    // Whether the newest of `newer` declares a Requires-Python that excludes the target
    // Python (null: nothing newer, or no Requires-Python published).
    w.key("drops_python");
    if (r.summary.drops_python && !r.listing_error)
        w.boolean(*r.summary.drops_python);
    else
        w.null();
    w.field("requires_python", r.summary.drops_requires_python);
    w.field("newest_for_python", r.summary.newest_for_python);
    // What the index says about the project (PEP 792): {"status", "reason"}, "active"
    // when it says nothing; null when the listing could not be read.
    w.key("project_status");
    if (r.project_status)
        w.begin_object()
            .field("status", r.project_status->status)
            .field("reason", r.project_status->reason)
            .end_object();
    else
        w.null();
    // Libyears (libyear.com): years between the pinned release's upload and the latest's
    // (null: no pin, or no upload times to tell by).
    w.key("libyears");
    if (r.summary.libyears && !r.listing_error)
        w.number(std::round(*r.summary.libyears * 1000) / 1000);
    else
        w.null();
}

// One element of "requirements": the row's fields, then one key per source with a column.
void write_json_requirement(JsonWriter& w, Row const& r, std::vector<SourceColumn> const& columns) {
    w.begin_object();
    write_json_pin(w, r);
    write_json_releases(w, r);
    write_json_advisories(w, r);
    write_json_aging(w, r);
    w.field("error", r.error);
    for (std::size_t c = 0; c < columns.size(); ++c) {
        w.key(columns[c].source->kind());
        if (r.cells[c].json)
            r.cells[c].json(w);
        else
            w.null();
    }
    w.end_object();
}

// "skipped" and "errors": the requirements not checked, and the lines that could not be read.
void write_json_unchecked(JsonWriter& w, LoadedRequirements const& loaded) {
    w.key("skipped").begin_array();
    for (auto const& s : loaded.skipped)
        w.begin_object()
            .field("name", s.name)
            .field("file", s.file)
            .field("line", s.line)
            .field("reason", s.reason)
            .end_object();
    w.end_array();
    w.key("errors").begin_array();
    for (auto const& e : loaded.errors)
        w.begin_object()
            .field("file", e.file)
            .field("line", e.line)
            .field("message", e.message)
            .end_object();
    w.end_array();
}

void write_json(std::ostream& out, std::vector<Row> const& rows, LoadedRequirements const& loaded,
                std::vector<SourceColumn> const& columns) {
    JsonWriter w;
    w.begin_object();
    w.field("index_url",
            redact_url(loaded.index_url)); // it may carry a token; output lands in CI logs
    w.key("requirements").begin_array();
    for (auto const& r : rows)
        write_json_requirement(w, r, columns);
    w.end_array();
    write_json_unchecked(w, loaded);
    write_json_summary(w, rows);
    w.end_object();
    out << w.str() << '\n';
}

// The VULN cell: advisory ids (CVE aliases beside them), "-" for none, "?" when unknown.
std::string vuln_cell(Row const& r) {
    if (!r.sub.pinned || (!r.listing_error && !r.summary.pin_found)) return "-";
    if (r.advisories_withheld) return "-";
    if (!r.vulnerabilities) return "?";
    if (r.vulnerabilities->empty()) return "none";
    std::string out;
    for (auto const& a : *r.vulnerabilities) {
        if (!out.empty()) out += ", ";
        out += sanitize_text(a.id);
        if (!a.aliases.empty()) out += " (" + sanitize_text(a.aliases.front()) + ")";
    }
    return out;
}

// A terminal's usual width: the table fits it for ordinary names.
constexpr std::size_t kTableColumns = 120;

// `text` cut into lines of at most `width` columns at spaces (a longer word stays whole), the
// first after `first`, the rest after `rest`.
void write_wrapped(std::ostream& out, std::string const& text, std::string const& first,
                   std::string const& rest, std::size_t width) {
    std::string line = first;
    bool empty = true;
    std::size_t at = 0;
    while (at < text.size()) {
        auto const space = text.find(' ', at);
        auto const word =
            text.substr(at, space == std::string::npos ? std::string::npos : space - at);
        at = space == std::string::npos ? text.size() : space + 1;
        if (word.empty()) continue;
        if (!empty && display_width(line) + 1 + display_width(word) > width) {
            out << line << '\n';
            line = rest;
            empty = true;
        }
        line += (empty ? "" : " ") + word;
        empty = false;
    }
    out << line << '\n';
}

// The table with its last column (NOTES) in place when every line fits kTableColumns; else
// the table without it, and each row's notes under the row, one per line, wrapped.
void write_fitted(std::ostream& out, std::vector<std::vector<std::string>> const& cells) {
    std::ostringstream whole;
    write_table(whole, cells);
    std::istringstream lines(whole.str());
    bool fits = true;
    for (std::string line; fits && std::getline(lines, line);)
        fits = display_width(line) <= kTableColumns;
    if (fits) {
        out << whole.str();
        return;
    }
    std::vector<std::vector<std::string>> narrow;
    for (auto const& row : cells)
        narrow.emplace_back(row.begin(), row.end() - 1);
    std::ostringstream table;
    write_table(table, narrow);
    std::istringstream rows(table.str());
    std::size_t i = 0;
    for (std::string line; std::getline(rows, line); ++i) {
        out << line << '\n';
        if (i == 0) continue; // the header
        auto const notes = sanitize_text(cells[i].back());
        std::size_t at = 0;
        while (at < notes.size()) {
            auto const end = notes.find("; ", at);
            write_wrapped(out, notes.substr(at, end == std::string::npos ? end : end - at), "    ",
                          "      ", kTableColumns);
            at = end == std::string::npos ? notes.size() : end + 2;
        }
    }
}

// "61 packages: 12 outdated (3 major), 2 vulnerable, 1 yanked pin, 0 errors"
std::string summary_line(std::vector<Row> const& rows) {
    std::size_t outdated = 0, major = 0, vulnerable = 0, yanked = 0, errors = 0;
    for (auto const& r : rows) {
        if (r.summary.update_type && *r.summary.update_type != UpdateType::none &&
            *r.summary.update_type != UpdateType::older) {
            ++outdated;
            major += *r.summary.update_type == UpdateType::major;
        }
        vulnerable += r.vulnerabilities && !r.vulnerabilities->empty();
        yanked += r.summary.pin_yanked;
        errors += r.error.has_value();
    }
    auto const n = [](std::size_t k, char const* one, char const* many) {
        return std::to_string(k) + " " + (k == 1 ? one : many);
    };
    return n(rows.size(), "package", "packages") + ": " + std::to_string(outdated) + " outdated (" +
           std::to_string(major) + " major), " + std::to_string(vulnerable) + " vulnerable, " +
           n(yanked, "yanked pin", "yanked pins") + ", " + n(errors, "error", "errors");
}

// The NOTES cell's word on a project the index marks (PEP 792): "QUARANTINED by the index
// (reason)", "archived (reason)", "deprecated", "marked 'x' by the index"; "" when active.
std::string project_status_note(Row const& r) {
    if (!r.project_status || r.project_status->active()) return "";
    auto const& st = *r.project_status;
    std::string out = st.quarantined()          ? "QUARANTINED by the index"
                      : st.status == "archived" ? "archived on the index"
                      : st.status == "deprecated"
                          ? "deprecated on the index"
                          : "marked '" + sanitize_text(st.status) + "' by the index";
    if (st.reason) out += " (" + sanitize_text(*st.reason) + ")";
    return out;
}

void write_rows(std::ostream& out, std::vector<Row> const& rows,
                std::vector<SourceColumn> const& columns) {
    std::vector<std::vector<std::string>> cells;
    cells.push_back({"PACKAGE", "REQUIRED", "LATEST", "NEWER", "VULN", "NOTES"});
    for (auto const& c : columns)
        cells.back().insert(cells.back().end() - 1, c.header);
    for (auto const& r : rows) {
        std::string notes;
        if (r.error) notes = "error: " + sanitize_text(*r.error);
        if (auto const status = project_status_note(r); !status.empty())
            notes += std::string(notes.empty() ? "" : "; ") + status;
        if (r.advisories_error)
            notes += std::string(notes.empty() ? "" : "; ") +
                     "advisories not read: " + sanitize_text(*r.advisories_error);
        if (r.advisories_withheld)
            notes += std::string(notes.empty() ? "" : "; ") +
                     "advisories: " + sanitize_text(*r.advisories_withheld);
        for (auto const& c : r.cells)
            if (!c.notes.empty()) notes += std::string(notes.empty() ? "" : "; ") + c.notes;
        if (r.vulnerabilities)
            for (auto const& a : *r.vulnerabilities)
                notes += std::string(notes.empty() ? "" : "; ") +
                         "VULNERABLE: " + sanitize_text(a.id) + " " + sanitize_text(a.summary) +
                         (a.fix_allowed ? " (fixed in " + sanitize_text(*a.fix_allowed) + ")"
                          : a.fixed_in.empty()
                              ? " (no fix published)"
                              : " (fixed in " + sanitize_text(a.fixed_in.front()) + ", which '" +
                                    sanitize_text(r.sub.specifier) + "' does not allow)");
        if (r.summary.drops_python == true && r.python && !r.summary.newer.empty())
            notes += std::string(notes.empty() ? "" : "; ") +
                     sanitize_text(r.summary.newer.back()) + " drops Python " + *r.python +
                     " (requires " + sanitize_text(r.summary.drops_requires_python.value_or("?")) +
                     ")" +
                     (r.summary.newest_for_python
                          ? ", newest for it: " + sanitize_text(*r.summary.newest_for_python)
                          : "");
        if (r.summary.pin_yanked)
            notes += std::string(notes.empty() ? "" : "; ") + "PINNED VERSION YANKED" +
                     (r.summary.pin_yank_reason ? " (" + *r.summary.pin_yank_reason + ")" : "");
        if (r.sub.pinned && !r.summary.pin_found && !r.listing_error)
            notes += std::string(notes.empty() ? "" : "; ") + "pinned " + *r.sub.pinned +
                     " is not on the index";
        if (r.summary.latest_allowed && r.summary.latest &&
            *r.summary.latest_allowed != *r.summary.latest && !r.sub.pinned)
            notes += std::string(notes.empty() ? "" : "; ") + "newest allowed " +
                     *r.summary.latest_allowed;
        std::string newer;
        if (!r.summary.newer.empty()) {
            newer = r.summary.newer.back();
            if (r.summary.update_type)
                newer += " (" + std::string(to_string(*r.summary.update_type)) + ")";
            if (r.summary.newer.size() > 1)
                newer += " +" + std::to_string(r.summary.newer.size() - 1) + " more";
        } else if (r.sub.pinned && !r.listing_error) {
            newer = "up to date";
        }
        // A project's own pin says whose it is ("requests (api)"); the default project's reads
        // as it always did.
        std::string const name = r.sub.project == config::kDefaultProject
                                     ? r.sub.name
                                     : r.sub.name + " (" + r.sub.project + ")";
        cells.push_back({name, r.sub.specifier.empty() ? "*" : r.sub.specifier,
                         r.summary.latest.value_or("-"), newer.empty() ? "-" : newer, vuln_cell(r),
                         notes});
        for (auto const& c : r.cells)
            cells.back().insert(cells.back().end() - 1, c.cell);
    }
    write_fitted(out, cells);
    out << summary_line(rows) << '\n';
}

// What one check polls and reports: the requirements' subscriptions in the state, and the
// subscriptions each source with a column derived from them.
struct CheckPlan {
    std::vector<std::int64_t> ids; // one per requirement
    std::vector<SourceColumn> columns;
    std::vector<StoredSubscription> subscriptions; // every poll, requirements first
};

// Stage 1: the sources `check` runs, built from the registry with the flags given.
std::optional<SourceRegistry> build_sources(CheckOptions const& o, config::Config const* config,
                                            std::ostream& err) {
    SourceSetup setup;
    setup.mode = SourceSetup::Mode::check;
    setup.config = config; // `check --config`: its [advisories] table, under the flags
    setup.flags = o.source_flags;
    std::vector<std::string> warnings;
    auto sources = make_sources(setup, warnings);
    if (!sources) {
        err << "pinwatch check: " << sanitize_text(sources.error()) << '\n';
        return std::nullopt;
    }
    for (auto const& w : warnings)
        err << "pinwatch check: " << w << '\n';
    return std::move(*sources);
}

// Stage 2: one subscription per requirement, plus what each source derives from them (a
// repository per package where the index has an API to find it through). Each judged by its
// requirement as the files say it now: a known one is given it, unless the state file is a
// daemon's (it routes events), whose own requirements stay (open_engine made sure they are the
// files' where they are watched).
CheckPlan subscribe(StateStore& store, SourceRegistry const& sources,
                    LoadedRequirements const& loaded, UnixTime now) {
    auto const refresh =
        store.routes().empty() ? StateStore::Refresh::all : StateStore::Refresh::inactive;
    CheckPlan plan;
    plan.ids = store.ensure_subscriptions(loaded.subscriptions, now, refresh);
    plan.subscriptions.reserve(plan.ids.size());
    for (auto id : plan.ids)
        plan.subscriptions.push_back(*store.subscription(id));
    for (auto const* source : sources.all()) {
        std::vector<std::string> unused; // the daemon's advice; the rows say it here
        auto derived = source->derive(loaded.subscriptions, unused);
        auto column = source->check_column();
        if (!column) continue;
        SourceColumn c{source, *column, std::vector<std::optional<std::int64_t>>(plan.ids.size())};
        std::vector<Subscription> subs;
        for (auto const& d : derived)
            subs.push_back(d.sub);
        auto const ids = store.ensure_subscriptions(subs, now, refresh);
        for (std::size_t k = 0; k < ids.size(); ++k) {
            c.own[derived[k].from] = ids[k];
            plan.subscriptions.push_back(*store.subscription(ids[k]));
        }
        plan.columns.push_back(std::move(c));
    }
    return plan;
}

// Stage 3: every subscription polled once, a progress bar meanwhile, and a word on stderr when
// a server asks to wait (GitHub's quota spent).
void poll_all(asio::io_context& io, net::Client& client, Scheduler& scheduler,
              std::vector<StoredSubscription> subs, bool progress_bar, std::ostream& err,
              std::function<asio::awaitable<void>()> then) {
    Progress progress(subs.size(), progress_bar);
    std::optional<UnixTime> told_wait;
    scheduler.on_polled = [&](StoredSubscription const& s, PollOutcome const& outcome) {
        progress.tick();
        auto const until = outcome.pause_host_until;
        // Only a short pause is waited for; a longer one fails the polls it would hold, with the
        // server's reason in their rows.
        if (until && *until - unix_now() >= 10 && scheduler.waits_out(*until, unix_now()) &&
            (!told_wait || *until > *told_wait + 60)) {
            told_wait = until;
            err << "pinwatch check: " << s.sub.source << " asks to wait until " << utc_text(*until)
                << " (rate limit); waiting\n";
        }
    };
    scheduler.on_crash = [&](StoredSubscription const& s, std::string const& what, int) {
        progress.tick();
        err << "pinwatch check: " << sanitize_text(s.sub.name) << ": " << sanitize_text(what)
            << '\n';
    };
    auto all = [&](std::vector<StoredSubscription> subs) -> asio::awaitable<void> {
        co_await scheduler.poll_each_once(std::move(subs));
        if (then) co_await then();
    };
    asio::co_spawn(io, all(std::move(subs)), [&](std::exception_ptr) {
        // Every poll is done: idle keep-alive connections must not keep the loop alive.
        client.shutdown();
        io.stop();
    });
    io.run();
}

// Summaries worked out from every release because none saved fitted, to keep for next time.
using SummariesToSave = std::vector<std::pair<std::int64_t, SavedSummary>>;

// What a requirement's releases mean: the saved summary when it was worked out from these very
// releases for this requirement (a poll answered 304 leaves it standing), else worked out from
// every release, and kept for the next check.
ReleaseSummary release_summary(StateStore const& store, std::int64_t id, PollReport const& s,
                               Subscription const& sub, std::optional<std::string> const& python,
                               SummariesToSave& to_save) {
    if (s.summary)
        if (auto summary = read_summary(*s.summary, sub, python)) return std::move(*summary);
    auto const releases = store.release_list(id);
    auto saved = save_summary(sub, releases, s.release_generation);
    auto summary = read_summary(saved, sub, python);
    to_save.emplace_back(id, std::move(saved));
    return summary ? std::move(*summary) : summarize(sub, releases, python);
}

// One requirement's row: its listing, its advisories, and the cells of the other sources.
Row make_row(StateStore& store, CheckPlan const& plan, std::size_t i, Subscription const& sub,
             std::optional<std::string> const& python, AdvisorySettings const& advisories,
             bool& package_errors, SummariesToSave& to_save) {
    // How its poll went and what its releases mean, in one read.
    auto s = store.poll_report(plan.ids[i]);
    Row row;
    row.sub = sub;
    row.summary = release_summary(store, plan.ids[i], *s, row.sub, python, to_save);
    row.python = python;
    if (s->last_status == PollStatus::error || s->last_status == PollStatus::gone ||
        s->last_status == PollStatus::pending) {
        row.error = s->last_error.value_or("not checked");
        row.listing_error = true;
        package_errors = true;
    }
    // As stored by the last poll that read a listing (this one, or an earlier one when the
    // state file is kept and the page answered 304).
    if (!row.listing_error) row.project_status = s->project_status;
    // A pin the index does not list has no advisories to read (pin_on_index says so).
    if (row.sub.pinned && !row.listing_error && row.summary.pin_found) {
        // This check read the pin's advisories (or got a 304 for the reading stored). Advisories
        // that cannot be read are no error of the package: its releases are judged all the same.
        if (advisories.from == AdvisorySettings::From::none)
            row.advisories_withheld = "off (--advisories none)";
        else if (PrivateNames(advisories.private_names).matches(row.sub.name))
            row.advisories_withheld = kPrivateReason;
        else if (s->vulns.version == row.sub.pinned && !s->vulns.error && s->vulns.checked)
            row.vulnerabilities = s->vulns.live;
        else
            row.advisories_error = s->vulns.error.value_or("vulnerabilities: not read");
    }
    for (auto const& c : plan.columns) {
        std::optional<StoredSubscription> own;
        if (c.own[i]) own = store.subscription(*c.own[i]);
        std::optional<SubscriptionView> view;
        if (own)
            view.emplace(SubscriptionView{own->sub, own->active, own->last_status, own->last_error,
                                          own->source_state, own->last_poll, own->next_due});
        row.cells.push_back(c.source->check_cell(row.sub, view ? &*view : nullptr, unix_now()));
        package_errors = package_errors || row.cells.back().failed;
    }
    return row;
}

// The marker probe's answer kept in the state file (--state), so a warm check does not start
// python3 again for the same interpreter (config::probe_identity says which). Installed for one
// run; what is learnt before the state is open (a marker read with the files) is kept once it is.
class ProbeMemoInState {
  public:
    explicit ProbeMemoInState(std::optional<std::string> path) : path_(std::move(path)) {
        if (!path_) return; // a temporary state would forget it
        config::set_probe_memo(
            {[this](std::string const& id) { return recall(id); },
             [this](std::string const& id, std::string const& output) { remember(id, output); }});
    }
    ~ProbeMemoInState() {
        if (path_) config::set_probe_memo({});
    }
    ProbeMemoInState(ProbeMemoInState const&) = delete;
    ProbeMemoInState& operator=(ProbeMemoInState const&) = delete;

    void attach(StateStore& store) {
        if (!path_) return;
        store_ = &store;
        if (pending_) keep(pending_->first, pending_->second);
        pending_.reset();
    }

  private:
    std::optional<std::string> recall(std::string const& id) const {
        try {
            if (store_) return store_->python_probe(id);
            // Not open yet: a look at the file as it is (an older schema cannot answer).
            std::error_code ec;
            if (!std::filesystem::exists(*path_, ec)) return std::nullopt;
            StateStore file(*path_, StateStore::Access::read_only);
            return file.python_probe(id);
        } catch (std::exception const&) {
            return std::nullopt; // then python3 is asked, as without a state file
        }
    }
    void remember(std::string const& id, std::string const& output) {
        if (store_)
            keep(id, output);
        else
            pending_.emplace(id, output);
    }
    void keep(std::string const& id, std::string const& output) {
        try {
            store_->save_python_probe(id, output, unix_now());
        } catch (std::exception const&) {
            // A state file that takes no writes: python3 is asked again next time.
        }
    }

    std::optional<std::string> path_;
    StateStore* store_ = nullptr;
    std::optional<std::pair<std::string, std::string>> pending_;
};

void print_stats(net::Client const& client, std::size_t packages,
                 std::chrono::steady_clock::time_point started,
                 std::optional<AdvisoryRoundResult> const& advisories, std::ostream& err) {
    auto const st = client.stats();
    auto const ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    err << "pinwatch: " << packages << " packages, " << st.requests << " requests, "
        << st.connections_opened << " connections (" << st.connections_reused << " reuses), "
        << st.bytes_received << " bytes received, " << st.bytes_sent << " bytes sent, "
        << ms.count() << " ms polling\n";
    if (advisories)
        err << "pinwatch: advisories: " << advisories->pins << " pins, "
            << advisories->batches + advisories->records << " requests (" << advisories->batches
            << " batch, " << advisories->records << " records)\n";
}

// What `check` reads: every project of a config as the daemon would load it, or the command
// line's files as one project.
struct CheckInput {
    std::optional<config::Config> cfg; // --config
    std::vector<LoadOptions> projects;
};

// Stage 1: the projects to read; nullopt after saying what is wrong with the config.
std::optional<CheckInput> choose_projects(CheckOptions const& o, std::ostream& err) {
    CheckInput in;
    if (!o.config) {
        in.projects.push_back(o.load);
        return in;
    }
    // Every project as the daemon would load it: its files, index, Python and rules, with
    // the command line's --index-url, --python-version and --pre over them.
    auto read = load_config(*o.config);
    if (!read) {
        for (auto const& e : read.error())
            err << sanitize_text(e.str()) << '\n';
        return std::nullopt;
    }
    in.cfg = std::move(*read);
    in.projects = project_load_options(*in.cfg);
    if (o.project) {
        std::erase_if(in.projects, [&](LoadOptions const& p) { return p.project != *o.project; });
        if (in.projects.empty()) {
            std::string names;
            for (auto const& p : config::all_projects(*in.cfg))
                names += (names.empty() ? "" : ", ") + p.name;
            err << "pinwatch check: --project: no project named '" << sanitize_text(*o.project)
                << "' in " << sanitize_text(*o.config) << " (projects: " << names << ")\n";
            return std::nullopt;
        }
    }
    for (auto& p : in.projects) {
        if (o.load.index_url) p.index_url = o.load.index_url;
        if (o.load.python_version) p.python_version = o.load.python_version;
        p.pre = p.pre || o.load.pre;
    }
    return in;
}

// The check's one event loop and the client every request goes through.
struct Connection {
    asio::io_context io;
    std::unique_ptr<net::Client> client;
};

// Stage 2: the client, with the command line's CA file, deadline and concurrency; false after
// saying why it cannot be built (a CA file that does not read).
bool open_client(Connection& conn, CheckOptions const& o, std::ostream& err) {
    net::ClientOptions copts;
    copts.extra_ca_file = o.ca_file;
    copts.deadline = o.timeout;
    copts.max_in_flight_per_host = static_cast<std::size_t>(o.concurrency);
    copts.max_idle_per_host = static_cast<std::size_t>(o.concurrency);
    try {
        conn.client = make_client(conn.io.get_executor(), copts);
    } catch (std::exception const& e) {
        err << "pinwatch check: " << sanitize_text(e.what()) << '\n';
        return false;
    }
    return true;
}

// Stage 3: the remote files; the projects read them through the returned RemoteFiles, which
// must outlive the reading.
std::unique_ptr<RemoteFiles> fetch_remote(Connection& conn, CheckOptions const& o, CheckInput& in) {
    auto& io = conn.io;
    auto const& client = conn.client;
    auto const& cfg = in.cfg;
    auto& projects = in.projects;
    // Files that live elsewhere (any project's) are fetched once, before anything is read (no
    // state is kept).
    auto const entries = remote_entries(projects);
    std::unique_ptr<RemoteFiles> remote;
    if (!entries.empty()) {
        RemoteFilesOptions ropts;
        // Each host with its source's access: a config's table, the command line's over it.
        SourceSetup setup;
        setup.mode = SourceSetup::Mode::check;
        setup.config = cfg ? &*cfg : nullptr;
        setup.flags = o.source_flags;
        ropts.hosts = make_file_hosts(setup);
        remote = std::make_unique<RemoteFiles>(*client, std::move(ropts), entries, nullptr);
        for (auto& p : projects)
            p.read_remote = remote->reader();
        fetch_remote_files(io, *remote, projects);
    }
    return remote;
}

// Stage 4: every project's requirements, their problems said on stderr (they are in the output
// too).
LoadedRequirements read_projects(CheckInput const& in, std::ostream& err) {
    LoadedRequirements loaded;
    if (in.cfg) {
        loaded = load_projects(in.projects);
        if (!loaded.unreadable_projects.empty()) loaded.unreadable = true;
    } else {
        loaded = load_requirements(in.projects.front());
    }
    for (auto const& e : loaded.errors)
        err << sanitize_text(e.str()) << '\n';
    return loaded;
}

// What the polls run with: the state they write to, the sources and the advisory settings.
struct Engine {
    std::unique_ptr<StateStore> store;
    SourceRegistry sources;
    AdvisorySettings advisories;
};

// A requirement the state file's daemon watches by another specifier, pin or rules than the
// files say (an edited pin not reloaded yet, a branch's file): "name: X there, Y here".
std::optional<std::string> watched_otherwise(StateStore const& store,
                                             std::vector<Subscription> const& subs) {
    std::map<std::tuple<std::string, std::string, std::string>, Subscription> watched;
    for (auto& s : store.subscriptions()) // active ones: those the daemon polls
        watched.emplace(std::tuple(s.sub.source, s.sub.locator, s.sub.project), std::move(s.sub));
    auto const said = [](Subscription const& s) {
        return (s.specifier.empty() ? std::string("*") : s.specifier) +
               (s.prereleases ? " (pre-releases)" : "");
    };
    for (auto const& s : subs) {
        auto const it = watched.find(std::tuple(s.source, s.locator, s.project));
        if (it == watched.end()) continue;
        auto const& w = it->second;
        if (w.specifier == s.specifier && w.pinned == s.pinned && w.prereleases == s.prereleases &&
            w.rules == s.rules)
            continue;
        bool const same_words = said(w) == said(s);
        return s.name + (s.project == config::kDefaultProject ? "" : " (" + s.project + ")") +
               ": " + (same_words ? "other rules" : said(w)) + " there, " +
               (same_words ? "these" : said(s)) + " here";
    }
    return std::nullopt;
}

// Stage 5: the state (a temporary one unless --state), the sources and their advisory
// settings; nullopt after saying why one cannot be had.
std::optional<Engine> open_engine(CheckOptions const& o, config::Config const* cfg,
                                  LoadedRequirements const& loaded, std::ostream& err) {
    Engine engine;
    try {
        engine.store = std::make_unique<StateStore>(o.state.value_or("")); // temporary: on disk
        // A state file that routes events to notifiers is a daemon's (or `run --once`'s). A
        // package it watches by another requirement must not be judged in it: check would
        // write its own pin's advisories and notices there, and the daemon, taking its
        // requirement back at its next reload, would tell the team its own pin's again.
        if (o.state && !engine.store->routes().empty())
            if (auto const other = watched_otherwise(*engine.store, loaded.subscriptions)) {
                err << "pinwatch check: " << sanitize_text(*o.state)
                    << " is a daemon's state file and it watches " << sanitize_text(*other)
                    << ": checking without it (a temporary state), as without --state\n";
                engine.store = std::make_unique<StateStore>("");
            }
    } catch (std::exception const& e) {
        err << "pinwatch check: " << e.what() << '\n';
        return std::nullopt;
    }
    auto sources = build_sources(o, cfg, err);
    if (!sources) return std::nullopt;
    engine.sources = std::move(*sources);
    SourceSetup advisory_setup;
    advisory_setup.mode = SourceSetup::Mode::check;
    advisory_setup.config = cfg;
    advisory_setup.flags = o.source_flags;
    engine.advisories = advisory_settings(advisory_setup);
    // Names that leave the box for an advisory service are said once, with how to keep them.
    if (auto told = advisory_disclosure(loaded.subscriptions, engine.advisories,
                                        "pass --private NAME|GLOB (repeatable)"))
        err << "pinwatch check: " << *told << '\n';
    return engine;
}

// The Python each pin is judged for.
struct Pythons {
    // --python-version, else (with --config) the config's python_version, else the system's.
    std::optional<std::string> all;
    // `--config` without --python-version: each project that names its own Python is judged
    // by it, as the daemon does.
    std::map<std::string, std::string> by_project;

    std::optional<std::string> of(std::string const& project) const {
        auto const own = by_project.find(project);
        return own != by_project.end() ? std::optional<std::string>(own->second) : all;
    }
};

Pythons judging_pythons(CheckOptions const& o, config::Config const* cfg) {
    Pythons py;
    py.all = config::marker_environment(o.load.python_version ? o.load.python_version
                                        : cfg                 ? cfg->python_version
                                                              : std::nullopt)
                 .value("python_full_version");
    if (cfg && !o.load.python_version)
        for (auto const& p : config::all_projects(*cfg))
            if (p.python_version)
                if (auto v =
                        config::marker_environment(p.python_version).value("python_full_version"))
                    py.by_project[p.name] = *v;
    return py;
}

// Stage 6: a subscription per requirement (and what the sources derive from them), each polled
// once, then the pins' advisories; the plan says where the results lie in the state.
CheckPlan poll_requirements(Connection& conn, Engine& engine, CheckOptions const& o,
                            LoadedRequirements const& loaded, Pythons const& pythons,
                            std::ostream& err) {
    auto& client = *conn.client;
    auto& store = *engine.store;
    PollerOptions popts;
    popts.keep_schedule = true; // a daemon may own this state file: never move its polls
    popts.python = pythons.all;
    popts.project_python = pythons.by_project;
    // Events go where the state file's notifiers want them (none for a temporary state).
    Poller poller(client, store, engine.sources, Router(store.routes()), popts);
    poller.use_index_credentials(loaded.subscriptions); // the state file keeps none
    SchedulerOptions sopts;
    // Polls in flight per host: a few times the connections, enough to keep every connection
    // busy while the thousands still waiting cost an id each instead of a coroutine frame.
    sopts.max_polls_per_host =
        std::max<std::size_t>(64, 4 * static_cast<std::size_t>(o.concurrency));
    Scheduler scheduler(conn.io.get_executor(), store, poller, sopts);

    auto plan = subscribe(store, engine.sources, loaded, unix_now());
    auto const started = std::chrono::steady_clock::now();
    // Then the pins' advisories, from the advisory source in batches (OSV), when it runs.
    std::optional<AdvisoryRoundResult> round;
    auto read_pins_advisories = [&]() -> asio::awaitable<void> {
        auto const* source = engine.sources.advisories();
        if (!source) co_return;
        std::vector<StoredSubscription> pins;
        for (auto id : plan.ids)
            if (auto s = store.subscription(id)) pins.push_back(std::move(*s));
        round = co_await read_advisories(client, store, *source,
                                         PrivateNames(engine.advisories.private_names),
                                         std::move(pins), Router(store.routes()), unix_now());
    };
    poll_all(conn.io, client, scheduler, std::move(plan.subscriptions),
             !o.quiet && stderr_is_terminal(), err, read_pins_advisories);
    if (o.stats) print_stats(client, plan.ids.size(), started, round, err);
    return plan;
}

// Stage 7: a row per requirement, each judged for its project's Python as its poll was (the
// summaries worked out on the way kept for the next check); `package_errors` is set when some
// package could not be checked.
std::vector<Row> make_rows(Engine const& engine, CheckPlan const& plan,
                           LoadedRequirements const& loaded, Pythons const& pythons,
                           bool& package_errors) {
    std::vector<Row> rows;
    SummariesToSave summaries;
    for (std::size_t i = 0; i < plan.ids.size(); ++i)
        rows.push_back(make_row(*engine.store, plan, i, loaded.subscriptions[i],
                                pythons.of(loaded.subscriptions[i].project), engine.advisories,
                                package_errors, summaries));
    try {
        engine.store->save_summaries(summaries);
    } catch (std::exception const&) {
        // A state file that takes no writes (a full disk) keeps no summary: the next check
        // works it out again, as this one did.
    }
    return rows;
}

// Stage 8: the exit status CI acts on (see kCheckUsageEnd).
int exit_status(CheckOptions const& o, std::vector<Row> const& rows,
                LoadedRequirements const& loaded, bool package_errors) {
    bool matched = false;
    for (auto const& r : rows)
        matched = matched || (!o.fail_on.empty() && matches_fail_on(r, o.fail_on));
    if (matched) return 1;
    if (package_errors || !loaded.errors.empty()) return 3;
    // Advisories that could not be read fail the check only where it asks for certainty.
    if (o.fail_on.count("vulnerable"))
        for (auto const& r : rows)
            if (r.advisories_error) return 3;
    return 0;
}

} // namespace

int run_check(Args const& args, std::ostream& out, std::ostream& err) {
    bool help = false;
    auto parsed = parse_args(args, err, help);
    if (help) {
        out << check_usage();
        return 0;
    }
    if (!parsed) {
        err << "Run `pinwatch check --help` for usage.\n";
        return 2;
    }
    auto& o = *parsed;
    // Problems are in the output already (table or JSON); the log would only repeat them.
    spdlog::set_level(o.verbose ? spdlog::level::debug : spdlog::level::off);

    auto in = choose_projects(o, err);
    if (!in) return 2;
    config::Config const* cfg = in->cfg ? &*in->cfg : nullptr;
    Connection conn;
    if (!open_client(conn, o, err)) return 2;
    auto const remote = fetch_remote(conn, o, *in); // held: the projects read through it
    ProbeMemoInState probe_memo(o.state);
    auto const loaded = read_projects(*in, err);
    if (loaded.unreadable) return 2;
    auto engine = open_engine(o, cfg, loaded, err);
    if (!engine) return 2;
    probe_memo.attach(*engine->store);
    auto const pythons = judging_pythons(o, cfg);

    // Poll, then judge what the state holds now.
    auto const plan = poll_requirements(conn, *engine, o, loaded, pythons, err);
    bool package_errors = false;
    auto const rows = make_rows(*engine, plan, loaded, pythons, package_errors);
    if (o.json)
        write_json(out, rows, loaded, plan.columns);
    else
        write_rows(out, rows, plan.columns);
    return exit_status(o, rows, loaded, package_errors);
}

} // namespace pinwatch::cli
