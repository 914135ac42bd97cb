#!/usr/bin/env bash
# Builds the Debian package: build/pinwatch_<version>_<arch>.deb (install it on a team box with
# `sudo apt install ./pinwatch_*.deb`). Installs missing Debian packages first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh
[ -f build/build.ninja ] || cmake --preset default
cmake --build build -j"${JOBS:-$(nproc)}" --target pinwatch manpage
(cd build && cpack -G DEB -B "$PWD" >/dev/null)
deb=$(ls -t build/pinwatch_*.deb | head -n 1)
echo "$deb"
dpkg-deb --field "$deb" Package Version Architecture Depends
