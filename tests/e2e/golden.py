"""Golden-output runner for `writ check` fixtures (imported by test_golden.py and
scripts/refresh-goldens.sh).

A fixture is tests/data/<rule>/{pass,fail}_<name>.{yaml,yml,writ} (or a directory named that
way), plus every runbook in tests/data/seed/ (the origin article's, which must fail). Beside it, <fixture>.expected holds the exact text output of
`writ --stdlib stdlib check --format text <fixture>` run from the repository root with NO_COLOR=1, preceded by
a line `exit: N`. Extra arguments for one fixture may be given in <fixture>.args (one line).
"""
import os
import pathlib
import subprocess

FIXTURE_SUFFIXES = (".yaml", ".yml", ".writ")


def fixtures(source: pathlib.Path):
    data = source / "tests" / "data"
    for rule_dir in sorted(p for p in data.iterdir() if p.is_dir()):
        for item in sorted(rule_dir.iterdir()):
            name = item.name
            if rule_dir.name == "seed" and item.suffix in FIXTURE_SUFFIXES:
                yield item  # the origin article's runbooks as written: they must fail
                continue
            if not (name.startswith("pass_") or name.startswith("fail_")):
                continue
            if item.is_dir() or item.suffix in FIXTURE_SUFFIXES:
                yield item


def run(writ: str, source: pathlib.Path, fixture: pathlib.Path) -> str:
    rel = fixture.relative_to(source)
    args_file = fixture.with_name(fixture.name + ".args")
    extra = args_file.read_text().split() if args_file.exists() else []
    env = dict(os.environ, NO_COLOR="1")
    env.pop("WRIT_STDLIB", None)
    # The stdlib by its relative path, so that a note pointing into it reads the same in every checkout.
    proc = subprocess.run([writ, "--stdlib", "stdlib", "check", *extra, str(rel)], cwd=source, env=env,
                          capture_output=True, text=True, timeout=60)
    out = f"exit: {proc.returncode}\n{proc.stdout}"
    if proc.stderr:
        out += f"--- stderr\n{proc.stderr}"
    return out


def expected_path(fixture: pathlib.Path) -> pathlib.Path:
    return fixture.with_name(fixture.name + ".expected")
