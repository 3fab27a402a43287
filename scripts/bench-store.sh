#!/usr/bin/env bash
# The store's hot operations on SQLite and MariaDB side by side (issue #9 figures). Starts a private mariadbd on a
# free loopback port with its datadir in a temp folder (as the tests do), runs StoreBench, and removes it again.
# Usage: scripts/bench-store.sh [--operations N] [--concurrency N]     (CONFIG=debug for a debug build)
set -euo pipefail
cd "$(dirname "$0")/.."
config=${CONFIG:-release}
flock -o /tmp/smartlamp-build.lock swift build -c "$config" --product StoreBench
bin="$(swift build -c "$config" --show-bin-path)/StoreBench"
. scripts/lib/bench-mariadb.sh
start_bench_mariadb
url=$(new_bench_database bench)
"$bin" --mariadb "$url" "$@"
