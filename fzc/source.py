"""Source text and spans: character offsets in, one-based line/column out."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

# LF, CRLF and a lone CR (old Mac files) all end a line, as in FlowZap's own reader.
_LINE_BREAK = re.compile(r"\r\n?|\n")
BOM = "\ufeff"


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open range of character offsets into one `Source`."""

    start: int
    end: int

    def cover(self, other: Span) -> Span:
        return Span(min(self.start, other.start), max(self.end, other.end))


@dataclass(frozen=True)
class Source:
    """One input file. `text` is the decoded text, BOM included if present."""

    path: str
    text: str
    _line_starts: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        starts = [0, *(m.end() for m in _LINE_BREAK.finditer(self.text))]
        object.__setattr__(self, "_line_starts", tuple(starts))

    def _start(self, line: int) -> int:
        """Offset where one-based `line` starts; line 1 starts after a BOM, as editors count."""
        if line == 1 and self.text.startswith(BOM):
            return 1
        return self._line_starts[line - 1]

    def line_col(self, offset: int) -> tuple[int, int]:
        """One-based (line, column) of `offset`, column counted in characters."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect_right(self._line_starts, offset) - 1
        return line + 1, max(0, offset - self._start(line + 1)) + 1

    def line_text(self, line: int) -> str:
        """The text of one-based `line`, without its line break (and without a BOM)."""
        start = self._start(line)
        end = self._line_starts[line] - 1 if line < len(self._line_starts) else len(self.text)
        if end > start and self.text[end - 1] == "\r" and self.text[end : end + 1] == "\n":
            end -= 1  # CRLF
        return self.text[start:end]

    def line_span(self, offset: int) -> Span:
        """The span of the whole line holding `offset` (line break and BOM excluded)."""
        line, _ = self.line_col(offset)
        start = self._start(line)
        return Span(start, start + len(self.line_text(line)))

    @property
    def line_count(self) -> int:
        return len(self._line_starts)
