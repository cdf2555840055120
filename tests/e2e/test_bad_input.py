"""The bad-input suite (DESIGN §12): every case of tests/bad_input/manifest.json runs the real
`writ` binary on a hostile or broken input (a file in tests/bad_input/, or one generated from
the manifest's `generate` parts) and must
  - finish within the case's timeout (no hang),
  - end by exiting, not by a signal, with the expected exit code (never 3: an internal failure),
  - print no sanitizer report and no "internal error",
  - print every expected diagnostic: `{"rule", "message", "line"?}` is a text-format
    `FILE:LINE:COL: error[RULE]: ...MESSAGE...` line for the input (`"whole_file": true`:
    `FILE: error[RULE]: ...`, a finding about the whole file, which has no position); a string
    is a regular expression searched in stdout + stderr ({input}: the escaped input path).
"""
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import wrt  # noqa: E402

A = wrt.args()
SRC = pathlib.Path(A.source)
BAD = SRC / "tests" / "bad_input"
W = str(pathlib.Path(A.writ).resolve())
SANITIZER_REPORT = re.compile(r"ERROR: (Address|Leak)Sanitizer|runtime error:|internal error|terminate called")


def materialize(case, tmp):
    """The input path: the case's file (copied to `copy_to` under `tmp` when given: a ledger
    or a journal must sit at its place in a directory), or its generated content."""
    if "input" in case:
        if "copy_to" not in case:
            return BAD / case["input"]
        path = tmp / case["copy_to"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes((BAD / case["input"]).read_bytes())
        return path
    spec = case["generate"]
    path = tmp / spec["name"]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as out:
        for text, count in spec["parts"]:
            out.write(text.encode() * count)
    return path


def substitute(argv, input_path, tmp):
    return [a.replace("{input}", str(input_path)).replace("{source}", str(SRC)).replace("{tmp}", str(tmp))
            for a in argv]


def check_expectation(expect, input_path, output):
    if isinstance(expect, str):
        pattern = expect.replace("{input}", re.escape(str(input_path)))
        assert re.search(pattern, output, re.M), f"no match for /{pattern}/ in:\n{output[:3000]}"
        return
    if expect.get("whole_file"):
        pattern = r"^" + re.escape(f"{input_path}: error[{expect['rule']}]: ") + r".*" + re.escape(expect["message"])
        assert re.search(pattern, output, re.M), f"no whole-file /{pattern}/ in:\n{output[:3000]}"
        return
    head = re.compile(r"^" + re.escape(str(input_path)) + r":(\d+):(\d+): error\[" + re.escape(expect["rule"]) +
                      r"\]: (.*)$", re.M)
    found = [(int(m.group(1)), int(m.group(2)), m.group(3)) for m in head.finditer(output)]
    assert found, f"no `{input_path}:L:C: error[{expect['rule']}]` line in:\n{output[:3000]}"
    for line, column, message in found:
        assert line >= 1 and column >= 1, (line, column)
    matching = [f for f in found if expect.get("message", "") in f[2]]
    assert matching, f"no {expect['rule']} message containing {expect['message']!r}: {found}"
    if "line" in expect:
        assert any(f[0] == expect["line"] for f in matching), f"expected line {expect['line']}: {matching}"


def run_case(case):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        input_path = materialize(case, tmp)
        argv = substitute(case["argv"], input_path, tmp)
        # Bytes, not text: a snippet may echo the input's invalid UTF-8.
        proc = subprocess.run([W, *argv], cwd=tmp, env=dict(os.environ, NO_COLOR="1"), capture_output=True,
                              timeout=case.get("timeout", 60))
        output = (proc.stdout + proc.stderr).decode("utf-8", "replace")
        assert proc.returncode >= 0, f"killed by signal {-proc.returncode}:\n{output[-3000:]}"
        assert proc.returncode != 3, f"exit 3 (internal failure):\n{output[-3000:]}"
        assert proc.returncode == case["exit"], f"exit {proc.returncode}, expected {case['exit']}:\n{output[-3000:]}"
        assert not SANITIZER_REPORT.search(output), output[-3000:]
        for expect in case["expect"]:
            check_expectation(expect, input_path, output)


def make_test(case):
    def test():
        run_case(case)
    test.__name__ = case["name"]
    return test


def test_every_file_is_a_case():
    manifest = json.loads((BAD / "manifest.json").read_text())
    named = {c["input"] for c in manifest["cases"] if "input" in c}
    files = {p.name for p in BAD.iterdir() if p.name != "manifest.json"}
    assert files <= named, f"files without a case in manifest.json: {sorted(files - named)}"
    for case in manifest["cases"]:
        assert case["expect"], f"{case['name']} expects nothing"


if __name__ == "__main__":
    cases = json.loads((BAD / "manifest.json").read_text())["cases"]
    wrt.main([test_every_file_is_a_case] + [make_test(c) for c in cases])
