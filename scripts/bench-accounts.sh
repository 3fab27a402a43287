#!/bin/bash
# Accounts benchmark (issue #10): authenticated `GET /api/v1/bootstrap` next to `GET /api/health` on one server in
# the same run, in the issue's case: 20 lamps registered through the API, a MEMBER with assignments to all of them
# (created through the API), signed in with the cookie (the JWT in `auth_token`). Prints the ratio per round and
# the median. Also the login latency at bcrypt cost 12.
# Usage: scripts/bench-accounts.sh    BIN=path/to/smartlamp reuses a build; ROUNDS (3), DURATION (8s),
#                                      CONNECTIONS (16), LAMPS (20), SLICES (1, see below) size the run;
#                                      PERF=1 records the server with `perf record -g` during the bootstrap runs
#                                      and prints the top symbols (PERF_OUT=file keeps the recording);
#                                      DATABASE_URL (an empty database) runs the server on it instead of SQLite.
set -u
cd "$(dirname "$0")/.."
if [ -z "${BIN:-}" ]; then
  flock -o /tmp/smartlamp-build.lock swift build -c release --product smartlamp >/dev/null
  BIN=$(swift build -c release --show-bin-path)/smartlamp
fi
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-8s}
CONNECTIONS=${CONNECTIONS:-16}
LAMPS=${LAMPS:-20}
DIR=$(mktemp -d /tmp/accbench.XXXX)
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
PORT=$(free_port)
BROKER=$(free_port)
# The server starts without a broker on purpose: bootstrap and health do not need one, and the bench measures HTTP.
$BIN serve --database-url "${DATABASE_URL:-sqlite://$DIR/db.sqlite}" --port "$PORT" --mqtt-url "mqtt://127.0.0.1:$BROKER" \
  --set data.dir="$DIR/data" --set admin.email=admin@example.com --set admin.password=bench-password-1 \
  --log-level error >"$DIR/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/api/health" && break; sleep 0.1; done

# Setup through the API only: the admin registers the lamps and the member, assigns every lamp to the member, and
# the member signs in. Prints the member's auth_token cookie.
TOKEN=$(python3 - "$PORT" "$LAMPS" <<'PY'
import http.client, json, sys, uuid
port, lamps = int(sys.argv[1]), int(sys.argv[2])

def call(method, path, body=None, cookie=None, idempotent=False):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json"}
    if cookie:
        headers["Cookie"] = f"auth_token={cookie}"
    if idempotent:
        headers["Idempotency-Key"] = str(uuid.uuid4())
    conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
    response = conn.getresponse()
    payload = response.read()
    if response.status >= 300:
        sys.exit(f"{method} {path}: {response.status} {payload[:300]!r}")
    cookies = [v for k, v in response.getheaders() if k.lower() == "set-cookie"]
    token = next((c.split(";", 1)[0].split("=", 1)[1] for c in cookies if c.startswith("auth_token=")), None)
    return json.loads(payload), token

def login(email, password):
    return call("POST", "/api/v1/auth/login", {"email": email, "password": password})[1]

admin = login("admin@example.com", "bench-password-1")
for i in range(lamps):
    call("POST", "/api/v1/devices", {"deviceId": f"lamp-{i:02d}", "name": f"Lamp \"{i}\" — Kamar {i}",
         "location": "Lantai 1" if i % 2 else None}, admin, idempotent=True)
member = call("POST", "/api/v1/users", {"name": "Member Bench", "email": "member@example.com",
              "password": "bench-password-2", "role": "member"}, admin)[0]["data"]
assignments = [{"deviceId": f"lamp-{i:02d}", "devicePermission": "control" if i % 2 else "monitoring",
                "schedulePermission": "manage" if i % 4 == 1 else "none"} for i in range(lamps)]
call("PUT", f"/api/v1/users/{member['id']}/assignments", {"assignments": assignments}, admin)
token = login("member@example.com", "bench-password-2")
seen = call("GET", "/api/v1/bootstrap", cookie=token)[0]["data"]
if seen["viewer"]["role"] != "member" or len(seen["devices"]) != lamps:
    sys.exit(f"bootstrap shows {len(seen['devices'])} devices to {seen['viewer']}, expected {lamps} to a member")
print(token)
PY
) || { echo "setup through the API failed" >&2; cat "$DIR/server.log" >&2; exit 1; }

echo "login latency (bcrypt cost 12), 10 sequential logins:"
for _ in $(seq 1 10); do
  curl -s -o /dev/null -w "%{time_total}\n" -H 'Content-Type: application/json' \
    -d '{"email":"member@example.com","password":"bench-password-2"}' "http://127.0.0.1:$PORT/api/v1/auth/login"
done | sort -n | awk '{a[NR]=$1*1000} END {printf "  min %.0f ms, median %.0f ms, max %.0f ms\n", a[1], a[int((NR+1)/2)], a[NR]}'
BYTES=$(curl -s -H "Cookie: auth_token=$TOKEN" "http://127.0.0.1:$PORT/api/v1/bootstrap" | wc -c)
echo "bootstrap body: $BYTES bytes ($LAMPS lamps, member with $LAMPS assignments, cookie JWT)"

# SLICES=n (default 1) runs each round as n alternations of health and bootstrap, each DURATION long, and averages
# the rates: on a machine shared with other work the load moves during a round, and alternating short slices
# exposes both endpoints to it alike.
SLICES=${SLICES:-1}
rate() { awk '/Requests\/sec/{print $2}' <<<"$1"; }
mean() { python3 -c "import sys; v=[float(x) for x in sys.argv[1:]]; print(f'{sum(v)/len(v):.2f}')" "$@"; }
RATIOS=()
for round in $(seq 1 "$ROUNDS"); do
  HS=() BS=() HOUT="" BOUT=""
  for slice in $(seq 1 "$SLICES"); do
    h=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" "http://127.0.0.1:$PORT/api/health")
    if [ "${PERF:-}" = 1 ] && [ "$round" = "$ROUNDS" ] && [ "$slice" = 1 ]; then
      perf record -F 999 -g -p "$SERVER" -o "$DIR/perf.data" >/dev/null 2>&1 &
      PERF_PID=$!
    fi
    b=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" -H "Cookie: auth_token=$TOKEN" "http://127.0.0.1:$PORT/api/v1/bootstrap")
    HS+=("$(rate "$h")") BS+=("$(rate "$b")")
    HOUT+=$(grep -E "Latency|Non-2xx" <<<"$h")$'\n' BOUT+=$(grep -E "Latency|Non-2xx" <<<"$b")$'\n'
  done
  hr=$(mean "${HS[@]}")
  br=$(mean "${BS[@]}")
  echo "round $round: GET /api/health (no auth)"
  printf '%s' "$HOUT" | grep -v '^$'
  echo "Requests/sec: $hr"
  echo "round $round: GET /api/v1/bootstrap (member, $LAMPS lamps, JWT cookie)"
  printf '%s' "$BOUT" | grep -v '^$'
  echo "Requests/sec: $br"
  [ "$SLICES" -gt 1 ] && echo "round $round: slices health ${HS[*]}, bootstrap ${BS[*]} req/s"
  ratio=$(python3 -c "print(f'{$br/$hr:.2f}')")
  RATIOS+=("$ratio")
  echo "round $round: bootstrap/health ratio ${ratio}×"
done
echo "bootstrap/health ratio, median of $ROUNDS rounds: $(printf '%s\n' "${RATIOS[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')× (goal ≥ 0.7×)"
if [ "${PERF:-}" = 1 ]; then
  kill -INT "$PERF_PID"; wait "$PERF_PID" 2>/dev/null
  [ -n "${PERF_OUT:-}" ] && cp "$DIR/perf.data" "$PERF_OUT"
  echo "server CPU during the last bootstrap run (perf, inclusive share of all samples; SmartLamp and JSON frames):"
  perf report -i "$DIR/perf.data" --children --no-demangle --stdio --percent-limit 0.7 -g none --sort sym \
    2>/dev/null | grep -E '^ +[0-9]' | swift demangle --simplified |
    grep -E 'SmartLamp|Bootstrap|Authentication|Envelope|JSON|DeviceJSON|Grant|Session|Cookie|HS256|Token|Hummingbird|Router|Response|Encoder|malloc|free|swift_retain|swift_release|write|writev|read|epoll' |
    head -${PERF_LINES:-40} | sed -E 's/ +/ /g' | cut -c1-170
  echo "server CPU during the last bootstrap run (perf, self time, top 25):"
  perf report -i "$DIR/perf.data" --no-children --no-demangle --stdio --percent-limit 0.7 -g none --sort dso,sym \
    2>/dev/null | grep -E '^ +[0-9]' | head -25 | swift demangle --simplified | sed -E 's/ +/ /g' | cut -c1-170
fi
