#include "cli/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <systemd/sd-journal.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <mutex>
#include <streambuf>
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

// Writes all of `data` to `fd`; 0, or the errno that stopped it.
int write_all(int fd, char const* data, std::size_t size) {
    while (size > 0) {
        auto const n = ::write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return 0;
}

// stdout through write(2), so EPIPE is seen as what it is: the reader has gone for good.
class StdoutBuffer : public std::streambuf {
  public:
    StdoutBuffer() { setp(buffer_.data(), buffer_.data() + buffer_.size()); }

  protected:
    int_type overflow(int_type c) override {
        if (sync() != 0) return traits_type::eof();
        if (!traits_type::eq_int_type(c, traits_type::eof())) {
            *pptr() = traits_type::to_char_type(c);
            pbump(1);
        }
        return traits_type::not_eof(c);
    }
    int sync() override {
        auto const size = static_cast<std::size_t>(pptr() - pbase());
        setp(buffer_.data(), buffer_.data() + buffer_.size());
        if (closed_ || size == 0) return 0;
        int const error = write_all(STDOUT_FILENO, buffer_.data(), size);
        if (error == 0) return 0;
        if (error != EPIPE) return -1; // a full disk: the writer may try again
        closed_ = true;
        spdlog::warn("stdout is closed (EPIPE): results and console notifications are no longer "
                     "written; pinwatch goes on");
        return 0;
    }

  private:
    std::array<char, 8192> buffer_{};
    bool closed_ = false;
};

// Log lines on stderr (not a terminal) through write(2). After EPIPE they go to the journal,
// when there is one, with their priority; the first says why.
class StderrSink : public spdlog::sinks::base_sink<std::mutex> {
  protected:
    void sink_it_(spdlog::details::log_msg const& msg) override {
        spdlog::memory_buf_t line;
        formatter_->format(msg, line);
        if (!closed_) {
            if (write_all(STDERR_FILENO, line.data(), line.size()) != EPIPE) return;
            closed_ = true;
            sd_journal_print(4, "pinwatch: stderr is closed (EPIPE); log lines go to the "
                                "journal directly");
        }
        std::string_view text(line.data(), line.size());
        if (text.size() > 3 && text[0] == '<' && text[2] == '>') text.remove_prefix(3);
        while (!text.empty() && text.back() == '\n')
            text.remove_suffix(1);
        sd_journal_print(journal_priority(msg.level), "%.*s", static_cast<int>(text.size()),
                         text.data());
    }
    void flush_() override {}

  private:
    bool closed_ = false;
};

} // namespace

void guard_standard_streams() {
    std::signal(SIGPIPE, SIG_IGN);
    // Never destroyed: std::cout is flushed at exit, after function-local statics are gone.
    static auto* const buffer = new StdoutBuffer;
    std::cout.flush();
    std::cout.rdbuf(buffer);
}

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
    // A terminal gets colours (and never answers EPIPE); anything else the EPIPE-aware sink.
    auto logger =
        ::isatty(STDERR_FILENO)
            ? spdlog::stderr_color_mt("pinwatch")
            : std::make_shared<spdlog::logger>("pinwatch", std::make_shared<StderrSink>());
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
