"""The README's rule table is the one generated from compiler/rules.def, and the README
opens with the two commands (main job, test suite)."""
import argparse
import pathlib
import subprocess
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--writ", required=True)
    parser.add_argument("--source", required=True)
    args = parser.parse_args()
    readme = (pathlib.Path(args.source) / "README.md").read_text()
    rows = [l.split("\t") for l in subprocess.run([args.writ, "--list-rules"], capture_output=True, text=True,
                                                  check=True).stdout.splitlines()]
    failures = []
    for rule, severity, summary in rows:
        if f"| `{rule}` | {severity} | {summary} |" not in readme:
            failures.append(f"README rule table is missing or stale for `{rule}` (run scripts/gen-rule-table.sh)")
    commands = [l for l in readme.splitlines() if l.startswith("bash scripts/")]
    if [c.split()[1] for c in commands[:2]] != ["scripts/main.sh", "scripts/test.sh"]:
        failures.append("README must open with `bash scripts/main.sh` and `bash scripts/test.sh`")
    ci = (pathlib.Path(args.source) / ".ci" / "run").read_text()
    if "scripts/test.sh" not in ci:
        failures.append(".ci/run does not call scripts/test.sh")
    for f in failures:
        print("FAIL", f)
    print(f"{2 - min(2, len(failures))} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
