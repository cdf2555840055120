#!/usr/bin/env bash
# Benchmark (not a test, not run by ctest): the cost of `writ evidence preserve` on a large
# artifact against the tools responders already trust.
#
#   bench/evidence_bench.sh [PATH/TO/writ]      (or WRIT=..., default build/release/writ)
#
# Environment: BENCH_DIR (default /var/tmp/writ-evidence-bench: put it on a real disk, not
# tmpfs), SIZE_MIB (default 1024), RUNS (default 3; the median is reported).
#
# Targets: preserve takes at most 1.25x the time of `openssl dgst -sha256` on the same file,
# at least 2x less than `dc3dd hash=sha256` (which, like preserve, copies and hashes), and a
# peak RSS of at most 32 MiB. All three read the same file from a warm page cache.
#
# dc3dd and GNU time are benchmark-only tools, NOT build dependencies of writ:
#   apt-get install dc3dd time
# Without dc3dd the dc3dd ratio is skipped; without /usr/bin/time peak RSS is not measured.
# Exit status: 0 when every measured target is met, 1 otherwise, 2 on setup errors.
#
# Timings only mean something on a quiet machine. On a shared one (the kernel's autogroup
# scheduler gives each session an equal CPU share), root can give the benchmark's own session
# priority for its half minute:
#   setsid bash -c 'echo -20 > /proc/self/autogroup; bench/evidence_bench.sh build/release/writ'
# Reference run that way (2 vCPU VM, ext4, load average 13 from other sessions):
#   openssl 0.666 s, preserve 0.741 s (ratio 1.11), dc3dd 2.317 s (3.13x slower), RSS 24.8 MiB.
# The trust checks of issue 11 (confined openat2, free-space check, fstat before/after, O_TMPFILE
# + linkat) cost nothing measurable: the same binary before and after, interleaved on a loaded
# machine (load 5-7), preserved the 1 GiB file in 1.7-2.9 s vs 1.8-2.5 s; RSS 24.8 MiB both.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
writ=${1:-${WRIT:-$root/build/release/writ}}
work=${BENCH_DIR:-/var/tmp/writ-evidence-bench}
size_mib=${SIZE_MIB:-1024}
runs=${RUNS:-3}

[[ -x $writ ]] || { echo "evidence_bench: no writ binary at $writ (build with -DCMAKE_BUILD_TYPE=Release)" >&2; exit 2; }
command -v openssl >/dev/null || { echo "evidence_bench: openssl is required" >&2; exit 2; }
have_dc3dd=0; command -v dc3dd >/dev/null && have_dc3dd=1
have_time=0; [[ -x /usr/bin/time ]] && have_time=1

mkdir -p "$work"
artifact=$work/artifact.bin
if [[ ! -f $artifact || $(stat -c %s "$artifact") -ne $((size_mib * 1048576)) ]]; then
  echo "creating a $size_mib MiB artifact at $artifact"
  head -c $((size_mib * 1048576)) /dev/urandom >"$artifact"
fi
cat "$artifact" >/dev/null  # warm the page cache: every tool reads the same cached bytes

clean_store() { chmod -R u+w "$work/ev" 2>/dev/null || true; rm -rf "$work/ev" "$work/dc3dd.out"; }

# run NAME CMD...: wall seconds into $secs, peak RSS (KiB) into $rss_kib.
run() {
  local name=$1; shift
  local start end
  start=$EPOCHREALTIME
  if ((have_time)); then
    /usr/bin/time -f '%M' -o "$work/$name.rss" "$@" >/dev/null 2>&1
    rss_kib=$(tail -n1 "$work/$name.rss")
  else
    "$@" >/dev/null 2>&1
    rss_kib=0
  fi
  end=$EPOCHREALTIME
  secs=$(python3 -c "print(f'{$end - $start:.3f}')")
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

openssl_t=(); preserve_t=(); dc3dd_t=(); peak_rss=0
for ((i = 1; i <= runs; i++)); do
  run openssl openssl dgst -sha256 "$artifact"; openssl_t+=("$secs")
  clean_store
  run preserve "$writ" evidence preserve "$artifact" --evidence "$work/ev"; preserve_t+=("$secs")
  ((rss_kib > peak_rss)) && peak_rss=$rss_kib
  if ((have_dc3dd)); then
    run dc3dd dc3dd if="$artifact" of="$work/dc3dd.out" hash=sha256 nwspc=on; dc3dd_t+=("$secs")
    sync  # let its buffered writes land before the next timed run
  fi
  clean_store
done

"$writ" evidence preserve "$artifact" --evidence "$work/ev" >/dev/null
"$writ" evidence verify "$work/ev" >/dev/null || { echo "evidence_bench: the benchmark store does not verify" >&2; exit 1; }
clean_store

o=$(median "${openssl_t[@]}"); p=$(median "${preserve_t[@]}")
echo "artifact: $size_mib MiB, median of $runs runs, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "openssl dgst -sha256     ${o} s   (runs: ${openssl_t[*]})"
echo "writ evidence preserve   ${p} s   (runs: ${preserve_t[*]})"
status=0
# verdict EXPR: PASS or FAIL (and a failing status, which the caller records).
verdict() { if python3 -c "import sys; sys.exit(0 if $1 else 1)"; then echo PASS; else echo FAIL; return 1; fi; }
ratio=$(python3 -c "print(f'{$p / $o:.2f}')")
v=$(verdict "$ratio <= 1.25") || status=1
echo "ratio preserve/openssl:  $ratio   (target <= 1.25) $v"
if ((have_dc3dd)); then
  d=$(median "${dc3dd_t[@]}")
  echo "dc3dd hash=sha256        ${d} s   (runs: ${dc3dd_t[*]})"
  speedup=$(python3 -c "print(f'{$d / $p:.2f}')")
  v=$(verdict "$speedup >= 2") || status=1
  echo "ratio dc3dd/preserve:    $speedup   (target >= 2) $v"
else
  echo "dc3dd not installed: ratio skipped (benchmark-only tool: apt-get install dc3dd)"
fi
if ((have_time)); then
  mib=$(python3 -c "print(f'{$peak_rss / 1024:.1f}')")
  v=$(verdict "$mib <= 32") || status=1
  echo "peak RSS of preserve:    $mib MiB   (target <= 32) $v"
else
  echo "/usr/bin/time not installed: peak RSS not measured (benchmark-only tool: apt-get install time)"
fi
exit $status
