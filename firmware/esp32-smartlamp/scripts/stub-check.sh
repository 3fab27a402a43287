#!/usr/bin/env bash
# The ESP-IDF layer without ESP-IDF: compiles main/*.c with -Wall -Wextra -Werror against host stubs of exactly the
# ESP-IDF calls it uses, then links it with the Swift core (Embedded Swift for the host) and the stub simulation
# and runs harness.c, which drives the real C layer and core through boot, Wi-Fi, MQTT, a command, the button,
# an oversized payload, a lost connection and the 32-bit wrap.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${FIRMWARE_BUILD:-$here/.build/esp-idf-host}
mkdir -p "$out"
stubs="$here/esp-idf/host-stubs"
main="$here/esp-idf/main"
cflags=(-std=gnu11 -Wall -Wextra -Werror -I"$stubs/include" -I"$stubs" -I"$main")
for file in "$main"/*.c; do
  gcc "${cflags[@]}" -fsyntax-only "$file"
done
echo "stub compile: $(ls "$main"/*.c | wc -l) C files of the device layer compile against the ESP-IDF stubs"
swiftc -target x86_64-unknown-linux-gnu -enable-experimental-feature Embedded -wmo -parse-as-library -Osize \
  -module-name LampCore -import-bridging-header "$main/lamp_port.h" \
  -c "$here"/Sources/LampCore/*.swift "$main/LampBridge.swift" -o "$out/lamp_core_host.o"
gcc "${cflags[@]}" "$main"/*.c "$stubs/stubs.c" "$stubs/harness.c" "$out/lamp_core_host.o" -o "$out/harness"
"$out/harness"
