#pragma once

// What the daemon logs, captured for one scope: tests count the lines that say a thing, so a
// message said once (or never) is asserted, not a log's exact wording elsewhere.

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <cstddef>
#include <memory>
#include <sstream>
#include <string>

namespace pinwatch::testing {

// The lines of `text` that contain `part`.
inline std::size_t count_lines(std::string const& text, std::string const& part) {
    std::size_t n = 0;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);)
        n += l.find(part) != std::string::npos;
    return n;
}

// spdlog's default logger into a string ("LEVEL message" lines) while it lives.
struct CapturedLog {
    std::ostringstream text;
    std::shared_ptr<spdlog::logger> saved = spdlog::default_logger();

    explicit CapturedLog(spdlog::level::level_enum level = spdlog::level::debug) {
        auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(text);
        auto logger = std::make_shared<spdlog::logger>("test", sink);
        logger->set_level(level);
        logger->set_pattern("%l %v");
        spdlog::set_default_logger(logger);
    }
    ~CapturedLog() { spdlog::set_default_logger(saved); }
    CapturedLog(CapturedLog const&) = delete;
    CapturedLog& operator=(CapturedLog const&) = delete;

    // What was logged since the last take.
    std::string take() {
        auto s = text.str();
        text.str("");
        return s;
    }
    // How many times `part` was logged (anywhere in a line) so far.
    std::size_t count(std::string const& part) const {
        auto const s = text.str();
        std::size_t n = 0;
        for (auto at = s.find(part); at != std::string::npos; at = s.find(part, at + 1))
            ++n;
        return n;
    }
};

} // namespace pinwatch::testing
