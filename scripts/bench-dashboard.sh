#!/usr/bin/env bash
# Dashboard benchmark (issue #7): 200 simulated lamps on a private Mosquitto, the real smartlamp binary, headless
# Chromium. Prints navigation → interactive lamp grid, first-load bytes and SSE frame → tile time, each next to
# the same figure for an empty page. Environment: SMARTLAMP_BIN (default .build/debug/smartlamp), BENCH_LAMPS (200),
# BENCH_ROUNDS (5), BENCH_FRAMES (30).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bash scripts/install-deps.sh --browser >&2
bin=${SMARTLAMP_BIN:-$root/.build/debug/smartlamp}
if [ ! -x "$bin" ]; then flock /tmp/smartlamp-build.lock swift build --product smartlamp >&2; fi
export SMARTLAMP_BIN=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
exec "$root/.venv/bin/python" "$root/bench/dashboard_bench.py"
