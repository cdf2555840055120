"""`writ serve` (DESIGN §14) end to end, against the real binary on loopback: auth (tokens,
scopes, HMAC signatures, replays), hostile input, dedupe, role-bound approvals with a quorum,
rollback, the intake log with replay after SIGHUP, SIGTERM drain and kill -9 recovery, and
/metrics checked by `promtool check metrics`."""
import json
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import run_support as rs  # noqa: E402
import serve_support as ss  # noqa: E402
import wrt  # noqa: E402

A = wrt.args()
W = A.writ
LOW = """
runbook low_triage {
  title    "Low triage"
  severity low
  step ticket = open_ticket(summary: "report {{ event.id }}")
}
"""


def event(event_id, **fields):
    return dict(rs.EVENT, id=event_id, **fields)


def serve(scratch, approval="5m", extra=(), runbook=None):
    scratch.write("runbooks/containment.writ", runbook or rs.containment(approval))
    return ss.Server(W, str(scratch.path / "runbooks"), ss.auth_file(scratch), scratch.state(), extra=extra)


def post(server, body, token="intake", **kw):
    return server.call("POST", "/v1/events", body, token=token, **kw)


def started(server, body):
    status, reply, _ = post(server, body)
    assert status == 202, (status, reply)
    return reply["runs"][0]["run_id"]


def approve(server, run_id, who, step="revoke", **vote):
    return server.call("POST", f"/v1/runs/{run_id}/steps/{step}/approval", dict({"approved": True}, **vote), token=who)


def awaiting(server, run_id):
    return server.wait_run(run_id, lambda r: r.get("awaiting") == ["revoke"])


def finished(server, run_id):
    return server.wait_run(run_id, lambda r: r["status"] != "running")


def test_auth_refusals_store_nothing():
    with rs.Scratch() as scratch, serve(scratch, extra=["--dry-run"]) as server:
        body = json.dumps(event("auth-1")).encode()
        assert post(server, None, token=None, raw=body)[0] == 401
        assert post(server, None, token="not-a-token", raw=body)[0] == 401
        assert post(server, None, token=None, raw=body, headers={"Authorization": "Basic abc"})[0] == 401
        assert post(server, None, token="reader", raw=body)[0] == 403
        bad = ss.signature(body, secret="some-other-secret-0123456789")
        assert post(server, None, token=None, raw=body, headers={"X-Writ-Signature": bad})[0] == 401
        stale = ss.signature(body, timestamp=int(time.time()) - 301)
        assert post(server, None, token=None, raw=body, headers={"X-Writ-Signature": stale})[0] == 401
        assert post(server, None, token=None, raw=body, headers={"X-Writ-Signature": "t=1,v1=zz"})[0] == 401
        other = json.dumps(event("auth-2")).encode()  # a signature over another body
        assert post(server, None, token=None, raw=body, headers={"X-Writ-Signature": ss.signature(other)})[0] == 401
        assert ss.run_dirs(scratch.state()) == []
        assert server.call("GET", "/v1/runs")[0] == 401
        assert server.call("GET", "/healthz")[0] == 200  # the only open route
        good = ss.signature(body)
        status, reply, _ = post(server, None, token=None, raw=body, headers={"X-Writ-Signature": good})
        assert status == 202, reply
        status, reply, _ = post(server, None, token=None, raw=body, headers={"X-Writ-Signature": good})
        assert status == 401 and "replayed" in reply["error"], reply
        assert len(ss.run_dirs(scratch.state())) == 1


def test_bad_input_is_refused_with_the_reason():
    with rs.Scratch() as scratch, serve(scratch, extra=["--dry-run"]) as server:
        status, reply, _ = post(server, None, raw=b'{"id": "x", "severity": ')
        assert status == 400 and "body:" in reply["error"], reply
        status, reply, _ = post(server, None, raw=b'{"id": "x", "severity": "critical", "severity": "low"}')
        assert status == 400 and "duplicate key" in reply["error"], reply
        assert post(server, [1, 2])[0] == 400
        status, reply, _ = post(server, event("typed", host_id="-rf /"))
        assert status == 400 and "host_id" in reply["error"], reply
        status, reply, _ = post(server, {"version": "4", "alerts": [{"status": "firing", "labels": {"a": 1}}]})
        assert status == 400 and "Alertmanager" in reply["error"], reply
        status, reply, _ = post(server, None, raw=b"{" + b" " * (1024 * 1024) + b"}")
        assert status == 413 and "larger than" in reply["error"], (status, reply)
        # JSON sent under a form content type: the HTTP library's own 8 KiB form limit, said as JSON.
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        status, reply, _ = post(server, None, raw=json.dumps(event("form", note="n" * 9000)).encode(), headers=form)
        assert status == 413 and "send the JSON as application/json" in reply["error"], (status, reply)
        status, reply, _ = post(server, event("nobody", severity="high"))
        assert status == 422 and reply["unrouted"][0]["event_id"] == "nobody", reply
        assert ss.run_dirs(scratch.state()) == []
        status, reply, _ = server.call("GET", "/v1/intake?status=unrouted", token="reader")
        assert status == 200 and [e["event_id"] for e in reply["intake"]] == ["nobody"], reply
        assert server.call("GET", "/v1/nothing", token="reader")[0] == 404
        assert server.call("GET", "/v1/events", token="admin")[0] == 405


def test_same_event_id_twice_is_one_run():
    with rs.Scratch() as scratch, serve(scratch, extra=["--dry-run"]) as server:
        first = started(server, event("dup-1"))
        status, reply, _ = post(server, event("dup-1"))
        assert status == 200 and reply["runs"][0]["run_id"] == first, reply
        run = awaiting(server, first)
        assert run["duplicates"] == 1 and run["last_seen_at"], run
        assert ss.run_dirs(scratch.state()) == [first]


def test_role_bound_approvals_need_a_quorum_of_distinct_approvers():
    with rs.Scratch() as scratch, serve(scratch, extra=["--dry-run"]) as server:
        run_id = started(server, event("quorum-1"))
        awaiting(server, run_id)
        assert approve(server, run_id, "reader")[0] == 403  # no approve scope
        assert approve(server, run_id, "admin")[0] == 403   # no role the step requires
        status, reply, _ = server.call("POST", f"/v1/runs/{run_id}/steps/revoke/approval", {"approved": True, "who": "x"}, token="ana")
        assert status == 400 and "who" in reply["error"], reply
        assert server.call("GET", f"/v1/runs/{run_id}/steps/revoke/approval", token="ana")[0] == 405  # POST only
        status, reply, _ = approve(server, run_id, "ana")
        assert status == 200 and reply["decided"] is False and reply["uncovered"] == ["legal"], reply
        assert approve(server, run_id, "ana")[0] == 409  # one person answers once
        assert approve(server, run_id, "ana", step="isolate")[0] == 409  # not awaiting
        assert approve(server, run_id, "ana", step="nope")[0] == 404
        status, reply, _ = approve(server, run_id, "bo")
        assert status == 200 and reply["decided"] is True, reply
        run = finished(server, run_id)
        assert run["status"] == "completed", run
        approvers = sorted(a["approver"] for a in run["steps"][2]["approval"]["approvers"])
        assert approvers == ["ana", "bo"], run
        assert approve(server, run_id, "bo")[0] == 409
        journal = rs.verify_journal(scratch.journal(run_id))
        assert [r["data"]["approver"] for r in journal if r["type"] == "approval_vote"] == ["ana", "bo"]


def test_a_refusal_with_rollback_compensates_and_admin_rolls_back_on_demand():
    with rs.Scratch() as scratch, serve(scratch, extra=["--dry-run"]) as server:
        run_id = started(server, event("refuse-1"))
        awaiting(server, run_id)
        status, reply, _ = approve(server, run_id, "bo", approved=False, rollback=True, reason="false positive")
        assert status == 200 and reply["decided"] is True, reply
        run = finished(server, run_id)
        assert run["status"] == "rolled_back", run
        other = started(server, event("rollback-2"))
        awaiting(server, other)
        assert server.call("POST", f"/v1/runs/{other}/rollback", token="admin")[0] == 409  # not finished
        approve(server, other, "ana")
        approve(server, other, "bo")
        assert finished(server, other)["status"] == "completed"
        assert server.call("POST", f"/v1/runs/{other}/rollback", token="reader")[0] == 403
        assert server.call("POST", f"/v1/runs/{other}/rollback", token="admin")[0] == 202
        assert server.wait_run(other, lambda r: r["status"] == "rolled_back")["status"] == "rolled_back"
        assert server.call("POST", f"/v1/runs/{other}/rollback", token="admin")[0] == 409


def test_approval_timeout_refuses():
    with rs.Scratch() as scratch, serve(scratch, approval="2s", extra=["--dry-run"]) as server:
        run_id = started(server, event("timeout-1"))
        run = finished(server, run_id)
        assert run["status"] == "halted_by_approval" and "timed out" in run["steps"][2]["error"], run


def slow_edr(delay, calls):
    def respond(request):
        calls.append((request.json()["action"], request.headers.get("Idempotency-Key")))
        time.sleep(delay)
        return 200, {"ok": True}
    return respond


def test_queue_full_answers_429_with_retry_after():
    calls = []
    with rs.Scratch() as scratch, rs.Service(slow_edr(1.0, calls)) as edr:
        connectors = scratch.connectors(edr.url("/act"))
        with serve(scratch, extra=["--connectors", connectors, "--workers", "1", "--queue", "1"]) as server:
            statuses = [post(server, event(f"q-{i}")) for i in range(4)]
            codes = [s for s, _, _ in statuses]
            assert 429 in codes and codes[0] == 202, codes
            refused = next(h for s, _, h in statuses if s == 429)
            assert refused.get("Retry-After") == "1", refused


def test_unrouted_event_is_replayed_after_sighup_adds_a_runbook():
    with rs.Scratch() as scratch, serve(scratch, extra=["--dry-run"]) as server:
        status, reply, _ = post(server, event("late-1", severity="low"))
        assert status == 422, reply
        intake_id = reply["unrouted"][0]["intake_id"]
        assert server.call("POST", f"/v1/intake/{intake_id}/replay", token="reader")[0] == 403
        assert server.call("POST", f"/v1/intake/{intake_id}/replay", token="admin")[0] == 422  # still unroutable
        scratch.write("runbooks/broken.writ", "runbook broken {\n  severity low\n  step a = no_such_action()\n}\n")
        server.proc.send_signal(signal.SIGHUP)
        time.sleep(1.5)  # a set with errors is refused: the old one keeps serving
        assert server.call("POST", f"/v1/intake/{intake_id}/replay", token="admin")[0] == 422
        os.remove(scratch.path / "runbooks" / "broken.writ")
        scratch.write("runbooks/low.writ", LOW)
        server.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 20
        while time.time() < deadline:
            status, reply, _ = server.call("POST", f"/v1/intake/{intake_id}/replay", token="admin")
            if status == 202:
                break
            time.sleep(0.2)
        assert status == 202, reply
        run = finished(server, reply["runs"][0]["run_id"])
        assert run["status"] == "completed" and run["runbook"] == "low_triage", run
        assert server.call("POST", f"/v1/intake/{intake_id}/replay", token="admin")[0] == 409
        assert server.call("GET", "/v1/intake?status=unrouted", token="reader")[1]["intake"] == []
        _, err = server.stop()
        assert "reload refused" in err and "reloaded" in err, err


def test_sigterm_drains_and_a_restart_resumes_without_repeating_effects():
    calls = []
    with rs.Scratch() as scratch, rs.Service(slow_edr(1.5, calls)) as edr:
        connectors = scratch.connectors(edr.url("/act"))
        runbook = rs.containment().replace("approve ciso, legal within 5s", "rollback enable_credentials")
        runbook = runbook.replace("revoke_active_sessions(target: event.user_id)", "disable_compromised_credentials(target: event.user_id)")
        server = serve(scratch, extra=["--connectors", connectors], runbook=runbook)
        run_id = started(server, event("drain-1"))
        deadline = time.time() + 10
        while not calls and time.time() < deadline:
            time.sleep(0.05)
        code, err = server.stop(signal.SIGTERM)
        assert code == 0, err
        records = rs.verify_journal(scratch.journal(run_id))
        assert not any(r["type"] == "run_finished" for r in records)
        assert records[-1]["type"] in ("step_finished", "connector_result"), records[-1]
        with ss.Server(W, str(scratch.path / "runbooks"), str(scratch.path / "auth.yaml"), scratch.state(),
                       extra=["--connectors", connectors]) as again:
            run = finished(again, run_id)
            assert run["status"] == "completed", run
        actions = [a for a, _ in calls]
        assert len(actions) == len(set(k for _, k in calls)) == 4, calls  # each effect once


def test_kill_9_right_after_202_loses_nothing():
    calls = []
    with rs.Scratch() as scratch, rs.Service(slow_edr(0.5, calls)) as edr:
        connectors = scratch.connectors(edr.url("/act"))
        server = serve(scratch, approval="5m", extra=["--connectors", connectors])
        run_id = started(server, event("crash-1"))
        server.kill()  # SIGKILL: no drain
        with ss.Server(W, str(scratch.path / "runbooks"), str(scratch.path / "auth.yaml"), scratch.state(),
                       extra=["--connectors", connectors]) as again:
            awaiting(again, run_id)
            approve(again, run_id, "ana")
            approve(again, run_id, "bo")
            assert finished(again, run_id)["status"] == "completed"
            keys = [k for _, k in calls]  # an in-flight call is re-sent with its key, nothing twice under new keys
            assert len(set(keys)) == 4, calls


def test_a_waiting_step_is_announced_and_reminded_once_through_the_approval_request_route():
    with rs.Scratch() as scratch, rs.Service(lambda request: (200, {"ok": True})) as hook:
        connectors = scratch.write("connectors.yaml", f"""connectors:
  hook: {{type: http, url: "{hook.url('/hook')}", timeout_seconds: 5}}
routes: {{approval_request: hook, "*": dry-run}}
""")
        with serve(scratch, approval="4s", extra=["--connectors", connectors, "--public-url", "https://writ.example"]) as server:
            run_id = started(server, event("announce-1"))
            run = finished(server, run_id)  # nobody answers: the approval times out
            assert run["status"] == "halted_by_approval", run
        sent = [r.json() for r in hook.seen()]
        assert [m["action"] for m in sent] == ["approval_request", "approval_request"], sent
        first, reminder = sent[0]["args"], sent[1]["args"]
        assert first["type"] == "approval_request" and "reminder" not in first, first
        assert first["url"] == f"https://writ.example/v1/runs/{run_id}" and first["step"] == "revoke", first
        assert first["required_roles"] == ["ciso", "legal"] and first["expires_at"], first
        assert first["context"]["event"]["id"] == "announce-1", first
        assert reminder["reminder"] is True and reminder["url"] == first["url"], reminder
        records = rs.verify_journal(scratch.journal(run_id))
        assert [r["data"]["reminder"] for r in records if r["type"] == "approval_announced"] == [False, True]


def test_metrics_pass_promtool_and_readyz():
    with rs.Scratch() as scratch, serve(scratch, extra=["--dry-run"]) as server:
        run_id = started(server, event("m-1"))
        awaiting(server, run_id)
        post(server, event("m-1"))
        status, text, headers = server.call("GET", "/metrics", token="reader")
        assert status == 200 and headers["Content-Type"].startswith("text/plain"), headers
        for series in ('writ_runs{mode="tabletop",status="unfinished"} 1', "writ_queue_depth 0", 'writ_events_total{result="duplicate"} 1'):
            assert series in text, text
        check = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True, timeout=60)
        assert check.returncode == 0, check.stdout + check.stderr
        assert server.call("GET", "/metrics", token="intake")[0] == 403
        status, reply, _ = server.call("GET", "/readyz", token="reader")
        assert status == 200 and reply == {"runbooks_loaded": True, "store_writable": True}, reply
        status, reply, _ = server.call("GET", "/v1/runs?status=running", token="reader")
        assert [r["run_id"] for r in reply["runs"]] == [run_id], reply
        assert server.call("GET", "/v1/runs?status=completed", token="reader")[1]["runs"] == []


def test_bad_setup_refuses_to_start():
    with rs.Scratch() as scratch:
        scratch.write("runbooks/containment.writ", rs.containment())
        runbooks = str(scratch.path / "runbooks")
        auth = scratch.write("auth.yaml", "tokens:\n  - {name: a, token_sha256: " + "0" * 64 + ", scopes: [approve], roles: [cisoo]}\n")
        proc = wrt.run(W, "serve", runbooks, "--auth", auth, "--store", scratch.state(), "--listen", f"127.0.0.1:{ss.free_port()}")
        assert proc.returncode == 2 and "auth.yaml:2:" in proc.stderr and "unknown role `cisoo`" in proc.stderr, proc.stderr
        auth = scratch.write("auth.yaml", "tokens:\n  - {name: a, token_sha256: abc, scopes: [read]}\n")
        proc = wrt.run(W, "serve", runbooks, "--auth", auth, "--store", scratch.state())
        assert proc.returncode == 2 and "64 hex digits" in proc.stderr, proc.stderr
        auth = scratch.write("auth.yaml", "tokens:\n  - {name: a, token_sha256: " + "0" * 64 + ", scopes: [reed]}\n")
        proc = wrt.run(W, "serve", runbooks, "--auth", auth, "--store", scratch.state())
        assert proc.returncode == 2 and "did you mean `read`" in proc.stderr, proc.stderr
        ok = ss.auth_file(scratch, hmac_signer=False)
        proc = wrt.run(W, "serve", runbooks, "--auth", ok, "--store", "postgresql://x@127.0.0.1/writ")
        assert proc.returncode == 2 and "PostgreSQL" in proc.stderr, proc.stderr
        proc = wrt.run(W, "serve", runbooks, "--auth", ok, "--listen", "nowhere")
        assert proc.returncode == 2 and "HOST:PORT" in proc.stderr, proc.stderr
        scratch.write("runbooks/broken.writ", "runbook broken {\n  severity low\n  step a = no_such_action()\n}\n")
        proc = wrt.run(W, "serve", runbooks, "--auth", ok, "--store", scratch.state())
        assert proc.returncode == 1 and "unknown-action" in proc.stderr, proc.stderr


if __name__ == "__main__":
    wrt.main([test_auth_refusals_store_nothing, test_bad_input_is_refused_with_the_reason, test_same_event_id_twice_is_one_run,
              test_role_bound_approvals_need_a_quorum_of_distinct_approvers,
              test_a_refusal_with_rollback_compensates_and_admin_rolls_back_on_demand, test_approval_timeout_refuses,
              test_queue_full_answers_429_with_retry_after, test_unrouted_event_is_replayed_after_sighup_adds_a_runbook,
              test_sigterm_drains_and_a_restart_resumes_without_repeating_effects, test_kill_9_right_after_202_loses_nothing,
              test_a_waiting_step_is_announced_and_reminded_once_through_the_approval_request_route,
              test_metrics_pass_promtool_and_readyz, test_bad_setup_refuses_to_start])
