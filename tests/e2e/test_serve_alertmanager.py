"""A real Prometheus Alertmanager (Debian `prometheus-alertmanager`, scripts/deps.sh) sends its
webhook to `writ serve` with bearer auth (http_config.authorization), as docs/serve.md
configures it: a fired alert becomes exactly one run, the run waits for approval, a reader
token cannot approve, two role-bound tokens complete it. Both services run on loopback ports
and are stopped by the test."""
import json
import pathlib
import shutil
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import run_support as rs  # noqa: E402
import serve_support as ss  # noqa: E402
import wrt  # noqa: E402

A = wrt.args()
W = A.writ
SOURCE = pathlib.Path(A.source)
ALERT = {"labels": {"alertname": "Ransomware", "severity": "critical", "host_id": "ws-042", "user_id": "jdoe",
                    "user_account": "jdoe", "segment_id": "seg-finance"},
         "annotations": {"impact": "ransomware", "host_id": "annotations-never-override-labels"}}


def alertmanager_config(writ_url, token):
    return f"""route:
  receiver: writ
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: writ
    webhook_configs:
      - url: "{writ_url}/v1/events"
        send_resolved: false
        http_config:
          authorization: {{type: Bearer, credentials: "{token}"}}
"""


class Alertmanager:
    def __init__(self, scratch, writ_url):
        binary = shutil.which("prometheus-alertmanager")
        assert binary, "prometheus-alertmanager is not installed (scripts/deps.sh installs it)"
        self.port = ss.free_port()
        config = scratch.write("alertmanager.yml", alertmanager_config(writ_url, ss.TOKENS["intake"][0]))
        self.proc = subprocess.Popen([binary, f"--config.file={config}", f"--storage.path={scratch.path / 'am'}",
                                      f"--web.listen-address=127.0.0.1:{self.port}", "--cluster.listen-address="],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 30
        while time.time() < deadline:
            assert self.proc.poll() is None, f"alertmanager exited: {self.proc.stderr.read()}"
            try:
                if urllib.request.urlopen(self.url + "/-/ready", timeout=2).status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("alertmanager not ready within 30 s")

    def fire(self, alerts):
        req = urllib.request.Request(self.url + "/api/v2/alerts", data=json.dumps(alerts).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        assert urllib.request.urlopen(req, timeout=10).status == 200

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()


def wait_for_runs(server, count, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        runs = server.call("GET", "/v1/runs", token="reader")[1]["runs"]
        if len(runs) >= count:
            return runs
        time.sleep(0.2)
    raise AssertionError(f"fewer than {count} runs after {timeout} s")


def test_a_fired_alert_becomes_one_run_that_two_approvers_complete():
    with rs.Scratch() as scratch:
        scratch.write("runbooks/containment.writ", rs.containment("10m"))
        with ss.Server(W, str(scratch.path / "runbooks"), ss.auth_file(scratch), scratch.state(), extra=["--dry-run"]) as server:
            am = Alertmanager(scratch, server.url)
            try:
                am.fire([ALERT])
                runs = wait_for_runs(server, 1)
                am.fire([ALERT])  # the same alert again: Alertmanager keeps it as one, writ dedupes any resend
                time.sleep(3)
                runs = server.call("GET", "/v1/runs", token="reader")[1]["runs"]
                assert len(runs) == 1, runs
                run_id = runs[0]["run_id"]
                assert runs[0]["runbook"] == "containment" and "-" in runs[0]["event_id"], runs
                run = server.wait_run(run_id, lambda r: r.get("awaiting") == ["revoke"])
                journal = rs.verify_journal(scratch.journal(run_id))
                fields = json.loads(journal[0]["data"]["event_text"])
                assert fields["host_id"] == "ws-042" and fields["impact"] == "ransomware", fields
                fingerprint, _, starts_at = fields["id"].partition("-")  # fingerprint + "-" + startsAt
                assert len(fingerprint) == 16 and starts_at == fields["detected_at"], fields
                vote = {"approved": True}
                path = f"/v1/runs/{run_id}/steps/revoke/approval"
                assert server.call("POST", path, vote, token="reader")[0] == 403
                assert server.call("POST", path, vote, token="ana")[0] == 200
                assert server.call("POST", path, vote, token="bo")[0] == 200
                run = server.wait_run(run_id, lambda r: r["status"] != "running")
                assert run["status"] == "completed", run
                assert len(ss.run_dirs(scratch.state())) == 1
            finally:
                am.stop()


def test_the_gdpr_clock_of_an_alert_is_pending_then_met():
    with rs.Scratch() as scratch:
        scratch.write("runbooks/data_exposure.writ", (SOURCE / "runbooks" / "data_exposure.writ").read_text())
        with ss.Server(W, str(scratch.path / "runbooks"), ss.auth_file(scratch), scratch.state(), extra=["--dry-run"]) as server:
            am = Alertmanager(scratch, server.url)
            try:
                am.fire([{"labels": {"alertname": "Exfiltration", "severity": "high", "host_id": "db-007"}}])
                run_id = wait_for_runs(server, 1)[0]["run_id"]
                run = server.wait_run(run_id, lambda r: r.get("awaiting") == ["image"])
                clocks = {d["obligation"]: d for d in run["deadlines"]}
                assert clocks["gdpr.authority"]["status"] == "pending" and clocks["gdpr.authority"]["met_at"] is None, clocks
                assert clocks["gdpr.authority"]["citation"], clocks
                metrics = server.call("GET", "/metrics", token="reader")[1]
                assert 'writ_obligations{status="pending"} 1' in metrics, metrics
                assert server.call("POST", f"/v1/runs/{run_id}/steps/image/approval", {"approved": True}, token="ana")[0] == 200
                run = server.wait_run(run_id, lambda r: r["status"] != "running")
                assert run["status"] == "completed", run
                clock = next(d for d in run["deadlines"] if d["obligation"] == "gdpr.authority")
                assert clock["status"] == "met" and clock["met_at"] <= clock["due_at"], clock
                journal = rs.verify_journal(scratch.journal(run_id))
                met = [r["data"] for r in journal if r["type"] == "deadline_met"]
                assert [m["obligation"] for m in met] == ["gdpr.authority"] and met[0]["step"] == "notify_authority", met
            finally:
                am.stop()


if __name__ == "__main__":
    wrt.main([test_a_fired_alert_becomes_one_run_that_two_approvers_complete, test_the_gdpr_clock_of_an_alert_is_pending_then_met])
