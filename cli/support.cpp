#include "cli/support.hpp"

#include "common/text.hpp"
#include "watcher/poller.hpp"
#include "watcher/remote_files.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <ostream>
#include <unistd.h>

namespace pinwatch::cli {

bool ArgReader::flag(std::initializer_list<std::string_view> names) {
    if (done()) return false;
    std::string_view a = args_[i_];
    std::optional<std::string> glued;
    if (a.rfind("--", 0) == 0) {
        if (auto eq = a.find('='); eq != std::string_view::npos) {
            glued = std::string(a.substr(eq + 1));
            a = a.substr(0, eq);
        }
    }
    for (auto n : names) {
        // "-rFILE": a one-letter flag with its value glued on.
        if (!glued && n.size() == 2 && n[0] == '-' && n[1] != '-' && a.size() > 2 &&
            a.substr(0, 2) == n && a[1] != '-') {
            flag_ = std::string(n);
            glued_ = std::string(a.substr(2));
            ++i_;
            return true;
        }
        if (a == n) {
            flag_ = std::string(a);
            glued_ = std::move(glued);
            ++i_;
            return true;
        }
    }
    return false;
}

std::optional<std::string> ArgReader::value() {
    if (glued_) {
        auto v = std::move(glued_);
        glued_.reset();
        return v;
    }
    if (done()) return std::nullopt;
    return args_[i_++];
}

std::vector<std::string> ArgReader::values() {
    std::vector<std::string> out;
    if (glued_) {
        out.push_back(*glued_);
        glued_.reset();
    }
    while (!done() && !args_[i_].empty() && args_[i_][0] != '-')
        out.push_back(args_[i_++]);
    return out;
}

StateLocation default_state_location() {
    namespace fs = std::filesystem;
    if (char const* s = std::getenv("STATE_DIRECTORY"); s && *s) {
        // systemd's StateDirectory= may list several, separated by ':'; the first is ours.
        std::string v = s;
        return {(fs::path(v.substr(0, v.find(':'))) / "state.db").string(), "$STATE_DIRECTORY"};
    }
    if (char const* x = std::getenv("XDG_STATE_HOME"); x && *x)
        return {(fs::path(x) / "pinwatch" / "state.db").string(), "$XDG_STATE_HOME"};
    if (char const* h = std::getenv("HOME"); h && *h)
        return {(fs::path(h) / ".local" / "state" / "pinwatch" / "state.db").string(), "$HOME"};
    return {(fs::path(".") / "state.db").string(), "the working directory"};
}

std::string default_state_path() {
    auto where = default_state_location();
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(where.path).parent_path(), ec);
    return where.path;
}

bool stderr_is_terminal() {
    return ::isatty(2) == 1;
}

void write_table(std::ostream& out, std::vector<std::vector<std::string>> const& raw) {
    // Cells carry index data (versions, yank reasons, errors): no control sequence reaches the
    // terminal, whichever command printed it.
    std::vector<std::vector<std::string>> rows;
    rows.reserve(raw.size());
    for (auto const& r : raw) {
        auto& row = rows.emplace_back();
        for (auto const& cell : r)
            row.push_back(sanitize_text(cell));
    }
    std::vector<std::size_t> width;
    for (auto const& row : rows) {
        if (width.size() < row.size()) width.resize(row.size(), 0);
        for (std::size_t i = 0; i < row.size(); ++i)
            width[i] = std::max(width[i], display_width(row[i]));
    }
    for (auto const& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) line += std::string(width[i] - display_width(row[i]) + 2, ' ');
        }
        while (!line.empty() && line.back() == ' ')
            line.pop_back();
        out << line << '\n';
    }
}

void fetch_remote_files(boost::asio::io_context& io, watcher::RemoteFiles& files,
                        std::vector<watcher::LoadOptions> const& load) {
    auto fetch = [&]() -> boost::asio::awaitable<void> {
        (void)co_await files.refresh(load, watcher::unix_now());
    };
    // Idle keep-alive connections would keep the loop running: it stops when the files are in.
    boost::asio::co_spawn(io, fetch(), [&](std::exception_ptr) { io.stop(); });
    io.run();
    io.restart();
}

} // namespace pinwatch::cli
