"""The runtime of the language constructs (DESIGN §17) through the real binary and loopback
connectors: a for-each over three hosts (one call per host, each with its own idempotency key,
each rolled back on a refusal with rollback), a parallel block whose branches overlap in time,
an output flowing into a later step's argument, and a task that parks the run until
`writ task done` and fails when its time runs out."""
import json
import pathlib
import sys
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import run_support as rs  # noqa: E402
import wrt  # noqa: E402

A = wrt.args()
W = A.writ

EVENT = {"id": "evt-9", "severity": "low", "host_id": "ws-042", "hosts": ["ws-1", "ws-2", "ws-3"]}

FLEET = """
runbook fleet {
  title    "Fleet"
  severity low
  event    { hosts: list<host>, host_id: host }
  step isolate = isolate_host(target: h) for h in event.hosts {
    rollback restore_host(target: h)
  }
  step notify = notify_ciso_and_legal(channels: [slack]) {
    approve ciso within 5s
  }
}
"""

OUTPUTS = """
runbook imaging {
  title    "Imaging"
  severity low
  event    { host_id: host }
  step image = trigger_forensic_imaging(target: event.host_id)
  step note = open_ticket(summary: "image {{ steps.image.outputs.image_id }} taken")
}
"""

PARALLEL = """
runbook both {
  title    "Both"
  severity low
  event    { host_id: host }
  parallel {
    step a = notify_ciso_and_legal(channels: [slack])
    step b = notify_ciso_and_legal(channels: [pagerduty])
  }
}
"""

TASK = """
runbook call {
  title    "Call"
  severity low
  event    { host_id: host }
  step call = task(instructions: "Call the bank") {
    assignee ciso
    within   %s
  }
  step notify = notify_ciso_and_legal(channels: [slack])
}
"""


def run(scratch, runbook, connector_url, *extra):
    return wrt.run(W, "run", scratch.write("rb.writ", runbook), "--event", scratch.write("event.json", EVENT),
                   "--connectors", scratch.connectors(connector_url), "--state", scratch.state(), "--format", "json", *extra)


def test_for_each_calls_each_host_once_with_its_own_key_and_rolls_each_back():
    approvals = rs.Service(lambda r: (200, {"approved": False, "rollback": True}))
    with rs.Scratch() as s, rs.Service(lambda r: (200, {})) as edr, approvals:
        proc = run(s, FLEET, edr.url(), "--approvals", approvals.url())
        assert proc.returncode == 1, proc.stderr
        log = json.loads(proc.stdout)
        assert log["status"] == "rolled_back", log
        calls = rs.connector_calls(edr)
        isolates = [(r.json()["args"]["target"], k) for r in edr.seen() for a, k in [(r.json()["action"], r.headers.get("Idempotency-Key"))]
                    if a == "isolate_host"]
        restores = [r.json()["args"]["target"] for r in edr.seen() if r.json()["action"] == "restore_host"]
        assert [t for t, _ in isolates] == ["ws-1", "ws-2", "ws-3"], calls
        assert len({k for _, k in isolates}) == 3, "each element has its own idempotency key"
        assert restores == ["ws-3", "ws-2", "ws-1"], restores
        assert [e["status"] for e in log["steps"][0]["elements"]] == ["compensated"] * 3
        assert [r.get("element") for r in log["rollbacks"]] == [2, 1, 0]
        rs.verify_journal(s.journal(rs.run_id_of(proc)))


def test_output_flows_into_a_later_argument():
    def respond(request):
        if request.json()["action"] == "trigger_forensic_imaging":
            return 200, {"outputs": {"image_id": "img-77"}}
        return 200, {}
    with rs.Scratch() as s, rs.Service(respond) as edr:
        proc = run(s, OUTPUTS, edr.url())
        assert proc.returncode == 0, proc.stdout + proc.stderr
        later = [r.json() for r in edr.seen() if r.json()["action"] == "open_ticket"]
        assert later[0]["args"]["summary"] == "image img-77 taken", later
        log = json.loads(proc.stdout)
        assert log["steps"][0]["outputs"] == {"image_id": "img-77"}


def test_parallel_branches_overlap_in_time():
    spans = []
    lock = threading.Lock()

    def respond(request):
        start = time.monotonic()
        time.sleep(0.5)
        with lock:
            spans.append((start, time.monotonic()))
        return 200, {}
    with rs.Scratch() as s, rs.Service(respond) as edr:
        proc = run(s, PARALLEL, edr.url())
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert len(spans) == 2
        (a0, a1), (b0, b1) = sorted(spans)
        assert b0 < a1, f"the branches did not overlap: {spans}"
        rs.verify_journal(s.journal(rs.run_id_of(proc)))


def test_task_parks_until_done_then_resumes():
    with rs.Scratch() as s, rs.Service(lambda r: (200, {})) as edr:
        proc = run(s, TASK % "2h", edr.url())
        assert proc.returncode == 1, proc.stderr
        run_id = rs.run_id_of(proc)
        assert json.loads(proc.stdout)["status"] == "running"
        assert rs.actions(edr) == []
        early = wrt.run(W, "task", "done", run_id, "notify", "--state", s.state())
        assert early.returncode == 1 and "is not a task" in early.stderr, early.stderr
        done = wrt.run(W, "task", "done", run_id, "call", "--note", "bank called", "--state", s.state())
        assert done.returncode == 0, done.stderr
        again = wrt.run(W, "task", "done", run_id, "call", "--state", s.state())
        assert again.returncode == 1 and "already marked done" in again.stderr, again.stderr
        resumed = wrt.run(W, "run", "--resume", run_id, "--state", s.state(), "--format", "json")
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        log = json.loads(resumed.stdout)
        assert log["steps"][0]["task"]["note"] == "bank called"
        assert rs.actions(edr) == ["notify_ciso_and_legal"]


def test_task_fails_when_its_time_runs_out():
    with rs.Scratch() as s, rs.Service(lambda r: (200, {})) as edr:
        proc = run(s, TASK % "1s", edr.url())
        run_id = rs.run_id_of(proc)
        time.sleep(1.5)
        resumed = wrt.run(W, "run", "--resume", run_id, "--state", s.state(), "--format", "json")
        assert resumed.returncode == 1
        log = json.loads(resumed.stdout)
        assert log["status"] == "failed" and "task not done within 1 s" in log["steps"][0]["error"], log
        assert rs.actions(edr) == []


if __name__ == "__main__":
    wrt.main([test_for_each_calls_each_host_once_with_its_own_key_and_rolls_each_back, test_output_flows_into_a_later_argument,
              test_parallel_branches_overlap_in_time, test_task_parks_until_done_then_resumes, test_task_fails_when_its_time_runs_out])
