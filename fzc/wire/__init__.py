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
    diagram: Diagram, name: str, source: Source | None = None
) -> tuple[Plan, list[Diagnostic]]:
    from fzc.wire.planner import Planner

    return Planner(diagram, name, source).run()
