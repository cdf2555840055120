"""Finding 9 of issue 11 (DESIGN §13): a FIFO, socket or device given anywhere writ reads a
file is refused at once with exit 2 and a message naming it — never read, never waited on.
Each case gives the real binary a FIFO with no writer (a blocking open would hang forever) and
must finish within seconds."""
import os
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import run_support as rs  # noqa: E402
import wrt  # noqa: E402

A = wrt.args()
W = str(pathlib.Path(A.writ).resolve())
SRC = pathlib.Path(A.source)
RUNBOOKS = str(SRC / "runbooks")
EVENT = str(SRC / "runbooks" / "events" / "critical.json")


def refused(argv, fifo):
    proc = wrt.run(W, *argv, timeout=20)
    assert proc.returncode == 2, f"{argv}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    assert f"{fifo}: is a FIFO, not a regular file" in proc.stderr, proc.stderr


def with_fifo(name, body):
    with rs.Scratch() as s:
        fifo = str(s.path / name)
        os.mkfifo(fifo)
        body(s, fifo)


def test_check_fifo():
    with_fifo("runbook.yaml", lambda s, f: refused(["check", f], f))


def test_policy_fifo():
    with_fifo("policy.writ", lambda s, f: refused(["check", RUNBOOKS, "--policy", f], f))


def test_baseline_fifo():
    with_fifo("baseline.json", lambda s, f: refused(["check", RUNBOOKS, "--baseline", f], f))


def test_event_fifo():
    with_fifo("event.json", lambda s, f: refused(["run", RUNBOOKS, "--event", f, "--dry-run", "--state", s.state()], f))


def test_connectors_fifo():
    with_fifo("connectors.yaml", lambda s, f: refused(
        ["run", RUNBOOKS, "--event", EVENT, "--connectors", f, "--state", s.state()], f))


def test_approvals_fifo():
    with_fifo("approvals.json", lambda s, f: refused(
        ["run", RUNBOOKS, "--event", EVENT, "--dry-run", "--approvals", f, "--state", s.state()], f))


def test_report_fifo():
    with_fifo("runbook.writ", lambda s, f: refused(["report", f], f))


def test_device_refused():
    proc = wrt.run(W, "run", RUNBOOKS, "--event", "/dev/zero", "--dry-run", "--state", "/nonexistent-state", timeout=20)
    assert proc.returncode == 2, proc.stderr
    assert "/dev/zero: is a character device, not a regular file" in proc.stderr, proc.stderr


def test_fifo_inside_a_directory_is_not_a_runbook():
    with rs.Scratch() as s:
        (s.path / "rb").mkdir()
        (s.path / "rb" / "a.writ").write_text((SRC / "runbooks" / "phishing_triage.writ").read_text())
        os.mkfifo(s.path / "rb" / "b.yaml")
        proc = wrt.run(W, "check", str(s.path / "rb"), timeout=20)
        assert proc.returncode == 0, proc.stdout + proc.stderr  # the FIFO is skipped, never read


if __name__ == "__main__":
    wrt.main([test_check_fifo, test_policy_fifo, test_baseline_fifo, test_event_fifo, test_connectors_fifo,
              test_approvals_fifo, test_report_fifo, test_device_refused, test_fifo_inside_a_directory_is_not_a_runbook])
