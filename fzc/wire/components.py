"""What each node kind becomes on its own, before any edge: one function per kind."""

from __future__ import annotations

import re
from collections.abc import Callable

from fzc.model import Node
from fzc.wire.builder import Builder, short
from fzc.wire.refs import ref

RETAIN = "Retain"
PUBLIC_ACCESS_BLOCK = {
    "BlockPublicAcls": True,
    "BlockPublicPolicy": True,
    "IgnorePublicAcls": True,
    "RestrictPublicBuckets": True,
}
_SCHEDULE = re.compile(r"\b(?:cron\([^()]*\)|rate\([^()]*\))")
DEFAULT_SCHEDULE = "rate(5 minutes)"
ACCESS_LOG_FORMAT = (
    '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",'
    '"routeKey":"$context.routeKey","status":"$context.status",'
    '"integrationError":"$context.integrationErrorMessage"}'
)


def _common(b: Builder, node: Node) -> dict:
    return {"span": node.span, "lane": node.lane, "origin": node.id, "node": node.id}


def bucket(b: Builder, node: Node, lid: str) -> None:
    b.add(
        lid,
        "AWS::S3::Bucket",
        {
            "BucketName": b.attr(b.end(node.id), "name"),
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                ]
            },
            "PublicAccessBlockConfiguration": dict(PUBLIC_ACCESS_BLOCK),
            "VersioningConfiguration": {"Status": "Enabled"},
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        },
        deletion_policy=RETAIN,
        **_common(b, node),
    )


def table(b: Builder, node: Node, lid: str) -> None:
    props = {
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True},
    }
    if b.typed[node.id].stream:
        props["StreamSpecification"] = {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    b.add(lid, "AWS::DynamoDB::Table", props, deletion_policy=RETAIN, **_common(b, node))


def queue(b: Builder, node: Node, lid: str) -> None:
    dlq = b.typed[node.id].dlq
    b.add(
        lid,
        "AWS::SQS::Queue",
        {
            "SqsManagedSseEnabled": True,
            "MessageRetentionPeriod": 1209600 if dlq else 345600,
        },
        deletion_policy=RETAIN,
        **_common(b, node),
    )


def topic(b: Builder, node: Node, lid: str) -> None:
    b.add(lid, "AWS::SNS::Topic", {"KmsMasterKeyId": "alias/aws/sns"}, **_common(b, node))


def stream(b: Builder, node: Node, lid: str) -> None:
    b.add(
        lid,
        "AWS::Kinesis::Stream",
        {
            "ShardCount": 1,
            "RetentionPeriodHours": 24,
            "StreamEncryption": {"EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"},
        },
        deletion_policy=RETAIN,
        **_common(b, node),
    )


def http_api(b: Builder, node: Node, lid: str) -> None:
    b.add(
        lid,
        "AWS::ApiGatewayV2::Api",
        {
            "Name": {"Fn::Sub": "${AWS::StackName}-" + lid},
            "ProtocolType": "HTTP",
            "Description": short(f"{node.label} ({node.id})"),
        },
        **_common(b, node),
    )
    logs = b.derived(lid, "AccessLogs")
    b.add(
        logs,
        "AWS::Logs::LogGroup",
        {"RetentionInDays": 30},
        deletion_policy="Delete",
        **_common(b, node),
    )
    b.add(
        b.derived(lid, "Stage"),
        "AWS::ApiGatewayV2::Stage",
        {
            "ApiId": ref(lid),
            "StageName": "$default",
            "AutoDeploy": True,
            "AccessLogSettings": {
                "DestinationArn": {"Fn::GetAtt": [logs, "Arn"]},
                "Format": ACCESS_LOG_FORMAT,
            },
        },
        **_common(b, node),
    )


def schedule_expression(node: Node) -> str:
    for text in (node.attr("description") or "", node.label):
        m = _SCHEDULE.search(text)
        if m:
            return m.group(0)
    return DEFAULT_SCHEDULE


def schedule(b: Builder, node: Node, lid: str) -> None:
    from fzc.wire.schedule import problem

    expression = schedule_expression(node)
    why = problem(expression)
    if why:
        from fzc.diagnostics import diag
        from fzc.diagnostics.codes import CODES

        b.diagnostics.append(
            diag(
                CODES["FZ3006"],
                f"`{expression}`: {why}",
                node.span,
                label="EventBridge would reject this schedule",
                help="write `rate(5 minutes)`, `rate(1 hour)` or a six-field "
                "`cron(0 12 * * ? *)` in the node's description",
            )
        )
        expression = DEFAULT_SCHEDULE
    b.add(
        lid,
        "AWS::Events::Rule",
        {
            "Description": short(f"{node.label} ({node.id})"),
            "ScheduleExpression": expression,
            "State": "ENABLED",
            "Targets": [],
        },
        **_common(b, node),
    )


def event_bus(b: Builder, node: Node, lid: str) -> None:
    b.add(
        lid,
        "AWS::Events::EventBus",
        {"Name": {"Fn::Sub": "${AWS::StackName}-" + lid}},
        **_common(b, node),
    )


def function(b: Builder, node: Node, lid: str) -> None:
    b.function(
        lid,
        node.label,
        node.span,
        node.lane,
        node.id,
        node=node.id,
        edge=None,
        description=f"{node.label} ({node.id})",
    )


def state_machine(b: Builder, node: Node, lid: str) -> None:
    role = b.role(lid, "states", node.span, node.lane, node.id, node.id)
    b.add(
        lid,
        "AWS::StepFunctions::StateMachine",
        {
            "StateMachineType": "STANDARD",
            "RoleArn": {"Fn::GetAtt": [role, "Arn"]},
            "Definition": None,  # filled by the Step Functions backend
        },
        **_common(b, node),
    )


COMPONENTS: dict[str, Callable[[Builder, Node, str], None]] = {
    "s3": bucket,
    "dynamodb": table,
    "sqs": queue,
    "sns": topic,
    "kinesis": stream,
    "http-api": http_api,
    "schedule": schedule,
    "event-bus": event_bus,
    "lambda": function,
    "sfn": state_machine,
}
