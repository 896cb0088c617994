"""What the templates see: one `Stub` per function, derived from the plan.

Every label is already made safe here (`text.quote`), so templates insert plain strings.
"""

from __future__ import annotations

from dataclasses import dataclass

from fzc.backends import per_plan
from fzc.backends.stubs.tables import (
    CALLS,
    DIRECT,
    DYNAMODB_TYPES,
    ENV_SUFFIXES,
    FEATURES,
    GENERIC,
    NEEDS,
    NOUNS,
    SHAPES,
    STEM_LIMIT,
    THIRD_PARTY,
    CallSpec,
)
from fzc.backends.stubs.text import quote
from fzc.wire import decisions
from fzc.wire.plan import Call, Function, NodePlan, Plan, Step, Transition, Trigger, Workflow

TABLE_KEY = "pk"  # used when a table's KeySchema cannot be read from the plan


@dataclass(frozen=True, slots=True)
class Hook:
    """One event shape the function handles, with every trigger of that shape."""

    kind: str  # trigger kind (first of its shape)
    shape: str
    parser: str
    name: str
    sources: tuple[str, ...]  # plain-words lines, one per trigger
    args: str  # the hook's parameters
    route: str | None = None  # http-api: "POST /webhook"


@dataclass(frozen=True, slots=True)
class CallView:
    """One SDK call of the function, as the templates render it: a helper and its sample use."""

    name: str
    macro: str
    client: str  # module-level client constant, e.g. SQS
    service: str
    operation: str
    env: str
    line: str  # plain words: edge "x" -> queue "y" (n3): sends a message
    key: str  # a table's partition key attribute (dynamodb calls)
    lands: bool  # its effect can be seen in moto
    source: str  # the EventBridge source of the events it puts


@dataclass(frozen=True, slots=True)
class Branch:
    """One branch of a Choice: the value that selects it, and the step it leads to."""

    value: str  # the raw value the Choice tests for
    target: str  # safe: step "Transform and Load" (n11)
    default: bool


@dataclass(frozen=True, slots=True)
class Choice:
    """A Choice state the function's result feeds: the field it reads and its branches."""

    key: str
    words: str  # safe: Choice "Processing Complete?" (n10) after ...
    branches: tuple[Branch, ...]


@dataclass(frozen=True, slots=True)
class Stub:
    """Everything the templates need to write one function's handler, wiring and tests."""

    function: Function
    name: str  # safe, quoted label
    about: tuple[str, ...]  # safe lines: node, lane, or the glue edge
    hooks: tuple[Hook, ...]
    calls: tuple[CallView, ...]
    choices: tuple[Choice, ...]
    then: tuple[str, ...]  # safe lines: what follows the function in its workflows
    clients: tuple[tuple[str, str], ...]  # (constant, boto3 service)
    targets: tuple[tuple[str, str], ...]  # (env var, target kind)
    table_keys: tuple[tuple[str, str], ...]  # (env var, key attribute)
    features: frozenset[str]
    imports: tuple[str, ...]  # the import block of _wiring.py, blank line = ""
    handler_imports: tuple[str, ...]  # standard-library imports of handler.py
    inline_imports: tuple[str, ...]  # both, for the one-file source
    routes: tuple[str, ...]

    def has(self, feature: str) -> bool:
        return feature in self.features


# -- naming -------------------------------------------------------------------------------
def node_words(plan: Plan, node_id: str) -> str:
    """`queue "Fan-Out with SQS" (n12)`."""
    kind = _kind(plan, node_id)
    label = plan.diagram.by_id[node_id].label if node_id in plan.diagram.by_id else node_id
    return f"{NOUNS.get(kind, 'node')} {quote(label)} ({node_id})"


@dataclass(frozen=True, slots=True)
class _Index:
    """Lookups over one plan, built once: every stub asks them, so a scan per question
    would make the backend quadratic in the diagram's size."""

    nodes: dict[str, NodePlan]
    workflows: dict[str, Workflow]  # by logical id
    by_node: dict[str, Workflow]  # by orchestrating node
    steps: dict[tuple[str, str], Step]  # (workflow, step key)
    leaving: dict[tuple[str, str], list[Transition]]  # (workflow, source key), in plan order


def _build_index(plan: Plan) -> _Index:
    steps, leaving, by_node, workflows = {}, {}, {}, {}
    for w in plan.workflows:
        workflows.setdefault(w.logical_id, w)
        if w.node is not None:
            by_node.setdefault(w.node, w)
        for s in w.steps:
            steps.setdefault((w.logical_id, s.key), s)
        for t in w.transitions:
            leaving.setdefault((w.logical_id, t.source), []).append(t)
    return _Index({n.id: n for n in plan.nodes}, workflows, by_node, steps, leaving)


_index = per_plan(_build_index)


def _node(plan: Plan, node_id: str) -> NodePlan | None:
    return _index(plan).nodes.get(node_id)


def _kind(plan: Plan, node_id: str) -> str:
    n = _node(plan, node_id)
    return n.kind_name if n else ""


def _edge_words(plan: Plan, index: int | None) -> str:
    if index is None or not 0 <= index < len(plan.diagram.edges):
        return ""
    label = plan.diagram.edges[index].label
    return f"edge {quote(label)}" if label else f"edge {index}"


def stem(env: str) -> str:
    """`FAN_OUT_WITH_SQS_QUEUE_URL` -> `fan_out_with_sqs_queue` (short, an identifier)."""
    for suffix in ENV_SUFFIXES:
        if env.endswith(suffix):
            env = env[: -len(suffix)]
            break
    return env.lower()[:STEM_LIMIT].rstrip("_") or "target"


# -- triggers -----------------------------------------------------------------------------
def _trigger_line(plan: Plan, t: Trigger) -> str:
    detail = dict(t.detail)
    if t.kind == "sfn-task":
        wf = detail.get("workflow", "")
        src = f"state machine {quote(_workflow_label(plan, wf))} ({wf})"
    else:
        src = node_words(plan, t.source)
    text = SHAPES[t.kind].words.format(src=src, route=quote(detail.get("route", "")))
    edge = _edge_words(plan, t.edge)
    return f"{text}; {edge}" if edge else text


def _workflow_label(plan: Plan, lid: str) -> str:
    wf = _workflow(plan, lid)
    return wf.label if wf else lid


def _workflow(plan: Plan, lid: str) -> Workflow | None:
    return _index(plan).workflows.get(lid)


def _hooks(plan: Plan, fn: Function) -> tuple[Hook, ...]:
    known = [t for t in fn.triggers if t.kind in SHAPES]  # a kind fzc learns later: skipped
    by_shape: dict[str, list[Trigger]] = {}
    for t in known or [Trigger(DIRECT, "", None)]:
        by_shape.setdefault(SHAPES[t.kind].shape, []).append(t)
    hooks = []
    for group in by_shape.values():
        spec = SHAPES[group[0].kind]
        lines = tuple(
            _trigger_line(plan, t) if t.source else "nothing in the diagram triggers it"
            for t in group
        )
        route = next((dict(t.detail).get("route") for t in group if t.kind == "http-api"), None)
        hook = Hook(group[0].kind, spec.shape, spec.parser, spec.hook, lines, spec.args, route)
        hooks.append(hook)
    return tuple(hooks)


# -- calls --------------------------------------------------------------------------------
def _table_key(plan: Plan, node_id: str) -> str:
    n = _node(plan, node_id)
    res = plan.resource(n.resources[0]) if n and n.resources else None
    for k in (res.properties.get("KeySchema") or []) if res else []:
        if k.get("KeyType") == "HASH":
            return str(k["AttributeName"])
    return TABLE_KEY


def _calls(plan: Plan, fn: Function) -> tuple[CallView, ...]:
    out: dict[tuple[str, str], CallView] = {}
    names: set[str] = set()
    for c in fn.calls:
        if (c.env, c.operation) in out:
            continue  # the same call for another edge: one helper serves both
        spec = CALLS.get((c.service, c.operation), GENERIC)
        name = base = spec.name.format(stem(c.env))
        n = 2
        while name in names:
            name, n = f"{base}_{n}", n + 1
        names.add(name)
        out[(c.env, c.operation)] = _call_view(plan, c, spec, name, f"fzc.{fn.logical_id}")
    return tuple(out.values())


def _call_view(plan: Plan, c: Call, spec: CallSpec, name: str, source: str) -> CallView:
    edge = _edge_words(plan, c.edge)
    line = f"{edge} -> {node_words(plan, c.target)}: {spec.words}"
    key = _table_key(plan, c.target) if c.service == "dynamodb" else ""
    client = c.service.upper().replace("-", "_")
    return CallView(
        name, spec.macro, client, c.service, c.operation, c.env, line, key, spec.lands, source
    )


# -- workflows: what follows the function, and the Choices it feeds -------------------------
def _step(plan: Plan, wf: Workflow, key: str) -> Step | None:
    return _index(plan).steps.get((wf.logical_id, key))


def _step_words(plan: Plan, step: Step) -> str:
    if step.kind == "choice":
        key = decisions.decision_key(step.label, step.node)
        return f"Choice {quote(step.label)} ({step.node}), which reads $.{key}"
    if step.kind == "task":
        return f"task {quote(step.label)} -> {node_words(plan, step.node)}"
    return f"step {quote(step.label)} ({step.node})"


def _choice(plan: Plan, wf: Workflow, step: Step, why: str) -> Choice:
    out = _index(plan).leaving.get((wf.logical_id, step.key), [])
    labels = [t.label for t in out]
    default = decisions.default_branch(labels) if out else -1
    branches = []
    for i, t in enumerate(out):
        target = _step(plan, wf, t.target)
        value = decisions.branch_value(t.label, target.label if target else t.target)
        words = _step_words(plan, target) if target else t.target
        branches.append(Branch(value, words, i == default))
    key = decisions.decision_key(step.label, step.node)
    words = f"Choice {quote(step.label)} ({step.node}) {why}, reads $.{key}"
    return Choice(key, words, tuple(branches))


def _workflow_context(plan: Plan, fn: Function) -> tuple[list[str], list[Choice]]:
    then: list[str] = []
    choices: list[Choice] = []
    for t in fn.triggers:
        wf = _workflow(plan, dict(t.detail).get("workflow", "")) if t.kind == "sfn-task" else None
        if wf is None or fn.node is None:
            continue
        for tr in _index(plan).leaving.get((wf.logical_id, fn.node), ()):
            step = _step(plan, wf, tr.target)
            if step is None:
                continue
            then.append(f"in {wf.logical_id}, then {_step_words(plan, step)}")
            if step.kind == "choice":
                choices.append(_choice(plan, wf, step, "follows this step"))
    for c in fn.calls:
        wf = _index(plan).by_node.get(c.target)
        start = _step(plan, wf, wf.start) if wf and wf.start else None
        if start is not None and start.kind == "choice":
            choices.append(_choice(plan, wf, start, f"starts {wf.logical_id}"))
    return then, _unique_choices(choices)


def _unique_choices(choices: list[Choice]) -> list[Choice]:
    seen: dict[str, Choice] = {}
    for c in choices:
        seen.setdefault(c.key, c)
    return list(seen.values())


# -- features and imports -------------------------------------------------------------------
def _features(hooks: tuple[Hook, ...], calls: tuple[CallView, ...]) -> frozenset[str]:
    todo = [n for h in hooks for n in SHAPES[h.kind].needs]
    for c in calls:
        spec = CALLS.get((c.service, c.operation), GENERIC)
        todo += spec.needs + (("calls",) if spec is GENERIC else ("calls", "os"))
    done: set[str] = set()
    while todo:
        f = todo.pop()
        if f not in done:
            done.add(f)
            todo += NEEDS.get(f, ())
    return frozenset(done)


def _imports(features: frozenset[str]) -> tuple[str, ...]:
    std = [line for f, line in FEATURES.items() if f in features and f not in THIRD_PARTY]
    third = [line for f, line in FEATURES.items() if f in features and f in THIRD_PARTY]
    types = [name for f, name in DYNAMODB_TYPES.items() if f in features]
    if types:
        third.append(f"from boto3.dynamodb.types import {', '.join(types)}")
    return tuple(std + ([""] if std and third else []) + third)


# -- the stub -------------------------------------------------------------------------------
def _about(plan: Plan, fn: Function) -> tuple[str, ...]:
    if fn.node is not None:
        node = plan.diagram.by_id[fn.node]
        lane = plan.diagram.lane_by_id.get(node.lane) if node.lane else None
        where = f" in lane {quote(lane.display or lane.id)}" if lane else ""
        return (f"node {fn.node} {quote(node.label)}{where}",)
    lines = [f"generated by fzc: it realises {_edge_words(plan, fn.edge)}"]
    if fn.edge is not None and 0 <= fn.edge < len(plan.diagram.edges):
        e = plan.diagram.edges[fn.edge]
        lines.append(
            f"from {node_words(plan, e.source.node)} to {node_words(plan, e.target.node)}"
            " (AWS has no native integration for it)"
        )
    return tuple(lines)


def stub(plan: Plan, fn: Function) -> Stub:
    hooks = _hooks(plan, fn)
    calls = _calls(plan, fn)
    then, choices = _workflow_context(plan, fn)
    features = _features(hooks, calls)
    mine = frozenset(
        n for c in calls for n in CALLS.get((c.service, c.operation), GENERIC).handler_needs
    )
    clients = tuple(sorted({(c.client, c.service) for c in calls}))
    targets = _targets(plan, fn)
    keys = tuple(sorted({(c.env, c.key) for c in calls if c.service == "dynamodb"}))
    routes = tuple(h.route for h in hooks if h.route)
    return Stub(
        fn,
        quote(fn.label),
        _about(plan, fn),
        hooks,
        calls,
        tuple(choices),
        tuple(then),
        clients,
        targets,
        keys,
        features,
        _imports(features),
        _imports(mine),
        _imports(features | mine),
        routes,
    )


def _targets(plan: Plan, fn: Function) -> tuple[tuple[str, str], ...]:
    kinds = {c.env: _kind(plan, c.target) for c in fn.calls}
    return tuple((name, kinds.get(name, "")) for name, _ in fn.env)
