// Diagnostic: a problem found in something a person wrote (a config file, a requirements file,
// a pyproject.toml), located so an editor can jump to it: "file:line: message". One type for
// every layer, so every command prints and serialises problems the same way.
#pragma once

#include <string>

namespace pinwatch {

struct Diagnostic {
    std::string file;
    int line = 0; // 0 when the problem is not on one line (the file as a whole)
    std::string message;

    // "file:line: message", or "file: message" without a line.
    std::string str() const {
        return file + (line > 0 ? ":" + std::to_string(line) : "") + ": " + message;
    }
};

} // namespace pinwatch
