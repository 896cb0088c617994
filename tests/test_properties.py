"""Totality: no input makes fzc crash.

Whatever the bytes, fzc answers with diagnostics (exit 0 or 1), never a traceback and never
an internal error (FZ9xxx); every renderer works, the JSON is well-formed, and every location
is inside the file. Inputs: real diagrams mutated line by line and character by character,
statement soup built from FlowZap fragments, random text, random bytes, plus hostile files.

CI runs about 2,300 examples (derandomized, so CI is reproducible). For a longer, random hunt:

    FZC_FUZZ_EXAMPLES=20000 pytest tests/test_properties.py

(`FZC_FUZZ_EXAMPLES` sets the examples of every property test and turns derandomization off;
failures are saved in .hypothesis/ and replayed first on the next run.)
"""

from __future__ import annotations

import json
import os

import pytest
from conftest import FLAGSHIP, REPO, corpus_files, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fzc.diagnostics.codes import CODES
from fzc.diagnostics.render import RENDERERS
from fzc.model.dump import dump_json
from fzc.pipeline import analyze, decode

LONG_RUN = int(os.environ.get("FZC_FUZZ_EXAMPLES", "0"))
KEYS = {"path", "line", "column", "end_line", "end_column", "severity", "code", "message", "help"}


def _settings(examples: int):
    return settings(
        max_examples=LONG_RUN or examples,
        derandomize=not LONG_RUN,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


SEEDS = [
    p.read_bytes().decode("utf-8", errors="replace")
    for p in [*corpus_files(), FLAGSHIP, *sorted((REPO / "tests" / "diagnostics").glob("*.fz"))]
]

# Pieces of FlowZap Code, right and wrong: the soup strategy strings them into lines.
FRAGMENTS = [
    "lane { # Lane",
    "other {# Other",
    "sales {",
    "# Sales",
    "}",
    "{",
    "",
    "  ",
    "// comment",
    "# stray",
    'n1: circle label:"Start"',
    'n2: rectangle label:"Step" description:"d" owner:"o" system:"lambda"',
    'n3: diamond label:"Ok?"',
    'n4: taskbox label:"Review|Check docs|Verify"',
    'n5: rectangle label="Queue SQS"',
    'n6: rect label:"x"',
    "n7: circle",
    'step: rectangle label:"Word id"',
    "n1.handle(right) -> n2.handle(left)",
    'n2.handle(bottom) -> lane.n3.handle(top) [label="Yes"]',
    'n3.handle(right) -> other.n4.handle(left) [label:"No"]',
    "n3.handle(left) -> n1.handle(left)",
    "lane.n4.handle(top) -> n5.handle(bottom)",
    "n1 -> n2 -> n3",
    "n9.handle(east) -> n1.handle(left)",
    "n2.handle(right) -> n2.handle(left)",
    "loop [retry until ok] n1 n2 other.n4",
    "loop [x] n9",
    'n8: rectangle label:"S3 Bucket" system:"AWS::S3::Bucket"',
    'n9: rectangle label:"Nightly Schedule" description:"cron(0 12 * * *)"',
    'n10: rectangle label:"Step Functions Orchestrator"',
    'n11: rectangle label:"DynamoDB Table"',
    "n8.handle(right) -> n10.handle(left)",
    "n9.handle(right) -> n8.handle(left)",
    "n10.handle(right) -> n11.handle(left)",
    'n1: circle label:"a \\"quoted\\" -> # : [ ] | \\\\ é 日本"',
    'n1: circle label:"unterminated',
    "n1.handle(right) --> n2.handle(left)",
]

ODD = [
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "#",
    '"',
    ":",
    "=",
    "->",
    ".",
    "|",
    "\\",
    "/",
    ",",
    " ",
    "\t",
    "\n",
    "\r",
    "\r\n",
    "\x00",
    "\x07",
    "\x1b",
    "\x7f",
    "\ufeff",
    "\u00e9",
    "\u65e5",
    "\U0001f600",
    ".handle(",
    "loop ",
    "label:",
    'label="',
    "n1",
    "n0",
    "n007",
    "n99999999999999999999",
    "lane.",
]
odd_text = st.lists(
    st.one_of(st.sampled_from(ODD), st.characters(codec="utf-8")), min_size=1, max_size=8
).map("".join)


@st.composite
def mutated(draw) -> bytes:
    """A real diagram after a few line and character edits, with varied line ends."""
    lines = draw(st.sampled_from(SEEDS)).split("\n")
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["delete", "dup", "swap", "insert", "cut", "splice", "odd"]))
        i = draw(st.integers(0, len(lines) - 1)) if lines else 0
        if not lines:
            lines = [draw(odd_text)]
        elif op == "delete":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "insert":
            at = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:at] + draw(odd_text) + lines[i][at:]
        elif op == "cut":
            at = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][: at - draw(st.integers(0, 6))] + lines[i][at:]
        elif op == "splice":
            lines.insert(i, draw(st.sampled_from(FRAGMENTS)))
        else:
            lines[i] = draw(odd_text)
    text = draw(st.sampled_from(["\n", "\r\n", "\r"])).join(lines)
    if draw(st.booleans()):
        text = text[: draw(st.integers(0, len(text)))]  # truncate
    data = text.encode("utf-8")
    if draw(st.integers(0, 9)) == 0:
        data = b"\xef\xbb\xbf" + data
    if draw(st.integers(0, 9)) == 0:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=3)) + data[at:]
    return data


soup = st.lists(st.one_of(st.sampled_from(FRAGMENTS), odd_text), min_size=0, max_size=30).map(
    lambda lines: "\n".join(lines).encode("utf-8")
)
random_text = st.lists(
    st.one_of(st.sampled_from(ODD), st.characters(codec="utf-8")), max_size=400
).map(lambda parts: "".join(parts).encode("utf-8"))


def check_total(data: bytes, path: str = "fuzz.fz") -> list[dict]:
    """Run the whole pipeline and every renderer on `data`; assert the invariants."""
    src, pre = decode(path, data)
    a = analyze(src, pre=pre)
    items = [(a.source, d) for d in a.diagnostics]
    records = json.loads(RENDERERS["json"](items))
    assert len(records) == len(a.diagnostics)
    for r in records:
        assert KEYS <= set(r), r
        assert r["code"] in CODES and not r["code"].startswith("FZ9"), r
        assert r["severity"] in ("error", "warning", "note")
        assert 1 <= r["line"] <= r["end_line"] <= src.line_count, r
        assert r["column"] >= 1 and r["end_column"] >= 1
        assert r["line"] < r["end_line"] or r["column"] <= r["end_column"], r
        assert r["message"] and r["help"] is None or isinstance(r["help"], str)
    concise = RENDERERS["concise"](items)
    assert concise.count("\n") == len(records)  # one line per diagnostic, whatever the input
    RENDERERS["full"](items)
    if a.diagram is not None:
        json.loads(dump_json(a.diagram, a.source))
    return records


@_settings(900)
@given(mutated())
def test_mutated_corpus(data):
    check_total(data)


@_settings(600)
@given(soup)
def test_statement_soup(data):
    check_total(data)


@_settings(400)
@given(random_text)
def test_random_text(data):
    check_total(data)


@_settings(300)
@given(st.binary(max_size=2000))
def test_random_bytes(data):
    check_total(data)


@_settings(100)
@given(st.one_of(mutated(), soup, st.binary(max_size=300)))
def test_cli_exit_codes(tmp_path_factory, data):
    """Through the real command line: exit 0 or 1 and well-formed JSON."""
    path = tmp_path_factory.mktemp("fuzz") / "input.fz"
    path.write_bytes(data)
    result = run_cli("check", "--format", "json", str(path))
    assert result.exit_code in (0, 1), result.output
    records = json.loads(result.output)
    assert (result.exit_code == 1) == any(r["severity"] == "error" for r in records)
    parsed = run_cli("parse", "--json", str(path))
    assert parsed.exit_code == result.exit_code
    if parsed.stdout:
        json.loads(parsed.stdout)


TEN_MB = 10 * 1024 * 1024
HOSTILE = {
    "empty": b"",
    "blank-lines": b"\n\n  \n\t\n",
    "binary-junk": bytes(range(256)) * 40,
    "ten-mb-line": b"x" * TEN_MB,
    # A 10 MB label in a diagram with an error: the front end alone (the AWS planner is slow
    # on huge labels, so the valid variant below is 1 MB).
    "ten-mb-label": b'lane { # L\nn1: circle label:"' + b"a" * TEN_MB + b'"\n}\n}\n',
    "one-mb-label": b'lane { # L\nn1: circle label:"' + b"a" * (TEN_MB // 10) + b'"\n}\n',
    "ten-mb-junk-line": b"lane { # L\n" + b"n1 -> [" * (TEN_MB // 7) + b"\n}\n",
    "unterminated-strings": b'lane { # L\nn1: circle label:"a\nn2: circle label:"b\n}\n"',
    "braces-100k": b"{" * 100_000,
    "closing-braces-10k": b"}\n" * 10_000,
    "quotes-100k": b'"' * 100_000,
    "brackets-100k": b"[" * 100_000,
    "brackets-lane": b"lane { # L\nloop " + b"[" * 50_000 + b"\n}\n",
    "nested-lanes-5k": b"".join(b"l%d {\n" % i for i in range(5_000)),
    "nul-bytes": b"\x00" * 1000,
    "nul-in-code": b'lane {\x00 # L\nn1:\x00 circle label:"a\x00b"\n}\n',
    "crlf": b'lane { # L\r\nn1: circle label:"a"\r\nn2: circle label:"b"\r\n'
    b"n1.handle(right) -> n2.handle(left)\r\n}\r\n",
    "lone-cr": b'lane { # L\rn1: circle label:"a"\rn2: circle label:"b"\r'
    b"n1.handle(right) -> n2.handle(left)\r}\r",
    "bom": b'\xef\xbb\xbflane { # L\nn1: circle label:"a"\n}\n',
    "bom-only": b"\xef\xbb\xbf",
    "double-bom": b'\xef\xbb\xbf\xef\xbb\xbflane { # L\nn1: circle label:"a"\n}\n',
    "utf16": "lane { # L\n}\n".encode("utf-16"),
    "latin1": 'lane { # Caf\xe9\nn1: circle label:"\xe9"\n}\n'.encode("latin-1"),
    "many-errors": b"?? ??\n" * 20_000,
    "many-nodes": b"lane { # L\n"
    + b"".join(b'n%d: rectangle label:"Step %d"\n' % (i, i) for i in range(1, 1001))
    + b"".join(b"n%d.handle(right) -> n%d.handle(left)\n" % (i, i + 1) for i in range(1, 1000))
    + b"}\n",
    "huge-id": b"lane { # L\nn" + b"9" * 5000 + b': circle label:"a"\n}\n',
    "big-ids": b'lane { # L\nn1: circle label:"a"\nn999999999999999999: circle label:"b"\n'
    b"n1.handle(right) -> n999999999999999999.handle(left)\n}\n",
    "huge-name": b"a" * 100_000 + b" b\n",
    "escapes": b'lane { # L\nn1: circle label:"\\\\\\"\\n\\t\\\\"\n}\n',
    "backslash-at-eol": b'lane { # L\nn1: circle label:"abc\\\n"\n}\n',
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input(name, tmp_path):
    data = HOSTILE[name]
    records = check_total(data)  # in-process: every renderer, the model dump
    path = tmp_path / f"{name}.fz"
    path.write_bytes(data)
    result = run_cli("check", "--format", "json", str(path))
    assert result.exit_code == (1 if any(r["severity"] == "error" for r in records) else 0)
    assert len(json.loads(result.output)) == len(records)
    assert "Traceback" not in result.output
