#!/usr/bin/env bash
# The main job: install dependencies, build, check every bundled runbook, run the critical
# runbook as a tabletop dry-run with evidence (the router picks, from runbooks/, the corrected
# "Ransomware Containment & Forensics" of the origin article for the sample ransomware event),
# verify the evidence, and print where the report is.
# Outputs go to $WRIT_OUT (default: ./out). Idempotent: run it again at will.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${WRIT_OUT:-$root/out}

step() { printf '\n==> %s\n' "$*"; }

step "Dependencies"
bash scripts/deps.sh
step "Build (Release)"
bash scripts/build.sh release writ
writ=$root/build/release/writ
"$writ" --version

step "Check runbooks/"
"$writ" check runbooks/

step "Tabletop dry-run: runbooks/ routed by runbooks/events/critical.json"
# A tabletop exercise has no live host to collect from: stage synthetic artifacts in a host
# image under $out/host, at the paths the routed runbook preserves, and let the run read its
# artifact paths beneath it (--artifact-root, a tabletop-only option).
rm -rf "$out"
mkdir -p "$out"
for artifact in /var/forensics/host_snapshot.mem /var/forensics/network_connections.log /var/forensics/disk_image.raw; do
  mkdir -p "$out/host$(dirname "$artifact")"
  printf 'writ tabletop artifact %s\n' "$artifact" > "$out/host$artifact"
done
"$writ" run runbooks/ --event runbooks/events/critical.json --dry-run --artifact-root "$out/host" \
  --approvals runbooks/approvals/tabletop.json --evidence "$out/evidence" --state "$out/state" \
  --format json > "$out/run.json"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("run", r["run_id"], r["status"]); [print("  %-15s %-28s %s" % (s["step"], s["action"], s["status"])) for s in r["steps"]]' "$out/run.json"

step "Verify the evidence"
"$writ" evidence verify "$out/evidence"

step "Report"
"$writ" report runbooks/ --format html -o "$out/report.html"
"$writ" report runbooks/ --format md -o "$out/report.md"
"$writ" metrics "$out/state" --format json > "$out/metrics.json"
printf '\nReport: %s\n        %s\nRun log: %s\nEvidence: %s\n' "$out/report.html" "$out/report.md" "$out/run.json" "$out/evidence"
printf "Binary: %s (install: see README)\n" "$writ"
