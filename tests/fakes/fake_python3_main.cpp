// pinwatch-fake-python3: stands in for python3 in tests of the marker probe. A program, not a
// script, as an interpreter is (pinwatch remembers a probe's answer only for one). Prints what
// the probe's command prints on a CPython 3.99.7 and, when PINWATCH_FAKE_PYTHON_LOG names a
// file, adds a line to it for every run. Its arguments are not looked at.
#include "fake_python_answer.hpp"

#include <cstdio>
#include <cstdlib>

int main() {
    if (char const* log = std::getenv("PINWATCH_FAKE_PYTHON_LOG"))
        if (std::FILE* f = std::fopen(log, "a")) {
            std::fputs("run\n", f);
            std::fclose(f);
        }
    std::fputs(pinwatch::testing::kFakePythonAnswer, stdout);
    return 0;
}
