"""CloudFormation values without CloudFormation: the intrinsic functions of a template,
resolved the way the simulation deploys it.

The simulation gives every named resource type a fixed physical name (its name property
when the template sets one, else its logical id: `names`), so what is computed here equals
what moto's CloudFormation computes for the same template. The static checks use these
values for IAM matching; the deployment uses them to fill in what moto's CloudFormation
drops (bucket notifications, state machine substitutions, SNS subscriptions).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"
STACK = "fzc-simulate"
PSEUDO = {
    "AWS::AccountId": ACCOUNT,
    "AWS::Region": REGION,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": STACK,
    "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK}/fzc",
    "AWS::NoValue": None,
}
_ARN = "arn:aws:{service}:" + REGION + ":" + ACCOUNT + ":"


def _arn(service: str, rest: str) -> str:
    return _ARN.format(service=service) + rest


# type -> (name property, its length limit, attribute -> format of {name})
SHAPES: dict[str, tuple[str | None, int, dict[str, str]]] = {
    "AWS::S3::Bucket": ("BucketName", 63, {"Ref": "{name}", "Arn": "arn:aws:s3:::{name}"}),
    "AWS::DynamoDB::Table": (
        "TableName",
        255,
        {
            "Ref": "{name}",
            "Arn": _arn("dynamodb", "table/{name}"),
            "StreamArn": _arn("dynamodb", "table/{name}/stream/fzc"),
        },
    ),
    "AWS::SQS::Queue": (
        "QueueName",
        80,
        {
            "Ref": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{{name}}",
            "Arn": _arn("sqs", "{name}"),
            "QueueName": "{name}",
            "QueueUrl": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{{name}}",
        },
    ),
    "AWS::SNS::Topic": (
        "TopicName",
        256,
        {"Ref": _arn("sns", "{name}"), "TopicArn": _arn("sns", "{name}"), "TopicName": "{name}"},
    ),
    "AWS::Lambda::Function": (
        "FunctionName",
        64,
        {"Ref": "{name}", "Arn": _arn("lambda", "function:{name}")},
    ),
    "AWS::StepFunctions::StateMachine": (
        "StateMachineName",
        80,
        {
            "Ref": _arn("states", "stateMachine:{name}"),
            "Arn": _arn("states", "stateMachine:{name}"),
            "Name": "{name}",
        },
    ),
    "AWS::Events::Rule": ("Name", 64, {"Ref": "{name}", "Arn": _arn("events", "rule/{name}")}),
    "AWS::Events::EventBus": (
        "Name",
        256,
        {"Ref": "{name}", "Arn": _arn("events", "event-bus/{name}"), "Name": "{name}"},
    ),
    "AWS::Kinesis::Stream": (
        "Name",
        128,
        {"Ref": "{name}", "Arn": _arn("kinesis", "stream/{name}")},
    ),
    "AWS::IAM::Role": (None, 64, {"Ref": "{name}", "Arn": f"arn:aws:iam::{ACCOUNT}:role/{{name}}"}),
    "AWS::IAM::ManagedPolicy": (None, 128, {"Ref": f"arn:aws:iam::{ACCOUNT}:policy/{{name}}"}),
    "AWS::Logs::LogGroup": (
        "LogGroupName",
        512,
        {"Ref": "{name}", "Arn": _arn("logs", "log-group:{name}:*")},
    ),
    "AWS::KMS::Key": (None, 64, {"Ref": "{name}", "Arn": _arn("kms", "key/{name}")}),
    "AWS::ApiGatewayV2::Api": (
        None,
        64,
        {
            "Ref": "{name}",
            "ApiId": "{name}",
            "ApiEndpoint": f"https://{{name}}.execute-api.{REGION}",
        },
    ),
}
_SUB = re.compile(r"\$\{([^}!][^}]*)\}")


class Resolver:
    """Resolves `Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::Join`, `Fn::Select`, `Fn::Split`."""

    def __init__(self, template: dict) -> None:
        self.resources: dict = template.get("Resources") or {}
        self.params = {
            k: v.get("Default", "") for k, v in (template.get("Parameters") or {}).items()
        }
        self._names: dict[str, str] = {}

    def name(self, logical_id: str) -> str:
        """The physical name the simulation gives the resource."""
        if logical_id not in self._names:
            res = self.resources.get(logical_id) or {}
            prop, limit, _ = SHAPES.get(res.get("Type"), (None, 64, {}))
            given = (res.get("Properties") or {}).get(prop) if prop else None
            value = self.value(given) if given is not None else _fit(logical_id, limit)
            if res.get("Type") == "AWS::S3::Bucket" and given is None:
                value = value.lower()
            self._names[logical_id] = str(value)
        return self._names[logical_id]

    def attribute(self, logical_id: str, attr: str) -> Any:
        if logical_id in PSEUDO:
            return PSEUDO[logical_id]
        if logical_id in self.params and attr == "Ref":
            return self.params[logical_id]
        res = self.resources.get(logical_id)
        if res is None:
            return f"${{{logical_id}}}" if attr == "Ref" else f"${{{logical_id}.{attr}}}"
        shape = SHAPES.get(res.get("Type"), (None, 64, {"Ref": "{name}"}))[2]
        return shape.get(attr, "{name}." + attr).format(name=self.name(logical_id))

    def value(self, data: Any) -> Any:
        """`data` with every intrinsic function replaced by its value."""
        if isinstance(data, list):
            return [self.value(x) for x in data]
        if not isinstance(data, dict):
            return data
        if len(data) == 1:
            ((key, arg),) = data.items()
            if key in _INTRINSICS:
                return _INTRINSICS[key](self, arg)
        return {k: self.value(v) for k, v in data.items()}

    def _sub(self, arg: Any) -> str:
        text, local = (arg[0], self.value(arg[1])) if isinstance(arg, list) else (arg, {})

        def one(m: re.Match) -> str:
            ref = m.group(1)
            if ref in local:
                return str(local[ref])
            lid, _, attr = ref.partition(".")
            return str(self.attribute(lid, attr or "Ref"))

        return _SUB.sub(one, text).replace("${!", "${")


def _getatt(r: Resolver, arg: Any) -> Any:
    lid, attr = arg if isinstance(arg, list) else str(arg).split(".", 1)
    return r.attribute(lid, attr)


def _select(r: Resolver, arg: list) -> Any:
    index, items = r.value(arg[0]), r.value(arg[1])
    return items[int(index)]


_INTRINSICS: dict[str, Callable[[Resolver, Any], Any]] = {
    "Ref": lambda r, arg: r.attribute(arg, "Ref"),
    "Fn::GetAtt": _getatt,
    "Fn::Sub": lambda r, arg: r._sub(arg),
    "Fn::Join": lambda r, arg: str(r.value(arg[0])).join(str(x) for x in r.value(arg[1])),
    "Fn::Select": _select,
    "Fn::Split": lambda r, arg: str(r.value(arg[1])).split(r.value(arg[0])),
}


def _fit(name: str, limit: int) -> str:
    """`name` cut to `limit` characters, a short hash keeping cut names apart."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return name[: limit - 9] + "-" + digest


def short(identifier: str) -> str:
    """The name inside an ARN or URL: `arn:...:function:f` -> `f`, `.../table/t/stream/x` ->
    `t`, a queue URL -> the queue's name; anything else stays as it is."""
    text = str(identifier).rstrip("/")
    if text.startswith("https://"):
        return text.rsplit("/", 1)[-1]
    if not text.startswith("arn:") or text.count(":") < 5:
        return text
    parts = re.split(r"[:/]", text.split(":", 5)[5])
    return parts[1] if len(parts) > 1 and parts[0] in _ARN_TYPES else parts[0]


_ARN_TYPES = (
    "function",
    "table",
    "stateMachine",
    "execution",
    "rule",
    "event-bus",
    "stream",
    "log-group",
    "role",
    "policy",
    "key",
)
