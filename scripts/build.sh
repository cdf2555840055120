#!/usr/bin/env bash
# Configures and builds one CMake preset (release, debug, asan, fuzz, bench). Idempotent.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
preset=${1:-release}
cd "$root"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
