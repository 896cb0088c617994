"""Parse FlowZap Code: fast line patterns first, the LALR grammar in fzc/grammar.lark for the rest.

The grammar is line-oriented, so each line parses on its own. `fzc.syntax.lines` recognises the
common statement forms with one compiled pattern each (about 7x faster than lark, and lark is
not even imported when every line is recognised); any other line is parsed by lark alone, which
also reports it when it is bad. `parse(src, fast=False)` runs lark over the whole text instead:
the reference the fast path is tested against.

Recovery is exact: when a line fails, the lines before it are kept, the failing line is
reported, and parsing resumes at the next line (each segment is parsed at most twice, so
recovery stays linear).
"""

from __future__ import annotations

import re
from functools import cache

from fzc.diagnostics import Diagnostic, diag
from fzc.diagnostics.codes import CODES
from fzc.memory import paused_gc
from fzc.source import Source, Span
from fzc.syntax import ast
from fzc.syntax.lines import parse_lines
from fzc.syntax.lines import unquote as _unquote

MAX_SYNTAX_ERRORS = 50
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LONE_CR = re.compile(r"\r(?!\n)")
HINT_SCAN = 400  # hints look at this many characters of a bad line (keeps them linear)

# What each terminal is called in "expected ..." messages.
_FRIENDLY = {
    "NAME": "a name",
    "STRING": 'a quoted string ("...")',
    "COLON": "`:`",
    "EQUALS": "`=`",
    "LBRACE": "`{`",
    "RBRACE": "`}`",
    "LBRACKET": "`[`",
    "RBRACKET": "`]`",
    "HANDLE": "`.handle(`",
    "RPAREN": "`)`",
    "ARROW": "`->`",
    "DOT": "`.`",
    "COMMA": "`,`",
    "HASH": "`# Display label`",
    "LOOP_COND": "`[condition]`",
    "SLASH_COMMENT": "`// comment`",
    "LOOP": "`loop`",
    "_NL": "end of line",
    "$END": "end of file",
}


def _name(tok) -> ast.Name:
    return ast.Name(str(tok), Span(tok.start_pos, tok.end_pos))


class _Build:
    """Inline LALR callbacks (no parse tree is built). `base` shifts segment offsets."""

    base = 0

    def _span(self, first, last) -> Span:
        start = first.span.start if hasattr(first, "span") else first.start_pos + self.base
        end = last.span.end if hasattr(last, "span") else last.end_pos + self.base
        return Span(start, end)

    def _n(self, tok) -> ast.Name:
        return ast.Name(str(tok), Span(tok.start_pos + self.base, tok.end_pos + self.base))

    def lane_open(self, c):
        display = display_span = None
        if len(c) == 3:
            text = str(c[2])[1:].strip()
            display, display_span = text, Span(c[2].start_pos + self.base, c[2].end_pos + self.base)
        return ast.LaneOpen(self._n(c[0]), display, display_span, self._span(c[0], c[-1]))

    def lane_close(self, c):
        return ast.LaneClose(self._span(c[0], c[0]))

    def hash_line(self, c):
        return ast.HashLine(str(c[0])[1:].strip(), self._span(c[0], c[0]))

    def slash_comment(self, c):
        return ast.SlashComment(str(c[0]).rstrip("\r"), self._span(c[0], c[0]))

    def attr(self, c):
        key, sep, value = c
        vspan = Span(value.start_pos + self.base, value.end_pos + self.base)
        return ast.Attr(self._n(key), str(sep), _unquote(str(value)), vspan, self._span(key, value))

    def node(self, c):
        attrs = tuple(c[3:])
        return ast.NodeDecl(self._n(c[0]), self._n(c[2]), attrs, self._span(c[0], c[-1]))

    def handle(self, c):
        return self._n(c[1]), c[2]

    def endpoint(self, c):
        lane, direction, last = None, None, c[-1]
        if isinstance(last, tuple):
            direction, last = last
            c = c[:-1]
        if len(c) == 3:
            lane, node = self._n(c[0]), self._n(c[2])
        else:
            node = self._n(c[0])
        return ast.EndpointRef(lane, node, direction, self._span(c[0], last))

    def edge_attrs(self, c):
        return tuple(x for x in c if isinstance(x, ast.Attr)), c[-1]

    def edge(self, c):
        attrs, last = (), c[-1]
        if isinstance(last, tuple):
            attrs, last = last
        ends = tuple(x for x in c if isinstance(x, ast.EndpointRef))
        return ast.EdgeStmt(ends, attrs, self._span(c[0], last))

    def ref(self, c):
        if len(c) == 3:
            return ast.LoopRef(self._n(c[0]), self._n(c[2]), self._span(c[0], c[2]))
        return ast.LoopRef(None, self._n(c[0]), self._span(c[0], c[0]))

    def loop(self, c):
        cond = c[1]
        cspan = Span(cond.start_pos + self.base, cond.end_pos + self.base)
        refs = tuple(c[2:])
        return ast.LoopStmt(str(cond)[1:-1].strip(), cspan, refs, self._span(c[0], c[-1]))

    def start(self, c):
        return c


@cache
def _parser():
    import os  # not pathlib (~3 ms to import): `fzc fmt` loads nothing else that needs it

    from lark import Lark  # imported here: `fzc --version` and `--help` never pay for it

    path = os.path.join(os.path.dirname(os.path.dirname(__file__)), "grammar.lark")
    with open(path, encoding="utf-8") as fh:
        grammar = fh.read()
    # cache=True keeps the LALR tables in the temp folder, keyed by a hash of the grammar and
    # options: a cold process loads them instead of analysing the grammar again (~2x faster).
    return Lark(grammar, parser="lalr", lexer="contextual", transformer=_Build(), cache=True)


def _line_end(text: str, offset: int) -> int:
    end = text.find("\n", offset)
    return len(text) if end == -1 else end + 1


def _line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def _describe(exc, pos: int, text: str, src: Source) -> Diagnostic:
    from lark.exceptions import UnexpectedCharacters

    line = src.line_span(min(pos, len(src.text)))
    line_text = src.text[line.start : line.end]
    if isinstance(exc, UnexpectedCharacters) and text[pos : pos + 1] == '"':
        return diag(
            CODES["FZ0002"],
            "unterminated string",
            Span(pos, line.end),
            label="this string has no closing quote",
            help='close the string on the same line; write a quote inside it as \\"',
        )
    return _syntax_error(exc, pos, line, line_text, text)


def _syntax_error(exc, pos: int, line: Span, line_text: str, text: str) -> Diagnostic:
    from lark.exceptions import UnexpectedToken

    found = text[pos : pos + 1]
    if isinstance(exc, UnexpectedToken):
        found = str(exc.token) if exc.token.type != "$END" else ""
        expected = sorted({_FRIENDLY.get(t, t) for t in exc.expected if not t.startswith("__")})
    else:
        expected = sorted({_FRIENDLY.get(t, t) for t in (exc.allowed or ())})
    start = min(pos, line.end)  # an unexpected CRLF points at the end of the visible line
    end = max(start, min(pos + max(1, len(found)), line.end))
    help_ = _hint(line_text) or (
        f"expected {', '.join(expected)}" if expected else "see docs/codes/FZ0001.md"
    )
    what = f"unexpected `{found.strip()}`" if found.strip() else "unexpected end of line"
    return diag(
        CODES["FZ0001"],
        what,
        Span(start, end),
        label="not FlowZap Code",
        help=help_,
    )


# Frequent mistakes and how to write them today; first match wins.
_HINTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"-->|->>|=>|<-"),
        "FlowZap edges use `->` only: `n1.handle(right) -> n2.handle(left)`",
    ),
    (re.compile(r'\[\s*label\s*[:=]\s*[^"\s]'), 'quote the edge label: `[label="text"]`'),
    (
        re.compile(r'^\s*\w+\s*:\s*\w+\s+\w+\s*[:=]\s*[^"\s]'),
        'quote attribute values: `label:"text"`',
    ),
    (re.compile(r"\S.*//"), "`//` comments must stand on a line of their own"),
    (
        re.compile(r"\{.*\}"),
        "write a lane over several lines: `id { # Label`, its statements, then `}`",
    ),
    (re.compile(r"^\s*\w+\s+\w+.*\{"), "lane ids are one word: `MyLane { # My lane`"),
    (re.compile(r"\.handle\s+\("), "no space before the parenthesis: `n1.handle(right)`"),
)


def _hint(line_text: str) -> str | None:
    line_text = line_text[:HINT_SCAN]
    for pattern, hint in _HINTS:
        if pattern.search(line_text):
            return hint
    return None


def _control_chars(src: Source) -> list[Diagnostic]:
    out = []
    for m in _CONTROL.finditer(src.text):
        out.append(
            diag(
                CODES["FZ0007"],
                f"control character U+{ord(m.group()):04X} in the text",
                Span(m.start(), m.end()),
                label="ignored",
                help="remove it; FlowZap strips control characters before validating",
            )
        )
        if len(out) >= 10:
            break
    return out


def parse(src: Source, *, fast: bool = True) -> tuple[ast.Document, list[Diagnostic]]:
    """Parse `src` into statements; every bad line gives one diagnostic and is skipped.
    `fast=False` parses with lark alone (the reference for the fast path)."""
    text = src.text
    if "\r" in text:
        text = _LONE_CR.sub("\n", text)  # a lone CR ends a line; same length, same offsets
    text = text if text.endswith("\n") else text + "\n"
    diagnostics = _control_chars(src)
    if not fast:
        return _parse_lark(src, text, diagnostics)
    # The syntax tree has no cycles, and the cyclic GC would walk it again and again while it
    # grows (40 objects a node): in a process that keeps the GC on (the LSP server, tests) that
    # costs twice the parse itself. `fzc check` and `compile` run with it off anyway.
    with paused_gc():
        statements, truncated = parse_lines(text, _SlowLines(src, text, diagnostics))
    return ast.Document(tuple(statements), truncated), diagnostics


class _SlowLines:
    """The lines `fzc.syntax.lines` does not recognise: lark parses each one alone, from the
    state a line starts in, so statements and error messages are those of a whole-text parse."""

    def __init__(self, src: Source, text: str, diagnostics: list[Diagnostic]) -> None:
        self.src, self.text, self.diagnostics, self.errors = src, text, diagnostics, 0

    def __call__(self, start: int, end: int) -> tuple[list, bool]:
        return _fallback_line(self, start, end)


def _fallback_line(state: _SlowLines, start: int, end: int) -> tuple[list, bool]:
    """Statements of the line text[start:end], and whether to stop (too many errors). A module
    function, so tests can count the lines that miss the fast path."""
    from lark.exceptions import UnexpectedInput

    lark, text = _parser(), state.text
    lark.options.transformer.base = start
    try:
        return lark.parse(text[start:end]), False
    except UnexpectedInput as exc:
        bad = _error_offset(exc, start, text)
        state.diagnostics.append(_describe(exc, bad, text, state.src))
    state.errors += 1
    stop = state.errors >= MAX_SYNTAX_ERRORS and end < len(text)
    if stop:
        state.diagnostics.append(_too_many(state.errors, end))
    return _recover(text, start, end), stop


def _too_many(errors: int, pos: int) -> Diagnostic:
    return diag(
        CODES["FZ0008"],
        f"stopped after {errors} syntax errors",
        Span(pos, pos),
        help="fix the errors above and run fzc again",
    )


def _parse_lark(
    src: Source, text: str, diagnostics: list[Diagnostic]
) -> tuple[ast.Document, list[Diagnostic]]:
    """The whole text through lark: the reference for the fast path, kept as it always was."""
    from lark.exceptions import UnexpectedInput

    statements: list = []
    lark, pos = _parser(), 0
    build = lark.options.transformer
    errors, truncated = 0, False
    while pos < len(text):
        build.base = pos
        try:
            statements += lark.parse(text[pos:])
            break
        except UnexpectedInput as exc:
            bad = _error_offset(exc, pos, text)
            diagnostics.append(_describe(exc, bad, text, src))
            line_start = _line_start(text, bad)
            statements += _parse_prefix(lark, build, text, pos, line_start)
            pos = _line_end(text, bad)
            statements += _recover(text, line_start, pos)
            errors += 1
            if errors >= MAX_SYNTAX_ERRORS and pos < len(text):
                diagnostics.append(_too_many(errors, pos))
                truncated = True
                break
    return ast.Document(tuple(statements), truncated), diagnostics


# Recovery: a bad line that still shows an edge, a lane header or a node declaration keeps what
# it declares (the line is already reported as a syntax error), so the lines after it are not
# reported again as outside any lane, as naming an unknown node or as an orphan.
_RECOVER_LANE = re.compile(r"[ \t]*(?P<id>[^\s{}#\"][^{}#\"]*?)[ \t]*\{[ \t]*(?P<hash>#.*)?$")
_RECOVER_CLOSE = re.compile(r"[ \t]*\}")
_RECOVER_NODE = re.compile(r"[ \t]*(?P<id>[A-Za-z_]\w*)[ \t]*:[ \t]*(?P<shape>[A-Za-z_]\w*)")
_ENDPOINT = r"(?:(?P<{0}l>[A-Za-z_]\w*)\.)?(?P<{0}n>[A-Za-z_]\w*)\.handle\((?P<{0}d>[A-Za-z_]\w*)\)"
_RECOVER_EDGE = re.compile(
    r"[ \t]*" + _ENDPOINT.format("a") + r"[ \t]*[-=~]+>+[ \t]*" + _ENDPOINT.format("b")
)
_RECOVER_ATTR = re.compile(
    r"(?P<key>[A-Za-z_]\w*)[ \t]*(?P<sep>[:=])[ \t]*"
    r'(?:"(?P<v>(?:[^"\\]|\\.)*)"?|(?P<bare>[^\s"\]]+))'
)


def _recover_lane(m: re.Match, base: int) -> ast.Statement:
    name = ast.Name(m["id"], Span(base + m.start("id"), base + m.end("id")))
    display = display_span = None
    if m["hash"] is not None:
        display = m["hash"][1:].strip()
        display_span = Span(base + m.start("hash"), base + m.end("hash"))
    return ast.LaneOpen(name, display, display_span, Span(base + m.start("id"), base + m.end()))


def _group(m: re.Match, group: str, base: int) -> ast.Name | None:
    if m[group] is None:
        return None
    return ast.Name(m[group], Span(base + m.start(group), base + m.end(group)))


def _recover_attrs(m: re.Match, base: int) -> tuple[ast.Attr, ...]:
    rest, off = m.string[m.end() :], base + m.end()
    return tuple(
        ast.Attr(
            _group(a, "key", off),
            a["sep"],
            _unquote(f'"{a["v"]}"') if a["bare"] is None else a["bare"],
            Span(off + a.start("v" if a["bare"] is None else "bare"), off + a.end()),
            Span(off + a.start(), off + a.end()),
        )
        for a in _RECOVER_ATTR.finditer(rest)
    )


def _recover_node(m: re.Match, base: int) -> ast.Statement:
    return ast.NodeDecl(
        _group(m, "id", base),
        _group(m, "shape", base),
        _recover_attrs(m, base),
        Span(base + m.start("id"), base + len(m.string)),
    )


def _recover_edge(m: re.Match, base: int) -> ast.Statement:
    ends = tuple(
        ast.EndpointRef(
            _group(m, f"{e}l", base),
            _group(m, f"{e}n", base),
            _group(m, f"{e}d", base),
            Span(base + m.start(f"{e}l" if m[f"{e}l"] else f"{e}n"), base + m.end(f"{e}d") + 1),
        )
        for e in "ab"
    )
    return ast.EdgeStmt(ends, _recover_attrs(m, base), Span(ends[0].span.start, base + m.end()))


def _recover_close(m: re.Match, base: int) -> ast.Statement:
    return ast.LaneClose(Span(base + m.end() - 1, base + m.end()))


_RECOVERY = (
    (_RECOVER_EDGE, _recover_edge),
    (_RECOVER_LANE, _recover_lane),
    (_RECOVER_CLOSE, _recover_close),
    (_RECOVER_NODE, _recover_node),
)


def _recover(text: str, start: int, end: int) -> list[ast.Statement]:
    """What a failed line still declares (an edge, a lane header, a node), or nothing."""
    line = text[start:end].rstrip("\r\n")[:HINT_SCAN]
    for pattern, build in _RECOVERY:
        m = pattern.match(line)
        if m:
            return [build(m, start)]
    return []


def _parse_prefix(lark, build, text: str, start: int, end: int) -> list:
    """Statements of the complete lines before a failing line (a viable prefix)."""
    if end <= start:
        return []
    from lark.exceptions import UnexpectedInput

    build.base = start
    try:
        return lark.parse(text[start:end])
    except UnexpectedInput:  # cannot happen for a viable prefix; keep going regardless
        return []


def _error_offset(exc, base: int, text: str) -> int:
    from lark.exceptions import UnexpectedToken

    if isinstance(exc, UnexpectedToken) and exc.token.type == "$END":
        return len(text) - 1
    if exc.pos_in_stream is None:
        return len(text) - 1
    return min(base + exc.pos_in_stream, len(text) - 1)
