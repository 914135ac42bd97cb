#define BOOST_TEST_MODULE files_test
#include <boost/test/unit_test.hpp>

// config/files: what every reader of a named file (requirements, includes, pyproject.toml, the
// config) accepts: regular files up to the cap. Anything else is an error naming what it is,
// returned at once (a FIFO without a writer must not block the open).

#include "config/files.hpp"
#include "tests/fakes/special_files.hpp"

#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace pinwatch;
using namespace pinwatch::config;
namespace fs = std::filesystem;

namespace {
struct TempDir {
    fs::path path;
    TempDir() {
        static int counter = 0;
        path = fs::temp_directory_path() /
               ("pinwatch-files-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
};

std::string error_of(Result<std::string> const& r) {
    return r ? std::string("(read ") + std::to_string(r->size()) + " bytes)" : r.error();
}
} // namespace

BOOST_AUTO_TEST_CASE(a_regular_file_is_read_whole) {
    TempDir d;
    std::ofstream(d.path / "r.txt", std::ios::binary) << std::string("a\0b\n", 4);
    auto r = read_regular_file((d.path / "r.txt").string());
    BOOST_REQUIRE(r.has_value());
    BOOST_TEST(*r == std::string("a\0b\n", 4));
    std::ofstream(d.path / "empty.txt");
    BOOST_TEST(read_regular_file((d.path / "empty.txt").string()).value().empty());
    // Through a symbolic link too: what counts is the file it names.
    fs::create_symlink(d.path / "r.txt", d.path / "link.txt");
    BOOST_TEST(read_regular_file((d.path / "link.txt").string()).value().size() == 4u);
}

BOOST_AUTO_TEST_CASE(the_size_cap_is_exact) {
    TempDir d;
    std::ofstream(d.path / "ten", std::ios::binary) << "0123456789";
    BOOST_TEST(read_regular_file((d.path / "ten").string(), 10).value() == "0123456789");
    BOOST_TEST(error_of(read_regular_file((d.path / "ten").string(), 9)) == "larger than 9 bytes");
    BOOST_TEST(error_of(read_regular_file((d.path / "ten").string(), 1)) == "larger than 1 byte");

    auto const four = testing::write_file_of_size(d.path / "4mib", kMaxInputFileBytes);
    BOOST_TEST(read_regular_file(four).value().size() == kMaxInputFileBytes);
    auto const five = testing::write_file_of_size(d.path / "5mib", 5 * 1024 * 1024);
    BOOST_TEST(error_of(read_regular_file(five)) == "larger than 4 MiB");
    BOOST_TEST(error_of(read_regular_file(five, 2048)) == "larger than 2 KiB");
}

BOOST_AUTO_TEST_CASE(what_is_not_a_regular_file_is_named) {
    TempDir d;
    BOOST_TEST(error_of(read_regular_file("/dev/zero")) ==
               "not a regular file (a character device)");
    BOOST_TEST(error_of(read_regular_file("/dev/null")) ==
               "not a regular file (a character device)");
    BOOST_TEST(error_of(read_regular_file(d.path.string())) == "not a regular file (a directory)");
    testing::Fifo fifo(d.path / "fifo");
    BOOST_TEST(error_of(read_regular_file(fifo.str())) == "not a regular file (a FIFO)");
    testing::UnixSocket socket(d.path / "sock");
    BOOST_TEST(error_of(read_regular_file(socket.str())) == "not a regular file (a socket)");
    BOOST_TEST(error_of(read_regular_file((d.path / "missing").string())) ==
               "No such file or directory");
}
