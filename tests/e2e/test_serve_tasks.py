"""Human tasks in `writ serve`: a run that reaches a `task` step waits without a worker until a
person holding the task's assignee role posts `…/steps/{step}/complete` (on any route refusal
the run keeps waiting), then continues; a task nobody completes fails its step when its time
runs out (the service wakes the run at the task's due time)."""
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import run_support as rs  # noqa: E402
import serve_support as ss  # noqa: E402
import wrt  # noqa: E402

A = wrt.args()
W = A.writ

TASK = """
runbook call {
  title    "Call the bank"
  severity low
  step call = task(instructions: "Call the bank's fraud line") {
    assignee ciso
    within   %s
  }
  step ticket = open_ticket(summary: "bank called: {{ steps.call.status }}")
}
"""


def serve(scratch, within):
    scratch.write("runbooks/call.writ", TASK % within)
    return ss.Server(W, str(scratch.path / "runbooks"), ss.auth_file(scratch), scratch.state(), extra=["--dry-run"])


def start(server, event_id):
    status, reply, _ = server.call("POST", "/v1/events", dict(rs.EVENT, id=event_id, severity="low"), token="intake")
    assert status == 202, (status, reply)
    run_id = reply["runs"][0]["run_id"]
    server.wait_run(run_id, lambda r: r.get("awaiting") == ["call"])  # the task waits, with no worker
    return run_id


def complete(server, run_id, who, step="call", body=None):
    return server.call("POST", f"/v1/runs/{run_id}/steps/{step}/complete", {} if body is None else body, token=who)


def test_a_task_waits_for_its_assignee_then_the_run_continues():
    with rs.Scratch() as scratch, serve(scratch, "1h") as server:
        run_id = start(server, "task-1")
        assert server.run(run_id)["status"] == "running"
        assert complete(server, run_id, "bo")[0] == 403  # legal does not hold the assignee role
        assert complete(server, run_id, "reader")[0] == 403  # no `approve` scope
        assert complete(server, run_id, "ana", step="ticket")[0] == 409  # not a task
        assert complete(server, run_id, "ana", step="nope")[0] == 404
        assert complete(server, run_id, "ana", body={"note": "x", "extra": 1})[0] == 400
        status, reply, _ = complete(server, run_id, "ana", body={"note": "payments frozen"})
        assert status == 200 and reply["done_by"] == "ana", reply
        run = server.wait_run(run_id, lambda r: r["status"] != "running")
        assert run["status"] == "completed", run
        assert [s["status"] for s in run["steps"]] == ["executed", "executed"], run
        assert complete(server, run_id, "ana")[0] == 409  # already done


def test_a_task_nobody_completes_fails_when_its_time_runs_out():
    with rs.Scratch() as scratch, serve(scratch, "2s") as server:
        run_id = start(server, "task-2")
        started = time.time()
        run = server.wait_run(run_id, lambda r: r["status"] != "running", timeout=30)
        assert run["status"] == "failed", run
        assert run["steps"][0]["status"] == "failed" and "not done within" in run["steps"][0]["error"], run
        assert time.time() - started < 20


if __name__ == "__main__":
    wrt.main([test_a_task_waits_for_its_assignee_then_the_run_continues,
              test_a_task_nobody_completes_fails_when_its_time_runs_out])
