"""One open document, checked: the analysis plus an index of every name written in it.

`recheck` is the server's whole re-check (parse, model, checks, AWS plan, index); it is pure
and is what `bench/lsp.py` times. The index lists each occurrence of a node id or lane id:
declarations, edge endpoints, loop references and `Lane.` prefixes, sorted by offset.
"""

from __future__ import annotations

import re
import time
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from functools import cached_property

from fzc.lsp.positions import LineIndex
from fzc.memory import paused_gc
from fzc.pipeline import Analysis
from fzc.source import Source, Span

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
KEYWORDS = frozenset({"loop"})


@dataclass(frozen=True, slots=True)
class Symbol:
    """One occurrence of a node id or lane id in the text: a declaration or a reference."""

    kind: str  # "node" or "lane"
    name: str
    span: Span
    decl: bool


@dataclass
class DocState:
    """One open document as last checked: its text, analysis and index of names."""

    uri: str
    text: str
    version: int | None
    analysis: Analysis
    lines: LineIndex
    symbols: list[Symbol] = field(default_factory=list)
    edge_spans: list[tuple[int, int, int]] = field(default_factory=list)  # (start, end, index)
    elapsed: float = 0.0  # seconds the re-check took

    @property
    def diagram(self):
        return self.analysis.diagram

    @property
    def plan(self):
        return self.analysis.plan

    def at(self, offset: int) -> Symbol | None:
        """The name under the cursor (a cursor just after a name counts)."""
        i = bisect_right(self._starts, offset) - 1
        for sym in self.symbols[max(0, i - 1) : i + 1][::-1]:
            if sym.span.start <= offset <= sym.span.end:
                return sym
        return None

    def occurrences(self, kind: str, name: str) -> list[Symbol]:
        return [s for s in self.symbols if s.kind == kind and s.name == name]

    def definition(self, kind: str, name: str) -> Symbol | None:
        return next((s for s in self.occurrences(kind, name) if s.decl), None)

    def edges_at(self, offset: int) -> list[int]:
        """Indexes of the edges written on the statement under the cursor (several when the
        line chains arrows)."""
        i = bisect_right(self._edge_starts, offset) - 1
        if i < 0:
            return []
        j = bisect_left(self._edge_starts, self._edge_starts[i])
        return [index for _, end, index in self.edge_spans[j : i + 1] if offset <= end]

    @cached_property
    def _starts(self) -> list[int]:
        return [s.span.start for s in self.symbols]

    @cached_property
    def _edge_starts(self) -> list[int]:
        return [start for start, _, _ in self.edge_spans]


def _prefix(span: Span, lane: str) -> Span:
    return Span(span.start, span.start + len(lane))


def _tail(span: Span, node: str) -> Span:
    return Span(span.end - len(node), span.end)


def index(diagram) -> list[Symbol]:
    """Every occurrence of a node id or lane id in the diagram, in text order, no repeats."""
    found: dict[tuple[str, int], Symbol] = {}

    def add(kind: str, name: str, span: Span, decl: bool = False) -> None:
        found.setdefault((kind, span.start), Symbol(kind, name, span, decl))

    for lane in diagram.lanes:
        add("lane", lane.id, lane.id_span, True)
    for n in diagram.nodes:
        add("node", n.id, n.id_span, True)
    for e in diagram.edges:
        for end in (e.source, e.target):
            add("node", end.node, end.node_span)
            if end.lane:
                add("lane", end.lane, _prefix(end.span, end.lane))
    for loop in diagram.loops:
        for r in loop.refs:
            add("node", r.node, _tail(r.span, r.node))
            if r.lane:
                add("lane", r.lane, _prefix(r.span, r.lane))
    return sorted(found.values(), key=lambda s: s.span.start)


def _analyze(src: Source, strict: bool) -> Analysis:
    from fzc.pipeline import analyze, internal_error

    try:
        return analyze(src, strict=strict)
    except Exception as exc:  # noqa: BLE001 - an internal error is a diagnostic, never a crash
        return internal_error(src, exc)


def recheck(
    uri: str,
    text: str,
    *,
    version: int | None = None,
    strict: bool = False,
    encoding: str = "utf-16",
    path: str | None = None,
) -> DocState:
    """Parse, check and plan `text`, and index its names (with the cyclic GC paused)."""
    with paused_gc():
        return _recheck(uri, text, version, strict, encoding, path)


def _recheck(uri, text, version, strict, encoding, path) -> DocState:
    start = time.perf_counter()
    analysis = _analyze(Source(path or uri, text), strict)
    state = DocState(uri, text, version, analysis, LineIndex(text, encoding))
    if analysis.diagram is not None:
        state.symbols = index(analysis.diagram)
        spans = {(e.span.start, e.span.end, e.index) for e in analysis.diagram.edges}
        state.edge_spans = sorted(spans)
    state.elapsed = time.perf_counter() - start
    return state


class RenameError(ValueError):
    """A rename the server refuses (the message is shown to the user)."""


def rename(state: DocState, sym: Symbol, new: str) -> list[Span]:
    """The spans to rewrite to rename `sym` to `new`; raises `RenameError` when invalid."""
    if not NAME.fullmatch(new) or new in KEYWORDS:
        raise RenameError(f"`{new}` is not a valid {sym.kind} id (letters, digits, `_`)")
    if new != sym.name and state.occurrences(sym.kind, new):
        raise RenameError(f"`{new}` is already a {sym.kind} in this diagram")
    return [s.span for s in state.occurrences(sym.kind, sym.name)]
