#include "watcher/cli_support.hpp"

#include <cstdlib>
#include <filesystem>
#include <unistd.h>

namespace pinwatch::watcher {

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
    while (!done() && !args_[i_].empty() && args_[i_][0] != '-') out.push_back(args_[i_++]);
    return out;
}

std::string default_state_path() {
    namespace fs = std::filesystem;
    fs::path dir;
    if (char const* s = std::getenv("STATE_DIRECTORY"); s && *s) {
        // systemd's StateDirectory= may list several, separated by ':'; the first is ours.
        std::string v = s;
        dir = v.substr(0, v.find(':'));
    } else if (char const* x = std::getenv("XDG_STATE_HOME"); x && *x) {
        dir = fs::path(x) / "pinwatch";
    } else if (char const* h = std::getenv("HOME"); h && *h) {
        dir = fs::path(h) / ".local" / "state" / "pinwatch";
    } else {
        dir = ".";
    }
    std::error_code ec;
    fs::create_directories(dir, ec);
    return (dir / "state.db").string();
}

bool stderr_is_terminal() { return ::isatty(2) == 1; }

} // namespace pinwatch::watcher
