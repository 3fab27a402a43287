#!/usr/bin/env bash
# Issue #9's figures, the same workload on SQLite and on MariaDB in one run, side by side: authenticated
# `GET /api/v1/bootstrap` next to `GET /api/health` (scripts/bench-accounts.sh: a member with 20 lamps, cookie JWT),
# then a command executed with its acknowledgement (LampBench --phases commands: raw MQTT round trip, HTTP p50/p99),
# then the store's hot operations when STOREBENCH names a StoreBench binary (idempotency claim, audit row, user
# lookup, schedule slot claim).
# Usage: scripts/bench-engines.sh     BIN=path/to/smartlamp reuses a release build; ROUNDS/DURATION as bench-accounts.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${BIN:-}" ]; then
  flock -o /tmp/smartlamp-build.lock swift build -c release --product smartlamp >/dev/null
  BIN=$(swift build -c release --show-bin-path)/smartlamp
fi
export BIN
. scripts/lib/bench-mariadb.sh
start_bench_mariadb
echo "== bootstrap on SQLite"
bash scripts/bench-accounts.sh
echo "== bootstrap on MariaDB (the same server binary, a private mariadbd with fsync at commit)"
DATABASE_URL=$(new_bench_database accounts) bash scripts/bench-accounts.sh
LAMPBENCH=${LAMPBENCH:-$(dirname "$BIN")/LampBench}
. scripts/lib/bench-broker.sh
start_bench_broker
trap 'stop_bench_broker; stop_bench_mariadb' EXIT
echo "== command with acknowledgement on SQLite"
"$LAMPBENCH" --broker "mqtt://127.0.0.1:$PORT" --smartlamp "$BIN" --phases commands | grep -vE '^\['
echo "== command with acknowledgement on MariaDB"
SMARTLAMP_BENCH_DATABASE_URL=$(new_bench_database commands) \
  "$LAMPBENCH" --broker "mqtt://127.0.0.1:$PORT" --smartlamp "$BIN" --phases commands | grep -vE '^\['
if [ -n "${STOREBENCH:-}" ]; then
  echo "== store operations, SQLite next to MariaDB"
  "$STOREBENCH" --mariadb "$(new_bench_database store)"
fi
