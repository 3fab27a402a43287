#!/usr/bin/env bash
# The release bundle on its own: unpacks dist/smartlamp-*.tar.gz into an empty folder and starts it with a PATH
# that has no Swift toolchain and no checkout around it, then checks that the API, the dashboard and the CLI answer
# and that SIGTERM stops it cleanly. Builds the bundle first unless --skip-build. scripts/test.sh runs it last
# (README, "Testing the release bundle": the clean release build takes about 9 minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--skip-build" ]; then bash scripts/package.sh --skip-build; else bash scripts/package.sh; fi
bundle=$(ls -t dist/smartlamp-*-linux-*.tar.gz | head -1)

work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
tar -C "$work" -xzf "$bundle"
app=$(ls -d "$work"/smartlamp-*)
for file in smartlamp smartlamp.service config.sample.json README.md README.id.md NOTES.txt mosquitto/smartlamp.conf \
  mosquitto/smartlamp.acl; do
  [ -s "$app/$file" ] || { echo "bundle lacks $file"; exit 1; }
done
grep -q '^\[Service\]' "$app/smartlamp.service" || { echo "smartlamp.service is no systemd unit"; exit 1; }
# The licence is the owner's choice: either the bundle carries the repository's file or its notes say there is none.
licence=""
for candidate in LICENSE LICENSE.md LICENSE.txt COPYING; do [ -f "$candidate" ] && { licence=$candidate; break; }; done
if [ -n "$licence" ]; then
  cmp -s "$licence" "$app/$licence" || { echo "the bundle lacks the repository's $licence"; exit 1; }
else
  grep -q 'NONE CHOSEN YET' "$app/NOTES.txt" || { echo "NOTES.txt does not say the bundle has no licence"; exit 1; }
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
clean_env=(env -i "PATH=/usr/bin:/bin" "HOME=$work" "LANG=C.UTF-8")
if "${clean_env[@]}" sh -c 'command -v swift' >/dev/null; then echo "swift is still on PATH"; exit 1; fi
"${clean_env[@]}" "$app/smartlamp" --version
started=$(date +%s%N)
(cd "$work" && exec "${clean_env[@]}" "$app/smartlamp" serve --port "$port" \
  --set data.dir="$work/data" --database-url "sqlite://$work/data/smartlamp.sqlite" \
  --mqtt-url "mqtt://127.0.0.1:1" > "$work/server.log" 2>&1) &
pid=$!
deadline=$(( $(date +%s) + 30 ))
until curl -fsS "http://127.0.0.1:$port/api/health" > "$work/health.json" 2>/dev/null; do
  kill -0 "$pid" 2>/dev/null || { cat "$work/server.log"; echo "the server exited"; exit 1; }
  [ "$(date +%s)" -lt "$deadline" ] || { cat "$work/server.log"; echo "no answer within 30 s"; exit 1; }
  sleep 0.05
done
echo "answered /api/health $(( ($(date +%s%N) - started) / 1000000 )) ms after start: $(cat "$work/health.json")"
grep -q '"status":"ok"' "$work/health.json"
curl -fsS "http://127.0.0.1:$port/" -o "$work/index.html"
grep -qi '<title>' "$work/index.html" || { echo "no dashboard"; exit 1; }
# The OpenAPI document and the dashboard's scripts are embedded in the binary: served with no checkout around.
curl -fsS "http://127.0.0.1:$port/api/v1/openapi.json" -o "$work/openapi.json"
grep -q '"openapi"' "$work/openapi.json" || { echo "no OpenAPI document"; exit 1; }
kill -TERM "$pid"
wait "$pid" && status=0 || status=$?
pid=""
[ "$status" -eq 0 ] || { echo "exit status $status after SIGTERM"; cat "$work/server.log"; exit 1; }
echo "bundle OK: $bundle"
