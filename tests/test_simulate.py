"""`fzc simulate`: the flagship runs end to end in moto with the generated handlers, broken
plans are caught before the run, user scenarios are judged, and the report has a fixed shape.

Code fixtures live in tests/simulate/codes/<CODE>_<name>/: `diagram.fz`, `args` (the command,
`{DIR}` standing for the folder), optionally `tamper.py` (`tamper(template)` breaks the
compiled template the way a hand edit or a compiler bug would), `event.json` or
`scenario.yaml`, and `expected.txt`, what fzc prints on standard error. Each code's page in
docs/codes shows its fixture. `FZC_ACCEPT=1 pytest tests/test_simulate.py` rewrites
`expected.txt`, the pages' reports and tests/simulate/golden/.
"""

from __future__ import annotations

import importlib.util
import json
import re
import time
from functools import cache
from pathlib import Path

import pytest
from conftest import FLAGSHIP, corpus_files, rel, run_cli
from golden import REPO, accepting, check

from fzc.diagnostics.codes import CODES
from fzc.pipeline import analyze
from fzc.simulate import iam, lambdas, report, run
from fzc.simulate.checks import run as static_checks
from fzc.simulate.machines import machines
from fzc.simulate.resolve import Resolver, short
from fzc.simulate.scenarios import ScenarioError, defaults, failures, from_events, from_yaml
from fzc.source import Source

HERE = REPO / "tests" / "simulate"
FIXTURES = {p.name.split("_")[0]: p for p in sorted((HERE / "codes").iterdir()) if p.is_dir()}
SIM_CODES = sorted(c for c in CODES if c.startswith("FZ6"))
ORDERS = FIXTURES["FZ6001"] / "diagram.fz"  # a state machine: a decision, a table, a queue


@cache
def compiled(path: Path):
    src = Source(rel(path), path.read_text(encoding="utf-8"))
    a = analyze(src)
    assert a.plan is not None and a.ok, [d.message for d in a.diagnostics]
    return a.plan, src


# -- the flagship -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def flagship():
    plan, src = compiled(FLAGSHIP)
    start = time.perf_counter()
    result = run.simulate(plan)
    return result, src, time.perf_counter() - start


def _outcome(result, name: str):
    return next(o for o in result.outcomes if o.scenario.name == name)


def test_flagship_exercises_every_edge(flagship):
    result, _, _ = flagship
    used = result.exercised()
    assert len(used) == 16
    assert [i for i, numbers in used.items() if not numbers] == []
    assert all(o.ok for o in result.outcomes), [d.message for d in result.diagnostics]
    assert result.diagnostics == []


def test_flagship_default_scenarios(flagship):
    names = [o.scenario.name for o in flagship[0].outcomes]
    assert names == [
        "put an object into n1 S3 Bucket Upload",
        "put an item into n2 DynamoDB Stream",
        "POST /webhook on n3 API Gateway Webhook",
        "tick n4 CloudWatch Scheduled Rule",
        "send a message to n12 Fan-Out with SQS",
        "put an item into n14 DynamoDB Table",
        "put an object into n15 S3 Results Bucket",
        "n10 Processing Complete? = Success",
        "n10 Processing Complete? = Failure",
        "n13 Error Handler Lambda fails (error)",
    ]


def test_flagship_success_branch_stores_an_item(flagship):
    ok = _outcome(flagship[0], "n10 Processing Complete? = Success")
    assert dict(ok.stored)["n14"] == 1 and "n17" not in dict(ok.stored)
    assert {9, 13} <= set(ok.edges) and 10 not in ok.edges
    (execution,) = ok.runs
    assert execution.status == "SUCCEEDED"
    assert execution.states == ("Processing Complete", "Transform and Load", "Store")


def test_flagship_failure_branch_reaches_the_dead_letter_queue(flagship):
    bad = _outcome(flagship[0], "n10 Processing Complete? = Failure")
    assert dict(bad.stored) == {"n17": 1}
    assert set(bad.edges) == {8, 10, 12}
    assert [r.states for r in bad.runs] == [("Processing Complete", "Error Handler Lambda", "DLQ")]
    assert ("ErrorHandlerLambda", None) in bad.invoked


def test_flagship_error_handler_failure_takes_its_catch(flagship):
    """n13's DLQ edge is also its Catch: made to fail, the handler raises and the execution
    still succeeds by way of the Catch to the queue (without it, it would fail)."""
    failed = _outcome(flagship[0], "n13 Error Handler Lambda fails (error)")
    assert failed.ok and failed.scenario.fail == (("n13", "error"),)
    assert ("ErrorHandlerLambda", "fzc.InjectedFault: injected by fzc simulate") in failed.invoked
    assert [r.status for r in failed.runs] == ["SUCCEEDED"] and dict(failed.stored) == {"n17": 1}
    assert set(failed.edges) == {8, 10, 12}


def test_flagship_cascades_through_services(flagship):
    """S3 -> Lambda -> Step Functions -> DynamoDB -> stream -> glue -> S3 -> SNS: every hop
    observed, the ones no handler code makes included (S3 notifications, the stream)."""
    upload = _outcome(flagship[0], "put an object into n1 S3 Bucket Upload")
    assert upload.edges == (0, 4, 8, 9, 13, 14, 15)
    assert report.render_chains(flagship[0].plan, upload.edges) == [
        "n1 S3 Bucket Upload --ObjectCreated--> n5 Image Processing Lambda --Process Image--> "
        "n9 Step Functions Orchestrator --> n10 Processing Complete? --Success--> "
        "n11 Transform and Load --Store--> n14 DynamoDB Table --Archive--> "
        "n15 S3 Results Bucket --Notify--> n16 SNS Notification Topic"
    ]


def test_flagship_trace_golden(flagship):
    result, src, _ = flagship
    check(report.text(result, src), HERE / "golden" / "event_processing.txt")


def test_flagship_runs_well_under_a_minute(flagship):
    assert flagship[2] < 30, f"the flagship simulation took {flagship[2]:.1f} s"


def test_json_report(flagship):
    result, src, _ = flagship
    data = report.data(result, src, result.diagnostics)
    json.dumps(data)  # serialisable as it is
    assert list(data) == [
        "diagram",
        "ok",
        "deployment",
        "diagnostics",
        "scenarios",
        "edges",
        "summary",
    ]
    assert data["ok"] is True and data["diagnostics"] == []
    assert data["summary"] == {"scenarios": 10, "failed": 0, "edges": 16, "exercised": 16}
    assert {f["resource"] for f in data["deployment"]["filled"]} >= {
        "S3BucketUpload",
        "StepFunctionsOrchestrator",
        "WebhookHandlerLambdaRoute",
    }
    edge = data["edges"][0]
    assert edge == {"index": 0, "from": "n1", "to": "n5", "label": "ObjectCreated", "line": 6} | {
        "scenarios": [1]
    }
    assert all(e["scenarios"] for e in data["edges"])
    failure = data["scenarios"][8]
    assert set(failure) == {
        "number", "name", "node", "sent", "fail", "ok", "edges", "trace", "executions",
        "invocations", "stored", "unplanned_calls", "expectations", "problems",
    }  # fmt: skip
    assert failure["trace"] == [["n9", "n10", "n13", "n17"]]
    assert failure["stored"] == {"n17": 1}
    assert failure["executions"][0]["status"] == "SUCCEEDED"
    assert failure["expectations"] == [{"expect": "traverses n10 -> n13", "ok": True, "why": None}]
    assert failure["fail"] == []
    made = data["scenarios"][9]["fail"]
    assert made == [{"node": "n13", "kind": "error", "error": "fzc.InjectedFault"}]


# -- the command line, on a small diagram ---------------------------------------------------
def test_cli_json_and_exit_code():
    result = run_cli("simulate", rel(ORDERS), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["summary"] == {"scenarios": 2, "failed": 0, "edges": 3, "exercised": 3}
    assert [s["stored"] for s in data["scenarios"]] == [{"n3": 1}, {"n4": 1}]


def test_cli_passing_scenario(tmp_path):
    scenario = tmp_path / "ok.yaml"
    scenario.write_text(
        "scenarios:\n"
        "  - node: n1\n"
        "    decide: {n2: 'Yes'}\n"
        "    expect: [{stores: n3}, {never_reaches: n4}, {succeeds: n1}, {traverses: n2 -> n3}]\n",
        encoding="utf-8",
    )
    result = run_cli("simulate", rel(ORDERS), "--scenario", str(scenario))
    assert result.exit_code == 0, result.output
    assert "expect stores n3: ok" in result.stdout and "1 scenario: 1 ok, 0 failed" in result.stdout


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("scenarios: []\n", "expected `scenarios:` with a list"),
        ("scenarios: [{node: n9}]\n", "`node` must name a node of the diagram (got 'n9')"),
        ("scenarios: [{node: n2}]\n", "events cannot enter at n2, a choice"),
        ("scenarios: [{node: n1, expect: [{lands: n3}]}]\n", "unknown expectation 'lands'"),
        ("scenarios: [{node: n1, expect: [{traverses: n3 -> n1}]}]\n", "must name an edge"),
        ("scenarios: [{node: n1, decide: {n3: x}}]\n", "'n3' is no decision"),
        ("scenarios: [{node: n1, when: now}]\n", "unknown key 'when'"),
        ("scenarios: [{node: n1, fail: [n3]}]\n", "`fail`: 'n3' is no function"),
        ("scenarios: [{node: n1, fail: n3}]\n", "`fail` lists function nodes"),
        ("scenarios: [\n", "not YAML"),
    ],
)
def test_bad_scenario_files_are_usage_errors(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    result = run_cli("simulate", rel(ORDERS), "--scenario", str(path))
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_missing_event_file_is_a_usage_error(tmp_path):
    result = run_cli("simulate", rel(ORDERS), "--event", str(tmp_path / "none.json"))
    assert result.exit_code == 2 and "cannot read" in result.output


def test_diagram_errors_stop_before_the_run(tmp_path):
    path = tmp_path / "broken.fz"
    path.write_text('L { # L\nn1: rectangle label:"A"\nn1.handle(right) -> n9.handle(left)\n}\n')
    result = run_cli("simulate", str(path))
    assert result.exit_code == 1 and "FZ1003" in result.stderr and result.stdout == ""


def test_a_failed_deployment_is_an_internal_error(monkeypatch):
    def broken(template):
        queue = template["Resources"]["RejectsSQSQueue"]
        queue["Properties"]["QueueName"] = "not a valid queue name!"

    _tamper(monkeypatch, broken)
    result = run_cli("simulate", rel(ORDERS))
    assert result.exit_code == 2, result.output
    assert "FZ9001" in result.stderr and "moto could not deploy" in result.stderr
    assert "Traceback" not in result.output


# -- the codes: fixtures and pages ----------------------------------------------------------
def _tamper(monkeypatch, fn) -> None:
    build = run.build

    def tampered(plan):
        template, files = build(plan)
        fn(template)
        return template, files

    monkeypatch.setattr(run, "build", tampered)


def _fixture(folder: Path, monkeypatch):
    tamper = folder / "tamper.py"
    if tamper.exists():
        spec = importlib.util.spec_from_file_location(f"tamper_{folder.name}", tamper)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _tamper(monkeypatch, module.tamper)
    args = (folder / "args").read_text(encoding="utf-8").split()
    return run_cli(*[a.replace("{DIR}", rel(folder)) for a in args])


def test_every_simulate_code_has_a_fixture():
    assert sorted(FIXTURES) == SIM_CODES
    for code, folder in FIXTURES.items():
        assert folder.name == f"{code}_{CODES[code].name}"


@pytest.mark.parametrize("code", SIM_CODES)
def test_code_fixture(code, monkeypatch):
    folder = FIXTURES[code]
    result = _fixture(folder, monkeypatch)
    assert result.exit_code == 1, result.output
    assert f"error[{code}]" in result.stderr
    check(result.stderr, folder / "expected.txt")


@pytest.mark.parametrize("code", SIM_CODES)
def test_page_shows_its_fixture(code):
    """The page's example is the fixture's diagram, and its report what fzc prints."""
    page = REPO / "docs" / "codes" / f"{code}.md"
    text = page.read_text(encoding="utf-8")
    assert text.splitlines()[0] == f"# {code} {CODES[code].name}"
    assert "**Severity:** error. `--strict` does not change it." in text
    example = text[text.index("## Example") : text.index("## How to fix")]
    blocks = {
        m["lang"]: m
        for m in re.finditer(r"^```(?P<lang>\w*)\n(?P<body>.*?)^```$", example, re.S | re.M)
    }
    folder = FIXTURES[code]
    assert blocks["fz"]["body"] == (folder / "diagram.fz").read_text(encoding="utf-8")
    expected = (folder / "expected.txt").read_text(encoding="utf-8")
    shown = expected.replace(f"{rel(folder)}/diagram.fz", "example.fz")
    if blocks["text"]["body"] == shown:
        return
    assert accepting(), f"{page.name}: the report is stale (FZC_ACCEPT=1 rewrites it)"
    start = text.index(example) + blocks["text"].start("body")
    end = text.index(example) + blocks["text"].end("body")
    page.write_text(text[:start] + shown + text[end:], encoding="utf-8")


# -- static checks ----------------------------------------------------------------------------
def _diagrams() -> list:
    paths = [*sorted((REPO / "tests" / "asl" / "cases").glob("*.fz"))]
    paths += sorted(p for p in (REPO / "tests" / "wiring").glob("*.fz") if "bad" not in p.name)
    paths += [p for p in corpus_files() if not p.name.startswith("invalid__")]
    return [p for p in [FLAGSHIP, *paths] if "no-rule" not in p.name]


@pytest.mark.parametrize("path", _diagrams(), ids=lambda p: p.stem)
def test_compiled_diagrams_pass_the_static_checks(path):
    plan, _ = compiled(path)
    template = run.build(plan)[0]
    resolver = Resolver(template)
    found = static_checks(plan, template, resolver, machines(plan, template, resolver))
    assert [d.message for d in found] == []


def test_iam_matcher():
    allow = [
        {"Effect": "Allow", "Action": ["sqs:Send*"], "Resource": "arn:aws:sqs:*:*:orders"},
        {"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": ["arn:aws:dynamodb:*"]},
        {"Effect": "Deny", "Action": "dynamodb:PutItem", "Resource": "arn:*:table/locked"},
        {"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"},
    ]
    assert iam.allows(allow, "SQS:SendMessage", "arn:aws:sqs:us-east-1:1:orders")
    assert not iam.allows(allow, "sqs:SendMessage", "arn:aws:sqs:us-east-1:1:orders-2")
    assert iam.allows(allow, "dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:1:table/t")
    assert not iam.allows(allow, "dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:1:table/locked")
    assert not iam.allows(allow, "lambda:InvokeFunction", "arn:aws:lambda:x")  # NotAction: skipped
    assert not iam.allows([], "sns:Publish", "arn:aws:sns:x")


def test_resolver_names_and_values():
    template = {
        "Parameters": {"Prefix": {"Type": "String", "Default": "app"}},
        "Resources": {
            "Q": {"Type": "AWS::SQS::Queue"},
            "B": {"Type": "AWS::S3::Bucket"},
            "F": {
                "Type": "AWS::Lambda::Function",
                "Properties": {"FunctionName": {"Fn::Sub": "${Prefix}-f"}},
            },
        },
    }
    r = Resolver(template)
    assert r.value({"Ref": "Q"}) == "https://sqs.us-east-1.amazonaws.com/123456789012/Q"
    assert (
        r.value({"Fn::GetAtt": ["F", "Arn"]})
        == "arn:aws:lambda:us-east-1:123456789012:function:app-f"
    )
    assert r.value({"Fn::Sub": "${B.Arn}/*"}) == "arn:aws:s3:::b/*"
    assert r.value({"Fn::Join": ["-", [{"Ref": "Prefix"}, "x"]]}) == "app-x"
    assert short("arn:aws:dynamodb:us-east-1:1:table/T/stream/2020") == "T"
    assert short("https://sqs.us-east-1.amazonaws.com/1/q") == "q"


def test_scenario_files_parse():
    plan, _ = compiled(ORDERS)
    (s,) = from_yaml(plan, "- {node: n1, decide: {n2: 'No'}, expect: [{traverses: n2 -> n4}]}", "x")
    assert s.decide == (("valid", "No"),) and s.expect[0].edges == (2,)
    assert s.name == "start n1 Orders Step Functions"
    events = from_events(plan, '[{"node": "n3", "event": {"pk": "a"}}, {"node": "n4"}]', "e")
    assert [(e.node, e.event) for e in events] == [("n3", {"pk": "a"}), ("n4", None)]
    with pytest.raises(ScenarioError, match="unknown key 'expect'"):
        from_events(plan, '{"node": "n1", "expect": []}', "e")


def test_defaults_decide_the_way_to_a_later_decision():
    plan, _ = compiled(REPO / "tests" / "asl" / "cases" / "decisions.fz")
    reviewed = [s for s in defaults(plan) if s.name.startswith("n7 ")]
    assert reviewed and all(dict(s.decide)["riskLevel"] == "Medium" for s in reviewed)


# -- injected failures: Catch routes ---------------------------------------------------------
CASES = REPO / "tests" / "asl" / "cases"
CATCH = CASES / "catch.fz"  # n4 Charge Card catches to n6; n5 Ship Order catches nothing


@pytest.fixture(scope="module")
def error_names():
    """errornames.fz by default: n2 has three catchers (timeout, throttling, any error), n7
    none of its own but the error branches of the decision after it. Counts the faults."""
    raised: list[str] = []
    fault = lambdas._fault

    def counting(error):
        raised.append(error)
        return fault(error)

    lambdas._fault = counting
    try:
        result = run.simulate(compiled(CASES / "errornames.fz")[0])
    finally:
        lambdas._fault = fault
    return result, raised


def test_defaults_fail_each_step_once_per_catch_route(error_names):
    result, _ = error_names
    failing = [(o.scenario.name, o.scenario.fail) for o in result.outcomes if o.scenario.fail]
    assert failing == [
        ("n2 Charge Card fails (timeout)", (("n2", "timeout"),)),
        ("n2 Charge Card fails (throttling)", (("n2", "throttling"),)),
        ("n2 Charge Card fails (error)", (("n2", "error"),)),
        ("n7 Check Stock fails (timeout)", (("n7", "timeout"),)),
        ("n7 Check Stock fails (error)", (("n7", "error"),)),
    ]
    assert all(o.ok for o in result.outcomes), [d.message for d in result.diagnostics]


def test_each_injected_error_takes_the_catcher_naming_it(error_names):
    result, _ = error_names
    plan = result.plan
    routes = {
        o.scenario.name: [
            f"{plan.edges[i].source} -> {plan.edges[i].target}"
            for i in o.edges
            if plan.edges[i].source == "n2"
        ]
        for o in result.outcomes
        if o.scenario.fail and o.scenario.fail[0][0] == "n2"
    }
    assert routes == {
        "n2 Charge Card fails (timeout)": ["n2 -> n4"],
        "n2 Charge Card fails (throttling)": ["n2 -> n5"],
        "n2 Charge Card fails (error)": ["n2 -> n6"],
    }
    used = result.exercised()
    assert [i for i, numbers in used.items() if not numbers] == []


def test_only_throttling_is_retried_before_the_catch(error_names):
    """fzc's Lambda Retry lists Lambda's transient errors: a throttled step is invoked once
    and retried 6 times (moto's waits skipped), the other failures go to Catch at once."""
    _, raised = error_names
    assert raised.count("Lambda.TooManyRequestsException") == 7
    assert raised.count("fzc.InjectedFault") == 2 and raised.count("Sandbox.Timedout") == 2


def test_a_failure_taking_several_error_paths_takes_them_all():
    result = run.simulate(compiled(CASES / "errorfan.fz")[0])
    (failed,) = [o for o in result.outcomes if o.scenario.fail]
    assert failed.ok and [e.text for e in failed.scenario.expect] == [
        "traverses n2 -> n4",
        "traverses n2 -> n6",
    ]
    assert dict(failed.stored) == {"n6": 1}


def _simulate_yaml(tmp_path, diagram: Path, text: str):
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return run_cli("simulate", rel(diagram), "--scenario", str(path))


def test_cli_injected_failure_takes_the_catch_and_says_so(tmp_path):
    result = _simulate_yaml(
        tmp_path,
        CATCH,
        "scenarios:\n"
        "  - node: RequestInWorkflow\n"
        "    decide: {n3: 'Yes'}\n"
        "    fail: {n4: error}\n"
        "    expect: [{traverses: n4 -> n6}, {stores: n8}, {never_reaches: n5}]\n",
    )
    assert result.exit_code == 0, result.output
    assert "  made to fail: n4 Charge Card (error: raises fzc.InjectedFault)\n" in result.stdout
    assert "n4 Charge Card --on error--> n6 Payment Error Handler" in result.stdout
    assert "expect traverses n4 -> n6: ok" in result.stdout


def test_cli_uncaught_failure_fails_the_execution(tmp_path):
    scenario = (
        "scenarios:\n"
        "  - node: RequestInWorkflow\n"
        "    decide: {n3: 'Yes'}\n"
        "    fail: [n5]\n"
        "    expect: [{never_reaches: n7}%s]\n"
    )
    expected = _simulate_yaml(tmp_path, CATCH, scenario % ", {fails: RequestInWorkflow}")
    assert expected.exit_code == 0, expected.output
    assert "execution of RequestInWorkflow: FAILED with fzc.InjectedFault" in expected.stdout
    surprise = _simulate_yaml(tmp_path, CATCH, scenario % "")
    assert surprise.exit_code == 1
    assert "error[FZ6007]" in surprise.stderr and "FAILED with fzc.InjectedFault" in surprise.stderr
    assert "FZ6006" not in surprise.stderr  # the injected raise is no handler problem


def test_cli_a_step_made_to_fail_that_never_ran(tmp_path):
    result = _simulate_yaml(
        tmp_path,
        CATCH,
        "scenarios: [{node: RequestInWorkflow, decide: {n3: Failure}, fail: [n4]}]\n",
    )
    assert result.exit_code == 1
    assert (
        "error[FZ6008]" in result.stderr and "n4 was to fail (error) but never ran" in result.stderr
    )


def test_fail_names_a_kind_of_failure_a_function_can_raise(tmp_path):
    result = _simulate_yaml(
        tmp_path, CATCH, "scenarios: [{node: RequestInWorkflow, fail: {n4: permission}}]\n"
    )
    assert result.exit_code == 2
    assert "unknown kind 'permission' for n4; use error, timeout, throttling" in result.output


def test_scenario_file_fail_forms():
    plan, _ = compiled(CATCH)
    listed, named = from_yaml(
        plan,
        "- {node: RequestInWorkflow, fail: [n4, n5]}\n"
        "- {node: RequestInWorkflow, fail: {n4: timeout, n2: throttling}}\n",
        "x",
    )
    assert listed.fail == (("n4", "error"), ("n5", "error"))
    assert named.fail == (("n4", "timeout"), ("n2", "throttling"))


def test_a_catch_to_a_decisions_error_branch_reaches_its_target():
    """Score Order has no error path of its own: it catches to the error branch of the
    decision after it, a route with no edge, so its default expects the target reached (the
    state entered); that target is a failure end, so the execution fails as designed."""
    plan, _ = compiled(CASES / "decisions.fz")
    (failed,) = run.simulate(plan, failures(plan)).outcomes
    assert failed.ok and [e.text for e in failed.scenario.expect] == ["reaches n6"]
    assert [(r.status, r.error, r.designed) for r in failed.runs] == [
        ("FAILED", "OrderFailed", True)
    ]


# -- edges in serial regions and loops --------------------------------------------------------
# The serial lowering runs steps in sequence behind guards and flags, and a loop's rounds
# report the ways they took: the trace reads those flags, not consecutive states.
SERIAL = ["optjoin", "backjump", "fanloop", "tangle", "errorloop", "nestedjoin", "orchjoin"]


@pytest.mark.parametrize("name", SERIAL)
def test_default_scenarios_exercise_every_edge_of_a_serial_region_or_loop(name):
    result = run.simulate(compiled(CASES / f"{name}.fz")[0])
    assert [(o.number, p.message) for o in result.outcomes for p in o.problems] == []
    assert [e for e, numbers in result.exercised().items() if not numbers] == []


def _verdicts(name: str, scenario: str) -> dict[str, str | None]:
    plan, _ = compiled(CASES / f"{name}.fz")
    (outcome,) = run.simulate(plan, from_yaml(plan, scenario, "x")).outcomes
    return {e.text: why for e, why in outcome.verdicts}


NOT_TAKEN = "that edge was not exercised"


@pytest.mark.parametrize(
    ("name", "scenario", "taken", "not_taken"),
    [
        # serial region: each decision's other branch; n5 runs, made due by n3 only
        (
            "optjoin",
            "{node: ApplicationReceivedWorkflow, decide: {n3: 'Yes', n4: 'No'}}",
            ["n3 -> n5", "n4 -> n7", "n2 -> n4"],
            ["n3 -> n6", "n4 -> n5"],
        ),
        # a step that failed into its Catch did not go on to the join that runs anyway
        (
            "tangle",
            "{node: OrderInWorkflow, decide: {n6: 'Yes'}, fail: [n4]}",
            ["n4 -> n12", "n3 -> n5", "n3 -> n9", "n7 -> n9"],
            ["n4 -> n5", "n6 -> n8", "n8 -> n11"],
        ),
        # loop rounds: no branch asked for another round
        (
            "fanloop",
            "{node: StartWorkflow, decide: {n5: 'Yes', n6: 'Yes'}}",
            ["n5 -> n7", "n6 -> n7", "n2 -> n4"],
            ["n5 -> n2", "n6 -> n2"],
        ),
        (
            "backjump",
            "{node: StartWorkflow, decide: {n2: 'Yes', n7: 'OK', n10: 'Publish'}}",
            ["n2 -> n4", "n7 -> n9", "n8 -> n9", "n10 -> n11"],
            ["n2 -> n3", "n7 -> n3", "n3 -> n4", "n10 -> n4"],
        ),
        # Parse Page went on to the decision, not along its error path back to the loop
        (
            "errorloop",
            "{node: StartWorkflow, decide: {n4: 'No'}}",
            ["n3 -> n4", "n4 -> n5"],
            ["n3 -> n2", "n4 -> n2", "n3 -> n6", "n2 -> n6"],
        ),
    ],
    ids=["optjoin", "tangle", "fanloop", "backjump", "errorloop"],
)
def test_an_edge_not_taken_in_a_serial_region_or_loop_is_reported(name, scenario, taken, not_taken):
    expect = ", ".join(f"{{traverses: {t}}}" for t in taken + not_taken)
    verdicts = _verdicts(name, f"- {scenario[:-1]}, expect: [{expect}]}}\n")
    assert verdicts == {
        **{f"traverses {t}": None for t in taken},
        **{f"traverses {t}": NOT_TAKEN for t in not_taken},
    }
