"""Notes from `writ check` end to end: a reversible contain step that runs without approval under
the policy's "reversible with rollback" exemption is said as a `note` in text, SARIF (level
`note`) and JSON, whose summary counts notes beside errors and warnings; notes never fail a
check. The README's rule table names the notes its rules give."""
import pathlib
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import wrt  # noqa: E402

A = wrt.args()
SRC = pathlib.Path(A.source)
W = A.writ
FIXTURES = ["tests/data/approval-coverage/pass_reversible_exemption.writ",
            "tests/data/approval-coverage/pass_reversible_exemption.yaml"]
EXEMPT = "step `isolate` (contain) runs without approval"


def test_the_exemption_is_a_note_in_text():
    for fixture in FIXTURES:
        proc = wrt.run(W, "check", fixture, cwd=SRC)
        assert proc.returncode == 0, (fixture, proc.stdout)
        assert f"note[approval-coverage]: {EXEMPT}" in proc.stdout, proc.stdout
        assert "is exempt" in proc.stdout and "to ask for approval anyway" in proc.stdout
        assert proc.stdout.count("[approval-coverage]") == 1  # the approved step gets none


def test_the_exemption_is_a_sarif_note():
    for fixture in FIXTURES:
        proc, doc = wrt.run_json(W, "check", "--format", "sarif", fixture, cwd=SRC)
        assert proc.returncode == 0
        results = doc["runs"][0]["results"]
        assert [(r["ruleId"], r["level"]) for r in results] == [("approval-coverage", "note")], results
        assert results[0]["message"]["text"].startswith(EXEMPT)


def test_json_summary_counts_notes():
    for fixture in FIXTURES:
        proc, doc = wrt.run_json(W, "check", "--format", "json", fixture, cwd=SRC)
        assert proc.returncode == 0
        assert list(doc["summary"]) == ["errors", "warnings", "notes"], doc["summary"]
        assert doc["summary"] == {"errors": 0, "warnings": 0, "notes": 1}, doc["summary"]
        assert [d["severity"] for d in doc["diagnostics"]] == ["note"]
    # Several files: severity-coverage warnings beside the notes, each counted once.
    proc, doc = wrt.run_json(W, "check", "--format", "json", *FIXTURES, cwd=SRC)
    assert doc["summary"]["notes"] == 2 and doc["summary"]["errors"] == 0, doc["summary"]


def test_an_approved_or_unexempt_contain_step_gets_no_note():
    # Without its rollback the same step is an approval-coverage error, not a note.
    text = (SRC / FIXTURES[0]).read_text().replace("    rollback restore_host\n", "")
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp, "exemption_without_rollback.writ")
        path.write_text(text)
        proc, doc = wrt.run_json(W, "check", "--format", "json", str(path))
    assert proc.returncode == 1
    coverage = [d for d in doc["diagnostics"] if d["rule"] == "approval-coverage"]
    assert [d["severity"] for d in coverage] == ["error"], coverage
    assert doc["summary"]["notes"] == 0


def test_readme_rule_table_names_the_notes():
    readme = (SRC / "README.md").read_text()
    rows = {line.split("|")[1].strip(): line for line in readme.splitlines() if line.startswith("| `")}
    assert "a note when" in rows["`regulatory-deadline`"], rows["`regulatory-deadline`"]
    assert "a note when" in rows["`approval-coverage`"] and "exemption" in rows["`approval-coverage`"]


if __name__ == "__main__":
    wrt.main([test_the_exemption_is_a_note_in_text, test_the_exemption_is_a_sarif_note, test_json_summary_counts_notes,
              test_an_approved_or_unexempt_contain_step_gets_no_note, test_readme_rule_table_names_the_notes])
