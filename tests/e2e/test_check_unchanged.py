"""No behaviour change (issue 13): `writ check` of the whole tests/data and of a generated
corpus (bench/gen_corpus.py, faulty and clean, fixed seed) prints, in every format and with one
thread or all, exactly what the binary of commit 69309c0 printed before the checker was made to
stream (so do --policy, --write-baseline, --baseline and --werror); and every file compiles to
the same IR digest. The expected outputs in
tests/e2e/unchanged/ were produced by that binary:

  python3 tests/e2e/test_check_unchanged.py --writ OLD_BINARY --source . --update

Run with --update only for an intended change of output, and say so in the commit."""
import argparse
import hashlib
import json
import pathlib
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import wrt  # noqa: E402

CORPORA = [("faulty", 240), ("clean", 40)]
SEED = 13
FORMATS = ["json", "text", "sarif", "github"]
RUNBOOK_SUFFIXES = {".yaml", ".yml", ".writ"}


def generate(source, work):
    corpus = work / "corpus"
    for kind, files in CORPORA:
        subprocess.run([sys.executable, str(source / "bench" / "gen_corpus.py"), str(corpus / kind), "--files",
                        str(files), "--kind", kind, "--seed", str(SEED)], check=True)
    return corpus


def checks(writ, targets):
    """{name: {"exit", "sha256"}} for every target and format, and the JSON outputs in full."""
    summary, full = {}, {}
    for label, cwd, target in targets:
        for fmt in FORMATS:
            for jobs in (["-j1"], []):
                proc = wrt.run(writ, "check", *jobs, "--format", fmt, target, cwd=cwd, timeout=300)
                name = f"{label} --format {fmt}"
                if jobs and fmt != "json":
                    continue  # one thread or all: compared for JSON, the rest share the emitter path
                key = name + (" -j1" if jobs else "")
                summary[key] = {"exit": proc.returncode, "sha256": hashlib.sha256(proc.stdout.encode()).hexdigest()}
                if fmt == "json" and not jobs:
                    full[label] = proc.stdout
    return summary, full


def options(writ, source, work):
    """The options that reorder or filter findings: --policy (severity-coverage anchored at
    the policy file), --write-baseline and --baseline, --werror."""
    policy = "tests/data/severity-coverage/fail_dir/also_critical.writ"
    baseline = work / "baseline.json"
    runs = {"--policy": ["check", "--format", "text", "--policy", policy, "tests/data"],
            "--write-baseline": ["check", "--format", "sarif", "--write-baseline", str(baseline), "tests/data/seed"],
            "--baseline": ["check", "--format", "json", "--baseline", str(baseline), "tests/data/seed", "runbooks"],
            "--werror": ["check", "--werror", "runbooks"]}
    out = {}
    for name, argv in runs.items():
        proc = wrt.run(writ, *argv, cwd=source, timeout=300)
        out[name] = {"exit": proc.returncode, "sha256": hashlib.sha256(proc.stdout.encode()).hexdigest()}
        if name == "--write-baseline":
            out["baseline file"] = hashlib.sha256(baseline.read_bytes()).hexdigest()
    return out


def digests(writ, targets):
    """{file: "exit N sha256:..."} from `writ compile` of every runbook file."""
    out = {}
    for label, cwd, target in targets:
        for path in sorted(p for p in (cwd / target).rglob("*") if p.suffix in RUNBOOK_SUFFIXES and p.is_file()):
            rel = str(path.relative_to(cwd))
            proc = wrt.run(writ, "compile", rel, cwd=cwd, timeout=60)
            digest = next((line for line in proc.stderr.splitlines() if line.startswith("digest ")), "")
            out[f"{label}:{rel}"] = f"exit {proc.returncode} {digest}".strip()
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--writ", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--update", action="store_true", help="rewrite the expected outputs with this binary")
    args = parser.parse_args()
    source = pathlib.Path(args.source).resolve()
    writ = str(pathlib.Path(args.writ).resolve())
    expected_dir = source / "tests" / "e2e" / "unchanged"
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        generate(source, work)
        targets = [("tests/data", source, "tests/data"), ("corpus", work, "corpus")]
        summary, full = checks(writ, targets)
        summary.update(options(writ, source, work))
        actual = {"checks": summary, "digests": digests(writ, targets)}
    if args.update:
        expected_dir.mkdir(exist_ok=True)
        (expected_dir / "manifest.json").write_text(json.dumps(actual, indent=1, sort_keys=True) + "\n")
        for label, text in full.items():
            (expected_dir / (label.replace("/", "_") + ".json")).write_text(text)
        print("expected outputs rewritten")
        return 0
    expected = json.loads((expected_dir / "manifest.json").read_text())
    failed = 0
    for label, text in full.items():
        want = (expected_dir / (label.replace("/", "_") + ".json")).read_text()
        if text != want:
            failed += 1
            print(f"FAIL check --format json {label}: the output differs from {label.replace('/', '_')}.json")
    for section in ("checks", "digests"):
        for key in sorted(set(expected[section]) | set(actual[section])):
            if expected[section].get(key) != actual[section].get(key):
                failed += 1
                print(f"FAIL {section} {key}: expected {expected[section].get(key)}, got {actual[section].get(key)}")
    # One thread or two: the same bytes.
    for label, _, _ in targets:
        one, all_ = actual["checks"][f"{label} --format json -j1"], actual["checks"][f"{label} --format json"]
        if one != all_:
            failed += 1
            print(f"FAIL {label}: -j1 and the default thread count print different JSON")
    total = len(full) + len(expected["checks"]) + len(expected["digests"]) + len(targets)
    print(f"{total - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
