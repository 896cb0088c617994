"""What the server answers, as LSP values, from a checked document (`DocState`).

Pure functions: a state and a position in, lsprotocol values out. The server wires them up.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from lsprotocol import types as t

from fzc import explain
from fzc.diagnostics import Severity
from fzc.lsp.document import DocState, RenameError, Symbol, rename
from fzc.model import ATTRIBUTE_KEYS, DIRECTIONS, EDGE_ATTRIBUTE_KEYS, SHAPES
from fzc.source import Span

SOURCE = "fzc"
SEVERITY = {
    Severity.ERROR: t.DiagnosticSeverity.Error,
    Severity.WARNING: t.DiagnosticSeverity.Warning,
    Severity.NOTE: t.DiagnosticSeverity.Information,
}
SHAPE_SYMBOL = {
    "circle": t.SymbolKind.Event,
    "rectangle": t.SymbolKind.Function,
    "diamond": t.SymbolKind.Operator,
    "taskbox": t.SymbolKind.Object,
}


def span_range(state: DocState, span: Span) -> t.Range:
    start, end = state.lines.position(span.start), state.lines.position(span.end)
    return t.Range(t.Position(*start), t.Position(*end))


def offset(state: DocState, pos: t.Position) -> int:
    return state.lines.offset(pos.line, pos.character)


# -- diagnostics --------------------------------------------------------------------------


def _message(d) -> str:
    text = d.message + (f" ({d.primary.message})" if d.primary.message else "")
    return text + (f"\nhelp: {d.help}" if d.help else "")


def diagnostics(state: DocState) -> list[t.Diagnostic]:
    return [
        t.Diagnostic(
            range=span_range(state, d.primary.span),
            message=_message(d),
            severity=SEVERITY[d.level],
            code=d.code.code,
            source=SOURCE,
            related_information=[
                t.DiagnosticRelatedInformation(
                    t.Location(state.uri, span_range(state, lab.span)), lab.message or "here"
                )
                for lab in d.secondary
            ]
            or None,
        )
        for d in state.analysis.diagnostics
    ]


# -- hover --------------------------------------------------------------------------------


def _block(lines: list[str]) -> str:
    return "```text\n" + "\n".join(line.strip() for line in lines) + "\n```"


def _node_hover(state: DocState, sym: Symbol) -> str:
    node = state.diagram.node(sym.name)
    if node is None:
        return f"`{sym.name}`: no node has this id"
    head = f"**{node.id}** · {node.shape} in lane `{node.lane}` · {json.dumps(node.label)}"
    plan = {n.id: n for n in state.plan.nodes} if state.plan else {}
    if sym.name not in plan:
        return head + "\n\nNo AWS plan yet: fix the errors in the diagram first."
    n = plan[sym.name]
    made = ", ".join(n.resources) or "a state only"
    return f"{head}\n\n**AWS kind:** `{n.kind}`\n\n**why:** {n.reason}\n\n**becomes:** {made}"


def _lane_hover(state: DocState, sym: Symbol) -> str:
    lane = state.diagram.lane_by_id.get(sym.name)
    if lane is None:
        return f"`{sym.name}`: no lane has this id"
    count = sum(1 for n in state.diagram.nodes if n.lane == lane.id)
    return f"**lane {lane.id}** · {lane.display or 'no display label'!s} · {count} node(s)"


def _edge_hover(state: DocState, indexes: list[int]) -> str | None:
    if not state.plan:
        return "No AWS plan yet: fix the errors in the diagram first." if indexes else None
    edges = {e.index: e for e in state.plan.edges}
    lines = [line for i in indexes if i in edges for line in explain.edge_lines(edges[i])]
    return _block(lines) if lines else None


_SYMBOL_HOVER = {"node": _node_hover, "lane": _lane_hover}


def hover(state: DocState, pos: t.Position) -> t.Hover | None:
    at = offset(state, pos)
    sym = state.at(at)
    if state.diagram is None:
        return None
    text = _SYMBOL_HOVER[sym.kind](state, sym) if sym else _edge_hover(state, state.edges_at(at))
    if text is None:
        return None
    where = span_range(state, sym.span) if sym else None
    return t.Hover(t.MarkupContent(t.MarkupKind.Markdown, text), where)


# -- names: definition, references, rename ---------------------------------------------------


def definition(state: DocState, pos: t.Position) -> t.Location | None:
    sym = state.at(offset(state, pos))
    decl = sym and state.definition(sym.kind, sym.name)
    return t.Location(state.uri, span_range(state, decl.span)) if decl else None


def references(state: DocState, pos: t.Position, include_decl: bool) -> list[t.Location]:
    sym = state.at(offset(state, pos))
    if sym is None:
        return []
    found = state.occurrences(sym.kind, sym.name)
    return [
        t.Location(state.uri, span_range(state, s.span))
        for s in found
        if include_decl or not s.decl
    ]


def prepare_rename(state: DocState, pos: t.Position) -> t.PrepareRenamePlaceholder | None:
    sym = state.at(offset(state, pos))
    if sym is None:
        return None
    return t.PrepareRenamePlaceholder(span_range(state, sym.span), sym.name)


def rename_edit(state: DocState, pos: t.Position, new: str) -> t.WorkspaceEdit | None:
    """Raises `RenameError` for an invalid or clashing name."""
    sym = state.at(offset(state, pos))
    if sym is None:
        raise RenameError("put the cursor on a node id or a lane id to rename it")
    edits = [t.TextEdit(span_range(state, s), new) for s in rename(state, sym, new)]
    return t.WorkspaceEdit(changes={state.uri: edits})


# -- document symbols ---------------------------------------------------------------------


def _node_symbol(state: DocState, n, kinds: dict[str, str]) -> t.DocumentSymbol:
    detail = n.label + (f" · {kinds[n.id]}" if n.id in kinds else "")
    return t.DocumentSymbol(
        name=n.id,
        kind=SHAPE_SYMBOL.get(n.shape, t.SymbolKind.Object),
        range=span_range(state, n.span),
        selection_range=span_range(state, n.id_span),
        detail=detail,
    )


def _lane_extent(state: DocState) -> list[tuple[object, int]]:
    """Each lane header with the end offset of the last statement inside it."""
    d = state.diagram
    lanes = list(d.lanes)
    starts = [lane.span.start for lane in lanes]
    ends = [lane.span.end for lane in lanes]
    from bisect import bisect_right

    for item in (*d.nodes, *d.edges, *d.loops):
        i = bisect_right(starts, item.span.start) - 1
        if item.lane is not None and i >= 0 and lanes[i].id == item.lane:
            ends[i] = max(ends[i], item.span.end)
    return list(zip(lanes, ends, strict=True))


def document_symbols(state: DocState) -> list[t.DocumentSymbol]:
    d = state.diagram
    if d is None:
        return []
    kinds = {n.id: n.kind for n in state.plan.nodes} if state.plan else {}
    out, by_lane = [], {}
    for lane, end in _lane_extent(state):
        sym = t.DocumentSymbol(
            name=lane.id,
            kind=t.SymbolKind.Namespace,
            range=span_range(state, Span(lane.span.start, end)),
            selection_range=span_range(state, lane.id_span),
            detail=lane.display or "",
            children=[],
        )
        out.append(sym)
        by_lane.setdefault(lane.id, sym)
    for n in d.nodes:
        parent = by_lane.get(n.lane)
        (parent.children if parent else out).append(_node_symbol(state, n, kinds))
    return out


# -- formatting ---------------------------------------------------------------------------


def formatting(state: DocState) -> list[t.TextEdit] | None:
    """One edit replacing the whole text, none when it is canonical; None when unformattable."""
    from fzc.fmt import NotFormattable, format_text

    try:
        new = format_text(state.text, state.uri)
    except NotFormattable:
        return None
    if new == state.text:
        return []
    return [t.TextEdit(span_range(state, Span(0, len(state.text))), new)]


# -- completion ---------------------------------------------------------------------------

_STRING_OPEN = re.compile(r'"(?:[^"\\]|\\.)*$')
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')


def _items(words, kind: t.CompletionItemKind, detail: str, suffix: str = ""):
    return [t.CompletionItem(w, kind=kind, detail=detail, insert_text=w + suffix) for w in words]


def _directions(state: DocState, m: re.Match) -> list[t.CompletionItem]:
    return _items(DIRECTIONS, t.CompletionItemKind.EnumMember, "handle direction")


def _shapes(state: DocState, m: re.Match) -> list[t.CompletionItem]:
    return _items(SHAPES, t.CompletionItemKind.Keyword, "node shape")


def _attr_keys(state: DocState, m: re.Match) -> list[t.CompletionItem]:
    written = set(re.findall(r"(\w+)\s*[:=]\s*\"", m.string))
    keys = [k for k in ATTRIBUTE_KEYS if k not in written]
    return _items(keys, t.CompletionItemKind.Property, "node attribute", ":")


def _edge_keys(state: DocState, m: re.Match) -> list[t.CompletionItem]:
    return _items(EDGE_ATTRIBUTE_KEYS, t.CompletionItemKind.Property, "edge attribute", "=")


def _node_items(state: DocState, lane: str | None) -> list[t.CompletionItem]:
    d = state.diagram
    nodes = [n for n in d.by_id.values() if lane is None or n.lane == lane]
    return [
        t.CompletionItem(
            n.id,
            kind=t.CompletionItemKind.Variable,
            detail=f"{n.label} · lane {n.lane}",
            sort_text=f"{len(n.id):04d}{n.id}",
        )
        for n in nodes
    ]


def _lane_nodes(state: DocState, m: re.Match) -> list[t.CompletionItem]:
    return _node_items(state, m["lane"])


def _ids(state: DocState, m: re.Match) -> list[t.CompletionItem]:
    lanes = _items(
        [lane.id for lane in state.diagram.lanes], t.CompletionItemKind.Module, "lane", "."
    )
    return _node_items(state, None) + lanes


def _nothing(state: DocState, m: re.Match) -> list[t.CompletionItem]:
    return []


_REF_START = r"(?:->\s*|^\s*loop\s*\[[^\]]*\]\s*(?:[\w.]+\s+)*|^\s*)"
# line text before the cursor -> what fits there; the first match wins
CONTEXTS: tuple[tuple[re.Pattern[str], Callable], ...] = (
    (re.compile(r"^\s*(?://|#)|\{\s*#|^\s*loop\s*\[[^\]]*$"), _nothing),  # comments, conditions
    (re.compile(r"\.handle\(\s*\w*$"), _directions),
    (re.compile(r"->.*\[[^\]]*$"), _edge_keys),
    (re.compile(r"^\s*[A-Za-z_]\w*\s*:\s*\w*$"), _shapes),
    (re.compile(r"^\s*[A-Za-z_]\w*\s*:\s*\w+\s+(?:.*\s)?\w*$"), _attr_keys),
    (re.compile(_REF_START + r"(?P<lane>[A-Za-z_]\w*)\.\w*$"), _lane_nodes),
    (re.compile(_REF_START + r"\w*$"), _ids),
)


def completion(state: DocState, pos: t.Position) -> list[t.CompletionItem]:
    if state.diagram is None:
        return []
    at = offset(state, pos)
    start = state.lines.starts[min(pos.line, len(state.lines.starts) - 1)]
    before = state.text[start:at]
    if _STRING_OPEN.search(_STRINGS.sub("", before)):
        return []  # inside a quoted label
    for pattern, provide in CONTEXTS:
        m = pattern.search(before)
        if m:
            return provide(state, m)
    return []


__all__ = [
    "RenameError",
    "completion",
    "definition",
    "diagnostics",
    "document_symbols",
    "formatting",
    "hover",
    "prepare_rename",
    "references",
    "rename_edit",
]
