#!/bin/bash
# Bootstrap before/after (issue #10): two release binaries of smartlamp take turns, PAIRS times, each turn one
# scripts/bench-accounts.sh round (its own server, health and bootstrap under wrk in the same round). Prints every
# turn's req/s and ratio with the load average before it (other work on the machine skews both sides alike within a
# turn, not across turns), then the median ratio of each binary.
# Usage: bench/bootstrap-before-after.sh BEFORE_BIN AFTER_BIN     PAIRS (3), DURATION (8s), SLICES (1: see
#                                                                  scripts/bench-accounts.sh)
set -u
cd "$(dirname "$0")/.."
BEFORE=$1 AFTER=$2 PAIRS=${PAIRS:-3}
declare -A RATIOS
for pair in $(seq 1 "$PAIRS"); do
  for side in before after; do
    bin=$BEFORE; [ "$side" = after ] && bin=$AFTER
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    out=$(BIN=$bin ROUNDS=1 DURATION=${DURATION:-8s} SLICES=${SLICES:-1} scripts/bench-accounts.sh 2>&1)
    health=$(awk '/GET \/api\/health/{f=1} f && /Requests\/sec/{print $2; exit}' <<<"$out")
    boot=$(awk '/GET \/api\/v1\/bootstrap/{f=1} f && /Requests\/sec/{print $2; exit}' <<<"$out")
    ratio=$(awk '/ratio, median/{print $7}' <<<"$out" | tr -d '×')
    echo "pair $pair $side: health $health req/s, bootstrap $boot req/s, ratio ${ratio}× (load before: $load)"
    RATIOS[$side]+="$ratio "
  done
done
for side in before after; do
  echo "$side: median bootstrap/health ratio $(tr ' ' '\n' <<<"${RATIOS[$side]}" | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')×"
done
