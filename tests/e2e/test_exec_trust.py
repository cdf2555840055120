"""Hostile event data against exec connectors (DESIGN §13, issue 11 findings 1, 2 and 10), with
the real binary: an event value never becomes an option or a truncated argument, a NUL never
gets past the event or the runbook, and no process an exec connector starts outlives its step.
Every refusal is checked to happen before any effect (nothing written, no journal)."""
import json
import os
import pathlib
import signal
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import run_support as rs  # noqa: E402
import wrt  # noqa: E402

A = wrt.args()
W = A.writ

DISABLE = """
runbook disable {
  title    "Disable"
  severity critical
  step disable = disable_compromised_credentials(target: event.user_account) {
    rollback enable_credentials
  }
  step notify = notify_ciso_and_legal(channels: [slack])
}
"""

# Records its argv and exits 0; the file it appends to shows whether it ran at all.
RECORDER = """import json, sys
with open(sys.argv[1], "a") as out:
    out.write(json.dumps(sys.argv[2:]) + "\\n")
"""


def run(scratch, *extra, event, runbook=DISABLE, name="runbook.writ"):
    rb = scratch.write(name, runbook)
    ev = scratch.write("event.json", event)
    return wrt.run(W, "run", rb, "--event", ev, "--state", scratch.state(), "--format", "json", *extra, timeout=90)


def exec_connectors(scratch, argv, routes='disable_compromised_credentials: jump, "*": dry-run', extra="", timeout=20):
    quoted = ", ".join(json.dumps(a) for a in argv)
    return scratch.write("connectors.yaml", f"""connectors:
  jump: {{type: exec, argv: [{quoted}], timeout_seconds: {timeout}{extra}}}
routes: {{{routes}}}
""")


def no_run_started(scratch, proc):
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == "", proc.stdout
    assert "started" not in proc.stderr
    assert not (scratch.path / "state" / "runs").exists()


def test_option_injection_is_refused_before_the_first_step():
    # Finding 1: argv ["/usr/bin/sort", "{{args.target}}"] with "-o/some/path" made sort write it.
    with rs.Scratch() as scratch:
        target = scratch.path / "written-by-sort"
        connectors = exec_connectors(scratch, ["/usr/bin/sort", "{{args.target}}"])
        proc = run(scratch, "--connectors", connectors, event=dict(rs.EVENT, user_account=f"-o{target}"))
        no_run_started(scratch, proc)
        assert "the run cannot start" in proc.stderr
        assert ("step `disable`: connector `jump` refuses action `disable_compromised_credentials`: "
                f"argv[1] `{{{{args.target}}}}` renders to \"-o{target}\", which starts with `-`") in proc.stderr
        assert not target.exists()


def test_a_host_that_looks_like_an_option_is_not_a_hostname():
    with rs.Scratch() as scratch:
        target = scratch.path / "written-by-sort"
        runbook = DISABLE.replace("disable_compromised_credentials(target: event.user_account)",
                                  "isolate_host(target: event.host_id)").replace("enable_credentials", "restore_host")
        connectors = exec_connectors(scratch, ["/usr/bin/sort", "{{args.target}}"], routes='"*": jump')
        proc = run(scratch, "--connectors", connectors, event=dict(rs.EVENT, host_id=f"-o{target}"), runbook=runbook)
        no_run_started(scratch, proc)
        assert f"field `host_id`: \"-o{target}\" is not a hostname or IP address" in proc.stderr
        assert not target.exists()


def test_literal_options_and_allow_leading_dash_pass_values_through():
    with rs.Scratch() as scratch:
        script = scratch.write("recorder.py", RECORDER)
        calls = scratch.path / "calls.jsonl"
        argv = ["/usr/bin/python3", script, str(calls), "--user={{args.target}}"]
        proc = run(scratch, "--connectors", exec_connectors(scratch, argv), event=dict(rs.EVENT, user_account="-o/x"))
        assert proc.returncode == 0, proc.stderr
        assert [json.loads(line) for line in calls.read_text().splitlines()] == [["--user=-o/x"]]
        calls.unlink()
        argv = ["/usr/bin/python3", script, str(calls), "{{args.target}}"]
        connectors = exec_connectors(scratch, argv, extra=", allow_leading_dash: true")
        proc = run(scratch, "--connectors", connectors, event=dict(rs.EVENT, user_account="-o/x"))
        assert proc.returncode == 0, proc.stderr
        assert [json.loads(line) for line in calls.read_text().splitlines()] == [["-o/x"]]
        bad = scratch.write("bad.yaml", "connectors:\n  edr: {type: http, url: \"https://e.example\", allow_leading_dash: true}\n")
        proc = run(scratch, "--connectors", bad, event=rs.EVENT)
        assert proc.returncode == 1 and "bad.yaml:2:8: connector `edr`: `allow_leading_dash` belongs to type exec" in proc.stderr


def test_a_rollback_routed_later_is_refused_at_call_time():
    # `writ rollback` may name another connectors file: the call-time check is the same function.
    with rs.Scratch() as scratch:
        target = scratch.path / "written-by-sort"
        event = dict(rs.EVENT, user_account=f"-o{target}")
        proc = run(scratch, event=event)  # no --connectors: everything goes to dry-run
        assert proc.returncode == 0, proc.stderr
        run_id = rs.run_id_of(proc)
        connectors = exec_connectors(scratch, ["/usr/bin/sort", "{{args.target}}"], routes='"*": jump')
        back = wrt.run(W, "rollback", run_id, "--state", scratch.state(), "--format", "json", "--connectors", connectors,
                       timeout=90)
        assert back.returncode == 1, back.stderr
        log = json.loads(back.stdout)
        assert log["status"] == "rollback_incomplete"
        assert not target.exists()
        records = rs.verify_journal(scratch.journal(run_id))
        results = [r["data"] for r in records if r["type"] == "connector_result" and r["data"]["phase"] == "rollback"]
        assert results and all(r["detail"] == "not started" and r["error"].startswith("refused: argv[1]") for r in results)


def test_nul_in_an_event_is_refused_naming_the_field():
    # Finding 2: "abc\u0000def" reached the argv as "abc" while the journal held all of it.
    with rs.Scratch() as scratch:
        script = scratch.write("recorder.py", RECORDER)
        calls = scratch.path / "calls.jsonl"
        connectors = exec_connectors(scratch, ["/usr/bin/python3", script, str(calls), "{{args.target}}"])
        proc = run(scratch, "--connectors", connectors, event=dict(rs.EVENT, user_account="abc\u0000def"))
        no_run_started(scratch, proc)
        assert "field `user_account`: holds a NUL character (U+0000)" in proc.stderr
        proc = run(scratch, "--connectors", connectors, event=dict(rs.EVENT, extra={"notes": ["ok", "x\u0000"]}))
        no_run_started(scratch, proc)
        assert "field `extra.notes[1]`: holds a NUL character" in proc.stderr
        assert not calls.exists()


def test_nul_in_a_runbook_is_a_check_error():
    with rs.Scratch() as scratch:
        yaml_runbook = """playbooks:
  critical:
    id: nul
    name: "NUL"
    steps:
      - action: disable_compromised_credentials
        target: "{{event.user_account}}\\0-o/tmp/x"
        rollback: enable_credentials
"""
        proc = run(scratch, event=rs.EVENT, runbook=yaml_runbook, name="nul.yaml")
        no_run_started(scratch, proc)
        assert "nul.yaml:7:40: error[syntax]: a NUL character (U+0000) is not allowed in a runbook" in proc.stderr
        dsl = DISABLE.replace('"Disable"', '"Dis\\u0000able"')
        proc = run(scratch, event=rs.EVENT, runbook=dsl)
        no_run_started(scratch, proc)
        assert "runbook.writ:3:17: error[syntax]: `\\u0000` (NUL) is not allowed in a string" in proc.stderr


ESCAPER = """/usr/bin/setsid /bin/sh -c 'echo $$ >> "$1"; exec /bin/sleep 60' sh "$1" &
while [ ! -s "$1" ]; do /bin/sleep 0.01; done
exec /bin/sleep "$2"
"""


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def escapee_pids(path):
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def test_a_child_that_escapes_with_setsid_does_not_outlive_its_step():
    # Finding 10: a double fork into a new session used to survive the step (and writ).
    with rs.Scratch() as scratch:
        script = scratch.write("escaper.sh", ESCAPER)
        pids = scratch.path / "pids"
        try:
            connectors = exec_connectors(scratch, ["/bin/sh", script, str(pids), "0"])
            proc = run(scratch, "--connectors", connectors, event=rs.EVENT)
            assert proc.returncode == 0, proc.stderr
            (pid,) = escapee_pids(pids)
            assert not alive(pid), f"escaped child {pid} outlived its step"
            records = rs.verify_journal(scratch.journal(rs.run_id_of(proc)))
            details = [r["data"]["detail"] for r in records if r["type"] == "connector_result"]
            assert "exit 0 (1 escaped descendant process killed)" in details, details
            # The same when the step times out (the leader outlives timeout_seconds).
            pids.unlink()
            connectors = exec_connectors(scratch, ["/bin/sh", script, str(pids), "60"], timeout=1)
            proc = run(scratch, "--connectors", connectors, event=rs.EVENT)
            assert proc.returncode == 1, proc.stderr
            log = json.loads(proc.stdout)
            assert log["status"] == "failed" and "timed out" in log["steps"][0]["error"]
            for pid in escapee_pids(pids):
                assert not alive(pid), f"escaped child {pid} outlived its timed-out step"
        finally:
            for pid in escapee_pids(pids):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


if __name__ == "__main__":
    wrt.main([
        test_option_injection_is_refused_before_the_first_step,
        test_a_host_that_looks_like_an_option_is_not_a_hostname,
        test_literal_options_and_allow_leading_dash_pass_values_through,
        test_a_rollback_routed_later_is_refused_at_call_time,
        test_nul_in_an_event_is_refused_naming_the_field,
        test_nul_in_a_runbook_is_a_check_error,
        test_a_child_that_escapes_with_setsid_does_not_outlive_its_step,
    ])
