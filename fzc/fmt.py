"""The formatter: one canonical layout for FlowZap Code. Pure: text in, text out.

Layout: a lane header carries its display label (`id { # Label`; the old next-line form is
moved up); inside a lane come its nodes, then its edges in their original order, then its
loops, indented by two spaces; edges and loops written outside lanes stay outside, where they
were; a blank line separates top-level blocks; the text ends with one newline.
Node attributes are written `key:"value"` in the order label, owner, description, system, then
unknown keys as written; edge attributes `[label="value"]`; strings escape only `"` and `\\`.
Whole-line `//` comments stay attached to the statement that follows them (a stray `#`
comment becomes a `//` comment: it cannot be kept as `#` without risking being read as a
display label). Meaning never changes: lanes, ids, labels and edge order are kept exactly.

A text with syntax or lane-structure errors is not formatted (`NotFormattable`).
Imports only the parser (lark only for a line its fast path does not recognise); never
networkx or jinja2.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fzc.diagnostics import Diagnostic
from fzc.memory import paused_gc
from fzc.source import Source
from fzc.syntax import ast

INDENT = "  "
KEY_ORDER = {"label": 0, "owner": 1, "description": 2, "system": 3}
# Model diagnostics that leave the layout undefined: the user fixes these first.
BLOCKING = frozenset({"FZ0003", "FZ0004", "FZ0005", "FZ1013", "FZ1014", "FZ1015", "FZ1016"})


class NotFormattable(ValueError):
    """The text has errors that make its layout ambiguous; `diagnostics` says which."""

    def __init__(self, src: Source, diagnostics: list[Diagnostic]):
        super().__init__(f"{src.path}: {len(diagnostics)} error(s); not formatted")
        self.source = src
        self.diagnostics = diagnostics


@dataclass
class _Item:
    """One formatted statement line, with the `//` comments that stay attached above it."""

    comments: list[str]
    line: str


@dataclass
class _Block:
    """A lane (header set) or a run of top-level edges and loops (header None)."""

    header: ast.LaneOpen | None
    lead: list[str] = field(default_factory=list)
    display: str | None = None
    nodes: list[_Item] = field(default_factory=list)
    edges: list[_Item] = field(default_factory=list)
    loops: list[_Item] = field(default_factory=list)
    tail: list[str] = field(default_factory=list)


@dataclass
class _Walk:
    """The formatter's state while it walks the statements: blocks, open lane, pending comments."""

    blocks: list[_Block] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    lane: _Block | None = None
    just_opened: bool = False

    def take(self) -> list[str]:
        out, self.pending = self.pending, []
        return out

    def run(self) -> _Block:
        """The block a top-level edge or loop goes into."""
        if self.lane is not None:
            return self.lane
        if not self.blocks or self.blocks[-1].header is not None:
            self.blocks.append(_Block(None))
        return self.blocks[-1]


def quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _attrs(attrs: tuple[ast.Attr, ...], sep: str) -> list[str]:
    ordered = sorted(attrs, key=lambda a: KEY_ORDER.get(a.key.text, len(KEY_ORDER)))
    return [f"{a.key.text}{sep}{quote(a.value)}" for a in ordered]


def _ref(lane: ast.Name | None, node: ast.Name) -> str:
    return f"{lane.text}.{node.text}" if lane else node.text


def node_line(s: ast.NodeDecl) -> str:
    return " ".join([f"{s.id.text}: {s.shape.text}", *_attrs(s.attrs, ":")])


def edge_line(s: ast.EdgeStmt) -> str:
    ends = [f"{_ref(e.lane, e.node)}.handle({e.direction.text})" for e in s.endpoints]
    attrs = _attrs(s.attrs, "=")
    return " -> ".join(ends) + (f" [{' '.join(attrs)}]" if attrs else "")


def loop_line(s: ast.LoopStmt) -> str:
    return " ".join([f"loop [{s.condition}]", *(_ref(r.lane, r.node) for r in s.refs)])


def _lane_open(w: _Walk, s: ast.LaneOpen) -> None:
    w.lane = _Block(s, w.take(), s.display)
    w.blocks.append(w.lane)


def _lane_close(w: _Walk, s: ast.LaneClose) -> None:
    w.lane.tail = w.take()
    w.lane = None


def _hash_line(w: _Walk, s: ast.HashLine) -> None:
    if w.just_opened and w.lane.display is None:  # the old next-line display label
        w.lane.display = s.text
    else:
        w.pending.append(f"// {s.text}" if s.text else "//")


def _slash_comment(w: _Walk, s: ast.SlashComment) -> None:
    w.pending.append(s.text.rstrip())


def _node(w: _Walk, s: ast.NodeDecl) -> None:
    w.lane.nodes.append(_Item(w.take(), node_line(s)))


def _edge(w: _Walk, s: ast.EdgeStmt) -> None:
    w.run().edges.append(_Item(w.take(), edge_line(s)))


def _loop(w: _Walk, s: ast.LoopStmt) -> None:
    w.run().loops.append(_Item(w.take(), loop_line(s)))


_HANDLERS = {
    ast.LaneOpen: _lane_open,
    ast.LaneClose: _lane_close,
    ast.HashLine: _hash_line,
    ast.SlashComment: _slash_comment,
    ast.NodeDecl: _node,
    ast.EdgeStmt: _edge,
    ast.LoopStmt: _loop,
}


def _header(b: _Block) -> str:
    display = "" if b.display is None else " #" + (f" {b.display}" if b.display else "")
    return f"{b.header.id.text} {{{display}"


def _render(b: _Block) -> list[str]:
    pad = INDENT if b.header is not None else ""
    body = []
    for item in b.nodes + b.edges + b.loops:
        body += [pad + c for c in item.comments] + [pad + item.line]
    if b.header is None:
        return body
    return [*b.lead, _header(b), *body, *(pad + c for c in b.tail), "}"]


def layout(doc: ast.Document) -> str:
    """The canonical text of a document whose structure is sound (see `BLOCKING`)."""
    w = _Walk()
    for s in doc.statements:
        _HANDLERS[type(s)](w, s)
        w.just_opened = isinstance(s, ast.LaneOpen)
    parts = ["\n".join(_render(b)) for b in w.blocks]
    if w.pending:
        parts.append("\n".join(w.pending))
    return "\n\n".join(parts) + "\n"


def blocking(src: Source) -> tuple[ast.Document, list[Diagnostic]]:
    """Parse `src`; return the document and the errors that stop it being formatted."""
    from fzc import model, syntax

    doc, diagnostics = syntax.parse(src)
    errors = [d for d in diagnostics if d.is_error]
    _, more = model.build(doc, src)
    errors += [d for d in more if d.code.code in BLOCKING]
    return doc, errors


def format_source(src: Source) -> str:
    """The canonical text of `src`; raises `NotFormattable` when it has blocking errors."""
    with paused_gc():
        doc, errors = blocking(src)
        if errors:
            raise NotFormattable(src, errors)
        return layout(doc)


def format_text(text: str, path: str = "<text>") -> str:
    return format_source(Source(path, text))
