"""Parse FlowZap Code with the LALR grammar in fzc/grammar.lark.

The grammar is line-oriented, so recovery is exact: when a line fails, the lines before it are
kept, the failing line is reported, and parsing resumes at the next line (each segment is parsed
at most twice, so recovery stays linear).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from fzc.diagnostics import Diagnostic, diag
from fzc.diagnostics.codes import CODES
from fzc.source import Source, Span
from fzc.syntax import ast

MAX_SYNTAX_ERRORS = 50
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

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


def _unquote(raw: str) -> str:
    body = raw[1:-1]
    if "\\" not in body:
        return body
    return re.sub(r'\\(["\\])', r"\1", body)


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
    from lark import Lark  # imported here: `fzc --version` and `--help` never pay for it

    grammar = (Path(__file__).parent.parent / "grammar.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer="contextual", transformer=_Build(), cache=False)


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
    end = pos + max(1, len(found))
    what = f"unexpected `{found.strip()}`" if found.strip() else "unexpected end of line"
    help_ = _hint(line_text) or (
        f"expected {', '.join(expected)}" if expected else "see docs/codes/FZ0001.md"
    )
    return diag(
        CODES["FZ0001"],
        what,
        Span(pos, min(end, line.end) or end),
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


def parse(src: Source) -> tuple[ast.Document, list[Diagnostic]]:
    """Parse `src` into statements; every bad line gives one diagnostic and is skipped."""
    from lark.exceptions import UnexpectedInput

    text = src.text if src.text.endswith("\n") else src.text + "\n"
    diagnostics = _control_chars(src)
    statements: list = []
    lark, pos = _parser(), 0
    build = lark.options.transformer
    errors = 0
    while pos < len(text):
        build.base = pos
        try:
            statements += lark.parse(text[pos:])
            break
        except UnexpectedInput as exc:
            bad = _error_offset(exc, pos, text)
            diagnostics.append(_describe(exc, bad, text, src))
            statements += _parse_prefix(lark, build, text, pos, _line_start(text, bad))
            pos = _line_end(text, bad)
            errors += 1
            if errors >= MAX_SYNTAX_ERRORS and pos < len(text):
                diagnostics.append(
                    diag(
                        CODES["FZ0008"],
                        f"stopped after {errors} syntax errors",
                        Span(pos, pos),
                        help="fix the errors above and run fzc again",
                    )
                )
                break
    return ast.Document(tuple(statements)), diagnostics


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
