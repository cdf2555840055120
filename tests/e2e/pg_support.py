"""A real PostgreSQL 15 for tests (Debian `postgresql`), on loopback only, in a temporary
directory, torn down afterwards. As root, initdb and postgres run as the `postgres` user (initdb
refuses root). Also a command line for ctest fixtures:

    python3 pg_support.py start DIR   # prints and writes DIR/dsn
    python3 pg_support.py stop DIR"""
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

BIN = pathlib.Path("/usr/lib/postgresql/15/bin")


def _as_owner(argv):
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """initdb into DIR/data; start(), stop(), kill(), restart(); dsn(db)."""

    def __init__(self, directory=None, port=None):
        # Its own directory under /tmp by default: the `postgres` user must reach it, which a
        # test's private scratch directory (mode 0700, root's) does not allow.
        self.dir = pathlib.Path(directory or tempfile.mkdtemp(prefix="writ-pg-"))
        self.data = self.dir / "data"
        self.port = port or free_port()
        self.proc = None

    def init(self):
        self.dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        subprocess.run(_as_owner([str(BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "writ", "--no-sync"]),
                       check=True, capture_output=True)
        return self

    def start(self):
        log = open(self.dir / "postgres.log", "ab")
        self.proc = subprocess.Popen(
            _as_owner([str(BIN / "postgres"), "-D", str(self.data), "-p", str(self.port), "-k", str(self.dir),
                       "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"]),
            stdout=log, stderr=log, start_new_session=True)
        deadline = time.time() + 30
        while time.time() < deadline:
            ready = subprocess.run([str(BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)], capture_output=True)
            if ready.returncode == 0:
                return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"postgres exited: {(self.dir / 'postgres.log').read_text()[-2000:]}")
            time.sleep(0.1)
        raise RuntimeError("postgres did not become ready in 30 s")

    def createdb(self, name):
        subprocess.run([str(BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "writ", name],
                       check=True, capture_output=True)
        return self.dsn(name)

    def psql(self, db, sql):
        proc = subprocess.run([str(BIN / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "writ", "-d", db,
                               "-v", "ON_ERROR_STOP=1", "-At", "-c", sql], capture_output=True, text=True)
        return proc

    def dsn(self, db="writ"):
        return f"postgresql://writ@127.0.0.1:{self.port}/{db}"

    def stop(self, sig=signal.SIGINT):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(timeout=30)
        self.proc = None

    def kill(self):
        self.stop(signal.SIGKILL)

    def restart(self):
        self.stop()
        return self.start()

    def destroy(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def main(argv):
    command, directory = argv[1], pathlib.Path(argv[2])
    if command == "start":
        shutil.rmtree(directory, ignore_errors=True)
        cluster = Cluster(directory).init().start()
        dsn = cluster.createdb("writ")
        (directory / "pid").write_text(str(cluster.proc.pid))
        (directory / "dsn").write_text(dsn)
        print(dsn)
        return 0
    if command == "stop":
        pid_file = directory / "pid"
        if pid_file.exists():
            try:
                os.killpg(int(pid_file.read_text()), signal.SIGINT)
            except ProcessLookupError:
                pass
            deadline = time.time() + 30
            while time.time() < deadline and (directory / "data" / "postmaster.pid").exists():
                time.sleep(0.1)
        shutil.rmtree(directory, ignore_errors=True)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
