"""`writ check --policy FILE` end to end: a policy written in YAML or in the DSL becomes the
active policy (approval coverage, evidence roots); a broken policy file is a finding (exit 1)
that names the file and line; a missing one is a usage error (exit 2)."""
import json
import pathlib
import re
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import wrt  # noqa: E402

A = wrt.args()
SRC = pathlib.Path(A.source)
W = A.writ

STRICT_YAML = """\
policy:
  name: strict
  severities:
    low: {}
    medium:   {approvers: [ir_lead], effects: [contain, collect, eradicate]}
    high:     {approvers: [ciso], effects: [contain, collect, eradicate]}
    critical: {approvers: [ciso, legal], effects: [contain, collect, eradicate, notify]}
  approval_timeout_minutes: 30
  step_timeout_minutes: 20
  asap_hours: 24
  evidence_roots: ["/evidence", "/var/ir"]
"""

STRICT_DSL = """\
policy strict {
  severity low      { }
  severity medium   { approve ir_lead for contain, collect, eradicate }
  severity high     { approve ciso for contain, collect, eradicate }
  severity critical { approve ciso, legal for contain, collect, eradicate, notify }
  approval_timeout 30m
  step_timeout     20m
  asap             24h
  evidence_roots "/evidence", "/var/ir"
}
"""

# Needs no approval under the default policy; the strict one wants ciso and legal for `notify`.
NOTIFY_RUNBOOK = """\
playbooks:
  critical:
    name: "Tell the CISO"
    steps:
      - action: notify_ciso_and_legal
        channels: [slack]
"""


def preserving(path):
    return f"""\
playbooks:
  low:
    name: "Keep the logs"
    steps:
      - action: collect_logs
        target: "{{{{ event.host_id }}}}"
        preserve_artifacts: ["{path}"]
"""


def write(tmp, name, text):
    path = pathlib.Path(tmp, name)
    path.write_text(text)
    return str(path)


def check_rules(*argv):
    proc, doc = wrt.run_json(W, "check", "--format", "json", *argv)
    return proc.returncode, sorted({d["rule"] for d in doc["diagnostics"]}), proc


def test_default_policy_passes_the_notify_runbook():
    with tempfile.TemporaryDirectory() as tmp:
        runbook = write(tmp, "notify.yaml", NOTIFY_RUNBOOK)
        code, rules, proc = check_rules(runbook)
        assert code == 0, proc.stdout + proc.stderr
        assert "approval-coverage" not in rules, rules


def test_policy_in_either_form_requires_approval():
    for name, text in (("strict.yaml", STRICT_YAML), ("strict.writ", STRICT_DSL)):
        with tempfile.TemporaryDirectory() as tmp:
            policy = write(tmp, name, text)
            runbook = write(tmp, "notify.yaml", NOTIFY_RUNBOOK)
            code, rules, proc = check_rules("--policy", policy, runbook)
            assert code == 1, (name, proc.stdout + proc.stderr)
            assert "approval-coverage" in rules, (name, rules)


def test_yml_extension_and_policy_beside_playbooks():
    with tempfile.TemporaryDirectory() as tmp:
        policy = write(tmp, "both.yml", NOTIFY_RUNBOOK + STRICT_YAML)
        runbook = write(tmp, "notify.yaml", NOTIFY_RUNBOOK)
        code, rules, proc = check_rules("--policy", policy, runbook)
        assert code == 1 and "approval-coverage" in rules, (rules, proc.stderr)


def test_evidence_roots_from_either_form():
    with tempfile.TemporaryDirectory() as tmp:
        outside = write(tmp, "outside.yaml", preserving("/tmp/host.log"))
        inside = write(tmp, "inside.yaml", preserving("/var/ir/host.log"))
        code, rules, proc = check_rules(outside)
        assert code == 0 and "evidence-path" not in rules, (rules, proc.stdout)
        for name, text in (("strict.yaml", STRICT_YAML), ("strict.writ", STRICT_DSL)):
            policy = write(tmp, name, text)
            code, rules, proc = check_rules("--policy", policy, outside)
            assert code == 1 and "evidence-path" in rules, (name, rules, proc.stdout)
            proc, doc = wrt.run_json(W, "check", "--format", "json", "--policy", policy, outside)
            finding = [d for d in doc["diagnostics"] if d["rule"] == "evidence-path"][0]
            assert "strict" in finding["message"] and finding["line"] == 7, finding
            code, rules, proc = check_rules("--policy", policy, inside)
            assert code == 0 and "evidence-path" not in rules, (name, rules, proc.stdout)


def test_broken_yaml_policy_names_file_and_line():
    with tempfile.TemporaryDirectory() as tmp:
        policy = write(tmp, "broken.yaml", STRICT_YAML.replace("step_timeout_minutes", "step_timeout_minuts"))
        runbook = write(tmp, "notify.yaml", NOTIFY_RUNBOOK)
        proc = wrt.run(W, "check", "--policy", policy, runbook)
        assert proc.returncode == 1, (proc.returncode, proc.stderr)
        assert re.search(re.escape(policy) + r":9:3: error\[unknown-key\]", proc.stderr), proc.stderr
        assert "did you mean `step_timeout_minutes`?" in proc.stderr, proc.stderr


def test_policy_with_wrong_shape_or_role_exits_1():
    with tempfile.TemporaryDirectory() as tmp:
        runbook = write(tmp, "notify.yaml", NOTIFY_RUNBOOK)
        cases = (
            ("shape.yaml", STRICT_YAML.replace("asap_hours: 24", "asap_hours: [24]"), 10, "syntax"),
            ("role.yaml", STRICT_YAML.replace("[ciso]", "[cisco]"), 6, "syntax"),
            ("yaml.yaml", STRICT_YAML.replace("low: {}", "low: {"), None, "syntax"),
            ("dsl.writ", STRICT_DSL.replace("step_timeout", "step_timout"), 7, "syntax"),
        )
        for name, text, line, rule in cases:
            policy = write(tmp, name, text)
            proc = wrt.run(W, "check", "--policy", policy, runbook)
            assert proc.returncode == 1, (name, proc.returncode, proc.stderr)
            where = re.escape(policy) + (f":{line}:" if line else r":\d+:")
            assert re.search(where + rf"\d+: error\[{rule}\]", proc.stderr), (name, proc.stderr)


def test_missing_policy_exits_2():
    with tempfile.TemporaryDirectory() as tmp:
        runbook = write(tmp, "notify.yaml", NOTIFY_RUNBOOK)
        missing = str(pathlib.Path(tmp, "nope.yaml"))
        proc = wrt.run(W, "check", "--policy", missing, runbook)
        assert proc.returncode == 2, (proc.returncode, proc.stderr)
        assert "nope.yaml" in proc.stderr


def test_schema_describes_the_policy_key():
    proc = wrt.run(W, "schema")
    assert proc.returncode == 0, proc.stderr
    schema = json.loads(proc.stdout)
    assert "policy" in schema["properties"]
    policy = schema["$defs"]["policy"]
    for key in ("name", "severities", "approval_timeout_minutes", "step_timeout_minutes", "asap_hours",
                "evidence_roots", "approver_identity"):
        assert key in policy["properties"], key
    try:
        import jsonschema
        import yaml
    except ImportError:
        return  # the key list above is still checked
    validator = jsonschema.Draft202012Validator(schema)
    validator.validate(yaml.safe_load(STRICT_YAML))
    validator.validate(yaml.safe_load(NOTIFY_RUNBOOK + STRICT_YAML))
    validator.validate(yaml.safe_load(NOTIFY_RUNBOOK))
    bad = yaml.safe_load(STRICT_YAML.replace("asap_hours", "asap_hour"))
    assert not validator.is_valid(bad)
    validator.validate(yaml.safe_load(STRICT_YAML + "  approver_identity: required\n"))
    assert not validator.is_valid(yaml.safe_load(STRICT_YAML + "  approver_identity: maybe\n"))
    assert not validator.is_valid({"metadata": {"owner": "x"}})


wrt.main([v for k, v in list(globals().items()) if k.startswith("test_")])
