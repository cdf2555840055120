"""Human tasks in `writ serve`: a run that reaches a `task` step waits without a worker until a
person holding the task's assignee role posts `…/steps/{step}/complete` (on any route refusal
the run keeps waiting), then continues; a task nobody completes fails its step when its time
runs out (the service wakes the run at the task's due time). And the approval announcement of
a for-each step shows the approvers every target it covers."""
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


FLEET = """
runbook fleet {
  title    "Fleet"
  severity low
  event    { hosts: list<host> }
  step isolate = isolate_host(target: h) for h in event.hosts {
    rollback restore_host(target: h)
    approve ciso within 1h
  }
}
"""


def test_a_for_each_approval_announcement_lists_every_target():
    with rs.Scratch() as scratch, rs.Service(lambda request: (200, {"ok": True})) as hook:
        connectors = scratch.write("connectors.yaml", f"""connectors:
  hook: {{type: http, url: "{hook.url('/hook')}", timeout_seconds: 5}}
routes: {{approval_request: hook, "*": dry-run}}
""")
        scratch.write("runbooks/fleet.writ", FLEET)
        with ss.Server(W, str(scratch.path / "runbooks"), ss.auth_file(scratch), scratch.state(),
                       extra=["--connectors", connectors]) as server:
            event = {"id": "fleet-1", "severity": "low", "hosts": ["ws-1", "ws-2", "ws-3"]}
            status, reply, _ = server.call("POST", "/v1/events", event, token="intake")
            assert status == 202, reply
            deadline = time.time() + 20
            while not hook.seen() and time.time() < deadline:
                time.sleep(0.05)
        sent = [r.json()["args"] for r in hook.seen()]
        assert sent and sent[0]["context"]["targets"] == ["ws-1", "ws-2", "ws-3"], sent
        assert [e["target"] for e in sent[0]["context"]["elements"]] == ["ws-1", "ws-2", "ws-3"], sent


if __name__ == "__main__":
    wrt.main([test_a_task_waits_for_its_assignee_then_the_run_continues,
              test_a_task_nobody_completes_fails_when_its_time_runs_out,
              test_a_for_each_approval_announcement_lists_every_target])
