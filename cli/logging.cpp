#include "cli/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

namespace pinwatch::cli {
namespace {

// "%*" in the pattern: the line's journal priority.
class PriorityFlag : public spdlog::custom_flag_formatter {
  public:
    void format(spdlog::details::log_msg const& msg, std::tm const&,
                spdlog::memory_buf_t& dest) override {
        char const digit = static_cast<char>('0' + journal_priority(msg.level));
        dest.push_back(digit);
    }
    std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<PriorityFlag>();
    }
};

} // namespace

bool stderr_is_journal() {
    char const* stream = std::getenv("JOURNAL_STREAM");
    if (!stream || !*stream) return false;
    unsigned long long dev = 0, ino = 0;
    char tail = 0;
    if (std::sscanf(stream, "%llu:%llu%c", &dev, &ino, &tail) != 2) return false;
    struct stat st {};
    if (::fstat(STDERR_FILENO, &st) != 0) return false;
    return static_cast<unsigned long long>(st.st_dev) == dev &&
           static_cast<unsigned long long>(st.st_ino) == ino;
}

int journal_priority(spdlog::level::level_enum level) noexcept {
    switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
        return 7; // LOG_DEBUG
    case spdlog::level::info:
        return 6; // LOG_INFO
    case spdlog::level::warn:
        return 4; // LOG_WARNING
    case spdlog::level::err:
        return 3; // LOG_ERR
    case spdlog::level::critical:
        return 2; // LOG_CRIT
    default:
        return 6;
    }
}

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view text) {
    if (text == "debug") return spdlog::level::debug;
    if (text == "info") return spdlog::level::info;
    if (text == "warning" || text == "warn") return spdlog::level::warn;
    if (text == "error") return spdlog::level::err;
    if (text == "critical") return spdlog::level::critical;
    if (text == "off") return spdlog::level::off;
    return std::nullopt;
}

void setup_logging() {
    auto logger = spdlog::stderr_color_mt("pinwatch");
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    if (stderr_is_journal()) {
        // The journal stamps time, unit and pid itself; a line is its priority and message.
        formatter->add_flag<PriorityFlag>('*').set_pattern("<%*>%v");
        logger->set_formatter(std::move(formatter));
    } else {
        formatter->set_pattern("%Y-%m-%d %H:%M:%S %^%l%$: %v");
        logger->set_formatter(std::move(formatter));
    }
    spdlog::set_default_logger(std::move(logger));
}

} // namespace pinwatch::cli
