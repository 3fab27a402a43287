#!/usr/bin/env bash
# Cross-compiles LampCore + the @_cdecl bridge for the ESP32-C3 (rv32imc) and ESP32-C6 (rv32imac) with Embedded
# Swift, exactly as esp-idf/main/CMakeLists.txt does, then links each object from the C entry points with
# --gc-sections and checks what the device firmware would pull in: no heap (malloc/posix_memalign/free,
# swift_allocObject), no atomics runtime, only the listed C symbols. Prints the sizes.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${FIRMWARE_BUILD:-$here/.build/riscv32}
mkdir -p "$out"
sources=("$here"/Sources/LampCore/*.swift "$here/esp-idf/main/LampBridge.swift")
# The LLVM tools that ship with the Swift toolchain (no other LLVM needed).
tools=$(dirname "$(readlink -f "$(command -v swiftc)")")
lld=$tools/ld.lld
nm=$tools/llvm-nm
objdump=$tools/llvm-objdump
# Section sizes by kind: code, read-only data, writable data, zero-filled (the link's relro padding is not memory).
sizes() {
  local text=0 rodata=0 data=0 bss=0 name size
  while read -r _ name size _; do
    case $name in
      .text*) text=$(( text + 16#$size )) ;;
      .rodata* | .srodata* | .swift*) rodata=$(( rodata + 16#$size )) ;;
      .data* | .sdata* | .got*) data=$(( data + 16#$size )) ;;
      .bss* | .sbss*) bss=$(( bss + 16#$size )) ;;
    esac
  done < <("$objdump" -h "$1" | tail -n +5)
  echo "$text $rodata $data $bss"
}
allowed='^(lamp_port_(connect|persist|publish|schedule_reconnect|set_relay|subscribe)|mem(cpy|set|move)|__stack_chk_(fail|guard)|__(ashl|lshr|ashr|udiv|umod|div|mod|mul)di3)$'
status=0
for chip in esp32c3:rv32imc_zicsr_zifencei esp32c6:rv32imac_zicsr_zifencei; do
  name=${chip%%:*}
  march=${chip#*:}
  object="$out/lamp_core_$name.o"
  start=$(date +%s%N)
  swiftc -target riscv32-none-none-eabi -enable-experimental-feature Embedded -wmo -parse-as-library -Osize \
    -Xfrontend -function-sections -Xcc -march="$march" -Xcc -mabi=ilp32 -module-name LampCore \
    -import-bridging-header "$here/esp-idf/main/lamp_port.h" -c "${sources[@]}" -o "$object"
  millis=$(( ($(date +%s%N) - start) / 1000000 ))
  roots=$("$nm" "$object" | awk '$2 == "T" && $3 ~ /^lamp_core_/ { printf "-u %s ", $3 }')
  elf="$out/lamp_core_$name.elf"
  "$lld" -m elf32lriscv --gc-sections --unresolved-symbols=ignore-all -e lamp_core_tick $roots -o "$elf" "$object"
  read -r text rodata data bss < <(sizes "$object")
  read -r ltext lrodata ldata lbss < <(sizes "$elf")
  state=$(( 16#$("$nm" -S "$elf" | awk '$4 ~ /deviceA0AA0A0VSgvp$/ { print $2 }') ))
  printf '%s (%s), compiled in %d ms: object code %d B + rodata %d B; linked from the C entry points: code %d B, rodata %d B, data %d B (the lamp state: %d B), bss %d B\n' \
    "$name" "$march" "$millis" "$text" "$rodata" "$ltext" "$lrodata" "$ldata" "${state:-0}" "$lbss"
  undefined=$("$nm" -u "$elf" | awk '{print $2}')
  unexpected=$(echo "$undefined" | grep -Ev "$allowed" || true)
  if [ -n "$unexpected" ]; then
    echo "FAIL $name: the linked core needs unexpected symbols (heap? runtime?):"; echo "$unexpected"; status=1
  fi
  if "$nm" "$elf" | grep -Eq ' (swift_allocObject|swift_retain|malloc|posix_memalign|free)$'; then
    echo "FAIL $name: heap or reference counting reachable from the C entry points"; status=1
  fi
  exported=$("$nm" "$elf" | awk '$2 == "T" && $3 ~ /^lamp_core_/' | wc -l)
  declared=$(grep -cE '^[a-z0-9_ ]+ lamp_core_[a-z_]+\(' "$here/esp-idf/main/lamp_core.h")
  if [ "$exported" != "$declared" ]; then
    echo "FAIL $name: $exported lamp_core_* symbols exported, lamp_core.h declares $declared"; status=1
  fi
done
[ $status = 0 ] && echo "cross-compile: ok (no heap, no atomics runtime, $declared C entry points)"
exit $status
