"""Model stage: statement lines -> `Diagram` (lanes, nodes, edges, loops with spans).

Lane nesting is decided here, from the lane open/close lines. References are kept as written
and resolved by node id (ids are global in FlowZap; forward references are normal), so the
checks can judge every prefix against the node's real lane.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

from fzc.source import Span

SHAPES = ("circle", "rectangle", "diamond", "taskbox")
DIRECTIONS = ("left", "right", "top", "bottom")
ATTRIBUTE_KEYS = ("label", "owner", "description", "system")
EDGE_ATTRIBUTE_KEYS = ("label",)


@dataclass(frozen=True, slots=True)
class Lane:
    """A lane: a named group of nodes, with its display label."""

    id: str
    display: str | None
    span: Span  # the header line
    id_span: Span
    legacy_display: bool = False  # display label written on the line after `{`


@dataclass(frozen=True, slots=True)
class Node:
    """A node declaration: its lane, shape and attributes as written."""

    id: str
    lane: str | None
    shape: str
    attrs: tuple[tuple[str, str], ...]  # (key, value) in written order, first wins on repeats
    span: Span
    id_span: Span

    def attr(self, key: str) -> str | None:
        for k, v in self.attrs:
            if k == key:
                return v
        return None

    @property
    def label(self) -> str:
        """Display text, as the FlowZap app picks it: label, then description, then id."""
        return self.attr("label") or self.attr("description") or self.id

    @property
    def items(self) -> tuple[str, ...]:
        """A taskbox label's `|`-separated items (title first)."""
        label = self.attr("label")
        return tuple(part.strip() for part in label.split("|")) if label else ()


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One end of an edge: a node reference, with its lane prefix and handle as written."""

    node: str
    lane: str | None  # lane prefix as written
    direction: str | None  # None when written without `.handle(...)`
    span: Span
    node_span: Span


@dataclass(frozen=True, slots=True)
class Edge:
    """A connection from one node to another, in definition order."""

    index: int  # definition order (semantic for the sequence view)
    source: Endpoint
    target: Endpoint
    label: str | None
    lane: str | None  # enclosing lane, None at top level
    span: Span
    label_span: Span | None = None


@dataclass(frozen=True, slots=True)
class LoopRef:
    """A node named by a loop statement."""

    node: str
    lane: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class Loop:
    """A loop statement: its condition and the nodes it names."""

    condition: str
    refs: tuple[LoopRef, ...]
    lane: str | None
    span: Span


@dataclass(frozen=True)
class Diagram:
    """One diagram as a model: lanes, nodes, edges and loops, with lookups by id."""

    path: str
    lanes: tuple[Lane, ...]
    nodes: tuple[Node, ...]  # every declaration, duplicates included, in source order
    edges: tuple[Edge, ...]
    loops: tuple[Loop, ...]
    by_id: MappingProxyType = field(init=False, repr=False, compare=False)
    lane_by_id: MappingProxyType = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_id: dict[str, Node] = {}
        for n in self.nodes:
            by_id.setdefault(n.id, n)
        lanes: dict[str, Lane] = {}
        for lane in self.lanes:
            lanes.setdefault(lane.id, lane)
        object.__setattr__(self, "by_id", MappingProxyType(by_id))
        object.__setattr__(self, "lane_by_id", MappingProxyType(lanes))

    def node(self, node_id: str) -> Node | None:
        return self.by_id.get(node_id)


from fzc.model.build import build  # noqa: E402

__all__ = ["Diagram", "Lane", "Node", "Edge", "Endpoint", "Loop", "LoopRef", "build"]
