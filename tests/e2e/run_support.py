"""Helpers for the `writ run` end-to-end tests: loopback HTTP services (approval gate, EDR
connector) on 127.0.0.1 and a free port, scratch directories holding runbooks, connectors
files and events, and an independent check of the run journal's hash chain.

Every service answers through a Python function and records what it received; every wait is
bounded, so a test always stops by itself."""
import hashlib
import http.server
import json
import pathlib
import shutil
import tempfile
import threading

EVENT = {"id": "evt-1001", "severity": "critical", "host_id": "ws-042", "user_account": "jdoe",
         "user_id": "jdoe", "segment_id": "seg-finance", "source_ip": "203.0.113.7",
         "confidence": 0.92, "impact": "ransomware", "detected_at": "2026-11-27T08:00:00Z"}

# Four steps: two reversible containment steps (no approval needed: they declare their
# rollback), one irreversible step gated on ciso + legal, one notification.
CONTAINMENT = """
runbook containment {
  title    "Containment"
  severity critical
  step isolate = isolate_host(target: event.host_id) {
    rollback restore_host
  }
  step disable = disable_compromised_credentials(target: event.user_account) {
    rollback enable_credentials
  }
  step revoke = revoke_active_sessions(target: event.user_id) {
    approve ciso, legal within %(approval)s
  }
  step notify = notify_ciso_and_legal(channels: [slack, pagerduty])%(notify_options)s
}
"""


def containment(approval="5s", notify_options=""):
    return CONTAINMENT % {"approval": approval, "notify_options": notify_options}


class Request:
    def __init__(self, method, path, headers, body):
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)


class Service:
    """An HTTP service on 127.0.0.1:<free port>. `respond(request)` returns (status, body)
    where body is a dict (sent as JSON) or a str; it may sleep or block (bounded)."""

    def __init__(self, respond):
        self.requests = []
        self.lock = threading.Lock()
        service = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                request = Request(self.command, self.path, dict(self.headers), body)
                with service.lock:
                    service.requests.append(request)
                status, reply = respond(request)
                data = (json.dumps(reply) if isinstance(reply, (dict, list)) else reply).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout) or was killed

            do_GET = handle_any
            do_POST = handle_any

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path="/"):
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def seen(self):
        with self.lock:
            return list(self.requests)

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def closed_port_url(path="/"):
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


class Scratch:
    """A temporary directory for one test, removed afterwards."""

    def __init__(self):
        self.path = pathlib.Path(tempfile.mkdtemp(prefix="writ-run-e2e-"))

    def write(self, name, text):
        p = self.path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text if isinstance(text, str) else json.dumps(text))
        return str(p)

    def connectors(self, url, extra_routes="", name="connectors.yaml"):
        return self.write(name, f"""connectors:
  edr: {{type: http, url: "{url}", timeout_seconds: 5}}
routes: {{{extra_routes}"*": edr}}
""")

    def state(self):
        return str(self.path / "state")

    def journal(self, run_id):
        return self.path / "state" / "runs" / run_id / "journal.jsonl"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for p in self.path.rglob("*"):  # evidence objects are read-only
            try:
                p.chmod(0o700 if p.is_dir() else 0o600)
            except OSError:
                pass
        shutil.rmtree(self.path, ignore_errors=True)


def run_id_of(proc):
    for line in proc.stderr.splitlines():
        if line.startswith("run ") and line.endswith(" started"):
            return line.split()[1]
    raise AssertionError(f"no 'run RUN_ID started' line on stderr: {proc.stderr}")


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def verify_journal(path):
    """An auditor's check of the hash chain (docs/journal.md; a keyed journal's MACs are checked
    by the tests that hold the key); returns the records."""
    records = []
    prev = "0" * 64
    for number, line in enumerate(pathlib.Path(path).read_text().splitlines(), 1):
        record = json.loads(line)
        assert canonical(record) == line, f"line {number} is not canonical"
        assert record["seq"] == number, f"line {number}: seq {record['seq']}"
        assert record["prev"] == prev, f"line {number}: chain broken"
        body = {k: v for k, v in record.items() if k not in ("hash", "mac")}
        assert hashlib.sha256(canonical(body).encode()).hexdigest() == record["hash"], f"line {number}: hash"
        prev = record["hash"]
        records.append(record)
    return records


def connector_calls(service):
    """(action, idempotency key) of every call the fake connector received, in order."""
    return [(r.json()["action"], r.headers.get("Idempotency-Key")) for r in service.seen() if r.method == "POST"]


def actions(service):
    return [a for a, _ in connector_calls(service)]
