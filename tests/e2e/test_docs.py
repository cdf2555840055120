"""The documentation is true and self-contained.

1. Every ```writ and ```yaml example in docs/dsl.md, docs/policy.md and docs/regulations.md is
   a complete file checked with the real binary. A runbook passes `writ check` (or, marked
   `<!-- example: expect=RULE -->` on the line above, fails with exactly that rule); a policy
   loads through `writ catalog policy --policy` (or fails with RULE), and a runbook marked
   `policy=NAME` is checked under the policy example of that name; `as=policy` makes a block
   that does not look like one a policy (a policy without its `policy:` key). `twin=NAME` asserts the same IR digest as
   an earlier example; a ```text block marked `<!-- output -->` must appear line by line in
   the output of the example before it; a ```sh block marked `<!-- example: shell -->` runs
   (with `writ` on the PATH) where the examples are saved. An example that is neither runbook nor policy fails
   the test: examples never go unchecked.
2. Every relative link and every repository path README.md, grammar/README.md and docs/*.md
   mention exists in the repository, and none points at documents it does not hold (the
   design notes and references kept outside it)."""
import json
import os
import pathlib
import re
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import wrt  # noqa: E402

A = wrt.args()
SRC = pathlib.Path(A.source).resolve()
W = str(pathlib.Path(A.writ).resolve())
STDLIB = ["--stdlib", str(SRC / "stdlib")]
EXAMPLE_DOCS = ["docs/dsl.md", "docs/policy.md", "docs/regulations.md"]
FENCE = re.compile(r"^```(\w[\w-]*)?\s*$")
MARKER = re.compile(r"^<!--\s*(example|output)\s*:?\s*(.*?)\s*-->$")


class Example:
    def __init__(self, doc, line, lang, text, options):
        self.doc, self.line, self.lang, self.text, self.options = doc, line, lang, text, options
        self.name = options.get("name") or f"example_{line}.{'writ' if lang == 'writ' else 'yaml'}"
        self.output = None  # what the binary printed, for a following `<!-- output -->` block

    def where(self):
        return f"{self.doc}:{self.line}"

    def kind(self):
        if "as" in self.options:
            return self.options["as"]
        if re.search(r"^runbook\s", self.text, re.M) or re.search(r"^playbooks:", self.text, re.M):
            return "runbook"
        if re.search(r"^policy(\s+\w+\s*\{|:)", self.text, re.M):
            return "policy"
        return None


def blocks(doc):
    """(line, lang, text, marker kind, marker options) for every fenced block of `doc`."""
    lines = (SRC / doc).read_text().splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        lang = m.group(1) or ""
        start = i
        body = []
        i += 1
        while i < len(lines) and lines[i] != "```":
            body.append(lines[i])
            i += 1
        marker = MARKER.match(lines[start - 1]) if start > 0 else None
        kind = marker.group(1) if marker else None
        options = {}
        for opt in (marker.group(2).split() if marker else []):
            key, _, value = opt.partition("=")
            options[key] = value or True
        yield start + 1, lang, "\n".join(body) + "\n", kind, options
        i += 1


def run_example(example, tmp, by_name):
    path = tmp / example.name
    path.write_text(example.text)
    kind = example.kind()
    assert kind, f"{example.where()}: a {example.lang} example that is neither a runbook nor a policy"
    if kind == "policy":
        argv = ["catalog", "policy", "--policy", example.name]
    else:
        argv = ["check", example.name]
        if "policy" in example.options:
            argv += ["--policy", by_name[example.options["policy"]].name]
    proc = wrt.run(W, *STDLIB, *argv, cwd=tmp)
    example.output = proc.stdout + proc.stderr
    expect = example.options.get("expect")
    if kind == "policy" and not expect:
        assert proc.returncode == 0, f"{example.where()}: policy does not load:\n{proc.stderr}"
        return
    if expect:
        rules = set(re.findall(r"(?:error|warning)\[([\w-]+)\]", example.output))
        assert proc.returncode == 1 and rules == {expect}, \
            f"{example.where()}: expected only {expect}, got exit {proc.returncode}:\n{example.output}"
    else:
        assert proc.returncode == 0 and "warning[" not in example.output, \
            f"{example.where()}: expected a clean check:\n{example.output}"
    if "twin" in example.options:
        twin = by_name[example.options["twin"]]
        digests = [json.loads(wrt.run(W, *STDLIB, "compile", e.name, cwd=tmp).stdout)["digest"]
                   for e in (example, twin)]
        assert digests[0] == digests[1], f"{example.where()}: not the same IR as {twin.where()}"


def run_shell(doc, line, text, tmp):
    """A ```sh block marked `<!-- example: shell -->` runs with bash where the examples are."""
    env = {"PATH": f"{pathlib.Path(W).parent}:{os.environ['PATH']}", "WRIT_STDLIB": str(SRC / "stdlib")}
    proc = wrt.run("bash", "-euo", "pipefail", "-c", text, cwd=tmp, env=env)
    assert proc.returncode == 0, f"{doc}:{line}: the shell example fails:\n{proc.stdout}{proc.stderr}"


def test_examples_compile():
    count = 0
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = pathlib.Path(tmp_dir)
        for doc in EXAMPLE_DOCS:
            by_name = {}
            previous = None
            for line, lang, text, marker, options in blocks(doc):
                if lang in ("writ", "yaml"):
                    example = Example(doc, line, lang, text, options)
                    run_example(example, tmp, by_name)
                    by_name[example.name] = previous = example
                    count += 1
                elif marker == "example" and "shell" in options:
                    run_shell(doc, line, text, tmp)
                elif marker == "output":
                    assert previous and previous.output is not None, f"{doc}:{line}: output of nothing"
                    for expected in text.splitlines():
                        assert expected in previous.output.splitlines(), \
                            f"{doc}:{line}: `{expected}` is not in the output of {previous.where()}:\n{previous.output}"
    assert count >= 15, f"only {count} examples found"


# Documents that live outside the repository: a doc must not send a reader there.
OUTSIDE = re.compile(r"DESIGN(\.md|\s*§)|\bshared/|\breference/|\bseed/")
LINK = re.compile(r"\]\(([^)\s]+)\)")
CODE = re.compile(r"`([^`\s]+)`")
PATHLIKE = re.compile(r"^[\w.-]+(/[\w.-]+)*/?$")
SOURCE_SUFFIXES = (".md", ".h", ".cc", ".py", ".sh", ".writ", ".def", ".txt")


def user_docs():
    return ["README.md", "grammar/README.md"] + sorted(str(p.relative_to(SRC)) for p in (SRC / "docs").glob("*.md"))


def repo_names():
    return {p.name for p in SRC.rglob("*") if ".git" not in p.parts and "build" not in p.parts}


def mentioned_paths(text):
    """Code spans that name a file of the repository: `compiler/lower.cc`, `docs/`, `ast.h`."""
    for token in CODE.findall(text):
        token = token.rstrip(".,:;")
        if not PATHLIKE.match(token) or token.startswith(("http", "-")):
            continue
        parts = token.rstrip("/").split("/")
        if any(p.isupper() or p in ("..", ".") for p in parts):  # placeholders: EVIDENCE/, RUN_ID
            continue
        if token.startswith("."):  # an extension: `.writ`
            continue
        first_is_top = (SRC / parts[0]).exists()
        if token.endswith(SOURCE_SUFFIXES) or ("/" in token and first_is_top):
            yield token


def test_links_and_paths_exist():
    names = repo_names()
    failures = []
    for doc in user_docs():
        text = (SRC / doc).read_text()
        base = (SRC / doc).parent
        for n, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                failures.append(f"{doc}:{n}: points outside the repository: {line.strip()}")
        for target in LINK.findall(text):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            file_part, _, anchor = target.partition("#")
            dest = ((base / file_part) if file_part else SRC / doc).resolve()
            if not dest.is_relative_to(SRC) or not dest.exists():
                failures.append(f"{doc}: link to a missing file: {target}")
            elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
                failures.append(f"{doc}: link to a missing heading: {target}")
        for path in mentioned_paths(text):
            bare = "/" not in path.rstrip("/")
            exists = path.rstrip("/") in names if bare else (SRC / path).exists() or (base / path).exists()
            # A directory-relative mention (`runtime/options.h` under runtime/) counts too.
            if not exists and not bare:
                exists = any(SRC.glob(f"*/{path}"))
            if not exists:
                failures.append(f"{doc}: mentions `{path}`, which the repository does not hold")
    assert not failures, "\n".join(failures)


def anchors(md):
    out = set()
    for line in md.read_text().splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            out.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return out


wrt.main([test_examples_compile, test_links_and_paths_exist])
