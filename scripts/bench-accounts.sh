#!/bin/bash
# Accounts benchmark: authenticated bootstrap vs unauthenticated health on one server; login latency at cost 12.
set -u
cd "$(dirname "$0")/.."
if [ -z "${BIN:-}" ]; then
  swift build -c release --product smartlamp >/dev/null
  BIN=$(swift build -c release --show-bin-path)/smartlamp
fi
DIR=$(mktemp -d /tmp/accbench.XXXX)
PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
BROKER=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
$BIN serve --database-url "sqlite://$DIR/db.sqlite" --port "$PORT" --mqtt-url "mqtt://127.0.0.1:$BROKER" \
  --set data.dir="$DIR/data" --set admin.email=admin@example.com --set admin.password=bench-password-1 \
  --log-level error > "$DIR/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null' EXIT
for i in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/api/health" && break; sleep 0.1; done
# Seed 20 devices so bootstrap has real work.
python3 - "$DIR/db.sqlite" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for i in range(20):
    db.execute("INSERT INTO devices (device_id, mqtt_device_id, name, location, command_channel, created_at) VALUES (?,?,?,?,?,?)",
               (f"lamp-{i}", f"lamp-{i}", f"Lamp {i}", "Room", "POWER", "2026-01-01T00:00:00.000Z"))
db.commit()
PY
echo "login latency (bcrypt cost 12), 10 sequential logins:"
for i in $(seq 1 10); do
  curl -s -o /dev/null -w "%{time_total}\n" -c "$DIR/jar" -H 'Content-Type: application/json' \
    -d '{"email":"admin@example.com","password":"bench-password-1"}' "http://127.0.0.1:$PORT/api/v1/auth/login"
done | sort -n | awk '{a[NR]=$1*1000} END {printf "  min %.0f ms, median %.0f ms, max %.0f ms\n", a[1], a[int((NR+1)/2)], a[NR]}'
TOKEN=$(awk '$6=="auth_token"{print $7}' "$DIR/jar")
curl -s -H "Cookie: auth_token=$TOKEN" "http://127.0.0.1:$PORT/api/v1/bootstrap" | head -c 200; echo
for round in 1 2; do
  echo "round $round: GET /api/health (no auth)"
  wrk -t2 -c16 -d8s "http://127.0.0.1:$PORT/api/health" | grep -E "Requests/sec|Latency|Non-2xx"
  echo "round $round: GET /api/v1/bootstrap (JWT cookie, 20 devices)"
  wrk -t2 -c16 -d8s -H "Cookie: auth_token=$TOKEN" "http://127.0.0.1:$PORT/api/v1/bootstrap" | grep -E "Requests/sec|Latency|Non-2xx"
done
