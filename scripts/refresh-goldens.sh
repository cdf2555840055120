#!/usr/bin/env bash
# Rewrites tests/data/**/*.expected from the current `writ check` output. Review the diff
# (`git diff tests/data`) before committing: a golden file is a promise to users.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
writ=${WRIT:-$root/build/release/writ}
[[ -x $writ ]] || { echo "refresh-goldens: build first (no $writ)" >&2; exit 2; }
python3 "$root/tests/e2e/test_golden.py" --writ "$writ" --source "$root" --update
git -C "$root" status --short tests/data
