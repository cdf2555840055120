"""Rough edges a first-time author hit (issue 15, item 8), end to end: `writ run` on a broken
runbook counts the files it compiled; a dry run collects evidence only with `--evidence`, as
docs/runtime.md says; `evidence preserve` checks every argument before it preserves any; `--policy`
before the runbook paths takes one file, not the paths after it; `writ report` names a file that
does not compile instead of leaving it out without a word."""
import json
import pathlib
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import wrt  # noqa: E402

A = wrt.args()
SRC = pathlib.Path(A.source)
W = A.writ

EVENT = '{"id": "evt-1", "severity": "low"}\n'


def collecting_runbook(artifact):
    return ('runbook collect {\n  title    "Collect one log"\n  severity low\n\n'
            '  step ticket = open_ticket(summary: "evidence") {\n'
            f'    preserve "{artifact}"\n  }}\n}}\n')


def test_run_on_a_broken_runbook_counts_its_files():
    with tempfile.TemporaryDirectory() as tmp:
        d = pathlib.Path(tmp)
        (d / "event.json").write_text(EVENT)
        (d / "broken.writ").write_text('runbook broken {\n  title "x"\n  severity low\n'
                                       '  step t = open_tickt(summary: "x")\n}\n')
        proc = wrt.run(W, "run", str(d / "broken.writ"), "--event", str(d / "event.json"), "--dry-run",
                       "--state", str(d / "state"))
        assert proc.returncode == 1, proc
        assert "writ: 1 error, 0 warnings in 1 file\n" in proc.stderr, proc.stderr
        assert "in 0 files" not in proc.stderr
        # A directory: every file compiled is counted, the good one too.
        books = d / "books"
        books.mkdir()
        (d / "broken.writ").rename(books / "broken.writ")
        (books / "good.writ").write_text(collecting_runbook(d / "a.log"))
        proc = wrt.run(W, "run", str(books), "--event", str(d / "event.json"), "--dry-run",
                       "--state", str(d / "state"))
        assert proc.returncode == 1 and "writ: 1 error, 0 warnings in 2 files\n" in proc.stderr, proc.stderr


def test_a_dry_run_collects_evidence_only_with_evidence_dir():
    doc = (SRC / "docs" / "runtime.md").read_text()
    assert "A dry run collects evidence only when `--evidence DIR` is given" in doc
    assert "and collects no evidence" not in doc  # the sentence that contradicted itself
    with tempfile.TemporaryDirectory() as tmp:
        d = pathlib.Path(tmp)
        (d / "a.log").write_text("auth failure\n")
        (d / "event.json").write_text(EVENT)
        (d / "r.writ").write_text(collecting_runbook(d / "a.log"))
        base = ["run", str(d / "r.writ"), "--event", str(d / "event.json"), "--dry-run", "--format", "json"]
        proc, log = wrt.run_json(W, *base, "--state", str(d / "s1"))
        assert proc.returncode == 0, proc.stderr
        assert log["evidence"] == [], log
        assert not (d / "s1" / "evidence" / "custody.jsonl").exists()
        proc, log = wrt.run_json(W, *base, "--state", str(d / "s2"), "--evidence", str(d / "ev"))
        assert proc.returncode == 0, proc.stderr
        assert [e["artifact"] for e in log["evidence"]] == [str(d / "a.log")], log
        records = [json.loads(l) for l in (d / "ev" / "custody.jsonl").read_text().splitlines()]
        assert [r["artifact"] for r in records] == [str(d / "a.log")]


def test_evidence_preserve_validates_every_argument_first():
    with tempfile.TemporaryDirectory() as tmp:
        d = pathlib.Path(tmp)
        first, second = d / "first.log", d / "second.log"
        first.write_text("one\n")
        second.write_text("two\n")
        (d / "dir").mkdir()
        ev = d / "evidence"
        proc = wrt.run(W, "evidence", "preserve", str(first), str(second), str(d / "dir"), "--evidence", str(ev))
        assert proc.returncode == 2, proc
        assert f"writ: {d / 'dir'}: is a directory" in proc.stderr, proc.stderr
        assert "nothing was preserved" in proc.stderr and proc.stdout == "", proc
        assert not (ev / "custody.jsonl").exists()
        proc = wrt.run(W, "evidence", "preserve", str(first), str(second), "--evidence", str(ev))
        assert proc.returncode == 0 and proc.stdout.count("preserved ") == 2, proc


def test_policy_before_the_paths_takes_one_file():
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp)
        policy, runbook = str(SRC / "stdlib/policy.writ"), str(SRC / "runbooks/data_exposure.writ")
        proc = wrt.run(W, "report", "--policy", policy, runbook, "-o", str(out / "r.md"))
        assert proc.returncode == 0, proc
        assert "data_exposure" in (out / "r.md").read_text()
        proc = wrt.run(W, "run", "--policy", policy, str(SRC / "runbooks"), "--event",
                       str(SRC / "runbooks/events/critical.json"), "--dry-run", "--approvals",
                       str(SRC / "runbooks/approvals/tabletop.json"), "--state", str(out / "state"))
        assert "RUNBOOK" not in proc.stderr and "paths is required" not in proc.stderr, proc
        assert proc.returncode in (0, 1), proc
        proc = wrt.run(W, "catalog", "--policy", policy, "roles")
        assert proc.returncode == 0 and "ciso" in proc.stdout, proc


def test_report_names_a_file_that_does_not_compile():
    with tempfile.TemporaryDirectory() as tmp:
        d = pathlib.Path(tmp)
        (d / "good.writ").write_text((SRC / "runbooks/data_exposure.writ").read_text())
        (d / "broken.writ").write_text('runbook broken {\n  title "x"\n')
        proc = wrt.run(W, "report", str(d), "-o", str(d / "r.md"))
        assert proc.returncode == 1, proc
        assert f"{d / 'broken.writ'}:3:1: error[syntax]" in proc.stderr, proc.stderr
        assert "their runbooks are not in the report" in proc.stderr, proc.stderr
        assert "data_exposure" in (d / "r.md").read_text()
        (d / "broken.writ").unlink()
        proc = wrt.run(W, "report", str(d), "-o", str(d / "r.md"))
        assert proc.returncode == 0 and proc.stderr == "", proc


if __name__ == "__main__":
    wrt.main([test_run_on_a_broken_runbook_counts_its_files, test_a_dry_run_collects_evidence_only_with_evidence_dir,
              test_evidence_preserve_validates_every_argument_first, test_policy_before_the_paths_takes_one_file,
              test_report_names_a_file_that_does_not_compile])
