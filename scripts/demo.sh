#!/usr/bin/env bash
# The offline demo: starts the bundled fake PyPI on loopback, which publishes or yanks a
# release (or publishes and withdraws an advisory) every few seconds, shows `pinwatch check`
# once (a vulnerable pin), then runs the pinwatch daemon against it. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
every=${DEMO_EVERY:-4}
work=$(mktemp -d /tmp/pinwatch-demo.XXXXXX)
build/tests/fakes/pinwatch-fake-pypi --demo "$every" >"$work/fake.log" 2>&1 &
fake=$!
cleanup() { kill "$fake" 2>/dev/null || true; wait "$fake" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 100); do grep -q '^index_url:' "$work/fake.log" 2>/dev/null && break; sleep 0.1; done
index=$(sed -n 's/^index_url: //p' "$work/fake.log")
[ -n "$index" ] || { echo "demo: the fake PyPI did not start:"; cat "$work/fake.log"; exit 1; }
cp examples/demo-requirements.txt "$work/requirements.txt"
cat >"$work/pinwatch.toml" <<TOML
state = "state.db"
requirements = ["requirements.txt"]
index_url = "$index"
interval = "2s"
jitter = 0
python_version = "3.11"
# The fake serves advisories on its per-version JSON pages (the demo needs no network, so not
# OSV, the default).
[advisories]
source = "index"
interval = "2s"
TOML
echo "demo: what pinwatch check says about the demo's requirements (note the VULN column):"
build/cli/pinwatch check -q --python-version 3.11 --advisories index -r "$work/requirements.txt" \
    --index-url "$index" || true
echo
echo "demo: fake PyPI at $index; the fake publishes or yanks something every ${every}s."
echo "demo: pinwatch polls every 2s; the first poll is a silent baseline. Ctrl-C to stop."
echo "demo: in another terminal: build/cli/pinwatch status --state $work/state.db"
tail -f "$work/fake.log" | grep --line-buffered 'fake-pypi:' &
tailer=$!
trap 'kill $tailer 2>/dev/null || true; cleanup' EXIT
build/cli/pinwatch run --config "$work/pinwatch.toml"
