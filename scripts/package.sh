#!/usr/bin/env bash
# Builds the release bundle dist/smartlamp-<version>-linux-<arch>.tar.gz: the binary with the Swift runtime linked
# in (--static-swift-stdlib) and the dashboard embedded, the systemd unit, a sample config, the Mosquitto sample,
# the licence and the READMEs. Runtime needs on the target: glibc, libstdc++, libsqlite3-0, tzdata, ca-certificates.
# Options: --skip-build (package the release binary already built).
set -euo pipefail
cd "$(dirname "$0")/.."
skip_build=false
[ "${1:-}" = "--skip-build" ] && skip_build=true

version=$(sed -n 's/.*static let version = "\(.*\)".*/\1/p' Sources/SmartLampServer/Version.swift)
arch=$(uname -m)
name="smartlamp-$version-linux-$arch"

if ! $skip_build; then
  start=$(date +%s)
  swift build -c release --static-swift-stdlib --product smartlamp
  echo "release build took $(( $(date +%s) - start )) s"
fi
bin="$(swift build -c release --show-bin-path)/smartlamp"
[ -x "$bin" ] || { echo "no release binary at $bin (run without --skip-build)"; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
dir="$stage/$name"
mkdir -p "$dir/mosquitto"
cp "$bin" "$dir/smartlamp"
strip "$dir/smartlamp"
"$dir/smartlamp" install --print > "$dir/smartlamp.service"
cp packaging/config.sample.json "$dir/config.sample.json"
cp packaging/mosquitto/smartlamp.conf packaging/mosquitto/smartlamp.acl "$dir/mosquitto/"
cp README.md README.id.md "$dir/"
licence=""
for candidate in LICENSE LICENSE.md LICENSE.txt COPYING; do
  if [ -f "$candidate" ]; then licence=$candidate; cp "$candidate" "$dir/"; break; fi
done
[ -n "$licence" ] || echo "warning: no LICENSE file in the repository; the bundle has none" >&2

if ldd "$dir/smartlamp" | grep -Eq 'libswift|libFoundation|lib_FoundationICU|libdispatch|libBlocksRuntime'; then
  echo "the binary still links the Swift runtime dynamically:"; ldd "$dir/smartlamp"; exit 1
fi

mkdir -p dist
tar -C "$stage" -czf "dist/$name.tar.gz" "$name"
echo "dist/$name.tar.gz $(du -h "dist/$name.tar.gz" | cut -f1) (binary $(du -h "$dir/smartlamp" | cut -f1))"
echo "shared libraries:"; ldd "$dir/smartlamp" | awk '{print "  " $1}'
