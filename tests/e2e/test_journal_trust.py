"""Journal integrity against someone who can write the state directory (issue 11, findings 6, 9
and 11; DESIGN §13 "Journal integrity", docs/journal.md "Guarantees and limits").

Each test reproduces an attack with the real binary and loopback services and shows the refusal:
a journal cut back at a record boundary (resume would repeat completed effects), a keyed journal
rewritten and re-hashed to turn a refusal into an approval, a 1 MiB event rendered into 40 steps
(the journal must stay readable, in bounded memory), a FIFO as the journal or its head, and a
second writ process on a run that is in use."""
import fcntl
import hashlib
import hmac
import json
import os
import pathlib
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import run_support as rs  # noqa: E402
import wrt  # noqa: E402

A = wrt.args()
W = str(pathlib.Path(A.writ).resolve())
QUORUM = {"approved": True, "approvals": [{"approver": "ana", "role": "ciso"}, {"approver": "bo", "role": "legal"}]}
MIB = 1024 * 1024


def edr_ok(_request):
    return 200, {"ok": True}


def head_path(journal):
    return pathlib.Path(journal).with_suffix(".head")


def lines_of(journal):
    return pathlib.Path(journal).read_text().splitlines(True)


def head_for(lines, key=None):
    """The journal.head writ writes after `lines` (docs/journal.md), with a MAC when keyed."""
    last = json.loads(lines[-1]) if lines else {"seq": 0, "hash": "0" * 64}
    head = {"hash": last["hash"], "seq": last["seq"], "size": len("".join(lines).encode())}
    if key is not None:
        head["key_id"] = hmac.new(key, b"writ journal key id", hashlib.sha256).hexdigest()[:16]
        head["mac"] = hmac.new(key, rs.canonical(head).encode(), hashlib.sha256).hexdigest()
    return rs.canonical(head) + "\n"


def rehash(records):
    """Re-chains and re-hashes records as someone without the key can: hash and prev are
    recomputed, any MAC is kept as it was (the attacker cannot make a new one)."""
    prev, out = "0" * 64, []
    for record in records:
        record = dict(record, prev=prev)
        body = {k: v for k, v in record.items() if k not in ("hash", "mac")}
        record["hash"] = prev = hashlib.sha256(rs.canonical(body).encode()).hexdigest()
        out.append(rs.canonical(record) + "\n")
    return out


def make_key(scratch, name="journal.key", fill=b"k"):
    path = scratch.path / name
    path.write_bytes(fill * 32)
    path.chmod(0o600)
    return str(path)


def run_containment(scratch, edr, gate, *extra):
    rb = scratch.write("containment.writ", rs.containment())
    ev = scratch.write("event.json", rs.EVENT)
    connectors = scratch.connectors(edr.url("/act"))
    proc = wrt.run(W, "run", rb, "--event", ev, "--state", scratch.state(), "--connectors", connectors,
                   "--approvals", gate.url("/approve"), "--format", "json", *extra, timeout=90)
    return proc, rs.run_id_of(proc)


def metrics(scratch, *extra):
    return wrt.run(W, "metrics", scratch.state(), *extra, timeout=60)


def resume(scratch, run_id, *extra):
    return wrt.run(W, "run", "--resume", run_id, "--state", scratch.state(), "--format", "json", *extra, timeout=90)


def rollback(scratch, run_id, *extra):
    return wrt.run(W, "rollback", run_id, "--state", scratch.state(), "--format", "json", *extra, timeout=90)


def test_a_journal_cut_at_a_record_boundary_is_refused():
    """Finding 6.1: a completed run's journal cut after the first step's successful result
    made --resume repeat every later effect (the irreversible revoke included)."""
    with rs.Scratch() as scratch, rs.Service(edr_ok) as edr, rs.Service(lambda r: (200, QUORUM)) as gate:
        proc, run_id = run_containment(scratch, edr, gate)
        assert proc.returncode == 0, proc.stderr
        journal = scratch.journal(run_id)
        lines = lines_of(journal)
        cut = next(i for i, line in enumerate(lines) if json.loads(line)["type"] == "connector_result")
        journal.write_text("".join(lines[:cut + 1]))  # the chain still holds: only the head tells
        calls, asked = len(edr.seen()), len(gate.seen())
        for proc in (resume(scratch, run_id), rollback(scratch, run_id)):
            assert proc.returncode == 1, proc.stderr
            assert "corrupt journal, refusing to continue" in proc.stderr, proc.stderr
            assert "records were removed from its end" in proc.stderr and "A crash cannot do this" in proc.stderr
        proc = metrics(scratch)
        assert proc.returncode == 1 and "records were removed from its end" in proc.stderr, proc.stderr
        assert json.loads(proc.stdout)["runs_total"] == 0
        assert (len(edr.seen()), len(gate.seen())) == (calls, asked)  # nothing repeated, nobody re-asked


def test_a_journal_moved_to_another_run_is_refused():
    with rs.Scratch() as scratch, rs.Service(edr_ok) as edr, rs.Service(refusing_gate) as gate:
        proc, run_id = run_containment(scratch, edr, gate)
        elsewhere = scratch.journal("20261127T080000Z-deadbeef")
        shutil.copytree(scratch.journal(run_id).parent, elsewhere.parent)
        proc = rollback(scratch, "20261127T080000Z-deadbeef")
        assert proc.returncode == 1, proc.stderr
        assert f"the journal is run {run_id}'s, not run 20261127T080000Z-deadbeef's" in proc.stderr, proc.stderr


def test_a_deleted_head_is_refused_as_tampering():
    with rs.Scratch() as scratch, rs.Service(edr_ok) as edr, rs.Service(lambda r: (200, QUORUM)) as gate:
        proc, run_id = run_containment(scratch, edr, gate)
        head_path(scratch.journal(run_id)).unlink()
        proc = rollback(scratch, run_id)
        assert proc.returncode == 1 and "journal.head: missing" in proc.stderr, proc.stderr
        assert "a crash cannot remove it" in proc.stderr


class HoldingEdr:
    """Answers 200, except that the first call of step `hold` waits (bounded) until released."""

    def __init__(self, hold):
        self.hold, self.held = hold, False
        self.arrived, self.release = threading.Event(), threading.Event()
        self.lock = threading.Lock()
        self.service = rs.Service(self.respond)

    def respond(self, request):
        with self.lock:
            first = request.json()["step"] == self.hold and not self.held
            self.held = self.held or first
        if first:
            self.arrived.set()
            self.release.wait(60)
        return 200, {"ok": True}

    def close(self):
        self.release.set()
        self.service.close()


def run_and_kill(scratch, edr, runbook, event, *extra):
    """Starts a run, SIGKILLs it while `edr.hold` is in flight; returns the run id."""
    connectors = scratch.connectors(edr.service.url("/act"))
    proc = subprocess.Popen([W, "run", runbook, "--event", event, "--state", scratch.state(), "--connectors", connectors,
                             *extra], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, NO_COLOR="1"))
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr], daemon=True).start()
    try:
        first = lines.get(timeout=120)
        assert first.startswith("run ") and first.strip().endswith(" started"), first
        assert edr.arrived.wait(120), "the held call never arrived"
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    edr.release.set()
    return first.split()[1]


def test_a_crash_between_the_append_and_the_head_is_accepted():
    """The one thing a crash can leave past the head: a single complete record."""
    with rs.Scratch() as scratch:
        edr = HoldingEdr("revoke")
        try:
            rb = scratch.write("containment.writ", rs.containment())
            ev = scratch.write("event.json", rs.EVENT)
            with rs.Service(lambda r: (200, QUORUM)) as gate:
                run_id = run_and_kill(scratch, edr, rb, ev, "--approvals", gate.url("/approve"))
                journal = scratch.journal(run_id)
                lines = lines_of(journal)
                assert json.loads(lines[-1])["type"] == "connector_call"
                assert head_path(journal).read_text() == head_for(lines)
                head_path(journal).write_text(head_for(lines[:-1]))  # the head one record behind
                proc = resume(scratch, run_id)
                assert proc.returncode == 0, proc.stderr
                assert "journal.head was one record behind" in proc.stderr
                assert head_path(journal).read_text() == head_for(lines_of(journal))
                # Two records past the head is not what a crash leaves.
                lines = lines_of(journal)
                head_path(journal).write_text(head_for(lines[:-2]))
                proc = rollback(scratch, run_id)
                assert proc.returncode == 1 and "2 complete record(s) after the last one" in proc.stderr, proc.stderr
        finally:
            edr.close()


def refusing_gate(_request):
    return 200, {"approved": False, "reason": "not yet"}


def forge_approval(journal, key_bytes=None):
    """Turns the refusal of `revoke` into an approval and drops what followed it: the chain is
    re-hashed and the head rewritten (with a MAC only if the attacker has the key)."""
    records = [json.loads(line) for line in lines_of(journal)]
    cut = next(i for i, r in enumerate(records) if r["type"] == "approval_decided")
    records = records[:cut + 1]
    records[-1]["data"].update(approved=True, reason="", approvers=QUORUM["approvals"])
    lines = rehash(records)
    journal.write_text("".join(lines))
    head_path(journal).write_text(head_for(lines, key_bytes))


def test_a_keyed_journal_rewritten_and_rehashed_is_refused():
    """Finding 6.2: a refusal rewritten into an approval, the chain and head re-hashed."""
    with rs.Scratch() as scratch, rs.Service(edr_ok) as edr, rs.Service(refusing_gate) as gate:
        key = make_key(scratch)
        proc, run_id = run_containment(scratch, edr, gate, "--journal-key", key)
        assert proc.returncode == 1 and json.loads(proc.stdout)["status"] == "halted_by_approval"
        journal = scratch.journal(run_id)
        records = rs.verify_journal(journal)
        key_id = hmac.new(b"k" * 32, b"writ journal key id", hashlib.sha256).hexdigest()[:16]
        assert records[0]["data"]["journal_key_id"] == key_id
        for line in lines_of(journal):  # an auditor's check of every MAC
            record = json.loads(line)
            body = {k: v for k, v in record.items() if k not in ("hash", "mac")}
            assert record["mac"] == hmac.new(b"k" * 32, rs.canonical(body).encode(), hashlib.sha256).hexdigest()
        saved = journal.read_text(), head_path(journal).read_text()
        calls = rs.actions(edr)

        forge_approval(journal)  # re-hashed, head without a MAC: an unkeyed journal now
        proc = resume(scratch, run_id, "--journal-key", key)
        assert proc.returncode == 1 and "carries no MACs" in proc.stderr and "MACs were stripped" in proc.stderr, proc.stderr

        journal.write_text(saved[0])
        head_path(journal).write_text(saved[1])
        forge_approval(journal, b"x" * 32)  # a head MACed with the attacker's own key
        proc = resume(scratch, run_id, "--journal-key", key)
        assert proc.returncode == 1 and f"written with journal key id" in proc.stderr and key_id in proc.stderr, proc.stderr

        journal.write_text(saved[0])
        head_path(journal).write_text(saved[1])
        records = [json.loads(line) for line in lines_of(journal)]
        cut = next(i for i, r in enumerate(records) if r["type"] == "approval_decided")
        records[cut]["data"]["approved"] = True
        lines = rehash(records)  # the old MACs kept, the head untouched
        journal.write_text("".join(lines))
        proc = resume(scratch, run_id, "--journal-key", key)
        assert proc.returncode == 1 and f"journal.jsonl:{cut + 1}: MAC does not match" in proc.stderr, proc.stderr
        assert rs.actions(edr) == calls  # revoke never ran


def test_keyed_journals_need_their_key():
    with rs.Scratch() as scratch, rs.Service(edr_ok) as edr, rs.Service(refusing_gate) as gate:
        key = make_key(scratch)
        connectors_with_key = scratch.write("keyed.yaml", pathlib.Path(scratch.connectors(edr.url("/act"))).read_text()
                                            + f"journal_key: {key}\n")
        rb = scratch.write("containment.writ", rs.containment())
        ev = scratch.write("event.json", rs.EVENT)
        proc = wrt.run(W, "run", rb, "--event", ev, "--state", scratch.state(), "--connectors", connectors_with_key,
                       "--approvals", gate.url("/approve"), timeout=90)
        run_id = rs.run_id_of(proc)
        assert json.loads(lines_of(scratch.journal(run_id))[0])["mac"]  # keyed through the connectors file
        # Without the key, it cannot be continued: writ would append unkeyed records.
        proc = rollback(scratch, run_id)
        assert proc.returncode == 1 and "the journal is keyed (journal key id" in proc.stderr, proc.stderr
        assert "--journal-key" in proc.stderr
        # Another key is named as such.
        other = make_key(scratch, "other.key", b"o")
        proc = rollback(scratch, run_id, "--journal-key", other)
        assert proc.returncode == 1 and "but the key given" in proc.stderr, proc.stderr
        # The key from the connectors file named on the command line works.
        proc = rollback(scratch, run_id, "--connectors", connectors_with_key)
        assert proc.returncode == 0, proc.stderr
        # metrics reads it without the key, and says the MACs were not checked.
        proc = metrics(scratch)
        assert proc.returncode == 0 and "its MACs were not checked" in proc.stderr, proc.stderr
        proc = metrics(scratch, "--journal-key", key)
        assert proc.returncode == 0 and "not checked" not in proc.stderr, proc.stderr
        assert json.loads(proc.stdout)["runs_total"] == 1
        proc = metrics(scratch, "--journal-key", other)
        assert proc.returncode == 1 and "but the key given" in proc.stderr, proc.stderr
        # A key given for an unkeyed journal: refused, or MACs could be stripped unnoticed.
        plain = rs.Scratch()
        with plain:
            proc, plain_id = run_containment(plain, edr, gate)
            proc = wrt.run(W, "rollback", plain_id, "--state", plain.state(), "--journal-key", key, timeout=60)
            assert proc.returncode == 1 and "carries no MACs" in proc.stderr, proc.stderr


def test_unusable_key_files_are_usage_errors():
    with rs.Scratch() as scratch:
        rb = scratch.write("containment.writ", rs.containment())
        ev = scratch.write("event.json", rs.EVENT)
        weak = make_key(scratch)
        os.chmod(weak, 0o644)
        short = scratch.path / "short.key"
        short.write_bytes(b"k" * 16)
        short.chmod(0o600)
        fifo = scratch.path / "fifo.key"
        os.mkfifo(fifo, 0o600)
        for key, why in ((weak, "accessible by group or others (mode 0644)"), (str(short), "at least 32 bytes"),
                         (str(fifo), "is a FIFO, not a regular file")):
            proc = wrt.run(W, "run", rb, "--event", ev, "--dry-run", "--state", scratch.state(), "--journal-key", key,
                           timeout=20)
            assert proc.returncode == 2 and why in proc.stderr, proc.stderr
        assert not (scratch.path / "state" / "runs").exists()  # refused before the run started
        proc = metrics(scratch, "--journal-key", weak)
        assert proc.returncode == 2 and "chmod 600" in proc.stderr


def run_measured(*argv, timeout=240):
    """Runs writ; returns (returncode, stdout, stderr, peak RSS in bytes) — the child's own
    rusage, as getrusage(RUSAGE_CHILDREN) reports it for one child."""
    proc = subprocess.Popen([W, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, NO_COLOR="1"))
    out = {}
    readers = [threading.Thread(target=lambda n=n, s=s: out.__setitem__(n, s.read()), daemon=True)
               for n, s in (("out", proc.stdout), ("err", proc.stderr))]
    for t in readers:
        t.start()
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        assert time.monotonic() < deadline, f"writ {argv[0]} did not finish in {timeout} s"
        time.sleep(0.05)
    for t in readers:
        t.join(30)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, out["out"], out["err"], usage.ru_maxrss * 1024


def test_a_1mib_event_in_40_steps_keeps_the_journal_readable_in_bounded_memory():
    """Finding 6.3: the args were copied into every connector_call (81 MiB journal, 348 MiB
    RSS) and rollback, --resume and metrics refused the journal as too large."""
    steps = "\n".join(f"  step s{i} = notify_vendor(vendor: event.user_account, channels: [slack])" for i in range(40))
    with rs.Scratch() as scratch:
        rb = scratch.write("big.writ", f'runbook big {{\n  title "Big"\n  severity critical\n{steps}\n}}\n')
        event = dict(rs.EVENT, user_account="")
        event["user_account"] = "u" * (MIB - len(json.dumps(event)) - 16)
        ev = scratch.write("event.json", event)
        assert MIB - 64 < os.path.getsize(ev) <= MIB
        edr = HoldingEdr("s20")
        try:
            run_id = run_and_kill(scratch, edr, rb, ev)
        finally:
            edr.close()
        edr = rs.Service(edr_ok)
        try:
            connectors = scratch.connectors(edr.url("/act"), name="connectors-now.yaml")
            code, out, err, rss = run_measured("run", "--resume", run_id, "--state", scratch.state(), "--format", "json",
                                               "--connectors", connectors)
            assert code == 0, err
            assert json.loads(out)["status"] == "completed"
            sent = [r.json() for r in edr.seen()]
            assert [b["step"] for b in sent] == [f"s{i}" for i in range(20, 40)]  # the in-flight one re-sent, no more
            assert all(b["args"]["vendor"] == event["user_account"] for b in sent)
        finally:
            edr.close()
        journal = scratch.journal(run_id)
        records = rs.verify_journal(journal)
        sizes = sorted(len(line) for line in lines_of(journal))
        # The event and the plan once (run_started), every later record small.
        assert sizes[-1] > 40 * MIB and sizes[-2] < 4096, sizes[-3:]
        assert not any("args" in r["data"] for r in records if r["type"] == "connector_call")
        assert journal.stat().st_size < 44 * MIB
        bound = 64 * MIB + 5 * sizes[-1]
        assert wrt.SANITIZED or rss < bound, f"--resume peaked at {rss // MIB} MiB (bound {bound // MIB})"
        for argv in (["rollback", run_id, "--state", scratch.state(), "--connectors", connectors],
                     ["metrics", scratch.state()]):
            code, out, err, rss = run_measured(*argv)
            assert code == 0, f"{argv[0]}: {err}"
            assert wrt.SANITIZED or rss < bound, f"{argv[0]} peaked at {rss // MIB} MiB (bound {bound // MIB})"
        assert json.loads(out)["runs_total"] == 1


def test_a_plan_over_max_plan_bytes_is_refused_before_any_effect():
    steps = "\n".join(f"  step s{i} = notify_vendor(vendor: event.user_account, channels: [slack])" for i in range(70))
    with rs.Scratch() as scratch, rs.Service(edr_ok) as edr:
        rb = scratch.write("huge.writ", f'runbook huge {{\n  title "Huge"\n  severity critical\n{steps}\n}}\n')
        event = dict(rs.EVENT, user_account="u" * (MIB - 1024))
        ev = scratch.write("event.json", event)
        proc = wrt.run(W, "run", rb, "--event", ev, "--state", scratch.state(), "--connectors",
                       scratch.connectors(edr.url("/act")), timeout=120)
        assert proc.returncode == 1, proc.stderr
        assert "runbook `huge`: the plan rendered for this event reaches" in proc.stderr, proc.stderr
        assert "max_plan_bytes" in proc.stderr
        assert edr.seen() == [] and not (scratch.path / "state" / "runs").exists()


def test_a_fifo_as_journal_or_head_is_refused_at_once():
    """Finding 9 (journal half): never opened for reading, never waited on; exit 2."""
    with rs.Scratch() as scratch, rs.Service(edr_ok) as edr, rs.Service(lambda r: (200, QUORUM)) as gate:
        proc, run_id = run_containment(scratch, edr, gate)
        journal = scratch.journal(run_id)
        for victim in (journal, head_path(journal)):
            saved = victim.read_bytes()
            victim.unlink()
            os.mkfifo(victim, 0o600)
            for proc in (resume(scratch, run_id), rollback(scratch, run_id), metrics(scratch)):
                assert proc.returncode == 2, proc.stderr
                assert f"{victim}: is a FIFO, not a regular file" in proc.stderr, proc.stderr
            victim.unlink()
            victim.write_bytes(saved)
        assert rollback(scratch, run_id).returncode == 0


def test_a_second_writ_on_a_run_in_use_is_told_so():
    """Finding 11: a concurrent --resume was refused as a "corrupt journal"."""
    with rs.Scratch() as scratch, rs.Service(edr_ok) as edr, rs.Service(refusing_gate) as gate:
        proc, run_id = run_containment(scratch, edr, gate)
        with open(scratch.journal(run_id), "rb") as held:
            fcntl.flock(held, fcntl.LOCK_EX)  # what a running writ holds
            for proc in (resume(scratch, run_id), rollback(scratch, run_id)):
                assert proc.returncode == 1, proc.stderr
                assert f"run {run_id} is in use by another writ process" in proc.stderr, proc.stderr
                assert "corrupt" not in proc.stderr
        assert rollback(scratch, run_id).returncode == 0


if __name__ == "__main__":
    wrt.main([
        test_a_journal_cut_at_a_record_boundary_is_refused,
        test_a_journal_moved_to_another_run_is_refused,
        test_a_deleted_head_is_refused_as_tampering,
        test_a_crash_between_the_append_and_the_head_is_accepted,
        test_a_keyed_journal_rewritten_and_rehashed_is_refused,
        test_keyed_journals_need_their_key,
        test_unusable_key_files_are_usage_errors,
        test_a_1mib_event_in_40_steps_keeps_the_journal_readable_in_bounded_memory,
        test_a_plan_over_max_plan_bytes_is_refused_before_any_effect,
        test_a_fifo_as_journal_or_head_is_refused_at_once,
        test_a_second_writ_on_a_run_in_use_is_told_so,
    ])
