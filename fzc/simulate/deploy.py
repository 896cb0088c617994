"""Deploy a compiled template into moto, then fill in what moto's CloudFormation leaves out.

moto's CloudFormation (verify.md §6) ignores some resource types, drops some properties and
puts state machines where they cannot run. What matters for delivery is redone with boto3:

- bucket `NotificationConfiguration` dropped: s3.put_bucket_notification_configuration;
- `AWS::SNS::Subscription` ignored: sns.subscribe;
- a state machine lands in the non-executing backend: registered with the executing one,
  its `DefinitionSubstitutions` filled;
- `AWS::ApiGatewayV2::*` ignored: the routes are kept here, and a request becomes a payload
  v2 event for the route's function (`send`);
- a function's environment resolved wrongly (`!Ref` of an event bus gives moto's object):
  lambda.update_function_configuration;
- topic, queue and bucket policies ignored: nothing to do, moto does not enforce them.

What moto is given (`for_moto`): the functions' code inline (a placeholder: the handlers run
from the compiled stubs, in-process), a fixed physical name for every named resource type
(so `resolve.Resolver` computes the same ARNs, URLs and names), no Outputs, and values that
refer to ignored resources resolved beforehand (moto rejects a `GetAtt` on them).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fzc.simulate import sfn
from fzc.simulate.machines import Machine
from fzc.simulate.resolve import ACCOUNT, REGION, SHAPES, STACK, Resolver

IGNORED = (
    "AWS::ApiGatewayV2::Api",
    "AWS::ApiGatewayV2::Integration",
    "AWS::ApiGatewayV2::Route",
    "AWS::ApiGatewayV2::Stage",
    "AWS::SNS::Subscription",
    "AWS::SNS::TopicPolicy",
    "AWS::SQS::QueuePolicy",
    "AWS::S3::BucketPolicy",
)
PLACEHOLDER = "# fzc simulate runs this function's compiled handler in-process\n"
# CloudFormation notification list -> (API list, CloudFormation target key, API target key)
NOTIFICATIONS = (
    ("LambdaConfigurations", "LambdaFunctionConfigurations", "Function", "LambdaFunctionArn"),
    ("TopicConfigurations", "TopicConfigurations", "Topic", "TopicArn"),
    ("QueueConfigurations", "QueueConfigurations", "Queue", "QueueArn"),
)


class DeployError(Exception):
    """moto could not create the stack."""


@dataclass(frozen=True)
class Fill:
    """One thing moto's CloudFormation left out that the deployment redid with boto3."""

    resource: str  # logical id
    what: str
    how: str


@dataclass(frozen=True)
class Route:
    """An HTTP API route moto ignores, kept here so a request reaches its function."""

    key: str  # "POST /webhook"
    api: str  # logical id of the API
    function: str  # physical name of the integrated function


@dataclass
class Deployment:
    """The stack as deployed into moto, and what was done to fill its gaps."""

    resolver: Resolver
    machines: list[Machine]
    fills: list[Fill] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    resources: int = 0


def deploy(aws: Any, template: dict, resolver: Resolver, machines: list[Machine]) -> Deployment:
    cfn = aws.client("cloudformation")
    body = json.dumps(for_moto(template, resolver))
    try:
        cfn.create_stack(StackName=STACK, TemplateBody=body, Capabilities=["CAPABILITY_NAMED_IAM"])
        status = cfn.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"]
    except Exception as exc:  # noqa: BLE001 - any moto failure is reported, not raised
        raise DeployError(f"{type(exc).__name__}: {exc}") from None
    if status != "CREATE_COMPLETE":
        raise DeployError(f"the stack ended in {status}")
    done = Deployment(resolver, machines, resources=len(template.get("Resources") or {}))
    by_id = {m.logical_id: m for m in machines}
    for lid, res in (template.get("Resources") or {}).items():
        fill = FILLS.get(res.get("Type"))
        if fill is not None:
            fill(aws, done, lid, resolver.value(res.get("Properties") or {}), by_id)
    return done


def for_moto(template: dict, resolver: Resolver) -> dict:
    ignored = {lid for lid, r in template["Resources"].items() if r.get("Type") in IGNORED}
    resources = {}
    for lid, res in template["Resources"].items():
        res = dict(res)
        props = _detach(dict(res.get("Properties") or {}), ignored, resolver)
        prop = SHAPES.get(res.get("Type"), (None,))[0]
        if prop and prop not in props:
            props[prop] = resolver.name(lid)
        if res.get("Type") == "AWS::Lambda::Function":
            props["Code"] = {"ZipFile": PLACEHOLDER}
        res["Properties"] = props
        resources[lid] = res
    return {k: v for k, v in template.items() if k != "Outputs"} | {"Resources": resources}


def _detach(data: Any, ignored: set[str], resolver: Resolver) -> Any:
    """`data` with every intrinsic that names an ignored resource resolved here."""
    if isinstance(data, list):
        return [_detach(x, ignored, resolver) for x in data]
    if not isinstance(data, dict):
        return data
    if len(data) == 1 and next(iter(data)) in ("Ref", "Fn::GetAtt", "Fn::Sub"):
        if references(data) & ignored:
            return resolver.value(data)
    return {k: _detach(v, ignored, resolver) for k, v in data.items()}


def references(data: Any) -> set[str]:
    """Logical ids named by `Ref`, `Fn::GetAtt` and `${...}` inside `data`."""
    if isinstance(data, list):
        return set().union(*(references(x) for x in data)) if data else set()
    if not isinstance(data, dict):
        return set()
    found: set[str] = set()
    for key, arg in data.items():
        if key == "Ref" and isinstance(arg, str):
            found.add(arg)
        elif key == "Fn::GetAtt":
            found.add(arg[0] if isinstance(arg, list) else str(arg).split(".")[0])
        elif key == "Fn::Sub":
            text = arg[0] if isinstance(arg, list) else arg
            found |= {m.split(".")[0] for m in _placeholders(str(text))}
            found |= references(arg[1:] if isinstance(arg, list) else [])
        else:
            found |= references(arg)
    return found


def _placeholders(text: str) -> list[str]:
    return re.findall(r"\$\{([^}!][^}]*)\}", text)


# -- the fill-ins, one per resource type ----------------------------------------------------
def _bucket(aws, done: Deployment, lid: str, props: dict, machines) -> None:
    config = props.get("NotificationConfiguration")
    if not config:
        return
    api: dict = {}
    for cfn_list, api_list, cfn_key, api_key in NOTIFICATIONS:
        for c in config.get(cfn_list) or []:
            item = {api_key: c[cfn_key], "Events": [c["Event"]]}
            rules = ((c.get("Filter") or {}).get("S3Key") or {}).get("Rules")
            if rules:
                item["Filter"] = {"Key": {"FilterRules": rules}}
            api.setdefault(api_list, []).append(item)
    aws.client("s3").put_bucket_notification_configuration(
        Bucket=props["BucketName"], NotificationConfiguration=api
    )
    done.fills.append(
        Fill(lid, "NotificationConfiguration", "s3.put_bucket_notification_configuration")
    )


def _subscription(aws, done: Deployment, lid: str, props: dict, machines) -> None:
    attrs = {
        k: json.dumps(v) if isinstance(v, dict) else str(v).lower()
        for k, v in props.items()
        if k in ("RawMessageDelivery", "FilterPolicy")
    }
    aws.client("sns").subscribe(
        TopicArn=props["TopicArn"],
        Protocol=props["Protocol"],
        Endpoint=props.get("Endpoint", ""),
        Attributes=attrs,
    )
    done.fills.append(Fill(lid, "subscription", "sns.subscribe"))


def _machine(aws, done: Deployment, lid: str, props: dict, machines: dict) -> None:
    m = machines.get(lid)
    if m is None or m.filled is None:
        done.fills.append(Fill(lid, "state machine", "not registered: a substitution is missing"))
        return
    role = done.resolver.attribute(m.role, "Arn") if m.role else "arn:aws:iam::123456789012:role/x"
    name = done.resolver.name(lid)
    try:
        sfn.register(aws.client("stepfunctions"), name, json.dumps(m.filled), role)
    except Exception as exc:  # noqa: BLE001 - moto refused the definition: runs will say so
        done.fills.append(Fill(lid, "state machine", f"not registered: {exc}"))
        return
    done.fills.append(Fill(lid, "state machine", "registered with the executing backend"))


def _route(aws, done: Deployment, lid: str, props: dict, machines) -> None:
    resources = done.resolver.resources
    target = str(props.get("Target", ""))
    integration = target.split("/", 1)[1] if target.startswith("integrations/") else ""
    uri = ((resources.get(integration) or {}).get("Properties") or {}).get("IntegrationUri")
    function = str(done.resolver.value(uri) or "").rsplit(":", 1)[-1]
    api = (props.get("ApiId") or "").strip()
    key = str(props.get("RouteKey", "$default"))
    done.routes.append(Route(key, api, function))
    done.fills.append(Fill(lid, f"route {key}", "kept by fzc simulate: requests become events"))


def _function(aws, done: Deployment, lid: str, props: dict, machines) -> None:
    from moto.awslambda.utils import get_backend

    wanted = {
        k: str(v) for k, v in ((props.get("Environment") or {}).get("Variables") or {}).items()
    }
    have = get_backend(ACCOUNT, REGION).get_function(props["FunctionName"]).environment_vars or {}
    wrong = sorted(k for k, v in wanted.items() if not isinstance(have.get(k), str) or have[k] != v)
    if not wrong:
        return
    aws.client("lambda").update_function_configuration(
        FunctionName=props["FunctionName"], Environment={"Variables": wanted}
    )
    done.fills.append(
        Fill(lid, f"Environment ({', '.join(wrong)})", "lambda.update_function_configuration")
    )


def _policy(aws, done: Deployment, lid: str, props: dict, machines) -> None:
    done.fills.append(Fill(lid, "resource policy", "not needed: moto does not enforce it"))


FILLS: dict[str, Callable[..., None]] = {
    "AWS::S3::Bucket": _bucket,
    "AWS::Lambda::Function": _function,
    "AWS::SNS::Subscription": _subscription,
    "AWS::StepFunctions::StateMachine": _machine,
    "AWS::ApiGatewayV2::Route": _route,
    "AWS::SNS::TopicPolicy": _policy,
    "AWS::SQS::QueuePolicy": _policy,
    "AWS::S3::BucketPolicy": _policy,
}
