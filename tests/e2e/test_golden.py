"""Golden diagnostics: every fixture's exact `writ check` output (caret lines included) and
exit code; every rule has a pass and a fail fixture in YAML and in the DSL."""
import argparse
import difflib
import pathlib
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import golden  # noqa: E402

# Rules that cannot be expressed in one syntax: the DSL has no keys.
SYNTAX_EXEMPT = {("unknown-key", ".writ")}


def check_coverage(writ, source):
    rules = [line.split("\t")[0] for line in
             subprocess.run([writ, "--list-rules"], capture_output=True, text=True, check=True).stdout.splitlines()]
    missing = []
    for rule in rules:
        rule_dir = source / "tests" / "data" / rule
        for kind in ("pass", "fail"):
            for ext in (".yaml", ".writ"):
                if (rule, ext) in SYNTAX_EXEMPT:
                    continue
                found = rule_dir.is_dir() and any(
                    p.name.startswith(kind + "_") and (p.suffix == ext or (p.is_dir() and any(p.rglob("*" + ext))))
                    for p in rule_dir.iterdir())
                if not found:
                    missing.append(f"{rule}: no {kind}_*{ext} fixture")
    return missing


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--writ", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--update", action="store_true", help="rewrite the .expected files")
    args = parser.parse_args()
    source = pathlib.Path(args.source).resolve()
    passed = failed = 0
    for fixture in golden.fixtures(source):
        actual = golden.run(args.writ, source, fixture)
        expected_file = golden.expected_path(fixture)
        if args.update:
            expected_file.write_text(actual)
            continue
        expected = expected_file.read_text() if expected_file.exists() else "<missing .expected file>\n"
        must_pass = fixture.name.startswith("pass_")
        kind_ok = actual.startswith("exit: 0") == must_pass
        if actual == expected and kind_ok:
            passed += 1
            continue
        failed += 1
        print(f"FAIL {fixture.relative_to(source)}")
        if not kind_ok:
            print("  a pass_ fixture must exit 0 and a fail_ fixture must not")
        sys.stdout.writelines(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True),
                                                   "expected", "actual"))
    if not args.update:
        for problem in check_coverage(args.writ, source):
            failed += 1
            print(f"FAIL coverage: {problem}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
