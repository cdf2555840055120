"""Approvals and secrets against hostile data (DESIGN §13, issue 11 findings 3 and 8), end to
end with the real binary and loopback services only:

- a static approvals file is a tabletop tool: without --dry-run it is a usage error (exit 2)
  before anything runs, also on --resume and rollback of a live run;
- an approval reply with duplicate keys, an unknown key or a wrongly typed value is refused
  (fail closed), naming the key; `approver_identity required` in the policy makes a bare
  `{"approved": true}` a refusal, and --resume keeps the requirement;
- URLs are journaled and printed without userinfo, query and fragment; response bodies copied
  into errors are cut and have every configured secret replaced by `***`; credentials are
  never sent over plain http:// except to loopback."""
import json
import os
import pathlib
import queue
import signal
import subprocess
import sys
import threading

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import run_support as rs  # noqa: E402
import wrt  # noqa: E402

A = wrt.args()
W = A.writ
SOURCE = pathlib.Path(A.source)
TOKEN = "e2e-approval-token-5be1c0de"
EDR_TOKEN = "edr-bearer-9f8e7d6c5b4a"
QUORUM = {"approved": True, "approvals": [{"approver": "ana", "role": "ciso"}, {"approver": "bo", "role": "legal"}]}
BEFORE_GATE = ["isolate_host", "disable_compromised_credentials"]  # the steps that need no approval
ALL_ACTIONS = BEFORE_GATE + ["revoke_active_sessions", "notify_ciso_and_legal"]
NON_LOOPBACK = "198.51.100.7"  # TEST-NET-2: never contacted (every refusal comes before a send)

IDENTITY_POLICY = """\
policy identified {
  severity low      { }
  severity medium   { approve ir_lead for contain, collect, eradicate }
  severity high     { approve ciso for contain, collect, eradicate }
  severity critical { approve ciso, legal for contain, collect, eradicate }
  approver_identity required
}
"""


def edr_ok(_request):
    return 200, {"ok": True}


def run(scratch, *extra, env=None, runbook=None, fmt="json"):
    rb = scratch.write("containment.writ", runbook or rs.containment())
    event = scratch.write("event.json", rs.EVENT)
    return wrt.run(W, "run", rb, "--event", event, "--state", scratch.state(), "--format", fmt, *extra,
                   env=env or {"WRIT_APPROVAL_TOKEN": TOKEN}, timeout=90)


def log_of(proc):
    assert proc.stdout.strip(), f"no output (exit {proc.returncode}): {proc.stderr}"
    return json.loads(proc.stdout)


def runs_under(scratch):
    runs = pathlib.Path(scratch.state()) / "runs"
    return sorted(p.name for p in runs.iterdir()) if runs.exists() else []


def everything_written(scratch, proc):
    """stdout, stderr and every journal of the scratch state, as one text."""
    journals = [p.read_text() for p in (pathlib.Path(scratch.state()) / "runs").glob("*/journal.jsonl")]
    return "\n".join([proc.stdout, proc.stderr, *journals])


# --- 3. static approvals are a tabletop tool -------------------------------------------------

def test_static_approvals_in_a_live_run_are_a_usage_error():
    with rs.Scratch() as scratch, rs.Service(edr_ok) as edr:
        approve_all = scratch.write("tabletop.json", {"isolate": True, "disable": True, "revoke": True, "notify": True})
        proc = run(scratch, "--connectors", scratch.connectors(edr.url("/act")), "--approvals", approve_all)
        assert proc.returncode == 2, (proc.returncode, proc.stderr)
        assert "--approvals" in proc.stderr and "--dry-run" in proc.stderr, proc.stderr
        assert proc.stdout == ""
        assert edr.seen() == [] and runs_under(scratch) == []  # before anything runs
        # Without a connectors file the run is still live (the default routes to dry-run, but
        # the evidence is real): the file is refused all the same.
        proc = run(scratch, "--approvals", approve_all)
        assert proc.returncode == 2 and runs_under(scratch) == [], proc.stderr
        # The tabletop itself still works.
        proc = run(scratch, "--approvals", approve_all, "--dry-run")
        assert proc.returncode == 0, proc.stderr
        assert log_of(proc)["status"] == "completed"


class HeldGate:
    """An approval service that holds the first request until released (bounded)."""

    def __init__(self, reply):
        self.reply = reply
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.service = rs.Service(self.respond)

    def respond(self, request):
        if not self.arrived.is_set():
            self.arrived.set()
            self.release.wait(30)
        return self.reply(request)

    def close(self):
        self.release.set()
        self.service.close()


def start_and_kill_at_approval(scratch, gate, edr, *extra):
    """Starts a live run and SIGKILLs it while the gate holds the approval request; returns
    the run id."""
    rb = scratch.write("containment.writ", rs.containment(approval="20s"))
    ev = scratch.write("event.json", rs.EVENT)
    proc = subprocess.Popen([W, "run", rb, "--event", ev, "--state", scratch.state(), "--connectors",
                             scratch.connectors(edr.url("/act")), "--approvals", gate.service.url("/approve"),
                             "--format", "json", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, NO_COLOR="1", WRIT_APPROVAL_TOKEN=TOKEN))
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr], daemon=True).start()
    try:
        first = lines.get(timeout=60)
        assert first.startswith("run ") and first.strip().endswith(" started"), first
        assert gate.arrived.wait(60), "the approval request never arrived"
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return first.split()[1]


def test_static_approvals_on_resume_and_rollback_of_a_live_run_are_a_usage_error():
    with rs.Scratch() as scratch, rs.Service(edr_ok) as edr:
        gate = HeldGate(lambda r: (200, QUORUM))
        try:
            run_id = start_and_kill_at_approval(scratch, gate, edr)
        finally:
            gate.close()
        calls = len(edr.seen())
        journal = scratch.journal(run_id).read_text()
        approve_all = scratch.write("tabletop.json", {"revoke": True, "notify": True})
        proc = wrt.run(W, "run", "--resume", run_id, "--state", scratch.state(), "--approvals", approve_all,
                       "--format", "json", timeout=90)
        assert proc.returncode == 2, (proc.returncode, proc.stderr)
        assert "--dry-run" in proc.stderr and proc.stdout == ""
        assert len(edr.seen()) == calls and scratch.journal(run_id).read_text() == journal
        # A live run halted by a refusal, rolled back with a static file: refused as well.
    with rs.Scratch() as scratch, rs.Service(edr_ok) as edr, \
            rs.Service(lambda r: (200, {"approved": False})) as refuse:
        proc = run(scratch, "--connectors", scratch.connectors(edr.url("/act")), "--approvals", refuse.url("/a"))
        assert proc.returncode == 1 and log_of(proc)["status"] == "halted_by_approval", proc.stderr
        run_id = rs.run_id_of(proc)
        calls = len(edr.seen())
        approve_all = scratch.write("tabletop.json", {"revoke": True})
        proc = wrt.run(W, "rollback", run_id, "--state", scratch.state(), "--approvals", approve_all, timeout=90)
        assert proc.returncode == 2 and "--dry-run" in proc.stderr, (proc.returncode, proc.stderr)
        assert len(edr.seen()) == calls  # nothing compensated


# --- 3. replies are read strictly --------------------------------------------------------------

HOSTILE_REPLIES = {
    # last key wins in a lenient parser: the first says no
    "duplicate approved": ('{"approved": false, "approved": true}', 'duplicate key "approved"'),
    "duplicate deep": ('{"approved": true, "approvals": [{"approver": "ana", "role": "ciso", "role": "legal"},'
                       ' {"approver": "bo", "role": "legal"}]}', 'duplicate key "role"'),
    # the list under a wrong name would be ignored, and the bare approval accepted
    "approvers instead of approvals": (json.dumps({"approved": True, "approvers": QUORUM["approvals"]}),
                                       "unknown key `approvers`"),
    "reason is a number": ('{"approved": false, "reason": 5}', "`reason`"),
    "rollback is a string": ('{"approved": true, "rollback": "yes"}', "`rollback`"),
    "approvals entry with an extra key": (json.dumps({"approved": True, "approvals": [
        {"approver": "ana", "role": "ciso", "weight": 2}, {"approver": "bo", "role": "legal"}]}), "`weight`"),
    "approvals entry missing its role": (json.dumps({"approved": True, "approvals": [
        {"approver": "ana"}, {"approver": "bo", "role": "legal"}]}), "`role`"),
}


def test_hostile_replies_are_refused_naming_the_key():
    for name, (body, reason) in HOSTILE_REPLIES.items():
        with rs.Scratch() as scratch, rs.Service(edr_ok) as edr, rs.Service(lambda r, b=body: (200, b)) as gate:
            proc = run(scratch, "--connectors", scratch.connectors(edr.url("/act")), "--approvals", gate.url("/approve"))
            log = log_of(proc)
            assert proc.returncode == 1 and log["status"] == "halted_by_approval", (name, log["status"])
            assert rs.actions(edr) == BEFORE_GATE, (name, rs.actions(edr))
            assert log["steps"][2]["status"] == "refused", name
            assert reason in log["steps"][2]["error"], (name, log["steps"][2]["error"])


def test_a_202_body_is_read_as_strictly():
    for body, reason in [('{"poll": "/p", "poll": "/q"}', 'duplicate key "poll"'),
                         ('{"poll": "/p", "approved": true}', "unknown key `approved`"),
                         ('{"poll": 7}', "`poll`")]:
        with rs.Scratch() as scratch, rs.Service(edr_ok) as edr, \
                rs.Service(lambda r, b=body: (202, b) if r.method == "POST" else (200, QUORUM)) as gate:
            proc = run(scratch, "--connectors", scratch.connectors(edr.url("/act")), "--approvals", gate.url("/approve"))
            log = log_of(proc)
            assert log["status"] == "halted_by_approval", (body, proc.stderr)
            assert reason in log["steps"][2]["error"], (body, log["steps"][2]["error"])
            assert [r.method for r in gate.seen()] == ["POST"], body  # never polled


def test_an_event_with_duplicate_keys_is_refused():
    with rs.Scratch() as scratch:
        rb = scratch.write("containment.writ", rs.containment())
        event = scratch.write("event.json", json.dumps(rs.EVENT)[:-1] + ', "host_id": "ws-999"}')
        proc = wrt.run(W, "run", rb, "--event", event, "--state", scratch.state(), "--dry-run", timeout=90)
        assert proc.returncode == 1 and 'duplicate key "host_id"' in proc.stderr, proc.stderr
        assert "event.json:1:" in proc.stderr and runs_under(scratch) == []


# --- 3. approver identity ----------------------------------------------------------------------

def test_identity_required_refuses_a_bare_approval():
    with rs.Scratch() as scratch:
        policy = scratch.write("identified.writ", IDENTITY_POLICY)
        for reply, approved in [({"approved": True}, False), (QUORUM, True),
                                ({"approved": True, "approvals": []}, False)]:
            with rs.Service(edr_ok) as edr, rs.Service(lambda r, b=reply: (200, b)) as gate:
                proc = run(scratch, "--connectors", scratch.connectors(edr.url("/act")), "--approvals",
                           gate.url("/approve"), "--policy", policy)
                log = log_of(proc)
                revoke = log["steps"][2]
                assert revoke["approval"]["approved"] is approved, (reply, revoke)
                if not approved:
                    assert "the policy requires approver identity" in revoke["error"], revoke["error"]
                    assert rs.actions(edr) == BEFORE_GATE
                else:
                    assert log["status"] == "completed" and rs.actions(edr) == ALL_ACTIONS
                run_id = rs.run_id_of(proc)
                started = rs.verify_journal(scratch.journal(run_id))[0]
                assert started["data"]["approver_identity"] == "required"
        # The default policy does not require it: a bare approval approves.
        with rs.Service(edr_ok) as edr, rs.Service(lambda r: (200, {"approved": True})) as gate:
            proc = run(scratch, "--connectors", scratch.connectors(edr.url("/act")), "--approvals", gate.url("/approve"))
            assert log_of(proc)["status"] == "completed", proc.stderr


def test_identity_requirement_survives_resume():
    with rs.Scratch() as scratch, rs.Service(edr_ok) as edr:
        policy = scratch.write("identified.writ", IDENTITY_POLICY)
        gate = HeldGate(lambda r: (200, {"approved": True}))
        try:
            run_id = start_and_kill_at_approval(scratch, gate, edr, "--policy", policy)
        finally:
            gate.close()
        with rs.Service(lambda r: (200, {"approved": True})) as bare:
            proc = wrt.run(W, "run", "--resume", run_id, "--state", scratch.state(), "--approvals", bare.url("/a"),
                           "--format", "json", env={"WRIT_APPROVAL_TOKEN": TOKEN}, timeout=90)
            log = log_of(proc)
            assert log["status"] == "halted_by_approval", (log["status"], proc.stderr)
            assert "the policy requires approver identity" in log["steps"][2]["error"]
            assert rs.actions(edr) == BEFORE_GATE


def test_identity_required_with_static_approvers():
    with rs.Scratch() as scratch:
        policy = scratch.write("identified.writ", IDENTITY_POLICY)
        bare = scratch.write("bare.json", {"revoke": True})
        proc = run(scratch, "--approvals", bare, "--dry-run", "--policy", policy)
        log = log_of(proc)
        assert log["status"] == "halted_by_approval" and "approver identity" in log["steps"][2]["error"]
        named = scratch.write("named.json", {"revoke": {"approved": True, "approvers": QUORUM["approvals"]}})
        proc = run(scratch, "--approvals", named, "--dry-run", "--policy", policy)
        assert log_of(proc)["status"] == "completed", proc.stderr


# --- 8. secrets -------------------------------------------------------------------------------

def test_approvals_url_credentials_are_never_journaled_or_printed():
    with rs.Scratch() as scratch, rs.Service(edr_ok) as edr, rs.Service(lambda r: (200, QUORUM)) as gate:
        url = gate.url("/approve").replace("http://", "http://user:pw-7c1d@") + "?token=s3cret-q#frag-x"
        proc = run(scratch, "--connectors", scratch.connectors(edr.url("/act")), "--approvals", url, fmt="text")
        assert proc.returncode == 0, proc.stderr
        assert gate.seen() and gate.seen()[0].path == "/approve?token=s3cret-q"  # sent as given
        text = everything_written(scratch, proc)
        for secret in ("pw-7c1d", "s3cret-q", "frag-x", TOKEN):
            assert secret not in text, secret
        started = rs.verify_journal(scratch.journal(rs.run_id_of(proc)))[0]
        assert started["data"]["approvals"]["source"] == gate.url("/approve")


def test_a_malformed_approvals_url_is_refused_without_echoing_its_password():
    with rs.Scratch() as scratch:
        proc = run(scratch, "--approvals", "http://ops:pw-5e@127.0.0.1:notaport/approve?k=q-5e", "--dry-run")
        assert proc.returncode == 2 and "not an http:// or https:// URL" in proc.stderr, proc.stderr
        assert "pw-5e" not in proc.stderr and "q-5e" not in proc.stderr and runs_under(scratch) == []


def test_resume_with_a_redacted_approvals_url_asks_for_it_again():
    with rs.Scratch() as scratch, rs.Service(edr_ok) as edr:
        gate = HeldGate(lambda r: (200, QUORUM))
        rb = scratch.write("containment.writ", rs.containment(approval="20s"))
        try:
            url = gate.service.url("/approve") + "?token=s3cret-q"
            proc = subprocess.Popen([W, "run", rb, "--event", scratch.write("event.json", rs.EVENT), "--state",
                                     scratch.state(), "--connectors", scratch.connectors(edr.url("/act")),
                                     "--approvals", url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            assert gate.arrived.wait(60)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            run_id = proc.stderr.readline().split()[1]
        finally:
            gate.close()
        resumed = wrt.run(W, "run", "--resume", run_id, "--state", scratch.state(), timeout=90)
        assert resumed.returncode == 2, (resumed.returncode, resumed.stderr)
        assert "--approvals" in resumed.stderr and "s3cret-q" not in resumed.stderr
        with rs.Service(lambda r: (200, QUORUM)) as again:
            resumed = wrt.run(W, "run", "--resume", run_id, "--state", scratch.state(), "--approvals",
                              again.url("/approve") + "?token=s3cret-q", "--format", "json", timeout=90)
            assert resumed.returncode == 0, resumed.stderr
            assert "s3cret-q" not in scratch.journal(run_id).read_text()


def test_echoed_bearer_token_is_redacted_from_connector_errors():
    body = "denied for Bearer " + EDR_TOKEN + " " + "x" * 2000

    def edr(request):
        return (500, body) if request.json()["action"] == "disable_compromised_credentials" else (200, {"ok": True})

    with rs.Scratch() as scratch, rs.Service(edr) as service:
        connectors = scratch.write("connectors.yaml", f"""connectors:
  edr: {{type: http, url: "{service.url('/act')}", timeout_seconds: 5, token_env: EDR_TOKEN}}
routes: {{"*": edr}}
""")
        proc = run(scratch, "--connectors", connectors, env={"EDR_TOKEN": EDR_TOKEN})
        log = log_of(proc)
        assert log["status"] == "failed"
        assert service.seen()[0].headers["Authorization"] == f"Bearer {EDR_TOKEN}"
        error = log["steps"][1]["error"]
        assert "Bearer ***" in error and len(error) < 600, error
        assert EDR_TOKEN not in everything_written(scratch, proc)
        # The same in text output.
        proc = run(scratch, "--connectors", connectors, fmt="text", env={"EDR_TOKEN": EDR_TOKEN})
        assert EDR_TOKEN not in everything_written(scratch, proc)


def test_echoed_approval_token_is_redacted_from_refusals():
    def gate(request):
        return 403, "token " + request.headers["Authorization"] + " is not allowed"

    with rs.Scratch() as scratch, rs.Service(edr_ok) as edr, rs.Service(gate) as approvals:
        proc = run(scratch, "--connectors", scratch.connectors(edr.url("/act")), "--approvals", approvals.url("/a"))
        log = log_of(proc)
        assert "HTTP 403" in log["steps"][2]["error"] and "Bearer ***" in log["steps"][2]["error"]
        assert TOKEN not in everything_written(scratch, proc)
    # A refusal's `reason` echoing it as well.
    with rs.Scratch() as scratch, rs.Service(edr_ok) as edr, \
            rs.Service(lambda r: (200, {"approved": False, "reason": "saw " + TOKEN})) as approvals:
        proc = run(scratch, "--connectors", scratch.connectors(edr.url("/act")), "--approvals", approvals.url("/a"))
        assert "saw ***" in log_of(proc)["steps"][2]["error"]
        assert TOKEN not in everything_written(scratch, proc)


def test_credentials_over_plain_http_to_a_remote_host_are_refused_before_anything_runs():
    with rs.Scratch() as scratch, rs.Service(edr_ok) as edr:
        remote = f"http://{NON_LOOPBACK}/approve"
        proc = run(scratch, "--connectors", scratch.connectors(edr.url("/act")), "--approvals", remote)
        assert proc.returncode == 2, (proc.returncode, proc.stderr)
        assert "WRIT_APPROVAL_TOKEN" in proc.stderr and "http://" in proc.stderr
        assert edr.seen() == [] and runs_under(scratch) == []
        # Userinfo is a credential too, token or not.
        proc = run(scratch, "--connectors", scratch.connectors(edr.url("/act")), "--approvals",
                   f"http://u:pw-9@{NON_LOOPBACK}/approve", env={"WRIT_APPROVAL_TOKEN": ""})
        assert proc.returncode == 2 and "pw-9" not in proc.stderr, proc.stderr
        # Without credentials, plain http is the operator's choice (fails closed here: nothing listens).
        proc = run(scratch, "--connectors", scratch.connectors(edr.url("/act")), "--approvals",
                   rs.closed_port_url("/approve"), env={"WRIT_APPROVAL_TOKEN": ""})
        assert proc.returncode == 1 and log_of(proc)["status"] == "halted_by_approval"
        # The connectors file: refused when it is loaded, positioned at the url.
        runs = runs_under(scratch)
        for text, where in [(f'url: "http://{NON_LOOPBACK}/act", timeout_seconds: 5, token_env: EDR_TOKEN', "3:"),
                            (f'url: "http://ops:pw-8@{NON_LOOPBACK}/act", timeout_seconds: 5', "3:")]:
            connectors = scratch.write("remote.yaml", "connectors:\n  edr:\n    {" + text.replace("url:", "type: http, url:") + "}\nroutes: {\"*\": edr}\n")
            proc = run(scratch, "--connectors", connectors, env={"EDR_TOKEN": EDR_TOKEN})
            assert proc.returncode == 1 and f"remote.yaml:{where}" in proc.stderr, proc.stderr
            assert "plain http" in proc.stderr and "pw-8" not in proc.stderr
            assert runs_under(scratch) == runs


if __name__ == "__main__":
    wrt.main([
        test_static_approvals_in_a_live_run_are_a_usage_error,
        test_static_approvals_on_resume_and_rollback_of_a_live_run_are_a_usage_error,
        test_hostile_replies_are_refused_naming_the_key,
        test_a_202_body_is_read_as_strictly,
        test_an_event_with_duplicate_keys_is_refused,
        test_identity_required_refuses_a_bare_approval,
        test_identity_requirement_survives_resume,
        test_identity_required_with_static_approvers,
        test_approvals_url_credentials_are_never_journaled_or_printed,
        test_a_malformed_approvals_url_is_refused_without_echoing_its_password,
        test_resume_with_a_redacted_approvals_url_asks_for_it_again,
        test_echoed_bearer_token_is_redacted_from_connector_errors,
        test_echoed_approval_token_is_redacted_from_refusals,
        test_credentials_over_plain_http_to_a_remote_host_are_refused_before_anything_runs,
    ])
