"""Helpers for the `writ serve` end-to-end tests: an auth file with hashed tokens, the real
binary started on a free loopback port (and stopped by the test), and a small HTTP client.
Every wait is bounded, so a test always stops by itself."""
import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

TOKENS = {  # name: (token, scopes, roles)
    "intake": ("tok-intake-5b1e", ["events"], []),
    "reader": ("tok-reader-93aa", ["read"], []),
    "ana": ("tok-ana-ciso-11f0", ["approve", "read"], ["ciso"]),
    "bo": ("tok-bo-legal-7c2d", ["approve", "read"], ["legal"]),
    "admin": ("tok-admin-e4a9", ["admin", "read", "events"], []),
}
HMAC_SECRET = "siem-hmac-secret-0123456789abcdef"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def auth_file(scratch, tokens=TOKENS, hmac_signer=True):
    lines = ["tokens:"]
    for name, (token, scopes, roles) in tokens.items():
        digest = hashlib.sha256(token.encode()).hexdigest()
        lines.append(f"  - {{name: {name}, token_sha256: {digest}, scopes: [{', '.join(scopes)}], roles: [{', '.join(roles)}]}}")
    if hmac_signer:
        lines += ["hmac:", "  - {name: siem, secret_env: WRIT_E2E_HMAC}"]
    return scratch.write("auth.yaml", "\n".join(lines) + "\n")


class Server:
    """`writ serve RUNBOOKS` on 127.0.0.1:<free port>, ready when /healthz answers."""

    def __init__(self, writ, runbooks, auth, state, extra=(), env=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        full_env = dict(os.environ, NO_COLOR="1", WRIT_E2E_HMAC=HMAC_SECRET)
        full_env.update(env or {})
        self.argv = [writ, "serve", runbooks, "--auth", auth, "--store", state, "--listen", f"127.0.0.1:{self.port}", *extra]
        self.proc = subprocess.Popen(self.argv, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"writ serve exited {self.proc.returncode}: {self.proc.stderr.read()}")
            try:
                if request(self.url + "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        self.kill()
        raise AssertionError("writ serve did not become healthy within 30 s")

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Sends `sig`, waits, returns (exit code, stderr)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            _, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
            raise AssertionError(f"writ serve did not stop within {timeout} s: {err}")
        return self.proc.returncode, err

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate()

    def call(self, method, path, body=None, token=None, headers=None, raw=None):
        return request(self.url + path, method, body, token, headers, raw)

    def run(self, run_id, token="reader"):
        return self.call("GET", f"/v1/runs/{run_id}", token=token)[1]

    def wait_run(self, run_id, until, timeout=30):
        """Polls the run until `until(run)` holds; returns the run."""
        deadline = time.time() + timeout
        run = None
        while time.time() < deadline:
            run = self.run(run_id)
            if until(run):
                return run
            time.sleep(0.1)
        raise AssertionError(f"run {run_id} never reached the expected state: {run}")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()


def request(url, method="GET", body=None, token=None, headers=None, raw=None):
    """(status, parsed JSON or text, headers). `token` is a TOKENS name or a literal token."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url, data=data, method=method)
    if token:
        req.add_header("Authorization", "Bearer " + TOKENS.get(token, (token,))[0])
    for key, value in (headers or {}).items():
        req.add_header(key, value)
    if data is not None and not any(k.lower() == "content-type" for k in (headers or {})):
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, parse(resp.read()), dict(resp.headers)
    except urllib.error.HTTPError as e:
        return e.code, parse(e.read()), dict(e.headers)


def parse(data):
    text = data.decode(errors="replace")
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def signature(body_bytes, timestamp=None, secret=HMAC_SECRET):
    t = str(int(time.time()) if timestamp is None else timestamp)
    mac = hmac.new(secret.encode(), t.encode() + b"." + body_bytes, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def run_dirs(state):
    runs = os.path.join(state, "runs")
    return sorted(os.listdir(runs)) if os.path.isdir(runs) else []
