"""Organisation catalogs end to end (DESIGN §17, issue 18): `--catalog FILE|DIR` on every verb
that compiles adds actions, types, roles and channels in the stdlib's syntax; a name that
collides with the stdlib, and a declaration inside a runbook file, are errors naming
file:line:col. Also the guaranteed-step fix as `writ report` shows it: a `when false` step
no longer meets PCI's card-brand notice."""
import json
import pathlib
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import wrt  # noqa: E402

A = wrt.args()
SRC = pathlib.Path(A.source)
W = A.writ
STDLIB = ["--stdlib", str(SRC / "stdlib")]
ORG = SRC / "tests" / "data" / "syntax" / "catalog_org.writ"
COLLISION = SRC / "tests" / "data" / "syntax" / "catalog_collision.writ"
RUNBOOK = SRC / "tests" / "data" / "syntax" / "pass_organisation_catalog.writ"

# A low-severity runbook that only observes through an organisation action: it runs dry.
OBSERVE = """action ping_agent(target: host) {
  effect  observe
  doc     "Ask the organisation's agent on a host for a heartbeat"
}
"""
PING = """runbook ping {
  title    "Ping"
  severity low
  step ping = ping_agent(target: event.host_id)
}
"""


def writ(*argv, **kw):
    return wrt.run(W, *STDLIB, *argv, **kw)


def test_every_compiling_verb_takes_catalog():
    catalog = ["--catalog", str(ORG)]
    assert writ("check", str(RUNBOOK)).returncode == 1  # without it: unknown actions
    for verb in (["check"], ["compile"], ["report", "--format", "json", "--no-timestamp"]):
        proc = writ(*verb, *catalog, str(RUNBOOK))
        assert proc.returncode == 0, (verb, proc.stdout, proc.stderr)
    yaml = RUNBOOK.with_suffix(".yaml")
    proc = writ("convert", *catalog, str(yaml))
    assert proc.returncode == 0 and "take_snapshot(target: event.instance)" in proc.stdout, proc
    proc = writ("fmt", "--check", *catalog, str(ORG))
    assert proc.returncode == 0, proc


def test_catalog_lists_organisation_declarations_beside_the_stdlib():
    proc, doc = wrt.run_json(W, *STDLIB, "catalog", "--format", "json", "--catalog", str(ORG))
    assert proc.returncode == 0, proc.stderr
    actions = {a["name"]: a for a in doc["actions"]}
    assert actions["freeze_card"]["inverse"] == "unfreeze_card"
    assert actions["take_snapshot"]["params"][0] == {"name": "target", "type": "cloud_resource"}
    assert "isolate_host" in actions
    assert "fraud_desk" in doc["roles"] and "signal" in doc["channels"]
    assert {"name": "cost_center", "kind": "nominal"} in doc["types"]


def test_a_directory_is_every_writ_file_below_it_and_run_uses_it():
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        (root / "org" / "edr").mkdir(parents=True)
        (root / "org" / "edr" / "agent.writ").write_text(OBSERVE)
        (root / "org" / "notes.txt").write_text("not a catalog file")
        (root / "ping.writ").write_text(PING)
        event = root / "event.json"
        event.write_text(json.dumps({"id": "e-1", "severity": "low", "host_id": "ws-1"}))
        proc = writ("check", "--catalog", str(root / "org"), str(root / "ping.writ"))
        assert proc.returncode == 0, proc
        proc = writ("run", str(root / "ping.writ"), "--catalog", str(root / "org"), "--event", str(event), "--dry-run",
                    "--state", str(root / "state"))
        assert proc.returncode == 0, (proc.stdout, proc.stderr)
        proc = writ("run", str(root / "ping.writ"), "--event", str(event), "--dry-run", "--state", str(root / "state"))
        assert proc.returncode == 1 and "ping_agent" in proc.stdout + proc.stderr, proc


def test_collisions_and_misplaced_declarations_are_errors_with_positions():
    proc = writ("check", "--catalog", str(COLLISION), str(RUNBOOK))
    assert proc.returncode == 1 and proc.stdout == "", proc
    err = proc.stderr
    for expected in ("catalog_collision.writ:3:6: error[syntax]: type `host` is already declared by the stdlib",
                     "catalog_collision.writ:4:6: error[syntax]: role `ciso` is already declared by the stdlib",
                     "catalog_collision.writ:7:8: error[syntax]: action `isolate_host` is already declared by the stdlib",
                     "policy `lax` in a `--catalog` file does not apply",
                     "a `--catalog` file cannot replace the default event schema",
                     "a runbook in a `--catalog` file is not checked there"):
        assert expected in err, (expected, err)
    assert "stdlib/actions.writ:" in err  # the note points at the stdlib's declaration
    assert "role `fraud_desk`" not in err  # a new role beside a colliding one is fine
    # The same file twice: every name collides with the first reading.
    proc = writ("catalog", "--catalog", str(ORG), "--catalog", str(ORG))
    assert proc.returncode == 1 and "already declared by another catalog file" in proc.stderr, proc


def test_a_missing_path_is_a_usage_error_and_a_path_without_a_catalog_an_error():
    proc = writ("check", "--catalog", "/nonexistent/org.writ", str(RUNBOOK))
    assert proc.returncode == 2 and proc.stdout == "", proc
    assert proc.stderr == "writ: /nonexistent/org.writ: no such file or directory\n", proc.stderr
    with tempfile.TemporaryDirectory() as tmp:
        empty = pathlib.Path(tmp) / "org"
        empty.mkdir()
        yaml = pathlib.Path(tmp) / "org.yaml"
        yaml.write_text("playbooks: {}\n")
        for path, message in ((empty, "no catalog (*.writ) files below this directory"),
                              (yaml, "a catalog file is written in the stdlib's syntax and named *.writ")):
            proc = writ("check", "--catalog", str(path), str(RUNBOOK))
            assert proc.returncode == 1 and proc.stdout == "", (path, proc)
            assert f"{path}: error[syntax]: {message}" in proc.stderr, proc.stderr


def test_declarations_in_a_runbook_file_point_at_catalog():
    proc = writ("check", str(SRC / "tests" / "data" / "syntax" / "fail_declarations_role.writ"))
    assert proc.returncode == 1
    assert "fail_declarations_role.writ:3:1: error[syntax]: a `role` declared in a runbook file" in proc.stdout
    assert "--catalog FILE" in proc.stdout, proc.stdout


def test_report_no_longer_shows_a_when_false_step_meeting_an_obligation():
    fixture = SRC / "tests" / "data" / "regulatory-deadline" / "fail_when_false.writ"
    proc, doc = wrt.run_json(W, *STDLIB, "report", "--format", "json", "--no-timestamp", str(fixture))
    assert proc.returncode == 0, proc.stderr
    runbooks = {rb["id"]: rb for rb in doc["runbooks"]}
    dead = next(o for o in runbooks["card_breach"]["obligations"] if o["id"] == "pci.brands")
    assert dead["status"] == "violated" and dead["step"] is None, dead
    maybe = next(o for o in runbooks["card_breach_maybe"]["obligations"] if o["id"] == "pci.brands")
    assert maybe["status"] == "violated" and maybe["step"] == "brands", maybe
    assert maybe["reason"].startswith("the step runs only when `event.confidence > 0.9`"), maybe


wrt.main([test_every_compiling_verb_takes_catalog, test_catalog_lists_organisation_declarations_beside_the_stdlib,
          test_a_directory_is_every_writ_file_below_it_and_run_uses_it,
          test_collisions_and_misplaced_declarations_are_errors_with_positions,
          test_a_missing_path_is_a_usage_error_and_a_path_without_a_catalog_an_error,
          test_declarations_in_a_runbook_file_point_at_catalog,
          test_report_no_longer_shows_a_when_false_step_meeting_an_obligation])
