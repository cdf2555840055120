#!/usr/bin/env bash
# Regenerates the README's rule table from `writ --list-rules` (itself generated from
# compiler/rules.def). tests/e2e/test_readme.py fails when the README is out of date.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
writ=${WRIT:-$root/build/release/writ}
python3 - "$writ" "$root/README.md" <<'PY'
import subprocess, sys
writ, readme = sys.argv[1], sys.argv[2]
rows = [l.split("\t") for l in subprocess.run([writ, "--list-rules"], capture_output=True, text=True,
                                              check=True).stdout.splitlines()]
table = "| rule | severity | fires when |\n|---|---|---|\n" + "".join(f"| `{r}` | {s} | {m} |\n" for r, s, m in rows)
text = open(readme).read()
begin = text.index("<!-- rules:begin")
begin = text.index("\n", begin) + 1
end = text.index("<!-- rules:end -->")
open(readme, "w").write(text[:begin] + table + text[end:])
PY
