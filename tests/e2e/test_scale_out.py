"""Scale-out (DESIGN §15) end to end: several `writ serve` processes on one real PostgreSQL 15
(started here on loopback in a temporary directory, torn down afterwards). Events posted to
any node are deduplicated across nodes; any node lists the same runs and takes approvals; a
node killed with SIGKILL mid-step has its runs finished by the others once its lease expires,
with no completed step repeated (only the in-flight call, re-sent with its idempotency key);
a database restart mid-run loses and duplicates nothing; while the database is down, requests
answer 503 and /readyz fails."""
import collections
import json
import pathlib
import sys
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import pg_support  # noqa: E402
import run_support as rs  # noqa: E402
import serve_support as ss  # noqa: E402
import wrt  # noqa: E402

A = wrt.args()
W = A.writ
LEASE = "2s"  # a dead node's runs are taken over after about lease + lease/2


class Cluster:
    """A database, an EDR connector recording every call, and `nodes` writ serve processes."""

    def __init__(self, scratch, nodes, respond=None, approval="5m"):
        self.scratch = scratch
        self.pg = pg_support.Cluster().init().start()
        self.dsn = self.pg.createdb("writ")
        self.edr = rs.Service(respond or (lambda request: (200, {"status": "ok"})))
        scratch.write("runbooks/containment.writ", rs.containment(approval))
        self.connectors = scratch.connectors(self.edr.url("/act"))
        self.auth = ss.auth_file(scratch)
        self.nodes = [self.start_node() for _ in range(nodes)]

    def start_node(self):
        extra = ["--connectors", self.connectors, "--evidence", str(self.scratch.path / "evidence"), "--lease", LEASE]
        return ss.Server(W, str(self.scratch.path / "runbooks"), self.auth, self.dsn, extra=extra)

    def close(self):
        for node in self.nodes:
            node.kill()
        self.edr.close()
        self.pg.destroy()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def event(event_id):
    return dict(rs.EVENT, id=event_id)


def post(node, body):
    return node.call("POST", "/v1/events", body, token="intake")


def approve(node, run_id, who):
    return node.call("POST", f"/v1/runs/{run_id}/steps/revoke/approval", {"approved": True}, token=who)


def finished(node, run_id, timeout=60):
    """The run once it has finished; a 503 (the database restarting) is asked again."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        status, run, _ = node.call("GET", f"/v1/runs/{run_id}", token="reader")
        assert status in (200, 503), (status, run)
        if status == 200 and run["status"] != "running":
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not finish in {timeout} s")


def approve_when_waiting(node, run_id):
    node.wait_run(run_id, lambda r: r.get("awaiting") == ["revoke"])
    for who in ("ana", "bo"):
        status, reply, _ = approve(node, run_id, who)
        assert status == 200, (status, reply)


def calls_by_step(edr):
    """(run_id, step) -> [idempotency keys], of every call the connector received."""
    out = collections.defaultdict(list)
    for request in edr.seen():
        if request.method == "POST":
            body = request.json()
            out[(body["run_id"], body["step"])].append(request.headers.get("Idempotency-Key"))
    return out


def test_events_are_deduplicated_across_nodes_and_every_node_sees_every_run():
    with rs.Scratch() as scratch, Cluster(scratch, 3) as c:
        replies = [None] * 3
        threads = [threading.Thread(target=lambda i=i: replies.__setitem__(i, post(c.nodes[i], event("dup-1")))) for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = sorted(r[0] for r in replies)
        assert statuses == [200, 200, 202], replies
        run_ids = {r[1]["runs"][0]["run_id"] for r in replies}
        assert len(run_ids) == 1, replies
        run_id = run_ids.pop()
        # Accepted by one node, approved through another, read on the third.
        approve_when_waiting(c.nodes[1], run_id)
        run = finished(c.nodes[2], run_id)
        assert run["status"] == "completed", run
        assert run["duplicates"] == 2, run
        listings = [node.call("GET", "/v1/runs", token="reader")[1]["runs"] for node in c.nodes]
        assert all(sorted(r["run_id"] for r in listing) == [run_id] for listing in listings), listings
        assert all(len(keys) == 1 for keys in calls_by_step(c.edr).values()), calls_by_step(c.edr)


def test_a_node_killed_mid_step_has_its_runs_finished_by_the_others():
    gate = threading.Event()

    def respond(request):
        if request.json().get("action") == "disable_compromised_credentials" and not gate.is_set():
            gate.wait(20)  # the first call stays in flight until its node is dead
        return 200, {"status": "ok"}

    with rs.Scratch() as scratch, Cluster(scratch, 3, respond=respond) as c:
        victim, survivors = c.nodes[0], c.nodes[1:]
        status, reply, _ = post(victim, event("kill-1"))
        assert status == 202, reply
        run_id = reply["runs"][0]["run_id"]
        deadline = time.time() + 20
        while "disable_compromised_credentials" not in rs.actions(c.edr) and time.time() < deadline:
            time.sleep(0.05)
        assert "disable_compromised_credentials" in rs.actions(c.edr), rs.connector_calls(c.edr)
        victim.kill()  # SIGKILL mid-step: no drain, its lease simply stops being renewed
        gate.set()
        killed_at = time.time()
        approve_when_waiting(survivors[0], run_id)
        run = finished(survivors[1], run_id)
        taken_over_in = time.time() - killed_at
        assert run["status"] == "completed", run
        steps = calls_by_step(c.edr)
        assert len(steps[(run_id, "isolate")]) == 1, steps  # completed before the kill: never repeated
        disable = steps[(run_id, "disable")]  # in flight at the kill: re-sent with the same key
        assert len(disable) == 2 and disable[0] == disable[1], steps
        assert len(steps[(run_id, "revoke")]) == 1 and len(steps[(run_id, "notify")]) == 1, steps
        print(f"  taken over and finished {taken_over_in:.1f} s after the kill (lease {LEASE})")


def test_a_database_restart_mid_run_loses_and_duplicates_nothing():
    def respond(request):
        time.sleep(0.2)  # slow enough that the restart lands mid-run
        return 200, {"status": "ok"}

    with rs.Scratch() as scratch, Cluster(scratch, 2, respond=respond, approval="5m") as c:
        run_ids = []
        for i in range(4):
            status, reply, _ = post(c.nodes[i % 2], event(f"restart-{i}"))
            assert status == 202, reply
            run_ids.append(reply["runs"][0]["run_id"])
        time.sleep(0.3)
        c.pg.stop()
        status, reply, _ = post(c.nodes[0], event("while-down"))
        assert status == 503, (status, reply)
        assert c.nodes[1].call("GET", "/readyz", token="reader")[0] == 503
        time.sleep(1.0)
        c.pg.start()
        deadline = time.time() + 30
        while c.nodes[0].call("GET", "/readyz", token="reader")[0] != 200 and time.time() < deadline:
            time.sleep(0.2)
        status, reply, _ = post(c.nodes[0], event("while-down"))  # nothing of the refused attempt was kept
        assert status == 202, (status, reply)
        run_ids.append(reply["runs"][0]["run_id"])
        for run_id in run_ids:
            approve_when_waiting(c.nodes[1], run_id)
        for run_id in run_ids:
            assert finished(c.nodes[0], run_id)["status"] == "completed"
        steps = calls_by_step(c.edr)
        for run_id in run_ids:  # every step reached the connector; a call in flight at the restart at most twice, same key
            for step in ("isolate", "disable", "revoke", "notify"):
                keys = steps[(run_id, step)]
                assert 1 <= len(keys) <= 2 and len(set(keys)) == 1, (run_id, step, steps)
        listing = c.nodes[1].call("GET", "/v1/runs", token="reader")[1]["runs"]
        assert sorted(r["run_id"] for r in listing) == sorted(run_ids), listing


def test_writ_run_resume_and_metrics_on_the_database():
    with rs.Scratch() as scratch:
        pg = pg_support.Cluster().init().start()
        try:
            dsn = pg.createdb("writ")
            rb = scratch.write("rb.writ", rs.containment("5s"))
            ev = scratch.write("event.json", rs.EVENT)
            proc = wrt.run(W, "run", rb, "--event", ev, "--dry-run", "--state", dsn)
            assert proc.returncode == 2 and "--evidence" in proc.stderr, proc  # where would evidence go?
            approvals = scratch.write("approvals.json", {"revoke": {"approved": True, "approvers": [
                {"approver": "a", "role": "ciso"}, {"approver": "b", "role": "legal"}]}})
            proc = wrt.run(W, "run", rb, "--event", ev, "--dry-run", "--approvals", approvals, "--state", dsn,
                           "--evidence", str(scratch.path / "evidence"), "--format", "json")
            assert proc.returncode == 0, proc.stdout + proc.stderr
            run_id = json.loads(proc.stdout)["run_id"]
            proc = wrt.run(W, "run", "--resume", run_id, "--state", dsn)
            assert proc.returncode == 0 and "already finished" in proc.stderr, proc
            rows = pg.psql("writ", f"SELECT count(*) FROM writ_journal WHERE run_id = '{run_id}'").stdout.strip()
            assert int(rows) > 5, rows
            proc = wrt.run(W, "metrics", dsn)
            assert proc.returncode == 0, proc
            assert json.loads(proc.stdout)["tabletop"]["runs_total"] == 1, proc.stdout
        finally:
            pg.destroy()


def test_a_schema_newer_than_the_binary_is_refused():
    with rs.Scratch() as scratch:
        pg = pg_support.Cluster().init().start()
        try:
            dsn = pg.createdb("writ")
            proc = wrt.run(W, "metrics", dsn)
            assert proc.returncode == 0, proc
            assert pg.psql("writ", "INSERT INTO writ_schema (version) VALUES (99)").returncode == 0
            proc = wrt.run(W, "metrics", dsn)
            assert proc.returncode == 2 and "newer than this writ knows" in proc.stderr, proc
            proc = wrt.run(W, "metrics", "postgresql://writ:pw@127.0.0.1:1/writ")
            assert proc.returncode == 2 and "***" in proc.stderr and ":pw@" not in proc.stderr, proc
        finally:
            pg.destroy()


if __name__ == "__main__":
    wrt.main([test_events_are_deduplicated_across_nodes_and_every_node_sees_every_run,
              test_a_node_killed_mid_step_has_its_runs_finished_by_the_others,
              test_a_database_restart_mid_run_loses_and_duplicates_nothing,
              test_writ_run_resume_and_metrics_on_the_database,
              test_a_schema_newer_than_the_binary_is_refused])
