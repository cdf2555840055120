#!/usr/bin/env bash
# Benchmark (not a test, not run by ctest): wall time of one incident as responders run it in a
# tabletop — `writ run runbooks/ --event critical.json --dry-run --approvals tabletop.json
# --evidence DIR --state DIR` (compile and route every bundled runbook, type the event, render
# the plan, journal every transition with fsync, preserve the three artifacts with custody) —
# for this build and, when given, a baseline build measured in the same run, alternating runs
# so both see the same machine. Reports the medians and the ratio current / baseline.
#
#   bench/run_bench.sh [BASELINE_WRIT]     (WRIT=... for the current binary, RUNS=... default 15)
#
# A baseline binary of an earlier commit: `git worktree add /tmp/base COMMIT && cmake --preset
# release -S /tmp/base && cmake --build /tmp/base/build/release --target writ`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
writ=${WRIT:-$root/build/release/writ}
baseline=${1:-}
runs=${RUNS:-15}
work=$(mktemp -d /var/tmp/writ-run-bench-XXXXXX)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

[[ -x $writ ]] || { echo "run_bench: no writ binary at $writ" >&2; exit 2; }
[[ -z $baseline || -x $baseline ]] || { echo "run_bench: no baseline binary at $baseline" >&2; exit 2; }
# The critical runbook preserves these paths; stage tabletop stand-ins in a host image that the
# runs read through --artifact-root (a baseline binary must know that option too).
for artifact in /var/forensics/host_snapshot.mem /var/forensics/network_connections.log /var/forensics/disk_image.raw; do
  mkdir -p "$work/host$(dirname "$artifact")"
  printf 'writ tabletop artifact %s\n' "$artifact" >"$work/host$artifact"
done

python3 - "$root" "$work" "$runs" "$writ" ${baseline:+"$baseline"} <<'PY'
import pathlib, statistics, subprocess, sys, time
root, work, runs = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), int(sys.argv[3])
binaries = {"current": sys.argv[4]}
if len(sys.argv) > 5:
    binaries["baseline"] = sys.argv[5]
times = {name: [] for name in binaries}
for i in range(runs):
    for name, writ in binaries.items():
        out = work / f"{name}-{i}"
        argv = [writ, "run", str(root / "runbooks"), "--event", str(root / "runbooks/events/critical.json"),
                "--dry-run", "--artifact-root", str(work / "host"), "--approvals", str(root / "runbooks/approvals/tabletop.json"),
                "--evidence", str(out / "evidence"), "--state", str(out / "state"), "--format", "json"]
        start = time.perf_counter()
        proc = subprocess.run(argv, capture_output=True, text=True, cwd=root)
        times[name].append(time.perf_counter() - start)
        if proc.returncode != 0:
            sys.exit(f"run_bench: {name} run failed (exit {proc.returncode}): {proc.stderr[-2000:]}")
for name, values in times.items():
    print(f"{name:8} median {statistics.median(values) * 1000:7.1f} ms  min {min(values) * 1000:7.1f} ms  ({runs} runs)")
if "baseline" in times:
    ratio = statistics.median(times["current"]) / statistics.median(times["baseline"])
    print(f"ratio current / baseline (medians): {ratio:.3f}")
PY
