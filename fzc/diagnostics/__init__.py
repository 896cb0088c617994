"""Diagnostics as values: a code from one table, a severity, spans and a help line.

Stages return diagnostics; only the CLI renders them (see `render`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from fzc.source import Span


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class Code:
    """One row of the code table (`codes.py`)."""

    code: str
    name: str
    severity: Severity
    summary: str
    strict: bool = False  # FlowZap documents this rule: `--strict` makes it an error


@dataclass(frozen=True, slots=True)
class Label:
    """A span a diagnostic points at, with an optional message shown there."""

    span: Span
    message: str = ""


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding about the input, located by spans; `severity` overrides the code's own."""

    code: Code
    message: str
    primary: Label
    secondary: tuple[Label, ...] = ()
    help: str | None = None
    severity: Severity | None = None  # None: the code's own severity

    @property
    def level(self) -> Severity:
        return self.severity or self.code.severity

    @property
    def is_error(self) -> bool:
        return self.level is Severity.ERROR


MAX_TEXT = 300  # characters of a message, label or help; names from the input can be huge


def shorten(text: str, limit: int = MAX_TEXT) -> str:
    """`text`, cut to `limit` characters with an ellipsis (the span still shows where)."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def diag(
    code: Code,
    message: str,
    span: Span,
    *,
    label: str = "",
    help: str | None = None,
    secondary: tuple[Label, ...] = (),
) -> Diagnostic:
    help = shorten(help) if help is not None else None
    return Diagnostic(code, shorten(message), Label(span, shorten(label)), secondary, help)


def apply_policy(diagnostics: list[Diagnostic], *, strict: bool) -> list[Diagnostic]:
    """Upgrade FlowZap's documented rules to errors under `--strict`; sort and dedupe."""
    out: dict[tuple, Diagnostic] = {}
    for d in diagnostics:
        if strict and d.code.strict and d.level is Severity.WARNING:
            d = replace(d, severity=Severity.ERROR)
        key = (d.primary.span.start, d.primary.span.end, d.code.code, d.message)
        out.setdefault(key, d)
    return sorted(out.values(), key=lambda d: (d.primary.span.start, d.code.code, d.message))


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)
