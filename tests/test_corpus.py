"""Real FlowZap diagrams (tests/corpus, copied from ../shared/flowzap/corpus; see INDEX.md there).

* every file whose name does not start with `invalid__` checks without an error;
* every `invalid__` file gets exactly the errors INDEX.md describes, located and with help;
* the flagship sample has no front-end diagnostic at all;
* the concise output of each file is kept as a golden: tests/corpus/<name>.txt.
"""

from __future__ import annotations

import json

import pytest
from conftest import FLAGSHIP, LOCAL_CORPUS, corpus_files, rel, run_cli

from fzc.diagnostics import Severity
from fzc.pipeline import analyze, decode

FILES = corpus_files()
VALID = [p for p in FILES if not p.name.startswith("invalid__")]
INVALID = [p for p in FILES if p.name.startswith("invalid__")]

# What INDEX.md says each invalid file must get: the exact set of errors as (code, line), and
# warnings that must be among the rest.
EXPECTED = {
    "invalid__flowzap-mcp__get-syntax-skeleton-placeholder.fz": {
        # placeholder shape `shapeType`; edge to undeclared n2
        "errors": {("FZ1006", 2), ("FZ1003", 3)},
        "warnings": set(),
    },
    "invalid__flowzap-mcp__get-syntax-v1.0.2-comment-on-own-line.fz": {
        # display label on the line after `{`: accepted with a warning, no error
        "errors": set(),
        "warnings": {("FZ1012", 2), ("FZ1012", 14)},
    },
    "invalid__flowzap-mcp__get-syntax-v1.0.2-skeleton-placeholder.fz": {
        # placeholder shape, dangling n2, label on its own line
        "errors": {("FZ1006", 3), ("FZ1003", 4)},
        "warnings": {("FZ1012", 2)},
    },
    "invalid__flowzap-mcp__readme-v1.0.2-legacy-syntax.fz": {
        # legacy dialect: `rect`, word ids, chained `a -> b -> c` without handles
        "errors": {
            ("FZ1006", 4),
            ("FZ1006", 11),
            ("FZ1006", 12),
            ("FZ0004", 6),
            ("FZ0004", 14),
            ("FZ0003", 6),
            ("FZ0003", 14),
        },
        "warnings": {("FZ1008", n) for n in (3, 4, 5, 11, 12, 13)} | {("FZ1012", 2)},
    },
}


def _records(path) -> list[dict]:
    result = run_cli("check", "--format", "json", rel(path))
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)


def test_corpus_is_present():
    assert len(VALID) >= 11 and len(INVALID) >= 4
    assert {p.name for p in INVALID} >= set(EXPECTED)


def test_local_copy_matches_shared(shared_corpus_dir):
    """tests/corpus holds the shared corpus byte for byte (plus goldens and our own files)."""
    for path in sorted(shared_corpus_dir.iterdir()):
        copy = LOCAL_CORPUS / path.name
        assert copy.exists(), f"copy {path.name} into tests/corpus"
        assert copy.read_bytes() == path.read_bytes(), f"tests/corpus/{path.name} differs"


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_file_has_no_error(path):
    records = _records(path)
    errors = [r for r in records if r["severity"] == "error"]
    assert not errors, errors
    assert run_cli("check", rel(path)).exit_code == 0


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_file_gets_what_index_says(path):
    expected = EXPECTED[path.name]
    records = _records(path)
    errors = {(r["code"], r["line"]) for r in records if r["severity"] == "error"}
    warnings = {(r["code"], r["line"]) for r in records if r["severity"] == "warning"}
    assert errors == expected["errors"]
    assert expected["warnings"] <= warnings
    for r in records:
        assert r["line"] >= 1 and r["column"] >= 1, r
        assert r["help"], f"no help for {r['code']}"
        assert not r["code"].startswith("FZ9")
    assert run_cli("check", rel(path)).exit_code == (1 if expected["errors"] else 0)


def test_comment_on_own_line_is_only_a_warning():
    path = LOCAL_CORPUS / "invalid__flowzap-mcp__get-syntax-v1.0.2-comment-on-own-line.fz"
    records = _records(path)
    assert {r["code"] for r in records} == {"FZ1012"}
    assert all(r["severity"] == "warning" for r in records)
    result = run_cli("parse", "--json", rel(path))
    assert result.exit_code == 0
    lanes = json.loads(result.stdout)["lanes"]
    assert [(lane["id"], lane["label"]) for lane in lanes] == [
        ("sales", "Sales Team"),
        ("fulfillment", "Fulfillment"),
    ]
    # FlowZap documents the rule, so --strict makes the old form an error.
    assert run_cli("check", "--strict", rel(path)).exit_code == 1


def test_legacy_syntax_help_says_how_to_write_it_today():
    path = LOCAL_CORPUS / "invalid__flowzap-mcp__readme-v1.0.2-legacy-syntax.fz"
    by_code = {}
    for r in _records(path):
        by_code.setdefault(r["code"], r)
    assert "`validate: rectangle`" in by_code["FZ1006"]["help"]
    assert ".handle(right)" in by_code["FZ0003"]["help"]
    assert "one edge per line" in by_code["FZ0004"]["help"]


def test_flagship_has_no_front_end_diagnostic():
    src, pre = decode(rel(FLAGSHIP), FLAGSHIP.read_bytes())
    assert not pre
    assert analyze(src, wire=False).diagnostics == ()
    # The AWS planner may add notes (FZ3004: a generated glue function), never more.
    full = analyze(src)
    assert all(d.level is Severity.NOTE for d in full.diagnostics), full.diagnostics
    assert run_cli("check", "--strict", rel(FLAGSHIP)).exit_code == 0


@pytest.mark.parametrize("path", [*FILES, FLAGSHIP], ids=lambda p: p.stem)
def test_concise_golden(path, golden):
    result = run_cli("check", "--format", "concise", rel(path))
    name = path.with_suffix(".txt").name
    golden(result.output, LOCAL_CORPUS / name)
