#!/usr/bin/env bash
# Runs each libFuzzer target of the `fuzz` preset for SECONDS (default $WRIT_FUZZ_SECONDS or
# 20), one per core at a time ($WRIT_FUZZ_JOBS), from a copy of its seed corpus
# fuzz/corpus/<name>/ (the seeds are never modified), with its grammar dictionaries, -timeout=10 and -rss_limit_mb=2048. Prints one line per target
# (runs, exec/s, coverage, features, corpus size, peak RSS) and fails when any target reports a
# finding (crash, invariant violation, leak, timeout, out-of-memory); the reproducer is copied
# to build/fuzz/findings/ and the log's tail is printed.
#
#   bash scripts/fuzz-smoke.sh [SECONDS] [TARGET...]    e.g. fuzz-smoke.sh 600 dsl yaml
# Build first: bash scripts/build.sh fuzz
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-${WRIT_FUZZ_SECONDS:-20}}
shift || true
build=${WRIT_FUZZ_BUILD:-$root/build/fuzz}
findings=$build/findings

# Dictionaries (fuzz/<grammar>.dict) each target is given, concatenated into one file.
declare -A dicts=(
  [dsl]="dsl expr" [yaml]="yaml expr" [check]="dsl yaml expr" [expr]="expr"
  [event]="json" [approval]="json" [connectors]="yaml" [journal]="json" [custody]="json"
  [alertmanager]="json" [exercise]="yaml"
)

targets=("$@")
if ((${#targets[@]} == 0)); then
  for bin in "$build"/fuzz/fuzz_*; do
    [[ -x $bin && -f $bin ]] && targets+=("$(basename "$bin" | sed 's/^fuzz_//')")
  done
fi
if ((${#targets[@]} == 0)); then
  echo "fuzz-smoke: no fuzz targets in $build/fuzz (run: bash scripts/build.sh fuzz)" >&2
  exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/writ-fuzz-smoke.XXXXXX")
trap 'rm -rf "$work"' EXIT

# "#123 DONE cov: 45 ft: 67 corp: 8/1kb ..." and "stat::average_exec_per_sec: 9" -> one line.
summarize() {
  local log=$1
  local last runs execs rss
  last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
  runs=$(sed -n 's/^stat::number_of_executed_units: //p' "$log" | tail -n 1 | tr -d ' ')
  execs=$(sed -n 's/^stat::average_exec_per_sec: //p' "$log" | tail -n 1 | tr -d ' ')
  rss=$(sed -n 's/^stat::peak_rss_mb: //p' "$log" | tail -n 1 | tr -d ' ')
  local cov ft corp
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<<"$last")
  printf 'runs=%s exec/s=%s cov=%s ft=%s corpus=%s rss=%sMB' "${runs:-?}" "${execs:-?}" "${cov:-?}" "${ft:-?}" \
    "${corp:-?}" "${rss:-?}"
}

# Runs one target into $work/NAME.log and records its exit status in $work/NAME.status.
fuzz_one() {
  local name=$1 bin=$build/fuzz/fuzz_$1 corpus=$work/corpus/$1 dict=$work/$1.dict status=0
  mkdir -p "$corpus" "$work/artifacts/$name"
  if [[ -d $root/fuzz/corpus/$name ]]; then cp -R "$root/fuzz/corpus/$name/." "$corpus/"; fi
  local args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
              -artifact_prefix="$work/artifacts/$name/")
  : >"$dict"
  for d in ${dicts[$name]:-}; do
    if [[ -f $root/fuzz/$d.dict ]]; then cat "$root/fuzz/$d.dict" >>"$dict"; fi
  done
  if [[ -s $dict ]]; then args+=(-dict="$dict"); fi
  WRIT_STDLIB=${WRIT_STDLIB:-$root/stdlib} "$bin" "${args[@]}" "$corpus" >"$work/$name.log" 2>&1 || status=$?
  echo "$status" >"$work/$name.status"
}

# Targets run $parallel at a time (default: one per core; each libFuzzer process is single-threaded).
parallel=${WRIT_FUZZ_JOBS:-$(nproc)}
failed=()
runnable=()
for name in "${targets[@]}"; do
  if [[ -x $build/fuzz/fuzz_$name ]]; then
    runnable+=("$name")
  else
    echo "fuzz-smoke: no target $build/fuzz/fuzz_$name" >&2
    failed+=("$name")
  fi
done
for name in "${runnable[@]}"; do
  while (($(jobs -rp | wc -l) >= parallel)); do wait -n || true; done
  fuzz_one "$name" &
done
wait

for name in "${runnable[@]}"; do
  log=$work/$name.log
  status=$(cat "$work/$name.status" 2>/dev/null || echo 127)
  printf '%-12s %s\n' "$name" "$(summarize "$log")"
  if ((status != 0)) || grep -q -E '^(==[0-9]+==ERROR|SUMMARY: (Address|Undefined|Leak)Sanitizer)' "$log"; then
    failed+=("$name")
    mkdir -p "$findings"
    cp "$work/artifacts/$name/"* "$findings/" 2>/dev/null || true
    echo "---- fuzz_$name: FINDING (exit $status); last lines of its log:" >&2
    tail -n 60 "$log" >&2
    echo "---- reproducers copied to $findings:" >&2
    ls "$work/artifacts/$name" >&2 || true
  fi
done

if ((${#failed[@]} != 0)); then
  echo "fuzz-smoke: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz-smoke: ${#targets[@]} targets ran ${seconds}s each without a finding"
