#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora, fuzz/corpus/<target>/, from the repository's runbooks,
stdlib and test fixtures plus the hand-written seeds below. Idempotent: a seed's file name is
the sha1 of its bytes (libFuzzer's convention), so a rerun adds only new seeds.

    python3 fuzz/make_corpus.py [--writ build/release/writ]

With --writ, journals and custody ledgers written by a real `writ run --dry-run` and
`writ evidence preserve` are added to the journal and custody corpora.
"""
import argparse
import hashlib
import json
import os
import pathlib
import re
import subprocess
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"

# Mode bytes the targets read first (see each fuzz_<name>.cc).
CHECK_DSL, CHECK_YAML = 0x06, 0x03  # bit 0: YAML; bit 1: inline suppressions; bit 2: json+sarif
EXPR_EXPRESSION, EXPR_TEMPLATE = 0x00, 0x01  # bits 1-3: expected type, bit 4: absent fields

EXPRESSIONS = [
    'event.confidence > 0.8 && event.impact != "test"',
    "event.confidence >= 0.5 || !(event.severity == 'low')",
    'event.severity in ["high", "critical"]',
    'len(event.user_id) > 0 && lower(event.impact) == "ransomware"',
    'contains(upper(event.host_id), "DC") || starts_with(event.segment_id, "seg-")',
    'default(event.impact, "unknown") != "" && 15m < 72h && 4bd >= 1mo',
    "-1 < 2 && 1.5e3 > -2.0 && null == null && true != false",
    '[slack, pagerduty]',
    '"a" + "b" + event.id',
    'run.id',
    'event.detected_at',
]
TEMPLATES = [
    "{{ event.host_id }}",
    "{{event.user_id}}",
    "/evidence/{{ event.id }}/{{ lower(event.host_id) }}.pcap",
    "host {{ event.host_id }} in {{ default(event.segment_id, \"none\") }}",
    "no template at all",
    "{{ event.confidence >= 0.9 }}",
]
EVENTS = [
    {"id": "evt-1", "severity": "critical", "host_id": "dc01", "user_id": "alice", "segment_id": "seg-7",
     "source_ip": "10.0.0.5", "confidence": 0.93, "impact": "ransomware", "detected_at": "2026-11-27T08:00:00Z"},
    {"id": 42, "severity": "high", "user_account": "bob", "source_ip": "2001:db8::1", "confidence": 1,
     "detected_at": "2026-11-27T08:00:00.250+02:00", "count": 3, "flag": True, "window": "15m",
     "hosts": ["a", "b"], "matrix": [[1, 2], [3]], "extra": {"nested": [None]}},
    {"severity": "low"},
    {"severity": "critical", "host_id": "-o/tmp/x", "user_account": "abc\u0000def", "segment_id": "seg/../x",
     "n_domain": "evil.example.", "n_path": "C:\\Windows\\..\\x", "n_file_hash": "ab" * 32, "n_url": "https://a b",
     "n_email_address": "a@b@c", "n_process": "svc\u001b[2J", "hosts": ["ws-1", "10.0.0.1", "ws_1"]},
]
APPROVAL_REPLIES = [  # (required-role bits, body)
    (0b011, {"approved": True, "approvals": [{"approver": "ann", "role": "ciso"}, {"approver": "lee", "role": "legal"}]}),
    (0b011, {"approved": True, "approvals": [{"approver": "ann", "role": "ciso"}, {"approver": "ann", "role": "legal"}]}),
    (0b001, {"approved": False, "rollback": True, "reason": "false positive"}),
    (0b100, {"approved": True}),
    (0b1000001, {"approved": True, "approvals": [{"approver": "a", "role": "ciso"}, {"approver": "b", "role": "ciso"}]}),
    (0b000, {"poll": "/approvals/7"}),
]
# Raw reply texts (json.dumps cannot write a duplicate key): (mode byte, role bits, text).
# Mode bit 0: approvals file; bit 1: the policy requires approver identity.
APPROVAL_TEXTS = [
    (0b00, 0b000, '{"approved": false, "approved": true}'),
    (0b00, 0b011, '{"approved": true, "approvals": [{"approver": "a", "role": "ciso", "role": "legal"}]}'),
    (0b00, 0b001, '{"approved": true, "approvers": [{"approver": "ann", "role": "ciso"}]}'),
    (0b00, 0b000, '{"approved": true, "rollback": "yes", "reason": 5}'),
    (0b00, 0b001, '{"approved": true, "approvals": [{"approver": "", "role": "ciso", "weight": 2}]}'),
    (0b10, 0b000, '{"approved": true}'),
    (0b10, 0b000, '{"approved": true, "approvals": [{"approver": "ann", "role": "soc_analyst"}]}'),
    (0b10, 0b011, '{"approved": true, "approvals": [{"approver": "ann", "role": "ciso"}, {"approver": "lee", "role": "legal"}]}'),
    (0b01, 0b001, '{"isolate": true, "isolate": false}'),
    (0b11, 0b001, '{"isolate": true, "revoke": {"approved": true, "approvers": [{"approver": "ann", "role": "ciso"}]}}'),
    (0b01, 0b001, '{"revoke": {"approved": true, "approvals": []}}'),
]
APPROVAL_FILES = [
    (0b011, {"isolate": True, "revoke": False,
             "imaging": {"approved": True, "approvers": [{"approver": "ann", "role": "ciso"}, {"approver": "lee", "role": "legal"}]},
             "notify": {"approved": False, "rollback": True, "reason": "tabletop: false positive"}}),
]
CONNECTORS = [
    """connectors:
  edr:  {type: http, url: "https://edr.example/api/act", timeout_seconds: 10, token_env: EDR_TOKEN}
  jump: {type: exec, argv: ["/opt/ir/isolate", "{{args.target}}"], timeout_seconds: 30}
  quiet: {type: dry-run}
routes:  {isolate_host: edr, restore_host: edr, "*": dry-run}
evidence_roots: ["/evidence"]
""",
    "connectors: {}\nroutes: {isolate_host: edrr}\n",
    "connectors:\n  a: &c {type: http, url: \"http://127.0.0.1:1/\"}\n  b: *c\nroutes: {x: a, y: b}\n",
]


def write_seed(target, data):
    if isinstance(data, str):
        data = data.encode()
    directory = CORPUS / target
    directory.mkdir(parents=True, exist_ok=True)
    (directory / hashlib.sha1(data).hexdigest()).write_bytes(data)


def sources(*patterns):
    files = set()
    for pattern in patterns:
        files.update(p for p in ROOT.glob(pattern) if p.is_file())
    return sorted(files)


def template_bodies(text):
    return re.findall(r"\{\{.*?\}\}", text)


def when_conditions(text):
    found = re.findall(r"^\s*when:\s*(.+)$", text, re.M) + re.findall(r"^\s*when\s+(.+)$", text, re.M)
    return [c.strip().strip("'\"") for c in found]


def compiler_seeds():
    yaml_files = sources("runbooks/**/*.yaml", "runbooks/**/*.yml", "tests/data/**/*.yaml", "tests/bad_input/*.yaml")
    dsl_files = sources("runbooks/**/*.writ", "stdlib/*.writ", "tests/data/**/*.writ", "tests/bad_input/*.writ")
    for path in yaml_files:
        data = path.read_bytes()
        if len(data) > 64 * 1024:
            continue
        write_seed("yaml", data)
        write_seed("check", bytes([CHECK_YAML]) + data)
        write_seed("connectors", data)  # the connectors file is YAML too
        for body in template_bodies(data.decode("utf-8", "replace")):
            write_seed("expr", bytes([EXPR_TEMPLATE]) + body.encode())
    for path in dsl_files:
        data = path.read_bytes()
        if len(data) > 64 * 1024:
            continue
        write_seed("dsl", data)
        write_seed("check", bytes([CHECK_DSL]) + data)
    for path in yaml_files + dsl_files:
        for condition in when_conditions(path.read_text("utf-8", "replace")):
            if len(condition) < 300:
                write_seed("expr", bytes([EXPR_EXPRESSION | (1 << 1)]) + condition.encode())
    for i, expression in enumerate(EXPRESSIONS):
        write_seed("expr", bytes([EXPR_EXPRESSION | ((i % 6) << 1)]) + expression.encode())
    for i, template in enumerate(TEMPLATES):
        write_seed("expr", bytes([EXPR_TEMPLATE | ((i % 6) << 1) | (16 if i % 2 else 0)]) + template.encode())


def runtime_seeds():
    for event in EVENTS:
        write_seed("event", json.dumps(event, indent=1))
    for path in sources("runbooks/events/*.json", "tests/data/**/*.json", "tests/bad_input/*.json"):
        data = path.read_bytes()
        if len(data) < 64 * 1024:
            write_seed("event", data)
    for roles, body in APPROVAL_REPLIES:
        write_seed("approval", bytes([0, roles & 0xFF]) + json.dumps(body).encode())
    for mode, roles, text in APPROVAL_TEXTS:
        write_seed("approval", bytes([mode, roles]) + text.encode())
    for roles, body in APPROVAL_FILES:
        write_seed("approval", bytes([1, roles & 0xFF]) + json.dumps(body).encode())
    for path in sources("runbooks/approvals/*.json"):
        write_seed("approval", bytes([1, 0b011]) + path.read_bytes())
    for path in sources("tests/bad_input/approvals_*.json"):
        write_seed("approval", bytes([1, 0b011]) + path.read_bytes())
    for path in sources("tests/bad_input/custody_*.jsonl"):
        write_seed("custody", b"\x00" + path.read_bytes())
    for path in sources("tests/bad_input/checkpoint_*.json"):
        write_seed("custody", b"\x00\x00" + path.read_bytes())
    for path in sources("tests/bad_input/journal_*.jsonl"):
        write_seed("journal", b"\x00" + path.read_bytes())
    for text in CONNECTORS:
        write_seed("connectors", text)
    for path in sources("runbooks/**/connectors*.yaml", "tests/**/connectors*.yaml"):
        write_seed("connectors", path.read_bytes())
    # Valid-mode seeds: the targets build a correct journal / store from these themselves.
    write_seed("journal", b"\x01\x00{\"run_id\":\"r\",\"runbook\":\"x\"}\x00\x07{\"step\":\"isolate\",\"n\":1.5}\x00\x0fdone")
    write_seed("journal", b"\x03" + b"k" * 32 + b"\x00{\"run_id\":\"r\"}\x00\x05{\"step\":\"a\",\"approved\":false}\x00\x0f\x00\x91")
    # Hostile head and key (mode 2): an empty journal's head, keyed and not.
    empty_head = b'{"hash":"' + b"0" * 64 + b'","seq":0,"size":0}\n'
    write_seed("journal", b"\x02\x00" + empty_head + b"\x00")
    write_seed("journal", b"\x02\x20" + b"k" * 32 + empty_head + b"\x00")
    write_seed("custody", b"\x01disk image bytes\x00/tmp/pcap\x00")


def journal_writ_seeds(writ, tmp):
    """Journals with their heads (mode 2), one keyed and one not, written by the real binary."""
    key = tmp / "journal.key"
    key.write_bytes(b"k" * 32)
    key.chmod(0o600)
    event = ROOT / "runbooks" / "events" / "critical.json"
    for name, extra, prefix in (("plain", [], b"\x02\x00"), ("keyed", ["--journal-key", str(key)], b"\x02\x20" + b"k" * 32)):
        state = tmp / f"state-{name}"
        subprocess.run([writ, "run", str(ROOT / "runbooks"), "--event", str(event), "--dry-run", "--state", str(state), *extra],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120, check=False)
        for journal in sorted(state.glob("runs/*/journal.jsonl")):
            write_seed("journal", prefix + journal.with_suffix(".head").read_bytes() + b"\x00" + journal.read_bytes())


def writ_seeds(writ):
    """Journals and custody ledgers written by the real binary."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        state, evidence = tmp / "state", tmp / "evidence"
        for event in sources("runbooks/events/*.json"):
            subprocess.run([writ, "run", str(ROOT / "runbooks"), "--event", str(event), "--dry-run",
                            "--state", str(state), "--evidence", str(evidence)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120, check=False)
        for journal in sorted(state.glob("runs/*/journal.jsonl")):
            write_seed("journal", b"\x00" + journal.read_bytes())
        journal_writ_seeds(writ, tmp)
        artifact = tmp / "artifact.bin"
        artifact.write_bytes(b"memory dump\n" * 10)
        store = tmp / "store"
        subprocess.run([writ, "evidence", "preserve", str(artifact), str(ROOT / "runbooks" / "active_breach.yaml"),
                        "--evidence", str(store), "--incident", "INC-1"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120, check=False)
        for root in [store, evidence]:
            ledger, checkpoint = root / "custody.jsonl", root / "checkpoint.json"
            if ledger.exists():
                cp = checkpoint.read_bytes() if checkpoint.exists() else b""
                write_seed("custody", b"\x00" + ledger.read_bytes() + b"\x00" + cp)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writ", help="a built writ binary, to add real journals and custody ledgers")
    args = parser.parse_args()
    compiler_seeds()
    runtime_seeds()
    if args.writ:
        writ_seeds(os.path.abspath(args.writ))
    for target in sorted(p.name for p in CORPUS.iterdir() if p.is_dir()):
        print(f"{target:12} {len(list((CORPUS / target).iterdir()))} seeds")


if __name__ == "__main__":
    main()
