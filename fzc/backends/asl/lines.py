"""`.fz` line numbers for state comments: from the given `Source`, else the plan's."""

from __future__ import annotations

from collections.abc import Callable

from fzc.source import Source
from fzc.wire.plan import Plan


def finder(plan: Plan, source: Source | None) -> Callable[[int], int | None]:
    src = source if source is not None else plan.source
    if src is None:
        return lambda offset: None
    return lambda offset: src.line_col(offset)[0]
