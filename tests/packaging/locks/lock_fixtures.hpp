// The lock file tests' shared helpers: read real-shaped lock files from tests/packaging/locks/data
// (or text given inline) through parse_requirements_files, as `-r FILE` does, and find entries.
#pragma once

#include "packaging/requirements_file.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

// Boost.Test prints the optionals the entries hold.
namespace boost::test_tools::tt_detail {
template <> struct print_log_value<std::optional<std::string>> {
    void operator()(std::ostream& os, std::optional<std::string> const& v) {
        if (v) {
            os << '"' << *v << '"';
        } else {
            os << "nullopt";
        }
    }
};
template <> struct print_log_value<std::optional<bool>> {
    void operator()(std::ostream& os, std::optional<bool> const& v) {
        os << (v ? (*v ? "true" : "false") : "nullopt");
    }
};
} // namespace boost::test_tools::tt_detail

namespace pinwatch::test {

namespace fs = std::filesystem;

inline std::string const kLockData = PINWATCH_LOCK_DATA;

// Reads files from a folder (paths relative to it), with the disk hooks pip's parser uses.
inline packaging::ParseOptions folder_options(fs::path root) {
    packaging::ParseOptions o;
    o.environment = packaging::Environment::debian12_x86_64(); // CPython 3.11.2 on Linux
    o.read_file = [root](std::string const& path) -> Result<packaging::FileContent> {
        fs::path full = root / path;
        std::ifstream in(full, std::ios::binary);
        if (!in || fs::is_directory(full)) return fail("No such file or directory");
        std::ostringstream ss;
        ss << in.rdbuf();
        return packaging::FileContent{ss.str(), fs::weakly_canonical(full).string()};
    };
    o.exists = [root](std::string const& path) {
        std::error_code ec;
        auto st = fs::status(root / path, ec);
        if (ec || !fs::exists(st)) return packaging::PathKind::missing;
        if (fs::is_directory(st)) return packaging::PathKind::directory;
        return packaging::PathKind::file;
    };
    o.getenv = nullptr;
    return o;
}

inline packaging::RequirementsSet read_fixture(std::string const& relative) {
    return packaging::parse_requirements_files({relative}, folder_options(kLockData));
}

// A scratch folder for files written by a test.
struct ScratchFolder {
    fs::path root;
    ScratchFolder() {
        std::random_device rd;
        root = fs::temp_directory_path() / ("pinwatch-locks-" + std::to_string(rd()));
        fs::create_directories(root);
    }
    ~ScratchFolder() {
        std::error_code ec;
        fs::remove_all(root, ec);
    }
    void write(std::string const& name, std::string const& bytes) const {
        fs::create_directories((root / name).parent_path());
        std::ofstream(root / name, std::ios::binary) << bytes;
    }
    packaging::RequirementsSet read(std::string const& name) const {
        return packaging::parse_requirements_files({name}, folder_options(root));
    }
};

// The entry for `name` (pinned at `version` when given); fails the test when there is none.
inline packaging::RequirementEntry const& entry(packaging::RequirementsSet const& set,
                                                std::string const& name,
                                                std::optional<std::string> version = std::nullopt) {
    for (auto const& e : set.entries)
        if (e.name == name && (!version || e.pinned == version)) return e;
    BOOST_FAIL("no entry for " + name + (version ? " " + *version : ""));
    throw std::logic_error("unreachable");
}

inline std::size_t count(packaging::RequirementsSet const& set, std::string const& name) {
    std::size_t n = 0;
    for (auto const& e : set.entries)
        n += e.name == name;
    return n;
}

inline std::string errors_text(packaging::RequirementsSet const& set) {
    std::string out;
    for (auto const& e : set.errors)
        out += e.str() + "\n";
    return out;
}

using Groups = std::vector<std::string>;

} // namespace pinwatch::test
