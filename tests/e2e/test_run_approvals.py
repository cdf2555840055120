"""`writ run` and the approval gate (DESIGN §9) against real loopback services: the seed
protocol with a bearer token, quorum, polling on 202, refusal (halt, or compensate on a
false-positive verdict), and fail-closed on every fault of the approval service."""
import datetime
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
SOURCE = pathlib.Path(A.source)
TOKEN = "e2e-approval-token-7f3a"
QUORUM = {"approved": True, "approvals": [{"approver": "ana", "role": "ciso"}, {"approver": "bo", "role": "legal"}]}
ALL_ACTIONS = ["isolate_host", "disable_compromised_credentials", "revoke_active_sessions", "notify_ciso_and_legal"]


def edr_ok(_request):
    return 200, {"ok": True}


def run(scratch, gate_url, runbook=None, fmt="json", extra=()):
    rb = scratch.write("containment.writ", runbook or rs.containment())
    event = scratch.write("event.json", rs.EVENT)
    args = ["run", rb, "--event", event, "--state", scratch.state(), "--format", fmt, *extra]
    if gate_url:
        args += ["--approvals", gate_url]
    return wrt.run(W, *args, env={"WRIT_APPROVAL_TOKEN": TOKEN}, timeout=90)


def run_with(gate, runbook=None):
    """Runs CONTAINMENT with the EDR fake and `gate` answering approvals; returns
    (proc, log, edr)."""
    with rs.Scratch() as scratch, rs.Service(edr_ok) as edr, rs.Service(gate) as approvals:
        connectors = scratch.connectors(edr.url("/act"))
        proc = run(scratch, approvals.url("/approve"), runbook, extra=["--connectors", connectors])
        log = json.loads(proc.stdout) if proc.stdout.strip() else None
        return proc, log, edr, approvals, scratch


def test_all_approved_completes_in_order_with_the_seed_protocol():
    with rs.Scratch() as scratch, rs.Service(edr_ok) as edr, rs.Service(lambda r: (200, QUORUM)) as gate:
        proc = run(scratch, gate.url("/approve"), extra=["--connectors", scratch.connectors(edr.url("/act"))])
        assert proc.returncode == 0, proc.stderr
        log = json.loads(proc.stdout)
        run_id = rs.run_id_of(proc)
        assert log["status"] == "completed" and log["run_id"] == run_id
        assert rs.actions(edr) == ALL_ACTIONS
        assert [s["status"] for s in log["steps"]] == ["executed"] * 4
        revoke = log["steps"][2]
        assert revoke["approval"]["approved"] is True
        assert revoke["approval"]["required_roles"] == ["ciso", "legal"]
        assert revoke["approval"]["approvers"] == QUORUM["approvals"]
        assert isinstance(revoke["approval"]["latency_ms"], int)
        (request,) = gate.seen()
        assert request.method == "POST" and request.headers["Authorization"] == f"Bearer {TOKEN}"
        body = request.json()
        assert set(body) == {"action", "context", "requested_at", "run_id", "step", "required_roles"}
        assert body["action"] == "revoke_active_sessions" and body["step"] == "revoke"
        assert body["run_id"] == run_id and body["required_roles"] == ["ciso", "legal"]
        assert body["context"]["event"] == rs.EVENT
        assert body["context"]["runbook"]["id"] == "containment"
        at = datetime.datetime.fromisoformat(body["requested_at"].replace("Z", "+00:00"))
        assert at.utcoffset() == datetime.timedelta(0)
        # The token is never logged: not in the output, not in the journal.
        journal = scratch.journal(run_id).read_text()
        for text in (proc.stdout, proc.stderr, journal):
            assert TOKEN not in text
        rs.verify_journal(scratch.journal(run_id))


def test_refusal_halts_and_keeps_containment():
    proc, log, edr, _, _ = run_with(lambda r: (200, {"approved": False, "reason": "not yet"}))
    assert proc.returncode == 1
    assert log["status"] == "halted_by_approval"
    assert rs.actions(edr) == ALL_ACTIONS[:2]
    assert [s["status"] for s in log["steps"]] == ["executed", "executed", "refused"]
    assert log["rollbacks"] == []
    assert "not yet" in log["steps"][2]["error"]


def test_refusal_with_rollback_compensates_in_reverse():
    proc, log, edr, _, _ = run_with(lambda r: (200, {"approved": False, "rollback": True, "reason": "false positive"}))
    assert proc.returncode == 1
    assert log["status"] == "rolled_back"
    assert rs.actions(edr) == ALL_ACTIONS[:2] + ["enable_credentials", "restore_host"]
    assert log["rollbacks"] == [{"step": "disable", "action": "enable_credentials", "status": "executed"},
                                {"step": "isolate", "action": "restore_host", "status": "executed"}]
    assert [s["status"] for s in log["steps"]] == ["compensated", "compensated", "refused"]


def slow(_request):
    time.sleep(4)
    return 200, QUORUM


FAULTS = {
    "HTTP 500": (lambda r: (500, QUORUM), "HTTP 500"),
    "non-JSON body": (lambda r: (200, "<html>approved</html>"), "malformed body"),
    "approved is a string": (lambda r: (200, {"approved": "yes"}), "`approved` must be a boolean"),
    "quorum not met": (lambda r: (200, {"approved": True, "approvals": [{"approver": "ana", "role": "ciso"}]}), "quorum"),
    "slower than the timeout": (slow, "no decision within the approval timeout"),
    "202 without poll": (lambda r: (202, {"status": "pending"}), "HTTP 202 without"),
    "poll elsewhere": (lambda r: (202, {"poll": "http://198.51.100.1/steal"}), "origin"),
}


def test_every_gate_fault_fails_closed():
    for name, (gate, reason) in FAULTS.items():
        proc, log, edr, _, _ = run_with(gate, rs.containment(approval="2s"))
        assert proc.returncode == 1, name
        assert log["status"] == "halted_by_approval", (name, log["status"])
        assert rs.actions(edr) == ALL_ACTIONS[:2], (name, rs.actions(edr))
        assert log["steps"][2]["status"] == "refused", name
        assert reason in log["steps"][2]["error"], (name, log["steps"][2]["error"])
        assert log["steps"][2]["approval"]["approved"] is False


def test_gate_not_listening_fails_closed():
    with rs.Scratch() as scratch, rs.Service(edr_ok) as edr:
        proc = run(scratch, rs.closed_port_url("/approve"), extra=["--connectors", scratch.connectors(edr.url("/act"))])
        log = json.loads(proc.stdout)
        assert proc.returncode == 1 and log["status"] == "halted_by_approval"
        assert rs.actions(edr) == ALL_ACTIONS[:2]
        assert "approval service" in log["steps"][2]["error"]


def test_no_gate_refuses():
    with rs.Scratch() as scratch, rs.Service(edr_ok) as edr:
        proc = run(scratch, None, extra=["--connectors", scratch.connectors(edr.url("/act"))])
        log = json.loads(proc.stdout)
        assert proc.returncode == 1 and log["status"] == "halted_by_approval"
        assert "no approval gate configured" in log["steps"][2]["error"]


def test_pending_decision_is_polled_until_approved():
    polls = {"n": 0}
    lock = threading.Lock()

    def gate(request):
        if request.method == "POST":
            return 202, {"poll": "/decisions/revoke"}
        with lock:
            polls["n"] += 1
            if polls["n"] < 3:
                return 202, {}
        return 200, QUORUM

    proc, log, edr, approvals, _ = run_with(gate, rs.containment(approval="20s"))
    assert proc.returncode == 0, proc.stderr
    assert log["status"] == "completed"
    gets = [r for r in approvals.seen() if r.method == "GET"]
    assert len(gets) == 3 and all(r.path == "/decisions/revoke" for r in gets)
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r in gets)
    assert log["steps"][2]["approval"]["latency_ms"] >= 250 + 500  # two backoff intervals at least


def test_pending_forever_times_out_closed():
    proc, log, edr, approvals, _ = run_with(lambda r: (202, {"poll": "/wait"}), rs.containment(approval="2s"))
    assert proc.returncode == 1 and log["status"] == "halted_by_approval"
    assert "no decision within the approval timeout" in log["steps"][2]["error"]
    assert 1800 <= log["steps"][2]["approval"]["latency_ms"] < 10000
    assert rs.actions(edr) == ALL_ACTIONS[:2]


def test_tabletop_static_approvals_on_the_sample_event():
    with rs.Scratch() as scratch:
        proc = wrt.run(W, "run", str(SOURCE / "runbooks"), "--event", str(SOURCE / "runbooks/events/critical.json"),
                       "--approvals", str(SOURCE / "runbooks/approvals/tabletop.json"), "--dry-run",
                       "--state", scratch.state(), "--format", "json", timeout=90)
        assert proc.returncode == 0, proc.stderr + proc.stdout
        log = json.loads(proc.stdout)
        assert log["runbook"] == "ransomware_containment" and log["status"] == "completed"
        approved = [s for s in log["steps"] if s["approval"]]
        assert approved and all(s["approval"]["approved"] for s in approved)
        assert log["evidence"] == []  # a dry run collects nothing


def test_static_approvals_refusal_and_malformed_file():
    # A static file is a tabletop tool: --dry-run (a live run refuses it, test_approvals_trust.py).
    with rs.Scratch() as scratch, rs.Service(edr_ok) as edr:
        connectors = scratch.connectors(edr.url("/act"))
        refuse = scratch.write("refuse.json", {"revoke": {"approved": False, "rollback": True}})
        proc = run(scratch, refuse, extra=["--connectors", connectors, "--dry-run"])
        assert proc.returncode == 1 and json.loads(proc.stdout)["status"] == "rolled_back"
        missing = scratch.write("missing.json", {"isolate": True})
        proc = run(scratch, missing, extra=["--connectors", connectors, "--dry-run"])
        log = json.loads(proc.stdout)
        assert log["status"] == "halted_by_approval" and "has no decision for step `revoke`" in log["steps"][2]["error"]
        broken = scratch.write("broken.json", '{"revoke": {"approved": "yes"}}')
        calls = len(edr.seen())
        proc = run(scratch, broken, extra=["--connectors", connectors, "--dry-run"])
        assert proc.returncode == 1 and proc.stdout == ""
        assert "broken.json: step `revoke`: `approved` must be a boolean" in proc.stderr
        bad_json = scratch.write("bad.json", '{"revoke": tru}')
        proc = run(scratch, bad_json, extra=["--connectors", connectors, "--dry-run"])
        assert proc.returncode == 1 and "bad.json:1:" in proc.stderr and "invalid JSON" in proc.stderr
        assert len(edr.seen()) == calls  # refused before any effect


if __name__ == "__main__":
    wrt.main([
        test_all_approved_completes_in_order_with_the_seed_protocol,
        test_refusal_halts_and_keeps_containment,
        test_refusal_with_rollback_compensates_in_reverse,
        test_every_gate_fault_fails_closed,
        test_gate_not_listening_fails_closed,
        test_no_gate_refuses,
        test_pending_decision_is_polled_until_approved,
        test_pending_forever_times_out_closed,
        test_tabletop_static_approvals_on_the_sample_event,
        test_static_approvals_refusal_and_malformed_file,
    ])
