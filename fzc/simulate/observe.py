"""What happened during a run, put down to the diagram's edges.

Four sources, each mapped to edges through the plan:
- invocations of the in-process handlers (`lambdas.InProcessLambdas.invocations`): the
  event's shape says how the function was triggered (an S3 record, a stream record, an HTTP
  request...), which is one of the function's `triggers`, which carries its edge;
- SDK calls the handlers make, seen by a botocore `before-parameter-build` hook on the
  default session and put down to the function running in that thread
  (`lambdas.current()`): each is one of the function's `calls`, which carries its edge;
- deliveries between services that moto makes itself (S3 notifications to a topic or a
  queue, SNS to its subscribers), seen by wrapping moto's functions for them: the source
  and target resources are diagram nodes, and the edge between them is the one reached;
- Step Functions executions: each state entered is a workflow step (`machines.step_keys`),
  each pair of steps one of the workflow's transitions, which carry their edges; where the
  lowering runs steps in sequence behind flags (a serial region, a loop's rounds), the
  flags say which step led to which (`due`), not the states in between.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from unittest import mock

from botocore import xform_name

from fzc.simulate import lambdas
from fzc.simulate.machines import ROOT, Machine
from fzc.simulate.resolve import Resolver, short
from fzc.wire.plan import Function, Plan

# event shape (as the generated `_wiring.event_shape` names it) -> trigger kind
SHAPE_KINDS = {
    "aws:s3": "s3",
    "aws:dynamodb": "dynamodb-stream",
    "aws:sqs": "sqs",
    "aws:sns": "sns",
    "aws:kinesis": "kinesis",
    "http": "http-api",
    "schedule": "schedule",
    "event": "event-bus",
}


@dataclass(frozen=True)
class Seen:
    """One thing that happened, with the edge it exercised (None: the diagram has none)."""

    kind: str  # "call" (an SDK call a handler made) or "delivery" (between services)
    what: str  # "sqs.send_message", "s3 notification", "sns delivery (sqs)"
    edge: int | None
    source: str | None = None  # node id
    target: str | None = None  # node id, or the physical name when it is no node


class Index:
    """Physical names of the deployed resources -> the plan's nodes and functions."""

    def __init__(self, plan: Plan, resolver: Resolver) -> None:
        self.plan = plan
        self.functions = {resolver.name(f.logical_id): f for f in plan.functions}
        self.nodes: dict[str, str] = {}
        for node in plan.nodes:
            for lid in node.resources:
                res = plan.resource(lid)
                if res is not None and res.type == node.kind:
                    self.nodes[resolver.name(lid)] = node.id
        self.names = {node: name for name, node in self.nodes.items()}

    def node(self, identifier: str | None) -> str | None:
        return self.nodes.get(short(identifier)) if identifier else None

    def edge(self, source: str | None, target: str | None) -> int | None:
        return next(
            (e.index for e in self.plan.edges if (e.source, e.target) == (source, target)), None
        )


class Recorder:
    """Collects `Seen` records while installed (`watch`)."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self.seen: list[Seen] = []
        self._lock = threading.Lock()

    def add(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)

    @contextlib.contextmanager
    def watch(self, session: Any) -> Iterator[None]:
        from moto.s3 import notifications
        from moto.sns.models import Subscription

        session.events.register("before-parameter-build", self._call)
        with contextlib.ExitStack() as stack:
            for name in ("_send_sqs_message", "_send_sns_message"):
                wrapper = self._s3_notification(getattr(notifications, name))
                stack.enter_context(mock.patch.object(notifications, name, wrapper))
            publish = Subscription.publish
            stack.enter_context(mock.patch.object(Subscription, "publish", self._sns(publish)))
            try:
                yield
            finally:
                session.events.unregister("before-parameter-build", self._call)

    # -- SDK calls from handlers --------------------------------------------------------
    def _call(self, params: dict, model: Any, **_: Any) -> None:
        running = lambdas.current()
        function = self.index.functions.get(running or "")
        if function is None:
            return
        service, operation = model.service_model.service_name, xform_name(model.name)
        edge = call_edge(function, service, operation, params)
        self.add(Seen("call", f"{service}.{operation}", edge, function.node))

    # -- deliveries moto makes itself ---------------------------------------------------
    def _s3_notification(self, original: Any) -> Any:
        """moto's `_send_sqs_message`/`_send_sns_message(account, event, target, region)`."""

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with contextlib.suppress(Exception):  # watching must never break the delivery
                record = (args[1].get("Records") or [{}])[0]
                bucket = self.index.node(record["s3"]["bucket"]["name"])
                target = self.index.node(args[2])
                edge = self.index.edge(bucket, target)
                self.add(Seen("delivery", "s3 notification", edge, bucket, target))
            return original(*args, **kwargs)

        return wrapper

    def _sns(self, original: Any) -> Any:
        recorder = self

        def publish(sub: Any, *args: Any, **kwargs: Any) -> Any:
            with contextlib.suppress(Exception):  # watching must never break the delivery
                topic = recorder.index.node(sub.topic.arn)
                target = recorder.index.node(sub.endpoint)
                edge = recorder.index.edge(topic, target)
                what = f"sns delivery ({sub.protocol})"
                recorder.add(Seen("delivery", what, edge, topic, target))
            return original(sub, *args, **kwargs)

        return publish


def call_edge(function: Function, service: str, operation: str, params: dict) -> int | None:
    """The edge of the plan's call that matches an SDK call the function made: same client and
    operation, and (when there are several) the target named by the call's variable."""
    found = [c for c in function.calls if (c.service, c.operation) == (service, operation)]
    if len(found) > 1:
        text = json.dumps(params, default=str)
        found = [c for c in found if os.environ.get(c.env, "\0") in text] or found
    return found[0].edge if found else None


def event_shape(event: Any) -> str:
    """The event's shape, as the generated `_wiring.event_shape` tells it."""
    if not isinstance(event, dict):
        return "input"
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict):
        first = records[0]
        return first.get("eventSource") or first.get("EventSource") or "input"
    if "routeKey" in event and "requestContext" in event:
        return "http"
    if "detail-type" in event and "source" in event:
        return "schedule" if event["detail-type"] == "Scheduled Event" else "event"
    return "input"


def trigger_edge(index: Index, function: Function, event: Any) -> int | None:
    """The edge of the trigger that delivered `event` to `function`, if the diagram has it."""
    kind = SHAPE_KINDS.get(event_shape(event))
    found = [t for t in function.triggers if t.kind == kind and t.edge is not None]
    if len(found) > 1 and kind == "http-api":
        route = event.get("routeKey")
        found = [t for t in found if dict(t.detail).get("route") == route] or found
    elif len(found) > 1:
        text = json.dumps(event, default=str)
        found = [t for t in found if index.names.get(t.source, "\0") in text] or found
    return found[0].edge if found else None


def transition_edges(machine: Machine, transitions: tuple) -> set[int]:
    """Edges of the workflow transitions an execution took. `transitions` are (state left,
    state entered) pairs in history order. A step entered comes from the step before it: the
    way back through states that stand for no step leads there (or to the start), unless it
    passes a guard or a flag (`due`). In a serial region a step also comes from each step
    that made it due before it ran, and a step no guard stands before from each step that
    went on its own way before it, by an edge of that way (it runs whatever happens). A
    step a decision's branch leads to comes from the decision when the state the decision
    went to tells that branch, and the step ran after it. Only a pair of steps the
    workflow has counts: an edge is never guessed."""
    wf = machine.workflow
    if wf is None:
        return set()
    pairs = {(t.source, t.target): t.edge for t in wf.transitions}
    flags = machine.due
    came_from: dict[str, str | None] = {}
    made_due: dict[str, set[str | None]] = {}  # step key -> the steps that made it due
    went_on = {ROOT}  # steps that went on their own way (not a Catch's), and the start
    chose: set[tuple[str, str]] = set()  # (decision, the step its branch taken leads to)
    edges = set()
    for left, entered in transitions:
        # a branch's first state comes from its Parallel; the state after a Parallel from
        # the steps its branches ended with; any other from the step before it
        ended = [n for n in machine.ends.get(left or "", ()) if n in came_from]
        left = left if left is not None else machine.parents.get(entered)
        came_from[entered] = left
        if left is not None and flags.own_next.get(left) == entered:
            went_on.add(machine.steps[left])
        if (left, entered) in flags.branches:
            chose.add((machine.steps[left], flags.branches[(left, entered)]))
        for key in flags.sets.get(entered, ()):
            made_due.setdefault(key, set()).add(_step_before(machine, came_from, left))
        key = machine.steps.get(entered)
        if key is None:
            continue
        sources = [machine.steps.get(n) for n in ended] or [_step_before(machine, came_from, left)]
        sources += made_due.get(key, ())
        sources += [d for d, target in chose if target == key]
        edges.update(pairs[(s, key)] for s in sources if (s, key) in pairs)
        if flags.serial and entered not in flags.guarded:
            edges.update(pairs[(s, key)] for s in went_on if (s, key) in flags.ways)
    return edges


def _step_before(machine: Machine, came_from: dict, state: str | None) -> str | None:
    seen = set()
    while state is not None and state not in machine.steps:
        if state in seen or machine.due.hides_step(state):
            return None
        seen.add(state)
        state = came_from.get(state)
    return machine.steps[state] if state is not None else ROOT
