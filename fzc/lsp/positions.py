"""Character offsets <-> LSP positions.

fzc spans count Python characters (code points); LSP positions count code units of the
negotiated encoding, UTF-16 unless the client offers another. Lines end at `\\r\\n`, `\\r` or
`\\n`, as the LSP specification says. ASCII lines (almost all of them) take a fast path.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable

_BREAK = re.compile(r"\r\n?|\n")


def _utf16(text: str) -> int:
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _utf8(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


# encoding name (LSP `PositionEncodingKind`) -> code units of a piece of text
UNITS: dict[str, Callable[[str], int]] = {"utf-16": _utf16, "utf-8": _utf8, "utf-32": len}


class LineIndex:
    """Line starts of one text, and conversions in one position encoding."""

    def __init__(self, text: str, encoding: str = "utf-16"):
        self.text = text
        self.units = UNITS.get(str(encoding), _utf16)
        self.starts = [0, *(m.end() for m in _BREAK.finditer(text))]
        self.ends = [m.start() for m in _BREAK.finditer(text)] + [len(text)]

    def position(self, offset: int) -> tuple[int, int]:
        """(line, character) of a character offset, both zero-based."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect_right(self.starts, offset) - 1
        start = self.starts[line]
        offset = min(offset, self.ends[line])  # inside a CRLF: the end of the line
        piece = self.text[start:offset]
        return line, len(piece) if piece.isascii() else self.units(piece)

    def offset(self, line: int, character: int) -> int:
        """Character offset of an LSP position; past the end of a line means its end."""
        if line >= len(self.starts):
            return len(self.text)
        start, end = self.starts[max(0, line)], self.ends[max(0, line)]
        piece = self.text[start:end]
        if piece.isascii():
            return start + min(max(0, character), len(piece))
        used = 0
        for i, ch in enumerate(piece):
            used += self.units(ch)
            if used > character:
                return start + i
        return end
