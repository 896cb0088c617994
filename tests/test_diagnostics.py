"""One fixture per diagnostic code: `tests/diagnostics/<CODE>_<name>.fz` and its golden.

Each fixture must produce its code; `<same>.txt` holds the concise render of
`fzc check --format concise tests/diagnostics/<file>` run from the repo root.
FZ9001 (internal error) cannot come from any input; it has a unit test here instead.
tests/test_codes.py checks that every code of the table has a fixture and a page.
"""

from __future__ import annotations

import re

import pytest
from conftest import REPO, rel, run_cli

FIXTURES = sorted((REPO / "tests" / "diagnostics").glob("*.fz"))
FIXTURE_NAME = re.compile(r"(?P<code>FZ\d{4})_(?P<name>[a-z0-9-]+)")


def _code_of(path) -> str:
    return FIXTURE_NAME.fullmatch(path.stem)["code"]


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_fixture(path, golden):
    result = run_cli("check", "--format", "concise", rel(path))
    assert result.exit_code in (0, 1), result.output
    code = _code_of(path)
    assert f"[{code}]" in result.output, f"{path.name} does not produce {code}"
    assert "[FZ9" not in result.output
    golden(result.output, path.with_suffix(".txt"))
    expected_exit = 1 if any(" error[" in line for line in result.output.splitlines()) else 0
    assert result.exit_code == expected_exit


def test_no_stale_goldens():
    stems = {p.stem for p in FIXTURES}
    stale = [p.name for p in (REPO / "tests" / "diagnostics").glob("*.txt") if p.stem not in stems]
    assert not stale, f"goldens without a fixture: {stale}"


def test_internal_error_is_reported(monkeypatch):
    """FZ9001: a bug inside fzc gives exit 2 and a located message, never a traceback."""
    import fzc.pipeline

    def boom(*args, **kwargs):
        raise RuntimeError("forced failure")

    monkeypatch.setattr(fzc.pipeline, "analyze", boom)
    for fmt in ("full", "concise", "json"):
        result = run_cli("check", "--format", fmt, "samples/event_processing.fz")
        assert result.exit_code == 2, result.output
        assert "FZ9001" in result.output
        assert "forced failure" in result.output
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
    result = run_cli("parse", "--json", "samples/event_processing.fz")
    assert result.exit_code == 2
    assert "FZ9001" in result.stderr and "Traceback" not in result.output


def test_invalid_encoding_from_bytes(tmp_path):
    """FZ0006 from bytes written here: the location is the first bad byte, in characters."""
    path = tmp_path / "latin1.fz"
    path.write_bytes('lane { # Ünïcode\nn1: circle label:"Caf'.encode() + b'\xe9"\n}\n')
    result = run_cli("check", "--format", "json", str(path))
    assert result.exit_code == 1
    import json

    (record,) = [r for r in json.loads(result.output) if r["code"] == "FZ0006"]
    assert (record["line"], record["column"]) == (2, 22)
    assert "0xE9" in run_cli("check", str(path)).output
