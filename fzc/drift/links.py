"""The connections a template realises, by meaning: each `Link` joins two entities (buckets,
functions, queues ...) with a kind taken from the plan's effect vocabulary, whatever the
resources' names and whichever resource carries it (a bucket property, a mapping, a role
policy, a state machine definition ...).

One extractor per CloudFormation type, in a table. A wildcard end is "*" (a permission with
no SourceArn, an IAM statement on every resource).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from fzc.drift import asl
from fzc.drift.index import Index

ANY = "*"


@dataclass(frozen=True, slots=True, order=True)
class Link:
    """One connection a template realises between two entities, and the resource carrying it."""

    kind: str
    source: str  # entity logical id, or "*"
    target: str
    via: str  # logical id of the resource that realises it
    actions: tuple[str, ...] = ()  # iam: the actions granted
    principal: str = ""  # permission / resource-policy: the service principal


# Actions of the AWS managed policies SAM attaches for event sources (all on "*").
MANAGED_POLICIES: dict[str, tuple[str, ...]] = {
    "AWSLambdaSQSQueueExecutionRole": (
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
    ),
    "AWSLambdaDynamoDBExecutionRole": (
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
    ),
    "AWSLambdaKinesisExecutionRole": (
        "kinesis:DescribeStream",
        "kinesis:DescribeStreamSummary",
        "kinesis:GetRecords",
        "kinesis:GetShardIterator",
        "kinesis:ListShards",
        "kinesis:ListStreams",
        "kinesis:SubscribeToShard",
    ),
    "AWSLambdaRole": ("lambda:InvokeFunction",),
}

_NOTIFICATIONS = (
    ("LambdaConfigurations", "Function"),
    ("QueueConfigurations", "Queue"),
    ("TopicConfigurations", "Topic"),
)


def _list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _pairs(kind: str, sources, targets, via: str, **extra) -> Iterator[Link]:
    for s in sorted(sources):
        for t in sorted(targets):
            if s != t:
                yield Link(kind, s, t, via, **extra)


# --- one extractor per type -----------------------------------------------------------------


def _bucket(idx: Index, lid: str) -> Iterator[Link]:
    config = idx.props(lid).get("NotificationConfiguration") or {}
    for key, field in _NOTIFICATIONS:
        for entry in _list(config.get(key) if isinstance(config, dict) else None):
            if isinstance(entry, dict):
                yield from _pairs("notification", {lid}, idx.entity_refs(entry.get(field)), lid)


def _mapping(idx: Index, lid: str) -> Iterator[Link]:
    p = idx.props(lid)
    yield from _pairs(
        "event-source-mapping",
        idx.entity_refs(p.get("EventSourceArn")),
        idx.entity_refs(p.get("FunctionName")),
        lid,
    )


def _route(idx: Index, lid: str) -> Iterator[Link]:
    p = idx.props(lid)
    integrations = idx.refs(p.get("Target")) & set(idx.ids_of("AWS::ApiGatewayV2::Integration"))
    functions = {
        e for i in integrations for e in idx.entity_refs(idx.props(i).get("IntegrationUri"))
    }
    yield from _pairs("route", idx.entity_refs(p.get("ApiId")), functions, lid)


def _method(idx: Index, lid: str) -> Iterator[Link]:
    p = idx.props(lid)
    integration = p.get("Integration") if isinstance(p.get("Integration"), dict) else {}
    functions = idx.entity_refs(integration.get("Uri"))
    yield from _pairs("route", idx.entity_refs(p.get("RestApiId")), functions, lid)


def _api(idx: Index, lid: str) -> Iterator[Link]:
    """Routes written as OpenAPI in the API's `Body` (what SAM emits)."""
    body = idx.props(lid).get("Body")
    paths = body.get("paths") if isinstance(body, dict) else None
    for ops in (paths or {}).values():
        for op in (ops or {}).values() if isinstance(ops, dict) else ():
            integration = (
                op.get("x-amazon-apigateway-integration") if isinstance(op, dict) else None
            )
            if isinstance(integration, dict):
                yield from _pairs("route", {lid}, idx.entity_refs(integration.get("uri")), lid)


def _rule(idx: Index, lid: str) -> Iterator[Link]:
    for target in _list(idx.props(lid).get("Targets")):
        if isinstance(target, dict):
            yield from _pairs("rule-target", {lid}, idx.entity_refs(target.get("Arn")), lid)


def _schedule(idx: Index, lid: str) -> Iterator[Link]:
    target = idx.props(lid).get("Target")
    if isinstance(target, dict):
        yield from _pairs("rule-target", {lid}, idx.entity_refs(target.get("Arn")), lid)


def _subscription(idx: Index, lid: str) -> Iterator[Link]:
    p = idx.props(lid)
    topics, ends = idx.entity_refs(p.get("TopicArn")), idx.entity_refs(p.get("Endpoint"))
    yield from _pairs("subscription", topics, ends, lid)


def _topic(idx: Index, lid: str) -> Iterator[Link]:
    for sub in _list(idx.props(lid).get("Subscription")):
        if isinstance(sub, dict):
            yield from _pairs("subscription", {lid}, idx.entity_refs(sub.get("Endpoint")), lid)


def _principal(value) -> str:
    if isinstance(value, dict):
        value = value.get("Service")
    if isinstance(value, list):
        value = value[0] if len(value) == 1 else None
    return value if isinstance(value, str) else ""


def _permission(idx: Index, lid: str) -> Iterator[Link]:
    p = idx.props(lid)
    source = p.get("SourceArn")
    sources = idx.entity_refs(source) if source is not None else {ANY}
    principal = _principal(p.get("Principal"))
    functions = idx.entity_refs(p.get("FunctionName"))
    yield from _pairs("permission", sources, functions, lid, principal=principal)


def _statements(doc) -> Iterator[dict]:
    if isinstance(doc, dict):
        for s in _list(doc.get("Statement")):
            if isinstance(s, dict) and s.get("Effect", "Allow") == "Allow":
                yield s


def _resource_policy(key: str) -> Callable[[Index, str], Iterator[Link]]:
    def extract(idx: Index, lid: str) -> Iterator[Link]:
        p = idx.props(lid)
        targets = idx.entity_refs(p.get(key))
        for s in _statements(p.get("PolicyDocument")):
            principal = _principal(s.get("Principal"))
            if not principal:
                continue
            condition = s.get("Condition")
            sources = idx.entity_refs(condition) if condition else set()
            yield from _pairs(
                "resource-policy", sources or {ANY}, targets, lid, principal=principal
            )

    return extract


def _grants(idx: Index, holders, doc, via: str) -> Iterator[Link]:
    for s in _statements(doc):
        if "Action" not in s or "Resource" not in s:
            continue  # NotAction / NotResource: not a grant we can read
        actions = tuple(sorted(a for a in _list(s["Action"]) if isinstance(a, str)))
        resources = _list(s["Resource"])
        targets = set(idx.entity_refs(resources))
        if any(r == "*" for r in resources):
            targets.add(ANY)
        yield from _pairs("iam", holders, targets, via, actions=actions)


def _managed(idx: Index, holders, arns, via: str) -> Iterator[Link]:
    for arn in _list(arns):
        managed = idx.refs(arn) & set(idx.ids_of("AWS::IAM::ManagedPolicy"))
        if managed:
            continue  # a template managed policy: read where it is declared
        name = arn.rsplit("/", 1)[-1] if isinstance(arn, str) else ""
        if name in MANAGED_POLICIES:
            yield from _pairs("iam", holders, {ANY}, via, actions=MANAGED_POLICIES[name])


def _role(idx: Index, lid: str) -> Iterator[Link]:
    holders = idx.entity_of(lid)
    p = idx.props(lid)
    for policy in _list(p.get("Policies")):
        if isinstance(policy, dict):
            yield from _grants(idx, holders, policy.get("PolicyDocument"), lid)
    yield from _managed(idx, holders, p.get("ManagedPolicyArns"), lid)


def _policy(idx: Index, lid: str) -> Iterator[Link]:
    """A standalone policy, attached through its `Roles` or a role's `ManagedPolicyArns`."""
    p = idx.props(lid)
    roles = idx.refs(p.get("Roles")) | {
        role
        for role in idx.ids_of("AWS::IAM::Role")
        if lid in idx.refs(idx.props(role).get("ManagedPolicyArns"))
    }
    holders = {h for role in roles for h in idx.entity_of(role)}
    yield from _grants(idx, holders, p.get("PolicyDocument"), lid)


def _function(idx: Index, lid: str) -> Iterator[Link]:
    p = idx.props(lid)
    env = p.get("Environment") if isinstance(p.get("Environment"), dict) else {}
    variables = env.get("Variables") if isinstance(env.get("Variables"), dict) else {}
    for name in sorted(variables):
        yield from _pairs("env", {lid}, idx.entity_refs(variables[name]), lid)
    dlq = p.get("DeadLetterConfig") if isinstance(p.get("DeadLetterConfig"), dict) else {}
    yield from _pairs("dead-letter", {lid}, idx.entity_refs(dlq.get("TargetArn")), lid)


def _queue(idx: Index, lid: str) -> Iterator[Link]:
    redrive = idx.props(lid).get("RedrivePolicy")
    if isinstance(redrive, dict):
        dlq = idx.entity_refs(redrive.get("deadLetterTargetArn"))
        yield from _pairs("redrive", {lid}, dlq, lid)


def _state_machine(idx: Index, lid: str) -> Iterator[Link]:
    try:
        m = asl.machine(lid, idx)
    except asl.DefinitionError:
        return
    targets = {t for s in m.states.values() for t in s.targets}
    yield from _pairs("task", {lid}, targets, lid)


EXTRACTORS: dict[str, Callable[[Index, str], Iterator[Link]]] = {
    "AWS::S3::Bucket": _bucket,
    "AWS::Lambda::EventSourceMapping": _mapping,
    "AWS::ApiGatewayV2::Route": _route,
    "AWS::ApiGatewayV2::Api": _api,
    "AWS::ApiGateway::RestApi": _api,
    "AWS::ApiGateway::Method": _method,
    "AWS::Events::Rule": _rule,
    "AWS::Scheduler::Schedule": _schedule,
    "AWS::SNS::Subscription": _subscription,
    "AWS::SNS::Topic": _topic,
    "AWS::Lambda::Permission": _permission,
    "AWS::SQS::QueuePolicy": _resource_policy("Queues"),
    "AWS::SNS::TopicPolicy": _resource_policy("Topics"),
    "AWS::IAM::Role": _role,
    "AWS::IAM::Policy": _policy,
    "AWS::IAM::ManagedPolicy": _policy,
    "AWS::Lambda::Function": _function,
    "AWS::SQS::Queue": _queue,
    "AWS::StepFunctions::StateMachine": _state_machine,
}


def extract(idx: Index) -> list[Link]:
    """Every connection the template realises, sorted and without duplicates."""
    out: set[Link] = set()
    for lid in sorted(idx.resources):
        extractor = EXTRACTORS.get(idx.type(lid))
        if extractor:
            out.update(extractor(idx, lid))
    return sorted(out)


def covers(granted: str, wanted: str) -> bool:
    """Does the IAM action pattern `granted` (`sqs:*`, `s3:Get*`) allow `wanted`?"""
    return fnmatch.fnmatchcase(wanted.lower(), granted.lower())
