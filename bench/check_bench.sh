#!/usr/bin/env bash
# `writ check` over a generated corpus (default 10,000 files): wall time with 1 and 2 threads
# (the ratio shows the parallel speed-up) and peak RSS. Not part of ctest.
#   bash bench/check_bench.sh [FILES]      (needs a Release build: bash scripts/build.sh release)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
writ=${WRIT:-$root/build/release/writ}
files=${1:-10000}
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
python3 "$root/bench/gen_corpus.py" "$corpus" --files "$files"
command -v /usr/bin/time >/dev/null || { echo "bench: install the 'time' package for RSS figures" >&2; exit 2; }
measure() {  # prints "seconds max_rss_kib"
  /usr/bin/time -f '%e %M' -o "$corpus.time" "$writ" check -j "$1" --format json "$corpus" > "$corpus.out" || true
  tail -n 1 "$corpus.time"  # GNU time prefixes "Command exited with non-zero status" when findings exist
}
read -r t1 rss1 < <(measure 1)
read -r t2 rss2 < <(measure 2)
errors=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["errors"])' "$corpus.out")
python3 - "$files" "$t1" "$t2" "$rss1" "$rss2" "$errors" <<'PY'
import sys
files, t1, t2, rss1, rss2, errors = sys.argv[1:]
t1, t2 = float(t1), float(t2)
print(f"writ check: {files} files, {errors} errors found")
print(f"  1 thread : {t1:6.2f} s  ({int(files)/t1:8.0f} files/s)  peak RSS {int(rss1)/1024:6.1f} MiB")
print(f"  2 threads: {t2:6.2f} s  ({int(files)/t2:8.0f} files/s)  peak RSS {int(rss2)/1024:6.1f} MiB")
print(f"  speed-up (1 thread / 2 threads): {t1/t2:.2f}x")
PY
rm -f "$corpus.time" "$corpus.out"
