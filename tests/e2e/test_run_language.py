"""The runtime of the language constructs (for-each, parallel blocks, outputs, tasks) through the real binary and loopback
connectors: a for-each over three hosts (one call per host, each with its own idempotency key,
each rolled back on a refusal with rollback, resumed after kill -9 without repeating an element),
a parallel block whose branches overlap in time,
an output flowing into a later step's argument, and a task that parks the run until
`writ task done` and fails when its time runs out."""
import json
import pathlib
import subprocess
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


def test_for_each_resumes_after_kill_9_without_repeating_an_element():
    gate = threading.Event()

    def respond(request):
        if request.json()["args"].get("target") == "ws-2" and not gate.is_set():
            gate.wait(20)  # the second element's call is in flight when writ dies
        return 200, {}

    approvals = rs.Service(lambda r: (200, {"approved": True}))
    with rs.Scratch() as s, rs.Service(respond) as edr, approvals:
        argv = [W, "run", s.write("rb.writ", FLEET), "--event", s.write("event.json", EVENT), "--connectors",
                s.connectors(edr.url()), "--state", s.state(), "--approvals", approvals.url(), "--format", "json"]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 20
        while not any(r.json()["args"].get("target") == "ws-2" for r in edr.seen()) and time.time() < deadline:
            time.sleep(0.02)
        proc.kill()  # kill -9 with ws-2's call in flight
        _, err = proc.communicate()
        gate.set()
        run_id = rs.run_id_of(subprocess.CompletedProcess(argv, -9, "", err))
        resumed = wrt.run(W, "run", "--resume", run_id, "--state", s.state(), "--connectors", s.connectors(edr.url()),
                          "--approvals", approvals.url(), "--format", "json")
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        assert json.loads(resumed.stdout)["status"] == "completed"
        keys = {}
        for r in edr.seen():
            if r.json()["action"] == "isolate_host":
                keys.setdefault(r.json()["args"]["target"], []).append(r.headers.get("Idempotency-Key"))
        assert len(keys["ws-1"]) == 1, keys  # completed before the kill: never repeated
        assert len(keys["ws-2"]) == 2 and keys["ws-2"][0] == keys["ws-2"][1], keys  # in flight: re-sent, same key
        assert len(keys["ws-3"]) == 1, keys
        rs.verify_journal(s.journal(run_id))


def test_metrics_count_each_elements_artifacts():
    runbook = FLEET.replace("rollback restore_host(target: h)\n", "rollback restore_host(target: h)\n    preserve \"/var/forensics/{{ h }}.log\"\n")
    with rs.Scratch() as s:
        for host in EVENT["hosts"]:
            s.write(f"host/var/forensics/{host}.log", f"{host}\n")
        approvals = s.write("approvals.json", {"notify": {"approved": True}})
        proc = wrt.run(W, "run", s.write("rb.writ", runbook), "--event", s.write("event.json", EVENT), "--dry-run",
                       "--approvals", approvals, "--evidence", str(s.path / "evidence"), "--artifact-root",
                       str(s.path / "host"), "--state", s.state())
        assert proc.returncode == 0, proc.stdout + proc.stderr
        proc, metrics = wrt.run_json(W, "metrics", s.state())
        evidence = metrics["tabletop"]["evidence"]
        assert (evidence["declared"], evidence["preserved"], evidence["verified"]) == (3, 3, 3), evidence


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
    wrt.main([test_for_each_calls_each_host_once_with_its_own_key_and_rolls_each_back,
              test_for_each_resumes_after_kill_9_without_repeating_an_element, test_metrics_count_each_elements_artifacts,
              test_output_flows_into_a_later_argument,
              test_parallel_branches_overlap_in_time, test_task_parks_until_done_then_resumes, test_task_fails_when_its_time_runs_out])
