"""Crash and resume (DESIGN §9): a test SIGKILLs `writ run` while a connector call is in
flight; `writ run --resume` completes the run from the journal alone. The fake EDR proves
that no completed step ran twice and that the in-flight call was re-sent with the same
idempotency key. Corrupt journals are refused with a clear error."""
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
    rollback restore_network_segment
  }
  step notify = notify_ciso_and_legal(channels: [slack])
}
"""


class HoldingEdr:
    """Answers 200, except that the first call of `hold` waits (bounded) until released."""

    def __init__(self, hold):
        self.hold = hold
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.held = False
        self.lock = threading.Lock()
        self.service = rs.Service(self.respond)

    def respond(self, request):
        with self.lock:
            first = request.json()["action"] == self.hold and not self.held
            self.held = self.held or first
        if first:
            self.arrived.set()
            self.release.wait(30)
        return 200, {"ok": True}

    def close(self):
        self.release.set()
        self.service.close()


def start_and_kill(scratch, edr):
    """Starts a run, SIGKILLs it while `edr.hold` is in flight; returns the run id."""
    rb = scratch.write("chain.writ", CHAIN)
    ev = scratch.write("event.json", rs.EVENT)
    connectors = scratch.connectors(edr.service.url("/act"))
    proc = subprocess.Popen([W, "run", rb, "--event", ev, "--state", scratch.state(), "--connectors", connectors,
                             "--format", "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, NO_COLOR="1"))
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr], daemon=True).start()
    try:
        first = lines.get(timeout=60)
        assert first.startswith("run ") and first.strip().endswith(" started"), first
        assert edr.arrived.wait(60), "the held call never arrived"
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        proc.stdout.close()
    edr.release.set()
    return first.split()[1]


def resume(scratch, run_id, *extra):
    return wrt.run(W, "run", "--resume", run_id, "--state", scratch.state(), "--format", "json", *extra, timeout=90)


def test_sigkill_mid_call_then_resume_completes_without_repeating():
    with rs.Scratch() as scratch:
        edr = HoldingEdr("isolate_network_segment")
        try:
            run_id = start_and_kill(scratch, edr)
            records = rs.verify_journal(scratch.journal(run_id))
            assert records[-1]["type"] == "connector_call" and records[-1]["data"]["step"] == "segment"
            assert not any(r["type"] == "run_finished" for r in records)
            in_flight_key = records[-1]["data"]["idempotency_key"]

            proc = resume(scratch, run_id)
            assert proc.returncode == 0, proc.stderr + proc.stdout
            assert f"run {run_id} resumed" in proc.stderr
            log = json.loads(proc.stdout)
            assert log["status"] == "completed" and log["run_id"] == run_id
            assert [(s["step"], s["status"]) for s in log["steps"]] == [
                ("isolate", "executed"), ("disable", "executed"), ("segment", "executed"), ("notify", "executed")]
            assert log["steps"][2]["attempts"] == 2

            calls = rs.connector_calls(edr.service)
            assert [a for a, _ in calls] == ["isolate_host", "disable_compromised_credentials", "isolate_network_segment",
                                             "isolate_network_segment", "notify_ciso_and_legal"]
            assert calls[2][1] == calls[3][1] == in_flight_key  # re-sent with the same key
            records = rs.verify_journal(scratch.journal(run_id))
            assert [r["type"] for r in records].count("run_resumed") == 1
            assert records[-1]["type"] == "run_finished" and records[-1]["data"]["status"] == "completed"

            again = resume(scratch, run_id)
            assert again.returncode == 0 and "already finished (completed)" in again.stderr
            assert len(rs.connector_calls(edr.service)) == 5
        finally:
            edr.close()


def test_a_crashed_run_must_be_resumed_before_rollback():
    with rs.Scratch() as scratch:
        edr = HoldingEdr("disable_compromised_credentials")
        try:
            run_id = start_and_kill(scratch, edr)
            proc = wrt.run(W, "rollback", run_id, "--state", scratch.state(), timeout=60)
            assert proc.returncode == 1 and "has not finished" in proc.stderr and "--resume" in proc.stderr
        finally:
            edr.close()


def test_torn_last_line_is_dropped_on_resume():
    with rs.Scratch() as scratch:
        edr = HoldingEdr("isolate_network_segment")
        try:
            run_id = start_and_kill(scratch, edr)
            with open(scratch.journal(run_id), "a") as journal:
                journal.write('{"at":"2026-11-27T08:00:0')  # a write cut short by the crash
            proc = resume(scratch, run_id)
            assert proc.returncode == 0, proc.stderr
            assert "dropped an unfinished last line" in proc.stderr
            rs.verify_journal(scratch.journal(run_id))
        finally:
            edr.close()


def test_corrupt_journal_is_refused():
    with rs.Scratch() as scratch:
        edr = HoldingEdr("isolate_network_segment")
        try:
            run_id = start_and_kill(scratch, edr)
            path = scratch.journal(run_id)
            lines = path.read_text().splitlines()
            altered = lines[2].replace('"isolate_host"', '"restore_host"')  # connector_call of isolate
            assert altered != lines[2]
            lines[2] = altered
            path.write_text("\n".join(lines) + "\n")
            calls = len(edr.service.seen())
            for argv in (["run", "--resume", run_id], ["rollback", run_id]):
                proc = wrt.run(W, *argv, "--state", scratch.state(), timeout=60)
                assert proc.returncode == 1, proc.stderr
                assert "corrupt journal" in proc.stderr and "journal.jsonl:3:" in proc.stderr, proc.stderr
            assert len(edr.service.seen()) == calls
            lines = path.read_text().splitlines()
            del lines[1]
            path.write_text("\n".join(lines) + "\n")
            proc = resume(scratch, run_id)
            assert proc.returncode == 1 and "seq 3 where 2 was expected" in proc.stderr, proc.stderr
        finally:
            edr.close()


def test_resume_usage_errors():
    with rs.Scratch() as scratch:
        proc = resume(scratch, "../../etc")
        assert proc.returncode == 2 and "is not a run id" in proc.stderr
        proc = resume(scratch, "20261127T080000Z-deadbeef")
        assert proc.returncode == 2 and "no run 20261127T080000Z-deadbeef" in proc.stderr
        proc = wrt.run(W, "rollback", "20261127T080000Z-deadbeef", "--state", scratch.state(), timeout=60)
        assert proc.returncode == 2


def test_changed_connectors_file_needs_to_be_named():
    with rs.Scratch() as scratch:
        edr = HoldingEdr("isolate_network_segment")
        try:
            run_id = start_and_kill(scratch, edr)
            connectors = scratch.path / "connectors.yaml"
            connectors.write_text(connectors.read_text() + "# edited\n")
            proc = resume(scratch, run_id)
            assert proc.returncode == 1 and "changed since the run started" in proc.stderr
            proc = resume(scratch, run_id, "--connectors", str(connectors))
            assert proc.returncode == 0, proc.stderr
        finally:
            edr.close()


if __name__ == "__main__":
    wrt.main([
        test_sigkill_mid_call_then_resume_completes_without_repeating,
        test_a_crashed_run_must_be_resumed_before_rollback,
        test_torn_last_line_is_dropped_on_resume,
        test_corrupt_journal_is_refused,
        test_resume_usage_errors,
        test_changed_connectors_file_needs_to_be_named,
    ])
