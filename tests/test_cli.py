"""The command line (exit codes, formats, `--strict`, `parse --json`) and the language as
really written (LANGUAGE.md): lenient forms, comments, line ends, strings, recovery."""

from __future__ import annotations

import json
import re

import pytest
from conftest import FLAGSHIP, LOCAL_CORPUS, rel, run_cli

from fzc import __version__
from fzc.pipeline import analyze, decode

CLEAN = """orders { # Orders
n1: circle label:"Start"
n2: rectangle label:"Pack"
n1.handle(right) -> n2.handle(left)
}
"""


@pytest.fixture
def write(tmp_path):
    """`write(text_or_bytes, name="input.fz")` -> path of a new file."""

    def _write(content, name: str = "input.fz"):
        path = tmp_path / name
        if isinstance(content, str):
            content = content.encode("utf-8")
        path.write_bytes(content)
        return str(path)

    return _write


def records(path: str, *extra: str) -> list[dict]:
    result = run_cli("check", "--format", "json", *extra, path)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)


def codes(path: str, *extra: str) -> list[str]:
    return [r["code"] for r in records(path, *extra)]


def model(path: str) -> dict:
    result = run_cli("parse", "--json", path)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def analysis(text: str | bytes, path: str = "input.fz"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    src, pre = decode(path, data)
    return analyze(src, pre=pre)


# -- exit codes ---------------------------------------------------------------------------


def test_clean_file_exits_0_silently(write):
    result = run_cli("check", write(CLEAN))
    assert (result.exit_code, result.output) == (0, "")
    assert run_cli("check", "--format", "json", write(CLEAN)).output == "[]\n"


def test_warnings_exit_0(write):
    path = write(CLEAN.replace('label:"Start"', 'label="Start"'))
    result = run_cli("check", path)
    assert result.exit_code == 0
    assert "warning[FZ1010]" in result.output


def test_errors_exit_1(write):
    result = run_cli("check", write(CLEAN.replace("n2.handle", "n9.handle")))
    assert result.exit_code == 1
    assert "error[FZ1003]" in result.output


def test_several_files_are_all_reported(write):
    good, bad = write(CLEAN, "good.fz"), write(CLEAN.replace("}", ""), "bad.fz")
    result = run_cli("check", "--format", "concise", good, bad)
    assert result.exit_code == 1
    assert "bad.fz:1:1: error[FZ1013]" in result.output
    assert "good.fz" not in result.output


@pytest.mark.parametrize(
    "args",
    [
        ("check", "no/such/file.fz"),
        ("check", "samples/event_processing.fz", "no/such/file.fz"),
        ("check",),
        ("check", "samples"),
        ("check", "--format", "xml", "samples/event_processing.fz"),
        ("parse", "samples/event_processing.fz"),
        ("parse", "--json", "no/such/file.fz"),
        ("no-such-command",),
    ],
    ids=[
        "missing",
        "one-missing",
        "no-file",
        "directory",
        "bad-format",
        "parse-no-json",
        "parse-missing",
        "bad-command",
    ],
)
def test_usage_errors_exit_2(args):
    result = run_cli(*args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "Error:" in result.output


def test_missing_file_message():
    result = run_cli("check", "no/such/file.fz")
    assert "cannot read no/such/file.fz" in result.output


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag):
    result = run_cli(flag)
    assert result.exit_code == 0
    assert result.output == f"fzc, version {__version__}\n"


def test_help():
    result = run_cli("--help")
    assert result.exit_code == 0
    assert "check" in result.output and "parse" in result.output
    assert run_cli("check", "--help").exit_code == 0


# -- formats ------------------------------------------------------------------------------

UNKNOWN = """orders { # Orders
n1: circle label:"Start"
n2: circle label:"Done"
n1.handle(right) -> n2.handle(left)
n2.handle(right) -> n3.handle(left)
}
"""


def test_full_format_snippet_with_carets(write):
    path = write(UNKNOWN, "unknown.fz")
    result = run_cli("check", path)
    assert result.exit_code == 1
    assert result.output == (
        "error[FZ1003]: edge names unknown node `n3`\n"
        f" --> {path}:5:21\n"
        "  |\n"
        "5 | n2.handle(right) -> n3.handle(left)\n"
        "  |                     ^^ no node has this id\n"
        "  |\n"
        "  = help: declared nodes: n1, n2\n"
    )


def test_full_format_secondary_labels_and_wide_gutter(write):
    text = "lanes { # L\n" + "\n" * 10 + 'n1: circle label:"a"\nn1: circle label:"b"\n}\n'
    out = run_cli("check", write(text)).output
    assert "error[FZ1002]: node `n1` is declared twice" in out
    assert '12 | n1: circle label:"a"\n   | -- first\n' in out
    assert '13 | n1: circle label:"b"\n   | ^^ second declaration\n' in out


def test_concise_format(write):
    path = write(UNKNOWN)
    out = run_cli("check", "--format", "concise", path).output
    assert out == f"{path}:5:21: error[FZ1003]: edge names unknown node `n3`\n"


def test_json_format(write):
    (r,) = records(write(UNKNOWN, "u.fz"))
    assert r == {
        "path": r["path"],
        "line": 5,
        "column": 21,
        "end_line": 5,
        "end_column": 23,
        "severity": "error",
        "code": "FZ1003",
        "name": "unknown-node",
        "message": "edge names unknown node `n3`",
        "help": "declared nodes: n1, n2",
    }
    assert r["path"].endswith("u.fz")


def test_relative_paths_are_kept_as_given():
    out = run_cli("check", "--format", "concise", "tests/corpus/" + LOCAL_CORPUS_FILE).output
    assert out.startswith("tests/corpus/" + LOCAL_CORPUS_FILE + ":")


LOCAL_CORPUS_FILE = "invalid__flowzap-mcp__get-syntax-skeleton-placeholder.fz"


def test_diagnostics_are_sorted_by_position(write):
    text = 'orders { # O\nn2: circle label="b"\nn1: circle label="a"\n}\n'
    lines = [(r["line"], r["column"]) for r in records(write(text))]
    assert lines == sorted(lines)


# -- --strict -----------------------------------------------------------------------------


def test_strict_upgrades_documented_rules(write):
    path = write(CLEAN.replace('label:"Start"', 'label="Start"'))
    assert run_cli("check", path).exit_code == 0
    result = run_cli("check", "--strict", path)
    assert result.exit_code == 1
    assert "error[FZ1010]" in result.output
    assert [r["severity"] for r in records(path, "--strict")] == ["error"]


def test_strict_keeps_advice_as_warnings(write):
    long_label = "x" * 60  # FZ1019 is the validator's advice, not a documented rule
    path = write(CLEAN.replace("Pack", long_label))
    assert [(r["code"], r["severity"]) for r in records(path, "--strict")] == [
        ("FZ1019", "warning")
    ]
    assert run_cli("check", "--strict", path).exit_code == 0


def test_strict_keeps_notes(write):
    path = write("// draft\n" + CLEAN)
    assert [(r["code"], r["severity"]) for r in records(path, "--strict")] == [("FZ1025", "note")]


def test_strict_flagship_is_clean():
    assert run_cli("check", "--strict", rel(FLAGSHIP)).exit_code == 0


# -- parse --json -------------------------------------------------------------------------


def test_parse_json_structure():
    m = model(rel(LOCAL_CORPUS / "flowzap-mcp__syntax-ref-auth-flow.fz"))
    assert set(m) == {"path", "lanes", "nodes", "edges", "loops"}
    assert [(lane["id"], lane["label"]) for lane in m["lanes"]] == [
        ("User", "User"),
        ("Application", "Application"),
        ("Server", "Server"),
    ]
    n2 = m["nodes"][1]
    assert n2 == {
        "id": "n2",
        "lane": "User",
        "shape": "rectangle",
        "attributes": {"label": "Enter username and password"},
        "span": {"line": 3, "column": 1, "end_line": 3, "end_column": 50},
    }
    # n14 is declared in lane 2 before n10-n13 in lane 3: declaration order is kept
    assert [n["id"] for n in m["nodes"]][8:] == ["n9", "n14", "n10", "n11", "n12", "n13"]
    edges = m["edges"]
    assert [e["index"] for e in edges] == list(range(len(edges)))
    assert [(e["source"]["node"], e["target"]["node"]) for e in edges][:4] == [
        ("n1", "n2"),
        ("n2", "n3"),
        ("n3", "n6"),
        ("n4", "n5"),
    ]
    e = edges[2]
    assert e["label"] == "Send credentials" and e["lane"] == "User"
    assert e["source"] == {
        "node": "n3",
        "lane": None,
        "handle": "bottom",
        "span": {"line": 9, "column": 1, "end_line": 9, "end_column": 18},
    }
    assert e["target"]["lane"] == "Application" and e["target"]["handle"] == "top"
    assert m["loops"] == [
        {
            "condition": "retry until valid format",
            "lane": "User",
            "nodes": [{"node": n, "lane": None} for n in ("n2", "n3", "n7", "n8")],
            "span": {"line": 11, "column": 1, "end_line": 11, "end_column": 44},
        }
    ]


def test_parse_json_of_flagship():
    result = run_cli("parse", "--json", rel(FLAGSHIP))
    assert result.exit_code == 0
    m = json.loads(result.stdout)
    assert m["path"] == "samples/event_processing.fz"
    assert len(m["lanes"]) == 4 and len(m["nodes"]) == 17 and len(m["edges"]) == 16
    assert result.stdout == run_cli("parse", "--json", rel(FLAGSHIP)).stdout


def test_parse_reports_diagnostics_on_stderr(write):
    result = run_cli("parse", "--json", write(UNKNOWN))
    assert result.exit_code == 1
    json.loads(result.stdout)
    assert "error[FZ1003]" in result.stderr and "FZ1003" not in result.stdout


# -- the language as written (LANGUAGE.md) --------------------------------------------------


def test_hash_without_space(write):
    path = write(CLEAN.replace("orders { # Orders", "dispatcher_agent {# Dispatcher Agent"))
    assert codes(path) == []
    assert model(path)["lanes"][0]["label"] == "Dispatcher Agent"


def test_lane_without_display_label(write):
    path = write(CLEAN.replace("orders { # Orders", "User {"))
    assert codes(path) == []
    assert model(path)["lanes"][0]["label"] is None


def test_display_label_on_next_line_is_a_warning(write):
    path = write(CLEAN.replace("orders { # Orders", "orders {\n  # Order desk"))
    assert codes(path) == ["FZ1012"]
    assert model(path)["lanes"][0]["label"] == "Order desk"
    assert run_cli("check", "--strict", path).exit_code == 1


def test_attribute_equals_on_node(write):
    path = write(CLEAN.replace('label:"Pack"', 'label="Pack"'))
    (r,) = records(path)
    assert (r["code"], r["severity"], r["line"], r["column"]) == ("FZ1010", "warning", 3, 15)
    assert model(path)["nodes"][1]["attributes"] == {"label": "Pack"}


def test_edge_label_with_colon(write):
    path = write(CLEAN.replace("n2.handle(left)", 'n2.handle(left) [label:"Go"]'))
    assert codes(path) == ["FZ1011"]
    assert model(path)["edges"][0]["label"] == "Go"


def test_edge_and_loop_outside_lanes(write):
    text = (
        'laneA { # A\nn1: circle label:"a"\nn2: rectangle label:"b"\n}\n'
        'laneB { # B\nn3: circle label:"c"\n}\n'
        "laneA.n2.handle(bottom) -> laneB.n3.handle(top)\n"
        "loop [retry] laneA.n2 laneB.n3\n"
        "n1.handle(right) -> n2.handle(left)\n"
    )
    path = write(text)
    assert [(r["code"], r["severity"]) for r in records(path)] == [
        ("FZ1022", "warning"),
        ("FZ1023", "warning"),
        ("FZ1022", "warning"),
    ]
    m = model(path)
    assert [e["lane"] for e in m["edges"]] == [None, None]
    assert m["loops"][0]["lane"] is None
    assert m["loops"][0]["nodes"] == [
        {"node": "n2", "lane": "laneA"},
        {"node": "n3", "lane": "laneB"},
    ]


def test_loop_with_free_text_and_lane_refs(write):
    text = CLEAN.replace("}\n", "loop [retry up to 3 times, then: give up] n1 orders.n2\n}\n")
    path = write(text)
    assert codes(path) == []
    (loop,) = model(path)["loops"]
    assert loop["condition"] == "retry up to 3 times, then: give up"
    assert loop["nodes"] == [{"node": "n1", "lane": None}, {"node": "n2", "lane": "orders"}]


def test_slash_comments_blank_lines_and_indentation(write):
    plain = model(write(CLEAN, "plain.fz"))
    messy = (
        "// a whole-line comment\n\n"
        "orders { # Orders\n\n"
        '\t\tn1: circle label:"Start"\n'
        '        n2:   rectangle    label:"Pack"\n'
        "  // another one\n\n"
        "   n1.handle(right)->n2.handle(left)\n"
        "}\n\n\n"
    )
    path = write(messy, "messy.fz")
    assert codes(path) == ["FZ1025", "FZ1025"]
    assert _shape(model(path)) == _shape(plain)


def _shape(m: dict) -> dict:
    """The model without spans and path: what the diagram means."""
    drop = {"span", "path"}

    def strip(x):
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if k not in drop}
        if isinstance(x, list):
            return [strip(v) for v in x]
        return x

    return strip(m)


@pytest.mark.parametrize(
    "variant",
    [
        lambda b: b.replace(b"\n", b"\r\n"),
        lambda b: b.replace(b"\n", b"\r"),
        lambda b: b"\xef\xbb\xbf" + b,
        lambda b: b"\xef\xbb\xbf" + b.replace(b"\n", b"\r\n"),
        lambda b: b.rstrip(b"\n"),
    ],
    ids=["crlf", "lone-cr", "bom", "bom-crlf", "no-final-newline"],
)
def test_line_ends_and_bom_change_nothing(write, variant):
    """Same model, same diagnostics at the same lines and columns, as the LF original."""
    original = FLAGSHIP.read_bytes() + b"n99.handle(left) -> n1.handle(right)\n"
    base, other = write(original, "lf.fz"), write(variant(original), "variant.fz")
    strip = lambda rs: [{k: v for k, v in r.items() if k != "path"} for r in rs]  # noqa: E731
    assert strip(records(other)) == strip(records(base))
    m_base, m_other = model(base), model(other)
    m_base.pop("path"), m_other.pop("path")
    assert m_other == m_base


def test_bom_and_crlf_in_full_snippets(write):
    path = write(b"\xef\xbb\xbfx y { # L\r\n}\r\n")
    out = run_cli("check", path).output
    assert "1 | x y { # L\n" in out  # no BOM, no CR in the snippet
    assert "\ufeff" not in out and "\r" not in out
    assert f"{path}:1:3" in out


def test_strings_with_escapes_and_special_characters(write):
    label = r"say \"hi\" -> # : [ ] | \\ done"
    text = (
        "orders { # Orders\n"
        f'n1: circle label:"{label}"\n'
        'n2: rectangle label:"Größe prüfen, 日本語, café"\n'
        f'n1.handle(right) -> n2.handle(left) [label="{label}"]\n'
        "}\n"
    )
    path = write(text)
    assert codes(path) == []
    m = model(path)
    expected = 'say "hi" -> # : [ ] | \\ done'
    assert m["nodes"][0]["attributes"]["label"] == expected
    assert m["nodes"][1]["attributes"]["label"] == "Größe prüfen, 日本語, café"
    assert m["edges"][0]["label"] == expected
    assert m["edges"][0]["span"]["end_column"] == len(text.splitlines()[3]) + 1


def test_arrow_inside_a_label(write):
    """The zh state-machine template writes `label:"Pending -> Confirmed"` on nodes."""
    path = write(CLEAN.replace('"Pack"', '"Pending -> Confirmed"'))
    assert codes(path) == []
    assert model(path)["nodes"][1]["attributes"]["label"] == "Pending -> Confirmed"


def test_spaces_around_attribute_separators(write):
    path = write(CLEAN.replace('label:"Pack"', 'label : "Pack"'))
    assert codes(path) == []
    assert model(path)["nodes"][1]["attributes"] == {"label": "Pack"}


def test_empty_edge_label(write):
    path = write(CLEAN.replace("n2.handle(left)", 'n2.handle(left) [label=""]'))
    assert codes(path) == []
    assert model(path)["edges"][0]["label"] == ""


def test_several_syntax_errors_are_all_reported(write):
    text = (
        "orders { # Orders\n"
        'n1: circle label:"Start"\n'
        "n1.handle(right) => n2.handle(left)\n"  # 3: bad arrow
        'n2: rectangle label:"Pack\n'  # 4: unterminated string
        "n2.handle(right) -> n3.handle(left)\n"
        "n3: circle label:Done\n"  # 6: unquoted value
        "n3.handle(bottom) -> n4.handle(top) // trailing comment\n"  # 7
        'n4: circle label:"End"\n'
        "}\n"
    )
    path = write(text)
    rs = records(path)
    assert [(r["code"], r["line"]) for r in rs] == [
        ("FZ0001", 3),
        ("FZ0002", 4),
        ("FZ0001", 6),
        ("FZ0001", 7),
    ]
    assert all(r["help"] for r in rs)
    helps = [r["help"] for r in rs]
    assert "`->` only" in helps[0]
    assert "quote attribute values" in helps[2]
    assert "`//` comments must stand on a line of their own" in helps[3]
    # the good lines between them, and what the bad lines still declare, are kept
    m = model(path)
    assert [n["id"] for n in m["nodes"]] == ["n1", "n2", "n3", "n4"]
    assert [(e["source"]["node"], e["target"]["node"]) for e in m["edges"]] == [
        ("n1", "n2"),
        ("n2", "n3"),
        ("n3", "n4"),
    ]


def test_broken_lane_header_does_not_cascade(write):
    path = write(CLEAN.replace("orders { # Orders", "order desk { # Orders"))
    rs = records(path)
    assert [(r["code"], r["line"]) for r in rs] == [("FZ0001", 1)]
    assert "lane ids are one word" in rs[0]["help"]


def test_too_many_errors_stops_with_a_note(write):
    path = write("lane { # L\n" + "?? ??\n" * 80 + "}\n")
    rs = records(path)
    assert [r["code"] for r in rs].count("FZ0001") == 50
    assert rs[-1]["code"] == "FZ0008" and rs[-1]["severity"] == "note"
    assert "FZ1013" not in [r["code"] for r in rs]  # the `}` was never read: no false alarm


def test_forward_references(write):
    text = (
        "a { # A\nn1.handle(right) -> n2.handle(left)\nn2.handle(bottom) -> b.n3.handle(top)\n"
        'n1: circle label:"x"\nn2: rectangle label:"y"\n}\n'
        'b { # B\nn3: circle label:"z"\n}\n'
    )
    assert codes(write(text)) == []


def test_wrong_lane_prefix_resolves_by_id(write):
    text = (
        'a { # A\nn1: circle label:"x"\nn1.handle(right) -> c.n2.handle(left)\n}\n'
        'b { # B\nn2: circle label:"y"\n}\nc { # C\nn3: circle label:"z"\n'
        "n3.handle(top) -> b.n2.handle(bottom)\n}\n"
    )
    path = write(text)
    (r,) = records(path)
    assert (r["code"], r["severity"], r["line"]) == ("FZ1005", "warning", 3)
    assert r["help"] == "write `b.n2`"
    a = analysis(text)
    edge = a.diagram.edges[0]
    assert edge.target.lane == "c" and a.diagram.node(edge.target.node).lane == "b"


def test_unprefixed_cross_lane_source_resolves_by_id(write):
    """An edge written in the target's lane, source unprefixed (Context Management templates):
    resolved by id; only the missing target prefix of a cross-lane edge is reported."""
    text = (
        'Agent { # Agent\nn1: circle label:"x"\n}\n'
        'Memory { # Memory\nn2: circle label:"y"\nn1.handle(bottom) -> n2.handle(top)\n}\n'
    )
    path = write(text)
    assert codes(path) == ["FZ1024"]
    edge = model(path)["edges"][0]
    assert (edge["source"]["node"], edge["target"]["node"], edge["lane"]) == ("n1", "n2", "Memory")


def test_taskbox_items():
    text = (
        'ops { # Ops\nn1: taskbox label:"Review|Check docs| Verify data "\n'
        'n2: taskbox owner:"Alice" description:"Deploy" system:"CI"\n'
        "n1.handle(right) -> n2.handle(left)\n}\n"
    )
    a = analysis(text)
    assert [d.code.code for d in a.diagnostics if not d.code.code.startswith("FZ3")] == []
    assert a.diagram.node("n1").items == ("Review", "Check docs", "Verify data")
    assert a.diagram.node("n2").items == ()
    assert a.diagram.node("n2").label == "Deploy"
    assert a.diagram.node("n2").attr("owner") == "Alice"


def test_legacy_dialect_is_explained():
    path = rel(LOCAL_CORPUS / "invalid__flowzap-mcp__readme-v1.0.2-legacy-syntax.fz")
    out = run_cli("check", path).output
    assert "help: write `validate: rectangle`" in out
    assert re.search(r"help: write one edge per line, each with handles: start -> validate", out)
