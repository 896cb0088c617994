"""The code table, its pages (`docs/codes/<CODE>.md`) and its fixtures agree.

Every page has the form:

    # FZ1003 unknown-node
    **Severity:** ...            (generated from the table: see `severity_line`)
    what it means
    ## Example
    ```fz   the bad example: it must produce the code
    fzc reports:
    ```text the full render of the bad example as `example.fz` (FZC_ACCEPT=1 rewrites it)
    ## How to fix
    ```fz   the fixed example: it must not produce the code, nor any error

A fixture is `tests/diagnostics/<CODE>_<name>.fz` (run by tests/test_diagnostics.py) or, for a
code that needs more than a diagram (a template, an output folder, a simulation), a folder
`tests/**/<CODE>_<name>/` run by its own test; such a page's example is checked there too:
FZ4xxx in tests/limits/codes/ (tests/test_limits.py), FZ5xxx in tests/drift/codes/
(tests/test_drift.py), FZ6xxx in tests/simulate/codes/ (tests/test_simulate.py).
"""

from __future__ import annotations

import re

import pytest
from conftest import REPO
from golden import accepting

from fzc.diagnostics import Severity
from fzc.diagnostics.codes import CODES, Code
from fzc.diagnostics.render import full
from fzc.pipeline import analyze, decode
from fzc.source import Source

PAGES = REPO / "docs" / "codes"
FIXTURES = REPO / "tests" / "diagnostics"
FIXTURE_NAME = re.compile(r"(?P<code>FZ\d{4})_(?P<name>[a-z0-9-]+)")
# Multi-file fixtures: folders named <CODE>_<name> anywhere under tests/ (e.g. tests/drift/codes).
FOLDER_FIXTURES = {
    m["code"]: p
    for p in sorted((REPO / "tests").rglob("FZ*_*"))
    if p.is_dir() and (m := FIXTURE_NAME.fullmatch(p.name))
}
# Codes whose bad example cannot be shown as page text: bytes, control characters, 50 bad
# lines, a crash. Their fixtures (or unit test, for FZ9001) stand in.
NOT_IN_PAGE = {"FZ0006", "FZ0007", "FZ0008", "FZ9001"}
NO_FIXTURE = {"FZ9001"}  # forced by tests/test_diagnostics.py::test_internal_error_is_reported
BLOCK = re.compile(r"^```(?P<lang>\w*)\n(?P<body>.*?)^```$", re.S | re.M)


def severity_line(code: Code) -> str:
    """What the page must say about severity (the page may add why, after it)."""
    if code.severity is Severity.ERROR:
        return "**Severity:** error. `--strict` does not change it."
    if code.severity is Severity.WARNING and code.strict:
        return "**Severity:** warning; `--strict` makes it an error"
    if code.severity is Severity.WARNING:
        return "**Severity:** warning, also under `--strict`."
    return "**Severity:** note (information only), also under `--strict`."


def _section(text: str, title: str) -> str:
    m = re.search(rf"^## {title}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert m, f"no `## {title}` section"
    return m.group(1)


def _blocks(section: str, lang: str) -> list[re.Match]:
    return [m for m in BLOCK.finditer(section) if m["lang"] == lang]


def _codes(text: str, strict: bool = False) -> list[str]:
    return [d.code.code for d in analyze(Source("example.fz", text), strict=strict).diagnostics]


def test_every_code_has_a_page_and_no_page_is_unknown():
    pages = {p.stem for p in PAGES.glob("*.md")}
    assert not sorted(set(CODES) - pages), "write docs/codes/<CODE>.md for these"
    assert not sorted(pages - set(CODES)), "pages for codes that are not in the table"


def test_every_code_has_a_fixture_and_no_fixture_is_unknown():
    have = {}
    for path in [*FIXTURES.glob("*.fz"), *FOLDER_FIXTURES.values()]:
        m = FIXTURE_NAME.fullmatch(path.stem if path.is_file() else path.name)
        assert m, f"{path.name}: name it <CODE>_<name>.fz"
        assert m["code"] in CODES, f"{path.name}: {m['code']} is not in the table"
        assert m["name"] == CODES[m["code"]].name, f"{path.name}: the code's name is wrong"
        have[m["code"]] = path
    missing = sorted(set(CODES) - set(have) - NO_FIXTURE)
    assert not missing, f"add tests/diagnostics/<CODE>_<name>.fz for {missing}"


def test_names_are_unique_and_well_formed():
    names = [c.name for c in CODES.values()]
    assert len(names) == len(set(names))
    for key, c in CODES.items():
        assert key == c.code and re.fullmatch(r"FZ\d{4}", key)
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", c.name)
        assert not (c.strict and c.severity is Severity.ERROR), f"{key}: strict on an error"


@pytest.mark.parametrize("code", sorted(CODES))
def test_page(code):
    path = PAGES / f"{code}.md"
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == f"# {code} {CODES[code].name}"
    assert severity_line(CODES[code]) in text, "the severity line does not match the table"
    example, fix = _section(text, "Example"), _section(text, "How to fix")
    if code in FOLDER_FIXTURES:
        return  # needs more than a diagram: the folder fixture's own test runs the page
    bad = _blocks(example, "fz")
    if code in NOT_IN_PAGE:
        assert not bad
    else:
        assert bad, "the Example section needs a ```fz block"
        source = bad[0]["body"]
        assert code in _codes(source), "the bad example does not produce the code"
        _check_report(path, text, example, source)
    for good in _blocks(fix, "fz"):
        a = analyze(Source("example.fz", good["body"]))
        got = [d.code.code for d in a.diagnostics]
        assert code not in got, "the fixed example still produces the code"
        assert a.ok, f"the fixed example has errors: {got}"


def _check_report(path, text: str, example: str, source: str) -> None:
    """The `fzc reports:` block is what fzc prints for the bad example (full format)."""
    a = analyze(Source("example.fz", source))
    actual = full([(a.source, d) for d in a.diagnostics])
    (report,) = _blocks(example, "text")[:1] or [None]
    assert report is not None, "the Example section needs a ```text block with fzc's report"
    if report["body"] == actual:
        return
    if accepting():
        start = text.index(example) + report.start("body")
        end = text.index(example) + report.end("body")
        path.write_text(text[:start] + actual + text[end:], encoding="utf-8")
        return
    raise AssertionError(
        f"{path.name}: the `fzc reports:` block is stale (FZC_ACCEPT=1 rewrites it):\n{actual}"
    )


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.fz")), ids=lambda p: p.stem)
def test_strict_upgrades_documented_rules(path):
    """`--strict` turns a strict-marked warning into an error, and nothing else."""
    code = FIXTURE_NAME.fullmatch(path.stem)["code"]
    src, pre = decode(path.name, path.read_bytes())
    lenient = analyze(src, pre=pre)
    strict = analyze(src, pre=pre, strict=True)
    for before in lenient.diagnostics:
        if before.code.strict and before.level is Severity.WARNING:
            assert any(d.is_error and d.code == before.code for d in strict.diagnostics)

    def others(a):  # front-end codes --strict leaves alone (new errors stop the AWS planner)
        return {(d.code.code, d.level) for d in a.diagnostics if not d.code.strict} - {
            (d.code.code, d.level) for d in a.diagnostics if d.code.code >= "FZ3"
        }

    assert others(strict) == others(lenient)
    assert code in {d.code.code for d in strict.diagnostics}


def test_readme_lists_every_code():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    missing = [c for c in CODES if f"[{c}](docs/codes/{c}.md)" not in readme]
    assert not missing, f"README's diagnostic table lacks {missing}"
