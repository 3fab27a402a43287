#!/usr/bin/env bash
# Lamp benchmark of issue 6 (Sources/LampBench, release build): the server built in process by LampBench, one
# private Mosquitto on a free loopback port. Prints a table: raw MQTT round trip next to HTTP execute with
# waitForAck (and its per-phase split), SSE fan-out to many streams, state ingest with many simulated devices.
# Usage: scripts/bench-lamps.sh [--rounds N] [--command-rounds N (default 3, the median round is shown)] [--streams N] [--fanout-rounds N] [--devices N] [--messages N] [--window N]
#                               [--phases commands,fanout,ingest]
# SKIP_BUILD=1 reuses the last release build (e.g. while others edit the tree).
set -euo pipefail
cd "$(dirname "$0")/.."

[ "${SKIP_BUILD:-}" = 1 ] || swift build -c release --product LampBench >&2
BENCH="$(swift build -c release --show-bin-path)/LampBench"

# 1000 SSE streams and 1000 device connections need about 4000 descriptors between the bench and the broker.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

. scripts/lib/bench-broker.sh
start_bench_broker

echo "machine: $(nproc) cores; $(uptime | sed 's/^ *//')"
"$BENCH" --broker "mqtt://127.0.0.1:$PORT" "$@"
echo "after: $(uptime | sed 's/^ *//'); $(/usr/sbin/mosquitto -h 2>/dev/null | head -1)"
