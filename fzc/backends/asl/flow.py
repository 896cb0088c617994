"""A workflow's transitions classified for ASL: normal flow, Choice branches, Catch routes.

Catch rule (also in the package docstring): a transition is an *error path* when its label,
or the label of the step (or diagram node) it leads to, says error / fail(ed|ure) /
exception / fault / DLQ / dead letter. Then, for a compute step or a task:
  (a) its error paths become its `Catch` when it also has a normal successor; when all its
      transitions are error paths they stay its flow, and the first also becomes its `Catch`
      (a failing error handler still reaches the dead-letter queue);
  (b) a step followed by a decision whose branch is an error path also catches to that
      branch's target (the diagram's failure route handles the step crashing).
One catcher per state (ASL puts `States.ALL` last and alone): (a) wins over (b), then the
first in diagram order.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from fzc.wire.decisions import says_error
from fzc.wire.plan import Plan, Step, Transition, Workflow

ROOT = "^"  # the orchestrator / start of the workflow, as in `Transition.source`
CATCHERS = ("lambda", "task")  # step kinds whose state can carry Retry/Catch


@dataclass(frozen=True, slots=True)
class Arc:
    """A transition as ASL draws it: normal flow, a Choice branch or a Catch route."""

    source: str
    target: str
    label: str | None
    edge: int | None
    kind: str  # "next" (flow), "branch" (Choice rule), "catch"


@dataclass(frozen=True)
class Flow:
    """One workflow's steps and classified arcs, indexed by source, and where executions begin."""

    plan: Plan
    workflow: Workflow
    steps: dict[str, Step]  # key -> step, in the plan's order
    arcs: tuple[Arc, ...]
    roots: tuple[str, ...]  # where executions begin
    root_mode: str  # "parallel": the orchestrator starts all roots; "entry": one is chosen
    by_source: dict[str, list[Arc]] = field(default_factory=dict, compare=False, repr=False)

    def node_label(self, key: str) -> str:
        """The diagram label of the node a step stands for (a task's target service)."""
        step = self.steps[key]
        node = self.plan.diagram.node(step.node)
        return node.label if node is not None else step.label

    def out(self, key: str, kind: str | None = None) -> list[Arc]:
        arcs = self.by_source.get(key, [])
        return arcs if kind is None else [a for a in arcs if a.kind == kind]


def build(plan: Plan, workflow: Workflow) -> Flow:
    steps = {s.key: s for s in workflow.steps}
    flow = Flow(plan, workflow, steps, (), (), "entry")
    outs = _index(t for t in workflow.transitions if t.target in steps)
    arcs: list[Arc] = []
    for key in steps:
        arcs += _classify(flow, key, outs.get(key, []))
    arcs += _implied_catches(flow, arcs)
    by_source = _index(arcs)
    roots, mode = _roots(workflow, steps, by_source)
    return Flow(plan, workflow, steps, tuple(arcs), roots, mode, by_source)


def _index(arcs) -> dict[str, list]:
    """Arcs (or transitions) by source, each list in the given order."""
    out: dict[str, list] = defaultdict(list)
    for a in arcs:
        out[a.source].append(a)
    return dict(out)


def _error_path(flow: Flow, t: Arc | Transition) -> bool:
    return (
        says_error(t.label)
        or says_error(flow.steps[t.target].label)
        or says_error(flow.node_label(t.target))
    )


def _classify(flow: Flow, key: str, outs: list[Transition]) -> list[Arc]:
    kind = flow.steps[key].kind
    if kind == "choice":
        return [Arc(key, t.target, t.label, t.edge, "branch") for t in outs]
    if kind not in CATCHERS:
        return [Arc(key, t.target, t.label, t.edge, "next") for t in outs]
    errors = [t for t in outs if _error_path(flow, t)]
    normal = [t for t in outs if t not in errors]
    arcs = [Arc(key, t.target, t.label, t.edge, "next") for t in (normal or errors)]
    if errors:
        first = errors[0]
        arcs.append(Arc(key, first.target, first.label, first.edge, "catch"))
    return arcs


def _implied_catches(flow: Flow, arcs: list[Arc]) -> list[Arc]:
    """Rule (b): step -> decision -[error branch]-> handler gives the step a Catch."""
    has_catch = {a.source for a in arcs if a.kind == "catch"}
    by_source = _index(arcs)
    extra: list[Arc] = []
    for a in arcs:
        if a.kind != "next" or a.source in has_catch or flow.steps[a.source].kind not in CATCHERS:
            continue
        if flow.steps[a.target].kind != "choice":
            continue
        for b in by_source.get(a.target, []):
            if b.kind == "branch" and _error_path(flow, b):
                extra.append(Arc(a.source, b.target, b.label, b.edge, "catch"))
                has_catch.add(a.source)
                break
    return extra


def _roots(
    workflow: Workflow, steps: dict[str, Step], by_source: dict[str, list[Arc]]
) -> tuple[tuple, str]:
    """Entry points: the orchestrator's targets, else the start, other heads, then anything
    still unreached (so every step becomes reachable)."""
    roots = list(dict.fromkeys(t.target for t in workflow.transitions if t.source == ROOT))
    mode = "parallel" if roots else "entry"
    if not roots and workflow.start in steps:
        roots.append(workflow.start)
    fed = {a.target for arcs in by_source.values() for a in arcs}
    listed = set(roots)
    roots += [k for k in steps if k not in fed and k not in listed]
    seen: set[str] = set()
    _reach(roots, by_source, seen)
    for key in steps:
        if key not in seen:
            roots.append(key)
            _reach([key], by_source, seen)
    return tuple(roots), mode


def _reach(starts: list[str], by_source: dict[str, list[Arc]], seen: set[str]) -> None:
    """Add to `seen` everything reachable from `starts` (iteratively)."""
    todo = [k for k in starts if k not in seen]
    seen.update(todo)
    while todo:
        for a in by_source.get(todo.pop(), []):
            if a.target not in seen:
                seen.add(a.target)
                todo.append(a.target)
