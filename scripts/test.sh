#!/usr/bin/env bash
# Runs every SmartLamp test: installs the real peers the tests start themselves (Mosquitto, amqtt, paho-mqtt in
# .venv, MariaDB client library, Chromium + Playwright), builds, and runs the whole suite, then the dashboard's
# browser tests against the built binary. Each test starts and stops its own processes
# on free loopback ports.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
bash scripts/install-deps.sh --test
echo "== design-document citations (every cited CONTRACT/UPSTREAM section exists)"
bash scripts/check-doc-citations.sh
echo "== build"
log=$(mktemp)
if ! swift build --build-tests > "$log" 2>&1; then
  grep -Ev '^\[[0-9]+/[0-9]+\] ' "$log" | tail -150
  echo "build failed"; exit 1
fi
grep -E 'warning:|error:' "$log" | grep -v '/.build/checkouts/' | sort -u | head -50 || true
echo "build took $(( $(date +%s) - start )) s (including installs)"
echo "== test"
# The store and server suites also run on a private MariaDB; with this set, a MariaDB that cannot start fails them.
export SMARTLAMP_TEST_MARIADB=1
# The MQTT client's own protocol tests (keep-alive, Will, reconnect timings against Mosquitto, amqtt and a scripted
# broker) run first and on their own: beside the server suites on both database engines they were starved.
swift test --skip-build --filter '^(MQTTTests|DeviceSimulatorTests)\.' "$@"
echo "== server, store and CLI tests"
swift test --skip-build --skip '^(MQTTTests|DeviceSimulatorTests)\.|FaultTests|ScheduleCrashTests' "$@"
# The fault tests load the machine on purpose (a broker killed under 200 commands, 2 000 vanishing realtime
# clients, a server SIGKILLed during per-second schedules, the database's tmpfs filled under commands — that one
# mounts, so it runs as root only): they run after the rest, alone.
echo "== fault tests"
swift test --skip-build --filter 'FaultTests|ScheduleCrashTests'
echo "== ESP32 firmware (its own package: unit tests, RISC-V cross-compile, ESP-IDF stubs, host lamps)"
# The firmware integration tests also run the server built above against host lamps (test_server_e2e.py).
SMARTLAMP_BIN="$PWD/.build/debug/smartlamp" bash firmware/esp32-smartlamp/scripts/test.sh
echo "== fuzz (schemathesis against the real server)"; bash scripts/fuzz-api.sh
# The same document on MariaDB, with fewer cases: the routes are the same, the SQL under them is not.
echo "== fuzz on MariaDB"; FUZZ_MAX_EXAMPLES=10 bash scripts/fuzz-api.sh --engine mariadb
echo "== dashboard in Chromium (Playwright)"; SMARTLAMP_BIN="$(swift build --show-bin-path)/smartlamp" bash scripts/test-browser.sh
# Last, as it needs a release build of its own (about 9 minutes from clean on 2 cores): only the optimiser's path
# catches compiler crashes such as the one BodyFields.init documents.
echo "== release bundle (scripts/package.sh, then started from an empty folder with no Swift toolchain)"
bash scripts/test-package.sh
echo "== done in $(( $(date +%s) - start )) s"
