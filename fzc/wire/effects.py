"""The effect vocabulary of the edge rules. Each effect is a small frozen record whose `apply`
adds to the plan and records what it added (`fzc explain` prints those records).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fzc.wire import ids
from fzc.wire.builder import Builder
from fzc.wire.draft import EdgeContext, End
from fzc.wire.plan import Call as CallRecord
from fzc.wire.plan import Trigger as TriggerRecord
from fzc.wire.refs import env_name, getatt, ref, sub

_METHOD = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY)\b", re.IGNORECASE)
_PATH = re.compile(r"(/[A-Za-z0-9_\-./{}]*)")
_SERVICE_WORDS = re.compile(r"\b(api|gateway|http|rest|aws|amazon)\b", re.IGNORECASE)


def _side(ctx: EdgeContext, which: str) -> End:
    return ctx.src if which == "src" else ctx.dst


def _other(which: str) -> str:
    return "dst" if which == "src" else "src"


@dataclass(frozen=True, slots=True)
class Grant:
    """An IAM statement on the role of `on`, for `actions` on the other side's `attrs`."""

    on: str  # "src" or "dst"
    actions: tuple[str, ...]
    attrs: tuple[str, ...] = ("arn",)

    def apply(self, b: Builder, ctx: EdgeContext) -> None:
        holder, other = _side(ctx, self.on), _side(ctx, _other(self.on))
        resources = [b.attr(other, a) for a in self.attrs]
        role = b.grant(holder.lid, self.actions, resources)
        ctx.note("iam", role, actions=list(self.actions), resources=resources)


@dataclass(frozen=True, slots=True)
class Permission:
    """A resource-based `lambda:InvokeFunction` permission on the target function."""

    principal: str
    source_account: bool = False

    def apply(self, b: Builder, ctx: EdgeContext) -> None:
        lid = b.derived(ctx.dst.lid, "From" + ctx.src.lid)
        props = {
            "Action": "lambda:InvokeFunction",
            "FunctionName": ref(ctx.dst.lid),
            "Principal": self.principal,
            "SourceArn": b.attr(ctx.src, "arn"),
        }
        if self.source_account:
            # Bucket ARNs carry no account id: without SourceAccount another account's
            # bucket of the same name could invoke the function (cfn-lint W3663).
            props["SourceAccount"] = ref("AWS::AccountId")
        b.add(
            lid, "AWS::Lambda::Permission", props, span=ctx.span, lane=ctx.lane, origin=ctx.origin
        )
        ctx.last_policy = lid
        ctx.note(
            "permission",
            lid,
            principal=self.principal,
            source_arn=props["SourceArn"],
            source_account=self.source_account,
        )


_POLICY_TYPES = {
    "sqs": ("AWS::SQS::QueuePolicy", "Queues", "url", "sqs:SendMessage"),
    "sns": ("AWS::SNS::TopicPolicy", "Topics", "arn", "sns:Publish"),
}


@dataclass(frozen=True, slots=True)
class ServicePolicy:
    """A queue or topic policy letting an AWS service deliver to the target."""

    principal: str

    def apply(self, b: Builder, ctx: EdgeContext) -> None:
        type_, key, attr, action = _POLICY_TYPES[ctx.dst.kind]
        lid = b.derived(ctx.dst.lid, "PolicyFrom" + ctx.src.lid)
        condition = {
            "ArnLike": {"aws:SourceArn": b.attr(ctx.src, "arn")},
            "StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")},
        }
        statement = {
            "Effect": "Allow",
            "Principal": {"Service": self.principal},
            "Action": action,
            "Resource": b.attr(ctx.dst, "arn"),
            "Condition": condition,
        }
        b.add(
            lid,
            type_,
            {
                key: [b.attr(ctx.dst, attr)],
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [statement]},
            },
            span=ctx.span,
            lane=ctx.lane,
            origin=ctx.origin,
        )
        ctx.last_policy = lid
        ctx.note(
            "resource-policy",
            lid,
            principal=self.principal,
            action=action,
            source_arn=condition["ArnLike"]["aws:SourceArn"],
        )


_NOTIFY = {
    "lambda": ("LambdaConfigurations", "Function", "arn"),
    "sqs": ("QueueConfigurations", "Queue", "arn"),
    "sns": ("TopicConfigurations", "Topic", "arn"),
}


@dataclass(frozen=True, slots=True)
class Notification:
    """An S3 event notification; the bucket waits for the destination's permission."""

    event: str = "s3:ObjectCreated:*"

    def apply(self, b: Builder, ctx: EdgeContext) -> None:
        key, field, attr = _NOTIFY[ctx.dst.kind]
        bucket = b.resources[ctx.src.lid]
        config = bucket.properties.setdefault("NotificationConfiguration", {})
        config.setdefault(key, []).append({"Event": self.event, field: b.attr(ctx.dst, attr)})
        if ctx.last_policy and ctx.last_policy not in bucket.depends_on:
            bucket.depends_on.append(ctx.last_policy)
        ctx.note(
            "notification",
            ctx.src.lid,
            event=self.event,
            destination=ctx.dst.lid,
            depends_on=ctx.last_policy,
        )


@dataclass(frozen=True, slots=True)
class StreamOn:
    """Turn on the source table's stream (new and old images)."""

    def apply(self, b: Builder, ctx: EdgeContext) -> None:
        props = b.resources[ctx.src.lid].properties
        if "StreamSpecification" not in props:
            props["StreamSpecification"] = {"StreamViewType": "NEW_AND_OLD_IMAGES"}
        ctx.note("setting", ctx.src.lid, StreamSpecification=props["StreamSpecification"])


@dataclass(frozen=True, slots=True)
class EventSourceMapping:
    """A Lambda event source mapping from the source (queue, table stream, Kinesis)."""

    attr: str
    settings: tuple[tuple[str, object], ...]

    def apply(self, b: Builder, ctx: EdgeContext) -> None:
        lid = b.derived(ctx.dst.lid, "From" + ctx.src.lid)
        props = {"EventSourceArn": b.attr(ctx.src, self.attr), "FunctionName": ref(ctx.dst.lid)}
        props.update({k: v for k, v in self.settings})
        # The mapping is validated at creation: the role must already grant the reads.
        role = b.roles[ctx.dst.lid]
        b.add(
            lid,
            "AWS::Lambda::EventSourceMapping",
            props,
            span=ctx.span,
            lane=ctx.lane,
            origin=ctx.origin,
            depends_on=[role],
        )
        ctx.note(
            "event-source-mapping",
            lid,
            source=props["EventSourceArn"],
            settings=dict(self.settings),
        )


@dataclass(frozen=True, slots=True)
class VisibilityFloor:
    """The queue's visibility timeout covers 6x the consumer's timeout (AWS guidance)."""

    def apply(self, b: Builder, ctx: EdgeContext) -> None:
        props = b.resources[ctx.src.lid].properties
        needed = 6 * b.functions[ctx.dst.lid].timeout
        props["VisibilityTimeout"] = max(props.get("VisibilityTimeout", 30), needed)
        ctx.note("setting", ctx.src.lid, VisibilityTimeout=props["VisibilityTimeout"])


@dataclass(frozen=True, slots=True)
class Subscription:
    """An SNS subscription of the target to the topic (a function, or a queue with raw delivery)."""

    protocol: str
    attr: str = "arn"

    def apply(self, b: Builder, ctx: EdgeContext) -> None:
        lid = b.derived(ctx.dst.lid, "SubscriptionTo" + ctx.src.lid)
        props = {
            "TopicArn": b.attr(ctx.src, "arn"),
            "Protocol": self.protocol,
            "Endpoint": b.attr(ctx.dst, self.attr),
        }
        if self.protocol == "sqs":
            props["RawMessageDelivery"] = True
        depends = [ctx.last_policy] if ctx.last_policy else []
        b.add(
            lid,
            "AWS::SNS::Subscription",
            props,
            span=ctx.span,
            lane=ctx.lane,
            origin=ctx.origin,
            depends_on=depends,
        )
        ctx.note("subscription", lid, protocol=self.protocol, endpoint=props["Endpoint"])


def route_key(ctx: EdgeContext, api_label: str, target_label: str) -> str:
    method = _METHOD.search(ctx.label)
    path = _PATH.search(ctx.label)
    if path:
        p = path.group(1).rstrip(".") or "/"
    else:
        stem = ids.slug(_SERVICE_WORDS.sub(" ", api_label), "", 40)
        p = "/" + (stem or ids.slug(target_label, "route", 40))
    return f"{method.group(1).upper() if method else 'POST'} {p}"


@dataclass(frozen=True, slots=True)
class Route:
    """An HTTP API route with a Lambda proxy integration and a route-scoped permission."""

    def apply(self, b: Builder, ctx: EdgeContext) -> None:
        d = b.diagram
        key = route_key(ctx, d.by_id[ctx.src.node].label, _label(b, ctx.dst))
        method, path = key.split(" ", 1)
        integ = b.derived(ctx.dst.lid, "Integration")
        b.add(
            integ,
            "AWS::ApiGatewayV2::Integration",
            {
                "ApiId": ref(ctx.src.lid),
                "IntegrationType": "AWS_PROXY",
                "IntegrationUri": b.attr(ctx.dst, "arn"),
                "PayloadFormatVersion": "2.0",
            },
            span=ctx.span,
            lane=ctx.lane,
            origin=ctx.origin,
        )
        route = b.derived(ctx.dst.lid, "Route")
        b.add(
            route,
            "AWS::ApiGatewayV2::Route",
            {
                "ApiId": ref(ctx.src.lid),
                "RouteKey": key,
                "Target": sub(f"integrations/${{{integ}}}"),
            },
            span=ctx.span,
            lane=ctx.lane,
            origin=ctx.origin,
        )
        perm = b.derived(ctx.dst.lid, "From" + ctx.src.lid)
        source = sub(
            f"arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}"
            f":${{{ctx.src.lid}}}/*/{method}{path}"
        )
        b.add(
            perm,
            "AWS::Lambda::Permission",
            {
                "Action": "lambda:InvokeFunction",
                "FunctionName": ref(ctx.dst.lid),
                "Principal": "apigateway.amazonaws.com",
                "SourceArn": source,
            },
            span=ctx.span,
            lane=ctx.lane,
            origin=ctx.origin,
        )
        ctx.note("route", route, route_key=key, integration=integ)
        ctx.note("permission", perm, principal="apigateway.amazonaws.com", source_arn=source)
        b.functions[ctx.dst.lid].triggers.append(
            TriggerRecord("http-api", ctx.src.node or "", ctx.index, (("route", key),))
        )


def _label(b: Builder, end: End) -> str:
    if end.node:
        return b.diagram.by_id[end.node].label
    return b.functions[end.lid].label


@dataclass(frozen=True, slots=True)
class RuleTarget:
    """A target on an EventBridge rule (schedule); Lambda gets a permission, a state machine
    gets a role EventBridge assumes to start it."""

    def apply(self, b: Builder, ctx: EdgeContext) -> None:
        rule = b.resources[ctx.src.lid]
        target = {"Id": ctx.dst.lid[:64], "Arn": b.attr(ctx.dst, "arn")}
        if ctx.dst.kind == "sfn":
            role = b.derived(ctx.src.lid, "To" + ctx.dst.lid + "Role")
            from fzc.wire.builder import trust

            b.add(
                role,
                "AWS::IAM::Role",
                {"AssumeRolePolicyDocument": trust("events"), "Policies": []},
                span=ctx.span,
                lane=ctx.lane,
                origin=ctx.origin,
            )
            b.roles[role] = role
            b.grant(role, ("states:StartExecution",), [b.attr(ctx.dst, "arn")])
            target["RoleArn"] = getatt(role, "Arn")
            ctx.note(
                "iam", role, actions=["states:StartExecution"], resources=[b.attr(ctx.dst, "arn")]
            )
        rule.properties["Targets"].append(target)
        ctx.note(
            "rule-target",
            ctx.src.lid,
            target=ctx.dst.lid,
            schedule=rule.properties.get("ScheduleExpression"),
        )


@dataclass(frozen=True, slots=True)
class Env:
    """An environment variable on the source function naming the target (Ref or GetAtt)."""

    def apply(self, b: Builder, ctx: EdgeContext) -> None:
        from fzc.wire.refs import ENV

        fn = b.functions[ctx.src.lid]
        stem = ids.upper_snake(_label(b, ctx.dst), ctx.dst.lid)
        name = env_name(stem, ctx.dst.kind)
        value = b.attr(ctx.dst, ENV[ctx.dst.kind][1])
        while name in fn.env and fn.env[name] != value:
            name = name + "_" + (ctx.dst.node or "X").upper()
        fn.env[name] = value
        ctx.note("env", ctx.src.lid, name=name, value=value)


@dataclass(frozen=True, slots=True)
class Call:
    """The SDK call the source function's stub makes for this edge."""

    service: str
    operation: str

    def apply(self, b: Builder, ctx: EdgeContext) -> None:
        fn = b.functions[ctx.src.lid]
        env = next(reversed(fn.env)) if fn.env else ""
        fn.calls.append(
            CallRecord(self.service, self.operation, env, ctx.dst.node or "", ctx.index)
        )
        ctx.note("sdk-call", ctx.src.lid, client=self.service, operation=self.operation, env=env)


@dataclass(frozen=True, slots=True)
class Trigger:
    """Record on the target function how it is invoked (its stub parses that event)."""

    kind: str

    def apply(self, b: Builder, ctx: EdgeContext) -> None:
        b.functions[ctx.dst.lid].triggers.append(
            TriggerRecord(self.kind, ctx.src.node or "", ctx.index)
        )


@dataclass(frozen=True, slots=True)
class Redrive:
    """The source queue's dead-letter queue (the target)."""

    max_receive_count: int = 5

    def apply(self, b: Builder, ctx: EdgeContext) -> None:
        props = b.resources[ctx.src.lid].properties
        props["RedrivePolicy"] = {
            "deadLetterTargetArn": b.attr(ctx.dst, "arn"),
            "maxReceiveCount": self.max_receive_count,
        }
        b.resources[ctx.dst.lid].properties["MessageRetentionPeriod"] = 1209600
        ctx.note("setting", ctx.src.lid, RedrivePolicy=props["RedrivePolicy"])


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """Failed asynchronous invocations of the source function go to the target queue."""

    def apply(self, b: Builder, ctx: EdgeContext) -> None:
        props = b.resources[ctx.src.lid].properties
        props["DeadLetterConfig"] = {"TargetArn": b.attr(ctx.dst, "arn")}
        ctx.note("setting", ctx.src.lid, DeadLetterConfig=props["DeadLetterConfig"])
