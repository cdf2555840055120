"""`writ run` / `writ rollback` with real connectors (DESIGN §9): http against a loopback EDR
(idempotency keys, retries, failures and on_failure), exec without a shell or environment,
dry-run, evidence through the evidence store, and clear errors with the contract's exit codes
for malformed events, connectors files and runbooks."""
import hashlib
import json
import pathlib
import sys
import threading

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import run_support as rs  # noqa: E402
import wrt  # noqa: E402

A = wrt.args()
W = A.writ
SOURCE = pathlib.Path(A.source)
LOW = dict(rs.EVENT, severity="low")

CHAIN = """
runbook chain {
  title    "Chain"
  severity critical
  step isolate = isolate_host(target: event.host_id) {
    rollback restore_host
  }
  step disable = disable_compromised_credentials(target: event.user_account) {
    rollback enable_credentials
  }
  step segment = isolate_network_segment(target: event.segment_id) {
    rollback restore_network_segment%(segment)s
  }
  step notify = notify_ciso_and_legal(channels: [slack])%(notify)s
}
"""


def chain(segment="", notify=""):
    return CHAIN % {"segment": segment, "notify": notify}


class Edr:
    """A fake EDR: answers 200 unless told otherwise per action (a list of statuses, used in
    order, the last one repeating)."""

    def __init__(self, statuses=None):
        self.statuses = {k: list(v) for k, v in (statuses or {}).items()}
        self.lock = threading.Lock()
        self.service = rs.Service(self.respond)

    def respond(self, request):
        action = request.json()["action"]
        with self.lock:
            queue = self.statuses.get(action)
            status = (queue.pop(0) if len(queue) > 1 else queue[0]) if queue else 200
        return status, {"action": action, "status": status}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.service.close()


def run(scratch, runbook, *extra, event=None, fmt="json"):
    rb = scratch.write("runbook.writ", runbook)
    ev = scratch.write("event.json", event if event is not None else rs.EVENT)
    return wrt.run(W, "run", rb, "--event", ev, "--state", scratch.state(), "--format", fmt, *extra, timeout=90)


def rollback(scratch, run_id, *extra):
    return wrt.run(W, "rollback", run_id, "--state", scratch.state(), "--format", "json", *extra, timeout=90)


def test_connector_failure_halts_then_rollback_compensates_in_reverse():
    with rs.Scratch() as scratch, Edr({"notify_ciso_and_legal": [500]}) as edr:
        proc = run(scratch, chain(), "--connectors", scratch.connectors(edr.service.url("/act")))
        assert proc.returncode == 1, proc.stderr
        log = json.loads(proc.stdout)
        assert log["status"] == "failed"
        assert [s["status"] for s in log["steps"]] == ["executed", "executed", "executed", "failed"]
        assert "HTTP 500" in log["steps"][3]["error"]
        assert log["rollbacks"] == []  # halt: nothing compensated until asked
        run_id = rs.run_id_of(proc)
        before = len(edr.service.seen())

        proc = rollback(scratch, run_id)  # the run's own connectors file, from the journal
        assert proc.returncode == 0, proc.stderr
        log = json.loads(proc.stdout)
        assert log["status"] == "rolled_back"
        assert rs.actions(edr.service)[before:] == ["restore_network_segment", "enable_credentials", "restore_host"]
        assert [r["step"] for r in log["rollbacks"]] == ["segment", "disable", "isolate"]
        assert [s["status"] for s in log["steps"]] == ["compensated", "compensated", "compensated", "failed"]
        records = rs.verify_journal(scratch.journal(run_id))
        assert [r["data"]["status"] for r in records if r["type"] == "run_finished"] == ["failed", "rolled_back"]
        # Nothing left to do: a second rollback changes nothing.
        proc = rollback(scratch, run_id)
        assert proc.returncode == 0 and "already rolled back" in proc.stderr
        assert len(edr.service.seen()) == before + 3


def test_failing_rollback_is_incomplete_and_reported_then_retried():
    with rs.Scratch() as scratch, Edr({"notify_ciso_and_legal": [500], "enable_credentials": [500]}) as edr:
        proc = run(scratch, chain(), "--connectors", scratch.connectors(edr.service.url("/act")))
        run_id = rs.run_id_of(proc)
        proc = rollback(scratch, run_id)
        assert proc.returncode == 1
        log = json.loads(proc.stdout)
        assert log["status"] == "rollback_incomplete"
        assert log["rollbacks"] == [{"step": "segment", "action": "restore_network_segment", "status": "executed"},
                                    {"step": "disable", "action": "enable_credentials", "status": "failed"},
                                    {"step": "isolate", "action": "restore_host", "status": "executed"}]
        text = wrt.run(W, "rollback", run_id, "--state", scratch.state(), timeout=60)
        assert "rollback      disable" in text.stdout and "failed" in text.stdout and "HTTP 500" in text.stdout
        assert "status: rollback_incomplete" in text.stdout
        with edr.lock:
            edr.statuses["enable_credentials"] = [200]
        before = len(edr.service.seen())
        proc = rollback(scratch, run_id)
        assert proc.returncode == 0 and json.loads(proc.stdout)["status"] == "rolled_back"
        assert rs.actions(edr.service)[before:] == ["enable_credentials"]


def test_on_failure_rollback_and_continue():
    with rs.Scratch() as scratch, Edr({"isolate_network_segment": [500]}) as edr:
        connectors = scratch.connectors(edr.service.url("/act"))
        proc = run(scratch, chain(segment="\n    on_failure rollback\n  "), "--connectors", connectors)
        log = json.loads(proc.stdout)
        assert proc.returncode == 1 and log["status"] == "rolled_back"
        assert rs.actions(edr.service) == ["isolate_host", "disable_compromised_credentials", "isolate_network_segment",
                                           "enable_credentials", "restore_host"]
    with rs.Scratch() as scratch, Edr({"isolate_network_segment": [500]}) as edr:
        proc = run(scratch, chain(segment="\n    on_failure continue\n  "), "--connectors", scratch.connectors(edr.service.url("/act")))
        log = json.loads(proc.stdout)
        assert proc.returncode == 0 and log["status"] == "completed"
        assert [s["status"] for s in log["steps"]] == ["executed", "executed", "failed", "executed"]


def test_retries_keep_the_idempotency_key():
    with rs.Scratch() as scratch, Edr({"notify_ciso_and_legal": [503, 503, 200]}) as edr:
        proc = run(scratch, chain(notify=" {\n    retries 2\n  }"), "--connectors", scratch.connectors(edr.service.url("/act")))
        assert proc.returncode == 0, proc.stderr
        log = json.loads(proc.stdout)
        assert log["steps"][3]["attempts"] == 3
        calls = rs.connector_calls(edr.service)
        keys = [k for a, k in calls if a == "notify_ciso_and_legal"]
        assert len(keys) == 3 and len(set(keys)) == 1 and len(keys[0]) == 32
        assert len({k for _, k in calls}) == 4  # one key per step
        body = edr.service.seen()[0].json()
        assert set(body) == {"action", "args", "run_id", "step", "idempotency_key"}
        assert body["args"] == {"target": "ws-042"} and body["run_id"] == rs.run_id_of(proc)


EXEC_SCRIPT = """
import json, os, sys
with open(sys.argv[1], "a") as out:
    out.write(json.dumps({"argv": sys.argv[2:], "stdin": sys.stdin.read(), "env": sorted(os.environ),
                          "cwd": os.getcwd()}) + "\\n")
sys.exit(3 if sys.argv[2] == "fail" else 0)
"""


def test_exec_connector_runs_argv_without_shell_or_environment():
    with rs.Scratch() as scratch:
        script = scratch.write("connector.py", EXEC_SCRIPT)
        out = scratch.path / "calls.jsonl"
        connectors = scratch.write("connectors.yaml", f"""connectors:
  jump: {{type: exec, argv: ["/usr/bin/python3", "{script}", "{out}", "{{{{args.target}}}}", "{{{{idempotency_key}}}}"], timeout_seconds: 20}}
routes: {{disable_compromised_credentials: jump, "*": dry-run}}
""")
        # A `user` may hold shell syntax (a `host` may not: it must be a hostname).
        event = dict(rs.EVENT, user_account="jdoe; touch /tmp/pwned-by-writ-e2e")
        proc = run(scratch, chain(), "--connectors", connectors, event=event)
        assert proc.returncode == 0, proc.stderr + proc.stdout
        (call,) = [json.loads(line) for line in out.read_text().splitlines()]
        assert call["argv"][0] == "jdoe; touch /tmp/pwned-by-writ-e2e"  # data, not shell code
        assert not pathlib.Path("/tmp/pwned-by-writ-e2e").exists()
        assert len(call["argv"][1]) == 32
        assert set(call["env"]) <= {"LC_CTYPE"}  # empty, but for Python's own locale coercion
        assert call["cwd"] == "/"
        body = json.loads(call["stdin"])
        assert body["action"] == "disable_compromised_credentials" and body["idempotency_key"] == call["argv"][1]
        log = json.loads(proc.stdout)
        assert [s["status"] for s in log["steps"]] == ["executed"] * 4


def test_dry_run_routes_everything_to_dry_run_but_still_asks():
    with rs.Scratch() as scratch, Edr() as edr, rs.Service(lambda r: (200, {"approved": True})) as gate:
        runbook = rs.containment()
        proc = run(scratch, runbook, "--dry-run", "--connectors", scratch.connectors(edr.service.url("/act")),
                   "--approvals", gate.url("/approve"), fmt="text")
        assert proc.returncode == 0, proc.stderr
        assert edr.service.seen() == []
        assert len(gate.seen()) == 1
        assert "via dry-run" in proc.stdout and "status: completed" in proc.stdout


def test_evidence_is_copied_into_the_store():
    with rs.Scratch() as scratch, Edr() as edr:
        pcap = scratch.write("captures/pcap_capture.pcap", "packets " * 1000)
        flows = scratch.write("captures/flow_logs.json", '{"flows": []}')
        runbook = f"""
runbook collect {{
  title "Collect"
  severity low
  step capture = open_ticket(summary: "capture") {{
    preserve "{pcap}", "{flows}"
  }}
}}
"""
        store = scratch.path / "evidence"
        proc = run(scratch, runbook, "--connectors", scratch.connectors(edr.service.url("/act")), "--evidence", str(store),
                   event=LOW)
        assert proc.returncode == 0, proc.stderr
        log = json.loads(proc.stdout)
        expected = [{"artifact": p, "sha256": hashlib.sha256(pathlib.Path(p).read_bytes()).hexdigest(),
                     "size": pathlib.Path(p).stat().st_size} for p in (pcap, flows)]
        assert log["evidence"] == expected
        for e in expected:
            obj = store / "objects" / "sha256" / e["sha256"][:2] / e["sha256"]
            assert obj.read_bytes() == pathlib.Path(e["artifact"]).read_bytes()
        custody = [json.loads(line) for line in (store / "custody.jsonl").read_text().splitlines()]
        assert any(c.get("run_id") == log["run_id"] and c.get("step") == "capture" for c in custody)
        verify = wrt.run(W, "evidence", "verify", str(store), timeout=60)
        assert verify.returncode == 0, verify.stdout + verify.stderr


def test_missing_evidence_fails_the_step():
    with rs.Scratch() as scratch, Edr() as edr:
        runbook = f"""
runbook collect {{
  title "Collect"
  severity low
  step capture = open_ticket(summary: "capture") {{
    preserve "{scratch.path / 'absent.raw'}"
  }}
  step after = open_ticket(summary: "after")
}}
"""
        proc = run(scratch, runbook, "--connectors", scratch.connectors(edr.service.url("/act")), event=LOW)
        log = json.loads(proc.stdout)
        assert proc.returncode == 1 and log["status"] == "failed"
        assert log["evidence"] == [] and "evidence not preserved" in log["steps"][0]["error"]
        assert rs.actions(edr.service) == ["open_ticket"]


def test_unrouted_action_and_evidence_outside_roots_are_refused_before_any_effect():
    with rs.Scratch() as scratch, Edr() as edr:
        connectors = scratch.write("connectors.yaml", f"""connectors:
  edr: {{type: http, url: "{edr.service.url('/act')}"}}
routes: {{isolate_host: edr}}
evidence_roots: ["/evidence"]
""")
        proc = run(scratch, chain(), "--connectors", connectors)
        assert proc.returncode == 1 and proc.stdout == ""
        assert "no connector route for action `disable_compromised_credentials`" in proc.stderr
        assert edr.service.seen() == [] and not (scratch.path / "state" / "runs").exists()
        runbook = """
runbook collect {
  title "Collect"
  severity low
  step capture = open_ticket(summary: "x") {
    preserve "/tmp/outside.log"
  }
}
"""
        connectors = scratch.write("c2.yaml", f"""connectors:
  edr: {{type: http, url: "{edr.service.url('/act')}"}}
routes: {{"*": edr}}
evidence_roots: ["/evidence"]
""")
        proc = run(scratch, runbook, "--connectors", connectors, event=LOW)
        assert proc.returncode == 1 and "outside the evidence roots (/evidence)" in proc.stderr
        assert edr.service.seen() == []


def test_malformed_inputs_are_clear_errors_with_contract_exit_codes():
    with rs.Scratch() as scratch, Edr() as edr:
        good = scratch.connectors(edr.service.url("/act"))
        cases = [
            ("event not JSON", ["--event", scratch.write("bad.json", '{"severity": "critical",'), "--connectors", good], 1,
             "bad.json:1:"),
            ("event field type", ["--event", scratch.write("typed.json", dict(rs.EVENT, confidence="high")),
                                  "--connectors", good], 1, "field `confidence`: expected float, got string"),
            ("event not an object", ["--event", scratch.write("list.json", "[]"), "--connectors", good], 1,
             "must be a JSON object"),
            ("event missing", ["--event", str(scratch.path / "nope.json"), "--connectors", good], 2, "no such file"),
            ("connectors typo", ["--event", scratch.write("e.json", rs.EVENT), "--connectors",
                                 scratch.write("c.yaml", "connectors:\n  edr: {type: http, timeout_secnds: 5}\n")], 1,
             "c.yaml:2:21: unknown key `timeout_secnds` in connector `edr` (did you mean `timeout_seconds`?)"),
            ("connectors YAML", ["--event", scratch.write("e.json", rs.EVENT), "--connectors",
                                 scratch.write("y.yaml", "connectors: [unclosed\n")], 1, "y.yaml:"),
            ("connectors missing", ["--event", scratch.write("e.json", rs.EVENT), "--connectors",
                                    str(scratch.path / "none.yaml")], 2, "no such file"),
        ]
        rb = scratch.write("runbook.writ", chain())
        for name, args, code, message in cases:
            proc = wrt.run(W, "run", rb, *args, "--state", scratch.state(), timeout=60)
            assert proc.returncode == code, (name, proc.returncode, proc.stderr)
            assert message in proc.stderr, (name, proc.stderr)
            assert proc.stdout == "", name
        assert edr.service.seen() == [] and not (scratch.path / "state" / "runs").exists()
        usage = wrt.run(W, "run", rb, timeout=60)
        assert usage.returncode == 2 and "--event" in usage.stderr


def test_check_errors_and_routing_refuse_the_run():
    with rs.Scratch() as scratch, Edr() as edr:
        broken = scratch.write("broken.writ", chain().replace("rollback restore_host", ""))
        ev = scratch.write("event.json", rs.EVENT)
        proc = wrt.run(W, "run", broken, "--event", ev, "--state", scratch.state(),
                       "--connectors", scratch.connectors(edr.service.url("/act")), timeout=60)
        assert proc.returncode == 1
        assert "rollback-completeness" in proc.stderr and "never run" in proc.stderr
        low = scratch.write("low.json", dict(rs.EVENT, severity="medium"))
        proc = wrt.run(W, "run", str(SOURCE / "runbooks" / "phishing_triage.writ"), "--event", low,
                       "--state", scratch.state(), timeout=60)
        assert proc.returncode == 1 and "no runbook for severity `medium`" in proc.stderr
        assert edr.service.seen() == [] and not (scratch.path / "state" / "runs").exists()


def test_routing_a_directory_by_severity_and_when():
    with rs.Scratch() as scratch:
        expected = {"critical": "ransomware_containment", "high": "data_exposure", "medium": "credential_compromise",
                    "low": "phishing_triage"}
        for severity, runbook in expected.items():
            proc = wrt.run(W, "run", str(SOURCE / "runbooks"), "--event", str(SOURCE / f"runbooks/events/{severity}.json"),
                           "--dry-run", "--state", scratch.state(), "--format", "json", timeout=60)
            log = json.loads(proc.stdout)
            assert log["runbook"] == runbook, (severity, log["runbook"], proc.stderr)
            assert log["event_id"] == json.loads((SOURCE / f"runbooks/events/{severity}.json").read_text())["id"]
        breach = scratch.write("breach.json", dict(rs.EVENT, impact="exfiltration"))
        proc = wrt.run(W, "run", str(SOURCE / "runbooks"), "--event", breach, "--dry-run", "--state", scratch.state(),
                       "--format", "json", timeout=60)
        assert json.loads(proc.stdout)["runbook"] == "active_breach"


def test_tls_verification_is_always_on():
    import ssl
    import subprocess
    with rs.Scratch() as scratch:
        key, cert = scratch.path / "key.pem", scratch.path / "cert.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                        "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                       check=True, capture_output=True, timeout=60)
        with Edr() as edr, rs.Service(lambda r: (200, {"approved": True})) as gate:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(cert), str(key))
            for service in (edr.service, gate):
                service.server.socket = context.wrap_socket(service.server.socket, server_side=True)
            https = edr.service.url("/act").replace("http://", "https://")
            proc = run(scratch, chain(), "--connectors", scratch.connectors(https))
            log = json.loads(proc.stdout)
            assert proc.returncode == 1 and log["status"] == "failed", proc.stderr
            assert "certificate" in log["steps"][0]["error"].lower(), log["steps"][0]["error"]
            proc = run(scratch, rs.containment(), "--dry-run", "--approvals", gate.url("/approve").replace("http://", "https://"))
            log = json.loads(proc.stdout)
            assert log["status"] == "halted_by_approval" and "certificate" in log["steps"][2]["error"].lower()


if __name__ == "__main__":
    wrt.main([
        test_connector_failure_halts_then_rollback_compensates_in_reverse,
        test_failing_rollback_is_incomplete_and_reported_then_retried,
        test_on_failure_rollback_and_continue,
        test_retries_keep_the_idempotency_key,
        test_exec_connector_runs_argv_without_shell_or_environment,
        test_dry_run_routes_everything_to_dry_run_but_still_asks,
        test_evidence_is_copied_into_the_store,
        test_missing_evidence_fails_the_step,
        test_unrouted_action_and_evidence_outside_roots_are_refused_before_any_effect,
        test_malformed_inputs_are_clear_errors_with_contract_exit_codes,
        test_check_errors_and_routing_refuse_the_run,
        test_routing_a_directory_by_severity_and_when,
        test_tls_verification_is_always_on,
    ])
