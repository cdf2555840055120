#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls exactly this):
#   1. dependencies (scripts/deps.sh, idempotent)
#   2. Release build + every test (unit, golden, end-to-end)
#   3. ASan+UBSan build (clang-14; the same build holds the libFuzzer targets) + every test
#   4. a short libFuzzer smoke run of every fuzz target (WRIT_FUZZ_SECONDS, default 20; one target per core at a time)
# One sanitizer build serves both the tests and the fuzzers, which keeps CI to two builds.
# Set WRIT_SKIP_ASAN=1 or WRIT_SKIP_FUZZ=1 to skip a stage locally.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
WRIT_WITH_CHROMIUM=1 bash scripts/deps.sh

# Each stage's wall time is printed when the next one starts, and at the end.
stage_name="" stage_start=$SECONDS
stage() {
  [[ -n $stage_name ]] && printf '==> %s: %d s\n' "$stage_name" $((SECONDS - stage_start))
  stage_name=$* stage_start=$SECONDS
  printf '\n==> %s\n' "$*"
}

stage "Release build and tests"
bash scripts/build.sh release
ctest --preset release

if [[ "${WRIT_SKIP_ASAN:-0}" != 1 ]]; then
  stage "ASan+UBSan build and tests"
  bash scripts/build.sh asan
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --preset asan
fi

if [[ "${WRIT_SKIP_ASAN:-0}" != 1 && "${WRIT_SKIP_FUZZ:-0}" != 1 ]]; then
  stage "Fuzz smoke (${WRIT_FUZZ_SECONDS:-20}s per target)"
  WRIT_FUZZ_BUILD="$root/build/asan" bash scripts/fuzz-smoke.sh "${WRIT_FUZZ_SECONDS:-20}"
fi
stage "all test stages passed (total $SECONDS s)"
