"""What the diagram says must exist, from the plan: entities (the resources nodes stand for,
plus generated glue functions and implicit state machines) and, per edge, the links that
realise it, read off the edge's effects (the same records `fzc explain` prints).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fzc.drift.index import ENTITY_TYPES, Index
from fzc.drift.links import Link
from fzc.source import Span
from fzc.wire.plan import Effect, Plan


@dataclass(frozen=True, slots=True)
class Entity:
    """A resource the diagram implies: a node's, a glue function or an implicit state machine."""

    key: str  # the plan's logical id of the principal resource
    cls: str  # class shared with templates (ENTITY_TYPES values)
    type: str  # the plan's CloudFormation type
    label: str
    node: str | None  # diagram node id; None for a glue function or implicit state machine
    span: Span
    primary: bool = True  # the node's own resource (not an implicit state machine it starts)


@dataclass(frozen=True, slots=True)
class Expected:
    """A link the diagram says must exist, with the edge it comes from."""

    link: Link
    edge: int  # diagram edge index


@dataclass(frozen=True)
class Expectation:
    """What the diagram says must exist, read off the plan: what templates are compared with."""

    plan: Plan
    index: Index
    entities: dict[str, Entity]
    links: tuple[Expected, ...]
    allowed: frozenset[tuple[str, str, str]]  # (kind, source, target) the diagram accounts for

    def edge_span(self, edge: int) -> Span:
        return self.plan.diagram.edges[edge].span

    def edge_text(self, edge: int) -> str:
        e = self.plan.diagram.edges[edge]
        label = f' "{e.label}"' if e.label else ""
        return f"edge {e.source.node} -> {e.target.node}{label}"


def _index(plan: Plan) -> Index:
    return Index(
        {r.logical_id: {"Type": r.type, "Properties": r.properties} for r in plan.resources}
    )


def _entities(plan: Plan) -> dict[str, Entity]:
    owner = {lid: n for n in plan.nodes for lid in n.resources}
    functions = {f.logical_id: f for f in plan.functions}
    workflows = {w.logical_id: w for w in plan.workflows}
    out = {}
    for r in plan.resources:
        if r.type not in ENTITY_TYPES:
            continue
        node = owner.get(r.logical_id)
        workflow = workflows.get(r.logical_id)
        primary = node is not None and node.kind == r.type
        if node is not None and not primary and workflow is None and node.kind.startswith("AWS::"):
            continue  # a secondary resource of a node (none today; kept honest)
        if workflow is not None:  # its node, if any, is where the implicit workflow starts
            label = workflow.label
        elif node is not None:
            label = node.label
        elif r.logical_id in functions:
            label = functions[r.logical_id].label
        else:
            label = r.logical_id
        out[r.logical_id] = Entity(
            r.logical_id,
            ENTITY_TYPES[r.type],
            r.type,
            label,
            node.id if node is not None else None,
            plan.diagram.by_id[node.id].span if node is not None else r.span,
            primary,
        )
    return out


# --- effect kind -> (sources, targets, extra Link fields) ------------------------------------

Ends = tuple[set, set, dict]


def _lids(*values) -> set:
    return {v for v in values if isinstance(v, str)}


def _notification(p: Index, e: Effect) -> Ends:
    return _lids(e.resource), _lids(e.detail.get("destination")), {}


def _mapping(p: Index, e: Effect) -> Ends:
    fn = p.props(e.resource).get("FunctionName")
    return p.entity_refs(e.detail.get("source")), p.entity_refs(fn), {}


def _route(p: Index, e: Effect) -> Ends:
    api = p.props(e.resource).get("ApiId")
    uri = p.props(str(e.detail.get("integration"))).get("IntegrationUri")
    return p.entity_refs(api), p.entity_refs(uri), {}


def _rule_target(p: Index, e: Effect) -> Ends:
    return _lids(e.resource), _lids(e.detail.get("target")), {}


def _subscription(p: Index, e: Effect) -> Ends:
    topic = p.props(e.resource).get("TopicArn")
    return p.entity_refs(topic), p.entity_refs(e.detail.get("endpoint")), {}


def _permission(p: Index, e: Effect) -> Ends:
    fn = p.props(e.resource).get("FunctionName")
    principal = {"principal": e.detail.get("principal", "")}
    return p.entity_refs(e.detail.get("source_arn")), p.entity_refs(fn), principal


def _resource_policy(p: Index, e: Effect) -> Ends:
    props = p.props(e.resource)
    targets = p.entity_refs(props.get("Queues")) | p.entity_refs(props.get("Topics"))
    principal = {"principal": e.detail.get("principal", "")}
    return p.entity_refs(e.detail.get("source_arn")), targets, principal


def _iam(p: Index, e: Effect) -> Ends:
    actions = {"actions": tuple(sorted(e.detail.get("actions", ())))}
    return set(p.entity_of(e.resource)), p.entity_refs(e.detail.get("resources")), actions


def _env(p: Index, e: Effect) -> Ends:
    return _lids(e.resource), p.entity_refs(e.detail.get("value")), {}


def _task(p: Index, e: Effect) -> Ends:
    return _lids(e.resource), _lids(e.detail.get("target")), {}


EFFECTS: dict[str, tuple[str, Callable[[Index, Effect], Ends]]] = {
    "notification": ("notification", _notification),
    "event-source-mapping": ("event-source-mapping", _mapping),
    "route": ("route", _route),
    "rule-target": ("rule-target", _rule_target),
    "subscription": ("subscription", _subscription),
    "permission": ("permission", _permission),
    "resource-policy": ("resource-policy", _resource_policy),
    "iam": ("iam", _iam),
    "env": ("env", _env),
    "task": ("task", _task),
}

# `setting` effects that are connections: property -> (link kind, where the target is)
SETTINGS: dict[str, tuple[str, str]] = {
    "RedrivePolicy": ("redrive", "deadLetterTargetArn"),
    "DeadLetterConfig": ("dead-letter", "TargetArn"),
}


def _setting_links(p: Index, e: Effect, edge: int) -> list[Expected]:
    out = []
    for prop, (kind, key) in SETTINGS.items():
        value = e.detail.get(prop)
        if isinstance(value, dict):
            for t in sorted(p.entity_refs(value.get(key))):
                out.append(Expected(Link(kind, e.resource, t, e.resource), edge))
    return out


def _effect_links(p: Index, e: Effect, edge: int) -> list[Expected]:
    if e.kind == "setting":
        return _setting_links(p, e, edge)
    if e.kind not in EFFECTS:
        return []  # sdk-call, transition (read from the workflows), plain settings
    kind, ends = EFFECTS[e.kind]
    sources, targets, extra = ends(p, e)
    return [
        Expected(Link(kind, s, t, e.resource, **extra), edge)
        for s in sorted(sources)
        for t in sorted(targets)
        if s != t
    ]


def _workflow_tasks(plan: Plan, entities: dict[str, Entity]) -> list[tuple[Link, int | None]]:
    """A state machine calls each function that is one of its steps (a `task` link), checked
    at the first edge into the step (or out of it, for the first step)."""
    by_node = {e.node: e.key for e in entities.values() if e.node and e.primary}
    out = []
    for wf in plan.workflows:
        if wf.logical_id not in entities:
            continue
        ins: dict[str, list[int]] = {}
        outs: dict[str, list[int]] = {}
        for t in wf.transitions:
            ins.setdefault(t.target, []).append(t.edge)
            outs.setdefault(t.source, []).append(t.edge)
        for step in wf.steps:
            if step.kind != "lambda" or step.node not in by_node:
                continue
            into = sorted(ins.get(step.key, ()))
            out_of = sorted(outs.get(step.key, ()))
            link = Link("task", wf.logical_id, by_node[step.node], wf.logical_id)
            out.append((link, (into or out_of or [None])[0]))
    return out


def expect(plan: Plan) -> Expectation:
    p = _index(plan)
    entities = _entities(plan)
    seen: set[tuple] = set()
    links = []
    for edge in plan.edges:
        for effect in edge.effects:
            for x in _effect_links(p, effect, edge.index):
                if (x.link, x.edge) not in seen:
                    seen.add((x.link, x.edge))
                    links.append(x)
    allowed = set()
    ends = {_ends(y.link) for y in links}
    for link, edge in _workflow_tasks(plan, entities):
        allowed.add(_ends(link))
        # the machine's role may invoke each of its steps, the first one (no edge in) included
        allowed.add(("iam", link.source, link.target))
        if edge is not None and _ends(link) not in ends:
            links.append(Expected(link, edge))
            ends.add(_ends(link))
    allowed |= {_ends(x.link) for x in links}
    return Expectation(plan, p, entities, tuple(links), frozenset(allowed))


def _ends(link: Link) -> tuple[str, str, str]:
    return link.kind, link.source, link.target
