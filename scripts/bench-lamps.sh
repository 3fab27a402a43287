#!/usr/bin/env bash
# Lamp benchmarks of issues 6 and 10 (Sources/LampBench, release build): `smartlamp serve` of the same build as a child
# process, one private Mosquitto on a free loopback port. Prints a table, each figure next to a baseline of the same
# run: start to healthy and idle RSS; raw MQTT round trip next to HTTP execute with waitForAck (and its per-phase
# split); SSE fan-out with 1 % readers that never read; state ingest next to a bare subscriber, then RSS with the
# devices and streams; a batch of L lamps next to L raw round trips pipelined; the command overhead under load.
# Usage: scripts/bench-lamps.sh [LampBench options: see the top of Sources/LampBench/LampBench.swift]
#   e.g. --phases startup,fanout --streams 10000 --slow-percent 1     (default: every phase but registration)
# SKIP_BUILD=1 reuses the last build (e.g. while others edit the tree); CONFIG=debug runs the debug build (small
# sizes only: figures of a debug build are not the issue's).
set -euo pipefail
cd "$(dirname "$0")/.."

CONFIG=${CONFIG:-release}
if [ "${SKIP_BUILD:-}" != 1 ]; then
  flock -o /tmp/smartlamp-build.lock swift build -c "$CONFIG" --product smartlamp >&2
  flock -o /tmp/smartlamp-build.lock swift build -c "$CONFIG" --product LampBench >&2
fi
BIN_DIR="$(swift build -c "$CONFIG" --show-bin-path)"
BENCH="$BIN_DIR/LampBench"

# 10 000 SSE streams and 10 000 device connections need about 40 000 descriptors between the bench, the server and
# the broker (the server, a child, inherits the raised limit).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

. scripts/lib/bench-broker.sh
start_bench_broker

echo "machine: $(nproc) cores; $(uptime | sed 's/^ *//')"
"$BENCH" --broker "mqtt://127.0.0.1:$PORT" --smartlamp "$BIN_DIR/smartlamp" "$@"
echo "after: $(uptime | sed 's/^ *//'); $(/usr/sbin/mosquitto -h 2>/dev/null | head -1)"
