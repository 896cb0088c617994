"""The architecture model: node kinds, edge rules, workflows and `fzc explain`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from golden import REPO, check

from fzc import explain
from fzc.pipeline import analyze
from fzc.source import Source
from fzc.wire.rules import RULES
from fzc.wire.tasks import TASKS

FLAGSHIP = REPO / "samples" / "event_processing.fz"
WIRING = sorted((REPO / "tests" / "wiring").glob("*.fz"))
KINDS = sorted((REPO / "tests" / "kinds").glob("*.fz"))


def _analysis(path: Path, text: str | None = None):
    rel = path.relative_to(REPO).as_posix() if path.is_absolute() else str(path)
    return analyze(Source(rel, text if text is not None else path.read_text(encoding="utf-8")))


def _plan(path: Path, text: str | None = None):
    a = _analysis(path, text)
    assert a.plan is not None, [d.message for d in a.diagnostics]
    return a.plan


@pytest.fixture(scope="module")
def flagship():
    return explain.to_data(_plan(FLAGSHIP))


FLAGSHIP_KINDS = {
    "n1": "AWS::S3::Bucket",
    "n2": "AWS::DynamoDB::Table",
    "n3": "AWS::ApiGatewayV2::Api",
    "n4": "AWS::Events::Rule",
    "n5": "AWS::Lambda::Function",
    "n6": "AWS::Lambda::Function",
    "n7": "AWS::Lambda::Function",
    "n8": "AWS::Lambda::Function",
    "n9": "AWS::StepFunctions::StateMachine",
    "n10": "choice",
    "n11": "AWS::Lambda::Function",
    "n12": "AWS::SQS::Queue",
    "n13": "AWS::Lambda::Function",
    "n14": "AWS::DynamoDB::Table",
    "n15": "AWS::S3::Bucket",
    "n16": "AWS::SNS::Topic",
    "n17": "AWS::SQS::Queue",
}
FLAGSHIP_RULES = [
    ("n1", "n5", "s3-notification-lambda"),
    ("n2", "n6", "dynamodb-stream-lambda"),
    ("n3", "n7", "http-api-route-lambda"),
    ("n4", "n8", "schedule-lambda"),
    ("n5", "n9", "lambda-start-execution"),
    ("n6", "n11", "lambda-invoke"),
    ("n7", "n9", "lambda-start-execution"),
    ("n8", "n12", "lambda-send-message"),
    ("n9", "n10", "sfn-start"),
    ("n10", "n11", "sfn-choice-branch"),
    ("n10", "n13", "sfn-choice-branch"),
    ("n12", "n11", "sqs-lambda"),
    ("n13", "n17", "sfn-task-sqs"),
    ("n11", "n14", "sfn-task-dynamodb"),
    ("n14", "n15", "glue:dynamodb-stream-lambda+lambda-write-bucket"),
    ("n15", "n16", "s3-notification-sns"),
]


def test_flagship_nodes_and_rules(flagship):
    assert {n["id"]: n["kind"] for n in flagship["nodes"]} == FLAGSHIP_KINDS
    assert [(e["source"], e["target"], e["rule"]) for e in flagship["edges"]] == FLAGSHIP_RULES
    assert all(n["reason"] for n in flagship["nodes"])


def _effects(data, source, target):
    (edge,) = [e for e in data["edges"] if (e["source"], e["target"]) == (source, target)]
    return edge["effects"]


def _one(effects, kind):
    found = [x for x in effects if x["kind"] == kind]
    assert found, f"no {kind} effect in {effects}"
    return found


def test_s3_to_lambda_is_cycle_free(flagship):
    fx = _effects(flagship, "n1", "n5")
    (perm,) = _one(fx, "permission")
    assert perm["principal"] == "s3.amazonaws.com" and perm["source_account"] is True
    assert "Fn::Sub" in perm["source_arn"]  # a constructed ARN, not GetAtt on the bucket
    (note,) = _one(fx, "notification")
    assert note["event"] == "s3:ObjectCreated:*" and note["depends_on"] == perm["resource"]


def test_stream_to_lambda(flagship):
    fx = _effects(flagship, "n2", "n6")
    (esm,) = _one(fx, "event-source-mapping")
    assert esm["settings"]["MaximumRetryAttempts"] == 3
    assert esm["settings"]["BisectBatchOnFunctionError"] is True
    (iam,) = _one(fx, "iam")
    assert iam["resource"] == "DataSyncLambdaRole"
    assert "dynamodb:GetRecords" in iam["actions"]
    others = [e for e in flagship["edges"] if (e["source"], e["target"]) != ("n2", "n6")]
    assert not any(
        "dynamodb:GetRecords" in x.get("actions", []) and x["resource"] == "DataSyncLambdaRole"
        for e in others
        for x in e["effects"]
    )


def test_webhook_route(flagship):
    fx = _effects(flagship, "n3", "n7")
    assert _one(fx, "route")[0]["route_key"] == "POST /webhook"
    assert _one(fx, "permission")[0]["source_arn"]["Fn::Sub"].endswith("/*/POST/webhook")


def test_schedule_target(flagship):
    fx = _effects(flagship, "n4", "n8")
    assert _one(fx, "rule-target")[0]["target"] == "BatchJobLambda"
    perm = _one(fx, "permission")[0]
    assert perm["source_arn"] == {"Fn::GetAtt": ["CloudWatchScheduledRule", "Arn"]}


@pytest.mark.parametrize(
    ("source", "target", "action", "env"),
    [
        ("n5", "n9", "states:StartExecution", "STEP_FUNCTIONS_ORCHESTRATOR_STATE_MACHINE_ARN"),
        ("n7", "n9", "states:StartExecution", "STEP_FUNCTIONS_ORCHESTRATOR_STATE_MACHINE_ARN"),
        ("n6", "n11", "lambda:InvokeFunction", "TRANSFORM_AND_LOAD_FUNCTION_NAME"),
        ("n8", "n12", "sqs:SendMessage", "FAN_OUT_WITH_SQS_QUEUE_URL"),
    ],
)
def test_calls_are_least_privilege(flagship, source, target, action, env):
    fx = _effects(flagship, source, target)
    (iam,) = _one(fx, "iam")
    assert iam["actions"] == [action] and len(iam["resources"]) == 1
    assert _one(fx, "env")[0]["name"] == env


def test_queue_consumer(flagship):
    fx = _effects(flagship, "n12", "n11")
    (esm,) = _one(fx, "event-source-mapping")
    assert esm["settings"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert _one(fx, "setting")[0]["VisibilityTimeout"] >= 6 * 30


def test_workflow(flagship):
    (wf,) = flagship["workflows"]
    assert wf["node"] == "n9" and wf["start"] == "n10"
    (task,) = _one(_effects(flagship, "n11", "n14"), "task")
    assert task["resource"] == "arn:aws:states:::dynamodb:putItem"
    iam = _one(_effects(flagship, "n11", "n14"), "iam")[0]
    assert iam["actions"] == ["dynamodb:PutItem"] and iam["resource"].endswith("Role")
    assert _one(_effects(flagship, "n13", "n17"), "task")[0]["resource"].endswith("sendMessage")


def test_topic_policy(flagship):
    fx = _effects(flagship, "n15", "n16")
    (policy,) = _one(fx, "resource-policy")
    assert policy["principal"] == "s3.amazonaws.com"
    assert _one(fx, "notification")[0]["depends_on"] == policy["resource"]


def test_flagship_golden():
    plan = _plan(FLAGSHIP)
    check(explain.as_json(plan), REPO / "tests" / "golden" / "event_processing.explain.json")
    check(explain.as_text(plan), REPO / "tests" / "golden" / "event_processing.explain.txt")


@pytest.mark.parametrize("path", WIRING + KINDS, ids=lambda p: p.stem)
def test_fixture_golden(path):
    a = _analysis(path)
    from fzc.diagnostics.render import concise

    body = concise([(a.source, d) for d in a.diagnostics])
    if a.plan is not None:
        body += explain.as_text(a.plan)
    check(body, path.with_suffix(".expected"))


def test_every_rule_has_a_fixture():
    fired = set()
    for path in WIRING:
        a = _analysis(path)
        if a.plan:
            for e in a.plan.edges:
                fired |= set(e.rule.replace("glue:", "").split("+"))
    missing = {r.name for r in RULES.values()} - fired
    missing |= {f"sfn-task-{k}" for k in TASKS} - fired
    assert not missing, f"edge rules without a fixture in tests/wiring: {sorted(missing)}"


def test_no_rule_is_an_error():
    a = _analysis(REPO / "tests" / "wiring" / "no-rule.fz")
    assert not a.ok
    (d,) = [d for d in a.diagnostics if d.code.code == "FZ3003"]
    assert "sns connects to: lambda, sqs" in d.help


def test_kind_inference():
    a = _analysis(REPO / "tests" / "kinds" / "ambiguous.fz")
    (amb,) = [d for d in a.diagnostics if d.code.code == "FZ3001"]
    assert 'system:"AWS::S3::Bucket"' in amb.help
    kinds = {n.id: n.kind for n in _plan(REPO / "tests" / "kinds" / "system-override.fz").nodes}
    assert kinds["n1"] == "AWS::SQS::Queue" and kinds["n3"] == "AWS::DynamoDB::Table"


def test_logical_ids_stable_when_a_node_is_added():
    text = FLAGSHIP.read_text(encoding="utf-8")
    before = {r.logical_id for r in _plan(FLAGSHIP).resources}
    grown = text.replace(
        'n17: rectangle label:"SQS Dead Letter Queue"\n',
        'n17: rectangle label:"SQS Dead Letter Queue"\n'
        'n18: rectangle label:"Audit Lambda"\n'
        'n16.handle(right) -> n18.handle(left) [label="Audit"]\n',
    )
    after = {r.logical_id for r in _plan(FLAGSHIP, grown).resources}
    assert before <= after and len(after) > len(before)


def test_corpus_plans():
    corpus = REPO / "tests" / "corpus"
    if not corpus.exists():
        corpus = REPO.parent / "shared" / "flowzap" / "corpus"
    for path in sorted(corpus.glob("*.fz")):
        a = (
            _analysis(path)
            if path.is_relative_to(REPO)
            else analyze(Source(path.name, path.read_text(encoding="utf-8")))
        )
        assert not any(d.code.code.startswith("FZ9") for d in a.diagnostics), path
        if not path.name.startswith("invalid__"):
            assert a.plan is not None and a.plan.workflows, path


def test_explain_is_deterministic():
    outs = set()
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        outs.add(
            subprocess.run(
                [sys.executable, "-m", "fzc", "explain", "--json", "samples/event_processing.fz"],
                cwd=REPO,
                env=env,
                capture_output=True,
                check=True,
            ).stdout
        )
    assert len(outs) == 1
    json.loads(outs.pop())
