"""Stable names derived from labels: CloudFormation logical ids, env var names, slugs.

A logical id depends only on its node's label (and, on a collision, its node id), so adding
or removing an unrelated node never renames a resource (a rename replaces it: data loss for
tables and buckets).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

MAX_ID_BASE = 48  # leaves room for suffixes such as "LogGroup" under CloudFormation's 255
_WORD = re.compile(r"[A-Za-z0-9]+")


def words(text: str) -> list[str]:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _WORD.findall(ascii_text)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def pascal(text: str, fallback: str) -> str:
    """`S3 Bucket Upload` -> `S3BucketUpload`; long labels are cut and get a hash suffix."""
    base = "".join(w[0].upper() + w[1:] for w in words(text)) or fallback.capitalize()
    if len(base) > MAX_ID_BASE:
        base = base[: MAX_ID_BASE - 8] + _digest(text).upper()
    if not base[0].isalpha():
        base = "N" + base
    return base


def upper_snake(text: str, fallback: str) -> str:
    """`SQS Dead Letter Queue` -> `SQS_DEAD_LETTER_QUEUE` (an env var stem)."""
    stem = "_".join(w.upper() for w in words(text)) or fallback.upper()
    if len(stem) > 40:
        stem = stem[:31].rstrip("_") + "_" + _digest(text).upper()
    return stem if stem[0].isalpha() else "N_" + stem


def slug(text: str, fallback: str, limit: int) -> str:
    """Lower-case, hyphenated and at most `limit` characters (S3 bucket names, folders)."""
    s = "-".join(w.lower() for w in words(text)) or fallback.lower()
    if len(s) > limit:
        s = s[: limit - 7].rstrip("-") + "-" + _digest(text)[:6]
    return s


class Allocator:
    """Hands out unique names; the first claimant of a name keeps it."""

    def __init__(self) -> None:
        self._taken: set[str] = set()
        self._next: dict[str, int] = {}  # per base name, the next number to try (linear)

    def claim(self, name: str, alternative: str | None = None) -> str:
        for candidate in (name, alternative):
            if candidate and candidate not in self._taken:
                self._taken.add(candidate)
                return candidate
        n = self._next.get(name, 2)
        while f"{name}{n}" in self._taken:
            n += 1
        self._next[name] = n + 1
        self._taken.add(f"{name}{n}")
        return f"{name}{n}"

    def __contains__(self, name: str) -> bool:
        return name in self._taken
