"""Syntax tree: one frozen dataclass per statement line, every piece with its span."""

from __future__ import annotations

from dataclasses import dataclass

from fzc.source import Span


@dataclass(frozen=True, slots=True)
class Name:
    """An identifier (node id, lane id, shape, attribute key) and where it is written."""

    text: str
    span: Span


@dataclass(frozen=True, slots=True)
class Attr:
    """One attribute: `key:"value"` on a node, `key="value"` on an edge."""

    key: Name
    sep: str  # ":" or "="
    value: str  # unescaped
    value_span: Span
    span: Span


@dataclass(frozen=True, slots=True)
class LaneOpen:
    """A lane header line: `id {`, optionally followed by `# display label`."""

    id: Name
    display: str | None  # text after `#`, stripped; None when absent
    display_span: Span | None
    span: Span


@dataclass(frozen=True, slots=True)
class LaneClose:
    """A `}` line closing a lane."""

    span: Span


@dataclass(frozen=True, slots=True)
class HashLine:
    """A `#` line of its own: an old-form lane display label, or a stray comment."""

    text: str
    span: Span


@dataclass(frozen=True, slots=True)
class SlashComment:
    """A whole-line `//` comment."""

    text: str
    span: Span


@dataclass(frozen=True, slots=True)
class NodeDecl:
    """A node declaration line: `id: shape` and its attributes."""

    id: Name
    shape: Name
    attrs: tuple[Attr, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class EndpointRef:
    """One end of an edge as written: `[lane.]node`, optionally `.handle(direction)`."""

    lane: Name | None
    node: Name
    direction: Name | None  # None: written without `.handle(...)`
    span: Span


@dataclass(frozen=True, slots=True)
class EdgeStmt:
    """An edge line: endpoints joined by `->`, and the attributes in `[...]`."""

    endpoints: tuple[EndpointRef, ...]  # two, or more for a (rejected) chained edge
    attrs: tuple[Attr, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class LoopRef:
    """A node named in a loop line, with its lane prefix if written."""

    lane: Name | None
    node: Name
    span: Span


@dataclass(frozen=True, slots=True)
class LoopStmt:
    """A `loop [condition] ...` line: its condition and the nodes it names."""

    condition: str
    condition_span: Span
    refs: tuple[LoopRef, ...]
    span: Span


Statement = LaneOpen | LaneClose | HashLine | SlashComment | NodeDecl | EdgeStmt | LoopStmt


@dataclass(frozen=True, slots=True)
class Document:
    """A parsed file: its statements in order."""

    statements: tuple[Statement, ...]
    truncated: bool = False  # parsing stopped early (too many syntax errors): the tail is unread
