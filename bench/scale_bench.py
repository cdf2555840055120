#!/usr/bin/env python3
"""Scale-out benchmark (DESIGN §15; not a test, not run by ctest). Starts a real PostgreSQL 15
on loopback in a temporary directory (tests/e2e/pg_support.py), then:

  1. the cost of one durable journal append, file store vs PostgreSQL store, in the same run
     (build/bench/bench/journal_append_bench);
  2. incidents per minute with 1, 2 and 3 `writ serve --store postgresql://…` nodes on this
     machine: E events of a 5-step dry-run runbook posted round-robin to the nodes by C client
     threads, timed from the first post until every run is completed (asked of node 1). A
     fresh database per node count.

    bench/scale_bench.py [--writ build/bench/writ] [--append-bench build/bench/bench/journal_append_bench]
                         [--events 300] [--clients 6] [--workers 4]

Figures mean something only on a quiet machine: the load average is printed with them."""
import argparse
import hashlib
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
sys.path.insert(0, str(ROOT / "bench"))
import pg_support  # noqa: E402
from serve_bench import RUNBOOK, TOKEN, call, free_port, post_events, wait_completed  # noqa: E402


def start_node(writ, work, dsn, workers, events):
    port = free_port()
    proc = subprocess.Popen([writ, "serve", str(work / "runbooks"), "--auth", str(work / "auth.yaml"), "--store", dsn,
                             "--evidence", str(work / "evidence"), "--listen", f"127.0.0.1:{port}", "--dry-run",
                             "--workers", str(workers), "--queue", str(events * 2)], stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if call(url + "/healthz")[0] == 200:
                return proc, url
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("scale_bench: a node did not start")


def incidents_per_minute(args, work, cluster, nodes):
    dsn = cluster.createdb(f"bench{nodes}")
    started = [start_node(args.writ, work, dsn, args.workers, args.events) for _ in range(nodes)]
    urls = [url for _, url in started]
    start = time.perf_counter()
    accepted, _ = post_events(urls, args.events, args.clients, f"scale-{nodes}")
    wait_completed(urls[0], len(accepted))
    wall = time.perf_counter() - start
    for proc, _ in started:
        proc.terminate()
        proc.wait(timeout=60)
    return len(accepted), wall


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--writ", default=str(ROOT / "build" / "bench" / "writ"))
    parser.add_argument("--append-bench", default=str(ROOT / "build" / "bench" / "bench" / "journal_append_bench"))
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix="writ-scale-bench-", dir="/var/tmp"))
    cluster = pg_support.Cluster().init().start()
    try:
        (work / "runbooks").mkdir()
        (work / "runbooks" / "bench.writ").write_text(RUNBOOK)
        digest = hashlib.sha256(TOKEN.encode()).hexdigest()
        (work / "auth.yaml").write_text(f"tokens:\n  - {{name: bench, token_sha256: {digest}, scopes: [events, read]}}\n")
        print(f"load average before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
        if pathlib.Path(args.append_bench).exists():
            subprocess.run([args.append_bench, cluster.createdb("appends"), "300", str(work / "appends")], check=True)
        else:
            print(f"(no {args.append_bench}: build it with `cmake --preset bench && cmake --build --preset bench`)")
        for nodes in (1, 2, 3):
            done, wall = incidents_per_minute(args, work, cluster, nodes)
            print(f"{nodes} node(s): {done} incidents (5 dry-run steps each) in {wall:.1f} s = {done / wall * 60:.0f} incidents/min")
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        cluster.destroy()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
