#!/usr/bin/env bash
# Device registration at scale (issue #10): the real `smartlamp serve` on a fresh SQLite file, an admin realtime
# stream open, then N devices registered through `POST /api/v1/devices` one after the other. Prints the mean time
# per device over the 100 registrations before 100, 1 000, 2 000, 5 000 and 10 000 devices (those ≤ N).
# Usage: scripts/bench-registration.sh [N (default 5000)]     SMARTLAMP_BIN=path picks the binary (default: the
# debug build; `swift build -c release --product smartlamp` for release figures).
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-5000}
BIN=${SMARTLAMP_BIN:-$(swift build --show-bin-path)/smartlamp}
DIR=$(mktemp -d)
PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
cleanup() { [ -n "${SERVER:-}" ] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null; rm -rf "$DIR"; }
trap cleanup EXIT
SMARTLAMP_ADMIN_EMAIL=bench@example.com SMARTLAMP_ADMIN_PASSWORD=bench-password-1 "$BIN" serve --port "$PORT" \
  --database-url "sqlite://$DIR/db.sqlite" --set data.dir="$DIR/data" --set auth.bcrypt-cost=4 \
  --set mqtt.url=mqtt://127.0.0.1:1 --set log.level=error --set ratelimit.command-max=0 >"$DIR/log" 2>&1 &
SERVER=$!
python3 - "$PORT" "$COUNT" <<'PYTHON'
import http.client, json, socket, sys, time
port, count = int(sys.argv[1]), int(sys.argv[2])
deadline = time.time() + 60
while True:
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5); c.request("GET", "/api/health")
        if c.getresponse().status == 200: break
    except OSError: pass
    if time.time() > deadline: sys.exit("server did not start")
    time.sleep(0.1)
api = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
api.request("POST", "/api/v1/auth/login", json.dumps({"email": "bench@example.com", "password": "bench-password-1"}),
            {"Content-Type": "application/json"})
reply = api.getresponse(); reply.read()
token = [c.split("=", 1)[1].split(";")[0] for c in reply.headers.get_all("Set-Cookie") if c.startswith("auth_token=")][0]
auth = {"Authorization": "Bearer " + token}
# An admin's realtime stream stays open throughout: every change reaches it.
stream = socket.create_connection(("127.0.0.1", port))
stream.sendall(f"GET /api/v1/realtime/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
stream.setblocking(False)
times = []
for i in range(1, count + 1):
    body = json.dumps({"deviceId": f"reg-{i}", "name": f"Lamp {i}"})
    started = time.perf_counter()
    api.request("POST", "/api/v1/devices", body, {**auth, "Content-Type": "application/json", "Idempotency-Key": f"r{i}"})
    reply = api.getresponse(); reply.read()
    times.append(time.perf_counter() - started)
    if reply.status != 201: sys.exit(f"device {i}: {reply.status}")
    try:
        while stream.recv(65536): pass
    except BlockingIOError: pass
for mark in (100, 1000, 2000, 5000, 10000):
    if mark <= count:
        window = times[mark - 100:mark]
        print(f"at {mark} devices: {1000 * sum(window) / len(window):.2f} ms per device")
print(f"{count} devices in {sum(times):.1f} s")
PYTHON
