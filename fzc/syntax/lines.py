"""Fast path of the parser: one compiled pattern per statement form, matched on a whole line.

fzc/grammar.lark is the specification and lark stays the oracle: a line is taken here only when
a pattern recognises it with certainty, and yields exactly the statement lark would build (same
values, same spans). Any other line (a syntax error, or a form not worth a pattern) goes to the
`slow` callback, which hands that one line to lark. The patterns mirror lark's lexer:

* blanks between tokens are spaces, tabs and `\\r` (CRLF files); the rest of the grammar's
  WS class (form feed, BOM, control characters) sends the line to lark;
* NAME is maximal (`*+`): lark never splits `rectanglelabel` into two names, nor may we;
* `.handle(` is one token, preferred to DOT (lark orders terminals by length);
* at the start of a line the name `loop` is the LOOP keyword (lark's keyword-in-NAME rule);
  elsewhere it is an ordinary name, as the contextual lexer only expects NAME there;
* every quantifier is possessive, so a line is matched in linear time, even a 10 MB one; and
  the choice of form is atomic: once a form matched, no other reading of the line is tried,
  so a line with something left over goes to lark rather than to a looser reading.

Matching runs on the whole text with `pos`/`endpos` (no slicing), so group offsets are spans.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import fields

from fzc.source import Span
from fzc.syntax import ast

# Blanks as written: space, tab, and the CR of CRLF files. The grammar's WS class also has the
# form feed, a BOM and control characters; a line with one of those between tokens matches no
# form here and goes to lark (a BOM that starts the file is skipped below). Compiling the full
# class into every gap tripled the pattern's compile time, which every cold start pays.
_W = r"[ \t\r]*+"
_NAME = r"[A-Za-z_][A-Za-z0-9_]*+"
_STRING = r'"[^"\\\n]*+(?:\\.[^"\\\n]*+)*+"'
_NOT_LOOP = r"(?!loop(?![A-Za-z0-9_]))"  # a line starting with the keyword is a loop or bad


def _attr(g: str) -> str:
    """attr: NAME (COLON | EQUALS) STRING; groups k, s, v suffixed with `g`."""
    return rf"(?P<k{g}>{_NAME}){_W}(?P<s{g}>[:=]){_W}(?P<v{g}>{_STRING})"


def _endpoint(g: str) -> str:
    """endpoint: NAME (DOT NAME)? handle?; groups e (all), a, b (after the dot), d (direction).
    A `.` directly followed by `handle(` is the HANDLE token, as in lark."""
    return (
        rf"(?P<e{g}>(?P<a{g}>{_NAME})(?:{_W}\.(?!handle\(){_W}(?P<b{g}>{_NAME}))?+"
        rf"(?:{_W}\.handle\({_W}(?P<d{g}>{_NAME}){_W}\))?+)"
    )


def _ref(g: str) -> str:
    """ref: NAME (DOT NAME)?; groups a, b."""
    return rf"(?P<a{g}>{_NAME})(?:{_W}\.{_W}(?P<b{g}>{_NAME}))?+"


def _bare(pattern: str) -> str:
    """`pattern` without its named groups, to repeat it."""
    return re.sub(r"\(\?P<\w+>", "(?:", pattern)


_ATTRS = rf"(?:{_W}{_bare(_attr(''))})*+"
_EDGE_ATTRS = rf"(?:{_W},?+{_W}{_bare(_attr(''))})*+"  # after the first: COMMA? attr
_MORE_ENDPOINTS = rf"(?:{_W}->{_W}{_bare(_endpoint(''))})*+"  # a chained edge
_REFS = rf"(?:{_W}{_bare(_ref(''))})*+"

# One alternative per statement form; the outer group's name says which one matched (it closes
# last, so it is `lastgroup`); a blank line matches none. The first attribute and the first two
# endpoints have groups of their own: the common lines need no second match.
_LINE = re.compile(
    rf"""{_W}(?:
    (?P<node>{_NOT_LOOP}(?P<nid>{_NAME}){_W}:{_W}(?P<shape>{_NAME})
        (?:{_W}{_attr("N")}(?P<nrest>{_ATTRS}))?+)
  | (?P<edge>{_NOT_LOOP}{_endpoint("1")}{_W}->{_W}{_endpoint("2")}(?P<more>{_MORE_ENDPOINTS})
        (?:{_W}\[{_W}(?:{_attr("E")}(?P<erest>{_EDGE_ATTRS}))?+{_W}(?P<rb>\]))?+)
  | (?P<open>{_NOT_LOOP}(?P<lid>{_NAME}){_W}(?P<brace>\{{){_W}(?P<hash>\#[^\r\n]*+)?+)
  | (?P<close>\}})
  | (?P<loop>loop(?![A-Za-z0-9_]){_W}(?P<cond>\[[^\]\n]*+\])(?P<refs>{_REFS}))
  | (?P<comment>\#[^\r\n]*+)
  | (?P<slash>//[^\r\n]*+)
    )?+{_W}\Z""",
    re.VERBOSE,
)
_ATTR_RE = re.compile(_attr(""))
_ENDPOINT_RE = re.compile(_endpoint(""))
_REF_RE = re.compile(_ref(""))
_ESCAPE = re.compile(r'\\(["\\])')


def _ids(pattern: re.Pattern, *names: str) -> tuple[int, ...]:
    """Group numbers: the builders below run per line, a number skips the name lookup."""
    return tuple(pattern.groupindex[n] for n in names)


_NID, _SHAPE, _NREST, _MORE, _EREST, _RB = _ids(
    _LINE, "nid", "shape", "nrest", "more", "erest", "rb"
)
_ATTR_N, _ATTR_E, _ATTR_ANY = (
    _ids(_LINE, "kN", "sN", "vN"),
    _ids(_LINE, "kE", "sE", "vE"),
    _ids(_ATTR_RE, "k", "s", "v"),
)
_EP_1, _EP_2, _EP_ANY = (
    _ids(_LINE, "e1", "a1", "b1", "d1"),
    _ids(_LINE, "e2", "a2", "b2", "d2"),
    _ids(_ENDPOINT_RE, "e", "a", "b", "d"),
)

# The AST classes are frozen slots dataclasses: their `__init__` writes each field through
# `object.__setattr__` and costs twice as much as writing the slots directly, and a parse makes
# about 40 objects per node. So the hot builders below write the slots; same objects, same
# fields (the tests compare every statement with lark's).
_new = object.__new__


def _setters(cls) -> tuple:
    assert not hasattr(cls, "__post_init__"), cls  # writing the slots would skip it
    return tuple(getattr(cls, f.name).__set__ for f in fields(cls))


_SPAN_START, _SPAN_END = _setters(Span)
_NAME_TEXT, _NAME_SPAN = _setters(ast.Name)


def _constructor(cls):
    """`cls(*fields)` without `__init__` (see above)."""
    names = [f.name for f in fields(cls)]
    env = {"new": _new, "cls": cls, **dict(zip(names, _setters(cls), strict=True))}
    lines = [f"def make({', '.join(f'{n}_' for n in names)}):", "    o = new(cls)"]
    lines += [f"    {n}(o, {n}_)" for n in names]
    exec("\n".join([*lines, "    return o"]), env)
    return env["make"]


_Attr = _constructor(ast.Attr)
_Endpoint = _constructor(ast.EndpointRef)
_Edge = _constructor(ast.EdgeStmt)
_Node = _constructor(ast.NodeDecl)


def _span(start: int, end: int) -> Span:
    span = _new(Span)
    _SPAN_START(span, start)
    _SPAN_END(span, end)
    return span


def _name(m: re.Match, group: int) -> ast.Name:
    start, end = m.span(group)
    span = _new(Span)
    _SPAN_START(span, start)
    _SPAN_END(span, end)
    name = _new(ast.Name)
    _NAME_TEXT(name, m[group])
    _NAME_SPAN(name, span)
    return name


def unquote(raw: str) -> str:
    """The value of a STRING token: quotes removed, `\\"` and `\\\\` unescaped."""
    body = raw[1:-1]
    if "\\" not in body:
        return body
    return _ESCAPE.sub(r"\1", body)


def _attr_of(m: re.Match, ids: tuple[int, ...]) -> ast.Attr:
    key, sep, value = ids
    value_start, end = m.span(value)
    text = unquote(m[value])
    return _Attr(_name(m, key), m[sep], text, _span(value_start, end), _span(m.start(key), end))


def _attrs(m: re.Match, first: tuple[int, ...], rest: int) -> tuple[ast.Attr, ...]:
    """The attribute in groups `first` (absent: none at all), then those in group `rest`."""
    if m.start(first[0]) < 0:
        return ()
    start, end = m.span(rest)
    if start == end:
        return (_attr_of(m, first),)
    more = (_attr_of(a, _ATTR_ANY) for a in _ATTR_RE.finditer(m.string, start, end))
    return (_attr_of(m, first), *more)


def _node(m: re.Match) -> ast.NodeDecl:
    shape = _name(m, _SHAPE)
    attrs = _attrs(m, _ATTR_N, _NREST)
    end = attrs[-1].span.end if attrs else shape.span.end
    return _Node(_name(m, _NID), shape, attrs, _span(m.start(_NID), end))


def _endpoint_of(m: re.Match, ids: tuple[int, ...]) -> ast.EndpointRef:
    whole, a, b, direction = ids
    if m.start(b) < 0:
        lane, node = None, _name(m, a)
    else:
        lane, node = _name(m, a), _name(m, b)
    handle = None if m.start(direction) < 0 else _name(m, direction)
    return _Endpoint(lane, node, handle, _span(*m.span(whole)))


def _edge(m: re.Match) -> ast.EdgeStmt:
    ends = (_endpoint_of(m, _EP_1), _endpoint_of(m, _EP_2))
    start, end = m.span(_MORE)
    if start < end:  # chained arrows: a third endpoint and more
        more = _ENDPOINT_RE.finditer(m.string, start, end)
        ends = (*ends, *(_endpoint_of(e, _EP_ANY) for e in more))
    first = ends[0].span.start
    if m.start(_RB) < 0:
        return _Edge(ends, (), _span(first, ends[-1].span.end))
    return _Edge(ends, _attrs(m, _ATTR_E, _EREST), _span(first, m.end(_RB)))


def _open(m: re.Match) -> ast.LaneOpen:
    lane = _name(m, "lid")
    if m["hash"] is None:
        return ast.LaneOpen(lane, None, None, Span(lane.span.start, m.end("brace")))
    hash_span = Span(*m.span("hash"))
    return ast.LaneOpen(
        lane, m["hash"][1:].strip(), hash_span, Span(lane.span.start, hash_span.end)
    )


def _close(m: re.Match) -> ast.LaneClose:
    return ast.LaneClose(Span(*m.span("close")))


def _ref_of(r: re.Match) -> ast.LoopRef:
    if r["b"] is None:
        return ast.LoopRef(None, _name(r, "a"), Span(*r.span()))
    return ast.LoopRef(_name(r, "a"), _name(r, "b"), Span(*r.span()))


def _loop(m: re.Match) -> ast.LoopStmt:
    cond_span = Span(*m.span("cond"))
    refs = tuple(map(_ref_of, _REF_RE.finditer(m.string, *m.span("refs"))))
    end = refs[-1].span.end if refs else cond_span.end
    return ast.LoopStmt(m["cond"][1:-1].strip(), cond_span, refs, Span(m.start("loop"), end))


def _comment(m: re.Match) -> ast.HashLine:
    return ast.HashLine(m["comment"][1:].strip(), Span(*m.span("comment")))


def _slash(m: re.Match) -> ast.SlashComment:
    return ast.SlashComment(m["slash"], Span(*m.span("slash")))


_BUILD: dict[str, Callable[[re.Match], ast.Statement]] = {
    "node": _node,
    "edge": _edge,
    "open": _open,
    "close": _close,
    "loop": _loop,
    "comment": _comment,
    "slash": _slash,
}

# slow(start, end) parses the line text[start:end] (its "\n" included) some other way and
# returns its statements, and whether parsing must stop there (too many errors).
Slow = Callable[[int, int], tuple[list, bool]]


def parse_lines(text: str, slow: Slow) -> tuple[list[ast.Statement], bool]:
    """Statements of `text` (which ends with "\\n", lone CRs already turned into "\\n"), and
    whether parsing stopped early."""
    out: list[ast.Statement] = []
    append, match, find, build = out.append, _LINE.match, text.find, _BUILD
    pos, size = 0, len(text)
    skip = 1 if text[:1] == "\ufeff" else 0  # the BOM of a file saved "with signature"
    while pos < size:
        end = find("\n", pos)
        m = match(text, pos + skip, end)
        skip = 0
        if m is None:
            got, stop = slow(pos, end + 1)
            out += got
            if stop:
                return out, True
        elif m.lastgroup is not None:
            append(build[m.lastgroup](m))
        pos = end + 1
    return out, False
