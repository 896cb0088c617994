"""What moto cannot check, checked before the run.

- Every transition of every state machine names an existing state, every state is reachable
  and says how the flow goes on (`fzc.backends.asl.graph`): moto accepts a `Next` to nowhere
  and fails only when an execution gets there. FZ6001-FZ6003.
- Each Task state is allowed by the state machine's role (its action on its target), and
  each event source mapping by its function's role (the read actions on the source). moto
  does not enforce IAM; AWS does. FZ6004, FZ6005.
"""

from __future__ import annotations

import re

from fzc.backends.asl.graph import problems
from fzc.diagnostics import Diagnostic, diag
from fzc.diagnostics.codes import CODES
from fzc.simulate import iam
from fzc.simulate.machines import Machine, states
from fzc.simulate.resolve import ACCOUNT, REGION, Resolver
from fzc.source import Span
from fzc.wire.plan import Plan

# words in a graph problem -> its code; anything else is FZ6003 malformed-state
GRAPH_CODES = (
    ("unknown state", "FZ6001"),
    ("is not a state", "FZ6001"),
    ("unreachable", "FZ6002"),
    ("no terminal state", "FZ6002"),
)
GRAPH_HELP = {
    "FZ6001": "point the transition at a state of the same States object",
    "FZ6002": "remove the state, or add a transition that leads to it",
    "FZ6003": "give the state exactly one of Next and End (a Choice: Choices and a Default)",
}

# optimised integration (after `arn:aws:states:::`) -> (action, parameter naming the target,
# how that value becomes the resource ARN the role must allow)
TASKS = {
    "lambda:invoke": ("lambda:InvokeFunction", "FunctionName", "function"),
    "dynamodb:putItem": ("dynamodb:PutItem", "TableName", "table"),
    "dynamodb:getItem": ("dynamodb:GetItem", "TableName", "table"),
    "dynamodb:updateItem": ("dynamodb:UpdateItem", "TableName", "table"),
    "dynamodb:deleteItem": ("dynamodb:DeleteItem", "TableName", "table"),
    "sqs:sendMessage": ("sqs:SendMessage", "QueueUrl", "queue"),
    "sns:publish": ("sns:Publish", "TopicArn", "arn"),
    "events:putEvents": ("events:PutEvents", "Entries", "bus"),
    "states:startExecution": ("states:StartExecution", "StateMachineArn", "arn"),
    "aws-sdk:s3:putObject": ("s3:PutObject", "Bucket", "object"),
    "aws-sdk:kinesis:putRecord": ("kinesis:PutRecord", "StreamName", "stream"),
}
_PREFIX = f"arn:aws:{{}}:{REGION}:{ACCOUNT}:"
ARNS = {
    "function": lambda v: v if v.startswith("arn:") else _PREFIX.format("lambda") + f"function:{v}",
    "table": lambda v: v if v.startswith("arn:") else _PREFIX.format("dynamodb") + f"table/{v}",
    "queue": lambda v: _PREFIX.format("sqs") + v.rstrip("/").rsplit("/", 1)[-1],
    "arn": lambda v: v,
    "bus": lambda v: v if v.startswith("arn:") else _PREFIX.format("events") + f"event-bus/{v}",
    "object": lambda v: f"arn:aws:s3:::{v}/fzc-simulate",
    "stream": lambda v: v if v.startswith("arn:") else _PREFIX.format("kinesis") + f"stream/{v}",
}
# event source service -> what the function's role needs on the source to poll it
SOURCE_READS = {
    "dynamodb": (
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
    ),
    "kinesis": (
        "kinesis:DescribeStream",
        "kinesis:GetRecords",
        "kinesis:GetShardIterator",
        "kinesis:ListShards",
    ),
    "sqs": ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"),
}
_STATE_IN_PATH = re.compile(r"/States/([^/]+)")


def run(plan: Plan, template: dict, resolver: Resolver, found: list[Machine]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for m in found:
        out += graph(plan, m)
        out += tasks(plan, template, resolver, m)
    return out + event_sources(plan, template, resolver)


def graph(plan: Plan, m: Machine) -> list[Diagnostic]:
    out = []
    for problem in problems(m.definition):
        code = next((c for words, c in GRAPH_CODES if words in problem), "FZ6003")
        state, text = describe(problem)
        out.append(
            diag(
                CODES[code],
                f"state machine {m.title}: {text}",
                state_span(plan, m, state),
                label=f'state "{state}"' if state else "this state machine",
                help=GRAPH_HELP[code],
            )
        )
    return out


def describe(problem: str) -> tuple[str | None, str]:
    """The state a graph problem is about, and the problem said with that state's name:
    `/States/A/Default: ...` -> `state "A", Default: ...`."""
    path, sep, rest = problem.partition(": ")
    found = list(_STATE_IN_PATH.finditer(path)) if sep else []
    if not found:
        return None, problem.lstrip("/")
    state, field = found[-1].group(1), path[found[-1].end() :].lstrip("/")
    return state, f'state "{state}"' + (f", {field}" if field else "") + f": {rest}"


def tasks(plan: Plan, template: dict, resolver: Resolver, m: Machine) -> list[Diagnostic]:
    if m.filled is None or m.role is None:
        return []
    allowed = iam.statements(template, m.role, resolver)
    out = []
    for name, state in states(m.filled):
        for action, resource in task_needs(state):
            if iam.allows(allowed, action, resource):
                continue
            out.append(
                diag(
                    CODES["FZ6004"],
                    f'state machine {m.title}: task "{name}" needs {action} on {resource}, '
                    f"which role {m.role} does not allow",
                    state_span(plan, m, name),
                    label=f"{action} is not allowed",
                    help=f"allow {action} on {resource} in a policy of {m.role}",
                )
            )
    return out


def task_needs(state: dict) -> list[tuple[str, str]]:
    """(action, resource ARN) pairs a Task state needs; nothing for other states and for
    targets chosen at run time (`FunctionName.$`)."""
    if state.get("Type") != "Task":
        return []
    resource = str(state.get("Resource", ""))
    params = state.get("Parameters") or {}
    if resource.startswith("arn:aws:lambda:"):
        return [("lambda:InvokeFunction", resource)]
    service = re.sub(r"\.(sync(:\d+)?|waitForTaskToken)$", "", resource.rpartition(":::")[2])
    if service not in TASKS:
        return []
    action, key, kind = TASKS[service]
    if key == "Entries":
        values = [e.get("EventBusName", "default") for e in params.get("Entries") or []]
    else:
        values = [params[key]] if isinstance(params.get(key), str) else []
    return [(action, ARNS[kind](v)) for v in values]


def event_sources(plan: Plan, template: dict, resolver: Resolver) -> list[Diagnostic]:
    resources = template.get("Resources") or {}
    out = []
    for lid, res in resources.items():
        if res.get("Type") != "AWS::Lambda::EventSourceMapping":
            continue
        props = res.get("Properties") or {}
        source = str(resolver.value(props.get("EventSourceArn", "")))
        function = _function(resources, resolver, props.get("FunctionName"))
        role = iam.role_of(((resources.get(function) or {}).get("Properties") or {}).get("Role"))
        needs = SOURCE_READS.get(source.split(":")[2] if source.count(":") > 2 else "", ())
        if role is None or not needs:
            continue
        allowed = iam.statements(template, role, resolver)
        missing = [a for a in needs if not iam.allows(allowed, a, source)]
        if missing:
            out.append(_source_diag(plan, lid, function, role, source, missing))
    return out


def _source_diag(plan, lid, function, role, source, missing) -> Diagnostic:
    res = plan.resource(lid)
    return diag(
        CODES["FZ6005"],
        f"event source mapping {lid}: function {function} polls {source}, but role {role} "
        f"does not allow {', '.join(missing)}",
        res.span if res else Span(0, 0),
        label=f"{function} cannot read its event source",
        help=f"allow {', '.join(missing)} on {source} in a policy of {role}",
    )


def _function(resources: dict, resolver: Resolver, value) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("Ref"), str):
        return value["Ref"]
    name = str(resolver.value(value))
    for lid, res in resources.items():
        if res.get("Type") == "AWS::Lambda::Function" and name in (lid, resolver.name(lid)):
            return lid
    return None


def state_span(plan: Plan, m: Machine, state: str | None) -> Span:
    """Where the diagram draws a state: its step's node or edge, else the state machine."""
    wf = m.workflow
    if wf is None:
        res = plan.resource(m.logical_id)
        return res.span if res else Span(0, 0)
    key = m.steps.get(state or "")
    step = next((s for s in wf.steps if s.key == key), None)
    return step.span if step else wf.span
