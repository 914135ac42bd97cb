// A scratch folder for one test: created empty under the system's temp folder, removed with
// everything in it at the end of scope. Header-only, standard library and POSIX.
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace pinwatch::test {

struct ScratchDir {
    std::filesystem::path dir;
    explicit ScratchDir(std::string const& prefix = "pinwatch-test") {
        static int n = 0;
        dir = std::filesystem::temp_directory_path() /
              (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
        std::filesystem::create_directories(dir);
    }
    ~ScratchDir() { std::filesystem::remove_all(dir); }
    ScratchDir(ScratchDir const&) = delete;
    ScratchDir& operator=(ScratchDir const&) = delete;

    // Writes `name` with `text` and `mode`; returns its path.
    std::string write(std::string const& name, std::string const& text, mode_t mode = 0600) {
        auto const p = dir / name;
        std::ofstream(p, std::ios::binary) << text;
        ::chmod(p.c_str(), mode);
        return p.string();
    }
    std::string path(std::string const& name) const { return (dir / name).string(); }
};

} // namespace pinwatch::test
