"""Build a `Diagram` from statement lines, reporting structure and per-statement rules."""

from __future__ import annotations

from dataclasses import dataclass, field

from fzc.diagnostics import Diagnostic, Label, diag
from fzc.diagnostics.codes import CODES
from fzc.model import (
    ATTRIBUTE_KEYS,
    DIRECTIONS,
    EDGE_ATTRIBUTE_KEYS,
    SHAPES,
    Diagram,
    Edge,
    Endpoint,
    Lane,
    Loop,
    LoopRef,
    Node,
)
from fzc.source import Source, Span
from fzc.syntax import ast

MAX_LABEL = 50  # FlowZap's validator warns past this length
_SHAPE_HINTS = {
    "rect": "rectangle",
    "box": "rectangle",
    "square": "rectangle",
    "oval": "circle",
    "ellipse": "circle",
    "rhombus": "diamond",
    "task": "taskbox",
}


@dataclass
class _State:
    """What `build` collects while it reads the statements, and the lane still open."""

    src: Source
    lanes: list[Lane] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    loops: list[Loop] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    open: ast.LaneOpen | None = None
    just_opened: bool = False  # the previous statement opened the current lane

    @property
    def lane(self) -> str | None:
        return self.open.id.text if self.open else None

    def report(self, *args, **kwargs) -> None:
        self.diagnostics.append(diag(*args, **kwargs))


def _lane_open(st: _State, s: ast.LaneOpen) -> None:
    if st.open is not None:
        st.report(
            CODES["FZ1015"],
            f"lane `{s.id.text}` opened inside lane `{st.lane}`",
            s.span,
            label="lanes cannot nest",
            secondary=(Label(st.open.span, "this lane is still open"),),
            help="close the first lane with `}` before opening the next",
        )
        _close(st)
    st.open = s
    st.lanes.append(Lane(s.id.text, s.display, s.span, s.id.span))


def _close(st: _State) -> None:
    st.open = None


def _lane_close(st: _State, s: ast.LaneClose) -> None:
    if st.open is None:
        st.report(
            CODES["FZ1014"],
            "`}` closes no lane",
            s.span,
            label="no lane is open",
            help="remove it, or open a lane above with `id { # Display label`",
        )
    _close(st)


def _hash_line(st: _State, s: ast.HashLine) -> None:
    if st.just_opened and st.lanes and st.lanes[-1].display is None:
        lane = st.lanes[-1]
        st.lanes[-1] = Lane(lane.id, s.text, lane.span, lane.id_span, legacy_display=True)
        st.report(
            CODES["FZ1012"],
            "display label on the line after `{` (old form)",
            s.span,
            label=f"taken as the display label of lane `{lane.id}`",
            help=f"write it on the lane line: `{lane.id} {{ # {s.text}`",
        )
        return
    st.report(
        CODES["FZ1021"],
        "`#` comments are not FlowZap Code",
        s.span,
        label="only a lane's display label may follow `#`",
        help="use a whole-line `//` comment, or remove it",
    )


def _slash_comment(st: _State, s: ast.SlashComment) -> None:
    st.report(
        CODES["FZ1025"],
        "`//` comment line",
        s.span,
        label="ignored",
        help="FlowZap drops `//` comments when it regenerates code",
    )


def _attrs(
    st: _State, attrs: tuple[ast.Attr, ...], allowed: tuple[str, ...], where: str, wrong_sep: str
) -> tuple[tuple[str, str], ...]:
    seen: dict[str, ast.Attr] = {}
    for a in attrs:
        key = a.key.text
        if a.sep == wrong_sep:
            code = CODES["FZ1010"] if wrong_sep == "=" else CODES["FZ1011"]
            right = ":" if wrong_sep == "=" else "="
            st.report(
                code,
                f'{where} attribute written `{key}{wrong_sep}"..."`',
                a.span,
                label=f'FlowZap writes `{key}{right}"..."` here',
                help=f'write `{key}{right}"..."`',
            )
        if key not in allowed:
            st.report(
                CODES["FZ1007"],
                f"unknown {where} attribute `{key}`",
                a.key.span,
                label="kept, but FlowZap does not define it",
                help=f"{where} attributes are {', '.join(f'`{k}`' for k in allowed)}",
            )
        if key in seen:
            st.report(
                CODES["FZ1018"],
                f"attribute `{key}` given twice",
                a.span,
                label="ignored",
                secondary=(Label(seen[key].span, "first given here"),),
                help="keep one of them",
            )
            continue
        seen[key] = a
        if key in ("label", "description") and len(a.value) > MAX_LABEL:
            st.report(
                CODES["FZ1019"],
                f"{key} is {len(a.value)} characters long",
                a.value_span,
                label=f"FlowZap warns past {MAX_LABEL}",
                help="shorten it",
            )
    return tuple((a.key.text, a.value) for a in seen.values())


def _node(st: _State, s: ast.NodeDecl) -> None:
    if st.open is None:
        st.report(
            CODES["FZ1016"],
            f"node `{s.id.text}` declared outside any lane",
            s.span,
            label="not inside `lane { ... }`",
            help="move it into the lane it belongs to",
        )
    shape = s.shape.text
    if shape not in SHAPES:
        guess = _SHAPE_HINTS.get(shape.lower())
        st.report(
            CODES["FZ1006"],
            f"unknown shape `{shape}`",
            s.shape.span,
            label="not a FlowZap shape",
            help=(f"write `{s.id.text}: {guess}`; " if guess else "")
            + "shapes are circle, rectangle, diamond and taskbox",
        )
    attrs = _attrs(st, s.attrs, ATTRIBUTE_KEYS, "node", "=")
    st.nodes.append(Node(s.id.text, st.lane, shape, attrs, s.span, s.id.span))


def _endpoint(st: _State, e: ast.EndpointRef) -> Endpoint:
    direction = e.direction.text if e.direction else None
    if e.direction is None:
        st.report(
            CODES["FZ0003"],
            f"endpoint `{e.node.text}` has no handle",
            e.span,
            label="missing `.handle(direction)`",
            help=f"write `{e.node.text}.handle(right)` (left, right, top or bottom)",
        )
    elif direction not in DIRECTIONS:
        st.report(
            CODES["FZ1017"],
            f"unknown direction `{direction}`",
            e.direction.span,
            label="not a handle direction",
            help="directions are left, right, top and bottom",
        )
    lane = e.lane.text if e.lane else None
    return Endpoint(e.node.text, lane, direction, e.span, e.node.span)


def _edge(st: _State, s: ast.EdgeStmt) -> None:
    ends = [_endpoint(st, e) for e in s.endpoints]
    if len(ends) > 2:
        pairs = " ; ".join(f"{a.node} -> {b.node}" for a, b in zip(ends, ends[1:], strict=False))
        st.report(
            CODES["FZ0004"],
            f"{len(ends) - 1} arrows on one line",
            s.span,
            label="FlowZap has one edge per line",
            help=f"write one edge per line, each with handles: {pairs}",
        )
    if st.open is None:
        st.report(
            CODES["FZ1022"],
            "edge written outside any lane",
            s.span,
            label="FlowZap writes edges inside the source node's lane",
            help="move it into the lane of its source node",
        )
    attrs = _attrs(st, s.attrs, EDGE_ATTRIBUTE_KEYS, "edge", ":")
    label = dict(attrs).get("label")
    label_span = next((a.value_span for a in s.attrs if a.key.text == "label"), None)
    for a, b in zip(ends, ends[1:], strict=False):
        st.edges.append(Edge(len(st.edges), a, b, label, st.lane, s.span, label_span))


def _loop(st: _State, s: ast.LoopStmt) -> None:
    if st.open is None:
        st.report(
            CODES["FZ1023"],
            "loop written outside any lane",
            s.span,
            label="FlowZap writes loops inside a lane",
            help="move it into the lane where the loop starts",
        )
    refs = tuple(LoopRef(r.node.text, r.lane.text if r.lane else None, r.span) for r in s.refs)
    st.loops.append(Loop(s.condition, refs, st.lane, s.span))


_HANDLERS = {
    ast.LaneOpen: _lane_open,
    ast.LaneClose: _lane_close,
    ast.HashLine: _hash_line,
    ast.SlashComment: _slash_comment,
    ast.NodeDecl: _node,
    ast.EdgeStmt: _edge,
    ast.LoopStmt: _loop,
}


def build(doc: ast.Document, src: Source) -> tuple[Diagram, list[Diagnostic]]:
    """Lay the statements into lanes and build the model; diagnostics for misplaced lines."""
    st = _State(src)
    for statement in doc.statements:
        _HANDLERS[type(statement)](st, statement)
        st.just_opened = isinstance(statement, ast.LaneOpen)
    if st.open is not None and not doc.truncated:  # a truncated parse never saw the `}`
        end = len(src.text.rstrip())  # just after the last character of the file
        st.report(
            CODES["FZ1013"],
            f"lane `{st.lane}` is never closed",
            st.open.span,
            label="opened here",
            help="add a line with `}` after its last statement",
            secondary=(Label(Span(end, end), "file ends here"),),
        )
    if not doc.statements and not src.text.strip(" \t\r\n\ufeff"):
        st.report(
            CODES["FZ0005"],
            "no FlowZap Code in the file",
            Span(0, 0),
            help="start with a lane: `process { # Process`, a node `n1: circle "
            'label:"Start"`, then `}`',
        )
    diagram = Diagram(src.path, tuple(st.lanes), tuple(st.nodes), tuple(st.edges), tuple(st.loops))
    return diagram, st.diagnostics
