#!/usr/bin/env python3
"""Load benchmark of `writ serve` (not a test, not run by ctest): starts the real binary on a
loopback port with the file store, posts N events of a 5-step dry-run runbook from C client
threads, and reports

  - events/s accepted (202 answers per second of posting),
  - p50 / p99 intake latency (request sent -> 202 received: routed, planned, run_started fsynced),
  - wall time from the first post until all N runs are completed (goal: N=1000 within 60 s).

    bench/serve_bench.py [--writ build/release/writ] [--events 1000] [--clients 8] [--workers 4]
"""
import argparse
import hashlib
import json
import pathlib
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
TOKEN = "bench-token-8d1f"
RUNBOOK = """
runbook bench_five {
  title    "Five dry-run steps"
  severity low
  step ticket = open_ticket(summary: "bench {{ event.id }}")
  step block  = block_ip(target: event.source_ip) {
    rollback unblock_ip
  }
  step isolate = isolate_host(target: event.host_id) {
    rollback restore_host
  }
  step tell = notify_ciso_and_legal(channels: [slack])
  step page = notify_ciso_and_legal(channels: [pagerduty])
}
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(url, method="GET", body=None):
    req = urllib.request.Request(url, data=body, method=method, headers={"Authorization": f"Bearer {TOKEN}"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def percentile(values, p):
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))]


def bench_event(event_id, i):
    return {"id": event_id, "severity": "low", "host_id": f"h{i}", "source_ip": "192.0.2.7",
            "detected_at": "2026-11-27T08:00:00Z"}


def post_events(urls, count, clients, prefix):
    """Posts `count` events from `clients` threads, event i to urls[i % len(urls)]. Returns
    (latencies in s of the 202 answers, statuses of the others)."""
    latencies, refused = [], []
    lock = threading.Lock()
    pending = iter(range(count))

    def client():
        while True:
            with lock:
                i = next(pending, None)
            if i is None:
                return
            body = json.dumps(bench_event(f"{prefix}-{i}", i)).encode()
            sent = time.perf_counter()
            status, _ = call(urls[i % len(urls)] + "/v1/events", "POST", body)
            took = time.perf_counter() - sent
            with lock:
                (latencies if status == 202 else refused).append(took if status == 202 else status)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, refused


def wait_completed(url, count):
    """Until `count` runs are completed, as `url` lists them."""
    while True:
        _, body = call(url + "/v1/runs?status=completed")
        if len(json.loads(body)["runs"]) >= count:
            return
        time.sleep(0.2)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--writ", default=str(ROOT / "build" / "release" / "writ"))
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix="writ-serve-bench-", dir="/var/tmp"))
    try:
        (work / "runbooks").mkdir()
        (work / "runbooks" / "bench.writ").write_text(RUNBOOK)
        digest = hashlib.sha256(TOKEN.encode()).hexdigest()
        (work / "auth.yaml").write_text(f"tokens:\n  - {{name: bench, token_sha256: {digest}, scopes: [events, read]}}\n")
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        proc = subprocess.Popen([args.writ, "serve", str(work / "runbooks"), "--auth", str(work / "auth.yaml"), "--store",
                                 str(work / "state"), "--listen", f"127.0.0.1:{port}", "--dry-run", "--workers",
                                 str(args.workers), "--queue", str(args.events * 2)], stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if call(url + "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.05)
        start = time.perf_counter()
        latencies, refused = post_events([url], args.events, args.clients, "bench")
        posted = time.perf_counter() - start
        wait_completed(url, len(latencies))
        total = time.perf_counter() - start
        proc.terminate()
        proc.wait(timeout=60)
        print(f"events: {args.events} posted by {args.clients} clients, {len(latencies)} accepted, {len(refused)} refused")
        print(f"accepted: {len(latencies) / posted:.1f} events/s")
        print(f"intake latency: p50 {statistics.median(latencies) * 1000:.1f} ms, p99 {percentile(latencies, 99) * 1000:.1f} ms")
        print(f"wall time to {len(latencies)} completed 5-step dry-run runs: {total:.1f} s (workers {args.workers})")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
