#!/usr/bin/env bash
# The long crash-consistency run: the real daemon killed with SIGKILL at 50 seeded points (CTest
# runs 12). Builds what it needs first. PINWATCH_CRASH_RUNS / PINWATCH_CRASH_SEED override.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f build/build.ninja ] || cmake --preset default >/dev/null
cmake --build build --target crash_test pinwatch >/dev/null
export PINWATCH_CRASH_RUNS="${PINWATCH_CRASH_RUNS:-50}"
start=$(date +%s)
status=0
build/tests/cli/crash_test --log_level=message "$@" || status=$?
echo "crash test: $([ $status -eq 0 ] && echo passed || echo FAILED) in $(( $(date +%s) - start )) s"
exit $status
