#!/usr/bin/env bash
# Configures and builds one CMake preset (release, debug, asan, fuzz, bench), optionally only
# some targets (`scripts/build.sh release writ`: the main job builds only what it runs).
# Uses ccache when present. Idempotent.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
preset=${1:-release}
shift || true
cd "$root"
if command -v ccache >/dev/null && [[ -z ${CMAKE_CXX_COMPILER_LAUNCHER:-} ]]; then
  export CMAKE_CXX_COMPILER_LAUNCHER=ccache
fi
cmake --preset "$preset" >/dev/null
if (($# > 0)); then
  cmake --build --preset "$preset" --target "$@"
else
  cmake --build --preset "$preset"
fi
