"""`writ metrics` over journals that real `writ run` invocations wrote into one state
directory: the seed ransomware runbook with static (tabletop) approvals, approve / refuse /
refuse-and-roll-back; two runbooks whose approvals a loopback approval service answers after
a known wait (1.5 s and 1.0 s); and two runs that really preserve evidence. The figures are
checked against those known timings and outcomes (docs/report.md defines each one), the
Prometheus exposition is checked line by line (and by `promtool check metrics` when it is
installed), and a damaged journal is reported and left out."""
import datetime
import json
import math
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import run_support as rs  # noqa: E402
import wrt  # noqa: E402

A = wrt.args()
W = A.writ
SOURCE = pathlib.Path(A.source).resolve()
QUORUM = {"approved": True, "approvals": [{"approver": "ana", "role": "ciso"}, {"approver": "bo", "role": "legal"}]}
# How long the approval service waits before answering, per runbook (seconds).
WAIT = {"containment": 1.5, "revoke_first": 1.0}
SLACK_MS = 1500  # allowance for process, HTTP and fsync overhead on a slow (sanitizer) build

REVOKE_FIRST = """
runbook revoke_first {
  title    "Revoke first"
  severity critical
  step revoke = revoke_active_sessions(target: event.user_id) {
    approve ciso, legal within 10s
  }
  step isolate = isolate_host(target: event.host_id) {
    rollback restore_host
  }
}
"""

EVIDENCE = """
runbook evidence_collect {
  title    "Evidence"
  severity low
  step collect = open_ticket(summary: "evidence for {{event.id}}") {
    preserve "%s", "%s"
  }
}
"""


def slow_approval(request):
    runbook = request.json()["context"]["runbook"]["id"]
    time.sleep(WAIT[runbook])
    return 200, QUORUM


class Lab:
    """One state directory and the runs made into it: name -> run id."""

    def __init__(self, scratch):
        self.scratch = scratch
        self.state = scratch.state()
        self.runs = {}

    def run(self, name, runbook, event, *extra, expect):
        proc = wrt.run(W, "run", runbook, "--event", event, "--state", self.state, "--format", "json", *extra,
                       cwd=SOURCE, timeout=120)
        assert proc.returncode == expect, f"{name}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        self.runs[name] = rs.run_id_of(proc)
        return json.loads(proc.stdout)


def make_runs(scratch, approvals):
    lab = Lab(scratch)
    seed, critical = "runbooks/ransomware_containment.yaml", "runbooks/events/critical.json"
    tabletop = "runbooks/approvals/tabletop.json"
    refuse = scratch.write("refuse.json", {"disable_compromised_credentials": False})
    false_positive = scratch.write("false_positive.json",
                                   {"disable_compromised_credentials": {"approved": False, "rollback": True}})
    lab.run("approved", seed, critical, "--approvals", tabletop, "--dry-run", expect=0)
    lab.run("refused", seed, critical, "--approvals", refuse, "--dry-run", expect=1)
    lab.run("rolled_back", seed, critical, "--approvals", false_positive, "--dry-run", expect=1)
    event = scratch.write("event.json", rs.EVENT)
    # Detected two minutes ago (whole seconds): containment follows about 120 s after it.
    detected = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) - datetime.timedelta(seconds=120)
    recent = scratch.write("recent.json", dict(rs.EVENT, detected_at=detected.strftime("%Y-%m-%dT%H:%M:%SZ")))
    lab.run("slow_approval", scratch.write("containment.writ", rs.containment(approval="10s")), recent,
            "--approvals", approvals.url("/approve"), "--dry-run", expect=0)
    lab.run("approval_first", scratch.write("revoke_first.writ", REVOKE_FIRST), event,
            "--approvals", approvals.url("/approve"), "--dry-run", expect=0)
    low = scratch.write("low.json", {"id": "evt-low", "severity": "low"})
    pcap = scratch.write("artifacts/capture.pcap", "packets\n")
    flows = scratch.write("artifacts/flows.json", '{"flows": []}\n')
    lab.run("evidence", scratch.write("evidence.writ", EVIDENCE % (pcap, flows)), low, expect=0)
    absent = str(scratch.path / "artifacts" / "absent.log")
    lab.run("evidence_missing", scratch.write("evidence_missing.writ", EVIDENCE % (absent, flows)), low, expect=1)
    return lab


def metrics(state, *extra, expect=0):
    proc = wrt.run(W, "metrics", state, *extra, timeout=60)
    assert proc.returncode == expect, f"exit {proc.returncode}: {proc.stderr}"
    return proc


def within(value, low, high, what):
    assert value is not None and low <= value <= high, f"{what}: {value} not in [{low}, {high}]"


def check_json(lab):
    m = json.loads(metrics(lab.state).stdout)
    assert m["version"] == 1 and m["percentiles"] == "nearest-rank"
    assert m["unreadable_journals"] == []
    # Five tabletop (--dry-run) runs, two live ones (the evidence runs): never mixed.
    tabletop, live = m["tabletop"], m["live"]
    assert len(m["runs"]) == 7 and (tabletop["runs_total"], live["runs_total"]) == (5, 2)
    assert tabletop["runs_by_status"] == {"completed": 3, "halted_by_approval": 1, "rolled_back": 1, "failed": 0,
                                          "rollback_incomplete": 0, "unfinished": 0}
    assert live["runs_by_status"] == {"completed": 1, "halted_by_approval": 0, "rolled_back": 0, "failed": 1,
                                      "rollback_incomplete": 0, "unfinished": 0}
    # The version-1 top-level figures are the live ones.
    for key in ("runs_total", "runs_by_status", "time_to_first_action_ms", "time_to_contain_ms",
                "detection_to_contain_ms", "approvals", "automation", "rollbacks", "evidence"):
        assert m[key] == live[key], key
    runs = {r["run_id"]: r for r in m["runs"]}
    by_name = {name: runs[run_id] for name, run_id in lab.runs.items()}
    assert by_name["approved"]["runbook"] == "ransomware_containment" and by_name["approved"]["dry_run"] is True
    assert by_name["approved"]["mode"] == "tabletop" and by_name["evidence"]["mode"] == "live"
    assert by_name["approved"]["runbook_file"] == str(SOURCE / "runbooks" / "ransomware_containment.yaml")
    assert by_name["evidence"]["dry_run"] is False

    # Triage and containment: only the run whose first step waits 1.0 s for its approval is slow.
    first = by_name["approval_first"]
    within(first["time_to_first_action_ms"], 1000, 1000 + SLACK_MS, "time to first action after a 1.0 s approval")
    within(first["time_to_contain_ms"], first["time_to_first_action_ms"], 1000 + SLACK_MS, "time to contain (revoke)")
    for name in ("approved", "refused", "rolled_back", "slow_approval"):
        within(by_name[name]["time_to_first_action_ms"], 0, SLACK_MS, f"{name}: time to first action")
        within(by_name[name]["time_to_contain_ms"], 0, SLACK_MS, f"{name}: time to contain (isolate first)")
    slow = by_name["slow_approval"]
    within(slow["detection_to_contain_ms"], 120000, 121000 + 2 * SLACK_MS, "detection (120 s before the run) to containment")
    assert tabletop["detection_to_contain_ms"]["count"] >= 1 and live["detection_to_contain_ms"]["count"] == 0
    for name in ("evidence", "evidence_missing"):  # open_ticket contains nothing
        assert by_name[name]["time_to_contain_ms"] is None
    ttfa = tabletop["time_to_first_action_ms"]
    assert ttfa["count"] == 5
    assert ttfa["max"] == first["time_to_first_action_ms"] == ttfa["p95"]  # rank ceil(0.95 * 5) = 5
    assert ttfa["p50"] < 1000
    assert live["time_to_first_action_ms"]["count"] == 2 and live["time_to_first_action_ms"]["max"] < 1000
    assert (tabletop["time_to_contain_ms"]["count"], live["time_to_contain_ms"]["count"]) == (5, 0)

    # Approvals (all tabletop): 4 from tabletop files (instant), 1.5 s and 1.0 s from the service.
    a = tabletop["approvals"]
    assert (a["decided"], a["approved"], a["refused"]) == (6, 4, 2)
    assert abs(a["refusal_rate"] - 2 / 6) < 1e-9
    for role in ("ciso", "legal"):
        d = a["latency_ms_by_role"][role]
        assert d["count"] == 6
        within(d["p50"], 0, 500, f"{role} p50 (rank 3 of 6: a tabletop decision)")
        within(d["p95"], 1500, 1500 + SLACK_MS, f"{role} p95 (rank 6 of 6: the 1.5 s approval)")
        assert d["max"] == d["p95"]
        within(d["sum"], 2500, 2500 + 2 * SLACK_MS, f"{role} sum")
    assert set(a["latency_ms_by_role"]) == {"ciso", "legal"}
    assert live["approvals"]["decided"] == 0 and live["approvals"]["refusal_rate"] is None

    # Steps: tabletop automated 2+1+1+3+1, approved 2+1+1, refused 2 (B, C); live 1 automated, 1 failed (G).
    assert tabletop["automation"] == {"automated": 8, "approved": 4, "refused": 2, "failed": 0, "skipped": 0,
                                      "success_rate": 8 / 14}
    assert live["automation"] == {"automated": 1, "approved": 0, "refused": 0, "failed": 1, "skipped": 0, "success_rate": 0.5}
    assert tabletop["rollbacks"] == {"executed": 1, "failed": 0, "skipped": 0, "requests_by_trigger": {"approval_refused": 1}}
    assert live["rollbacks"] == {"executed": 0, "failed": 0, "skipped": 0, "requests_by_trigger": {}}

    # Evidence: 3+2+2 declared in dry runs (skipped), 2 preserved and verified live, 2 not (1 failed).
    def counts(e):
        return {k: e[k] for k in ("declared", "skipped_dry_run", "due", "preserved", "verified", "failed", "missing")}
    assert counts(tabletop["evidence"]) == {"declared": 7, "skipped_dry_run": 7, "due": 0, "preserved": 0, "verified": 0,
                                            "failed": 0, "missing": 0}
    assert tabletop["evidence"]["compliance"] is None
    e = live["evidence"]
    assert counts(e) == {"declared": 4, "skipped_dry_run": 0, "due": 4, "preserved": 2, "verified": 2, "failed": 1, "missing": 2}
    assert e["compliance"] == 0.5
    assert [(p["run_id"], p["step"]) for p in e["problems"]] == [(lab.runs["evidence_missing"], "collect")] * 2
    docs = (SOURCE / "docs" / "report.md").read_text()
    undocumented = sorted(k for k in keys(m) if f"`{k}`" not in docs and k not in ("ciso", "legal", "approval_refused"))
    assert not undocumented, f"metrics JSON keys missing from docs/report.md: {undocumented}"
    return m


def keys(value, out=None):
    out = set() if out is None else out
    if isinstance(value, dict):
        for k, v in value.items():
            out.add(k)
            keys(v, out)
    elif isinstance(value, list):
        for v in value:
            keys(v, out)
    return out


NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_prometheus(text):
    """Checks the exposition format; returns {(name, ((label, value), ...)): float}."""
    help_seen, types, samples = set(), {}, {}
    for number, line in enumerate(text.splitlines(), 1):
        where = f"line {number}: {line!r}"
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            kind, name, rest = line[2:6], *line[7:].split(" ", 1)
            assert NAME.fullmatch(name) and rest.strip(), where
            if kind == "HELP":
                assert name not in help_seen, f"second HELP for {name}"
                help_seen.add(name)
            else:
                assert name not in types and rest in ("gauge", "counter", "summary", "histogram", "untyped"), where
                types[name] = rest
            continue
        assert line and not line.startswith("#"), where
        match = SAMPLE.match(line)
        assert match, where
        name, labels_text, value = match.group(1), match.group(3) or "", match.group(4)
        family = name
        for suffix in ("_sum", "_count", "_bucket"):
            if name.endswith(suffix) and types.get(name[: -len(suffix)]) in ("summary", "histogram"):
                family = name[: -len(suffix)]
        assert family in help_seen and family in types, f"{where}: no # HELP and # TYPE before it"
        labels = tuple(LABEL.findall(labels_text))
        assert ",".join(f'{k}="{v}"' for k, v in labels) == labels_text, f"{where}: malformed labels"
        key = (name, labels)
        assert key not in samples, f"{where}: duplicate series"
        samples[key] = float(value)  # accepts NaN, +Inf
    return types, samples


def promtool_check(text):
    """`promtool check metrics` (Debian's prometheus package) must accept the exposition."""
    promtool = shutil.which("promtool")
    assert promtool, "promtool is not installed (scripts/deps.sh installs the prometheus package)"
    proc = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"promtool check metrics: {proc.stdout}{proc.stderr}"


def check_prometheus(lab, m):
    text = metrics(lab.state, "--format", "prometheus").stdout
    types, samples = parse_prometheus(text)
    for name, labels in samples:
        assert labels and labels[0][0] == "mode" and labels[0][1] in ("live", "tabletop"), f"{name}{labels}: no mode label"
    assert types["writ_approval_latency_seconds"] == "summary" and types["writ_runs"] == "gauge"

    def at(name, mode, *labels):
        return samples[(name, (("mode", mode),) + labels)]
    assert at("writ_runs", "tabletop", ("status", "completed")) == 3
    assert at("writ_runs", "live", ("status", "completed")) == 1
    assert at("writ_runs", "live", ("status", "failed")) == 1
    ciso = m["tabletop"]["approvals"]["latency_ms_by_role"]["ciso"]
    assert at("writ_approval_latency_seconds", "tabletop", ("role", "ciso"), ("quantile", "0.95")) == ciso["p95"] / 1000
    assert at("writ_approval_latency_seconds", "tabletop", ("role", "legal"), ("quantile", "1")) == ciso["max"] / 1000
    assert at("writ_approval_latency_seconds_count", "tabletop", ("role", "ciso")) == 6
    assert not any(name == "writ_approval_latency_seconds" and labels[0] == ("mode", "live") for name, labels in samples)
    assert at("writ_time_to_first_action_seconds", "tabletop", ("quantile", "1")) == \
        m["tabletop"]["time_to_first_action_ms"]["max"] / 1000
    assert at("writ_time_to_contain_seconds_count", "live") == 0
    assert at("writ_automation_success_ratio", "tabletop") == 8 / 14
    assert at("writ_automation_success_ratio", "live") == 0.5
    assert at("writ_evidence_compliance_ratio", "live") == 0.5
    assert math.isnan(at("writ_evidence_compliance_ratio", "tabletop"))
    assert at("writ_evidence_artifacts", "live", ("state", "verified")) == 2
    assert at("writ_evidence_artifacts", "tabletop", ("state", "skipped_dry_run")) == 7
    assert at("writ_rollbacks", "tabletop", ("status", "executed")) == 1
    assert at("writ_rollback_requests", "tabletop", ("trigger", "approval_refused")) == 1
    promtool_check(text)


def check_evidence_option(lab):
    elsewhere = lab.scratch.path / "no-store"
    m = json.loads(metrics(lab.state, "--evidence", str(elsewhere)).stdout)
    assert (m["evidence"]["preserved"], m["evidence"]["verified"]) == (2, 0)
    unverifiable = [p for p in m["evidence"]["problems"] if p["run_id"] == lab.runs["evidence"]]
    assert len(unverifiable) == 2 and all("cannot be read" in p["problem"] for p in unverifiable), unverifiable
    m = json.loads(metrics(lab.state, "--evidence", str(pathlib.Path(lab.state) / "evidence")).stdout)
    assert m["evidence"]["verified"] == 2
    # An altered stored object is preserved but no longer verified.
    (obj,) = [p for p in (pathlib.Path(lab.state) / "evidence" / "objects").rglob("*")
              if p.is_file() and p.read_bytes() == b"packets\n"]
    obj.chmod(0o600)
    obj.write_bytes(b"packetz\n")
    m = json.loads(metrics(lab.state).stdout)
    assert (m["evidence"]["verified"], m["evidence"]["compliance"]) == (1, 0.25)
    assert any("does not match the journal" in p["problem"] for p in m["evidence"]["problems"])


def check_damaged_journal(lab):
    copy = lab.scratch.path / "state-copy"
    shutil.copytree(lab.state, copy)
    journal = copy / "runs" / lab.runs["slow_approval"] / "journal.jsonl"
    lines = journal.read_text().splitlines(True)
    del lines[3]  # a record removed: the chain breaks at the next line
    journal.write_text("".join(lines))
    proc = metrics(str(copy), expect=1)
    m = json.loads(proc.stdout)
    assert [u["run_id"] for u in m["unreadable_journals"]] == [lab.runs["slow_approval"]]
    assert "journal.jsonl:4" in m["unreadable_journals"][0]["error"]
    assert lab.runs["slow_approval"] in proc.stderr
    assert m["unreadable_journals"][0]["mode"] == "tabletop"  # its run_started record was read and verified
    assert m["tabletop"]["runs_total"] == 4 and m["tabletop"]["approvals"]["decided"] == 5
    assert (m["tabletop"]["journals_unreadable"], m["live"]["journals_unreadable"]) == (1, 0)
    within(m["tabletop"]["approvals"]["latency_ms_by_role"]["ciso"]["max"], 1000, 1000 + SLACK_MS, "max without the 1.5 s run")
    text = metrics(str(copy), "--format", "prometheus", expect=1).stdout
    assert 'writ_journals_unreadable{mode="tabletop"} 1\n' in text and 'writ_journals_unreadable{mode="live"} 0\n' in text


def test_metrics_from_real_runs():
    with rs.Scratch() as scratch, rs.Service(slow_approval) as approvals:
        lab = make_runs(scratch, approvals)
        for name, run_id in lab.runs.items():
            rs.verify_journal(scratch.journal(run_id))
        m = check_json(lab)
        check_prometheus(lab, m)
        check_damaged_journal(lab)
        check_evidence_option(lab)


def test_twins_and_modes():
    """Runs of a YAML runbook and of its DSL twin (same IR digest) are runs of one runbook
    listing both files; an edited copy (same id, another digest) is another runbook; tabletop
    and live runs are counted apart."""
    with rs.Scratch() as scratch:
        lab = Lab(scratch)
        critical, tabletop = "runbooks/events/critical.json", "runbooks/approvals/tabletop.json"
        yaml_twin = SOURCE / "runbooks" / "ransomware_containment.yaml"
        dsl_twin = SOURCE / "runbooks" / "dsl" / "ransomware_containment.writ"
        edited = yaml_twin.read_text().replace("approval_timeout_minutes: 15", "approval_timeout_minutes: 20")
        edited_file = scratch.write("edited.yaml", edited)
        for name, runbook in (("yaml", yaml_twin), ("dsl", dsl_twin), ("dsl_again", dsl_twin), ("edited", edited_file)):
            lab.run(name, str(runbook), critical, "--approvals", tabletop, "--dry-run", expect=0)
        pcap = scratch.write("artifacts/capture.pcap", "packets\n")
        lab.run("live", scratch.write("evidence.writ", EVIDENCE % (pcap, pcap)), scratch.write("low.json", {"id": "e", "severity": "low"}),
                expect=0)
        m = json.loads(metrics(lab.state).stdout)
        runs = {r["run_id"]: r for r in m["runs"]}
        twin_digest = runs[lab.runs["yaml"]]["digest"]
        assert runs[lab.runs["dsl"]]["digest"] == twin_digest != runs[lab.runs["edited"]]["digest"]
        by_runs = sorted(m["tabletop"]["runbooks"], key=lambda rb: rb["runs"])
        assert by_runs == [
            {"runbook": "ransomware_containment", "digest": runs[lab.runs["edited"]]["digest"], "files": [edited_file], "runs": 1},
            {"runbook": "ransomware_containment", "digest": twin_digest, "files": sorted([str(dsl_twin), str(yaml_twin)]),
             "runs": 3}], by_runs
        assert [(rb["runbook"], rb["runs"]) for rb in m["live"]["runbooks"]] == [("evidence_collect", 1)]
        assert (m["tabletop"]["runs_total"], m["live"]["runs_total"], m["runs_total"]) == (4, 1, 1)
        text = metrics(lab.state, "--format", "prometheus").stdout
        _, samples = parse_prometheus(text)
        assert samples[("writ_runbook_runs", (("mode", "tabletop"), ("runbook", "ransomware_containment"),
                                              ("digest", twin_digest)))] == 3
        assert samples[("writ_runs", (("mode", "tabletop"), ("status", "completed")))] == 4
        assert samples[("writ_runs", (("mode", "live"), ("status", "completed")))] == 1
        assert all(labels and labels[0][0] == "mode" for _, labels in samples)
        promtool_check(text)
        # A run directory whose name is not UTF-8 (the journals are): shown with U+FFFD, not a crash.
        copy = scratch.path / "state-copy"
        shutil.copytree(lab.state, copy)
        (copy / "runs" / lab.runs["live"]).rename(copy / "runs" / os.fsdecode(b"run-\xff"))
        m = json.loads(metrics(str(copy)).stdout)
        assert "run-\ufffd" in [r["run_id"] for r in m["runs"]]
        promtool_check(metrics(str(copy), "--format", "prometheus").stdout)


def test_empty_and_missing_state_directories():
    with rs.Scratch() as scratch:
        m = json.loads(metrics(str(scratch.path)).stdout)
        assert m["runs_total"] == 0 and m["approvals"]["refusal_rate"] is None
        assert m["time_to_contain_ms"] == {"count": 0, "sum": 0, "p50": None, "p95": None, "max": None}
        text = metrics(str(scratch.path), "--format", "prometheus").stdout
        parse_prometheus(text)
        promtool_check(text)
        proc = metrics(str(scratch.path / "absent"), expect=2)
        assert "not a state directory" in proc.stderr
        assert metrics(str(scratch.path), "--format", "yaml", expect=2).stdout == ""


if __name__ == "__main__":
    wrt.main([test_metrics_from_real_runs, test_twins_and_modes, test_empty_and_missing_state_directories])
