#!/usr/bin/env bash
# Applies the repository's .clang-format to every C++ file (or, with --check, lists the files
# that differ and exits 1). CTest runs the check.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=(-i)
[ "${1:-}" = "--check" ] && mode=(--dry-run -Werror)
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.cpp' '*.hpp' 2>/dev/null || find . -path ./build -prune -o \( -name '*.cpp' -o -name '*.hpp' \) -print)
status=0
for f in "${files[@]}"; do
  if ! clang-format "${mode[@]}" "$f" >/dev/null 2>&1; then
    echo "not formatted: $f" >&2
    status=1
  fi
done
exit $status
