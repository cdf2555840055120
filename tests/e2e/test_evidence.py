"""`writ evidence preserve|verify|prove` end to end: the on-disk contract of DESIGN §10 checked
by an independent re-implementation (canonical JSON, record hashes, RFC 6962 root), every kind
of tampering named by `verify`, refused inputs, concurrent writers, and proofs an auditor
checks offline with python3 and the openssl command line."""
import base64
import hashlib
import json
import os
import pathlib
import shutil
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import wrt  # noqa: E402

A = wrt.args()
W = A.writ
ZERO = "0" * 64


# --- an auditor's re-implementation --------------------------------------------------------

def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def record_hash(record):
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(canonical(body).encode()).hexdigest()


def leaf(entry: bytes):
    return hashlib.sha256(b"\x00" + entry).digest()


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(leaves):
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node(mth(leaves[:k]), mth(leaves[k:]))


def verify_inclusion(leaf_hash, index, size, path, root):
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def openssl_verify(pub_pem, message: bytes, signature: bytes, tmp):
    msg, sig = pathlib.Path(tmp, "msg"), pathlib.Path(tmp, "sig")
    msg.write_bytes(message)
    sig.write_bytes(signature)
    proc = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(pub_pem), "-rawin",
                           "-in", str(msg), "-sigfile", str(sig)], capture_output=True, text=True)
    return proc.returncode == 0


# --- fixtures ------------------------------------------------------------------------------

class Workspace:
    def __init__(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="writ-e2e-evidence-")
        self.dir = pathlib.Path(self._tmp.name)
        self.ev = self.dir / "ev"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._tmp.cleanup()

    def artifact(self, name, content: bytes):
        path = self.dir / name
        path.write_bytes(content)
        return path

    def keys(self):
        priv, pub = self.dir / "key.pem", self.dir / "pub.pem"
        subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(priv)], check=True)
        subprocess.run(["openssl", "pkey", "-in", str(priv), "-pubout", "-out", str(pub)], check=True)
        return priv, pub

    def lines(self):
        return (self.ev / "custody.jsonl").read_text().splitlines()

    def set_lines(self, lines):
        (self.ev / "custody.jsonl").write_text("".join(l + "\n" for l in lines))

    def checkpoint(self):
        return json.loads((self.ev / "checkpoint.json").read_text())


def populated(ws, signed=False):
    """Five records over four objects: the fifth collects the first one's content again."""
    extra = []
    if signed:
        priv, pub = ws.keys()
        extra = ["--key", str(priv)]
    files = [ws.artifact(f"artifact{i}.log", f"content {i % 4}\n".encode()) for i in range(5)]
    proc = wrt.run(W, "evidence", "preserve", *map(str, files), "--evidence", str(ws.ev), "--incident", "INC-7",
                   *extra)
    assert proc.returncode == 0, proc
    return (pub if signed else None)


def verify(ws, *extra):
    return wrt.run(W, "evidence", "verify", str(ws.ev), *extra)


def expect_damaged(ws, item, words, *extra):
    proc = verify(ws, *extra)
    assert proc.returncode == 1, proc
    first = proc.stdout.splitlines()[0]
    assert first.startswith(str(ws.ev / item) + ": error: "), proc.stdout
    assert words in first, proc.stdout


def object_path(ws, digest):
    return ws.ev / "objects" / "sha256" / digest[:2] / digest


# --- preserve and the on-disk contract -----------------------------------------------------

def test_preserve_matches_the_contract():
    with Workspace() as ws:
        populated(ws)
        lines = ws.lines()
        assert len(lines) == 5
        prev = ZERO
        for n, line in enumerate(lines, start=1):
            rec = json.loads(line)
            assert canonical(rec) == line
            assert set(rec) == {"seq", "event", "artifact", "sha256", "size", "collected_at", "collector", "run_id",
                                "step", "incident", "prev", "hash"}
            assert rec["seq"] == n and rec["event"] == "collected" and rec["incident"] == "INC-7"
            assert rec["run_id"] is None and rec["step"] is None
            assert rec["collector"]["tool"].startswith("writ ")
            assert rec["collected_at"].endswith("Z") and len(rec["collected_at"]) == 20
            assert rec["prev"] == prev and rec["hash"] == record_hash(rec)
            prev = rec["hash"]
            obj = object_path(ws, rec["sha256"])
            assert hashlib.sha256(obj.read_bytes()).hexdigest() == rec["sha256"]
            assert obj.stat().st_size == rec["size"]
            assert not obj.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
        cp = ws.checkpoint()
        assert cp["size"] == 5 and cp["head"] == prev and cp["signature"] is None
        assert cp["root"] == mth([leaf(l.encode()) for l in lines]).hex()
        objects = [p for p in (ws.ev / "objects").rglob("*") if p.is_file()]
        assert len(objects) == 4  # identical content stored once


def test_verify_intact_and_signed():
    with Workspace() as ws:
        pub = populated(ws, signed=True)
        proc = verify(ws)
        assert proc.returncode == 0, proc
        assert "evidence intact: 5 records, 4 objects" in proc.stdout
        assert "signature present but not checked" in proc.stdout
        proc = verify(ws, "--key", str(pub))
        assert proc.returncode == 0, proc
        assert "checkpoint signature verified" in proc.stdout
        proc, doc = wrt.run_json(W, "evidence", "verify", str(ws.ev), "--format", "json")
        assert doc["status"] == "intact" and doc["records"] == 5 and doc["findings"] == []


def test_verify_copy_records_a_verified_event():
    with Workspace() as ws:
        art = ws.artifact("mem.dump", os.urandom(3 * 1024 * 1024 + 7))
        proc = wrt.run(W, "evidence", "preserve", str(art), "--evidence", str(ws.ev), "--verify-copy",
                       "--run-id", "run-9", "--step", "dump_memory")
        assert proc.returncode == 0, proc
        events = [json.loads(l) for l in ws.lines()]
        assert [e["event"] for e in events] == ["collected", "verified"]
        assert events[1]["run_id"] == "run-9" and events[1]["step"] == "dump_memory"
        assert verify(ws).returncode == 0


# --- refused inputs and usage errors -------------------------------------------------------

def test_symlinks_and_non_regular_files_are_refused():
    with Workspace() as ws:
        real = ws.artifact("real.log", b"x")
        os.symlink(real, ws.dir / "link.log")
        os.mkfifo(ws.dir / "fifo")
        for path, words in [(ws.dir / "link.log", "is a symbolic link; refusing to follow it"),
                            (ws.dir / "fifo", "is a FIFO, not a regular file"),
                            (ws.dir, "is a directory, not a regular file"),
                            (ws.dir / "absent", "No such file or directory")]:
            proc = wrt.run(W, "evidence", "preserve", str(path), "--evidence", str(ws.ev))
            assert proc.returncode == 2, (path, proc)
            assert f"writ: {path}: {words}" in proc.stderr, proc.stderr
        assert not (ws.ev / "custody.jsonl").exists()
        # A mixed batch is checked whole before anything is preserved: the good file is not
        # preserved either, whichever position the bad argument has (a directory, a typo).
        for batch in ([real, ws.dir / "link.log"], [real, ws.dir], [ws.dir / "absent", real]):
            proc = wrt.run(W, "evidence", "preserve", *map(str, batch), "--evidence", str(ws.ev))
            assert proc.returncode == 2, (batch, proc)
            assert "nothing was preserved: 1 of 2 argument(s) refused" in proc.stderr, proc.stderr
            assert proc.stdout == "" and not (ws.ev / "custody.jsonl").exists(), (batch, proc)
        proc = wrt.run(W, "evidence", "preserve", str(real), "--evidence", str(ws.ev))
        assert proc.returncode == 0 and len(ws.lines()) == 1, proc


def test_usage_errors_exit_2():
    with Workspace() as ws:
        populated(ws)
        assert wrt.run(W, "evidence", "preserve", str(ws.dir / "artifact0.log")).returncode == 2  # no --evidence
        assert wrt.run(W, "evidence", "verify", str(ws.dir / "nowhere")).returncode == 2
        assert wrt.run(W, "evidence", "verify", str(ws.dir)).returncode == 2  # not a store
        assert wrt.run(W, "evidence", "prove", str(ws.ev), "xyz").returncode == 2
        bad_key = ws.artifact("bad.pem", b"not a key")
        proc = verify(ws, "--key", str(bad_key))
        assert proc.returncode == 2 and "bad.pem" in proc.stderr, proc
        proc = wrt.run(W, "evidence", "preserve", str(ws.dir / "artifact0.log"), "--evidence", str(ws.ev),
                       "--key", str(bad_key))
        assert proc.returncode == 2, proc


# --- tampering ---------------------------------------------------------------------------

def test_flipped_object_byte_is_named():
    with Workspace() as ws:
        populated(ws)
        digest = json.loads(ws.lines()[2])["sha256"]
        obj = object_path(ws, digest)
        obj.chmod(0o644)
        data = bytearray(obj.read_bytes())
        data[0] ^= 1
        obj.write_bytes(bytes(data))
        expect_damaged(ws, f"objects/sha256/{digest[:2]}/{digest}", "altered: its content hashes to")


def test_deleted_object_is_named():
    with Workspace() as ws:
        populated(ws)
        digest = json.loads(ws.lines()[1])["sha256"]
        object_path(ws, digest).unlink()
        expect_damaged(ws, f"objects/sha256/{digest[:2]}/{digest}", "missing (recorded at custody.jsonl:2)")


def test_deleted_record_is_named():
    with Workspace() as ws:
        populated(ws)
        lines = ws.lines()
        del lines[2]
        ws.set_lines(lines)
        expect_damaged(ws, "custody.jsonl:3", "records missing before this one: seq 3 removed")


def test_reordered_records_are_named():
    with Workspace() as ws:
        populated(ws)
        lines = ws.lines()
        lines[0], lines[1] = lines[1], lines[0]
        ws.set_lines(lines)
        expect_damaged(ws, "custody.jsonl:1", "out of order")


def test_duplicated_record_is_named():
    with Workspace() as ws:
        populated(ws)
        lines = ws.lines()
        lines.insert(4, lines[3])
        ws.set_lines(lines)
        expect_damaged(ws, "custody.jsonl:5", "duplicate of line 4")


def test_truncated_ledger_is_named():
    with Workspace() as ws:
        populated(ws)
        ws.set_lines(ws.lines()[:3])
        expect_damaged(ws, "custody.jsonl", "truncated: checkpoint.json covers 5 records, the ledger holds 3")
        text = (ws.ev / "custody.jsonl").read_text()
        (ws.ev / "custody.jsonl").write_text(text[:-25])  # a torn last record
        expect_damaged(ws, "custody.jsonl:3", "incomplete, no newline")


def test_every_edited_field_is_named():
    edits = {"seq": 7, "event": "exported", "artifact": "/elsewhere", "sha256": "ab" * 32, "size": 0,
             "collected_at": "2001-01-01T00:00:00Z", "collector": {"tool": "x", "host": "y", "user": "z"},
             "run_id": "forged", "step": "forged", "incident": None, "prev": "cd" * 32, "hash": "ef" * 32}
    with Workspace() as ws:
        populated(ws)
        original = ws.lines()
        for field, value in edits.items():
            lines = list(original)
            rec = json.loads(lines[3])
            rec[field] = value
            lines[3] = canonical(rec)
            ws.set_lines(lines)
            expect_damaged(ws, "custody.jsonl:4", "altered: the record's content does not match its hash")
        # Re-hashing the edited record does not hide it: the next record's prev gives it away.
        lines = list(original)
        rec = json.loads(lines[3])
        rec["artifact"] = "/innocent"
        rec["hash"] = record_hash(rec)
        lines[3] = canonical(rec)
        ws.set_lines(lines)
        expect_damaged(ws, "custody.jsonl:4", "altered and re-hashed")


def test_malformed_line_is_named_with_a_reason():
    with Workspace() as ws:
        populated(ws)
        for bad, reason in [("{not json", "malformed record: not valid JSON"),
                            ("[]", "malformed record: a record must be a JSON object"),
                            ("\x00\xff" * 10, "malformed record"),
                            ("x" * 100000, "malformed record: longer than")]:
            lines = ws.lines()
            lines[1] = bad
            ws.set_lines(lines)
            proc = verify(ws)
            assert proc.returncode == 1, proc
            assert proc.stdout.startswith(f"{ws.ev}/custody.jsonl:2: error: {reason}"), proc.stdout[:300]


def test_replaced_checkpoint_is_named():
    with Workspace() as ws, Workspace() as other:
        populated(ws)
        other.artifact("z", b"other store")
        assert wrt.run(W, "evidence", "preserve", str(other.dir / "z"), "--evidence", str(other.ev)).returncode == 0
        shutil.copy(other.ev / "checkpoint.json", ws.ev / "checkpoint.json")
        proc = verify(ws)
        assert proc.returncode == 1, proc
        assert f"{ws.ev}/checkpoint.json: error: root does not match" in proc.stdout, proc.stdout


def test_forged_signature_is_named():
    with Workspace() as ws:
        pub = populated(ws, signed=True)
        cp = ws.checkpoint()
        sig = bytearray(base64.b64decode(cp["signature"]))
        sig[5] ^= 0x10
        cp["signature"] = base64.b64encode(bytes(sig)).decode()
        (ws.ev / "checkpoint.json").write_text(canonical(cp) + "\n")
        expect_damaged(ws, "checkpoint.json", "signature does not verify", "--key", str(pub))
        cp["signature"] = None
        (ws.ev / "checkpoint.json").write_text(canonical(cp) + "\n")
        expect_damaged(ws, "checkpoint.json", "not signed, but a public key was given", "--key", str(pub))


# --- concurrency ---------------------------------------------------------------------------

def test_two_concurrent_preservers_leave_a_valid_ledger():
    with Workspace() as ws:
        batches = [[str(ws.artifact(f"p{p}_{i}", f"{p}:{i}".encode())) for i in range(40)] for p in range(2)]
        procs = [subprocess.Popen([W, "evidence", "preserve", *batch, "--evidence", str(ws.ev), "--run-id", f"run-{p}"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for p, batch in enumerate(batches)]
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
        proc = verify(ws)
        assert proc.returncode == 0, proc.stdout
        assert "80 records, 80 objects" in proc.stdout
        seqs = [json.loads(l)["seq"] for l in ws.lines()]
        assert seqs == list(range(1, 81))


# --- proofs --------------------------------------------------------------------------------

def check_statement(statement, digest, checkpoint_file, pub, tmp):
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["subject"][0]["digest"] == {"sha256": digest}
    pred = statement["predicate"]
    cp = pred["checkpoint"]
    assert {k: cp[k] for k in ("size", "head", "root", "origin")} == \
        {k: checkpoint_file[k] for k in ("size", "head", "root", "origin")}
    root = bytes.fromhex(cp["root"])
    assert cp["text"] == f"{cp['origin']}\n{cp['size']}\n{base64.b64encode(root).decode()}\nwrit-head {cp['head']}\n"
    for entry in pred["custody"]:
        rec = json.loads(entry["line"])
        assert rec["sha256"] == digest and rec["hash"] == record_hash(rec)
        path = [bytes.fromhex(h) for h in entry["inclusion_proof"]]
        assert verify_inclusion(leaf(entry["line"].encode()), entry["leaf_index"], cp["size"], path, root)
    if pub:
        assert openssl_verify(pub, cp["text"].encode(), base64.b64decode(cp["signature"]), tmp)
    return pred


def test_prove_gives_an_offline_checkable_statement():
    with Workspace() as ws:
        pub = populated(ws, signed=True)
        digest = json.loads(ws.lines()[0])["sha256"]  # collected twice: records 1 and 5
        proc, doc = wrt.run_json(W, "evidence", "prove", str(ws.ev), digest.upper())
        assert proc.returncode == 0, proc
        pred = check_statement(doc, digest, ws.checkpoint(), pub, ws.dir)
        assert [e["leaf_index"] for e in pred["custody"]] == [0, 4]

        # --record appends an `exported` record first; --key wraps the statement in DSSE.
        priv = ws.dir / "key.pem"
        proc, env = wrt.run_json(W, "evidence", "prove", str(ws.ev), digest, "--record", "--key", str(priv))
        assert proc.returncode == 0, proc
        assert json.loads(ws.lines()[-1])["event"] == "exported"
        payload = base64.b64decode(env["payload"])
        ptype = env["payloadType"]
        pae = f"DSSEv1 {len(ptype)} {ptype} {len(payload)} ".encode() + payload
        assert openssl_verify(pub, pae, base64.b64decode(env["signatures"][0]["sig"]), ws.dir)
        pred = check_statement(json.loads(payload), digest, ws.checkpoint(), pub, ws.dir)
        assert [e["leaf_index"] for e in pred["custody"]] == [0, 4, 5]
        assert verify(ws, "--key", str(pub)).returncode == 0


def test_prove_unknown_digest_or_damaged_ledger_exits_1():
    with Workspace() as ws:
        populated(ws)
        proc = wrt.run(W, "evidence", "prove", str(ws.ev), "0" * 64)
        assert proc.returncode == 1 and "no custody record" in proc.stderr, proc
        digest = json.loads(ws.lines()[0])["sha256"]
        ws.set_lines(ws.lines()[:4])
        proc = wrt.run(W, "evidence", "prove", str(ws.ev), digest)
        assert proc.returncode == 1 and "does not match checkpoint.json" in proc.stderr, proc
        # and the store refuses further appends rather than blessing the truncation
        proc = wrt.run(W, "evidence", "preserve", str(ws.dir / "artifact1.log"), "--evidence", str(ws.ev))
        assert proc.returncode == 1 and "refusing to append" in proc.stderr, proc


if __name__ == "__main__":
    wrt.main([v for k, v in sorted(globals().items()) if k.startswith("test_") and callable(v)])
