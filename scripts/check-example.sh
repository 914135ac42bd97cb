#!/usr/bin/env bash
# The main job: builds pinwatch, then checks examples/requirements.txt against pypi.org
# (or the index in $PIP_INDEX_URL / --index-url). Extra arguments go to `pinwatch check`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
exec build/cli/pinwatch check -r examples/requirements.txt "$@"
