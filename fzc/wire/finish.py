"""The planner's last steps: glue functions for pairs with no native integration, topic
encryption that service publishers can use, outputs, and freezing drafts into the plan."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fzc.diagnostics import diag
from fzc.diagnostics.codes import CODES
from fzc.wire import rules, waivers
from fzc.wire.builder import plain
from fzc.wire.draft import End
from fzc.wire.plan import Function, NodePlan, Plan, Resource, Workflow
from fzc.wire.refs import getatt, ref, sub

if TYPE_CHECKING:
    from fzc.model import Edge
    from fzc.wire.planner import Planner

PREFIX_PATTERN = "^[a-z][a-z0-9-]{1,15}$"


def glue(p: Planner, e: Edge, src: End, dst: End) -> bool:
    """Realise src -> dst through a generated function: src triggers it, it calls dst."""
    into = rules.RULES.get((src.kind, "lambda"))
    out, _ = rules.lookup("lambda", dst.kind, e.label or "", p.typed[e.target.node].dlq)
    if into is None or out is None or src.node is None:
        return False
    b = p.b
    label = (
        f"{p.d.by_id[src.node].label} to {p.d.by_id[dst.node].label} glue"
        if dst.node
        else f"{src.lid} glue"
    )
    lid = b.alloc.claim(f"{src.lid}To{dst.lid}Glue"[:60])
    lane = p.d.by_id[src.node].lane
    b.function(
        lid,
        label,
        e.span,
        lane,
        f"{e.source.node} -> {e.target.node}",
        node=None,
        edge=e.index,
        description=f"Generated glue for {e.source.node} -> {e.target.node}: {label}",
    )
    fn = End(None, "lambda", lid)
    effects = [*p._apply(e, into, src, fn), *p._apply(e, out, fn, dst)]
    p._record(
        e,
        f"glue:{into.name}+{out.name}",
        f"no native integration: a generated function ({lid}) bridges them",
        effects,
    )
    p.diagnostics.append(
        diag(
            CODES["FZ3004"],
            f"{src.kind} -> {dst.kind} has no native integration",
            e.span,
            label=f"realised by generated function {lid}",
            help=f"fill in its handler in functions/{b.functions[lid].folder}/",
        )
    )
    return True


def _encrypt_topics(p: Planner) -> None:
    """AWS-managed keys cannot be used by service principals: a topic S3 or EventBridge
    publishes to needs a customer-managed key whose policy admits them (wiring.md G-KMS)."""
    b = p.b
    services = sorted(
        {
            s["Principal"]["Service"]
            for r in b.resources.values()
            if r.type == "AWS::SNS::TopicPolicy"
            for s in r.properties["PolicyDocument"]["Statement"]
        }
    )
    if not services:
        return
    key = b.alloc.claim("TopicKey")
    b.add(
        key,
        "AWS::KMS::Key",
        {
            "Description": "Encrypts the topics that AWS services publish to",
            "EnableKeyRotation": True,
            "KeyPolicy": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "AccountAdministration",
                        "Effect": "Allow",
                        "Principal": {
                            "AWS": sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")
                        },
                        "Action": "kms:*",
                        "Resource": "*",
                    },
                    {
                        "Sid": "ServicesPublishingToTopics",
                        "Effect": "Allow",
                        "Principal": {"Service": services},
                        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                        "Resource": "*",
                        "Condition": {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}},
                    },
                ],
            },
        },
        span=p.d.lanes[0].span if p.d.lanes else p.d.nodes[0].span,
        lane=None,
        origin="topics",
        deletion_policy="Retain",
    )
    for r in b.resources.values():
        if r.type == "AWS::SNS::Topic":
            r.properties["KmsMasterKeyId"] = ref(key)
    for holder in list(b.roles):
        if _publishes(b, holder):
            b.grant(holder, ("kms:Decrypt", "kms:GenerateDataKey*"), [getatt(key, "Arn")])


def _publishes(b, holder: str) -> bool:
    role = b.resources[b.roles[holder]]
    for policy in role.properties["Policies"]:
        for s in policy["PolicyDocument"]["Statement"]:
            if "sns:Publish" in s["Action"]:
                return True
    return False


OUTPUTS = {
    "AWS::S3::Bucket": ("Name", "bucket name", lambda lid: ref(lid)),
    "AWS::DynamoDB::Table": ("Name", "table name", lambda lid: ref(lid)),
    "AWS::SQS::Queue": ("Url", "queue URL", lambda lid: ref(lid)),
    "AWS::SNS::Topic": ("Arn", "topic ARN", lambda lid: ref(lid)),
    "AWS::StepFunctions::StateMachine": ("Arn", "state machine ARN", lambda lid: ref(lid)),
    "AWS::ApiGatewayV2::Api": (
        "Url",
        "API endpoint",
        lambda lid: sub(f"https://${{{lid}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/"),
    ),
    "AWS::Kinesis::Stream": ("Name", "stream name", lambda lid: ref(lid)),
    "AWS::Lambda::Function": ("Name", "function name", lambda lid: ref(lid)),
}


def _outputs(p: Planner) -> tuple:
    out = []
    for node_id, lid in sorted(p.b.primary.items(), key=lambda kv: p.b.resources[kv[1]].span.start):
        res = p.b.resources[lid]
        if res.type in OUTPUTS:
            suffix, what, value = OUTPUTS[res.type]
            label = p.d.by_id[node_id].label
            out.append((lid + suffix, plain(f"{label} ({node_id}): {what}")[:1000], value(lid)))
    return tuple(out)


def _node_plans(p: Planner) -> tuple[NodePlan, ...]:
    plans = []
    for node in p.d.by_id.values():
        t = p.typed[node.id]
        kind = t.kind.cfn_type or t.kind.name
        owned = tuple(p.b.owned.get(node.id, ()))
        plans.append(NodePlan(node.id, node.lane, node.label, kind, t.kind.name, t.reason, owned))
    return tuple(plans)


def _workflows(p: Planner) -> tuple[Workflow, ...]:
    out = []
    for f in p.flows:
        span = p.b.resources[f.lid].span
        out.append(
            Workflow(
                f.lid,
                f.group.orchestrator,
                f.label,
                f.start,
                tuple(f.steps.values()),
                tuple(f.transitions),
                span,
            )
        )
    return tuple(out)


def _functions(p: Planner) -> tuple[Function, ...]:
    out = []
    for f in p.b.functions.values():
        res = p.b.resources[f.logical_id]
        if f.env:
            res.properties["Environment"] = {"Variables": dict(f.env)}
        out.append(
            Function(
                f.logical_id,
                f.node,
                f.edge,
                f.label,
                f.folder,
                f.description,
                f.timeout,
                tuple(f.triggers),
                tuple(f.calls),
                tuple(f.env.items()),
            )
        )
    return tuple(out)


def freeze(p: Planner) -> Plan:
    _encrypt_topics(p)
    functions = _functions(p)
    resources = tuple(
        Resource(
            r.logical_id,
            r.type,
            r.properties,
            r.span,
            r.lane,
            r.origin,
            tuple(r.depends_on),
            r.deletion_policy,
            waivers.metadata(r.type, r.metadata),
        )
        for r in p.b.resources.values()
    )
    parameters = (
        (
            "Prefix",
            {
                "Type": "String",
                "Default": _prefix_default(p.name),
                "AllowedPattern": PREFIX_PATTERN,
                "Description": "Lower-case prefix of physical names (S3 bucket names must be "
                "lower-case and globally unique)",
            },
        ),
    )
    edges = tuple(sorted(p.edge_plans, key=lambda ep: ep.index))
    return Plan(
        p.d,
        p.name,
        _node_plans(p),
        edges,
        resources,
        functions,
        _workflows(p),
        _outputs(p),
        parameters,
        p.source,
    )


def _prefix_default(name: str) -> str:
    from fzc.wire.ids import slug

    s = slug(name, "fzc", 16)
    s = s if s[:1].isalpha() else "fz-" + s
    return s[:16].rstrip("-") if len(s) > 1 else "fzc"
