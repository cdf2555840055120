#!/usr/bin/env bash
# The performance benchmarks of issue 13, in one command (not part of ctest: timings are not
# tests). Builds writ and the anchors with the `bench` preset, generates the corpora, and
# measures each target against its anchor in the same run, median of 3:
#
#   writ check   clean seed-format corpora of 1k, 10k and 100k files (≈12 KB each), default
#                threads, vs yaml-cpp `LoadFile` of the same files on one thread (bench/yaml_parse):
#                ratio <= 0.75 at 10k, peak RSS <= 128 MiB at every size, time linear in files;
#                also a faulty 10k corpus (findings, half .writ) and -j1 at 10k, for information.
#   writ evidence preserve   of a 1 GiB file vs `openssl dgst -sha256` and `cp` + `sync`:
#                <= 1.15 x the slower of the two, >= 2.5 x faster than `dc3dd hash=sha256` when
#                dc3dd is installed, peak RSS <= 32 MiB.
#
#   bash bench/run.sh [--quick]     (--quick skips the 100k corpus)
#
# Environment: BENCH_DIR (default /var/tmp/writ-bench; corpora are kept there between runs:
# 100k files take 1.2 GB), SIZE_MIB (evidence artifact, default 1024), RUNS (default 3).
# Timings mean something only on a quiet machine: the load average is printed with them.
# Exit status: 0 when every target is met, 1 otherwise, 2 on setup errors.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CMAKE_CXX_COMPILER_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER:-$(command -v ccache || true)}
cmake --preset bench >/dev/null
cmake --build --preset bench --target writ yaml_parse >/dev/null
exec python3 "$root/bench/bench.py" --writ "$root/build/bench/writ" --yaml-parse "$root/build/bench/bench/yaml_parse" \
  --work "${BENCH_DIR:-/var/tmp/writ-bench}" --size-mib "${SIZE_MIB:-1024}" --runs "${RUNS:-3}" "$@"
