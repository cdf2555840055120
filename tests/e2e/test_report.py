"""`writ report`: golden Markdown and JSON for the corrected seed runbooks, every JSON key
documented in docs/report.md, and the HTML page rendered by headless Chromium (Debian
`chromium`) into a screenshot that must show the report's red and green summary cards.

    python3 test_report.py --writ BUILD/writ --source REPO [--update]

--update rewrites tests/data/report/*.expected.{md,json} from the current output."""
import argparse
import json
import os
import pathlib
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import traceback
import zlib

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import wrt  # noqa: E402

RUNBOOKS = ["ransomware_containment", "active_breach"]
FORMATS = {"md": "md", "json": "json"}
GREEN = (0x1A, 0x7F, 0x37)  # .met card
RED = (0xCF, 0x22, 0x2E)    # .violated card


class Skip(Exception):
    pass


def report(writ, source, *argv):
    """Runs `writ report` from the source tree, so `file` keys are repository-relative."""
    return wrt.run(writ, "report", *argv, cwd=source, timeout=120)


def golden_tests(writ, source, update):
    tests = []
    for name in RUNBOOKS:
        for fmt, ext in FORMATS.items():
            def test(name=name, fmt=fmt, ext=ext):
                proc = report(writ, source, f"runbooks/{name}.yaml", "--format", fmt, "--no-timestamp")
                assert proc.returncode == 0, proc.stderr
                expected_file = source / "tests" / "data" / "report" / f"{name}.expected.{ext}"
                if update:
                    expected_file.parent.mkdir(parents=True, exist_ok=True)
                    expected_file.write_text(proc.stdout)
                    return
                expected = expected_file.read_text()
                if proc.stdout != expected:
                    import difflib
                    diff = "".join(difflib.unified_diff(expected.splitlines(True), proc.stdout.splitlines(True),
                                                        str(expected_file), "actual"))
                    raise AssertionError(f"differs from the golden file (refresh with --update):\n{diff}")
            test.__name__ = f"golden_{name}_{fmt}"
            tests.append(test)
    return tests


def json_keys(value, out=None):
    out = set() if out is None else out
    if isinstance(value, dict):
        for key, item in value.items():
            out.add(key)
            json_keys(item, out)
    elif isinstance(value, list):
        for item in value:
            json_keys(item, out)
    return out


def make_tests(writ, source):
    def json_matches_markdown_and_is_documented():
        proc = report(writ, source, "runbooks/active_breach.yaml", "runbooks/ransomware_containment.yaml",
                      "--format", "json", "--no-timestamp")
        assert proc.returncode == 0, proc.stderr
        model = json.loads(proc.stdout)
        assert [rb["id"] for rb in model["runbooks"]] == ["active_breach", "ransomware_containment"]
        breach = model["runbooks"][0]
        obligations = {ob["id"]: ob for ob in breach["obligations"]}
        # The corrected seed: GDPR, NIS2 and SEC obligations are met, the NIS2 final report is
        # a follow-up obligation (open), and every figure is what the rule computes.
        assert obligations["nis2.early_warning"]["step"] == "early_warning"
        assert obligations["nis2.early_warning"]["worst_case_seconds"] == 1800
        assert obligations["gdpr.authority"]["worst_case_seconds"] == 9900  # 4 x 30m runs + 15m + 30m approvals
        assert obligations["nis2.final_report"]["status"] == "open"
        assert model["summary"]["totals"] == {"met": 4, "violated": 0, "open": 1}
        nis2 = [c for c in model["summary"]["matrix"] if c["regime"] == "NIS2"][0]
        assert (nis2["met"], nis2["open"], nis2["status"]) == (2, 1, "open")
        steps = {s["id"]: s for s in breach["steps"]}
        assert steps["isolate"]["approval_status"] == "exempt"
        assert steps["revoke"]["approval_status"] == "covered"
        assert steps["revoke"]["approval"] == {"roles": ["ciso", "legal"], "timeout_seconds": 900, "timeout_declared": True}
        assert "generated_at" not in model
        docs = (source / "docs" / "report.md").read_text()
        undocumented = sorted(k for k in json_keys(model) if f"`{k}`" not in docs)
        assert not undocumented, f"report JSON keys missing from docs/report.md: {undocumented}"

    def timestamp_and_output_file():
        with tempfile.TemporaryDirectory() as tmp:
            out = pathlib.Path(tmp) / "r.json"
            proc = report(writ, source, "runbooks/active_breach.yaml", "--format", "json", "-o", str(out))
            assert proc.returncode == 0 and proc.stdout == "", proc.stderr
            model = json.loads(out.read_text())
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", model["generated_at"]), model.get("generated_at")

    def violations_and_suppressions_are_reported():
        with tempfile.TemporaryDirectory() as tmp:
            runbook = pathlib.Path(tmp) / "late.yaml"
            runbook.write_text(
                'metadata:\n  version: "1"\n  compliance_tags: ["GDPR"]\nplaybooks:\n  high:\n'
                '    id: late_notice\n    name: "Late <b>notice</b> & co"\n    steps:\n'
                '      # writ:ignore approval-timeout reason="tabletop only" expires=2099-01-01\n'
                '      - action: "notify_regulatory_contact"\n        channels: ["secure_portal"]\n'
                '        deadline_hours: 96\n')
            proc, model = wrt.run_json(writ, "report", str(runbook), "--format", "json")
            assert proc.returncode == 0, proc.stderr  # the report documents; it does not gate
            ob = model["runbooks"][0]["obligations"][0]
            assert (ob["id"], ob["status"], ob["margin_seconds"]) == ("gdpr.authority", "violated", -86400)
            assert "deadline is later" in ob["reason"]
            assert model["runbooks"][0]["suppressions"] == [
                {"rule": "approval-timeout", "reason": "tabletop only", "expires": "2099-01-01", "line": 9, "applies_to_line": 10}]
            md = wrt.run(writ, "report", str(runbook)).stdout
            assert "| approval-timeout | 9 | tabletop only | 2099-01-01 |" in md
            assert "**violated**: the step's deadline is later than the obligation's" in md
            html = wrt.run(writ, "report", str(runbook), "--format", "html").stdout
            assert "Late &lt;b&gt;notice&lt;/b&gt; &amp; co" in html and "<b>notice</b>" not in html

    def unreadable_input_is_a_usage_error():
        proc = report(writ, source, "runbooks/no_such_runbook.yaml")
        assert proc.returncode == 2, (proc.returncode, proc.stderr)

    def html_is_self_contained():
        proc = report(writ, source, "runbooks/", "--format", "html", "--no-timestamp")
        assert proc.returncode == 0, proc.stderr
        html = proc.stdout
        assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
        lowered = html.lower()
        for banned in ("<script", "<link", "<img", "src=", "url(", "@import", "http://", "https://"):
            assert banned not in lowered, f"the page must not load anything: found {banned!r}"
        assert "@media print" in html
        ids = re.findall(r'id="([^"]+)"', html)
        assert len(ids) == len(set(ids)), "duplicate element ids"
        for anchor in re.findall(r'href="#([^"]+)"', html):
            assert anchor in ids, f"link to a missing section #{anchor}"

    def html_renders_in_chromium():
        browser = shutil.which("chromium") or shutil.which("chromium-browser")
        if not browser:
            raise Skip("chromium is not installed (apt-get install chromium; scripts/deps.sh does with "
                       "WRIT_WITH_CHROMIUM=1): the HTML report was not rendered")
        with tempfile.TemporaryDirectory() as tmp:
            page = pathlib.Path(tmp) / "report.html"
            shot = pathlib.Path(tmp) / "report.png"
            proc = report(writ, source, "runbooks/", "--format", "html", "-o", str(page))
            assert proc.returncode == 0, proc.stderr
            run = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}",
                                  "--window-size=1200,900", f"--user-data-dir={tmp}/profile", page.as_uri()],
                                 capture_output=True, text=True, timeout=180, env=dict(os.environ, HOME=tmp))
            assert shot.exists(), f"chromium wrote no screenshot (exit {run.returncode}): {run.stderr[-2000:]}"
            width, height, pixels = read_png(shot.read_bytes())
            assert (width, height) == (1200, 900), (width, height)
            counts = {}
            for px in pixels:
                counts[px] = counts.get(px, 0) + 1
            assert len(counts) >= 8, f"only {len(counts)} distinct colours: the page looks blank"
            background = max(counts.values())
            assert background < 0.9 * width * height, "one colour covers 90% of the screenshot"
            for name, colour in (("green (met)", GREEN), ("red (violated)", RED)):
                near = sum(n for px, n in counts.items() if all(abs(a - b) <= 8 for a, b in zip(px, colour)))
                assert near > 20000, f"the {name} summary card is not visible ({near} pixels)"

    return [json_matches_markdown_and_is_documented, timestamp_and_output_file, violations_and_suppressions_are_reported,
            unreadable_input_is_a_usage_error, html_is_self_contained, html_renders_in_chromium]


def read_png(data):
    """Decodes an 8-bit RGB or RGBA, non-interlaced PNG into (width, height, [(r, g, b)...])."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + length
    width, height, depth, colour_type, _, _, interlace = header
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, f"unsupported PNG {header}"
    channels = 3 if colour_type == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    pixels = []
    for y in range(height):
        start = y * (stride + 1)
        line = unfilter(raw[start], bytearray(raw[start + 1:start + 1 + stride]), previous, channels)
        pixels.extend(zip(line[0::channels], line[1::channels], line[2::channels]))
        previous = line
    return width, height, pixels


def unfilter(kind, line, previous, bpp):
    if kind == 0:
        return line
    if kind == 2:
        return bytearray((a + b) & 0xFF for a, b in zip(line, previous))
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        up = previous[i]
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + ((left + up) >> 1)) & 0xFF
        else:
            corner = previous[i - bpp] if i >= bpp else 0
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
    return line


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--writ", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--update", action="store_true", help="rewrite tests/data/report/*.expected.*")
    args = parser.parse_args()
    writ = os.path.abspath(args.writ)
    source = pathlib.Path(args.source).resolve()
    tests = golden_tests(writ, source, args.update)
    if args.update:
        for test in tests:
            test()
        print(f"updated {len(tests)} golden files")
        return
    passed = failed = skipped = 0
    for test in tests + make_tests(writ, source):
        try:
            test()
            passed += 1
            print(f"ok   {test.__name__}")
        except Skip as why:
            skipped += 1
            print(f"SKIP {test.__name__}: {why}")
        except Exception:  # noqa: BLE001 - report every failure and go on
            failed += 1
            print(f"FAIL {test.__name__}")
            traceback.print_exc(file=sys.stdout)
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
