#!/usr/bin/env bash
# MQTT benchmark: our client (Sources/MQTTBench, release build; three ways of running its tasks), paho-mqtt (bench/paho_bench.py) and, for the round
# trip, a C client on libmosquitto (bench/mosquitto_rtt.c, Debian's libmosquitto-dev: issue #10's bar) side by side,
# through one private Mosquitto on a free loopback port. Prints a table; the broker is stopped on exit.
# Usage: scripts/bench-mqtt.sh [--rounds N] [--rtt N] [--qos0 N] [--qos1 N] [--window N]   (the rest go to both clients)
# The clients take turns for N rounds (default 3) and the table shows each metric's median over the rounds, with the
# per-round ours/paho range: on a shared 2-core machine one run of either side can be disturbed by other work.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PYTHON="$ROOT/.venv/bin/python"
[ -x /usr/sbin/mosquitto ] && [ -x "$PYTHON" ] || { echo "missing mosquitto or .venv: run scripts/install-deps.sh --test" >&2; exit 1; }

# SKIP_BUILD=1 reuses the last release build (scripts/bench.sh builds everything once, under the build lock);
# CONFIG=debug runs the debug build (to check the script, not for figures).
CONFIG=${CONFIG:-release}
[ "${SKIP_BUILD:-}" = 1 ] || flock -o /tmp/smartlamp-build.lock swift build -c "$CONFIG" --product MQTTBench >&2
BENCH="$(swift build -c "$CONFIG" --show-bin-path)/MQTTBench"

. scripts/lib/bench-broker.sh
start_bench_broker

# The C round-trip tool, built against Debian's libmosquitto-dev (installed when missing).
if [ ! -f /usr/include/mosquitto.h ]; then
  echo "installing libmosquitto-dev for the C baseline" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libmosquitto-dev >&2
fi
cc -O2 -o "$WORK/mosquitto_rtt" bench/mosquitto_rtt.c -lmosquitto

ROUNDS=3
RTT=5000
ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --rtt) RTT=$2; ARGS+=("$1" "$2"); shift 2 ;;
    *) ARGS+=("$1"); shift ;;
  esac
done
RESULTS=()
for _ in $(seq "$ROUNDS"); do
  RESULTS+=("$("$BENCH" --url "mqtt://127.0.0.1:$PORT" --executor loop ${ARGS[@]+"${ARGS[@]}"})")
  RESULTS+=("$("$BENCH" --url "mqtt://127.0.0.1:$PORT" --executor global ${ARGS[@]+"${ARGS[@]}"})")
  RESULTS+=("$("$BENCH" --url "mqtt://127.0.0.1:$PORT" --executor nio ${ARGS[@]+"${ARGS[@]}"})")
  RESULTS+=("$("$PYTHON" bench/paho_bench.py "$PORT" ${ARGS[@]+"${ARGS[@]}"})")
  RESULTS+=("$("$WORK/mosquitto_rtt" "$PORT" "$RTT")")
done

"$PYTHON" - "${RESULTS[@]}" <<'PY'
import json, statistics, sys
COLUMNS = 5  # ours (loop preference), ours (global executor), ours (NIO as global executor), paho, C
runs = [json.loads(arg) for arg in sys.argv[1:]]
rounds = [runs[i:i + COLUMNS] for i in range(0, len(runs), COLUMNS)]
def median(column, key):
    return statistics.median(r[column][key] for r in rounds)
ours, ours_global, ours_nio, paho, c = ({key: median(column, key) for key, value in runs[column].items()
                                        if isinstance(value, (int, float))} for column in range(COLUMNS))
f = lambda v: f"{v:,.0f}" if v >= 1000 else f"{v:.1f}"
rows = [
    ("round trip p50 (µs)", "rtt_p50_us"),
    ("round trip p99 (µs)", "rtt_p99_us"),
    ("QoS 0 publish (msg/s)", "qos0_msgs_per_s"),
    ("QoS 0 client CPU (µs/msg)", "qos0_cpu_us_per_msg"),
    (f"QoS 1 publish (msg/s, window {ours['qos1_window']:.0f})", "qos1_msgs_per_s"),
]
print(f"{'metric (median of ' + str(len(rounds)) + ' rounds)':<34}{'ours':>12}{'ours, global':>14}{'ours, NIO exec':>16}"
      f"{'paho-mqtt':>12}{'ours/paho':>11}{'per round':>16}")
for name, key in rows:
    a, g, n, b = ours[key], ours_global[key], ours_nio[key], paho[key]
    ratios = [r[0][key] / r[3][key] for r in rounds]
    spread = f"{min(ratios):.2f}–{max(ratios):.2f}x"
    print(f"{name:<34}{f(a):>12}{f(g):>14}{f(n):>16}{f(b):>12}{a / b:>10.2f}x{spread:>16}")
# The C client measures the round trip only (the same loop: 32-byte QoS 0 to itself, one at a time). Issue #10's
# goal is ours (the default: round-trip loop preferring the client's event loop) / C ≤ 1.2x; the other two ways of
# running our client are shown against C as well.
print()
print(f"{'round trip against libmosquitto':<34}{'p50 (µs)':>10}{'/ C':>8}{'per round':>14}{'p99 (µs)':>10}{'/ C':>8}"
      f"{'per round':>14}")
for name, column in [("libmosquitto (C)", 4), ("ours, loop preference", 0), ("ours, global executor", 1),
                     ("ours, NIO as global executor", 2)]:
    line = f"{name:<34}"
    for key in ("rtt_p50_us", "rtt_p99_us"):
        value = median(column, key)
        ratios = [r[column][key] / r[4][key] for r in rounds]
        line += f"{value:>10.1f}{value / c[key]:>7.2f}x{f'{min(ratios):.2f}–{max(ratios):.2f}x':>14}"
    print(line + ("   (goal ≤ 1.2x)" if column == 0 else ""))
print(f"(round trips: {ours['rtt_count']:.0f}, QoS 0 messages: {ours['qos0_count']:.0f}, QoS 1 messages: "
      f"{ours['qos1_count']:.0f}; 32-byte payloads. 'ours' runs its measuring tasks preferring the client's event loop "
      f"(MQTTClient.taskExecutor), 'global' on Swift's global executor, 'NIO exec' with NIO's single event loop "
      f"installed as the global executor, process-wide)")
PY
