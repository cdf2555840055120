"""`writ fmt` end to end (DESIGN §8): it only ever rewrites .writ files — YAML, by name or by
content, exits 2 and is left untouched, also with -w —; `--check` prints the unified diff it
would make; the bundled .writ files are fmt-clean."""
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import wrt  # noqa: E402

A = wrt.args()
SRC = pathlib.Path(A.source)
W = A.writ

UNFORMATTED = 'runbook r {\n  title "Ticket"\n  severity low\n\n  step open = open_ticket(summary: "x {{event.id}}")\n}\n'
FORMATTED = 'runbook r {\n  title    "Ticket"\n  severity low\n\n  step open = open_ticket(summary: "x {{ event.id }}")\n}\n'


def test_fmt_refuses_yaml_by_name_and_by_content():
    yaml = (SRC / "runbooks" / "active_breach.yaml").read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("a.yaml", "b.yml", "c.writ", "no_extension"):
            path = pathlib.Path(tmp, name)
            path.write_bytes(yaml)
            os.utime(path, (1_000_000_000, 1_000_000_000))
            for flags in ([], ["-w"], ["--check"], ["-w", "--check"]):
                proc = wrt.run(W, "fmt", *flags, str(path))
                assert proc.returncode == 2, (name, flags, proc.returncode, proc.stderr)
                assert proc.stdout == "", (name, flags)
                assert f"{path}: is YAML" in proc.stderr and "writ convert" in proc.stderr, proc.stderr
                assert path.read_bytes() == yaml and path.stat().st_mtime == 1_000_000_000, (name, flags)
        assert "writ convert " + str(pathlib.Path(tmp, "a.yaml")) + " > " in wrt.run(W, "fmt", str(pathlib.Path(tmp, "a.yaml"))).stderr


def test_fmt_check_prints_the_diff_it_would_make():
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp, "r.writ")
        path.write_text(UNFORMATTED)
        proc = wrt.run(W, "fmt", "--check", str(path))
        assert proc.returncode == 1, proc
        assert proc.stdout == (f"--- {path}\n+++ {path} (formatted)\n@@ -1,6 +1,6 @@\n runbook r {{\n"
                               '-  title "Ticket"\n+  title    "Ticket"\n   severity low\n \n'
                               '-  step open = open_ticket(summary: "x {{event.id}}")\n'
                               '+  step open = open_ticket(summary: "x {{ event.id }}")\n }\n'), proc.stdout
        assert path.read_text() == UNFORMATTED  # --check never writes
        if shutil.which("patch"):
            subprocess.run(["patch", "-s", str(path)], input=proc.stdout, text=True, check=True)
            assert path.read_text() == FORMATTED
        path.write_text(FORMATTED)
        clean = wrt.run(W, "fmt", "--check", str(path))
        assert clean.returncode == 0 and clean.stdout == "", clean


def test_fmt_write_formats_dsl_in_place():
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp, "r.writ")
        path.write_text(UNFORMATTED)
        assert wrt.run(W, "fmt", "-w", str(path)).returncode == 0
        assert path.read_text() == FORMATTED


def test_bundled_writ_files_are_fmt_clean():
    files = sorted((SRC / "runbooks").rglob("*.writ")) + sorted((SRC / "stdlib").rglob("*.writ"))
    assert len(files) >= 8, files
    for f in files:
        proc = wrt.run(W, "fmt", "--check", str(f.relative_to(SRC)), cwd=SRC)
        assert proc.returncode == 0, f"{f} is not fmt-clean (writ fmt -w {f}):\n{proc.stdout}{proc.stderr}"


if __name__ == "__main__":
    wrt.main([test_fmt_refuses_yaml_by_name_and_by_content, test_fmt_check_prints_the_diff_it_would_make,
              test_fmt_write_formats_dsl_in_place, test_bundled_writ_files_are_fmt_clean])
