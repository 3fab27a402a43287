#!/usr/bin/env bash
# MQTT benchmark: our client (Sources/MQTTBench, release build) and paho-mqtt (bench/paho_bench.py) side by side,
# through one private Mosquitto on a free loopback port. Prints a table; the broker is stopped on exit.
# Usage: scripts/bench-mqtt.sh [--rtt N] [--qos0 N] [--qos1 N] [--window N]   (passed to both clients)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PYTHON="$ROOT/.venv/bin/python"
[ -x /usr/sbin/mosquitto ] && [ -x "$PYTHON" ] || { echo "missing mosquitto or .venv: run scripts/install-deps.sh --test" >&2; exit 1; }

swift build -c release --product MQTTBench >&2
BENCH="$(swift build -c release --show-bin-path)/MQTTBench"

WORK=$(mktemp -d /tmp/smartlamp-bench.XXXXXX)
PORT=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$WORK/mosquitto.conf" <<CONF
user root
listener $PORT 127.0.0.1
protocol mqtt
allow_anonymous true
persistence false
set_tcp_nodelay true
max_queued_messages 0
log_dest stderr
log_type error
CONF
/usr/sbin/mosquitto -c "$WORK/mosquitto.conf" 2>"$WORK/mosquitto.log" &
BROKER=$!
cleanup() { kill "$BROKER" 2>/dev/null || true; wait "$BROKER" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
until (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do sleep 0.01; done

OURS=$("$BENCH" --url "mqtt://127.0.0.1:$PORT" "$@")
OURS_NIO=$("$BENCH" --url "mqtt://127.0.0.1:$PORT" --executor nio "$@")
PAHO=$("$PYTHON" bench/paho_bench.py "$PORT" "$@")

"$PYTHON" - "$OURS" "$OURS_NIO" "$PAHO" <<'PY'
import json, sys
ours, ours_nio, paho = (json.loads(arg) for arg in sys.argv[1:4])
rows = [
    ("round trip p50 (µs)", "rtt_p50_us"),
    ("round trip p99 (µs)", "rtt_p99_us"),
    ("QoS 0 publish (msg/s)", "qos0_msgs_per_s"),
    ("QoS 0 client CPU (µs/msg)", "qos0_cpu_us_per_msg"),
    (f"QoS 1 publish (msg/s, window {ours['qos1_window']})", "qos1_msgs_per_s"),
]
print(f"{'metric':<34}{'ours':>12}{'ours, NIO exec':>16}{'paho-mqtt':>12}{'ours/paho':>11}")
for name, key in rows:
    a, n, b = ours[key], ours_nio[key], paho[key]
    print(f"{name:<34}{a:>12,}{n:>16,}{b:>12,}{a / b:>10.2f}x")
print(f"(round trips: {ours['rtt_count']}, QoS 0 messages: {ours['qos0_count']}, QoS 1 messages: {ours['qos1_count']}; "
      "32-byte payloads; 'NIO exec' runs Swift tasks on the client's single NIO event loop)")
PY
