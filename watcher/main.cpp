// Entry point: dispatches `pinwatch <command> ...` to the command functions.
#include "pinwatch_version.hpp"
#include "watcher/commands.hpp"

#include <cstring>
#include <iostream>
#include <string_view>

namespace {

constexpr char const* kUsage = R"(usage: pinwatch <command> [options]

commands:
  deps    -r FILE [-r FILE...] [--pyproject FILE] [--python-version X.Y] [--json]
          show what pinwatch understood from requirements files
  --version
  --help

Run `pinwatch <command> --help` for a command's options.
)";

} // namespace

int main(int argc, char** argv) {
    using namespace pinwatch::watcher;
    if (argc < 2) {
        std::cerr << kUsage;
        return 2;
    }
    std::string_view command = argv[1];
    Args args(argv + 2, argv + argc);
    if (command == "--version" || command == "version") {
        std::cout << "pinwatch " << pinwatch::kVersion << "\n";
        return 0;
    }
    if (command == "--help" || command == "-h" || command == "help") {
        std::cout << kUsage;
        return 0;
    }
    if (command == "deps") return run_deps(args, std::cout, std::cerr);
    std::cerr << "pinwatch: unknown command '" << command << "'\n\n" << kUsage;
    return 2;
}
