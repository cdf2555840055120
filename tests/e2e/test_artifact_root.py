"""`writ run --dry-run --artifact-root DIR`: a tabletop reads the runbook's artifact paths from a
staged host image instead of the real host, with every confinement rule still applied to the
paths as the runbook names them; a live run refuses the option. The bundled critical runbook
runs this way, as scripts/main.sh does."""
import hashlib
import json
import os
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import run_support as rs  # noqa: E402
import wrt  # noqa: E402

A = wrt.args()
W = A.writ
SRC = pathlib.Path(A.source)
ARTIFACTS = ["/var/forensics/host_snapshot.mem", "/var/forensics/network_connections.log",
             "/var/forensics/disk_image.raw"]
ONE = """runbook one {
  title "One"
  severity low
  step snap = notify_ciso_and_legal(channels: [slack]) {
    preserve "/var/forensics/host_snapshot.mem"
  }
}
"""


def stage(host, paths=ARTIFACTS):
    for artifact in paths:
        target = host / artifact.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(f"staged {artifact}\n")


def tabletop(scratch, runbook, *extra):
    event = str(SRC / "runbooks/events/critical.json")
    if runbook.endswith(".writ"):
        event = scratch.write("low.json", dict(rs.EVENT, severity="low"))
    return wrt.run(W, "run", runbook, "--event", event, "--dry-run",
                   "--approvals", str(SRC / "runbooks/approvals/tabletop.json"), "--evidence",
                   str(scratch.path / "evidence"), "--state", scratch.state(), "--format", "json", *extra, timeout=90)


def custody(scratch):
    lines = (scratch.path / "evidence" / "custody.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_the_bundled_critical_runbook_collects_from_the_staged_image():
    with rs.Scratch() as scratch:
        host = scratch.path / "host"
        stage(host)
        proc = tabletop(scratch, str(SRC / "runbooks"), "--artifact-root", str(host))
        assert proc.returncode == 0, proc.stderr
        log = json.loads(proc.stdout)
        assert log["status"] == "completed"
        assert sorted(e["artifact"] for e in log["evidence"]) == sorted(ARTIFACTS)
        records = custody(scratch)
        assert sorted(r["artifact"] for r in records) == sorted(ARTIFACTS)  # the runbook's paths
        staged = {a: (host / a.lstrip("/")).read_bytes() for a in ARTIFACTS}
        for record in records:
            assert record["sha256"] == hashlib.sha256(staged[record["artifact"]]).hexdigest()
        assert wrt.run(W, "evidence", "verify", str(scratch.path / "evidence")).returncode == 0
        start = rs.verify_journal(scratch.journal(log["run_id"]))[0]
        assert start["data"]["evidence_roots"]["host_root"] == str(host.resolve())


def test_a_live_run_refuses_the_option():
    with rs.Scratch() as scratch:
        host = scratch.path / "host"
        stage(host)
        rb = scratch.write("one.writ", ONE)
        event = scratch.write("low.json", dict(rs.EVENT, severity="low"))
        proc = wrt.run(W, "run", rb, "--event", event, "--artifact-root",
                       str(host), "--state", scratch.state())
        assert proc.returncode == 2, proc
        assert f"--artifact-root {host}: a staged host image is for tabletop exercises and needs --dry-run" in proc.stderr
        assert not (scratch.path / "state" / "runs").exists()


def test_a_missing_or_non_directory_root_is_a_usage_error():
    with rs.Scratch() as scratch:
        rb = scratch.write("one.writ", ONE)
        for root in (scratch.path / "absent", pathlib.Path(scratch.write("file", "x"))):
            proc = tabletop(scratch, rb, "--artifact-root", str(root))
            assert proc.returncode == 2, proc
            assert f"--artifact-root {root}:" in proc.stderr


def test_a_symlink_in_the_image_is_not_followed():
    with rs.Scratch() as scratch:
        host = scratch.path / "host"
        (host / "var").mkdir(parents=True)
        outside = scratch.path / "outside"
        stage(outside, ["/forensics/host_snapshot.mem"])
        os.symlink(outside / "forensics", host / "var" / "forensics")  # a parent that leads out
        rb = scratch.write("one.writ", ONE)
        proc = tabletop(scratch, rb, "--artifact-root", str(host))
        assert proc.returncode == 1, proc
        assert "is a symbolic link; refusing to follow it" in proc.stdout + proc.stderr
        assert not (scratch.path / "evidence" / "custody.jsonl").exists() or custody(scratch) == []


def test_the_policy_roots_still_confine_the_runbook_paths():
    with rs.Scratch() as scratch:
        host = scratch.path / "host"
        stage(host)
        rb = scratch.write("one.writ", ONE)
        default = (SRC / "stdlib" / "policy.writ").read_text()
        policy = scratch.write("policy.writ", default.replace("policy default {", 'policy strict {\n  evidence_roots "/srv/evidence"'))
        proc = tabletop(scratch, rb, "--artifact-root", str(host), "--policy", policy)
        assert proc.returncode == 1, proc
        assert "/var/forensics/host_snapshot.mem" in proc.stdout + proc.stderr
        assert "outside the evidence roots" in proc.stdout + proc.stderr


def test_resume_keeps_the_runs_own_root():
    with rs.Scratch() as scratch:
        proc = wrt.run(W, "run", "--resume", "20261127T080000Z-0000", "--artifact-root", str(scratch.path),
                       "--state", scratch.state())
        assert proc.returncode == 2 and "run --resume keeps the run's own --artifact-root" in proc.stderr, proc


if __name__ == "__main__":
    wrt.main([test_the_bundled_critical_runbook_collects_from_the_staged_image,
              test_a_live_run_refuses_the_option,
              test_a_missing_or_non_directory_root_is_a_usage_error,
              test_a_symlink_in_the_image_is_not_followed,
              test_the_policy_roots_still_confine_the_runbook_paths,
              test_resume_keeps_the_runs_own_root])
