"""AWS quotas on compiled output (fzc/backends/limits.py, FZ4xxx): each limit holds at its
maximum and trips one past it; `fzc compile` over a limit writes nothing and exits 1.

Fixtures: tests/limits/codes/<CODE>_<name>/ holds `commands` (the shell lines of the code's
page: `python bench/gen.py ... > FILE` and `fzc ...`, run in a scratch folder with the
fixture's other files), and `expected.txt`, what fzc prints. The page's Example shows both.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import FLAGSHIP, run_cli
from golden import REPO, accepting, check

from fzc.backends import Artifact, Options, emit_all, limits
from fzc.backends.asl import quotas
from fzc.diagnostics.codes import CODES
from fzc.pipeline import analyze
from fzc.source import Source

CODES_DIR = REPO / "tests" / "limits" / "codes"
FIXTURES = {p.name.split("_")[0]: p for p in sorted(CODES_DIR.iterdir()) if p.is_dir()}
LIMIT_CODES = sorted(c for c in CODES if c.startswith("FZ4"))
BLOCK = re.compile(r"^```(?P<lang>\w*)\n(?P<body>.*?)^```$", re.S | re.M)


def _bench():
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import gen
    finally:
        sys.path.pop(0)
    return gen


def _plan(text: str, path: str = "example.fz"):
    a = analyze(Source(path, text))
    assert a.ok and a.plan is not None, [d.code.code for d in a.diagnostics]
    return a.plan


def _topics(pairs: int) -> str:
    """`pairs` SNS topics, each feeding its SQS queue: two outputs and four resources a pair."""
    lines = ["events { # Events"]
    for k in range(1, pairs + 1):
        lines += [f'n{2 * k - 1}: rectangle label:"Topic {k} SNS"']
        lines += [f'n{2 * k}: rectangle label:"Queue {k} SQS"']
        lines += [f"n{2 * k - 1}.handle(right) -> n{2 * k}.handle(left)"]
    return "\n".join([*lines, "}"]) + "\n"


def _codes(diagnostics) -> list[str]:
    return [d.code.code for d in diagnostics]


@pytest.fixture(scope="module")
def flagship():
    plan = _plan(FLAGSHIP.read_text(encoding="utf-8"), str(FLAGSHIP))
    return plan, emit_all(plan, Options())


# --- the pure check, at and one past each limit --------------------------------------------


@pytest.mark.parametrize("limit", limits.LIMITS, ids=lambda lim: lim.code)
def test_each_template_limit_holds_at_its_maximum_and_trips_past_it(limit):
    base = limits.Template("template.yaml", 1000, 10, 5)
    at = replace(base, **{limit.field: limit.maximum})
    past = replace(base, **{limit.field: limit.maximum + 1})
    assert limits.excesses(at) == []
    assert limits.excesses(past) == [(limit, limit.maximum + 1)]
    text = limits.message(limit, past, limit.maximum + 1)
    assert f"{limit.maximum + 1:,}" in text and f"{limit.maximum:,}" in text


def _padded(content: str, size: int) -> str:
    """`content` plus a YAML comment, `size` bytes in all."""
    pad = size - len(content.encode()) - 3
    assert pad >= 0
    return content + "#" + "x" * pad + "\n\n"


def test_check_counts_the_plan_and_measures_the_written_template(flagship):
    plan, arts = flagship
    assert limits.check(plan, arts) == []
    (i,) = [k for k, a in enumerate(arts) if a.path == "template.yaml"]
    for size, codes in ((limits.MB, []), (limits.MB + 1, ["FZ4003"])):
        big = [*arts[:i], Artifact("template.yaml", _padded(arts[i].content, size)), *arts[i + 1 :]]
        assert _codes(limits.check(plan, big)) == codes
    extra = plan.resources[-1]
    for n, codes in ((500, []), (501, ["FZ4002"])):
        more = tuple(replace(extra, logical_id=f"X{k}") for k in range(n - len(plan.resources)))
        assert _codes(limits.check(replace(plan, resources=plan.resources + more), arts)) == codes
    for n, codes in ((200, []), (201, ["FZ4004"])):
        outs = tuple((f"X{k}", "x", "x") for k in range(n))
        assert _codes(limits.check(replace(plan, outputs=outs), arts)) == codes


def _definition_of_size(size: int) -> dict:
    body = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Comment": "", "End": True}}}
    short = quotas.measure(body)[0]
    body["States"]["A"]["Comment"] = "x" * (size - short)
    assert quotas.measure(body)[0] == size
    return body


def test_state_machine_limit_holds_at_1_mb_and_trips_past_it(flagship, monkeypatch):
    import fzc.backends.asl as asl

    plan, _ = flagship
    (wf,) = plan.workflows
    limit = quotas.MAX_DEFINITION_BYTES
    for size, codes in ((limit, []), (limit + 1, ["FZ4001"])):
        body = _definition_of_size(size)
        monkeypatch.setattr(asl, "definition", lambda plan, wf, source=None, b=body: (b, {}))
        assert _codes(limits.check_plan(plan)) == codes
        found = limits.check(plan, [])
        assert _codes(found) == codes
    assert found[0].primary.span == wf.span
    assert f"`{wf.logical_id}`" in found[0].message and "1 MB" in found[0].message


def test_the_counts_are_the_written_templates():
    """The plan's counts are the template's (what `template_of` relies on), and no template
    comes near the 200-parameter quota: fzc declares one parameter at most."""
    for text in (FLAGSHIP.read_text(encoding="utf-8"), _bench().generate(60), _topics(5)):
        plan = _plan(text)
        (art,) = [a for a in emit_all(plan, Options(format="json")) if a.path == "template.json"]
        d = json.loads(art.content)
        t = limits.template_of(plan, [art])
        assert (t.resources, t.outputs) == (len(d["Resources"]), len(d.get("Outputs", {})))
        assert t.body == len(art.content.encode())
        assert len(d.get("Parameters", {})) <= len(plan.parameters) <= 1


# --- the planner: counts in every command, early refusal of huge diagrams ---------------


def _queues(n: int) -> str:
    """`n` standalone SQS queues: one resource and one output each, no role, no edge."""
    body = "".join(f'n{k}: rectangle label:"Queue {k} SQS"\n' for k in range(1, n + 1))
    return "L1 { # Lane 1\n" + body + "}\n"


@pytest.mark.parametrize("text", ["flagship", "gen60", "gen400", "topics", "queues"])
def test_the_planners_early_bounds_hold_for_the_full_plan(text):
    """What stops planning early is certain: the resources counted once ids are allocated
    are a lower bound of the plan's, and its outputs are exactly the plan's."""
    from fzc.model import build
    from fzc.syntax import parse
    from fzc.wire import plan as make_plan
    from fzc.wire.planner import Planner

    source = {
        "flagship": lambda: FLAGSHIP.read_text(encoding="utf-8"),
        "gen60": lambda: _bench().generate(60),
        "gen400": lambda: _bench().generate(400, 3),
        "topics": lambda: _topics(120),
        "queues": lambda: _queues(40),
    }[text]()
    src = Source("x.fz", source)
    diagram = build(parse(src)[0], src)[0]
    planner = Planner(diagram, "x")
    planner._allocate()
    resources, outputs = planner.bounds()
    plan, _ = make_plan(diagram, "x", stop_early=False)
    assert resources <= len(plan.resources) and outputs == len(plan.outputs)
    if text == "queues":
        assert resources == len(plan.resources)  # the bound is tight where nodes are all


def test_fzc_check_reports_the_counted_quotas_as_compile_does(tmp_path):
    """FZ4002/FZ4004 come from the planner, so `fzc check` (and the editor) report them."""
    (tmp_path / "big.fz").write_text(_bench().generate(185), encoding="utf-8")
    (tmp_path / "topics.fz").write_text(_topics(101), encoding="utf-8")
    for name, code, text in (
        ("big.fz", "FZ4002", "the template has 506 resources"),
        ("topics.fz", "FZ4004", "the template has 202 outputs"),
    ):
        result = _run(tmp_path, "check", name, "--format", "concise")
        assert result.exit_code == 1 and f"error[{code}]: {text}" in result.output, result.output


def test_a_diagram_certainly_over_500_resources_is_refused_before_planning(tmp_path):
    """Past 500 primary resources planning stops: no plan, "at least" the count so far, the
    exact outputs; with 500 it is planned in full and the real count reported."""
    for n, words, planned in (
        (501, "would have at least 501 resources", False),
        (500, None, True),
    ):
        a = analyze(Source("queues.fz", _queues(n)))
        assert (a.plan is not None) is planned
        found = {d.code.code: d.message for d in a.diagnostics}
        if words:
            assert words in found["FZ4002"]
            assert "would have 501 outputs" in found["FZ4004"]
        else:
            assert "FZ4002" not in found and "the template has 500 outputs" in found["FZ4004"]
    a = analyze(Source("queues.fz", _queues(501)), stop_early=False)
    assert a.plan is not None and len(a.plan.resources) == 501


def test_explain_plans_in_full_past_the_quotas(tmp_path):
    """`fzc explain` shows what a too-big diagram would become (and says it is too big)."""
    (tmp_path / "queues.fz").write_text(_queues(501), encoding="utf-8")
    result = _run(tmp_path, "explain", "queues.fz", "--json")
    assert result.exit_code == 1 and "the template has 501 resources" in result.output
    explained = json.loads(result.stdout)
    assert len(explained["nodes"]) == 501


# --- fzc compile: nothing written over a limit ---------------------------------------------


def _run(folder: Path, *args: str):
    return run_cli(*args, cwd=folder)


def _snapshot(out: Path) -> dict:
    return {
        p.relative_to(out).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_a_compile_over_a_limit_leaves_out_as_it_was(tmp_path, fmt):
    (tmp_path / "d.fz").write_text(_topics(100), encoding="utf-8")  # 200 outputs: fits
    ok = _run(tmp_path, "compile", "d.fz", "-o", "out", "--format", fmt)
    assert ok.exit_code == 0 and "[FZ4" not in ok.output, ok.output
    before = _snapshot(tmp_path / "out")
    assert f"template.{fmt}" in before
    (tmp_path / "d.fz").write_text(_topics(101), encoding="utf-8")  # 202 outputs
    bad = _run(tmp_path, "compile", "d.fz", "-o", "out", "--format", fmt, "--diagnostics", "json")
    assert bad.exit_code == 1
    (record,) = [r for r in json.loads(bad.output) if r["code"].startswith("FZ4")]
    assert record["code"] == "FZ4004" and record["name"] == "too-many-outputs"
    assert "202 outputs" in record["message"] and "200" in record["message"]
    assert (record["line"], record["column"]) == (1, 1)
    assert _snapshot(tmp_path / "out") == before


def test_a_folder_over_a_limit_writes_no_diagram(tmp_path):
    """With several diagrams, one over a limit stops all of them (nothing is written)."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "small.fz").write_text(_topics(2), encoding="utf-8")
    (tmp_path / "src" / "big.fz").write_text(_topics(101), encoding="utf-8")
    result = _run(tmp_path, "compile", "src", "-o", "out", "-j", "1")
    assert result.exit_code == 1 and "[FZ4004]" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args", [[], ["--format", "json"], ["--inline"]])
def test_the_flagship_fits(tmp_path, args):
    result = _run(tmp_path, "compile", str(FLAGSHIP), "-o", "out", *args)
    assert result.exit_code == 0 and "FZ4" not in result.output, result.output


# --- fixtures and pages -------------------------------------------------------------------


def test_every_limit_code_has_a_fixture_and_a_page():
    assert sorted(FIXTURES) == LIMIT_CODES
    for code, folder in FIXTURES.items():
        assert folder.name == f"{code}_{CODES[code].name}"
        assert (folder / "commands").is_file()
        page = (REPO / "docs" / "codes" / f"{code}.md").read_text(encoding="utf-8")
        assert "## Example" in page and "## How to fix" in page


def _execute(folder: Path, work: Path):
    """Run a fixture's commands in `work`; the result of its `fzc` command."""
    for name in os.listdir(folder):
        if name not in ("commands", "expected.txt"):
            shutil.copy(folder / name, work / name)
    result = None
    for line in (folder / "commands").read_text(encoding="utf-8").splitlines():
        words = shlex.split(line.removeprefix("$ "))
        if words[:2] == ["python", "bench/gen.py"]:
            assert words[-2] == ">", line
            (work / words[-1]).write_text(_generated(words[2:-2]), encoding="utf-8")
        else:
            assert words[0] == "fzc" and result is None, line
            result = _run(work, *words[1:])
    assert result is not None
    return result


def _generated(args: list[str]) -> str:
    """What `python bench/gen.py ARGS` prints, run in-process."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert _bench().main(args) == 0
    return out.getvalue()


@pytest.mark.parametrize("code", LIMIT_CODES)
def test_limit_fixture_and_page(code, tmp_path):
    folder = FIXTURES[code]
    result = _execute(folder, tmp_path)
    assert result.exit_code == 1, result.output
    assert f"[{code}]" in result.output, result.output
    assert not (tmp_path / "out").exists()
    check(result.output, folder / "expected.txt")
    path = REPO / "docs" / "codes" / f"{code}.md"
    text = path.read_text(encoding="utf-8")
    example = text[text.index("## Example") : text.index("## How to fix")]
    shell, report = [m for m in BLOCK.finditer(example) if m["lang"] == "text"][:2]
    assert shell["body"] == (folder / "commands").read_text(encoding="utf-8")
    if report["body"] != result.output:
        assert accepting(), (
            f"{path.name}: stale report (FZC_ACCEPT=1 rewrites it):\n{result.output}"
        )
        start = text.index(example) + report.start("body")
        end = text.index(example) + report.end("body")
        path.write_text(text[:start] + result.output + text[end:], encoding="utf-8")


def test_a_workflow_of_more_steps_than_states_allowed_is_refused_without_compiling(flagship):
    """Every step is a state at least: past MAX_STATES steps the definition is not built."""
    from dataclasses import replace

    plan, _ = flagship
    (wf,) = plan.workflows
    at = replace(wf, steps=wf.steps[:1] * quotas.MAX_STATES)
    past = replace(wf, steps=wf.steps[:1] * (quotas.MAX_STATES + 1))
    assert quotas.too_many_steps(at) is None
    found = quotas.too_many_steps(past)
    assert found is not None and found.states == quotas.MAX_STATES + 1
    assert "10,001 steps" in found.message and found.span == wf.span
