"""A workflow's transitions classified for ASL: normal flow, Choice branches, Catch routes.

Catch rule (also in the package docstring): a transition is an *error path* when its label,
or the label of the step (or diagram node) it leads to, says error / fail(ed|ure) /
exception / fault / DLQ / dead letter, or its label names an ASL error (`ERROR_NAMES`:
timeout, throttling, permission / access denied / forbidden). Then, for a compute step or a
task:
  (a) its error paths become its `Catch` when it also has a normal successor; when all its
      transitions are error paths they stay its flow, and also become its `Catch` (a failing
      error handler still reaches the dead-letter queue);
  (b) a step with no error path of its own, followed by a decision whose branches are error
      paths, also catches to those branches' targets (the diagram's failure route handles
      the step crashing); the branches are alternatives, so each error goes to the first
      branch naming it.
Each path catches the errors its label names (else its target's label; else any error,
`States.ALL`). One catcher per set of paths: the errors with the same paths share it, named
errors first (in `ERROR_NAMES` order), `States.ALL` last, so no catcher hides another.
Where one error has several paths (two "on error" edges: a handler and a dead-letter
queue), the failure takes them all: the catcher leads to a Pass step of the lowering
(`<step> (on error)`) that fans out to each, as any fan-out is lowered (a Parallel, or the
serial region).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from fzc.wire.decisions import says_error
from fzc.wire.plan import Plan, Step, Transition, Workflow

ROOT = "^"  # the orchestrator / start of the workflow, as in `Transition.source`
CATCHERS = ("lambda", "task")  # step kinds whose state can carry Retry/Catch
ANY_ERROR = "States.ALL"


def _words(pattern: str) -> re.Pattern:
    return re.compile(rf"\b({pattern})\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ErrorName:
    """A failure an error path's label may name, and the ASL errors that are that failure."""

    name: str  # in the name of a fan-out on that error: "<step> (on <name>)"
    pattern: re.Pattern
    errors: tuple[str, ...]  # what its catcher's ErrorEquals lists
    kinds: tuple[str, ...]  # the step kinds whose state raises them


# Their catchers come in this order, before `States.ALL`. Exact names only, no two rows
# sharing one, so no catcher hides another (`States.TaskFailed` would: it matches every
# error but `States.Timeout`; "task failed" says fail, so it is any error). A function that
# runs out of time fails with `Sandbox.Timedout`; `States.Timeout` is the task's own limit.
# Throttling is Lambda's (after `LAMBDA_RETRY` gives up): a service task's throttling has a
# name per service, so there the word names nothing.
_TIMEOUT = _words(r"time[\s_-]*outs?|timed[\s_-]*out")
ERROR_NAMES: tuple[ErrorName, ...] = (
    ErrorName("timeout", _TIMEOUT, ("States.Timeout",), CATCHERS),
    ErrorName("timeout", _TIMEOUT, ("Sandbox.Timedout",), ("lambda",)),
    ErrorName(
        "throttling",
        _words(r"throttl\w*|too[\s_-]*many[\s_-]*requests|rate[\s_-]*limit\w*"),
        ("Lambda.TooManyRequestsException",),
        ("lambda",),
    ),
    ErrorName(
        "denial",
        _words(r"permissions?|access[\s_-]*denied|unauthori[sz]ed|forbidden"),
        ("States.Permissions",),
        CATCHERS,
    ),
)
_ORDER = [*(e for row in ERROR_NAMES for e in row.errors), ANY_ERROR]  # catchers' order
_NAME = {e: row.name for row in ERROR_NAMES for e in row.errors} | {ANY_ERROR: "error"}


@dataclass(frozen=True, slots=True)
class Arc:
    """A transition as ASL draws it: normal flow, a Choice branch or a Catch route."""

    source: str
    target: str
    label: str | None
    edge: int | None
    kind: str  # "next" (flow), "branch" (Choice rule), "catch"
    errors: tuple[str, ...] = ()  # a catch: the ErrorEquals of its catcher


@dataclass(frozen=True)
class Flow:
    """One workflow's steps and classified arcs, indexed by source, and where executions
    begin. Besides the plan's steps: a Pass step per fan-out on error (`<step> (on error)`)."""

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
    flows = _index(arcs)  # without the catches: rule (b) reads the decisions' branches
    fans: dict[str, list[Step]] = {}
    for key in [k for k, s in steps.items() if s.kind in CATCHERS]:
        own = _own_errors(flow, key, outs.get(key, []))
        caught, fans[key] = _catches(flow, key, own or _implied(flow, key, flows), not own)
        arcs += caught
    steps = {k: s for key, step in steps.items() for k, s in _with(key, step, fans)}
    by_source = _index(arcs)
    roots, mode = _roots(workflow, steps, by_source)
    return Flow(plan, workflow, steps, tuple(arcs), roots, mode, by_source)


def _with(key: str, step: Step, fans: dict[str, list[Step]]) -> list[tuple[str, Step]]:
    """A step, then the fan-outs on its errors (their states come right after its own)."""
    return [(key, step), *((s.key, s) for s in fans.get(key, []))]


def _index(arcs) -> dict[str, list]:
    """Arcs (or transitions) by source, each list in the given order."""
    out: dict[str, list] = defaultdict(list)
    for a in arcs:
        out[a.source].append(a)
    return dict(out)


def named_errors(text: str | None, kind: str) -> tuple[str, ...]:
    """The ASL errors a label names (`ERROR_NAMES`), for a step of `kind`."""
    if not text:
        return ()
    rows = (r for r in ERROR_NAMES if kind in r.kinds and r.pattern.search(text))
    return tuple(e for r in rows for e in r.errors)


def _error_path(flow: Flow, t: Arc | Transition, kind: str) -> bool:
    return (
        says_error(t.label)
        or bool(named_errors(t.label, kind))
        or says_error(flow.steps[t.target].label)
        or says_error(flow.node_label(t.target))
    )


def _caught(flow: Flow, t: Arc | Transition, kind: str) -> tuple[str, ...]:
    """The errors an error path catches: those its label names, else those its target's
    label names, else any."""
    for text in (t.label, flow.steps[t.target].label, flow.node_label(t.target)):
        if found := named_errors(text, kind):
            return found
    return (ANY_ERROR,)


def _classify(flow: Flow, key: str, outs: list[Transition]) -> list[Arc]:
    """A step's flow: a decision's branches, else its `next` arcs (not its error paths, when
    it catches and has a normal successor)."""
    kind = flow.steps[key].kind
    if kind == "choice":
        return [Arc(key, t.target, t.label, t.edge, "branch") for t in outs]
    if kind not in CATCHERS:
        return [Arc(key, t.target, t.label, t.edge, "next") for t in outs]
    errors = [t for t in outs if _error_path(flow, t, kind)]
    normal = [t for t in outs if t not in errors]
    return [Arc(key, t.target, t.label, t.edge, "next") for t in (normal or errors)]


Path = tuple[Arc | Transition, tuple[str, ...]]  # an error path and the errors it catches


def _own_errors(flow: Flow, key: str, outs: list[Transition]) -> list[Path]:
    """Rule (a): the step's own error paths."""
    kind = flow.steps[key].kind
    return [(t, _caught(flow, t, kind)) for t in outs if _error_path(flow, t, kind)]


def _implied(flow: Flow, key: str, flows: dict[str, list[Arc]]) -> list[Path]:
    """Rule (b): step -> decision -[error branches]-> handlers (the first such decision)."""
    kind = flow.steps[key].kind
    for a in flows.get(key, []):
        if flow.steps[a.target].kind != "choice":
            continue
        branches = [b for b in flows.get(a.target, []) if b.kind == "branch"]
        found = [(b, _caught(flow, b, kind)) for b in branches if _error_path(flow, b, kind)]
        if found:
            return found
    return []


def _catches(flow: Flow, key: str, paths: list[Path], alternatives: bool):
    """The step's catch arcs, one per catcher in ASL order, and its fan-outs on errors:
    the errors with the same paths share a catcher; an error with several paths leads to
    a Pass step that goes on to each (`alternatives`: a decision's branches, where the
    error takes the first)."""
    by_error: dict[str, list] = {}
    for t, errors in paths:
        for e in errors:
            if not (alternatives and e in by_error):
                by_error.setdefault(e, []).append(t)
    groups: dict[tuple, list[str]] = {}
    for e in (e for e in _ORDER if e in by_error):
        groups.setdefault(tuple(by_error[e]), []).append(e)
    arcs: list[Arc] = []
    fans: list[Step] = []
    for ts, errors in sorted(groups.items(), key=lambda g: _ORDER.index(g[1][-1])):
        if len(ts) == 1:
            arcs.append(Arc(key, ts[0].target, ts[0].label, ts[0].edge, "catch", tuple(errors)))
            continue
        fan = _fan_step(flow.steps[key], _NAME[errors[0]])
        fans.append(fan)
        arcs.append(Arc(key, fan.key, None, None, "catch", tuple(errors)))
        arcs += [Arc(fan.key, t.target, t.label, t.edge, "next") for t in ts]
    return arcs, fans


def _fan_step(step: Step, name: str) -> Step:
    """The Pass a failure goes to when it takes several error paths at once. Its key cannot
    be a node id (a dot) and stays a due-list flag (`serial.py`)."""
    key = f"{step.key}.on-{name.replace(' ', '-')}"
    return Step(key, "pass", f"{step.key} on {name}", f"{step.label} (on {name})", step.span)


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
