#!/usr/bin/env bash
# Tests the SmartLamp ESP32 firmware on this machine: LampCore's unit tests (Swift Testing), the RISC-V
# cross-compile of the core for the ESP32-C3/C6 (with its no-heap check), the ESP-IDF C layer against host stubs,
# and the host-lamp integration tests against a private Mosquitto with TLS (pytest + paho-mqtt). Installs
# libmosquitto-dev, mosquitto, openssl and gcc with apt when missing, and paho-mqtt/pytest into the repo's .venv.
# Usage: firmware/esp32-smartlamp/scripts/test.sh
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$here"
start=$(date +%s)
stamp() { echo "   ($(( $(date +%s) - start )) s)"; }

missing=()
for package in libmosquitto-dev mosquitto mosquitto-clients openssl gcc; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
python=${FIRMWARE_PYTHON:-$repo/.venv/bin/python}
if [ ! -x "$python" ]; then python3 -m venv "$repo/.venv"; python=$repo/.venv/bin/python; fi
if ! "$python" -c "import paho.mqtt, pytest" 2>/dev/null; then "$python" -m pip install -q paho-mqtt pytest; fi

echo "== firmware: build (host)"
log=$(mktemp)
if ! swift build --build-tests > "$log" 2>&1; then
  grep -Ev '^\[[0-9]+/[0-9]+\] ' "$log" | tail -80; echo "firmware build failed"; exit 1
fi
if grep -E 'warning:|error:' "$log"; then echo "firmware build has warnings"; exit 1; fi
stamp
echo "== firmware: LampCore unit tests"
if ! swift test --skip-build > "$log" 2>&1; then
  grep -E '✘|recorded an issue|error:' "$log" | head -60; echo "firmware unit tests failed"; exit 1
fi
grep -E '^✔ Suite|Test run with' "$log"
stamp
echo "== firmware: RISC-V cross-compile (Embedded Swift)"
bash scripts/cross-compile.sh
stamp
echo "== firmware: ESP-IDF layer on host stubs"
bash scripts/stub-check.sh | grep -v '^ok '
stamp
echo "== firmware: host lamps against Mosquitto (TLS)"
HOST_LAMP_BIN="$here/.build/debug/host-lamp" "$python" -m pytest -q -p no:cacheprovider integration
echo "== firmware: done in $(( $(date +%s) - start )) s"
