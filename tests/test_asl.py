"""The Step Functions backend: valid ASL (asl-validator, our graph check), the conventions,
golden files for the flagship, executions in moto's ASL interpreter with in-process Lambda
handlers, and every transition of the diagram realised: `tests/asl/explore.py` runs each
definition through every execution (every decision branch, every caught failure) and checks
that each transition's target runs after it, and nothing runs unasked.

`FZC_ACCEPT=1 pytest tests/test_asl.py` rewrites the golden files under tests/asl/golden.
"""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
import io
import json
import logging
import os
import re
import subprocess
import sys
import zipfile
from collections import Counter
from dataclasses import replace
from functools import cache
from pathlib import Path

import networkx as nx
import pytest
from asl import explore as oracle
from conftest import FLAGSHIP, corpus_files
from golden import REPO, check
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fzc.backends import Options
from fzc.backends.asl import definition, emit, quotas, render
from fzc.backends.asl.compile import LOOP_LIMIT
from fzc.backends.asl.graph import problems
from fzc.backends.asl.layout import MAX_DEPTH
from fzc.backends.asl.names import MAX_NAME, Names, clean
from fzc.backends.asl.serial import due_test
from fzc.backends.asl.states import LOOP_REPEATS
from fzc.pipeline import analyze
from fzc.source import Source
from fzc.wire.plan import Workflow

HERE = REPO / "tests" / "asl"
CASES = sorted((HERE / "cases").glob("*.fz"))
GOLDEN = HERE / "golden"
VALIDATOR = REPO / "node_modules" / ".bin" / "asl-validator"
DIAGRAMS = [FLAGSHIP, *(p for p in corpus_files() if not p.name.startswith("invalid__")), *CASES]
REGION = "us-east-1"


# -- compiling ----------------------------------------------------------------------------
@cache
def compiled(path: Path):
    src = Source(path.name, path.read_text(encoding="utf-8"))
    analysis = analyze(src)
    assert analysis.plan is not None, [d.message for d in analysis.diagnostics]
    return analysis.plan, src


def workflow(path: Path, logical_id: str | None = None) -> Workflow:
    plan, _ = compiled(path)
    return next(w for w in plan.workflows if logical_id in (None, w.logical_id))


def asl(path: Path, logical_id: str | None = None) -> tuple[dict, dict]:
    plan, src = compiled(path)
    return definition(plan, workflow(path, logical_id), src)


def all_workflows() -> list[tuple[Path, str]]:
    return [(p, w.logical_id) for p in DIAGRAMS for w in compiled(p)[0].workflows]


WORKFLOWS = all_workflows()
WF_IDS = [f"{p.stem}/{lid}" for p, lid in WORKFLOWS]


def scopes(d: dict):
    """Every States object of a definition: the machine's, then each branch's."""
    yield d["States"]
    for state in d["States"].values():
        for branch in state.get("Branches", []):
            yield from scopes(branch)


def states(d: dict) -> dict[str, dict]:
    return {name: s for scope in scopes(d) for name, s in scope.items()}


def explored(name: str):
    """A case's definition, and the oracle's exploration of it."""
    plan, _ = compiled(case(name))
    d = asl(case(name))[0]
    return d, oracle.check(plan, workflow(case(name)), d)


def case(name: str) -> Path:
    return HERE / "cases" / f"{name}.fz"


# -- validity -----------------------------------------------------------------------------
@pytest.mark.parametrize(("path", "lid"), WORKFLOWS, ids=WF_IDS)
def test_graph_check_finds_nothing(path, lid):
    d, _ = asl(path, lid)
    assert problems(d) == []


@pytest.fixture(scope="module", autouse=True)
def checkers(tmp_path_factory):
    """asl-validator over every definition file, and cfn-lint (E3601: the ASL schema inside a
    template) over all of them: started before this module's first test and read by its last
    tests (they take seconds; the moto tests run meanwhile)."""
    out = tmp_path_factory.mktemp("asl")
    args, resources = [str(VALIDATOR)], {}
    for i, (path, lid) in enumerate(WORKFLOWS):
        d, subs = asl(path, lid)
        f = out / f"{path.stem}__{lid}.asl.json"
        f.write_text(render(d), encoding="utf-8")
        args += ["--json-path", str(f)]
        props = {"RoleArn": "arn:aws:iam::123456789012:role/sfn", "Definition": d}
        if subs:  # placeholder values: E3601 skips strings equal to a substitution key
            props["DefinitionSubstitutions"] = dict.fromkeys(subs, "x")
        resources[f"Machine{i}"] = {"Type": "AWS::StepFunctions::StateMachine", "Properties": props}
    template = out / "template.json"
    template.write_text(json.dumps({"Resources": resources}), encoding="utf-8")
    lint = [str(Path(sys.executable).with_name("cfn-lint")), "--format", "parseable", str(template)]
    procs = {
        "cfn-lint": _spawn(lint),
        "asl-validator": _spawn(args) if VALIDATOR.exists() else None,
    }
    yield procs
    for proc in procs.values():
        if proc is not None:
            proc.kill()
            proc.communicate()


def _spawn(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize(("path", "lid"), WORKFLOWS, ids=WF_IDS)
def test_every_cycle_is_guarded_by_a_counter(path, lid):
    assert _unguarded_cycles(asl(path, lid)[0]) == []


def _unguarded_cycles(d: dict) -> list[list[str]]:
    """No unbounded loop: each cycle of transitions passes a `round + 1` step, and the
    Choice that takes it tests `round < LOOP_REPEATS`."""
    bad = []
    for scope in scopes(d):
        g = nx.DiGraph()
        for name, s in scope.items():
            g.add_edges_from((name, t) for t in _targets(s))
        for cycle in nx.simple_cycles(g):
            counted = any("round.$" in scope[n].get("Parameters", {}) for n in cycle)
            limit = f'"NumericLessThan": {LOOP_REPEATS}'
            if not counted or not any(limit in json.dumps(scope[n]) for n in cycle):
                bad.append(cycle)
    return bad


def _targets(s: dict) -> list[str]:
    found = [s[k] for k in ("Next", "Default") if k in s]
    found += [r["Next"] for r in s.get("Choices", [])]
    return found + [c["Next"] for c in s.get("Catch", [])]


SHAPES = ("rectangle", "rectangle", "diamond", "circle")
LABELS = (None, None, "Yes", "No", "on error", "retry", "Success", "Failure")


@st.composite
def diagrams(draw) -> str:
    """Small one-lane diagrams with random edges: decisions, events, loops, fan-outs."""
    n = draw(st.integers(1, 8))
    lines = ["L { # L"]
    lines += [f'n{i}: {draw(st.sampled_from(SHAPES))} label:"Step {i}"' for i in range(1, n + 1)]
    for _ in range(draw(st.integers(0, 12))):
        a, b = draw(st.integers(1, n)), draw(st.integers(1, n))
        label = draw(st.sampled_from(LABELS))
        attr = f' [label="{label}"]' if label else ""
        lines.append(f"n{a}.handle(right) -> n{b}.handle(left){attr}")
    return "\n".join([*lines, "}"]) + "\n"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(diagrams())
def test_any_diagram_gives_a_valid_bounded_definition(text):
    plan = analyze(Source("random.fz", text)).plan
    for wf in plan.workflows if plan else ():
        d, _ = definition(plan, wf)
        assert problems(d) == []
        assert _unguarded_cycles(d) == []
        assert max(_own_states(d).values(), default=1) == 1  # no state copied
        # nothing dropped on a way through, nothing run unasked (a step behind a loop that
        # always goes round again never runs: not asserted on these random shapes)
        report = oracle.check(plan, wf, d)
        assert report.problems(realised=False) == []


def _own_states(d: dict) -> Counter[str]:
    """How many states stand for each diagram node (its Comment starts with the node id)."""
    own = (re.match(r"(n\w+)(?:, line \d+)?(?:;|$)", s["Comment"]) for s in _all_states(d))
    return Counter(m.group(1) for m in own if m)


def _all_states(d: dict) -> list[dict]:
    """Every state, without recursion (a definition may nest 8 frames deep)."""
    found, todo = [], [d]
    while todo:
        for state in todo.pop()["States"].values():
            found.append(state)
            todo += state.get("Branches", [])
    return found


def _depth(d: dict) -> int:
    """How deep Parallel branches nest."""
    best, todo = 0, [(d, 0)]
    while todo:
        scope, level = todo.pop()
        best = max(best, level)
        for state in scope["States"].values():
            todo += [(b, level + 1) for b in state.get("Branches", [])]
    return best


# -- size: linear in the diagram ----------------------------------------------------------
@cache
def _bench_generate():
    """`bench/gen.py`'s generator (the benchmark's diagrams)."""
    spec = importlib.util.spec_from_file_location("fzc_bench_gen", REPO / "bench" / "gen.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate


def _chain(n: int) -> str:
    nodes = "".join(f'n{i}: rectangle label:"Step {i}"\n' for i in range(1, n + 1))
    edges = "".join(f"n{i}.handle(right) -> n{i + 1}.handle(left)\n" for i in range(1, n))
    return "L { # L\n" + nodes + edges + "}\n"


def _analysed(text: str):
    src = Source("big.fz", text)
    plan = analyze(src, stop_early=False).plan
    assert plan is not None
    return plan, src


def test_a_generated_1k_diagram_fits_step_functions():
    """bench/gen.py 1000: overlapping fan-outs everywhere. Every state is written once, the
    count is linear in steps + transitions, and the definition stays under 1 MB (the file
    fzc writes and what AWS receives, ARNs substituted)."""
    plan, src = _analysed(_bench_generate()(1000))
    for wf in plan.workflows:
        d, _ = definition(plan, wf, src)
        assert problems(d) == []
        own = _own_states(d)
        assert set(own.values()) == {1} and len(own) == len(wf.steps)
        size, count = quotas.measure(d)
        assert count <= 3 * (len(wf.steps) + len(wf.transitions))
        assert size < quotas.MAX_DEFINITION_BYTES
        assert len(render(d).encode()) < 1_000_000
        assert quotas.excess(wf, d) is None


@contextlib.contextmanager
def _shallow_stack(frames: int = 250):
    """Let the code under test use only `frames` more stack frames: recursion per state,
    or per nesting level beyond the bounded depth, fails with RecursionError."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + frames)
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


def test_a_10k_step_chain_compiles_without_deep_recursion():
    """No recursion per state; and the quota check reports what AWS would reject."""
    plan, src = _analysed(_chain(10_000))
    wf = plan.workflows[0]
    with _shallow_stack():
        d, _ = definition(plan, wf, src)
        assert problems(d) == []
    size, count = quotas.measure(d)
    assert count == len(wf.steps) and max(_own_states(d).values()) == 1
    found = quotas.excess(wf, d)
    assert found is not None and found.workflow == wf.logical_id
    assert "at most 1 MB" in found.message and found.size == size > quotas.MAX_DEFINITION_BYTES


def _nested_fanouts(depth: int) -> str:
    """Fan-outs nested `depth` deep, each properly joined: s_i -> {a_i, s_i+1}, joined at
    j_i (n3i, n3i+1, n3i+2); the innermost split's other side is n3d+3."""
    lines = ["L { # L", 'n1: circle label:"Begin"', 'n2: circle label:"Finish"']
    for i in range(1, depth + 1):
        s, a, j = 3 * i, 3 * i + 1, 3 * i + 2
        lines += [f'n{s}: rectangle label:"Split {i}"', f'n{a}: rectangle label:"Side {i}"']
        lines += [f'n{j}: rectangle label:"Join {i}"', f"n{s}.handle(right) -> n{a}.handle(left)"]
        lines.append(f"n{a}.handle(right) -> n{j}.handle(left)")
        lines.append(f"n{s}.handle(bottom) -> n{s + 3}.handle(left)")  # the next level
        inner = j + 3 if i < depth else s + 3  # its join, or the innermost's other side
        lines.append(f"n{inner}.handle(right) -> n{j}.handle(left)")
    lines.append(f'n{3 * depth + 3}: rectangle label:"Other side"')
    lines += ["n1.handle(right) -> n3.handle(left)", "n5.handle(right) -> n2.handle(left)", "}"]
    return "\n".join(lines) + "\n"


def _nested_loops(depth: int) -> str:
    """A chain whose last step goes back to every step before it: cycles nested `depth`
    deep."""
    n = depth + 1
    lines = ["L { # L", 'n1: circle label:"Begin"', f'n{n + 2}: circle label:"Finish"']
    lines += [f'n{i}: rectangle label:"Step {i}"' for i in range(2, n + 1)]
    lines.append(f'n{n + 1}: diamond label:"Where next?"')
    lines += [f"n{i}.handle(right) -> n{i + 1}.handle(left)" for i in range(1, n + 1)]
    lines += [
        f'n{n + 1}.handle(top) -> n{i}.handle(top) [label="Back {i}"]' for i in range(2, n + 1)
    ]
    lines += [f'n{n + 1}.handle(right) -> n{n + 2}.handle(left) [label="Done"]', "}"]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("shape", "depth"), [("fanouts", 5), ("fanouts", 200), ("loops", 5), ("loops", 200)]
)
def test_frames_nest_at_most_max_depth(shape, depth):
    text = _nested_fanouts(depth) if shape == "fanouts" else _nested_loops(depth)
    plan, src = _analysed(text)
    for wf in plan.workflows:
        with _shallow_stack():
            d, _ = definition(plan, wf, src)
            assert problems(d) == [] and _unguarded_cycles(d) == []
        assert _depth(d) == min(depth, MAX_DEPTH)
        own = _own_states(d)
        assert set(own.values()) == {1} and len(own) == len(wf.steps)
        # a deeper fan-out runs in sequence; a deeper loop's ways back are refused (FZ4005)
        assert bool(quotas.too_deep(plan, wf, src)) == (shape == "loops" and depth > MAX_DEPTH)


@pytest.mark.parametrize("depth", [MAX_DEPTH, MAX_DEPTH + 1])
def test_a_loop_nested_too_deep_is_reported_at_its_way_back(depth):
    """The innermost way back of loops nested MAX_DEPTH + 1 deep went back to the enclosing
    loop's entry, silently; now it is an error at its edge (one loop less: nothing)."""
    plan, src = _analysed(_nested_loops(depth))
    (wf,) = plan.workflows
    found = quotas.too_deep(plan, wf, src)
    if depth == MAX_DEPTH:
        assert found == []
        return
    (deep,) = found
    n = depth + 1
    assert deep.code == "FZ4005" and f"would go back to `n{n - 1}`" in deep.message
    assert src.text[deep.span.start : deep.span.end].startswith(f"n{n + 1}.handle(top) -> n{n}.")


def test_quota_check_passes_what_aws_accepts():
    plan, src = compiled(FLAGSHIP)
    assert quotas.check(plan, src) == []
    size, count = quotas.measure(definition(plan, plan.workflows[0], src)[0])
    assert 0 < size < quotas.MAX_DEFINITION_BYTES and 0 < count < quotas.MAX_STATES


# -- output form --------------------------------------------------------------------------
def test_flagship_golden():
    plan, src = compiled(FLAGSHIP)
    d, subs = definition(plan, plan.workflows[0], src)
    check(render(d), GOLDEN / "event_processing" / "StepFunctionsOrchestrator.asl.json")
    check(render(subs), GOLDEN / "event_processing" / "StepFunctionsOrchestrator.subs.json")


@pytest.mark.parametrize("name", ["errornames", "errorfan", "errorloop"])
def test_error_path_goldens(name):
    """Steps with several error paths, as written: named catchers, a fan-out on error, one
    inside a loop round (tests/asl/golden/<case>/)."""
    d, _ = asl(case(name))
    check(render(d), GOLDEN / name / f"{workflow(case(name)).logical_id}.asl.json")


def test_emit_writes_one_file_per_workflow_with_placeholders():
    plan, _ = compiled(case("orchestrated"))
    files = emit(plan, Options())
    assert [f.path for f in files] == [
        f"statemachines/{w.logical_id}.asl.json" for w in plan.workflows
    ]
    assert all(f.content.endswith("}\n") and not f.user_owned for f in files)
    assert "${fn_BuildReport}" in files[0].content
    assert files == emit(plan, Options())  # deterministic


def test_output_does_not_depend_on_hash_seeds():
    """No set order leaks into the output: two interpreters, two hash seeds, same bytes."""
    code = (
        "import sys; from pathlib import Path; from fzc.pipeline import analyze; "
        "from fzc.source import Source; from fzc.backends.asl import definition, render\n"
        "for p in sys.argv[1:]:\n"
        "    plan = analyze(Source(p, Path(p).read_text())).plan\n"
        "    for w in plan.workflows: print(render(list(definition(plan, w))))"
    )
    paths = [str(p) for p in CASES]
    outs = {
        subprocess.run(
            [sys.executable, "-c", code, *paths],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outs) == 1


def test_emit_keeps_non_ascii_labels_readable():
    text = 'P { # P\nn1: circle label:"Début"\nn2: rectangle label:"Vérifier la commande"\n'
    text += "n1.handle(right) -> n2.handle(left)\n}\n"
    plan = analyze(Source("accents.fz", text)).plan
    content = emit(plan, Options())[0].content
    assert '"Vérifier la commande"' in content and "\\u" not in content


@pytest.mark.parametrize(("path", "lid"), WORKFLOWS, ids=WF_IDS)
def test_substitutions_are_safe(path, lid):
    plan, _ = compiled(path)
    d, subs = asl(path, lid)
    text = json.dumps(d)
    assert sorted(set(re.findall(r"\$\{([^}]*)\}", text))) == sorted(subs)
    logical_ids = {r.logical_id for r in plan.resources} | {p for p, _ in plan.parameters}
    for key, value in subs.items():
        assert "_" in key and key not in logical_ids  # cfn-lint E1029 / #3786
        assert isinstance(value, dict) and len(value) == 1
        assert next(iter(value)) in ("Ref", "Fn::GetAtt", "Fn::Sub")


@pytest.mark.parametrize("path", DIAGRAMS, ids=[p.stem for p in DIAGRAMS])
def test_comments_name_the_node_and_its_line(path):
    plan, src = compiled(path)
    for wf in plan.workflows:
        d, _ = definition(plan, wf, src)
        steps = {s.node: s for s in wf.steps if s.kind != "task"}
        for s in states(d).values():
            m = re.match(r"(n\w+), line (\d+)", s.get("Comment", ""))
            if m and m.group(1) in steps:
                step = steps[m.group(1)]
                assert int(m.group(2)) == src.line_col(step.span.start)[0]
        named = {
            m.group(1) for s in states(d).values() if (m := re.match(r"(n\w+),", s["Comment"]))
        }
        assert set(steps) <= named


def test_lines_come_from_the_plan_when_no_source_is_given():
    plan, src = compiled(FLAGSHIP)
    assert definition(plan, plan.workflows[0]) == definition(plan, plan.workflows[0], src)


# -- names --------------------------------------------------------------------------------
def test_state_names_are_cleaned_and_unique():
    assert clean("Processing Complete?", "n1") == "Processing Complete"
    assert clean("\x00\t ?? ", "n7") == "n7"
    names = Names()
    long = "Very " * 30
    first, second = names.take(long), names.take(long)
    assert len(first) <= MAX_NAME and len(second) <= MAX_NAME and first != second
    assert second.endswith(" 2")
    assert names.take("A\nB") == "A B"


# -- conventions --------------------------------------------------------------------------
def test_choice_rules_follow_the_decision_convention():
    d, _ = asl(case("decisions"))
    risk = d["States"]["Risk Level"]
    values = [r["And"][1]["StringEquals"] for r in risk["Choices"]]
    assert values == ["Low", "Medium"]  # "High" is last, so it is the Default
    assert {r["And"][0]["Variable"] for r in risk["Choices"]} == {"$.riskLevel"}
    assert risk["Default"] == "Order Failed"
    assert d["States"]["Order Failed"]["Type"] == "Fail"
    reviewed = d["States"]["Reviewed"]  # one branch: its rule and the Default agree
    assert reviewed["Choices"][0]["Next"] == reviewed["Default"] == "Approved"


def test_flagship_choice_and_catch():
    d, subs = asl(FLAGSHIP)
    s = d["States"]
    assert d["StartAt"] == "Processing Complete"
    assert s["Processing Complete"]["Default"] == "Error Handler Lambda"  # "Failure"
    assert s["Error Handler Lambda"]["Catch"][0]["Next"] == "DLQ"
    assert s["DLQ"]["Parameters"]["QueueUrl"] == "${queue_SQSDeadLetterQueue}"
    assert s["Store"]["Resource"] == "arn:aws:states:::dynamodb:putItem"
    assert subs["fn_TransformAndLoad"] == {"Fn::GetAtt": ["TransformAndLoad", "Arn"]}


def test_catch_rules():
    s = asl(case("catch"))[0]["States"]
    catch = {n: st["Catch"][0] for n, st in s.items() if "Catch" in st}
    assert catch["Validate Address"]["Next"] == "Payment Error Handler"  # rule (b)
    assert catch["Charge Card"]["Next"] == "Payment Error Handler"  # rule (a)
    assert s["Charge Card"]["Next"] == "Ship Order"  # the error edge is not a fan-out
    assert catch["Payment Error Handler"]["Next"] == s["Payment Error Handler"]["Next"]
    assert all(c["ErrorEquals"] == ["States.ALL"] for c in catch.values())
    assert all(c["ResultPath"] == "$.error" for c in catch.values())


def _catchers(state: dict) -> list[tuple[list[str], str]]:
    return [(c["ErrorEquals"], c["Next"]) for c in state["Catch"]]


def test_each_error_path_gets_the_catcher_its_label_names():
    """errornames.fz: Charge Card's three error paths each catch what they name, the exact
    errors first and `States.ALL` last (only the first had a catcher: the others were left
    out, "on timeout" even ran as a fan-out); Check Stock's decision names two (rule b)."""
    s = asl(case("errornames"))[0]["States"]
    assert _catchers(s["Charge Card"]) == [
        (["States.Timeout", "Sandbox.Timedout"], "Retry Later"),
        (["Lambda.TooManyRequestsException"], "Back Off"),
        (["States.ALL"], "Payment Error Handler"),
    ]
    assert s["Charge Card"]["Next"] == "Ship Order"  # no error path is a fan-out
    assert _catchers(s["Check Stock"]) == [
        (["States.Timeout", "Sandbox.Timedout"], "Stock Timeout Handler"),
        (["States.ALL"], "Stock Failure Handler"),
    ]


def _error_paths(labels: list[str], kind: str = "rectangle") -> str:
    """A step with a normal way on and one error path per label, each to a handler."""
    lines = ["L { # L", 'n1: circle label:"Begin"', 'n2: rectangle label:"Call API"']
    lines += ['n3: circle label:"Done"', "n1.handle(right) -> n2.handle(left)"]
    lines.append("n2.handle(right) -> n3.handle(left)")
    for i, label in enumerate(labels, start=4):
        lines.append(f'n{i}: rectangle label:"Handler {i}"')
        lines.append(f'n2.handle(bottom) -> n{i}.handle(left) [label="{label}"]')
    return "\n".join([*lines, "}"]) + "\n"


@pytest.mark.parametrize(
    ("labels", "catchers"),
    [
        # named errors before any error; "task failed" is any error, like "error": both run
        (
            ["task failed", "throttling error", "error"],
            [
                (["Lambda.TooManyRequestsException"], "Handler 5"),
                (["States.ALL"], "Call API (on error)"),
            ],
        ),
        # one path naming two errors (a function's timeout has two names): one catcher
        (
            ["timeout or access denied"],
            [(["States.Timeout", "Sandbox.Timedout", "States.Permissions"], "Handler 4")],
        ),
        # two paths sharing one error, another naming it alone: that error takes both
        (
            ["timeout", "timeout or throttling"],
            [
                (["States.Timeout", "Sandbox.Timedout"], "Call API (on timeout)"),
                (["Lambda.TooManyRequestsException"], "Handler 5"),
            ],
        ),
    ],
)
def test_catchers_never_hide_one_another(labels, catchers):
    plan, src = _analysed(_error_paths(labels))
    (wf,) = plan.workflows
    d, _ = definition(plan, wf, src)
    assert _catchers(d["States"]["Call API"]) == catchers
    assert oracle.check(plan, wf, d).problems() == []


def test_a_failure_with_two_error_paths_takes_both():
    """errorfan.fz: Capture Payment goes "on error" to Notify Ops and "dead letter" to the
    queue: both catch any error, so a failure runs both (the queue was left out, and ran
    only as an entry of its own)."""
    d, report = explored("errorfan")
    s = d["States"]
    assert _catchers(s["Capture Payment"]) == [(["States.ALL"], "Capture Payment (on error)")]
    fan = s[s["Capture Payment (on error)"]["Next"]]
    assert fan["Type"] == "Parallel"
    assert [b["StartAt"] for b in fan["Branches"]] == ["Notify Ops", "dead letter"]
    assert "Entry" not in s  # the queue is no longer a start of its own
    assert {("n2", "n2.on-error"), ("n2.on-error", "n4")} <= {
        (a.source, a.target) for a in report.arcs
    }


def test_fan_out_becomes_parallel_joined_at_the_common_successor():
    s = asl(case("fanout"))[0]["States"]
    split = s["Split Work (parallel)"]
    assert [b["StartAt"] for b in split["Branches"]] == ["Resize Image", "Extract Text"]
    assert split["Next"] == "Merge Results"
    assert all(st.get("End") for b in split["Branches"] for st in b["States"].values())
    merged = s["Merge Results (parallel)"]  # no common successor: each branch runs to its end
    assert merged["End"] is True and len(merged["Branches"]) == 2


def test_orchestrator_with_several_first_steps_starts_a_parallel():
    d, subs = asl(case("orchestrated"), "StepFunctionsOrchestrator")
    assert d["States"][d["StartAt"]]["Type"] == "Parallel"
    tasks = {n: st for n, st in states(d).items() if st.get("ResultPath", 0) is None}
    resources = sorted(st["Resource"].rsplit(":::", 1)[1] for st in tasks.values())
    assert resources == [
        "aws-sdk:kinesis:putRecord",
        "aws-sdk:s3:putObject",
        "events:putEvents",
        "sns:publish",
        "states:startExecution",
    ]
    assert sorted(k.split("_")[0] for k in subs) == sorted(
        ["bucket", "bus", "fn", "fn", "fn", "machine", "stream", "topic"]
    )


def test_workflow_without_steps_is_a_single_succeed():
    d, subs = asl(case("orchestrated"), "ArchiveStateMachine")
    assert [s["Type"] for s in d["States"].values()] == ["Succeed"] and subs == {}


def test_several_start_events_are_chosen_by_entry():
    s = asl(case("entries"))[0]
    entry = s["States"][s["StartAt"]]
    assert entry["Type"] == "Choice" and entry["Default"] == "Web Order"
    assert entry["Choices"][0]["Next"] == "Phone Order"


def test_loops_become_guarded_counter_loops():
    s = asl(case("loops"))[0]["States"]
    assert s["Fetch Batch (loop)"]["Parameters"] == {"round": 0, "data.$": "$"}
    body = s["Fetch Batch (loop body)"]
    assert body["InputPath"] == "$.data" and body["ResultPath"] == "$.result"
    inner = body["Branches"][0]["States"]
    assert inner["More Items"]["Choices"][0]["Next"] == "Fetch Batch (again)"
    assert inner["Fetch Batch (again)"]["Parameters"] == {"next": "again", "data.$": "$"}
    assert s["Fetch Batch (loop limit)"]["Error"] == LOOP_LIMIT
    fragment = inner["Fetch Batch"]["Retry"][-1]  # `loop [...]` fragment: bounded retries
    assert fragment["ErrorEquals"] == ["States.TaskFailed"]
    assert fragment["MaxAttempts"] == LOOP_REPEATS


def test_decision_without_branches_is_a_pass():
    path = next(p for p in DIAGRAMS if "loop-only" in p.name)
    d, _ = asl(path)
    assert [s["Type"] for s in d["States"].values()] == ["Pass"]


# -- graph check --------------------------------------------------------------------------
def _machine(**states_: dict) -> dict:
    return {"StartAt": next(iter(states_)), "States": states_}


@pytest.mark.parametrize(
    ("definition_", "expected"),
    [
        (_machine(A={"Type": "Pass", "Next": "B"}), "unknown state 'B'"),
        (_machine(A={"Type": "Pass", "End": True}, B={"Type": "Succeed"}), "B: unreachable"),
        (_machine(A={"Type": "Pass", "Next": "A", "End": True}), "exactly one of Next and End"),
        (_machine(A={"Type": "Pass", "Next": "A"}), "no terminal state"),
        (_machine(A={"Type": "Choice", "Choices": [], "Default": "A"}), "needs Choices"),
        (_machine(A={"Type": "Succeed", "End": True}), "cannot have Next or End"),
        (_machine(A={"Type": "Wat", "End": True}), "unknown state type"),
        (
            _machine(A={"Type": "Task", "Resource": "x", "End": True, "Catch": [{"Next": "Z"}]}),
            "Catch[0].Next: transition to unknown state 'Z'",
        ),
        (
            _machine(
                A={
                    "Type": "Parallel",
                    "Branches": [_machine(A={"Type": "Pass", "Next": "Q"})],
                    "End": True,
                }
            ),
            "Branches[0]/States/A/Next",
        ),
        ({"StartAt": "X", "States": {"A": {"Type": "Succeed"}}}, "'X' is not a state"),
    ],
)
def test_graph_check_reports(definition_, expected):
    found = problems(definition_)
    assert any(expected in p for p in found), found


def test_graph_check_reports_duplicate_names_across_branches():
    branch = _machine(A={"Type": "Succeed"})
    d = _machine(A={"Type": "Parallel", "Branches": [branch], "End": True})
    assert problems(d) == ["state name 'A' is used 2 times"]


# -- execution in moto --------------------------------------------------------------------
def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.py", "def handler(event, context):\n    return event\n")
    return buf.getvalue()


@cache
def _clients() -> dict:
    """boto3 clients, made once (inside the first mock): they stay mocked in later mocks,
    and making them is most of a fresh mock's cost."""
    import boto3

    return {s: boto3.client(s, region_name=REGION) for s in SERVICES}


class Aws:
    """moto with the executing Step Functions backend and in-process Lambda handlers."""

    def __init__(self, lambdas) -> None:
        self.lambdas = lambdas
        self.client = _clients()
        self.sfn = self.client["stepfunctions"]
        trust = json.dumps({"Version": "2012-10-17", "Statement": []})
        role = self.client["iam"].create_role(RoleName="sfn", AssumeRolePolicyDocument=trust)
        self.role = role["Role"]["Arn"]
        self.values: dict[str, str] = {}
        self.code = _zip()

    def provide(self, subs: dict) -> dict[str, str]:
        """A real resource for each substitution key (created once), its ARN/name/URL."""
        for key in subs:
            if key not in self.values:
                prefix, name = key.split("_", 1)
                self.values[key] = PROVISION_BY_PREFIX[prefix](self, name)
        return self.values

    def deploy(self, d: dict, subs: dict, name: str) -> str:
        from fzc.simulate import sfn

        return sfn.register(self.sfn, name, sfn.fill(d, self.provide(subs)), self.role)

    def run(self, arn: str, payload: dict, name: str):
        from fzc.simulate import sfn

        return sfn.run(self.sfn, arn, payload, name)


def _function(aws: Aws, name: str) -> str:
    if name not in aws.lambdas.handlers:
        aws.lambdas.register(name, lambda event, context: event)
    fn = aws.client["lambda"].create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=aws.role,
        Handler="index.handler",
        Code={"ZipFile": aws.code},
    )
    return fn["FunctionArn"]


def _table(aws: Aws, name: str) -> str:
    aws.client["dynamodb"].create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def _bucket(aws: Aws, name: str) -> str:
    aws.client["s3"].create_bucket(Bucket=name.lower())
    return name.lower()


def _stream(aws: Aws, name: str) -> str:
    aws.client["kinesis"].create_stream(StreamName=name, ShardCount=1)
    return name


def _bus(aws: Aws, name: str) -> str:
    aws.client["events"].create_event_bus(Name=name)
    return name


def _machine_arn(aws: Aws, name: str) -> str:
    from fzc.simulate import sfn

    child = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    return sfn.register(aws.sfn, name, child, aws.role)


PROVISION_BY_PREFIX = {
    "fn": _function,
    "table": _table,
    "queue": lambda aws, name: aws.client["sqs"].create_queue(QueueName=name)["QueueUrl"],
    "topic": lambda aws, name: aws.client["sns"].create_topic(Name=name)["TopicArn"],
    "bus": _bus,
    "machine": _machine_arn,
    "bucket": _bucket,
    "stream": _stream,
}
SERVICES = ("lambda", "dynamodb", "sqs", "sns", "events", "s3", "kinesis", "iam", "stepfunctions")


@pytest.fixture
def aws(monkeypatch):
    from moto import mock_aws

    from fzc.simulate import sfn
    from fzc.simulate.lambdas import InProcessLambdas

    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(k, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    logging.getLogger("moto").setLevel(logging.CRITICAL)  # the parser logs every Fail state
    config = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
    with mock_aws(config=config), InProcessLambdas() as lambdas, sfn.simulation():
        yield Aws(lambdas)


def test_flagship_runs_both_branches(aws):
    def transform(event, context):
        return {**event, "loaded": True}

    def handle_error(event, context):
        return {"reason": "processing failed", "input": event}

    aws.lambdas.register("TransformAndLoad", transform)
    aws.lambdas.register("ErrorHandlerLambda", handle_error)
    d, subs = asl(FLAGSHIP)
    arn = aws.deploy(d, subs, "flagship")

    ok = aws.run(arn, {"processingComplete": "Success", "id": "r-1"}, "success")
    assert ok.status == "SUCCEEDED", ok
    items = aws.client["dynamodb"].scan(TableName="DynamoDBTable")["Items"]
    assert [json.loads(i["data"]["S"]) for i in items] == [
        {"processingComplete": "Success", "id": "r-1", "loaded": True}
    ]
    assert items[0]["pk"]["S"] == "success#Store"

    bad = aws.run(arn, {"processingComplete": "Failure", "id": "r-2"}, "failure")
    assert bad.status == "SUCCEEDED" and bad.entered[-1] == "DLQ", bad
    url = aws.values["queue_SQSDeadLetterQueue"]
    messages = aws.client["sqs"].receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    bodies = [json.loads(m["Body"]) for m in messages["Messages"]]
    assert bodies == [
        {"reason": "processing failed", "input": {"processingComplete": "Failure", "id": "r-2"}}
    ]
    assert len(aws.client["dynamodb"].scan(TableName="DynamoDBTable")["Items"]) == 1
    assert [i.function for i in aws.lambdas.invocations] == [
        "TransformAndLoad",
        "ErrorHandlerLambda",
    ]


def test_flagship_error_handler_failure_still_reaches_the_queue(aws):
    def broken(event, context):
        raise RuntimeError("handler down")

    aws.lambdas.register("ErrorHandlerLambda", broken)
    d, subs = asl(FLAGSHIP)
    arn = aws.deploy(d, subs, "flagship")
    ex = aws.run(arn, {"processingComplete": "Failure"}, "broken")
    assert ex.status == "SUCCEEDED" and ex.entered[-1] == "DLQ", ex
    url = aws.values["queue_SQSDeadLetterQueue"]
    body = json.loads(aws.client["sqs"].receive_message(QueueUrl=url)["Messages"][0]["Body"])
    assert body["error"]["Error"] == "RuntimeError"


def _decisions(d: dict) -> dict[str, tuple[str, dict, str]]:
    """Choice state -> (field it tests, {value: next state}, Default) for diagram decisions
    (and the entry choice), not the loop checks. A decision in a serial region reads the
    same field of the wrapped data (`$.data.Payload.<field>`)."""
    found = {}
    for name, s in states(d).items():
        rules = [r for r in s.get("Choices", []) if "IsPresent" in r.get("And", [{}])[0]]
        if rules:
            var = rules[0]["And"][0]["Variable"]
            field = var.removeprefix("$.data.Payload.").removeprefix("$.")
            values = {r["And"][1]["StringEquals"]: r["Next"] for r in rules}
            found[name] = (field, values, s["Default"])
    return found


@pytest.mark.parametrize(("path", "lid"), WORKFLOWS, ids=WF_IDS)
def test_every_branch_runs_to_a_terminal_state(aws, path, lid):
    d, subs = asl(path, lid)
    explore(aws, d, subs, re.sub(r"[^A-Za-z0-9-]", "-", f"{path.stem}-{lid}")[:80])


def explore(aws: Aws, d: dict, subs: dict, name: str) -> None:
    """Runs inputs (the handlers echo their input, so each decision reads the execution
    input) until every branch of every decision has been taken, each run ending in a
    terminal state and each decision going where its rule says."""
    arn = aws.deploy(d, subs, name)
    allowed = {LOOP_LIMIT} | {s["Error"] for s in states(d).values() if s["Type"] == "Fail"}
    choices = _decisions(d)
    todo, tried, taken = [{}], set(), set()
    while todo:
        payload = todo.pop(0)
        if json.dumps(payload, sort_keys=True) in tried:
            continue
        tried.add(json.dumps(payload, sort_keys=True))
        ex = aws.run(arn, payload, f"run-{len(tried)}")
        ended = ex.status == "SUCCEEDED" or (ex.status == "FAILED" and ex.error in allowed)
        assert ended, (payload, ex)
        for choice in dict.fromkeys(n for n in ex.entered if n in choices):
            field, values, default = choices[choice]
            value = payload.get(field) if payload.get(field) in values else None
            went = {to for left, to in ex.transitions if left == choice}
            assert went == {values.get(value, default)}, (payload, ex.transitions)
            taken.add((choice, value))
            if field not in payload:
                todo += [payload | {field: v} for v in values]
    wanted = {(n, v) for n, (_, values, _) in choices.items() for v in [*values, None]}
    assert wanted <= taken, wanted - taken


def test_handler_files_load_with_their_own_helpers(tmp_path):
    from fzc.simulate.lambdas import load

    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "_helper.py").write_text(f"NAME = {name!r}\n")
        (tmp_path / name / "handler.py").write_text(
            "import _helper\n\ndef handler(event, context):\n    return _helper.NAME\n"
        )
    handlers = [load(f"{tmp_path / n / 'handler.py'}:handler") for n in ("a", "b")]
    assert [h({}, None) for h in handlers] == ["a", "b"]


def test_handlers_see_their_function_environment(aws):
    aws.lambdas.register("Env", lambda event, context: {"table": os.environ.get("TABLE")})
    fn = aws.client["lambda"].create_function(
        FunctionName="Env",
        Runtime="python3.12",
        Role=aws.role,
        Handler="index.handler",
        Code={"ZipFile": aws.code},
        Environment={"Variables": {"TABLE": "orders"}},
    )
    reply = aws.client["lambda"].invoke(FunctionName=fn["FunctionArn"], Payload=b"{}")
    assert json.loads(reply["Payload"].read()) == {"table": "orders"}
    assert "TABLE" not in os.environ


def test_catch_routes_a_crash_to_the_error_handler(aws):
    def charge(event, context):
        raise ValueError("card declined")

    aws.lambdas.register("ChargeCard", charge)
    d, subs = asl(case("catch"))
    arn = aws.deploy(d, subs, "catch")
    ex = aws.run(arn, {"addressOk": "Yes"}, "declined")
    assert ex.entered[-3:] == ("Charge Card", "Payment Error Handler", "dead letter"), ex
    handled = aws.lambdas.calls("PaymentErrorHandler")[0].event
    assert handled["error"]["Error"] == "ValueError"


def test_a_crash_with_two_error_paths_runs_both(aws):
    """errorfan.fz: a failure of Capture Payment reaches Notify Ops and the dead-letter
    queue, each with the error beside the input."""

    def capture(event, context):
        raise ValueError("gateway down")

    aws.lambdas.register("CapturePayment", capture)
    d, subs = asl(case("errorfan"))
    arn = aws.deploy(d, subs, "errorfan")
    ex = aws.run(arn, {"id": 7}, "down")
    assert ex.status == "SUCCEEDED", ex
    assert {"Notify Ops", "dead letter"} <= set(ex.entered), ex
    assert "Send Receipt" not in ex.entered
    handled = aws.lambdas.calls("NotifyOps")[0].event
    assert handled["id"] == 7 and handled["error"]["Error"] == "ValueError"


def test_loop_carries_data_from_round_to_round(aws):
    def process(event, context):
        left = event.get("left", 2) - 1
        return {**event, "left": left, "moreItems": "Yes" if left > 0 else "No"}

    aws.lambdas.register("ProcessBatch", process)
    d, subs = asl(case("loops"))
    arn = aws.deploy(d, subs, "loops")
    ex = aws.run(arn, {"left": 3, "ready": "Yes"}, "three")
    assert ex.status == "SUCCEEDED", ex
    assert ex.output == {"left": 0, "moreItems": "No", "ready": "Yes"}
    assert len(aws.lambdas.calls("FetchBatch")) == 3

    endless = aws.run(arn, {"left": 99, "ready": "Yes"}, "endless")
    assert (endless.status, endless.error) == ("FAILED", LOOP_LIMIT)
    assert len(aws.lambdas.calls("FetchBatch")) == 3 + LOOP_REPEATS + 1


def test_back_edge_from_a_fan_out_branch_goes_round_again(aws):
    """fanloop.fz: Scatter fans out to Left Half and Right Half, and each half's check goes
    back to Scatter (round again) or on to Gather (out of the loop). A branch cannot end a
    round, so the round runs the halves in sequence (no Parallel, no `fzc.LoopAgain`); it
    reports both ways on it took, and Gather runs once, after the last round."""
    tries = {"n": 0}

    def left(event, context):
        tries["n"] += 1
        return {**event, "leftOk": "Yes" if tries["n"] >= 2 else "No"}

    aws.lambdas.register("LeftHalf", left)
    d, subs = asl(case("fanloop"))
    assert not [s for s in _all_states(d) if s.get("Error") == "fzc.LoopAgain"]
    arn = aws.deploy(d, subs, "fanloop")
    ex = aws.run(arn, {"rightOk": "Yes"}, "retry-once")
    assert ex.status == "SUCCEEDED" and ex.entered.count("Gather") == 1, ex
    assert ex.entered.index("Gather") > max(i for i, n in enumerate(ex.entered) if n == "Left Half")
    assert tries["n"] == 2 and _functions(aws).count("RightHalf") == 2


def test_asl_validator_accepts_every_definition(checkers):  # near the end: see the fixture
    proc = checkers["asl-validator"]
    if proc is None:
        pytest.skip("node_modules missing: run `npm ci` (CI installs asl-validator)")
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stdout + stderr
    assert stdout.count("is valid") == len(WORKFLOWS)


def test_cfn_lint_accepts_every_definition(checkers):
    stdout, stderr = checkers["cfn-lint"].communicate(timeout=300)
    assert checkers["cfn-lint"].returncode == 0, stdout + stderr


# -- the serial region and loops with several entries, executed ----------------------------
def _functions(aws: Aws, since: int = 0) -> list[str]:
    return [i.function for i in aws.lambdas.invocations[since:]]


def test_entangled_fan_out_runs_each_step_once_in_order(aws):
    """tangle.fz: Reserve Stock feeds both Check Fraud and Ship Order, so the fan-out after
    Split Order is entangled: one sequence, no Parallel, no copy; a join waits for all."""
    d, subs = asl(case("tangle"))
    assert all(s["Type"] != "Parallel" for s in _all_states(d))
    assert set(_own_states(d).values()) == {1}
    arn = aws.deploy(d, subs, "tangle")
    before = ["SplitOrder", "ReserveStock", "PriceOrder", "CheckFraud"]
    ok = aws.run(arn, {"fraudFree": "Yes", "id": 7}, "yes")
    assert ok.status == "SUCCEEDED" and ok.output == {"fraudFree": "Yes", "id": 7}, ok
    assert _functions(aws) == [*before, "PackOrder", "ShipOrder"]
    n = len(aws.lambdas.invocations)
    held = aws.run(arn, {"fraudFree": "No"}, "no")  # Ship Order is still due from Reserve
    assert held.status == "SUCCEEDED" and _functions(aws, n) == [*before, "HoldOrder", "ShipOrder"]


def test_catch_in_the_serial_region_marks_the_handler_due(aws):
    def price(event, context):
        raise ValueError("no price list")

    aws.lambdas.register("PriceOrder", price)
    d, subs = asl(case("tangle"))
    arn = aws.deploy(d, subs, "tangle")
    ex = aws.run(arn, {"fraudFree": "Yes"}, "no-price")
    assert ex.status == "SUCCEEDED", ex
    assert _functions(aws)[-1] == "PricingErrorHandler"  # the others still ran first
    assert "CheckFraud" in _functions(aws)  # due from Reserve Stock as well
    assert aws.lambdas.calls("PricingErrorHandler")[0].event["error"]["Error"] == "ValueError"


def test_a_loop_entered_at_two_steps_is_one_loop(aws):
    """twoway.fz: the cycle Write Draft <-> Review Draft is entered at either step; one loop
    machine, each round starting where `at` says; still bounded."""
    d, subs = asl(case("twoway"))
    assert [n for n in states(d) if n.endswith("(loop body)")] == ["Write Draft (loop body)"]
    assert set(_own_states(d).values()) == {1}
    arn = aws.deploy(d, subs, "twoway")
    ready = aws.run(arn, {"draftReady": "Yes", "approved": "Yes"}, "ready")
    assert ready.status == "SUCCEEDED" and _functions(aws) == ["ReviewDraft"]
    n = len(aws.lambdas.invocations)
    draft = aws.run(arn, {"draftReady": "No", "approved": "Yes"}, "draft")
    assert draft.status == "SUCCEEDED" and _functions(aws, n) == ["WriteDraft", "ReviewDraft"]
    n = len(aws.lambdas.invocations)
    endless = aws.run(arn, {"draftReady": "Yes", "approved": "No"}, "endless")
    assert (endless.status, endless.error) == ("FAILED", LOOP_LIMIT)
    assert len(_functions(aws, n)) == LOOP_REPEATS + 1  # one step per round: each is an entry


def test_serial_region_inside_a_loop_round(aws):
    """tangleloop.fz: the entangled fan-out after Fetch Pages is inside the loop; the region
    reports the way back (or out) when its steps are done."""
    d, subs = asl(case("tangleloop"))
    arn = aws.deploy(d, subs, "tangleloop")
    once = ["FetchPages", "ParseLeft", "ParseRight", "IndexWords", "IndexLinks"]
    done = aws.run(arn, {"allIndexed": "Yes"}, "done")
    assert done.status == "SUCCEEDED" and done.output == {"allIndexed": "Yes"}, done
    assert _functions(aws) == once
    n = len(aws.lambdas.invocations)
    endless = aws.run(arn, {"allIndexed": "No"}, "endless")
    assert (endless.status, endless.error) == ("FAILED", LOOP_LIMIT)
    assert _functions(aws, n) == once * (LOOP_REPEATS + 1)


# -- every transition realised: loops with fan-outs (tests/asl/explore.py) ------------------
@pytest.mark.parametrize(("path", "lid"), WORKFLOWS, ids=WF_IDS)
def test_every_transition_is_realised(path, lid):
    """Every execution explored: each transition's target runs after it (every decision
    branch, every caught failure), and no step runs unasked."""
    plan, _ = compiled(path)
    report = oracle.check(plan, workflow(path, lid), asl(path, lid)[0])
    assert report.problems() == []


# Each case is a shape the lowering used to drop an edge of: the edge, and why it was dropped.
ONCE_DROPPED = {
    # a fan-out inside a loop round with a way out beside a step of the round: a round
    # reported one way on, so the way out was lost
    "roundexit": ("n3", "n6"),
    # a fan-out inside a round with a way round again, to another entry, beside a step
    "reentry": ("n7", "n3"),
    # a fan-out with one lane whose join is a loop: the loop was entered only where the lane
    # leads, never at the entry the fan-out leads to itself
    "loopjoin": ("n2", "n5"),
    # a fan-out into a round's serial region that also goes round again: its flag was set
    # but no state tested it
    "rescan": ("n6", "n4"),
    # a way round again from a branch of a Parallel inside the round: fzc.LoopAgain ran the
    # round again from where it had started, never from where the way led
    "backjump": ("n7", "n3"),
}


@pytest.mark.parametrize("name", list(ONCE_DROPPED))
def test_loops_with_fan_outs_realise_the_edges_they_used_to_drop(name):
    d, report = explored(name)
    assert report.problems() == [] and report.succeeded
    assert ONCE_DROPPED[name] in {(a.source, a.target) for a in report.arcs}
    assert not [s for s in _all_states(d) if s.get("Error") == "fzc.LoopAgain"]


GENERATED = [(n, seed) for n in (20, 30, 40, 50, 60) for seed in range(4)]


@pytest.mark.parametrize(("n", "seed"), GENERATED, ids=[f"{n}-{s}" for n, s in GENERATED])
def test_generated_loops_and_fan_outs_realise_every_edge(n, seed):
    """bench/gen.py N --seed S --back 0.1: back edges make loops across crossing fan-outs.
    Still valid, bounded, no state copied, linear in size, and every edge realised."""
    plan, src = _analysed(_bench_generate()(n, seed=seed, back=0.1))
    for wf in plan.workflows:
        d, _ = definition(plan, wf, src)
        assert problems(d) == [] and _unguarded_cycles(d) == []
        own = _own_states(d)
        assert set(own.values()) == {1} and len(own) == len(wf.steps)
        assert quotas.measure(d)[1] <= 3 * (len(wf.steps) + len(wf.transitions))
        assert oracle.check(plan, wf, d).problems() == []


def test_a_back_jump_from_deep_in_a_round_is_realised():
    """bench/gen.py 185 --seed 2 --back 0.1: n65 -> n66 went round again from a nested
    Parallel branch, and `fzc.LoopAgain` restarted the round where it had started, never at
    n66. (185 nodes pass the template's resource quota: built in-process.)"""
    plan, src = _analysed(_bench_generate()(185, seed=2, back=0.1))
    (wf,) = plan.workflows
    d, _ = definition(plan, wf, src)
    assert not [s for s in _all_states(d) if s.get("Error") == "fzc.LoopAgain"]
    report = oracle.check(plan, wf, d)
    assert report.problems() == [] and ("n65", "n66") in {(a.source, a.target) for a in report.arcs}


# A Parallel goes on to its join whatever its branches did. Where every branch may finish
# without taking the way to the join, the fan-out runs in sequence and the join's guard
# decides: it runs when at least one branch took the way to it. Each case: the join.
OPTIONAL_JOINS = {
    # Credit OK? and Fraud Clear? each go on to Merge Results, or end
    "optjoin": "n5",
    # Charge Card's failure is caught by a handler that ends; In Stock? No ends
    "catchjoin": "n5",
    # the orchestrator's two first steps, decisions that may end before Build Report
    "orchjoin": "n4",
    # inside a Parallel branch: No goes to the outer join, which ends the branch first
    "nestedjoin": "n7",
}


@pytest.mark.parametrize("name", list(OPTIONAL_JOINS))
def test_a_join_runs_only_when_a_branch_took_the_way_to_it(name):
    d, report = explored(name)
    assert report.problems() == [] and report.succeeded
    join = OPTIONAL_JOINS[name]
    guard = due_test(join).items()  # the join's `(if due)` Choice
    assert any(guard <= r.items() for s in _all_states(d) for r in s.get("Choices", []))
    assert not [s for s in _all_states(d) if s["Comment"].endswith(f"joins at {join}")]


def test_a_join_some_branch_is_sure_to_take_stays_parallel():
    """failjoin.fz: each check goes on to Merge Results or to a failure end, which fails the
    execution: a branch that finishes has taken the way to the join."""
    d, report = explored("failjoin")
    assert d["States"]["Start Checks (parallel)"]["Next"] == "Merge Results"
    assert report.problems() == []


def test_a_parallel_goes_on_into_a_loop_where_the_fan_out_leads():
    """loopentry.fz: Split Work leads to Review Draft, an entry of the loop Write Draft ->
    Review Draft -> Approved? (Has Draft? No enters it at Write Draft): the Parallel beside
    Notify Team goes on at Review Draft, not at the loop's first step."""
    d, report = explored("loopentry")
    assert d["States"]["Split Work (parallel)"]["Next"] == "Review Draft (loop)"
    assert d["States"]["Review Draft (loop)"]["Parameters"]["at"] == "n5"
    assert report.problems() == []


# The oracle itself: edits that lose a transition (or run a step unasked) are found.
def _edited(d: dict, name: str, **fields) -> dict:
    """A copy of `d` with the fields of state `name` (in any States object) replaced."""
    d = json.loads(json.dumps(d))
    todo = [d]
    while todo:
        scope = todo.pop()
        if name in scope["States"]:
            scope["States"][name].update(fields)
            return d
        todo += [b for s in scope["States"].values() for b in s.get("Branches", [])]
    raise KeyError(name)


def _flags(d: dict, name: str) -> dict:
    return next(s for n, s in states(d).items() if n == name)["Parameters"]


@pytest.mark.parametrize(
    ("name", "edit", "found"),
    [
        # the fan-out no longer marks its way out of the loop
        ("roundexit", ("Split Batch (fan-out)", "due", "|"), "n3 -> n6"),
        # the decision's Rewrite no longer asks for another round at Write Draft
        ("backjump", ("Facts OK (Rewrite)", "due.$", "$.due"), "n7 -> n3"),
        # the loop is no longer started at Reserve Items when that is due
        ("loopjoin", ("Price Order (enter at Reserve Items)", "at.$", "$.at"), "n2 -> n5"),
    ],
)
def test_the_oracle_finds_a_lost_flag(name, edit, found):
    plan, _ = compiled(case(name))
    d = asl(case(name))[0]
    state, key, value = edit
    params = _flags(d, state) | {key: value}
    report = oracle.check(plan, workflow(case(name)), _edited(d, state, Parameters=params))
    assert any(p.startswith(found) for p in report.problems()), report.problems()


def test_the_oracle_finds_a_catcher_leading_to_the_wrong_handler():
    plan, _ = compiled(case("errornames"))
    d = asl(case("errornames"))[0]
    catchers = d["States"]["Charge Card"]["Catch"]
    swapped = [catchers[1] | {"Next": "Retry Later"}, catchers[0] | {"Next": "Back Off"}]
    edit = _edited(d, "Charge Card", Catch=[*swapped[::-1], catchers[2]])
    found = oracle.check(plan, workflow(case("errornames")), edit).problems()
    assert any(p.startswith("n2 -> n4 (catch)") for p in found), found


def test_the_oracle_finds_a_transition_the_classification_left_out():
    plan, _ = compiled(case("errorfan"))
    wf = workflow(case("errorfan"))
    flow = oracle.flows.build(plan, wf)
    kept = tuple(a for a in flow.arcs if a.edge != 3)  # the way to the queue, as before
    assert oracle._unclassified(replace(flow, arcs=kept)) == [
        "n2 -> e3 (edge 3): no arc, so no state realises it"
    ]


def test_the_oracle_finds_a_loop_that_never_goes_round_again():
    plan, _ = compiled(case("loops"))
    d = asl(case("loops"))[0]
    check_ = d["States"]["Fetch Batch (loop check)"]
    report = oracle.check(plan, workflow(case("loops")), _edited(d, "Fetch Batch (loop check)",
                          Choices=check_["Choices"][1:]))  # fmt: skip
    assert any(p.startswith("n4 -> n2") for p in report.problems()), report.problems()


def test_the_oracle_finds_a_step_run_unasked_and_a_round_restarted():
    plan, _ = compiled(case("tangle"))
    d = asl(case("tangle"))[0]
    guard = next(n for n in d["States"] if n.endswith("(if due)"))
    runs = d["States"][guard]["Choices"][0]["Next"]
    report = oracle.check(plan, workflow(case("tangle")), _edited(d, guard, Default=runs))
    assert any("runs unasked" in p for p in report.problems()), report.problems()


# Executed in moto: the steps the lowering used to drop run.
def test_a_round_reports_both_ways_out_it_took(aws):
    """roundexit.fz: Split Batch fans out to Process Items (in the loop) and Audit Batch
    (out of it); More Items? No leaves towards Archive Batch. Both ways out run, once the
    loop is done, and Done joins them."""
    d, subs = asl(case("roundexit"))
    arn = aws.deploy(d, subs, "roundexit")
    ex = aws.run(arn, {"moreItems": "No"}, "once")
    assert ex.status == "SUCCEEDED", ex
    loop = ["FetchBatch", "SplitBatch", "ProcessItems"]
    assert _functions(aws) == [*loop, "AuditBatch", "ArchiveBatch"]
    assert ex.entered.count("Done") == 1


def test_a_loop_joined_by_a_fan_out_starts_at_both_entries(aws):
    """loopjoin.fz: Receive Order fans out to Check Stock (which leads into the loop at Price
    Order) and straight into the loop at Reserve Items: one round runs both entries."""
    d, subs = asl(case("loopjoin"))
    arn = aws.deploy(d, subs, "loopjoin")
    ex = aws.run(arn, {"packed": "Done"}, "done")
    assert ex.status == "SUCCEEDED", ex
    assert _functions(aws) == [
        "ReceiveOrder",
        "CheckStock",
        "PriceOrder",
        "ReserveItems",
        "PackOrder",
        "ShipOrder",
    ]


def test_a_fan_out_going_round_again_starts_the_next_round_at_both_entries(aws):
    """reentry.fz: Log Flaky Test fans out to Quarantine Test (in the round, and back to Write
    Fix) and back to Investigate: the next round starts at both entries, Investigate first."""
    verdicts = iter(["Flaky", "Pass"])
    aws.lambdas.register("RunTests", lambda event, context: {**event, "testsPass": next(verdicts)})
    d, subs = asl(case("reentry"))
    arn = aws.deploy(d, subs, "reentry")
    ex = aws.run(arn, {"reproducible": "Yes"}, "flaky")
    assert ex.status == "SUCCEEDED", ex
    assert _functions(aws) == [
        *("WriteFix", "RunTests", "LogFlakyTest", "QuarantineTest"),
        *("Investigate", "WriteFix", "RunTests", "ReleaseFix"),
    ]


def test_a_fan_out_always_going_round_again_still_stops_at_the_limit(aws):
    """roundexit.fz, every round going round again: the loop stops at its limit with
    fzc.LoopLimitReached, but the way out each round also took (Audit Batch) runs first."""
    d, subs = asl(case("roundexit"))
    arn = aws.deploy(d, subs, "roundexit")
    ex = aws.run(arn, {"moreItems": "Yes"}, "endless")
    assert (ex.status, ex.error) == ("FAILED", LOOP_LIMIT)
    loop = ["FetchBatch", "SplitBatch", "ProcessItems"]
    assert _functions(aws) == loop * (LOOP_REPEATS + 1) + ["AuditBatch"]


def test_a_way_back_from_a_fan_out_branch_starts_the_next_round_there(aws):
    """backjump.fz: the round started at Submit Draft; Facts OK? Rewrite (inside the fan-out
    after Split Review) goes back to Write Draft, which the next round starts at."""
    facts = iter(["Rewrite", "OK"])
    aws.lambdas.register("CheckFacts", lambda event, context: {**event, "factsOk": next(facts)})
    d, subs = asl(case("backjump"))
    arn = aws.deploy(d, subs, "backjump")
    ex = aws.run(arn, {"hasDraft": "Yes"}, "facts")
    assert ex.status == "SUCCEEDED", ex
    review = ["SplitReview", "CheckFacts", "CheckStyle", "MergeReviews"]
    assert _functions(aws) == ["SubmitDraft", *review, "WriteDraft", "SubmitDraft", *review]


def test_a_join_no_branch_took_does_not_run(aws):
    """optjoin.fz: Merge Results runs once when either check goes on to it, never when both
    end first."""
    d, subs = asl(case("optjoin"))
    arn = aws.deploy(d, subs, "optjoin")
    runs = {}
    for credit, fraud in [("Yes", "Yes"), ("Yes", "No"), ("No", "Yes"), ("No", "No")]:
        n = len(aws.lambdas.invocations)
        ex = aws.run(arn, {"creditOk": credit, "fraudClear": fraud}, f"{credit}-{fraud}")
        assert ex.status == "SUCCEEDED", ex
        runs[credit, fraud] = _functions(aws, n)
    assert runs == {
        ("Yes", "Yes"): ["StartChecks", "MergeResults"],
        ("Yes", "No"): ["StartChecks", "MergeResults"],
        ("No", "Yes"): ["StartChecks", "MergeResults"],
        ("No", "No"): ["StartChecks"],
    }
