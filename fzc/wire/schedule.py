"""Validate EventBridge schedule expressions before AWS does (wiring.md G-EB-1).

https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
"""

from __future__ import annotations

import re

_RATE = re.compile(r"^rate\(\s*(\d+)\s+([a-z]+)\s*\)$")
_UNITS = {"minute", "minutes", "hour", "hours", "day", "days"}


def _rate(m: re.Match) -> str | None:
    value, unit = int(m.group(1)), m.group(2)
    if unit not in _UNITS:
        return f"unit `{unit}` is not minute(s), hour(s) or day(s)"
    if value < 1:
        return "the rate must be at least 1"
    if (value == 1) != (not unit.endswith("s")):
        return "use the singular unit for 1 and the plural otherwise"
    return None


def _cron(body: str) -> str | None:
    fields = body.split()
    if len(fields) != 6:
        return (
            f"cron takes 6 fields (minutes hours day-of-month month day-of-week year), "
            f"not {len(fields)}"
        )
    if (fields[2] == "?") == (fields[4] == "?"):
        return "exactly one of day-of-month and day-of-week must be `?`"
    return None


def problem(expression: str) -> str | None:
    """Why EventBridge would reject `expression`, or None."""
    m = _RATE.match(expression)
    if m:
        return _rate(m)
    if expression.startswith("cron(") and expression.endswith(")"):
        return _cron(expression[5:-1])
    if expression.startswith("rate("):
        return "write `rate(<number> <unit>)`"
    return "a schedule is `rate(...)` or `cron(...)`"
