"""A small block-YAML writer for CloudFormation documents.

Every string is written double-quoted with JSON escapes plus the characters YAML treats as
line breaks or forbids (NEL, U+2028/2029, C1 controls, lone surrogates), so no label can end
a scalar early, start a new key or smuggle in a tag: the one escaping path for diagram text.
PyYAML's emitter is 13-56x slower on big templates (research/performance.md, section 5).
"""

from __future__ import annotations

import json
import re

_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_:.-]*$")
_PLAIN_VALUE = re.compile(r"^[A-Za-z][A-Za-z0-9_:./*-]*$")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}
# Short forms read better in review; each takes a scalar (or the GetAtt pair).
_SHORT = {"Ref": "!Ref", "Fn::Sub": "!Sub", "Fn::GetAtt": "!GetAtt"}


def string(s: str) -> str:
    quoted = json.dumps(s, ensure_ascii=False)
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def comment(s: str) -> str:
    """Text safe inside a `#` comment: one line, no control characters."""
    return _UNSAFE.sub("?", json.dumps(s, ensure_ascii=False)[1:-1])


# Keys and most values repeat across resources (property names, "Allow", ARNs of shared
# resources): remembering their YAML form halves the time of a big template.
_KEYS: dict[str, str] = {}
_STRINGS: dict[str, str] = {}
# Forms kept per table (a long-lived process compiles many templates). A full table starts
# again instead of refusing newcomers: the forms that repeat come back at once, while a table
# that stopped learning made every later resource of a huge template pay the full price
# (1.8x the quoting calls per node at 100k nodes).
_REMEMBERED = 100_000


def _form(text: str, plain: re.Pattern[str], table: dict[str, str]) -> str:
    """`text` bare when `plain` allows it and YAML reads it as a string, else quoted."""
    out = table.get(text)
    if out is None:
        out = text if plain.match(text) and text.lower() not in _RESERVED else string(text)
        if len(table) >= _REMEMBERED:
            table.clear()
        table[text] = out
    return out


def _key(k: str) -> str:
    return _form(k, _PLAIN_KEY, _KEYS)


def scalar(v) -> str:
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return "null"
    if type(v) is int:
        return str(v)  # what json.dumps writes for an int, without its encoder's set-up
    if isinstance(v, int | float):
        return json.dumps(v)
    return _form(v, _PLAIN_VALUE, _STRINGS)


def _short(v) -> str | None:
    if not (isinstance(v, dict) and len(v) == 1):
        return None
    ((k, inner),) = v.items()
    tag = _SHORT.get(k)
    if tag is None:
        return None
    if k == "Fn::GetAtt" and isinstance(inner, list) and all(isinstance(x, str) for x in inner):
        return f"{tag} {'.'.join(inner)}"
    if isinstance(inner, str):
        return f"{tag} {scalar(inner)}"
    return None


def _lines(v, indent: int, out: list[str]) -> None:
    pad = " " * indent
    if isinstance(v, dict):
        for k, item in v.items():
            _entry(f"{pad}{_key(k)}:", item, indent, out)
    else:
        for item in v:
            _entry(f"{pad}-", item, indent, out, dash=True)


def _entry(head: str, item, indent: int, out: list[str], dash: bool = False) -> None:
    kind = type(item)
    if kind is str:  # most entries: checked first, as the writer runs per value of 10k resources
        out.append(f"{head} {scalar(item)}")
        return
    if not isinstance(item, dict | list):
        out.append(f"{head} {scalar(item)}")
        return
    short = _short(item) if len(item) == 1 else None
    if short is not None:
        out.append(f"{head} {short}")
    elif not item:
        out.append(f"{head} {{}}" if isinstance(item, dict) else f"{head} []")
    elif dash:  # the first line of the item goes on the dash's line
        first = len(out)
        _lines(item, indent + 2, out)
        out[first] = f"{head} {out[first].lstrip()}"
    else:
        out.append(head)
        _lines(item, indent + 2, out)


def dump(v, indent: int = 0) -> str:
    """Block YAML for a dict or list, each line indented by `indent` spaces."""
    out: list[str] = []
    _lines(v, indent, out)
    return "\n".join(out)
