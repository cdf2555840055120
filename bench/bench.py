#!/usr/bin/env python3
"""The measurements behind bench/run.sh (see there): each target and its anchors run
alternately, RUNS times; wall time and peak RSS (the child's ru_maxrss, from wait4) are
reported as medians, with the ratios and a PASS/FAIL per target. Exit 1 when one fails."""
import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
CHECK_RATIO, CHECK_RSS_MIB, LINEAR_SPREAD = 0.75, 128, 1.25
PRESERVE_RATIO, DC3DD_SPEEDUP, PRESERVE_RSS_MIB = 1.15, 2.5, 32
GNU_TIME = "/usr/bin/time"


def measure(argv, stdout=None):
    """(wall seconds, peak RSS MiB, exit status, CPU seconds) of one run; output to `stdout`
    or nowhere.
    The peak RSS comes from GNU time: a child forked from Python would count Python's pages in
    its ru_maxrss (Linux keeps the high-water mark across exec)."""
    with tempfile.NamedTemporaryFile("r") as rss, open(stdout or os.devnull, "w") as out:
        start = time.perf_counter()
        code = subprocess.run([GNU_TIME, "-f", "%M %U %S", "-o", rss.name, *argv], stdout=out,
                              stderr=subprocess.DEVNULL).returncode
        wall = time.perf_counter() - start
        kib, user, system = rss.read().split()[-3:]
        return wall, int(kib) / 1024, code, float(user) + float(system)


def medians(runs, commands):
    """Runs every (name, run, accepted exit codes) `runs` times, interleaved, where `run()`
    returns measure()'s tuple; {name: (median wall, median peak RSS, median CPU seconds)}."""
    samples = {name: [] for name, _, _ in commands}
    for _ in range(runs):
        for name, run, accepted in commands:
            wall, rss, code, cpu = run()
            if code not in accepted:
                sys.exit(f"bench: {name} exited {code}")
            samples[name].append((wall, rss, cpu))
    return {name: tuple(statistics.median(s[i] for s in v) for i in range(3)) for name, v in samples.items()}


def corpus(work, kind, files):
    path = work / f"{kind}-{files}"
    if not (path / ".complete").exists():
        shutil.rmtree(path, ignore_errors=True)
        print(f"generating {path} ...", flush=True)
        subprocess.run([sys.executable, str(HERE / "gen_corpus.py"), str(path), "--files", str(files), "--kind", kind],
                       check=True)
        (path / ".complete").touch()
    return path


def verdict(ok):
    return "PASS" if ok else "FAIL"


def check_clean(args, work, sizes):
    failures, per_file, cpu_per_file = 0, [], []
    print(f"\n== writ check --format json, default threads ({os.cpu_count()} cores), vs yaml-cpp LoadFile on 1 thread")
    print(f"{'corpus':>12} {'yaml-cpp s':>10} {'check s':>8} {'ratio':>6} {'us/file':>8} {'RSS MiB':>8} "
          f"{'CPU s: yaml-cpp':>15} {'check':>6}")
    for files in sizes:
        path = str(corpus(work, "clean", files))
        m = medians(args.runs, [("anchor", lambda: measure([args.yaml_parse, path]), {0}),
                                ("check", lambda: measure([args.writ, "check", "--format", "json", path]), {0})])
        (anchor, _, anchor_cpu), (check, rss, check_cpu) = m["anchor"], m["check"]
        per_file.append(check / files)
        cpu_per_file.append(check_cpu / files)
        line = (f"{'clean ' + str(files):>12} {anchor:10.2f} {check:8.2f} {check / anchor:6.2f} "
                f"{1e6 * check / files:8.0f} {rss:8.1f} {anchor_cpu:15.2f} {check_cpu:6.2f}   "
                f"RSS <= {CHECK_RSS_MIB}: {verdict(rss <= CHECK_RSS_MIB)}")
        failures += rss > CHECK_RSS_MIB
        if files == 10000:
            line += f", ratio <= {CHECK_RATIO}: {verdict(check / anchor <= CHECK_RATIO)}"
            failures += check / anchor > CHECK_RATIO
        print(line, flush=True)
    if len(per_file) > 1:
        spread = max(per_file) / min(per_file)
        print(f"linear: time per file within {spread:.2f}x from {sizes[0]} to {sizes[-1]} files "
              f"(<= {LINEAR_SPREAD}: {verdict(spread <= LINEAR_SPREAD)}); CPU time per file within "
              f"{max(cpu_per_file) / min(cpu_per_file):.2f}x")
        failures += spread > LINEAR_SPREAD
    return failures


def check_more(args, work):
    clean = str(corpus(work, "clean", 10000))
    m = medians(args.runs, [("j1", lambda: measure([args.writ, "check", "-j1", "--format", "json", clean]), {0})])
    print(f"clean 10000, -j1: {m['j1'][0]:.2f} s, RSS {m['j1'][1]:.1f} MiB, CPU {m['j1'][2]:.2f} s "
          "(for the thread speed-up)")
    faulty = str(corpus(work, "faulty", 10000))
    out = str(work / "faulty.json")
    m = medians(args.runs, [("anchor", lambda: measure([args.yaml_parse, faulty]), {0}),
                            ("check", lambda: measure([args.writ, "check", "--format", "json", faulty], out), {1})])
    summary = json.loads(pathlib.Path(out).read_text())["summary"]
    rss = m["check"][1]
    print(f"faulty 10000 (half .writ, 1 in 10 with a mistake; {summary['errors']} errors): check {m['check'][0]:.2f} s, "
          f"RSS {rss:.1f} MiB (<= {CHECK_RSS_MIB}: {verdict(rss <= CHECK_RSS_MIB)}); yaml-cpp on its YAML half "
          f"{m['anchor'][0]:.2f} s")
    return int(rss > CHECK_RSS_MIB)


def evidence(args, work):
    ev = work / "evidence"
    ev.mkdir(parents=True, exist_ok=True)
    artifact = ev / "artifact.bin"
    size = args.size_mib << 20
    if not artifact.exists() or artifact.stat().st_size != size:
        print(f"creating a {args.size_mib} MiB artifact ...", flush=True)
        with artifact.open("wb") as out:
            for _ in range(args.size_mib):
                out.write(os.urandom(1 << 20))
    subprocess.run(["cat", str(artifact)], stdout=subprocess.DEVNULL, check=True)  # every tool reads a warm cache
    store, copy = ev / "store", ev / "copy.bin"

    def clean():
        subprocess.run(["chmod", "-R", "u+w", str(store)], stderr=subprocess.DEVNULL)
        shutil.rmtree(store, ignore_errors=True)
        copy.unlink(missing_ok=True)
        subprocess.run(["sync"], check=True)  # nothing of the last run left to write back

    def timed(argv, then_sync=False, verify=False):
        def run():
            clean()
            wall, rss, code, cpu = measure(argv)
            if then_sync:
                wall += measure(["sync"])[0]
            if verify and subprocess.run([args.writ, "evidence", "verify", str(store)], capture_output=True).returncode:
                sys.exit("bench: the preserved store does not verify")
            return wall, rss, code, cpu
        return run

    commands = [("openssl", timed(["openssl", "dgst", "-sha256", str(artifact)]), {0}),
                ("cp+sync", timed(["cp", str(artifact), str(copy)], then_sync=True), {0}),
                ("preserve", timed([args.writ, "evidence", "preserve", str(artifact), "--evidence", str(store)],
                                        verify=True), {0})]
    dc3dd = shutil.which("dc3dd")
    if dc3dd:
        commands.append(("dc3dd", timed([dc3dd, f"if={artifact}", f"of={copy}", "hash=sha256", "nwspc=on"],
                                        then_sync=True), {0}))
    m = medians(args.runs, commands)
    clean()
    anchor = max(m["openssl"][0], m["cp+sync"][0])
    preserve, rss, _ = m["preserve"]
    print(f"\n== writ evidence preserve, {args.size_mib} MiB")
    for name in ("openssl", "cp+sync", "dc3dd", "preserve"):
        if name in m:
            print(f"{name:>10} {m[name][0]:7.2f} s  RSS {m[name][1]:6.1f} MiB")
    failures = (preserve / anchor > PRESERVE_RATIO) + (rss > PRESERVE_RSS_MIB)
    print(f"preserve / max(openssl, cp+sync) = {preserve / anchor:.2f} (<= {PRESERVE_RATIO}: "
          f"{verdict(preserve / anchor <= PRESERVE_RATIO)}); RSS <= {PRESERVE_RSS_MIB}: {verdict(rss <= PRESERVE_RSS_MIB)}")
    if dc3dd:
        speedup = m["dc3dd"][0] / preserve
        print(f"dc3dd / preserve = {speedup:.2f} (>= {DC3DD_SPEEDUP}: {verdict(speedup >= DC3DD_SPEEDUP)})")
        failures += speedup < DC3DD_SPEEDUP
    else:
        print("dc3dd is not installed: that ratio is not measured (a benchmark-only tool: apt-get install dc3dd)")
    return failures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--writ", required=True)
    parser.add_argument("--yaml-parse", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="skip the 100k corpus")
    parser.add_argument("--only", choices=["check", "evidence"], help="run one half")
    args = parser.parse_args()
    if not os.access(GNU_TIME, os.X_OK):
        print("bench: GNU time measures the peak RSS: apt-get install time (a benchmark-only tool)", file=sys.stderr)
        return 2
    work = pathlib.Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    print(f"median of {args.runs} runs; load average at start: {' '.join(open('/proc/loadavg').read().split()[:3])}")
    failures = 0
    if args.only != "evidence":
        failures += check_clean(args, work, [1000, 10000] if args.quick else [1000, 10000, 100000])
        failures += check_more(args, work)
    if args.only != "check":
        failures += evidence(args, work)
    print(f"\nload average at end: {' '.join(open('/proc/loadavg').read().split()[:3])}")
    print("all targets met" if failures == 0 else f"{failures} target(s) missed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
