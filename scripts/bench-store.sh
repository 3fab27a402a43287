#!/usr/bin/env bash
# The store's hot operations on SQLite and MariaDB side by side (issue #9 figures). Starts a private mariadbd on a
# free loopback port with its datadir in a temp folder (as the tests do), runs StoreBench, and removes it again.
# Usage: scripts/bench-store.sh [--operations N] [--concurrency N]     (CONFIG=debug for a debug build)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --mariadb
config=${CONFIG:-release}
flock -o /tmp/smartlamp-build.lock swift build -c "$config" --product StoreBench
bin="$(swift build -c "$config" --show-bin-path)/StoreBench"

work=$(mktemp -d /tmp/smartlamp-storebench-XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
user_args=()
if [ "$(id -u)" = 0 ]; then user_args=(--user=mysql); fi
mkdir -p "$work/data" "$work/run"
chmod 755 "$work"
if [ "$(id -u)" = 0 ]; then chown -R mysql:mysql "$work"; fi
mariadb-install-db --no-defaults --datadir="$work/data" --auth-root-authentication-method=socket --skip-test-db \
  "${user_args[@]}" > "$work/install.log" 2>&1
# Durable settings (fsync at commit), unlike the tests' throwaway server: the figures should mean something.
mariadbd --no-defaults --datadir="$work/data" --socket="$work/run/mysqld.sock" --pid-file="$work/run/mysqld.pid" \
  --port="$port" --bind-address=127.0.0.1 --log-error="$work/run/error.log" --skip-name-resolve --skip-log-bin \
  --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci --innodb-buffer-pool-size=128M \
  "${user_args[@]}" < /dev/null > "$work/stdout.log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 1 600); do
  if mariadb --no-defaults --socket="$work/run/mysqld.sock" -uroot -e 'SELECT 1' >/dev/null 2>&1; then break; fi
  kill -0 "$pid" 2>/dev/null || { cat "$work/run/error.log"; exit 1; }
  sleep 0.05
done
mariadb --no-defaults --socket="$work/run/mysqld.sock" -uroot -e "
  CREATE DATABASE bench CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
  CREATE USER 'bench'@'127.0.0.1' IDENTIFIED BY 'bench-secret'; GRANT ALL ON bench.* TO 'bench'@'127.0.0.1';"
"$bin" --mariadb "mariadb://bench:bench-secret@127.0.0.1:$port/bench" "$@"
