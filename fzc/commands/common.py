"""Shared pieces of the commands: reading input, analysing, rendering, exit codes.

Exit codes: 0 success (warnings allowed), 1 errors in the input, 2 usage or internal error.
"""

from __future__ import annotations

import click

FORMATS = ("full", "concise", "json", "sarif", "github")


def read(path: str):
    from fzc.pipeline import decode

    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise click.UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    return decode(path, data)


def analyze(path: str, strict: bool, *, stop_early: bool = True):
    from fzc.pipeline import analyze, internal_error

    src, pre = read(path)
    try:
        return analyze(src, strict=strict, pre=pre, stop_early=stop_early)
    except RecursionError as exc:  # pragma: no cover - defensive: report, never trace
        return internal_error(src, exc)
    except Exception as exc:  # noqa: BLE001 - an internal error is reported as FZ9001, exit 2
        return internal_error(src, exc)


def render(fmt: str, analyses) -> str:
    from fzc.diagnostics.render import RENDERERS

    items = [(a.source, d) for a in analyses for d in a.diagnostics]
    return RENDERERS[fmt](items)


def exit_code(analyses) -> int:
    codes = {d.code.code for a in analyses for d in a.diagnostics if d.is_error}
    if any(c.startswith("FZ9") for c in codes):
        return 2
    return 1 if codes else 0
