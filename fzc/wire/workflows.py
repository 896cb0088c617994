"""Which nodes form state machines.

Rule (also in the README):
1. A Step Functions node orchestrates every step, decision and event reachable from it through
   steps, decisions and events; the services those members hand to become task states.
2. Nodes no Step Functions node orchestrates still form a workflow when they are connected
   through steps, decisions and events and the group holds a decision or an event, or two or
   more generic steps (shapes with no service keyword). So
   any FlowZap business process compiles to a state machine, while a chain of explicitly
   labelled Lambda functions stays a chain of invocations.
Inside a workflow an edge is control flow; outside, an integration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fzc.model import Diagram
from fzc.wire.infer import Typed

FLOW_CATEGORIES = ("compute", "state")


@dataclass(frozen=True, slots=True)
class Group:
    """A workflow before naming: its orchestrating node (None for rule 2), members, start."""

    orchestrator: str | None
    members: tuple[str, ...]  # node ids in numeric order
    start: str | None  # first state's node, or None when the orchestrator leads to nothing


def _num(node_id: str) -> tuple[int, int, str]:
    """Numeric order of `nK` ids (then other ids), without int() on absurdly long digit runs."""
    digits = node_id[1:]
    if node_id[:1] == "n" and digits.isdigit() and len(digits) <= 18:
        return (0, int(digits), node_id)
    return (1, len(node_id), node_id)


def _flow_graph(d: Diagram, typed: Mapping[str, Typed]):
    import networkx as nx

    g = nx.DiGraph()
    flow = {i for i, t in typed.items() if t.kind.category in FLOW_CATEGORIES}
    g.add_nodes_from(sorted(flow, key=_num))
    g.add_edges_from(
        (e.source.node, e.target.node)
        for e in d.edges
        if e.source.node in flow and e.target.node in flow and e.source.node != e.target.node
    )
    return g


def _first_targets(d: Diagram, flow) -> dict[str, list[str]]:
    """Per node, the flow nodes its edges lead to, in edge order (one pass over the edges)."""
    out: dict[str, list[str]] = {}
    for e in d.edges:
        if e.target.node in flow:
            out.setdefault(e.source.node, []).append(e.target.node)
    return out


def _orchestrated(d: Diagram, typed: Mapping[str, Typed], g) -> list[Group]:
    import networkx as nx

    groups = []
    targets = _first_targets(d, g)
    for sfn in sorted((i for i, t in typed.items() if t.kind.name == "sfn"), key=_num):
        starts = targets.get(sfn, [])
        members: set[str] = set()
        for s in starts:
            members |= {s} | nx.descendants(g, s)
        groups.append(Group(sfn, tuple(sorted(members, key=_num)), starts[0] if starts else None))
    return groups


def _start_of(members: list[str], g, typed: Mapping[str, Typed]) -> str:
    inside = set(members)
    heads = [m for m in members if not any(p in inside for p in g.predecessors(m))]
    events = [m for m in heads if typed[m].kind.name == "start"]
    return (events or heads or members)[0]


def _implicit(typed: Mapping[str, Typed], g, taken: set[str]) -> list[Group]:
    import networkx as nx

    # A filtered view costs a filter call per neighbour visited: only when nodes are taken.
    rest = g.subgraph(n for n in g.nodes if n not in taken) if taken else g
    groups = []
    for comp in nx.weakly_connected_components(rest):
        members = sorted(comp, key=_num)
        states = any(typed[m].kind.category == "state" for m in members)
        generic = sum(1 for m in members if typed[m].generic)
        if states or generic >= 2:
            groups.append(Group(None, tuple(members), _start_of(members, rest, typed)))
    return sorted(groups, key=lambda grp: _num(grp.members[0]))


def find(d: Diagram, typed: Mapping[str, Typed]) -> list[Group]:
    g = _flow_graph(d, typed)
    explicit = _orchestrated(d, typed, g)
    taken = {m for grp in explicit for m in grp.members}
    groups = explicit + _implicit(typed, g, taken)
    g.clear()  # a cycle the disabled collector would keep (see fzc.check.run)
    return groups
