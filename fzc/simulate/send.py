"""Sending a scenario's event into a node: one sender per node kind.

Services deliver onwards themselves (moto's S3 notifications, streams, queue mappings, SNS
subscriptions). What moto cannot deliver is done here the way AWS would: an HTTP API route
becomes a payload v2 event for the integrated function, a schedule's tick a scheduled event
for each of the rule's targets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fzc.simulate import sfn
from fzc.simulate.deploy import Deployment
from fzc.simulate.observe import Index, Recorder, Seen
from fzc.simulate.resolve import ACCOUNT, REGION, Resolver
from fzc.simulate.scenarios import Scenario, ScenarioError, kind_of
from fzc.wire.plan import Plan


@dataclass
class Sim:
    """Everything a run needs: the plan, the template, moto and what watches it."""

    plan: Plan
    template: dict
    resolver: Resolver
    aws: Any
    deployment: Deployment
    index: Index
    recorder: Recorder

    def primary(self, node: str) -> str:
        """The logical id of the resource a node is (a workflow's, for a workflow id)."""
        found = next((n for n in self.plan.nodes if n.id == node), None)
        wf = next((w for w in self.plan.workflows if node in (w.node, w.logical_id)), None)
        if wf is not None:
            return wf.logical_id
        for lid in found.resources if found else ():
            res = self.plan.resource(lid)
            if res is not None and res.type == found.kind:
                return lid
        raise ScenarioError(f"{node} is deployed as no resource events can be sent to")

    def props(self, lid: str) -> dict:
        res = (self.template.get("Resources") or {}).get(lid) or {}
        return self.resolver.value(res.get("Properties") or {})


def send(sim: Sim, number: int, scenario: Scenario) -> str:
    """Send the scenario's event; what was sent, in a few words."""
    return SENDERS[kind_of(sim.plan, scenario.node)](sim, number, scenario)


def _body(scenario: Scenario, number: int) -> str:
    default = {"fzc": "simulate", "scenario": number}
    return json.dumps(default if scenario.event is None else scenario.event)


def _s3(sim: Sim, number: int, scenario: Scenario) -> str:
    lid = sim.primary(scenario.node)
    bucket = sim.resolver.name(lid)
    event = scenario.event if isinstance(scenario.event, dict) else {}
    keys = [str(event["key"])] if "key" in event else _object_keys(sim.props(lid), number)
    body = event.get("body", scenario.event) if ("key" in event or "body" in event) else None
    body = json.dumps({"fzc": "simulate", "scenario": number} if body is None else body)
    for key in keys:
        sim.aws.client("s3").put_object(Bucket=bucket, Key=key, Body=body.encode())
    return ", ".join(f"s3://{bucket}/{k}" for k in keys)


def _object_keys(props: dict, number: int) -> list[str]:
    """One key per notification filter of the bucket (prefix + name + suffix)."""
    config = props.get("NotificationConfiguration") or {}
    keys = []
    for listed in ("LambdaConfigurations", "TopicConfigurations", "QueueConfigurations"):
        for c in config.get(listed) or []:
            rules = ((c.get("Filter") or {}).get("S3Key") or {}).get("Rules") or []
            parts = {r["Name"].lower(): r["Value"] for r in rules}
            keys.append(
                f"{parts.get('prefix', '')}fzc-simulate-{number}{parts.get('suffix', '.json')}"
            )
    return sorted(set(keys)) or [f"fzc-simulate-{number}.json"]


def _table(sim: Sim, number: int, scenario: Scenario) -> str:
    from boto3.dynamodb.types import TypeSerializer

    lid = sim.primary(scenario.node)
    props = sim.props(lid)
    item = scenario.event if isinstance(scenario.event, dict) else {"source": "fzc simulate"}
    types = {a["AttributeName"]: a["AttributeType"] for a in props.get("AttributeDefinitions", [])}
    keys = {
        k["AttributeName"]: types.get(k["AttributeName"], "S") for k in props.get("KeySchema", [])
    }
    item = {k: (number if t == "N" else f"fzc-simulate-{number}") for k, t in keys.items()} | item
    plain = json.loads(json.dumps(item), parse_float=Decimal)
    typed = {k: TypeSerializer().serialize(v) for k, v in plain.items()}
    sim.aws.client("dynamodb").put_item(TableName=sim.resolver.name(lid), Item=typed)
    return f"item {json.dumps(item, sort_keys=True)} into table {sim.resolver.name(lid)}"


def _queue(sim: Sim, number: int, scenario: Scenario) -> str:
    url = sim.resolver.attribute(sim.primary(scenario.node), "Ref")
    extra = {}
    if url.endswith(".fifo"):
        extra = {"MessageGroupId": "fzc", "MessageDeduplicationId": f"fzc-{number}"}
    sim.aws.client("sqs").send_message(QueueUrl=url, MessageBody=_body(scenario, number), **extra)
    return f"a message to {url}"


def _topic(sim: Sim, number: int, scenario: Scenario) -> str:
    arn = sim.resolver.attribute(sim.primary(scenario.node), "Ref")
    sim.aws.client("sns").publish(TopicArn=arn, Message=_body(scenario, number))
    return f"a message to {arn}"


def _stream(sim: Sim, number: int, scenario: Scenario) -> str:
    name = sim.resolver.name(sim.primary(scenario.node))
    data = _body(scenario, number).encode()
    sim.aws.client("kinesis").put_record(StreamName=name, Data=data, PartitionKey="fzc")
    return f"a record into stream {name}"


def _bus(sim: Sim, number: int, scenario: Scenario) -> str:
    name = sim.resolver.name(sim.primary(scenario.node))
    entry = {
        "Source": "fzc.simulate",
        "DetailType": "fzc simulate",
        "Detail": _body(scenario, number),
        "EventBusName": name,
    }
    sim.aws.client("events").put_events(Entries=[entry])
    return f"an event on bus {name}"


def _http(sim: Sim, number: int, scenario: Scenario) -> str:
    api = sim.primary(scenario.node)
    routes = [r for r in sim.deployment.routes if r.api == api]
    event = scenario.event if isinstance(scenario.event, dict) else {}
    wanted = scenario.route or event.get("route")
    route = next((r for r in routes if r.key == wanted or wanted is None), None)
    if route is None:
        raise ScenarioError(f"{scenario.node} has no route {wanted!r}")
    method, _, path = route.key.partition(" ")
    body = event.get("body", {"fzc": "simulate", "scenario": number})
    request = {
        "version": "2.0",
        "routeKey": route.key,
        "rawPath": path or "/",
        "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "http": {"method": method, "path": path or "/", "sourceIp": "127.0.0.1"},
            "routeKey": route.key,
            "stage": "$default",
            "requestId": f"fzc-{number}",
            "apiId": api,
        },
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }
    _invoke(sim, route.function, request)
    return f"{route.key} to function {route.function}"


def _tick(sim: Sim, number: int, scenario: Scenario) -> str:
    lid = sim.primary(scenario.node)
    rule = sim.resolver.attribute(lid, "Arn")
    event = {
        "version": "0",
        "id": f"fzc-{number}",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": "2024-01-01T00:00:00Z",
        "region": REGION,
        "resources": [rule],
        "detail": scenario.event if scenario.event is not None else {},
    }
    sent = []
    for target in sim.props(lid).get("Targets") or []:
        arn = str(target.get("Arn", ""))
        payload = json.loads(target["Input"]) if "Input" in target else event
        if ":function:" in arn:
            _invoke(sim, arn, payload)
        elif ":stateMachine:" in arn:
            _start_machine(sim, arn, payload, f"fzc-{number}-tick")
            machine = sim.index.node(arn)
            edge = sim.index.edge(scenario.node, machine)
            sim.recorder.add(Seen("delivery", "schedule", edge, scenario.node, machine))
        sent.append(arn.rsplit(":", 1)[-1])
    return "a scheduled event to " + (", ".join(sent) or "no target")


def _function(sim: Sim, number: int, scenario: Scenario) -> str:
    name = sim.resolver.name(sim.primary(scenario.node))
    _invoke(sim, name, {} if scenario.event is None else scenario.event)
    return f"an invocation of {name}"


def _machine(sim: Sim, number: int, scenario: Scenario) -> str:
    arn = sim.resolver.attribute(sim.primary(scenario.node), "Ref")
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", f"fzc-{number}-{scenario.name}").strip("-")[:80]
    payload = {} if scenario.event is None else scenario.event
    if scenario.decide and isinstance(payload, dict):
        payload = {**payload, **dict(scenario.decide)}
    _start_machine(sim, arn, payload, name)
    return f"an execution {name} with input {json.dumps(payload, sort_keys=True)}"


def _invoke(sim: Sim, function: str, event: Any) -> None:
    client = sim.aws.client("lambda")
    client.invoke(FunctionName=function, Payload=json.dumps(event).encode())


def _start_machine(sim: Sim, arn: str, payload: Any, name: str) -> None:
    sfn.start(sim.aws.client("stepfunctions"), arn, payload, name)


SENDERS: dict[str, Callable[[Sim, int, Scenario], str]] = {
    "s3": _s3,
    "dynamodb": _table,
    "sqs": _queue,
    "sns": _topic,
    "kinesis": _stream,
    "event-bus": _bus,
    "http-api": _http,
    "schedule": _tick,
    "lambda": _function,
    "sfn": _machine,
}
