# Sourced by the benchmark scripts: a private Mosquitto on a free 127.0.0.1 port, stopped (and its folder removed)
# when the script exits. After `start_bench_broker [max_queued_messages]`: PORT, WORK (a temp folder the script may
# also use) and BROKER (the pid) are set.
start_bench_broker() {
  local queued=${1:-0}
  [ -x /usr/sbin/mosquitto ] || { echo "missing mosquitto: run scripts/install-deps.sh --test" >&2; exit 1; }
  WORK=$(mktemp -d /tmp/smartlamp-bench.XXXXXX)
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  cat > "$WORK/mosquitto.conf" <<CONF
user root
listener $PORT 127.0.0.1
protocol mqtt
allow_anonymous true
persistence false
set_tcp_nodelay true
max_queued_messages $queued
log_dest stderr
log_type error
CONF
  /usr/sbin/mosquitto -c "$WORK/mosquitto.conf" 2>"$WORK/mosquitto.log" &
  BROKER=$!
  trap stop_bench_broker EXIT
  until (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do
    kill -0 "$BROKER" 2>/dev/null || { echo "mosquitto did not start:" >&2; cat "$WORK/mosquitto.log" >&2; exit 1; }
    sleep 0.01
  done
}

stop_bench_broker() {
  kill "$BROKER" 2>/dev/null || true
  wait "$BROKER" 2>/dev/null || true
  rm -rf "$WORK"
}
