"""Wire stage: `Diagram` -> `Plan` (AWS resources and connections) plus diagnostics.

Kinds come from `infer`, workflows from `workflows`, node resources from `components`, edge
realisations from the `rules` table (integrations) or `tasks` (inside a state machine).
"""

from __future__ import annotations

from fzc.diagnostics import Diagnostic
from fzc.model import Diagram
from fzc.source import Source
from fzc.wire.plan import Plan


def plan(
    diagram: Diagram, name: str, source: Source | None = None, *, stop_early: bool = True
) -> tuple[Plan | None, list[Diagnostic]]:
    """The plan and what planning found. No plan when the diagram is certain to exceed a
    template quota before its resources are built (`wire.limits`), unless `stop_early` is
    off (the benchmarks plan huge diagrams in full)."""
    from fzc.wire.planner import Planner

    return Planner(diagram, name, source, stop_early=stop_early).run()
