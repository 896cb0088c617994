"""The CloudFormation backend, judged by cfn-lint, a policy scan and a moto deployment."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cfn_support import compile_file, load_template, package, write
from golden import REPO, check

from fzc.backends import Options

FLAGSHIP = REPO / "samples" / "event_processing.fz"
HOSTILE = REPO / "tests" / "cfn" / "hostile.fz"
FIXTURES = sorted((REPO / "tests" / "wiring").glob("*.fz")) + sorted(
    (REPO / "tests" / "kinds").glob("*.fz")
)
# AWS requires "*" here: a KMS key policy's Resource is always the key itself ("*").
STAR_ALLOWED = {"AWS::KMS::Key"}


def _compilable(paths):
    from fzc.pipeline import analyze
    from fzc.source import Source

    return [p for p in paths if analyze(Source(p.name, p.read_text(encoding="utf-8"))).ok]


@pytest.fixture(scope="module")
def flagship_files():
    return compile_file(FLAGSHIP, REPO)


def test_flagship_template_golden(flagship_files):
    check(flagship_files["template.yaml"], REPO / "tests" / "golden" / "event_processing.yaml")


def test_yaml_and_json_agree(flagship_files):
    as_json = compile_file(FLAGSHIP, REPO, Options(format="json"))
    assert load_template(as_json) == load_template(flagship_files)


def test_deterministic(flagship_files):
    assert compile_file(FLAGSHIP, REPO) == flagship_files


@pytest.fixture(scope="module")
def lint_dir(tmp_path_factory, flagship_files):
    """Every template we lint, written once: flagship (yaml, json, inline), every wiring and
    kind fixture, the corpus and the hostile labels."""
    root = tmp_path_factory.mktemp("lint")
    cases = {
        "flagship": flagship_files,
        "flagship-json": compile_file(FLAGSHIP, REPO, Options(format="json")),
        "flagship-inline": compile_file(FLAGSHIP, REPO, Options(inline=True)),
        "hostile": compile_file(HOSTILE, REPO),
        "hostile-inline": compile_file(HOSTILE, REPO, Options(inline=True)),
    }
    corpus = sorted((REPO / "tests" / "corpus").glob("*.fz")) or sorted(
        (REPO.parent / "shared" / "flowzap" / "corpus").glob("*.fz")
    )
    for p in _compilable(FIXTURES + [c for c in corpus if not c.name.startswith("invalid__")]):
        cases[f"{p.parent.name}-{p.stem}"] = compile_file(p, REPO)
    for name, files in cases.items():
        write(files, root / name)
    return root


def test_cfn_lint_clean(lint_dir):
    templates = sorted(str(p) for p in lint_dir.glob("*/template.*"))
    assert len(templates) > 20
    run = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), "--format", "parseable", *templates],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0 and not run.stdout.strip(), run.stdout + run.stderr


def _statements(template: dict):
    for lid, res in template["Resources"].items():
        props = res.get("Properties", {})
        docs = [p["PolicyDocument"] for p in props.get("Policies", [])]
        docs += [props[k] for k in ("PolicyDocument", "KeyPolicy") if k in props]
        for doc in docs:
            for s in doc["Statement"]:
                yield lid, res["Type"], s


def _as_list(v):
    return v if isinstance(v, list) else [v]


def test_policies_are_least_privilege(lint_dir):
    seen = 0
    for path in sorted(lint_dir.glob("*/template.*")):
        files = {path.name: path.read_text(encoding="utf-8")}
        for lid, type_, s in _statements(load_template(files)):
            seen += 1
            for action in _as_list(s.get("Action", [])):
                assert action != "*" and not action.endswith(":*") or type_ in STAR_ALLOWED, (
                    path,
                    lid,
                    action,
                )
            if "*" in _as_list(s.get("Resource", [])):
                assert type_ in STAR_ALLOWED, (path, lid, s)
    assert seen > 50


def test_hostile_labels_survive(lint_dir):
    text = (lint_dir / "hostile" / "template.yaml").read_text(encoding="utf-8")
    template = load_template({"template.yaml": text})
    descriptions = json.dumps(template, ensure_ascii=False)
    assert "Resize Lambda ünïcødé 日本語 \\\\n line" in descriptions
    assert 'S3 \\"Uploads\\" {{ evil }} bucket' in descriptions
    assert "# ==== Lane Work: Work: - ünïcødé 日本語" in text
    for res in template["Resources"].values():
        assert set(res) <= {
            "Type",
            "Properties",
            "DependsOn",
            "Metadata",
            "DeletionPolicy",
            "UpdateReplacePolicy",
        }


def test_state_machines_embed_definitions(flagship_files):
    template = load_template(flagship_files)
    machines = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine"
    ]
    assert machines
    for m in machines:
        assert isinstance(m["Properties"]["Definition"], dict)
        assert "DefinitionString" not in m["Properties"]


def test_moto_deploys_flagship(tmp_path, flagship_files):
    boto3 = pytest.importorskip("boto3")
    from moto import mock_aws

    write(flagship_files, tmp_path)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        template = package(load_template(flagship_files), tmp_path, s3, "fzc-artifacts")
        cfn = boto3.client("cloudformation", region_name="us-east-1")
        cfn.create_stack(
            StackName="flagship", TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_IAM"]
        )
        stack = cfn.describe_stacks(StackName="flagship")["Stacks"][0]
        assert stack["StackStatus"] == "CREATE_COMPLETE"
        physical = {
            r["LogicalResourceId"]: r["PhysicalResourceId"]
            for r in cfn.list_stack_resources(StackName="flagship")["StackResourceSummaries"]
        }
        _check_wiring(boto3, physical)


def _check_wiring(boto3, physical: dict) -> None:
    lam = boto3.client("lambda", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    events = boto3.client("events", region_name="us-east-1")
    mappings = lam.list_event_source_mappings()["EventSourceMappings"]
    by_fn = {m["FunctionArn"].rsplit(":", 1)[-1]: m for m in mappings}
    sync = by_fn[physical["DataSyncLambda"]]
    assert sync["MaximumRetryAttempts"] == 3 and sync["BisectBatchOnFunctionError"] is True
    fanout = by_fn[physical["TransformAndLoad"]]
    assert fanout["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    url = physical["FanOutWithSQS"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert int(attrs["VisibilityTimeout"]) >= 180
    table = ddb.describe_table(TableName=physical["DynamoDBStream"])["Table"]
    assert table["StreamSpecification"]["StreamEnabled"] is True
    targets = events.list_targets_by_rule(Rule=physical["CloudWatchScheduledRule"])["Targets"]
    assert [t["Arn"].rsplit(":", 1)[-1] for t in targets] == [physical["BatchJobLambda"]]


def test_yaml_forms_table_stays_bounded_and_keeps_learning(monkeypatch):
    """A long-lived process (the language server) compiles many templates: the table of YAML
    forms is bounded, and once full it starts again rather than stop learning (which made
    every later resource of a 100k-node template quote its strings afresh)."""
    from fzc.backends.cfn import yamlout

    monkeypatch.setattr(yamlout, "_REMEMBERED", 4)
    monkeypatch.setattr(yamlout, "_STRINGS", {})
    values = [f"value {i}" for i in range(10)]
    assert [yamlout.scalar(v) for v in values] == [yamlout.string(v) for v in values]
    assert 0 < len(yamlout._STRINGS) <= 4
    yamlout.scalar("Allow")
    assert yamlout._STRINGS.get("Allow") == "Allow"  # a table that stopped learning misses it
