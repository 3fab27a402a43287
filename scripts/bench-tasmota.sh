#!/usr/bin/env bash
# Tasmota benchmark: parse throughput of the Tasmota module, then how many simulated devices one process
# sustains with a 10 s teleperiod, on a private Mosquitto started here on a free loopback port.
#
#   scripts/bench-tasmota.sh [counts] [duration-seconds]      e.g. scripts/bench-tasmota.sh 100,1000,2000 30
set -euo pipefail
cd "$(dirname "$0")/.."

COUNTS="${1:-100,500,1000,2000}"
DURATION="${2:-30}"
TELEPERIOD=10

swift build -c release --product TasmotaBench >/dev/null
BIN="$(swift build -c release --show-bin-path)/TasmotaBench"

# Every device is one TCP connection on each side: lift the soft descriptor limit to the hard one.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

. scripts/lib/bench-broker.sh
start_bench_broker 10000

echo "machine: $(nproc) cores, $(uname -sr), mosquitto $(/usr/sbin/mosquitto -h 2>&1 | head -1 | awk '{print $3}')"
"$BIN" parse
echo
"$BIN" devices --broker "mqtt://127.0.0.1:$PORT" --counts "$COUNTS" --teleperiod "$TELEPERIOD" --duration "$DURATION"
echo "(broker CPU not included; the observer client runs inside the benchmark process)"
