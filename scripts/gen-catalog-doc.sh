#!/usr/bin/env bash
# Regenerates docs/catalog.md from `writ catalog --format md` (the stdlib and the default
# policy). tests/e2e/test_catalog.py fails when docs/catalog.md is out of date.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
writ=${WRIT:-$root/build/release/writ}
"$writ" --stdlib "$root/stdlib" catalog --format md > "$root/docs/catalog.md"
