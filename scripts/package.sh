#!/usr/bin/env bash
# Builds the release bundle dist/smartlamp-<version>-linux-<arch>.tar.gz: the binary with the Swift runtime linked
# in (--static-swift-stdlib) and the dashboard embedded, the systemd unit, a sample config, the Mosquitto sample,
# the licence, the READMEs and NOTES.txt (what was built from what, what the target needs, the licence's state).
# Runtime needs on the target: glibc, libstdc++6, libsqlite3-0, libmariadb3 (even on SQLite: the binary links it),
# tzdata, ca-certificates.
# Options: --skip-build (package the release binary already built). On the team's shared machine, run it under the
# build lock: flock -o /tmp/smartlamp-build.lock scripts/package.sh
# It builds in its own folder, .build-package (SMARTLAMP_PACKAGE_BUILD overrides): --static-swift-stdlib changes every
# module's compile flags, so sharing .build with the benches' plain release build would rebuild everything (about
# 9 minutes) each time one follows the other. The benches need the plain build: SwiftNIO cannot install its event
# loop as Swift's global executor in a binary with the runtime linked in (MQTTBench --executor nio fails there).
set -euo pipefail
cd "$(dirname "$0")/.."
skip_build=false
[ "${1:-}" = "--skip-build" ] && skip_build=true

version=$(sed -n 's/.*static let version = "\(.*\)".*/\1/p' Sources/SmartLampServer/Version.swift)
arch=$(uname -m)
name="smartlamp-$version-linux-$arch"

scratch=${SMARTLAMP_PACKAGE_BUILD:-.build-package}
if ! $skip_build; then
  start=$(date +%s)
  swift build -c release --static-swift-stdlib --scratch-path "$scratch" --product smartlamp
  echo "release build took $(($(date +%s) - start)) s"
fi
bin="$(swift build -c release --static-swift-stdlib --scratch-path "$scratch" --show-bin-path)/smartlamp"
[ -x "$bin" ] || {
  echo "no release binary at $bin (run without --skip-build)"
  exit 1
}

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
dir="$stage/$name"
mkdir -p "$dir/mosquitto"
cp "$bin" "$dir/smartlamp"
strip "$dir/smartlamp"
"$dir/smartlamp" install --print >"$dir/smartlamp.service"
cp packaging/config.sample.json "$dir/config.sample.json"
cp packaging/mosquitto/smartlamp.conf packaging/mosquitto/smartlamp.acl "$dir/mosquitto/"
cp README.md README.id.md "$dir/"

# The owner chooses the licence; nothing here invents one. Without a licence file the bundle says so in NOTES.txt
# (and the build warns), so nobody mistakes its absence for permission.
licence=""
for candidate in LICENSE LICENSE.md LICENSE.txt COPYING; do
  if [ -f "$candidate" ]; then
    licence=$candidate
    cp "$candidate" "$dir/"
    break
  fi
done
[ -n "$licence" ] || echo "warning: no LICENSE file in the repository; the bundle has none (see its NOTES.txt)" >&2

if ldd "$dir/smartlamp" | grep -Eq 'libswift|libFoundation|lib_FoundationICU|libdispatch|libBlocksRuntime'; then
  echo "the binary still links the Swift runtime dynamically:"
  ldd "$dir/smartlamp"
  exit 1
fi

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || commit="$commit (with uncommitted changes)"
{
  echo "SmartLamp $version for Linux $arch"
  echo
  echo "Built $(date -u '+%Y-%m-%d %H:%M') UTC from commit $commit"
  echo "with $(swift --version 2>/dev/null | head -1), release configuration, Swift runtime linked in."
  echo
  echo "The target needs: glibc, libstdc++6, libsqlite3-0, libmariadb3, tzdata, ca-certificates"
  echo "(Debian/Ubuntu: sudo apt-get install libsqlite3-0 libmariadb3 tzdata ca-certificates)."
  echo "Shared libraries the binary loads:"
  ldd "$dir/smartlamp" | awk '$1 !~ /^linux-vdso/ {print "  " $1}'
  echo
  echo "Try it: ./smartlamp serve --demo (simulated lamps; wants an MQTT broker on 127.0.0.1:1883). For good:"
  echo "sudo ./smartlamp install (a systemd service; README.md,"
  echo "\"Running it at home for years\"). smartlamp.service is the unit install writes; config.sample.json is"
  echo "the sample configuration; mosquitto/ holds a Mosquitto listener and ACL for the household broker."
  echo
  if [ -n "$licence" ]; then
    echo "Licence: see $licence."
  else
    echo "Licence: NONE CHOSEN YET. The repository has no LICENSE file, so this bundle carries no licence: its"
    echo "owner has not yet said on which terms it may be used or passed on. Ask before redistributing it."
  fi
} >"$dir/NOTES.txt"

mkdir -p dist
tar -C "$stage" -czf "dist/$name.tar.gz" "$name"
echo "dist/$name.tar.gz $(du -h "dist/$name.tar.gz" | cut -f1) (binary $(du -h "$dir/smartlamp" | cut -f1))"
echo "shared libraries:"
ldd "$dir/smartlamp" | awk '{print "  " $1}'
