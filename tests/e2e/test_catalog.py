"""`writ catalog` end to end (DESIGN §8): the JSON keys, one section at a time, every stdlib
action with its effect, inverse, parameters and doc; docs/catalog.md is its md output; the
policy section is the YAML policy form (it loads back through --policy); usage errors exit 2
and a broken policy file exits 1. Also: a YAML policy without its `policy:` key, and `writ
schema` pointing at `writ catalog`."""
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
SECTIONS = ["actions", "event", "types", "channels", "roles", "regulations", "policy"]


def catalog(*argv):
    return wrt.run(W, *STDLIB, "catalog", *argv)


def test_json_has_the_design_keys_and_every_stdlib_action():
    proc, doc = wrt.run_json(W, *STDLIB, "catalog", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert list(doc) == SECTIONS, list(doc)  # the contract's keys, in its order
    declared = set()
    for line in (SRC / "stdlib" / "actions.writ").read_text().splitlines():
        if line.startswith("action "):
            declared.add(line.split()[1].split("(")[0])
    listed = {a["name"]: a for a in doc["actions"]}
    assert set(listed) == declared, set(listed) ^ declared
    for action in doc["actions"]:
        assert set(action) == {"name", "effect", "inverse", "params", "timeout", "doc"}, action
        assert action["doc"] and action["effect"], action
        assert all(set(p) == {"name", "type"} for p in action["params"]), action
    assert listed["isolate_host"]["inverse"] == "restore_host"
    assert listed["revoke_active_sessions"]["inverse"] is None
    assert {"name": "user_id", "type": "user"} in doc["event"]
    assert "secure_portal" in doc["channels"] and "legal" in doc["roles"]
    nis2 = next(r for r in doc["regulations"] if r["tag"] == "NIS2")
    assert nis2["obligations"][0] == {"id": "nis2.early_warning", "deadline": "24h",
                                      "citation": "Dir. 2022/2555 Art. 23(4)(a)",
                                      "trigger": "aware of significant incident"}, nis2


def test_a_section_prints_only_its_key_in_every_format():
    for section in SECTIONS:
        proc, doc = wrt.run_json(W, *STDLIB, "catalog", section, "--format", "json")
        assert proc.returncode == 0 and list(doc) == [section], (section, proc.stderr)
        md = catalog(section, "--format", "md")
        assert md.returncode == 0 and md.stdout.startswith("## ") and md.stdout.count("\n## ") == 0, section
        text = catalog(section)
        assert text.returncode == 0 and text.stdout.startswith(section.upper() + "\n"), section


def test_docs_catalog_md_is_the_generated_output():
    md = catalog("--format", "md")
    assert md.returncode == 0, md.stderr
    doc = (SRC / "docs" / "catalog.md").read_text()
    assert doc == md.stdout, "docs/catalog.md is stale: run scripts/gen-catalog-doc.sh"


def test_policy_section_is_the_yaml_policy_form_and_loads_back():
    strict = "policy strict {\n  severity low { }\n  severity high { approve ciso, legal for contain, notify }\n" \
             "  approval_timeout 90s\n  evidence_roots \"/evidence\"\n  approver_identity required\n}\n"
    with tempfile.TemporaryDirectory() as tmp:
        dsl = pathlib.Path(tmp) / "strict.writ"
        dsl.write_text(strict)
        proc, first = wrt.run_json(W, *STDLIB, "catalog", "policy", "--format", "json", "--policy", str(dsl))
        assert proc.returncode == 0, proc.stderr
        assert first["policy"]["name"] == "strict"
        assert first["policy"]["approval_timeout_minutes"] == 1.5
        assert first["policy"]["severities"]["high"] == {"approvers": ["ciso", "legal"], "effects": ["contain", "notify"]}
        yaml_policy = pathlib.Path(tmp) / "strict.yaml"
        yaml_policy.write_text(json.dumps(first))  # JSON is YAML: {"policy": {...}}
        proc, second = wrt.run_json(W, *STDLIB, "catalog", "policy", "--format", "json", "--policy", str(yaml_policy))
        assert proc.returncode == 0, proc.stderr
        assert second == first


def test_usage_errors_exit_2_and_a_broken_policy_exits_1():
    for argv in (["nosuch"], ["--format", "html"], ["actions", "roles"], ["--policy", "/nonexistent/p.yaml"]):
        proc = catalog(*argv)
        assert proc.returncode == 2 and proc.stdout == "", (argv, proc.returncode, proc.stdout)
    with tempfile.TemporaryDirectory() as tmp:
        bad = pathlib.Path(tmp) / "bad.writ"
        bad.write_text("policy p {\n  severity high { approve cisco for contain }\n}\n")
        proc = catalog("--policy", str(bad))
        assert proc.returncode == 1 and proc.stdout == "", proc
        assert "bad.writ:2:" in proc.stderr and "unknown role `cisco`" in proc.stderr, proc.stderr


def test_a_yaml_policy_without_its_policy_key_says_so():
    with tempfile.TemporaryDirectory() as tmp:
        bare = pathlib.Path(tmp) / "bare.yaml"
        bare.write_text("name: strict\nseverities:\n  low: {}\n  high: {approvers: [ciso], effects: [contain]}\n")
        for verb in (["catalog", "policy"], ["check", str(SRC / "runbooks")]):
            proc = wrt.run(W, *STDLIB, *verb, "--policy", str(bare))
            assert proc.returncode == 1, (verb, proc)
            out = proc.stdout + proc.stderr
            assert "bare.yaml:1:1: error[syntax]: this policy has no top-level `policy:` key" in out, out
            assert "playbooks" not in out and "unknown-key" not in out, out
        runbook = SRC / "runbooks" / "active_breach.yaml"  # a runbook given as the policy
        proc = wrt.run(W, *STDLIB, "check", str(runbook), "--policy", str(runbook))
        assert proc.returncode == 1 and "this policy file declares no policy" in proc.stderr, proc


def test_schema_points_at_writ_catalog():
    proc = wrt.run(W, "schema")
    assert proc.returncode == 0
    assert "writ check lists them" not in proc.stdout
    assert "`writ catalog actions` lists them" in proc.stdout


wrt.main([test_json_has_the_design_keys_and_every_stdlib_action, test_a_section_prints_only_its_key_in_every_format,
          test_docs_catalog_md_is_the_generated_output, test_policy_section_is_the_yaml_policy_form_and_loads_back,
          test_usage_errors_exit_2_and_a_broken_policy_exits_1, test_a_yaml_policy_without_its_policy_key_says_so,
          test_schema_points_at_writ_catalog])
