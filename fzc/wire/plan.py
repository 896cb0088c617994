"""The wiring plan: what every backend reads. Frozen records; CloudFormation-shaped values.

Property values are plain JSON data in CloudFormation's own form (`{"Ref": id}`,
`{"Fn::GetAtt": [id, attr]}`, `{"Fn::Join": ...}`): CloudFormation is the target, and the
drift check compares against templates in that form.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from fzc.model import Diagram
from fzc.source import Source, Span


@dataclass(frozen=True, slots=True)
class Resource:
    """One CloudFormation resource of the template, with the node or edge that caused it."""

    logical_id: str
    type: str
    properties: dict
    span: Span  # the node or edge that caused it
    lane: str | None  # the lane it is grouped under in the template
    origin: str  # "n5" for a node, "n1 -> n5" for an edge
    depends_on: tuple[str, ...] = ()
    deletion_policy: str | None = None
    metadata: dict | None = None


@dataclass(frozen=True, slots=True)
class Call:
    """One SDK call a function makes for an outgoing edge (the stubs render it)."""

    service: str  # boto3 client name
    operation: str  # boto3 method
    env: str  # env var holding the target's name, URL or ARN
    target: str  # node id
    edge: int


@dataclass(frozen=True, slots=True)
class Trigger:
    """How a function is invoked (the event shape its stub parses)."""

    kind: str  # s3, dynamodb-stream, kinesis, sqs, sns, http-api, schedule, event-bus,
    #            sfn-task, invoke
    source: str  # node id
    edge: int | None
    detail: tuple[tuple[str, str], ...] = ()  # e.g. (("route", "POST /webhook"),)


@dataclass(frozen=True, slots=True)
class Function:
    """A Lambda function: a compute node's, or a glue function generated for an edge."""

    logical_id: str
    node: str | None  # None for a glue function
    edge: int | None  # the edge a glue function realises
    label: str
    folder: str  # OUT/functions/<folder>
    description: str
    timeout: int
    triggers: tuple[Trigger, ...]
    calls: tuple[Call, ...]
    env: tuple[tuple[str, object], ...]  # (NAME, CloudFormation value)


@dataclass(frozen=True, slots=True)
class Step:
    """A state of a workflow: a diagram node, or a task an edge adds (service integration)."""

    key: str  # node id, or "e<index>" for an edge's task
    kind: str  # lambda, choice, start, end, pass, task
    node: str  # the node it stands for (the task's target service for an edge task)
    label: str
    span: Span
    service: str | None = None  # for tasks: dynamodb, sqs, sns, s3, kinesis, event-bus, sfn
    resource: object = None  # CloudFormation value of the function or service it calls


@dataclass(frozen=True, slots=True)
class Transition:
    """A move from one step of a workflow (or its start) to another, from one diagram edge."""

    source: str  # step key
    target: str
    label: str | None
    edge: int


@dataclass(frozen=True, slots=True)
class Workflow:
    """A state machine, a Step Functions node's or an implicit one, as steps and transitions."""

    logical_id: str
    node: str | None  # the Step Functions node, None for an implicit workflow
    label: str
    start: str | None  # step key
    steps: tuple[Step, ...]
    transitions: tuple[Transition, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class NodePlan:
    """What a diagram node became: its kind, why, and the resources it owns."""

    id: str
    lane: str | None
    label: str
    kind: str  # CloudFormation type of the primary resource, or choice/start/end/pass
    kind_name: str  # fzc's short kind name (s3, lambda, choice, ...)
    reason: str
    resources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Effect:
    """One thing an edge adds, for `fzc explain`: a kind and its details."""

    kind: str  # iam, permission, resource-policy, event-source-mapping, notification, ...
    resource: str  # logical id it lands on
    detail: dict


@dataclass(frozen=True, slots=True)
class EdgePlan:
    """What a diagram edge became: the rule that realised it, and its effects."""

    index: int
    source: str
    target: str
    label: str | None
    rule: str
    summary: str
    effects: tuple[Effect, ...]


@dataclass(frozen=True)
class Plan:
    """The whole AWS wiring of one diagram: what every backend reads."""

    diagram: Diagram
    name: str  # the diagram's name (file stem)
    nodes: tuple[NodePlan, ...]
    edges: tuple[EdgePlan, ...]
    resources: tuple[Resource, ...]
    functions: tuple[Function, ...]
    workflows: tuple[Workflow, ...]
    outputs: tuple[tuple[str, str, object], ...]  # (logical id, description, value)
    parameters: tuple[tuple[str, dict], ...]
    source: Source | None = None  # the diagram's text, for line numbers in comments

    def resource(self, logical_id: str) -> Resource | None:
        return self._index().get(logical_id)

    def _index(self) -> MappingProxyType:
        cached = self.__dict__.get("_by_id")
        if cached is None:
            cached = MappingProxyType({r.logical_id: r for r in self.resources})
            object.__setattr__(self, "_by_id", cached)
        return cached
