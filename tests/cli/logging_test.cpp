#define BOOST_TEST_MODULE logging
#include <boost/test/unit_test.hpp>

// Where log lines go: the journal is recognised only when $JOURNAL_STREAM names stderr itself;
// levels map to syslog priorities; --log-level names are read.

#include "cli/logging.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

using namespace pinwatch::cli;

BOOST_AUTO_TEST_CASE(journal_stream_must_name_stderr) {
    struct stat st {};
    BOOST_REQUIRE(::fstat(STDERR_FILENO, &st) == 0);
    auto const mine = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
    ::unsetenv("JOURNAL_STREAM");
    BOOST_TEST(!stderr_is_journal());
    ::setenv("JOURNAL_STREAM", mine.c_str(), 1);
    BOOST_TEST(stderr_is_journal());
    // Inherited from a parent whose stderr was the journal, while ours was redirected.
    auto const other = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1);
    ::setenv("JOURNAL_STREAM", other.c_str(), 1);
    BOOST_TEST(!stderr_is_journal());
    ::setenv("JOURNAL_STREAM", (mine + "x").c_str(), 1);
    BOOST_TEST(!stderr_is_journal());
    ::setenv("JOURNAL_STREAM", "garbage", 1);
    BOOST_TEST(!stderr_is_journal());
    ::unsetenv("JOURNAL_STREAM");
}

BOOST_AUTO_TEST_CASE(priorities_and_level_names) {
    BOOST_TEST(journal_priority(spdlog::level::debug) == 7);
    BOOST_TEST(journal_priority(spdlog::level::info) == 6);
    BOOST_TEST(journal_priority(spdlog::level::warn) == 4);
    BOOST_TEST(journal_priority(spdlog::level::err) == 3);
    BOOST_TEST(journal_priority(spdlog::level::critical) == 2);
    BOOST_TEST((parse_log_level("warning") == spdlog::level::warn));
    BOOST_TEST((parse_log_level("warn") == spdlog::level::warn));
    BOOST_TEST((parse_log_level("debug") == spdlog::level::debug));
    BOOST_TEST((parse_log_level("error") == spdlog::level::err));
    BOOST_TEST(!parse_log_level("loud").has_value());
}
