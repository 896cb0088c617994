"""Check stage: `Diagram` -> diagnostics. Name rules need no graph; graph rules use networkx.

Each check is one function in a table; each reports its own codes.
"""

from __future__ import annotations

from fzc.check import graph, names
from fzc.diagnostics import Diagnostic
from fzc.model import Diagram


def run(diagram: Diagram) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for check in names.CHECKS:
        out += check(diagram)
    g = graph.to_graph(diagram)
    for graph_check in graph.CHECKS:
        out += graph_check(diagram, g)
    # A networkx graph sits in a reference cycle, and compiles run with the collector off
    # (performance.md section 3b): empty it, or a 100k-node check leaks ~250 MB.
    g.clear()
    return out
