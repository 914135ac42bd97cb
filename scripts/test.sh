#!/usr/bin/env bash
# Builds pinwatch and runs the whole test suite (CTest). Installs missing Debian packages first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
ctest --preset default "$@"
