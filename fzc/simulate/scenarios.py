"""Scenarios: an event sent into one node of the diagram, and what should follow.

By default (`defaults`) there is one scenario per entry point of the diagram: an object put
into each bucket that notifies something, an item put into each table whose stream triggers
something, a message into each consumed queue or topic, a record into each consumed stream,
a request on each HTTP API route, a tick of each schedule, an invocation of each function
nothing triggers; a start of each state machine nothing starts and that has no decision
(one per start event when it has several: `{"entry": "<start event>"}`); then one execution
per branch of each decision (`Choice`), its input `{"<decision key>": "<branch>"}`
(`fzc.wire.decisions`); then one execution per Catch route of each function step, that
step made to fail with an error its catcher lists (`failures`). Defaults expect no handler
to raise, no execution to fail in a way the diagram does not show, each decision branch to
be taken and each Catch route to be followed.

`--event FILE` (JSON): `{"node": "n1", "event": {...}}`, or a list of them.
`--scenario FILE` (YAML), the same plus a name, decisions and expectations:

    scenarios:
      - name: a big upload is stored       # optional
        node: n1                            # where the event enters
        event: {key: big.json, body: {size: 10}}   # optional; its form depends on the node
        route: POST /webhook                # optional, for an HTTP API with several routes
        decide: {n10: Failure}              # optional: the branch decision n10 takes
        fail: [n13]                         # optional: n13's handler raises; or
                                            # {n13: timeout}: the error it raises (FAULTS)
        expect:
          - reaches: n14                    # something arrived at n14
          - stores: n14                     # n14 (table, bucket, queue) holds more than before
          - never_reaches: n17              # nothing arrived at n17
          - succeeds: n9                    # executions of n9 ran, and all succeeded
          - fails: n9                       # an execution of n9 failed
          - traverses: n10 -> n13           # that edge was exercised

What `event` is, by the kind of `node`: a bucket `{key, body}`; a table the item (plain
JSON); a queue, topic, stream or event bus the message body; an HTTP API `{body}` (sent as a
payload v2 request to the route's function); a schedule the event's `detail`; a function the
event it is invoked with; a state machine the execution's input.

`decide` forces a decision: the field it tests is set to the branch in the input of an
execution the scenario starts and in every function result that carries it (the generated
handlers answer the first branch until you write their logic).

`fail` makes a function's handler raise instead of running, each time it is invoked in the
scenario, as Lambda reports an unhandled exception: a function error whose `errorType` is
the error name Step Functions sees (`FAULTS`). A generic failure is `fzc.InjectedFault`,
which no Retry of fzc's lists, so a step's Catch takes it at once; a throttling is retried
by the step's Lambda Retry first, as on AWS.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from fzc.backends.asl import flow as asl_flow
from fzc.wire import decisions
from fzc.wire.plan import Plan, Transition, Workflow

ROOT = "^"  # the source of a workflow's first transitions

EXPECTATIONS = ("reaches", "stores", "never_reaches", "succeeds", "fails", "traverses")
SCENARIO_KEYS = ("name", "node", "event", "route", "decide", "fail", "expect")
# kind of failure -> the error a failing handler raises: what Step Functions reports for a
# function that raised (any error), ran out of time, or was throttled (the name of Lambda's
# 429, as a function error: the same name reaches Retry and Catch). Permission has no row:
# `States.Permissions` is raised by Step Functions itself, never by a function (moto, like
# AWS, refuses an error name starting "States." from one), so a catcher of it only cannot
# be exercised.
FAULTS = {
    "error": "fzc.InjectedFault",
    "timeout": "Sandbox.Timedout",
    "throttling": "Lambda.TooManyRequestsException",
}
# edge rule (the first half, for a glue function) -> its source is an entry point
ENTRY_RULES = (
    "s3-notification-lambda",
    "s3-notification-sqs",
    "s3-notification-sns",
    "dynamodb-stream-lambda",
    "kinesis-lambda",
    "sqs-lambda",
    "sns-subscription-lambda",
    "sns-subscription-sqs",
    "http-api-route-lambda",
    "schedule-lambda",
    "schedule-state-machine",
)
# node kind -> what sending to it does, for scenario names
VERBS = {
    "s3": "put an object into",
    "dynamodb": "put an item into",
    "sqs": "send a message to",
    "sns": "publish to",
    "kinesis": "put a record into",
    "event-bus": "put an event on",
    "http-api": "request",
    "schedule": "tick",
    "lambda": "invoke",
    "sfn": "start",
}


class ScenarioError(ValueError):
    """A scenario or event file that cannot be used (a usage error)."""


@dataclass(frozen=True)
class Expect:
    """One expectation of a scenario (`reaches: n14`, `traverses: n10 -> n13`, ...)."""

    kind: str  # one of EXPECTATIONS
    node: str | None = None
    edges: tuple[int, ...] = ()  # traverses: any of these
    text: str = ""  # as written: "reaches n14"


@dataclass(frozen=True)
class Scenario:
    """An event sent into one node, the decisions it forces, and what should follow."""

    name: str
    node: str  # a node id, or the logical id of a workflow without a node
    event: Any = None  # None: a default event for the node's kind
    expect: tuple[Expect, ...] = ()
    route: str | None = None
    decide: tuple[tuple[str, str], ...] = ()  # (field a decision tests, the branch's value)
    fail: tuple[tuple[str, str], ...] = ()  # (function node, kind of failure in FAULTS)


def defaults(plan: Plan) -> list[Scenario]:
    return entries(plan) + starts(plan) + branches(plan) + failures(plan)


def entries(plan: Plan) -> list[Scenario]:
    order = {n.id: i for i, n in enumerate(plan.nodes)}
    sources: dict[str, None] = {}
    routes: list[tuple[str, str]] = []
    for e in plan.edges:
        rule = e.rule.removeprefix("glue:").split("+")[0]
        if rule == "http-api-route-lambda":
            routes.append((e.source, _route(plan, e.index) or ""))
        elif rule in ENTRY_RULES:
            sources.setdefault(e.source)
    steps = {s.node for w in plan.workflows for s in w.steps}
    for f in plan.functions:  # functions nothing triggers (and no workflow runs as a step)
        if f.node and not f.triggers and f.node not in steps:
            sources.setdefault(f.node)
    found = [Scenario(title(plan, n), n) for n in sorted(sources, key=order.__getitem__)]
    found += [Scenario(title(plan, n, route), n, route=route or None) for n, route in routes]
    return sorted(found, key=lambda s: order[s.node])


def starts(plan: Plan) -> list[Scenario]:
    """Executions of the state machines nothing in the diagram starts and no decision
    scenario runs: one per start event when there are several (`$.entry` picks it)."""
    targets = {e.target for e in plan.edges}
    found = []
    for wf in plan.workflows:
        if (wf.node and wf.node in targets) or any(s.kind == "choice" for s in wf.steps):
            continue
        node = wf.node or wf.logical_id
        entries = [s for s in wf.steps if s.kind == "start"]
        if len(entries) < 2:
            found.append(Scenario(title(plan, node), node, {}))
            continue
        for s in entries:
            name = f"{title(plan, node)} from {s.node} {s.label}"
            found.append(Scenario(name, node, {"entry": s.label}))
    return found


def branches(plan: Plan) -> list[Scenario]:
    """One execution per branch of each decision; the decisions on the way to it are
    decided too (the first path found), so that the execution gets there."""
    found = []
    for wf in plan.workflows:
        for step in (s for s in wf.steps if s.kind == "choice"):
            before = [_decision(wf, t) for t in _path(wf, step.key)]
            for t in (t for t in wf.transitions if t.source == step.key):
                key, value = _decision(wf, t)
                expect = Expect(
                    "traverses", None, (t.edge,), f"traverses {_edge_text(plan, t.edge)}"
                )
                name = f"{step.node} {step.label} = {value}"
                decide = tuple(dict([*before, (key, value)]).items())
                found.append(Scenario(name, wf.node or wf.logical_id, {}, (expect,), decide=decide))
    return found


def failures(plan: Plan) -> list[Scenario]:
    """One execution per Catch route of each function step (`fzc.backends.asl.flow`), the
    step made to fail with an error its catcher lists and the decisions on the way to it
    decided; it expects the route's edges taken (a route the lowering adds, from the step
    to a decision's error branch, has no edge of its own: its target reached)."""
    found = []
    for wf in plan.workflows:
        flow = asl_flow.build(plan, wf)
        for arc in flow.arcs:
            step = flow.steps[arc.source]
            kind = _fault_kind(arc.errors)
            if arc.kind != "catch" or step.kind != "lambda" or kind is None:
                continue
            before = [_decision(wf, t) for t in _path(wf, step.key)]
            expect = tuple(_route_expect(plan, wf, flow, arc.source, r) for r in _routes(flow, arc))
            name = f"{step.node} {step.label} fails ({kind})"
            node = wf.node or wf.logical_id
            found.append(
                Scenario(name, node, {}, expect, decide=tuple(before), fail=((step.node, kind),))
            )
    return found


def _fault_kind(errors: tuple[str, ...]) -> str | None:
    """The kind of failure a catcher of `errors` takes; None when none can be injected."""
    named = [k for k, error in FAULTS.items() if error in errors]
    return named[0] if named else ("error" if asl_flow.ANY_ERROR in errors else None)


def _routes(flow: asl_flow.Flow, arc: asl_flow.Arc) -> list[asl_flow.Arc]:
    """The arcs a catch leads along: itself, or those of the Pass fanning out from it."""
    return flow.out(arc.target, "next") if arc.edge is None else [arc]


def _route_expect(plan: Plan, wf: Workflow, flow, step: str, arc: asl_flow.Arc) -> Expect:
    if any((t.source, t.target, t.edge) == (step, arc.target, arc.edge) for t in wf.transitions):
        return Expect("traverses", None, (arc.edge,), f"traverses {_edge_text(plan, arc.edge)}")
    node = flow.steps[arc.target].node
    return Expect("reaches", node, (), f"reaches {node}")


def _decision(wf: Workflow, t: Transition) -> tuple[str, str]:
    """(field, value): what the decision a transition leaves tests for it."""
    steps = {s.key: s for s in wf.steps}
    choice = steps[t.source]
    value = decisions.branch_value(t.label, steps[t.target].label)
    return decisions.decision_key(choice.label, choice.node), value


def _path(wf: Workflow, goal: str) -> list[Transition]:
    """The decision branches on a shortest path from the workflow's start to `goal`."""
    kinds = {s.key: s.kind for s in wf.steps}
    starts = [t.target for t in wf.transitions if t.source == ROOT]
    starts = starts or [s.key for s in wf.steps if s.kind == "start"] or [wf.start]
    came: dict[str, Transition | None] = dict.fromkeys(starts)
    todo = list(starts)
    while todo and goal not in came:
        here = todo.pop(0)
        for t in wf.transitions:
            if t.source == here and t.target not in came:
                came[t.target] = t
                todo.append(t.target)
    found, at = [], goal
    while came.get(at) is not None:
        t = came[at]
        found.append(t)
        at = t.source
    return [t for t in reversed(found) if kinds.get(t.source) == "choice"]


def title(plan: Plan, node: str, route: str | None = None) -> str:
    kind = kind_of(plan, node)
    what = f"{route} on" if route else VERBS.get(kind, "send to")
    return f"{what} {node} {label_of(plan, node)}"


def kind_of(plan: Plan, node: str) -> str:
    found = next((n for n in plan.nodes if n.id == node), None)
    return found.kind_name if found else "sfn"


def label_of(plan: Plan, node: str) -> str:
    found = next((n for n in plan.nodes if n.id == node), None)
    if found is not None:
        return found.label
    wf = _workflow(plan, node)
    return wf.label if wf else node


def _workflow(plan: Plan, key: str) -> Workflow | None:
    return next((w for w in plan.workflows if key in (w.node, w.logical_id)), None)


def _route(plan: Plan, edge: int) -> str | None:
    for f in plan.functions:
        for t in f.triggers:
            if t.edge == edge:
                return dict(t.detail).get("route")
    return None


def _edge_text(plan: Plan, index: int) -> str:
    e = plan.edges[index]
    return f"{e.source} -> {e.target}"


# -- files ------------------------------------------------------------------------------------
def from_events(plan: Plan, text: str, where: str) -> list[Scenario]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ScenarioError(f"{where}: not JSON: {exc}") from None
    items = data if isinstance(data, list) else [data]
    return [_scenario(plan, item, f"{where}: event {i + 1}", False) for i, item in enumerate(items)]


def from_yaml(plan: Plan, text: str, where: str) -> list[Scenario]:
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{where}: not YAML: {exc}") from None
    items = data.get("scenarios") if isinstance(data, dict) else data
    if not isinstance(items, list) or not items:
        raise ScenarioError(f"{where}: expected `scenarios:` with a list of scenarios")
    return [
        _scenario(plan, item, f"{where}: scenario {i + 1}", True) for i, item in enumerate(items)
    ]


def _scenario(plan: Plan, item: Any, where: str, full: bool) -> Scenario:
    allowed = SCENARIO_KEYS if full else ("name", "node", "event", "route")
    if not isinstance(item, dict):
        raise ScenarioError(f"{where}: expected a mapping with `node`")
    unknown = sorted(set(item) - set(allowed))
    if unknown:
        raise ScenarioError(f"{where}: unknown key {unknown[0]!r}; use {', '.join(allowed)}")
    node = _entry(plan, item.get("node"), where)
    expect = item.get("expect") or []
    if not isinstance(expect, list):
        raise ScenarioError(f"{where}: `expect` must be a list")
    route = item.get("route")
    name = str(item.get("name") or title(plan, node, route))
    parsed = tuple(_expect(plan, e, f"{where}, expectation {i + 1}") for i, e in enumerate(expect))
    decide = _decide(plan, item.get("decide") or {}, where)
    fail = _fail(plan, item.get("fail") or [], where)
    return Scenario(name, node, item.get("event"), parsed, route, decide, fail)


def _decide(plan: Plan, value: Any, where: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        raise ScenarioError(f"{where}: `decide` maps decision nodes to branches: {{n10: Yes}}")
    choices = {s.node: s for w in plan.workflows for s in w.steps if s.kind == "choice"}
    found = []
    for node, branch in value.items():
        if node not in choices:
            raise ScenarioError(f"{where}: `decide`: {node!r} is no decision of a state machine")
        found.append((decisions.decision_key(choices[node].label, node), str(branch)))
    return tuple(found)


def _fail(plan: Plan, value: Any, where: str) -> tuple[tuple[str, str], ...]:
    """`fail: [n11]` (any error) or `fail: {n11: timeout}`: (node, kind) pairs."""
    if not isinstance(value, dict | list):
        raise ScenarioError(f"{where}: `fail` lists function nodes ([n11]) or maps them to kinds")
    items = value.items() if isinstance(value, dict) else [(v, "error") for v in value]
    functions = {f.node for f in plan.functions if f.node}
    found = []
    for node, kind in items:
        if node not in functions:
            raise ScenarioError(f"{where}: `fail`: {node!r} is no function of the diagram")
        if kind not in FAULTS:
            kinds = ", ".join(FAULTS)
            raise ScenarioError(f"{where}: `fail`: unknown kind {kind!r} for {node}; use {kinds}")
        found.append((node, kind))
    return tuple(found)


def _node(plan: Plan, value: Any, where: str) -> str:
    known = [n.id for n in plan.nodes] + [w.logical_id for w in plan.workflows if not w.node]
    if value not in known:
        raise ScenarioError(f"{where}: `node` must name a node of the diagram (got {value!r})")
    return value


def _entry(plan: Plan, value: Any, where: str) -> str:
    node = _node(plan, value, where)
    if kind_of(plan, node) not in VERBS:
        kinds = ", ".join(sorted(VERBS))
        raise ScenarioError(
            f"{where}: events cannot enter at {node}, a {kind_of(plan, node)}; "
            f"send them to a node of kind {kinds}"
        )
    return node


def _expect(plan: Plan, item: Any, where: str) -> Expect:
    if not isinstance(item, dict) or len(item) != 1:
        raise ScenarioError(f"{where}: expected one of {', '.join(EXPECTATIONS)}: <node>")
    ((kind, value),) = item.items()
    if kind not in EXPECTATIONS:
        raise ScenarioError(f"{where}: unknown expectation {kind!r}; use {', '.join(EXPECTATIONS)}")
    text = f"{kind} {value}"
    if kind != "traverses":
        return Expect(kind, _node(plan, value, where), (), text)
    m = re.fullmatch(r"\s*(\S+)\s*->\s*(\S+)\s*", str(value))
    edges = tuple(e.index for e in plan.edges if m and (e.source, e.target) == m.groups())
    if not edges:
        raise ScenarioError(f"{where}: `traverses` must name an edge as `nA -> nB` (got {value!r})")
    return Expect(kind, None, edges, text)
