"""Graph checks over a networkx view of the diagram: decisions, orphans, self and twin edges.

networkx is imported inside `to_graph` only, so commands that never check (`fmt`, `--help`,
`--version`) do not pay its import (the heaviest of our dependencies).
"""

from __future__ import annotations

from collections.abc import Iterator

from fzc.diagnostics import Diagnostic, Label, diag
from fzc.diagnostics.codes import CODES
from fzc.model import Diagram


def to_graph(d: Diagram):
    """A MultiDiGraph of declared nodes and the edges whose two ends resolve (key = index)."""
    import networkx as nx

    g = nx.MultiDiGraph()
    g.add_nodes_from(d.by_id)
    g.add_edges_from(
        (e.source.node, e.target.node, e.index, {"edge": e})
        for e in d.edges
        if e.source.node in d.by_id and e.target.node in d.by_id
    )
    return g


def decisions(d: Diagram, g) -> Iterator[Diagnostic]:
    for node in d.by_id.values():
        if node.shape != "diamond":
            continue
        out = [data["edge"] for _, _, data in g.out_edges(node.id, data=True)]
        if len(out) < 2:
            yield diag(
                CODES["FZ2001"],
                f"decision `{node.id}` has {len(out)} outgoing edge(s)",
                node.span,
                label="a decision chooses between two or more branches",
                help="add the missing branch, or make it a rectangle",
            )
            continue
        for e in out:
            if not e.label:
                yield diag(
                    CODES["FZ2002"],
                    f"branch {e.source.node} -> {e.target.node} has no label",
                    e.span,
                    label="which outcome is this?",
                    secondary=(Label(node.span, "the decision"),),
                    help='label each branch: `[label="Yes"]`, `[label="No"]`',
                )
        yield from _repeated_values(d, node, sorted(out, key=lambda e: e.index))


def _repeated_values(d: Diagram, node, out: list) -> Iterator[Diagnostic]:
    """A branch testing the value an earlier branch tests can never be taken: the Choice
    state's first matching rule wins (`wire.decisions`: the value is the label, else the
    target's label; the Default branch is not a rule)."""
    from fzc.wire import decisions as convention

    default = convention.default_branch([e.label for e in out])
    values = [convention.branch_value(e.label, d.by_id[e.target.node].label) for e in out]
    rules = convention.rules(values, default)
    for i, (e, value) in enumerate(zip(out, values, strict=True)):
        earlier = out[rules[value]] if i != default else e
        if earlier is not e and earlier.target.node != e.target.node:
            yield diag(
                CODES["FZ2008"],
                f"branch {e.source.node} -> {e.target.node} tests {value!r}, as an earlier "
                f"branch of `{node.id}` does",
                e.span,
                label="never taken: the first branch with this value wins",
                secondary=(Label(earlier.span, "this branch is taken instead"),),
                help="give each branch of a decision its own label",
            )


def orphans(d: Diagram, g) -> Iterator[Diagnostic]:
    for node in d.by_id.values():
        if g.degree(node.id) == 0:
            yield diag(
                CODES["FZ2003"],
                f"node `{node.id}` has no edge",
                node.span,
                label="not connected",
                help="connect it, or remove it",
            )


def edges(d: Diagram, g) -> Iterator[Diagnostic]:
    seen: dict[tuple, object] = {}
    for e in d.edges:
        if e.source.node == e.target.node:
            yield diag(
                CODES["FZ2004"],
                f"edge from `{e.source.node}` to itself",
                e.span,
                label="self-edge",
                help="use a `loop [...]` fragment for repetition",
            )
        key = (e.source.node, e.target.node, e.label or "")
        if key in seen:
            yield diag(
                CODES["FZ2005"],
                f"edge {e.source.node} -> {e.target.node} is written twice",
                e.span,
                label="duplicate",
                secondary=(Label(seen[key].span, "first written here"),),
                help="remove one of them",
            )
        else:
            seen[key] = e


CHECKS = (decisions, orphans, edges)
