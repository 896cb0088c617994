"""`fzc fmt`: idempotent, meaning-preserving, goldens, and the command's exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from golden import REPO, check
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fzc import model, syntax
from fzc.commands.fmt import fmt as fmt_command
from fzc.fmt import NotFormattable, blocking, format_text
from fzc.model.dump import to_data
from fzc.pipeline import decode
from fzc.source import Source
from fzc.syntax import ast

FLAGSHIP = REPO / "samples" / "event_processing.fz"
GOLDEN = REPO / "tests" / "fmt"


def _corpus() -> list[Path]:
    corpus = REPO / "tests" / "corpus"
    if not corpus.exists():
        corpus = REPO.parent / "shared" / "flowzap" / "corpus"
    return sorted(corpus.glob("*.fz"))


INPUTS = [FLAGSHIP, *_corpus(), *sorted((REPO / "tests").rglob("*.fz"))]


def _strip(data):
    """The model's data without spans (formatting moves text, never meaning)."""
    if isinstance(data, dict):
        return {k: _strip(v) for k, v in data.items() if k != "span"}
    if isinstance(data, list):
        return [_strip(v) for v in data]
    return data


def meaning(text: str) -> dict:
    src = Source("x.fz", text)
    doc, _ = syntax.parse(src)
    diagram, _ = model.build(doc, src)
    return _strip(to_data(diagram, src))


def comments(text: str) -> list[str]:
    doc, _ = syntax.parse(Source("x.fz", text))
    return [
        s.text.rstrip() for s in doc.statements if isinstance(s, ast.SlashComment | ast.HashLine)
    ]


def assert_sound(text: str) -> str:
    """fmt keeps the meaning and every comment, and fmt(fmt(x)) == fmt(x)."""
    out = format_text(text)
    assert meaning(out) == meaning(text)
    assert format_text(out) == out
    kept = Counter(c.removeprefix("//").strip() for c in comments(out))
    written = Counter(c.removeprefix("//").strip() for c in comments(text))
    moved = Counter(lane.display for lane in _diagram(text).lanes if lane.legacy_display)
    assert written == kept + moved  # only an old next-line display label leaves the comments
    return out


def _diagram(text: str):
    src = Source("x.fz", text)
    return model.build(syntax.parse(src)[0], src)[0]


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: p.name)
def test_files_format_soundly(path: Path):
    src, undecodable = decode(str(path), path.read_bytes())
    if undecodable:
        return  # the command refuses these before formatting (see test_invalid_utf8...)
    if blocking(src)[1]:
        with pytest.raises(NotFormattable):
            format_text(src.text)
        return
    assert_sound(src.text)


@pytest.mark.parametrize("name", ["messy", "unicode"])
def test_goldens(name: str):
    text = (GOLDEN / f"{name}.fz").read_text(encoding="utf-8", errors="strict")
    check(assert_sound(text), GOLDEN / f"{name}.expected")


def test_flagship_is_canonical_but_for_indentation():
    text = FLAGSHIP.read_text(encoding="utf-8")
    out = format_text(text)
    assert [line.strip() for line in out.splitlines() if line] == text.splitlines()


def test_legacy_label_never_captures_a_moved_comment():
    text = "A {\nn1.handle(right) -> n2.handle(left)\n# note\nn2: circle\n}\n"
    out = assert_sound(text)
    assert out.startswith("A {\n  // note\n  n2: circle\n")
    assert meaning(out)["lanes"][0]["label"] is None


# -- hypothesis: generated diagrams written every tolerated way, with hostile text ----------

HOSTILE = st.text(
    st.one_of(
        st.sampled_from(list('"\\->#//[]{}:=,|.() \t\x00\x7féΩ日本🚀\u2028\ufeff')),
        st.characters(exclude_categories=("Cs",), exclude_characters="\r\n"),
    ),
    max_size=12,
)
NAMES = st.sampled_from(["A", "lane_b", "C9", "_x", "Loopy", "handle", "n3"])
IDS = st.sampled_from([f"n{k}" for k in range(1, 9)] + ["start", "n01"])
DIRS = st.sampled_from(["left", "right", "top", "bottom", "up"])
SPACE = st.sampled_from(["", " ", "  ", "\t"])
KEYS = st.sampled_from(["label", "owner", "description", "system", "label", "priority"])


def _escape(value: str, loose: bool) -> str:
    out = []
    for i, ch in enumerate(value):
        nxt = value[i + 1 : i + 2]
        if ch == "\\" and loose and nxt and nxt not in '"\\':
            out.append(ch)  # `\x` written as is means a backslash and an x
        else:
            out.append("\\" + ch if ch in '"\\' else ch)
    return '"' + "".join(out) + '"'


@st.composite
def attrs(draw, seps: str) -> str:
    pairs = draw(st.lists(st.tuples(KEYS, HOSTILE, st.sampled_from(seps), st.booleans())))
    return " ".join(f"{k}{s}{_escape(v, loose)}" for k, v, s, loose in pairs)


@st.composite
def ref(draw) -> str:
    lane = draw(st.one_of(st.none(), NAMES))
    return f"{lane}.{draw(IDS)}" if lane else draw(IDS)


@st.composite
def node(draw) -> str:
    shape = draw(st.sampled_from(["circle", "rectangle", "diamond", "taskbox", "rect"]))
    return f"{draw(IDS)}:{draw(SPACE)} {shape} {draw(attrs(':='))}"


@st.composite
def edge(draw) -> str:
    ends = [f"{draw(ref())}.handle({draw(DIRS)})" for _ in range(2)]
    text = f"{ends[0]}{draw(SPACE)}->{draw(SPACE)}{ends[1]}"
    if draw(st.booleans()):
        text += f" [{draw(attrs('=:'))}]"
    return text


@st.composite
def loop(draw) -> str:
    cond = draw(HOSTILE).replace("]", "")
    return f"loop [{cond}] " + " ".join(draw(st.lists(ref(), max_size=4)))


def comment(draw) -> str:
    text = draw(HOSTILE)
    return draw(st.sampled_from(["//", "// ", "# ", "#"])) + text


STATEMENT = st.one_of(node(), edge(), loop(), st.composite(comment)())
TOP = st.one_of(edge(), loop(), st.composite(comment)())


@st.composite
def lane(draw) -> list[str]:
    header = f"{draw(NAMES)}{draw(SPACE)}{{"
    style = draw(st.sampled_from(["none", "same", "tight", "legacy", "empty"]))
    display = draw(HOSTILE)
    lines = {
        "none": [header],
        "same": [f"{header} # {display}"],
        "tight": [f"{header}#{display}"],
        "legacy": [header, f"# {display}"],
        "empty": [f"{header} #"],
    }[style]
    return lines + draw(st.lists(STATEMENT, max_size=8)) + ["}"]


@st.composite
def diagram(draw) -> str:
    blocks = draw(
        st.lists(st.one_of(lane(), st.lists(TOP, min_size=1, max_size=2)), min_size=1, max_size=5)
    )
    indent = draw(SPACE)
    lines = [indent + line for block in blocks for line in block]
    lines = [line + draw(st.sampled_from(["", "", "\n", "  "])) for line in lines]
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return newline.join(lines) + draw(st.sampled_from(["", newline]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(diagram())
def test_generated_diagrams(text: str):
    _, errors = blocking(Source("x.fz", text))
    assert not errors, [d.message for d in errors]
    assert_sound(text)


# -- the command --------------------------------------------------------------------------


def _run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(fmt_command, list(args), input=stdin)


def test_check_diff_and_rewrite(tmp_path: Path):
    messy = tmp_path / "messy.fz"
    messy.write_text((GOLDEN / "messy.fz").read_text(encoding="utf-8"), encoding="utf-8")
    messy.chmod(0o640)
    before = messy.read_text(encoding="utf-8")
    result = _run("--check", str(messy))
    assert result.exit_code == 1 and "would reformat" in result.output
    result = _run("--diff", str(messy))
    assert result.exit_code == 0 and "+sales { # Sales Team" in result.output
    assert messy.read_text(encoding="utf-8") == before
    assert _run(str(messy)).exit_code == 0
    assert messy.read_text(encoding="utf-8") == format_text(before)
    assert messy.stat().st_mode & 0o777 == 0o640
    result = _run("--check", str(messy))
    assert result.exit_code == 0 and result.output == ""


def test_syntax_errors_are_reported_and_the_file_is_left_alone(tmp_path: Path):
    bad = tmp_path / "bad.fz"
    bad.write_text('A {\nn1 -> n2\nn3: circle label:"x\n}\n', encoding="utf-8")
    before = bad.read_bytes()
    result = _run(str(bad))
    assert result.exit_code == 1
    assert "FZ0003" in result.output and "FZ0002" in result.output
    assert "not formatted" in result.output
    assert bad.read_bytes() == before


def test_stdin_to_stdout_and_unreadable_file(tmp_path: Path):
    result = _run("-", stdin='A {\nn1: circle label="x"\n}')
    assert result.exit_code == 0 and result.output == 'A {\n  n1: circle label:"x"\n}\n'
    result = _run(str(tmp_path / "missing.fz"))
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_invalid_utf8_is_not_formatted(tmp_path: Path):
    bad = tmp_path / "latin1.fz"
    bad.write_bytes("A { # caf\xe9\nn1: circle\n}\n".encode("latin-1"))
    result = _run(str(bad))
    assert result.exit_code == 1 and "FZ0006" in result.output


def test_fmt_imports_neither_networkx_nor_jinja2():
    code = (
        "import sys\n"
        "from fzc.commands.fmt import fmt\n"
        "try:\n"
        f"    fmt(['--check', {str(FLAGSHIP)!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in ('networkx', 'jinja2') if m in sys.modules))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "[]"


def test_a_folder_formats_every_diagram_under_it(tmp_path: Path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.fz").write_text('A {\nn1: circle label="x"\n}\n', encoding="utf-8")
    (tmp_path / "notes.txt").write_text("A {\n", encoding="utf-8")
    result = _run("--check", str(tmp_path))
    assert result.exit_code == 1 and "a.fz" in result.output and "notes" not in result.output
