"""Golden-file comparison: `FZC_ACCEPT=1 pytest` rewrites the expected files."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def accepting() -> bool:
    return os.environ.get("FZC_ACCEPT") == "1"


def check(actual: str, expected_path: Path) -> None:
    """Assert `actual` equals the file's text; write it instead under FZC_ACCEPT=1."""
    if accepting():
        expected_path.parent.mkdir(parents=True, exist_ok=True)
        expected_path.write_text(actual, encoding="utf-8")
        return
    assert expected_path.exists(), f"missing golden {expected_path}; run with FZC_ACCEPT=1"
    expected = expected_path.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(True), actual.splitlines(True), str(expected_path), "actual"
            )
        )
        raise AssertionError(f"{expected_path} differs (FZC_ACCEPT=1 to accept):\n{diff}")
