"""Deadline clocks in `writ run`'s execution log (DESIGN §14): a GDPR runbook's clock runs from
the event's detected_at; the satisfying step stops it (met), a run halted before it leaves the
clock overdue once due, and both transitions are in the journal."""
import datetime
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import run_support as rs  # noqa: E402
import wrt  # noqa: E402

A = wrt.args()
W = A.writ
SOURCE = pathlib.Path(A.source)


def run(scratch, detected_at, image_approved):
    rb = str(SOURCE / "runbooks" / "data_exposure.writ")
    event = scratch.write("event.json", {"id": "dl-1", "severity": "high", "host_id": "db-007", "detected_at": detected_at})
    approvals = scratch.write("approvals.json", {"image": image_approved})
    proc, log = wrt.run_json(W, "run", rb, "--event", event, "--dry-run", "--approvals", approvals, "--state", scratch.state(),
                             "--format", "json")
    return proc, log, rs.verify_journal(scratch.journal(rs.run_id_of(proc)))


def test_the_satisfying_step_meets_the_clock():
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    with rs.Scratch() as scratch:
        proc, log, journal = run(scratch, now, True)
        assert proc.returncode == 0, proc.stderr
        [clock] = log["deadlines"]
        assert clock["obligation"] == "gdpr.authority" and clock["status"] == "met", clock
        assert clock["met_at"] <= clock["due_at"] and clock["citation"], clock
        assert [r["data"]["step"] for r in journal if r["type"] == "deadline_met"] == ["notify_authority"]
        assert [d["steps"] for d in journal[0]["data"]["deadlines"]] == [["notify_authority"]]


def test_a_halted_run_leaves_an_overdue_clock():
    with rs.Scratch() as scratch:
        proc, log, journal = run(scratch, "2020-01-01T00:00:00Z", False)
        assert proc.returncode == 1 and log["status"] == "halted_by_approval", proc.stderr
        [clock] = log["deadlines"]
        assert clock["status"] == "overdue" and clock["met_at"] is None and clock["due_at"].startswith("2020-01-04"), clock
        assert [r["data"]["obligation"] for r in journal if r["type"] == "deadline_overdue"] == ["gdpr.authority"]
        text = wrt.run(W, "run", "--resume", rs.run_id_of(proc), "--state", scratch.state())
        assert "deadline      gdpr.authority" in text.stdout and "overdue" in text.stdout, text.stdout


if __name__ == "__main__":
    wrt.main([test_the_satisfying_step_meets_the_clock, test_a_halted_run_leaves_an_overdue_clock])
