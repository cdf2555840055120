#!/usr/bin/env bash
# Benchmark (not a test, not run by ctest): wall time of `writ test` on drills of simulated
# days (DESIGN §16: hours of simulated time must run in well under a second):
#   - exercises/pitfall5_realism_72h.yaml: 4 replayed incidents over 72 h, faults, approval timeouts;
#   - a generated drill of N incidents (default 100) spread over 72 h, overlapping, each with an
#     approval wait and a slow connector;
#   - every bundled drill of exercises/ in one invocation.
# Prints the median wall time of RUNS runs (default 9) and the simulated span of each.
#
#   bench/exercise_bench.sh          (WRIT=... for the binary, RUNS=..., INCIDENTS=...)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
writ=${WRIT:-$root/build/release/writ}
runs=${RUNS:-9}
incidents=${INCIDENTS:-100}
work=$(mktemp -d "${TMPDIR:-/tmp}/writ-exercise-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
[[ -x $writ ]] || { echo "exercise_bench: no writ binary at $writ" >&2; exit 2; }

python3 - "$root" "$work" "$runs" "$writ" "$incidents" <<'PY'
import datetime, json, pathlib, statistics, subprocess, sys, time
root, work, runs, writ, n = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
start = datetime.datetime(2026, 11, 27, 8, tzinfo=datetime.timezone.utc)
with open(work / "siem.jsonl", "w") as out:
    for i in range(n):
        at = start + datetime.timedelta(seconds=i * 72 * 3600 // max(n - 1, 1))
        out.write(json.dumps({"id": f"gen-{i}", "severity": "critical", "host_id": f"ws-{i % 250}", "user_account": "jdoe",
                              "user_id": "jdoe", "segment_id": "seg-a", "source_ip": "203.0.113.7", "confidence": 0.9,
                              "impact": "ransomware", "detected_at": at.strftime("%Y-%m-%dT%H:%M:%SZ")}) + "\n")
(work / "generated.yaml").write_text(f"""exercise: "{n} incidents over 72 hours"
runbooks: {root / 'runbooks'}
clock: "2026-11-27T08:00:00Z"
timeline:
  - {{replay: siem.jsonl}}
approvals:
  "*": {{after: 50m, approved: true, approvers: [{{approver: a, role: ciso}}, {{approver: b, role: legal}}]}}
  trigger_full_disk_imaging: {{after: never}}
faults:
  - {{action: isolate_host, latency: 2m}}
expect:
  status: halted_by_approval
""")
cases = {"pitfall5_realism_72h (4 incidents)": [str(root / "exercises/pitfall5_realism_72h.yaml")],
         f"generated ({n} incidents)": [str(work / "generated.yaml")],
         "all bundled drills": sorted(str(p) for p in (root / "exercises").glob("*.yaml"))}
for name, files in cases.items():
    times = []
    for _ in range(runs):
        t = time.monotonic()
        proc = subprocess.run([writ, "test", *files, "--format", "json"], capture_output=True, text=True)
        times.append(time.monotonic() - t)
        if proc.returncode not in (0, 1):
            sys.exit(f"{name}: exit {proc.returncode}: {proc.stderr[-500:]}")
    report = json.loads(proc.stdout)
    simulated = sum(x["simulated_ms"] for x in report["exercises"]) / 3600000
    print(f"{name:40s} median {statistics.median(times) * 1000:7.1f} ms wall  ({simulated:.1f} h simulated, "
          f"{len(report['exercises'])} exercise(s), passed: {report['summary']['failed'] == 0})")
PY
