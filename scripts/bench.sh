#!/usr/bin/env bash
# Every benchmark in one run (issue #10): one release build under the team's build lock, then bench-mqtt,
# bench-accounts, bench-lamps (with the registration phase) and bench-dashboard, each against its own private
# broker. Writes docs/PERFORMANCE.md: a table of figure, baseline measured in the same run, ratio, goal, then the
# machine and date, and every bench's full output below it.
# Usage: scripts/bench.sh            SKIP_BUILD=1 reuses the last release build; BENCH_SKIP="dashboard,mqtt" leaves
#                                    benches out; LAMPBENCH_ARGS passes arguments to LampBench (default below).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=$(mktemp -d /tmp/smartlamp-benchall.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
if [ "${SKIP_BUILD:-}" != 1 ]; then
  flock -o /tmp/smartlamp-build.lock swift build -c release >&2
fi
BIN_DIR=$(swift build -c release --show-bin-path)
skip() { [[ ",${BENCH_SKIP:-}," == *",$1,"* ]]; }
run() {
  local name=$1; shift
  if skip "$name"; then echo "(skipped)" >"$OUT/$name.txt"; return; fi
  echo "== $name" >&2
  "$@" 2>&1 | tee "$OUT/$name.txt" >&2 || echo "(failed: exit ${PIPESTATUS[0]})" >>"$OUT/$name.txt"
}
run mqtt env SKIP_BUILD=1 scripts/bench-mqtt.sh
run accounts env BIN="$BIN_DIR/smartlamp" scripts/bench-accounts.sh
# shellcheck disable=SC2086
run lamps env SKIP_BUILD=1 scripts/bench-lamps.sh ${LAMPBENCH_ARGS:---phases commands,fanout,ingest,registration --register 10000}
run dashboard env SMARTLAMP_BIN="$BIN_DIR/smartlamp" scripts/bench-dashboard.sh

python3 - "$OUT" >docs/PERFORMANCE.md <<'PYTHON'
import os, re, statistics, subprocess, sys, datetime
out = sys.argv[1]
text = {name: open(os.path.join(out, name + ".txt"), encoding="utf-8", errors="replace").read()
        for name in ("mqtt", "accounts", "lamps", "dashboard")}

def find(name, pattern, group=1, many=False):
    found = re.findall(pattern, text[name], re.M)
    if not found:
        return None
    values = [float((f[group - 1] if isinstance(f, tuple) else f).replace(",", "")) for f in found]
    return values if many else values[0]

rows = []
def row(figure, value, unit, baseline=None, baseline_name="", goal="", ratio=None, meets=None):
    fmt = lambda v: "—" if v is None else (f"{v:,.0f}" if abs(v) >= 100 else f"{v:.2f}")
    if ratio is None and value is not None and baseline:
        ratio = value / baseline
    verdict = "" if meets is None else (" (met)" if meets else " (missed)")
    rows.append(f"| {figure} | {fmt(value)} {unit if value is not None else ''} | "
                f"{(fmt(baseline) + ' ' + unit + ' ' + baseline_name) if baseline is not None else ''} | "
                f"{'' if ratio is None else f'{ratio:.2f}×'} | {goal}{verdict} |")

# MQTT: our client next to paho-mqtt (the C client of the issue is not built yet: paho is the baseline).
m = re.search(r"^round trip p50 \(µs\)\s+([\d,.]+)\s+([\d,.]+)\s+([\d,.]+)", text["mqtt"], re.M)
if m:
    ours, paho = float(m.group(1).replace(",", "")), float(m.group(3).replace(",", ""))
    row("MQTT round trip p50", ours, "µs", paho, "(paho-mqtt)", "≤ 1.2× a libmosquitto client", ours / paho)
m = re.search(r"^QoS 0 publish \(msg/s\)\s+([\d,.]+)\s+([\d,.]+)\s+([\d,.]+)", text["mqtt"], re.M)
if m:
    row("MQTT QoS 0 publish", float(m.group(1).replace(",", "")), "msg/s", float(m.group(3).replace(",", "")),
        "(paho-mqtt)")
# Accounts: wrk requests/s, the last round of each.
reqs = [float(v) for v in re.findall(r"Requests/sec:\s*([\d.]+)", text["accounts"])]
if len(reqs) >= 2:
    h, b = statistics.median(reqs[0::2]), statistics.median(reqs[1::2])
    row("authenticated GET /api/v1/bootstrap", b, "req/s", h, "(GET /api/health)", "≥ 0.7× health", b / h, b / h >= 0.7)
login = find("accounts", r"median (\d+) ms")
row("login at bcrypt cost 12, median", login, "ms")
# Lamps.
overhead = find("lamps", r"SmartLamp overhead at p50, median of \d+ rounds: ([\d.]+) ms")
raw = find("lamps", r"^1 raw MQTT round trip.*?\s([\d.]+)\s+[\d.]+\s+[\d.]+\s+\d+$")
http = find("lamps", r"^2 HTTP execute waitForAck.*?\s([\d.]+)\s+[\d.]+\s+[\d.]+\s+\d+$")
row("lamp command, HTTP execute → ACKED, p50", http, "ms", raw, "(raw MQTT round trip)")
row("SmartLamp overhead over the raw round trip, p50", overhead, "ms", goal="≤ 2 ms",
    meets=None if overhead is None else overhead <= 2)
m = re.search(r"^3 SSE fan-out to (\d+) streams.*?\s([\d.]+)\s+([\d.]+)\s+[\d.]+\s+\d+$", text["lamps"], re.M)
if m:
    row(f"SSE fan-out to {m.group(1)} streams, p99", float(m.group(3)), "ms", goal="≤ 250 ms at 10 000 streams",
        meets=float(m.group(3)) <= 250)
m = re.search(r"^4 state ingest: ([\d.]+) reports/s \(\d+ reports for (\d+) connected", text["lamps"], re.M)
if m:
    row(f"state ingest, {m.group(2)} simulated devices", float(m.group(1)), "reports/s",
        goal="≥ 50 000 reports/s with 10 000 devices", meets=float(m.group(1)) >= 50000)
marks = re.findall(r"^\s+at (\d+) devices: ([\d.]+) ms per device", text["lamps"], re.M)
first = float(marks[0][1]) if marks else None
for count, ms in marks:
    row(f"device registration through the API, at {int(count):,} devices", float(ms), "ms/device", first,
        "(at the first mark)", "near-constant")
# Dashboard.
for figure, pattern, unit in [
    ("dashboard, navigation → interactive grid, median", r"^navigation → interactive grid \(median ms\)\s+([\d.]+)\s+([\d.]+)", "ms"),
    ("dashboard first load, uncompressed", r"^first load, uncompressed \(bytes\)\s+(\d+)\s+(\d+)", "bytes"),
    ("dashboard, SSE frame → DOM updated, median", r"^SSE frame → DOM updated \(median ms\)\s+([\d.]+)\s+([\d.]+)", "ms"),
]:
    m = re.search(pattern, text["dashboard"], re.M)
    if m:
        row(figure, float(m.group(1)), unit, float(m.group(2)), "(empty page)")

cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
print("# Performance\n")
print("Written by `scripts/bench.sh` (release build, each bench against its own private Mosquitto on loopback). "
      "A baseline is measured in the same run; a goal is issue #10's. Figures from a shared machine vary between "
      "runs: compare ratios, not single numbers.\n")
print(f"Machine: {os.cpu_count()} cores, {cpu}; load average at the end {os.getloadavg()[0]:.1f}. "
      f"Date: {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC. Commit: {commit}.\n")
print("| figure | SmartLamp | baseline in the same run | ratio | goal |")
print("|---|---|---|---|---|")
print("\n".join(rows))
for name in ("mqtt", "accounts", "lamps", "dashboard"):
    print(f"\n## {name}\n\n```\n{text[name].strip()}\n```")
PYTHON
echo "wrote docs/PERFORMANCE.md" >&2
