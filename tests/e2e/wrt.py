"""Shared helpers for the end-to-end tests: run the real `writ` binary and count results."""
import argparse
import json
import os
import subprocess
import sys
import traceback


# Set by CMake for the ASan+UBSan build, whose shadow memory and quarantine make a process's peak
# RSS say nothing about writ's own footprint: memory-bound assertions hold only outside it.
SANITIZED = os.environ.get("WRIT_SANITIZED") == "1"


def args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--writ", required=True)
    parser.add_argument("--source", required=True)
    return parser.parse_args()


def run(writ, *argv, cwd=None, timeout=60, env=None, input=None):
    full_env = dict(os.environ, NO_COLOR="1")
    if env:
        full_env.update(env)
    return subprocess.run([writ, *argv], cwd=cwd, env=full_env, capture_output=True, text=True,
                          timeout=timeout, input=input)


def run_json(writ, *argv, **kw):
    proc = run(writ, *argv, **kw)
    try:
        return proc, json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"not JSON (exit {proc.returncode}): {proc.stdout[:500]} {proc.stderr[:500]}")


class Skip(Exception):
    """Raised by a test that cannot run here (a missing optional tool); reported, not failed."""


def main(tests):
    """Runs test functions, prints 'N passed, M failed[, K skipped]', exits non-zero on failure."""
    passed = failed = skipped = 0
    for test in tests:
        try:
            test()
            passed += 1
            print(f"ok   {test.__name__}")
        except Skip as why:
            skipped += 1
            print(f"SKIP {test.__name__}: {why}")
        except Exception:  # noqa: BLE001 - report every failure and go on
            failed += 1
            print(f"FAIL {test.__name__}")
            traceback.print_exc(file=sys.stdout)
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    sys.exit(1 if failed else 0)
