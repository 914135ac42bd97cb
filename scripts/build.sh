#!/usr/bin/env bash
# Installs missing Debian packages, then configures and builds pinwatch (Release with debug info).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh
cmake --preset default >/dev/null
cmake --build --preset default -j "$(nproc)"
