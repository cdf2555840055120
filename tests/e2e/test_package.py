"""Issue 12, packaging: the installed tree and the Debian package work wherever they are put.

- `cmake --install BUILD --prefix P`, moved elsewhere, gives a `writ` that checks a runbook with
  no flags, reading the stdlib beside itself (../share/writ/stdlib), never the source tree;
- `cpack -G DEB` makes writ_<version>_<arch>.deb with the man page, a Depends computed from the
  shared libraries, and an unpacked (`dpkg-deb -x`) and moved tree that works the same way;
- the man page (docs/writ.1) names every command and every long option the CLI has.
The build directory is the one holding the `writ` under test."""
import pathlib
import re
import shutil
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import run_support as rs  # noqa: E402
import wrt  # noqa: E402

A = wrt.args()
W = pathlib.Path(A.writ).resolve()
BUILD = W.parent
SRC = pathlib.Path(A.source).resolve()
RUNBOOK = SRC / "runbooks" / "ransomware_containment.yaml"
MAN = (SRC / "docs" / "writ.1").read_text()


def sh(*argv, cwd=None, timeout=600):
    proc = subprocess.run([str(a) for a in argv], cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{argv}: exit {proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    return proc.stdout


def checks_without_flags(writ):
    env = {"WRIT_STDLIB": ""}
    proc = wrt.run(str(writ), "check", str(RUNBOOK), env=env)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def uses_its_own_stdlib(prefix):
    """Emptying the moved tree's stdlib must break it: it never falls back to the sources."""
    stdlib = prefix / "share" / "writ" / "stdlib"
    shutil.rmtree(stdlib)
    proc = wrt.run(str(prefix / "bin" / "writ"), "check", str(RUNBOOK), env={"WRIT_STDLIB": ""})
    assert proc.returncode == 2 and "cannot find the standard catalog" in proc.stderr, proc.stderr


def test_install_prefix_is_relocatable():
    with rs.Scratch() as s:
        sh("cmake", "--install", BUILD, "--prefix", s.path / "first")
        moved = s.path / "elsewhere" / "deeper"
        moved.parent.mkdir()
        (s.path / "first").rename(moved)
        checks_without_flags(moved / "bin" / "writ")
        assert (moved / "share" / "man" / "man1" / "writ.1.gz").is_file()
        uses_its_own_stdlib(moved)


def test_deb_package():
    with rs.Scratch() as s:
        sh("cpack", "-G", "DEB", "-B", s.path / "pkg", cwd=BUILD)
        debs = list((s.path / "pkg").glob("writ_*.deb"))
        assert len(debs) == 1, list((s.path / "pkg").iterdir())
        deb = debs[0]
        assert re.fullmatch(r"writ_\d+\.\d+\.\d+_[a-z0-9]+\.deb", deb.name), deb.name
        depends = sh("dpkg-deb", "-f", deb, "Depends")
        for lib in ("libyaml-cpp", "libcurl4", "libssl3", "libfmt", "libstdc++6", "libc6"):
            assert lib in depends, depends
        listing = sh("dpkg-deb", "-c", deb)
        for path in ("./usr/bin/writ", "./usr/share/man/man1/writ.1.gz", "./usr/share/writ/stdlib/actions.writ"):
            assert path in listing, listing
        sh("dpkg-deb", "-x", deb, s.path / "unpacked")
        (s.path / "unpacked").rename(s.path / "moved")
        checks_without_flags(s.path / "moved" / "usr" / "bin" / "writ")


def commands():
    """(argv prefix, help text) for every command and evidence subcommand."""
    top = wrt.run(str(W), "--help").stdout
    names = re.findall(r"^  ([a-z]+)\s{2,}", top.split("Subcommands:")[1], re.M)
    assert "check" in names and "run" in names, top
    out = []
    for name in names:
        text = wrt.run(str(W), name, "--help").stdout
        out.append(([name], text))
        if "Subcommands:" in text:
            for sub in re.findall(r"^  ([a-z]+)\s{2,}", text.split("Subcommands:")[1], re.M):
                out.append(([name, sub], wrt.run(str(W), name, sub, "--help").stdout))
    return out


def test_man_page_names_every_command_and_option():
    missing = []
    for argv, text in commands():
        if argv == ["help"]:
            continue
        if f".SS {' '.join(argv)}" not in MAN:
            missing.append(" ".join(argv))
        for option in set(re.findall(r"--([a-z][a-z0-9-]+)", text)) - {"help"}:
            if "\\-\\-" + option.replace("-", "\\-") not in MAN:
                missing.append(f"{' '.join(argv)} --{option}")
    assert not missing, f"docs/writ.1 lacks: {missing}"


def test_man_page_is_well_formed():
    assert MAN.count(".TH WRIT 1") == 1
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "EXIT STATUS"):
        assert f".SH {section}" in MAN, section
    man = shutil.which("man")
    if man:  # render it as a user would: no troff warnings
        proc = subprocess.run([man, "--warnings", "-l", str(SRC / "docs" / "writ.1")], capture_output=True,
                              text=True, env={"MANWIDTH": "80", "PATH": "/usr/bin:/bin"}, timeout=60)
        assert proc.returncode == 0 and "warning" not in proc.stderr, proc.stderr


if __name__ == "__main__":
    wrt.main([test_install_prefix_is_relocatable, test_deb_package, test_man_page_names_every_command_and_option,
              test_man_page_is_well_formed])
