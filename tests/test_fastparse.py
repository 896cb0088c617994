"""The fast line parser (fzc.syntax.lines) against lark, its specification and oracle.

* Oracle: every .fz in the repo (and in ../shared when present) and generated bench diagrams
  give the same `Document` and the same diagnostics with `parse(src)` and with
  `parse(src, fast=False)` (lark over the whole text, the parser as it always was).
* Property: random soups of statement fragments, blanks, control characters and line breaks
  give the same results on both paths, and never crash.
* Guards: the fast path takes every line of a bench diagram and of the valid corpus (counted
  through the `_fallback_line` hook), and a cold `fzc check` of such files never imports lark.
"""

from __future__ import annotations

import importlib.util
import re

import pytest
from conftest import FLAGSHIP, SHARED, fresh_python
from golden import REPO
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fzc.pipeline import decode
from fzc.source import Source
from fzc.syntax import parser

FZ_FILES = sorted(
    {*(REPO / "tests").rglob("*.fz"), *(REPO / "samples").rglob("*.fz"), *SHARED.rglob("*.fz")}
)


def _gen():
    spec = importlib.util.spec_from_file_location("fzc_bench_gen", REPO / "bench" / "gen.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    return gen


def _same(src: Source) -> None:
    fast, slow = parser.parse(src), parser.parse(src, fast=False)
    assert fast[1] == slow[1]  # diagnostics first: the smaller diff when they differ
    assert fast[0] == slow[0]


@pytest.fixture
def fallbacks(monkeypatch) -> list[str]:
    """The lines the fast path hands to lark, in order."""
    seen: list[str] = []
    real = parser._fallback_line

    def counting(state, start, end):
        seen.append(state.text[start:end])
        return real(state, start, end)

    monkeypatch.setattr(parser, "_fallback_line", counting)
    return seen


# ---------------------------------------------------------------------------------------------
# Oracle equality.


@pytest.mark.parametrize("path", FZ_FILES, ids=lambda p: p.relative_to(REPO.parent).as_posix())
def test_repo_files_parse_as_lark_does(path):
    src, _ = decode(str(path), path.read_bytes())
    _same(src)


@pytest.mark.parametrize(
    "n, seed, back", [(1, 0, 0.0), (2, 3, 0.0), (57, 1, 0.05), (400, 7, 0.3), (1000, 2, 0.05)]
)
def test_bench_diagrams_parse_as_lark_does(n, seed, back):
    _same(Source("gen.fz", _gen().generate(n, seed, back)))


LINES = [
    # the common forms, in odd layouts
    "L1 { # Lane one  \t",
    "L1{#x",
    "lane {",
    "\t}\t",
    'n1: rectangle label:"A" description:"b"',
    'n1 :rectangle label = "A"owner:"x"',
    'n1.handle(right) -> L2.n2.handle(left) [label="ok"]',
    "n1 . handle(right) -> n2",
    "a.b.handle( x ) -> c . d",
    'a->b->c.handle(top) [label="x", k:"y" z="w"]',
    "a -> b []",
    'a -> b [label="x",]',
    'a -> b [,label="x"]',
    'a -> b [label="x",,k="y"]',
    'a -> b [label="x"] [k="y"]',
    "loop [a]b] n1",
    "loop [a] n1..n2",
    "loop [a] n1.n2.n3",
    "Lane.handle(right) -> n2.handle(left)",
    "n1.handle(right) -> n2.handle(left).handle(top)",
    "loop [retry until done] n1 L2.n3 n4",
    "loop[x]",
    "loop [a] loop",
    "loop: rectangle",
    "loop { # lane named loop",
    "loop.handle(right) -> n2",
    "looper: circle",
    "n1: loop",
    "# a hash line",
    "// a comment",
    "//",
    "#",
    'n1: rectangle label:"x -> y # z: [w]"',
    r'n1: rectangle label:"say \"hi\" \\ back\slash"',
    'n1: rectangle label:"unterminated',
    'n1: rectanglelabel:"x"',
    'n1: rectangle 5label:"x"',
    "n1.handle(right) --> n2.handle(left)",
    "a { }",
    "a b {",
    "n1",
    "é: rectangle",
    'n1: rectangle label:"ünïcödé ✓"',
    "n1:\u00a0rectangle",
    "\ufeffL1 { # bom",
    'n1\x00: rectangle\x1f label:"a"\x7f',
    "n1\x0c: rectangle\x0b",
    "}}",
    "",
    "   ",
]

_BLANK = st.sampled_from([" ", "\t", "\r", "\ufeff", "\x00", "\x0b", "\x0c", "\x1f", "\u00a0"])
_FRAGMENT = st.sampled_from(
    [
        "n1",
        "L2",
        "loop",
        "handle",
        "_x9",
        "é",
        "{",
        "}",
        "#",
        "# Label",
        "//",
        ":",
        "=",
        ",",
        ".",
        ".handle(",
        ")",
        "->",
        "-",
        ">",
        "[",
        "]",
        '[label="x"]',
        "[cond]",
        '"s"',
        r'"a\"b"',
        r'"\\"',
        '"->#:["',
        '"',
        "\\",
        "label",
        "rectangle",
        "(",
        "✓",
        'k="v"',
        'k:"v"',
        "n1.handle(right)",
        " -> ",
    ]  # fmt: skip
)
_SOUP_LINE = st.lists(st.one_of(_FRAGMENT, _BLANK), max_size=8).map("".join)
_LINE = st.one_of(st.sampled_from(LINES), _SOUP_LINE)
_BREAK = st.sampled_from(["\n", "\r\n", "\r"])


@st.composite
def _texts(draw) -> str:
    lines = draw(st.lists(_LINE, max_size=12))
    return "".join(line + draw(_BREAK) for line in lines) + draw(st.sampled_from(["", "x", "}"]))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_texts())
def test_line_soups_parse_as_lark_does(text):
    _same(Source("soup.fz", text))


def test_many_bad_lines_stop_where_lark_stops():
    lines = [f"n{k}: rectangle" if k % 3 else f"step {k} ???" for k in range(300)]
    _same(Source("bad.fz", "\n".join(lines)))


def test_long_lines_parse_as_lark_does():
    attrs = " ".join(f'k{i}:"value {i} -> #"' for i in range(5_000))
    edge = " -> ".join(f"L.n{i}.handle(right)" for i in range(2_000))
    _same(Source("long.fz", f"L {{\nn1: rectangle {attrs}\n{edge}\nn2: rectangle {attrs} x\n}}\n"))


def test_one_10_mb_line_is_fast(fallbacks):
    attrs = ' label:"0123456789 abcdefghij"' * 350_000  # ~10 MB: linear matching takes < 2 s
    doc, diagnostics = parser.parse(Source("huge.fz", f"n1: rectangle{attrs}\n"))
    assert fallbacks == [] and diagnostics == []
    assert len(doc.statements[0].attrs) == 350_000


# ---------------------------------------------------------------------------------------------
# Fallback guards.


def test_bench_diagrams_never_fall_back(fallbacks):
    gen = _gen()
    for seed, back in ((1, 0.05), (5, 0.5)):
        parser.parse(Source("gen.fz", gen.generate(1000, seed, back)))
    assert fallbacks == []


def _fast_files() -> list:
    """Repo diagrams with no syntax error: the fast path must take all their lines."""
    out = []
    for path in FZ_FILES:
        src, _ = decode(str(path), path.read_bytes())
        _, diagnostics = parser.parse(src, fast=False)
        if not any(d.code.code in ("FZ0001", "FZ0002") for d in diagnostics):
            out.append(path)
    return out


# Blanks the fast path leaves to lark: the grammar's WS class beyond space, tab and CR (a BOM
# is one only after the start of the file).
_RARE_BLANK = re.compile("[\f\x00-\x08\x0b\x0e-\x1f\x7f]|(?<!^)\ufeff")


def test_valid_repo_files_never_fall_back(fallbacks):
    """Valid diagrams take the fast path on every line but those with a rare blank."""
    files = _fast_files()
    assert FLAGSHIP in files and len(files) > 50
    rare = 0
    for path in files:
        src = decode(str(path), path.read_bytes())[0]
        rare += sum(1 for line in src.text.splitlines() if _RARE_BLANK.search(line))
        parser.parse(src)
    assert all(_RARE_BLANK.search(line) for line in fallbacks), fallbacks
    assert len(fallbacks) <= rare


def test_only_bad_lines_fall_back(fallbacks):
    text = 'L { # l\nn1: rectangle label:"a"\nn1 -> -> n2\nn2: circle\nstep 2 ???\n}\n'
    parser.parse(Source("x.fz", text))
    assert fallbacks == ["n1 -> -> n2\n", "step 2 ???\n"]


# ---------------------------------------------------------------------------------------------
# Imports: parsing all-fast diagrams never loads lark (`fzc check` of the flagship: see
# tests/test_speed_guards.py).


def _lark_loaded(modules: list[str]) -> bool:
    return any(m == "lark" or m.startswith("lark.") for m in modules)


def _plain(path) -> bool:
    return not _RARE_BLANK.search(decode(str(path), path.read_bytes())[0].text)


def test_parsing_the_valid_corpus_does_not_import_lark():
    paths = [str(p) for p in _fast_files() if _plain(p)]
    assert len(paths) > 50
    code = (
        "import json, sys\n"
        "from fzc.pipeline import decode\n"
        "from fzc.syntax import parse\n"
        f"for path in {paths!r}:\n"
        "    parse(decode(path, open(path, 'rb').read())[0])\n"
        "print('\\n' + json.dumps({'modules': sorted(sys.modules)}))\n"
    )
    assert not _lark_loaded(fresh_python(code)["modules"])


def test_a_bad_line_imports_lark_then():
    code = (
        "import json, sys\n"
        "from fzc.source import Source\n"
        "from fzc.syntax import parse\n"
        "doc, diagnostics = parse(Source('x.fz', 'n1 -> -> n2\\n'))\n"
        "assert [d.code.code for d in diagnostics] == ['FZ0001']\n"
        "print('\\n' + json.dumps({'modules': sorted(sys.modules)}))\n"
    )
    assert _lark_loaded(fresh_python(code)["modules"])
