# Sourced by the benchmarks that compare SQLite and MariaDB (issue #9): starts a private mariadbd on a free loopback
# port with its datadir in a temp folder (as the tests do), durable settings (fsync at commit) so the figures mean
# something, and removes it on exit. After `start_bench_mariadb`: MARIADB_PORT, and `new_bench_database NAME` prints
# the URL of a fresh empty database.
start_bench_mariadb() {
  bash scripts/install-deps.sh --mariadb
  MARIADB_WORK=$(mktemp -d /tmp/smartlamp-benchdb-XXXXXX)
  MARIADB_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  local user_args=()
  if [ "$(id -u)" = 0 ]; then user_args=(--user=mysql); fi
  mkdir -p "$MARIADB_WORK/data" "$MARIADB_WORK/run"
  chmod 755 "$MARIADB_WORK"
  if [ "$(id -u)" = 0 ]; then chown -R mysql:mysql "$MARIADB_WORK"; fi
  mariadb-install-db --no-defaults --datadir="$MARIADB_WORK/data" --auth-root-authentication-method=socket \
    --skip-test-db "${user_args[@]}" > "$MARIADB_WORK/install.log" 2>&1
  mariadbd --no-defaults --datadir="$MARIADB_WORK/data" --socket="$MARIADB_WORK/run/mysqld.sock" \
    --pid-file="$MARIADB_WORK/run/mysqld.pid" --port="$MARIADB_PORT" --bind-address=127.0.0.1 \
    --log-error="$MARIADB_WORK/run/error.log" --skip-name-resolve --skip-log-bin --character-set-server=utf8mb4 \
    --collation-server=utf8mb4_unicode_ci --innodb-buffer-pool-size=128M "${user_args[@]}" \
    < /dev/null > "$MARIADB_WORK/stdout.log" 2>&1 &
  MARIADB_PID=$!
  trap stop_bench_mariadb EXIT
  for _ in $(seq 1 600); do
    if mariadb --no-defaults --socket="$MARIADB_WORK/run/mysqld.sock" -uroot -e 'SELECT 1' >/dev/null 2>&1; then
      break
    fi
    kill -0 "$MARIADB_PID" 2>/dev/null || { cat "$MARIADB_WORK/run/error.log"; exit 1; }
    sleep 0.05
  done
  mariadb --no-defaults --socket="$MARIADB_WORK/run/mysqld.sock" -uroot -e "
    CREATE USER 'bench'@'127.0.0.1' IDENTIFIED BY 'bench-secret'; GRANT ALL ON *.* TO 'bench'@'127.0.0.1';"
}

new_bench_database() {
  mariadb --no-defaults --socket="$MARIADB_WORK/run/mysqld.sock" -uroot \
    -e "CREATE DATABASE $1 CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
  echo "mariadb://bench:bench-secret@127.0.0.1:$MARIADB_PORT/$1"
}

stop_bench_mariadb() {
  kill "$MARIADB_PID" 2>/dev/null || true
  wait "$MARIADB_PID" 2>/dev/null || true
  rm -rf "$MARIADB_WORK"
}
