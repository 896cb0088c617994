"""Diagram text (labels) made safe for Python source.

`quote` is for docstrings and comments: cut to a readable length, always double-quoted, with
backslashes, quotes and unprintable characters escaped, so a label can never end a docstring,
start a new line or smuggle code. `literal` is for string literals in code: the full text,
quoted the way `ruff format` quotes it (double quotes unless the text holds more of them).
"""

from __future__ import annotations

SHORT = 48  # characters of a label shown in docstrings and comments


def _escape(text: str, quote: str) -> str:
    if text.isprintable() and "\\" not in text and quote not in text:
        return text
    out = []
    for ch in text:
        if ch in ("\\", quote):
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        else:
            out.append(repr(ch)[1:-1])  # \n, \t, \x00, \u2028, lone surrogates ...
    return "".join(out)


def cut(text: str, limit: int = SHORT) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def quote(text: str | None, limit: int = SHORT) -> str:
    """`Say "hi"` -> `"Say \\"hi\\""`: one safe line for a docstring or a comment."""
    return '"' + _escape(cut(text or "", limit), '"') + '"'


def literal(text: str) -> str:
    """A Python string literal for `text`, in the quotes `ruff format` would choose."""
    q = "'" if text.count('"') > text.count("'") else '"'
    return q + _escape(text, q) + q
