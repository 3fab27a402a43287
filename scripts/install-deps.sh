#!/usr/bin/env bash
# Installs what SmartLamp's build, run and tests need on a fresh Debian machine.
# Idempotent: skips what is present. Usage: scripts/install-deps.sh [--test | --browser | --mariadb]
# --test: everything the tests need, including the dashboard's browser tests (--browser: only those) and a MariaDB
# server the tests start privately (--mariadb: only that; the tests never use a system-wide instance).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
want_test=0
want_browser=0
want_mariadb=0
[ "${1:-}" = "--test" ] && want_test=1 && want_browser=1 && want_mariadb=1
[ "${1:-}" = "--browser" ] && want_browser=1
[ "${1:-}" = "--mariadb" ] && want_mariadb=1

apt_pkgs=(libsqlite3-dev libmariadb-dev pkg-config tzdata ca-certificates openssl mosquitto mosquitto-clients)
# libmosquitto-dev and gcc: the ESP32 firmware's host lamp and its ESP-IDF stub harness (firmware/esp32-smartlamp);
# curl: the HTTPS tests check HTTP/2 and the household CA with it.
if [ "$want_test" = 1 ]; then apt_pkgs+=(wrk libmosquitto-dev gcc curl); fi
# MariaDB server binaries (mariadbd, mariadb-install-db, the mariadb client): the test harness starts its own
# instance on a free loopback port with a datadir in a temp folder. Debian's package cannot start a daemon here
# (policy-rc.d, no systemd), which is what we want.
if [ "$want_mariadb" = 1 ]; then apt_pkgs+=(mariadb-server mariadb-client); fi
# Browser tests: Debian's Chromium (Playwright never downloads a browser here), a font for stable screenshots, and
# certutil (libnss3-tools) to trust the household CA in Chromium's store for the HTTPS test.
if [ "$want_browser" = 1 ]; then apt_pkgs+=(chromium fonts-dejavu-core python3-venv libnss3-tools); fi
missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  for attempt in 1 2 3; do
    if $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null; then
      break
    fi
    echo "apt-get failed (attempt $attempt), retrying"; sleep 5
  done
fi

venv="$here/.venv"
if [ "$want_test" = 1 ] || [ "$want_browser" = 1 ]; then
  if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
fi
if [ "$want_test" = 1 ]; then
  if ! "$venv/bin/python" -c "import paho.mqtt, amqtt, pytest" 2>/dev/null; then
    "$venv/bin/pip" install -q paho-mqtt amqtt pytest
  fi
fi
if [ "$want_browser" = 1 ]; then
  if ! "$venv/bin/python" -c "import playwright, pytest, axe_playwright_python, paho.mqtt" 2>/dev/null; then
    "$venv/bin/pip" install -q playwright pytest axe-playwright-python paho-mqtt
  fi
fi
