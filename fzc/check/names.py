"""Checks on names and references: duplicates, id rules, unknown nodes and lane prefixes."""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterator
from itertools import islice

from fzc.diagnostics import Diagnostic, Label, diag
from fzc.diagnostics.codes import CODES
from fzc.model import Diagram, Endpoint, Node

# `n` and a number without leading zeros; 18 digits at most keeps the arithmetic cheap.
_NODE_ID = re.compile(r"n([1-9][0-9]{0,17})")


def duplicate_lanes(d: Diagram) -> Iterator[Diagnostic]:
    for lane in d.lanes:
        first = d.lane_by_id[lane.id]
        if first is not lane:
            yield diag(
                CODES["FZ1001"],
                f"lane `{lane.id}` is declared twice",
                lane.id_span,
                label="second declaration",
                secondary=(Label(first.id_span, "first"),),
                help="give each lane its own id, or merge the two blocks",
            )


def duplicate_nodes(d: Diagram) -> Iterator[Diagnostic]:
    free = None  # the next free id, computed once (on the first duplicate): linear in the ids
    for node in d.nodes:
        first = d.by_id[node.id]
        if first is not node:
            free = _next(d) if free is None else free
            yield diag(
                CODES["FZ1002"],
                f"node `{node.id}` is declared twice",
                node.id_span,
                label="second declaration",
                secondary=(Label(first.id_span, "first"),),
                help=f"node ids are global; give this node the next free id, n{free}",
            )


def _next(d: Diagram) -> int:
    numbers = [int(m.group(1)) for n in d.by_id if (m := _NODE_ID.fullmatch(n))]
    return max(numbers, default=0) + 1


def id_rules(d: Diagram) -> Iterator[Diagnostic]:
    numbered: dict[int, Node] = {}
    free = None  # computed once, on the first bad id
    for node in d.by_id.values():
        m = _NODE_ID.fullmatch(node.id)
        if m is None:
            free = _next(d) if free is None else free
            yield diag(
                CODES["FZ1008"],
                f"node id `{node.id}` is not of the form `nK`",
                node.id_span,
                label="FlowZap numbers nodes n1, n2, ...",
                help=f"rename it n{free} (and every reference to it)",
            )
        else:
            numbered[int(m.group(1))] = node
    if not numbered:
        return
    top = max(numbered)
    if top > len(numbered):  # lazily: the highest id may be huge
        missing = list(islice((k for k in range(1, top + 1) if k not in numbered), 9))
        shown = ", ".join(f"n{k}" for k in missing[:8]) + (" ..." if len(missing) > 8 else "")
        yield diag(
            CODES["FZ1009"],
            f"node ids skip {shown}",
            numbered[top].id_span,
            label=f"highest id is n{top}",
            help=f"FlowZap wants exactly n1..n{len(numbered)}; renumber the nodes",
        )


def labels(d: Diagram) -> Iterator[Diagnostic]:
    for node in d.by_id.values():
        if node.shape != "taskbox" and node.attr("label") is None:
            yield diag(
                CODES["FZ1020"],
                f"node `{node.id}` has no label",
                node.span,
                label="FlowZap shows the id instead",
                help=f'add `label:"..."`, e.g. `{node.id}: {node.shape} label:"Step"`',
            )


def _known(d: Diagram) -> list[str]:
    """The first 13 declared ids in (length, text) order: 12 to show, one to say there are more.
    Callers compute it once per check, not once per unknown reference."""
    return heapq.nsmallest(13, d.by_id, key=lambda i: (len(i), i))


def _unknown(known: list[str], ref_node: str, span, what: str) -> Diagnostic:
    shown = ", ".join(known[:12]) + (" ..." if len(known) > 12 else "")
    return diag(
        CODES["FZ1003"],
        f"{what} names unknown node `{ref_node}`",
        span,
        label="no node has this id",
        help=f"declared nodes: {shown}" if known else "declare it inside a lane",
    )


def _prefix(d: Diagram, end: Endpoint, node: Node) -> Iterator[Diagnostic]:
    if end.lane is None or end.lane == node.lane or node.lane is None:
        return  # a node outside any lane is reported as such (FZ1016)
    span = end.span
    if end.lane not in d.lane_by_id:
        yield diag(
            CODES["FZ1004"],
            f"lane prefix `{end.lane}` names no lane",
            span,
            label=f"`{node.id}` resolved by its id to lane `{node.lane}`",
            help=f"write `{node.lane}.{node.id}`",
        )
    else:
        yield diag(
            CODES["FZ1005"],
            f"`{node.id}` is in lane `{node.lane}`, not `{end.lane}`",
            span,
            label="resolved by the id, as the FlowZap app does",
            secondary=(Label(node.id_span, "declared here"),),
            help=f"write `{node.lane}.{node.id}`",
        )


def references(d: Diagram) -> Iterator[Diagnostic]:
    known = None  # computed once, on the first unknown reference
    for edge in d.edges:
        for end in (edge.source, edge.target):
            node = d.node(end.node)
            if node is None:
                known = _known(d) if known is None else known
                yield _unknown(known, end.node, end.node_span, "edge")
                continue
            yield from _prefix(d, end, node)
        src, dst = d.node(edge.source.node), d.node(edge.target.node)
        if (
            src
            and dst
            and edge.target.lane is None
            and None not in (src.lane, dst.lane)
            and dst.lane != src.lane
        ):
            yield diag(
                CODES["FZ1024"],
                f"cross-lane target `{dst.id}` has no lane prefix",
                edge.target.span,
                label=f"`{dst.id}` is in lane `{dst.lane}`",
                help=f"write `{dst.lane}.{dst.id}.handle({edge.target.direction or 'left'})`",
            )


def loops(d: Diagram) -> Iterator[Diagnostic]:
    known = None  # computed once, on the first unknown node
    for loop in d.loops:
        for ref in loop.refs:
            node = d.node(ref.node)
            if node is None:
                known = ", ".join(_known(d)[:12]) if known is None else known
                yield diag(
                    CODES["FZ2006"],
                    f"loop names unknown node `{ref.node}`",
                    ref.span,
                    label="no node has this id",
                    help=f"declared nodes: {known}",
                )
            elif ref.lane is not None and ref.lane != node.lane:
                yield from _prefix(d, _as_endpoint(ref), node)
        if len(loop.refs) < 2:
            yield diag(
                CODES["FZ2007"],
                f"loop names {len(loop.refs)} node(s)",
                loop.span,
                label="a loop groups two or more nodes",
                help="list the nodes it repeats: `loop [retry] n2 n3`",
            )


def _as_endpoint(ref) -> Endpoint:
    return Endpoint(ref.node, ref.lane, None, ref.span, ref.span)


CHECKS = (duplicate_lanes, duplicate_nodes, id_rules, labels, references, loops)
