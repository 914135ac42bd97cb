#!/usr/bin/env bash
# Installs everything pinwatch needs to build, test and benchmark on Debian 12.
# Runs as root, or through sudo; installs only what is missing.
set -euo pipefail
packages=(
  g++ cmake ninja-build ccache pkg-config git clang-format
  libboost1.81-all-dev libboost-url1.81-dev rapidjson-dev libsqlitecpp-dev libsqlite3-dev
  libspdlog-dev libtomlplusplus-dev libssl-dev zlib1g-dev libdeflate-dev libsystemd-dev
  # tests: independent implementations we compare against, and tools the fakes use
  python3 python3-packaging python3-pip openssl curl sqlite3 ca-certificates
  # the SMTP server the email tests send to (tests/fakes/smtp_server.py)
  python3-aiosmtpd
  # the unit's checks (systemd-analyze) and the .deb (dpkg-shlibdeps finds its Depends)
  systemd dpkg-dev
  # the .deb's policy check (tests/install runs lintian on it) and its man page (`man -l`)
  lintian man-db
  # the Unicode character names a marker's \N{NAME} escape is read with (packaging/ generates
  # its table from UnicodeData.txt and NameAliases.txt at build time; nothing at run time)
  unicode-data
  # the dashboard's browser test (tests/cli/browser_test.cpp, label `browser`): headless Chromium
  # loads the daemon's pages and `report --html`, and takes the README's screenshot
  chromium
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then as_root=(); elif command -v sudo >/dev/null; then as_root=(sudo); else
  echo "setup-debian.sh: need root or sudo to install: ${missing[*]}" >&2; exit 2
fi
echo "Installing: ${missing[*]}" >&2
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
