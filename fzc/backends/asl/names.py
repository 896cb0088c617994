"""State names: node labels made unique and safe for Amazon States Language.

ASL allows at most 80 characters per state name, unique across the whole state machine,
Parallel branches included (https://states-language.net/spec.html#states-fields). We keep
letters, digits, spaces and a few punctuation marks so the names also read well in the
console, in `$$.State.Name` and in CloudWatch metrics; anything else becomes a space.
"""

from __future__ import annotations

import unicodedata

MAX_NAME = 80
_KEEP = frozenset(" -_.,()'&+!")


def clean(label: str, fallback: str) -> str:
    """`Processing Complete?` -> `Processing Complete`; empty results fall back."""
    text = unicodedata.normalize("NFC", label)
    kept = "".join(ch if ch.isalnum() or ch in _KEEP else " " for ch in text)
    name = " ".join(kept.split())
    return name[:MAX_NAME].rstrip() or fallback


class Names:
    """Hands out unique state names: the first claimant keeps the label, later ones get ` 2`..."""

    def __init__(self) -> None:
        self._taken: set[str] = set()
        self._next: dict[str, int] = {}  # base -> the suffix to try next (no rescans)

    def take(self, label: str, fallback: str = "State") -> str:
        base = clean(label, clean(fallback, "State"))
        name, n = base, self._next.get(base, 1)
        if n > 1 or name in self._taken:
            name, n = self._suffixed(base, max(n, 2))
        self._next[base] = n + 1 if n > 1 else 2
        self._taken.add(name)
        return name

    def _suffixed(self, base: str, n: int) -> tuple[str, int]:
        while True:
            suffix = f" {n}"
            name = base[: MAX_NAME - len(suffix)].rstrip() + suffix
            if name not in self._taken:
                return name, n
            n += 1
