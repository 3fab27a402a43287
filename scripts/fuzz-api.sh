#!/usr/bin/env bash
# Fuzzes the real `smartlamp serve` (debug build) with schemathesis against its own OpenAPI document
# (/api/v1/openapi.json): no answer may be a 5xx, and answers must match the documented statuses, content types,
# headers and schemas. The server runs on a free loopback port with a throw-away SQLite folder and a dead broker
# URL; an admin and a `*` API key are made with the CLI (a JWT would not survive fuzzing /auth/logout).
# Exits non-zero on any failure.
# Usage: scripts/fuzz-api.sh [--engine sqlite|mariadb] [extra schemathesis options]
#   --engine mariadb: the server runs on a throw-away MariaDB (its own datadir, a free loopback port, removed at the
#   end; Debian's mariadb-server, `scripts/install-deps.sh --mariadb`) instead of a throw-away SQLite file.
# Environment: FUZZ_MAX_EXAMPLES (default 50 per operation); FUZZ_DATABASE_URL runs the server on that (empty)
# database instead, e.g. mariadb://user:pass@127.0.0.1:3306/fuzz.
set -euo pipefail
engine=sqlite
if [ "${1:-}" = "--engine" ]; then engine=${2:?--engine needs sqlite or mariadb}; shift 2; fi
case "$engine" in sqlite|mariadb) ;; *) echo "unknown engine '$engine' (sqlite or mariadb)"; exit 2 ;; esac
cd "$(dirname "$0")/.."
root=$(pwd)

# The version this script was written and checked against; another version may generate or check differently.
schemathesis_version=4.32.5
venv="$root/.venv"
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -qF "$schemathesis_version"; then
  "$venv/bin/pip" install -q "schemathesis==$schemathesis_version"
fi

work=$(mktemp -d)
server_pid=""
mariadb_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ -n "$mariadb_pid" ]; then
    kill "$mariadb_pid" 2>/dev/null || true
    wait "$mariadb_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# A no-op right after scripts/test.sh's build.
if ! swift build --product smartlamp > "$work/build.log" 2>&1; then
  grep -E 'error:' "$work/build.log" | head -30; echo "building smartlamp failed"; exit 1
fi
smartlamp="$(swift build --show-bin-path)/smartlamp"

free_port() {
  "$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port=$(free_port)

# A private MariaDB as the tests start it (Tests/TestSupport/MariaDBServer.swift): datadir in $work, no fsyncs.
if [ "$engine" = mariadb ] && [ -z "${FUZZ_DATABASE_URL:-}" ]; then
  [ -x /usr/sbin/mariadbd ] || { echo "mariadbd is missing: run scripts/install-deps.sh --mariadb"; exit 1; }
  db_port=$(free_port)
  mkdir -p "$work/mariadb/data" "$work/mariadb/run" "$work/mariadb/tmp"
  as_user=()
  if [ "$(id -u)" = 0 ]; then chmod 755 "$work"; chown -R mysql:mysql "$work/mariadb"; as_user=(--user=mysql); fi
  /usr/bin/mariadb-install-db --no-defaults --datadir="$work/mariadb/data" --auth-root-authentication-method=socket \
    --skip-test-db --skip-name-resolve --tmpdir="$work/mariadb/tmp" "${as_user[@]}" > "$work/mariadb/install.log" 2>&1 \
    || { cat "$work/mariadb/install.log"; echo "mariadb-install-db failed"; exit 1; }
  /usr/sbin/mariadbd --no-defaults --datadir="$work/mariadb/data" --tmpdir="$work/mariadb/tmp" \
    --socket="$work/mariadb/run/mysqld.sock" --pid-file="$work/mariadb/run/mysqld.pid" --port="$db_port" \
    --bind-address=127.0.0.1 --skip-name-resolve --skip-log-bin --character-set-server=utf8mb4 \
    --collation-server=utf8mb4_unicode_ci --innodb-buffer-pool-size=64M --innodb-flush-log-at-trx-commit=0 \
    --innodb-flush-method=nosync --innodb-doublewrite=0 "${as_user[@]}" > "$work/mariadb/server.log" 2>&1 &
  mariadb_pid=$!
  client=(/usr/bin/mariadb --no-defaults --socket="$work/mariadb/run/mysqld.sock" -uroot --batch)
  for _ in $(seq 1 300); do
    if "${client[@]}" -e "SELECT 1" > /dev/null 2>&1; then break; fi
    kill -0 "$mariadb_pid" 2>/dev/null || { cat "$work/mariadb/server.log"; echo "mariadbd did not start"; exit 1; }
    sleep 0.1
  done
  "${client[@]}" -e "CREATE DATABASE fuzz CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    CREATE USER 'fuzz'@'127.0.0.1' IDENTIFIED BY 'fuzz-secret'; GRANT ALL PRIVILEGES ON fuzz.* TO 'fuzz'@'127.0.0.1';"
  FUZZ_DATABASE_URL="mariadb://fuzz:fuzz-secret@127.0.0.1:$db_port/fuzz"
fi
# Port 1 never has a broker: commands answer 503 BROKER_UNAVAILABLE, which is documented.
options=(--database-url "${FUZZ_DATABASE_URL:-sqlite://$work/smartlamp.sqlite}" --host 127.0.0.1 --port "$port"
  --mqtt-url "mqtt://127.0.0.1:1" --log-level error --set "data.dir=$work/data")

admin=fuzz-admin@example.com
echo "fuzz-admin-password-1" | "$smartlamp" user create "${options[@]}" --email "$admin" --name Fuzz --admin \
  --password-stdin > /dev/null
key=$("$smartlamp" apikey create "${options[@]}" --name st --scopes '*' --owner "$admin" \
  | sed -n 's/^key (shown once): //p')
[ -n "$key" ] || { echo "could not create the API key"; exit 1; }

"$smartlamp" serve "${options[@]}" > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 200); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then cat "$work/server.log"; echo "server did not start"; exit 1; fi
  sleep 0.1
done
(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { cat "$work/server.log"; echo "server not listening"; exit 1; }

# Checks left out, and why:
# - negative_data_rejection: the contract ignores unknown JSON fields and many query parameters (UPSTREAM §2.2),
#   so "invalid per schema" bodies with extra members or odd query strings are rightly accepted.
# - positive_data_acceptance: schema-valid requests still fail for state reasons the schema cannot express
#   (unknown device or user ids → 404, duplicate emails → 409, the last admin cannot be archived, no broker → 503).
# - use_after_free / ensure_resource_availability: stateful links would need the broker and fixtures; not run
#   here since the phases below are examples, coverage and fuzzing only.
# - ignored_auth, object_level_authorization: one `*` key of an admin is sent on every request and may do
#   everything; who may do what is the permission matrix's job (Tests/.../Accounts/PermissionMatrix*.swift).
# Operations left out: /api/v1/health/ready answers 503 without a broker, by design; /api/v1/realtime/stream never
# ends (each case would hold a worker until the request timeout) and schemathesis checks each SSE event against the
# body schema, which OpenAPI 3.1 defines as the whole `text/event-stream` text; the permission matrix and the
# realtime tests cover it.
#
# Known failures, accepted until fixed: none today. When one must be accepted, add an entry to the baseline below
# (format: {"operation": "GET /api/v1/x", "check": "...", "failure": "...", "signature": "..."}, as schemathesis
# prints it) with a comment saying why, and delete it once fixed.
cat > "$work/baseline.json" <<'JSON'
{"format_version": 1, "entries": []}
JSON
# An allowed execute or discovery probe without a broker answers 503 BROKER_UNAVAILABLE (documented); any other
# 5xx still fails.
cat > "$work/schemathesis.toml" <<'TOML'
[[operations]]
include-path = "/api/v1/commands/execute"
checks.not_a_server_error.expected-statuses = ["2xx", "3xx", "4xx", "503"]

[[operations]]
include-path = "/api/v1/devices/discovery/probe"
checks.not_a_server_error.expected-statuses = ["2xx", "3xx", "4xx", "503"]
TOML
checks=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance
checks+=,response_schema_conformance,missing_required_header,unsupported_method,allow_header_conformance
start=$(date +%s)
status=0
"$venv/bin/schemathesis" --config-file "$work/schemathesis.toml" run "http://127.0.0.1:$port/api/v1/openapi.json" \
  --url "http://127.0.0.1:$port" \
  -H "Authorization: Bearer $key" \
  --exclude-path /api/v1/health/ready --exclude-path /api/v1/realtime/stream \
  --checks "$checks" \
  --phases examples,coverage,fuzzing \
  --max-examples "${FUZZ_MAX_EXAMPLES:-50}" --generation-deterministic \
  --workers 1 --request-timeout 10 --no-color --baseline "$work/baseline.json" \
  "$@" || status=$?
echo "schemathesis on $engine took $(( $(date +%s) - start )) s (exit $status)"
if grep -E 'Fatal|panic|fatalError' "$work/server.log" > /dev/null; then
  echo "the server logged a crash:"; tail -50 "$work/server.log"; status=1
fi
if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "the server died during fuzzing"; status=1; fi
exit "$status"
