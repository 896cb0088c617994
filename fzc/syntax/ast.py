"""Syntax tree: one frozen dataclass per statement line, every piece with its span."""

from __future__ import annotations

from dataclasses import dataclass

from fzc.source import Span


@dataclass(frozen=True, slots=True)
class Name:
    text: str
    span: Span


@dataclass(frozen=True, slots=True)
class Attr:
    key: Name
    sep: str  # ":" or "="
    value: str  # unescaped
    value_span: Span
    span: Span


@dataclass(frozen=True, slots=True)
class LaneOpen:
    id: Name
    display: str | None  # text after `#`, stripped; None when absent
    display_span: Span | None
    span: Span


@dataclass(frozen=True, slots=True)
class LaneClose:
    span: Span


@dataclass(frozen=True, slots=True)
class HashLine:
    text: str
    span: Span


@dataclass(frozen=True, slots=True)
class SlashComment:
    text: str
    span: Span


@dataclass(frozen=True, slots=True)
class NodeDecl:
    id: Name
    shape: Name
    attrs: tuple[Attr, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class EndpointRef:
    lane: Name | None
    node: Name
    direction: Name | None  # None: written without `.handle(...)`
    span: Span


@dataclass(frozen=True, slots=True)
class EdgeStmt:
    endpoints: tuple[EndpointRef, ...]  # two, or more for a (rejected) chained edge
    attrs: tuple[Attr, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class LoopRef:
    lane: Name | None
    node: Name
    span: Span


@dataclass(frozen=True, slots=True)
class LoopStmt:
    condition: str
    condition_span: Span
    refs: tuple[LoopRef, ...]
    span: Span


Statement = LaneOpen | LaneClose | HashLine | SlashComment | NodeDecl | EdgeStmt | LoopStmt


@dataclass(frozen=True, slots=True)
class Document:
    statements: tuple[Statement, ...]
    truncated: bool = False  # parsing stopped early (too many syntax errors): the tail is unread
