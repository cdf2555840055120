#!/usr/bin/env python3
"""Generates a corpus of runbooks for `writ check` benchmarks: N files, half YAML and half
DSL, varied step counts, about one in ten with a planted error (a typo'd field, a missing
rollback), so the checker does realistic work. Deterministic for a given --seed."""
import argparse
import pathlib
import random

ACTIONS = [("isolate_host", "host_id", "restore_host"), ("disable_compromised_credentials", "user_account", "enable_credentials"),
           ("block_ip", "source_ip", "unblock_ip"), ("collect_memory", "host_id", None),
           ("trigger_forensic_imaging", "host_id", None), ("revoke_active_sessions", "user_id", None)]
SEVERITIES = ["low", "medium", "high", "critical"]


def yaml_runbook(rng, i):
    lines = ["metadata:", '  version: "1.0"', '  compliance_tags: ["GDPR"]', "playbooks:",
             f"  {rng.choice(SEVERITIES)}:", f"    id: rb_{i}", f'    name: "Generated runbook {i}"', "    steps:"]
    for k in range(rng.randint(3, 12)):
        action, field, inverse = rng.choice(ACTIONS)
        if rng.random() < 0.03:
            field = field.replace("_", "")  # planted binding error
        lines += [f'      - action: "{action}"', f"        id: s{k}", f'        target: "{{{{event.{field}}}}}"',
                  "        requires_approval: true", "        approval_timeout_minutes: 15"]
        if inverse and rng.random() > 0.05:
            lines.append(f'        rollback: "{inverse}"')
        lines.append('        preserve_artifacts: ["/evidence/' + f'{i}_{k}.bin"]')
    lines += ['      - action: "notify_regulatory_contact"', "        id: notify", '        channels: ["secure_portal"]',
              "        deadline_hours: 48", '        satisfies: ["gdpr.authority"]']
    return "\n".join(lines) + "\n"


def dsl_runbook(rng, i):
    out = [f"runbook rb_{i} {{", f'  title "Generated runbook {i}"', f"  severity {rng.choice(SEVERITIES)}",
           "  comply GDPR"]
    for k in range(rng.randint(3, 12)):
        action, field, inverse = rng.choice(ACTIONS)
        if rng.random() < 0.03:
            field = field.replace("_", "")
        out.append(f"  step s{k} = {action}(target: event.{field}) {{")
        out.append("    approve within 15m")
        if inverse and rng.random() > 0.05:
            out.append(f"    rollback {inverse}")
        out.append(f'    preserve "/evidence/{i}_{k}.bin"')
        out.append("  }")
    out += ["  step notify = notify_regulatory_contact(channels: [secure_portal]) {", "    deadline 48h",
            "    satisfies gdpr.authority", "  }", "}"]
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--files", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    out = pathlib.Path(args.out)
    for i in range(args.files):
        sub = out / f"d{i // 500:03d}"
        sub.mkdir(parents=True, exist_ok=True)
        if i % 2:
            (sub / f"rb_{i}.writ").write_text(dsl_runbook(rng, i))
        else:
            (sub / f"rb_{i}.yaml").write_text(yaml_runbook(rng, i))


if __name__ == "__main__":
    main()
