#!/usr/bin/env bash
# The dashboard's browser tests (Tests/Browser): Playwright for Python on Debian's Chromium against the real
# `smartlamp` binary, with its own Mosquitto and simulated Tasmota lamps on free loopback ports, all stopped
# afterwards. Installs what it needs (apt: chromium; pip into .venv: playwright, pytest, axe-playwright-python,
# paho-mqtt). Screenshots go to Tests/Browser/artifacts/ (git-ignored).
# Environment: SMARTLAMP_BIN (default .build/debug/smartlamp, built when missing). Extra arguments go to pytest,
# e.g. scripts/test-browser.sh -k lamps
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bash scripts/install-deps.sh --browser
bin=${SMARTLAMP_BIN:-$root/.build/debug/smartlamp}
if [ ! -x "$bin" ]; then
  echo "building smartlamp (debug)..."
  flock /tmp/smartlamp-build.lock swift build --product smartlamp
fi
export SMARTLAMP_BIN=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
echo "== browser tests against $SMARTLAMP_BIN ($("$SMARTLAMP_BIN" --version))"
cd "$root/Tests/Browser"
exec "$root/.venv/bin/python" -m pytest "$@"
