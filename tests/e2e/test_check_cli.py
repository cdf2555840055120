"""`writ check` / `compile` / `convert` end to end: exit codes, formats, directory walking,
YAML and DSL twins compiling to one digest."""
import json
import os
import pathlib
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import wrt  # noqa: E402

A = wrt.args()
SRC = pathlib.Path(A.source)
W = A.writ


def test_bundled_runbooks_pass():
    proc = wrt.run(W, "check", "runbooks/", cwd=SRC)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_missing_path_exits_2():
    proc = wrt.run(W, "check", "does/not/exist.yaml", cwd=SRC)
    assert proc.returncode == 2, proc
    assert "does/not/exist.yaml" in proc.stderr


def test_a_directory_without_runbooks_is_a_usage_error():
    with tempfile.TemporaryDirectory() as tmp:
        pathlib.Path(tmp, "notes.txt").write_text("not a runbook\n")
        for verb in ("check", "report"):
            proc = wrt.run(W, verb, tmp)
            assert proc.returncode == 2, (verb, proc.stdout, proc.stderr)
            assert f"{tmp}: no runbook files" in proc.stderr


def test_directory_walk_reports_dangling_links_and_skips_fifos():
    with tempfile.TemporaryDirectory() as tmp:
        good = pathlib.Path(tmp, "a.yaml")
        good.write_text('playbooks:\n  low:\n    name: "x"\n    steps:\n      - action: notify_ciso_and_legal\n'
                        '        channels: [slack]\n')
        os.symlink(str(pathlib.Path(tmp, "missing.yaml")), str(pathlib.Path(tmp, "b.yaml")))
        os.mkfifo(str(pathlib.Path(tmp, "c.yaml")))  # no writer: reading it would block forever
        proc, doc = wrt.run_json(W, "check", "--format", "json", tmp)
        assert proc.returncode == 1, proc.stderr
        assert doc["files"] == 2
        unreadable = [d for d in doc["diagnostics"] if d["file"].endswith("b.yaml")]
        assert len(unreadable) == 1 and unreadable[0]["rule"] == "syntax", doc
        assert "symbolic link to a missing file" in unreadable[0]["message"]
        assert unreadable[0]["whole_file"] is True and unreadable[0]["line"] == 1
        assert all(isinstance(d["line"], int) and d["line"] >= 1 for d in doc["diagnostics"])


def test_a_broken_stdlib_is_reported_at_its_file_not_as_a_bug():
    with tempfile.TemporaryDirectory() as tmp:
        pathlib.Path(tmp, "actions.writ").write_text("action x(\n")
        proc = wrt.run(W, "--stdlib", tmp, "check", "runbooks/", cwd=SRC)
        assert proc.returncode == 1, (proc.stdout, proc.stderr)
        assert f"{tmp}/actions.writ:2:1: error[syntax]" in proc.stderr
        assert "1 error, 0 warnings in 1 file" in proc.stderr
    assert wrt.run(W, "--stdlib", "does/not/exist", "check", "runbooks/", cwd=SRC).returncode == 2


def test_usage_error_exits_2():
    assert wrt.run(W, "check", "--format", "xml", "runbooks/", cwd=SRC).returncode == 2
    assert wrt.run(W, "frobnicate").returncode == 2


def test_json_format_contract():
    with tempfile.TemporaryDirectory() as tmp:
        bad = pathlib.Path(tmp, "bad.yaml")
        bad.write_text('playbooks:\n  critical:\n    name: "x"\n    steps:\n      - action: "isolate_hots"\n'
                       '        target: "{{event.host_id}}"\n')
        proc, doc = wrt.run_json(W, "check", "--format", "json", str(bad))
        assert proc.returncode == 1
        assert doc["version"] == 1 and doc["files"] == 1
        d = [x for x in doc["diagnostics"] if x["rule"] == "unknown-action"][0]
        for key in ("rule", "severity", "file", "line", "column", "end_line", "end_column", "message", "runbook", "step"):
            assert key in d, key
        assert (d["line"], d["column"]) == (5, 17), d  # the quoted scalar `"isolate_hots"`
        assert doc["summary"]["errors"] >= 1


def test_sarif_of_a_directory_gives_every_result_a_location():
    # GitHub code scanning rejects results without a location: severity-coverage findings are
    # whole-file findings of the first file checked (no region), with stable fingerprints.
    proc, doc = wrt.run_json(W, "check", "--format", "sarif", "tests/data/seed", cwd=SRC)
    assert proc.returncode == 1
    results = doc["runs"][0]["results"]
    coverage = [r for r in results if r["ruleId"] == "severity-coverage"]
    assert len(coverage) == 3, coverage
    for r in results:
        assert r.get("locations"), r
    for r in coverage:
        location = r["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"].endswith("tests/data/seed/seed_active_breach.yaml")
        assert "region" not in location
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp, "check.sarif")
        out.write_text(proc.stdout)
        validate = wrt.run(sys.executable, str(SRC / "tests/e2e/sarif_validate.py"), str(out))
        assert validate.returncode in (0, 77), validate.stdout + validate.stderr


def test_werror_turns_warnings_into_failure():
    with tempfile.TemporaryDirectory() as tmp:
        f = pathlib.Path(tmp, "warn.yaml")
        f.write_text('playbooks:\n  high:\n    name: "x"\n    steps:\n      - action: "trigger_forensic_imaging"\n'
                     '        target: "{{event.host_id}}"\n        requires_approval: true\n')
        proc = wrt.run(W, "check", str(f))
        assert proc.returncode == 0, proc.stdout
        assert "approval-timeout" in proc.stdout
        assert wrt.run(W, "check", "--werror", str(f)).returncode == 1


def test_no_color_and_plain_output():
    proc = wrt.run(W, "check", "tests/data/seed/seed_ransomware.yaml", cwd=SRC)
    assert "\x1b[" not in proc.stdout
    assert proc.returncode == 1


def digest_of(path):
    proc, doc = wrt.run_json(W, "compile", path, cwd=SRC)
    assert proc.returncode == 0, proc.stderr
    return doc["digest"]


def test_yaml_and_dsl_twins_share_a_digest():
    for name in ("active_breach", "ransomware_containment"):
        assert digest_of(f"runbooks/{name}.yaml") == digest_of(f"runbooks/dsl/{name}.writ"), name


def test_convert_round_trips_to_the_same_digest():
    with tempfile.TemporaryDirectory() as tmp:
        sources = [f"runbooks/{name}.yaml" for name in ("active_breach", "ransomware_containment",
                                                         "credential_compromise")]
        sources.append("tests/data/unknown-key/pass_argument_as_step_key.yaml")  # `summary:` as a step key
        for i, source in enumerate(sources):
            proc = wrt.run(W, "convert", source, cwd=SRC)
            assert proc.returncode == 0, proc.stderr
            out = pathlib.Path(tmp, f"{i}.writ")
            out.write_text(proc.stdout)
            assert digest_of(str(out)) == digest_of(source), source


def test_convert_keeps_kebab_ids_and_refuses_ids_dsl_cannot_spell():
    step = '      - action: notify_ciso_and_legal\n        id: "{}"\n        channels: [slack]\n'
    with tempfile.TemporaryDirectory() as tmp:
        good = pathlib.Path(tmp, "kebab.yaml")
        good.write_text('playbooks:\n  high:\n    id: "high-1"\n    name: "x"\n    steps:\n' + step.format("notify.ciso-1"))
        proc = wrt.run(W, "convert", str(good))
        assert proc.returncode == 0, proc.stderr
        assert "runbook high-1 {" in proc.stdout and "step notify.ciso-1 = " in proc.stdout
        out = pathlib.Path(tmp, "kebab.writ")
        out.write_text(proc.stdout)
        assert digest_of(str(out)) == digest_of(str(good))

        bad = pathlib.Path(tmp, "spaced.yaml")
        bad.write_text('playbooks:\n  high:\n    name: "x"\n    steps:\n' + step.format("notify 1"))
        proc = wrt.run(W, "convert", str(bad))
        assert proc.returncode == 1 and proc.stdout == ""
        assert f"{bad}:6:13: error[syntax]: step id \"notify 1\" cannot be written in .writ" in proc.stderr, proc.stderr

        field = pathlib.Path(tmp, "field.yaml")  # from fuzz_yaml: an event field with a ':' in it
        field.write_text('event:\n  "user:id": user\nplaybooks:\n  high:\n    name: "x"\n    steps:\n'
                         + step.format("notify"))
        assert wrt.run(W, "check", str(field)).returncode == 0
        proc = wrt.run(W, "convert", str(field))
        assert proc.returncode == 1 and proc.stdout == ""
        assert f"{field}:2:3: error[syntax]: event field \"user:id\" cannot be written in .writ" in proc.stderr, proc.stderr


def test_convert_escapes_values_that_hold_a_template_opening():
    with tempfile.TemporaryDirectory() as tmp:
        src = pathlib.Path(tmp, "braces.yaml")
        src.write_text('playbooks:\n  high:\n    name: "x"\n    steps:\n      - action: notify_ciso_and_legal\n'
                       '        channels: [slack]\n        preserve_artifacts: ["/tmp/{{ \\"{{\\" }}"]\n'
                       '      - action: open_ticket\n        args:\n          queue: "soc"\n'
                       '          summary: "esc\\e {{ \\"{{\\" }} on {{ event.source_ip }}"\n')
        assert wrt.run(W, "check", str(src)).returncode == 0
        proc = wrt.run(W, "convert", str(src))
        assert proc.returncode == 0, proc.stderr
        out = pathlib.Path(tmp, "braces.writ")
        out.write_text(proc.stdout)
        assert wrt.run(W, "check", str(out)).returncode == 0, proc.stdout
        assert digest_of(str(out)) == digest_of(str(src))


def test_fmt_refuses_text_that_would_exceed_a_limit_once_printed():
    # 4000 bytes of string with raw line breaks: within the 4096-byte expression limit as
    # written, over it once every break is printed as `\\n`.
    body = "line\n" * 800
    source = ('runbook r {\n  title    "t"\n  severity low\n\n  step open = open_ticket(summary: "'
              + body + '")\n}\n')
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp, "long.writ")
        path.write_text(source)
        assert wrt.run(W, "check", str(path)).returncode == 0
        proc = wrt.run(W, "fmt", "-w", str(path))
        assert proc.returncode == 1, (proc.stdout, proc.stderr)
        assert "error[input-limit]" in proc.stderr
        assert "the formatted text would exceed an input limit; nothing was printed" in proc.stderr
        assert path.read_text() == source
        printed = wrt.run(W, "fmt", str(path))
        assert printed.returncode == 1 and printed.stdout == ""


def test_fmt_is_idempotent():
    with tempfile.TemporaryDirectory() as tmp:
        proc = wrt.run(W, "fmt", "runbooks/dsl/active_breach.writ", cwd=SRC)
        assert proc.returncode == 0, proc.stderr
        f = pathlib.Path(tmp, "a.writ")
        f.write_text(proc.stdout)
        again = wrt.run(W, "fmt", str(f))
        assert again.stdout == proc.stdout
        assert wrt.run(W, "fmt", "--check", str(f)).returncode == 0


def test_directory_output_is_deterministic():
    first = wrt.run(W, "check", "--format", "json", "tests/data", cwd=SRC).stdout
    second = wrt.run(W, "check", "--format", "json", "-j", "1", "tests/data", cwd=SRC).stdout
    assert first == second


def test_list_rules_and_version():
    rules = wrt.run(W, "--list-rules").stdout
    for rule in ("syntax", "unknown-key", "approval-coverage", "regulatory-deadline", "severity-coverage"):
        assert rule in rules
    assert wrt.run(W, "--version").stdout.startswith("writ ")
    assert wrt.run(W, "help", "check").returncode == 0


LENIENT_FORMS = """\
metadata:
  version: 1.0
  compliance_tags: GDPR
playbooks:
  low:
    when: false
    steps:
      - action: open_ticket
        summary: "ticket for {{ event.id }}"
        approvers: ir_lead
        approval_timeout_minutes: 0.5
        timeout_minutes: 1.5
        preserve_artifacts: /evidence/x
        satisfies: gdpr.authority
"""


def test_schema_accepts_what_check_accepts():
    import jsonschema
    import yaml
    proc, doc = wrt.run_json(W, "schema")
    assert "requires_approval" in doc["$defs"]["step"]["properties"]
    validator = jsonschema.Draft202012Validator(doc)
    paths = sorted(SRC.glob("runbooks/*.yaml")) + sorted(SRC.glob("tests/data/*/pass_*.yaml"))
    assert len(paths) >= 5
    for path in paths:
        errors = [e.message for e in validator.iter_errors(yaml.safe_load(path.read_text()))]
        assert not errors, (path, errors)
    with tempfile.TemporaryDirectory() as tmp:
        lenient = pathlib.Path(tmp, "lenient.yaml")
        lenient.write_text(LENIENT_FORMS)
        checked = wrt.run(W, "check", str(lenient))
        assert "error[syntax]" not in checked.stderr and "unknown-key" not in checked.stderr, checked.stderr
    validator.validate(yaml.safe_load(LENIENT_FORMS))
    # A misspelt playbook key is invalid (step keys may be action arguments, so only check knows).
    assert not validator.is_valid(yaml.safe_load(LENIENT_FORMS.replace("    when: false", "    wen: false")))


wrt.main([v for k, v in sorted(globals().items()) if k.startswith("test_")])
