"""The state machines of a compiled template, tied back to the plan's workflows.

Each state's `Comment` names the diagram node it stands for (`n10, line 23; ...`) or, for a
task an edge adds, the edge (`n11 -> n14, line 32`): that is how a state seen in an
execution's history becomes a workflow step, and a pair of steps one of the workflow's
transitions, which carry the diagram's edge indices. The states the ASL backend adds for
loops and fan-outs stand for the step they lead to: `back to n2: ...` for n2, `leaves the
loop towards n7` for n7, a branch's `the branch ends here` for the join of its Parallel
(`...; joins at n7`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from fzc.backends.asl.flow import Flow, build
from fzc.backends.asl.steps import branch_rules
from fzc.simulate import sfn
from fzc.simulate.due import Due, read
from fzc.simulate.iam import role_of
from fzc.simulate.resolve import Resolver
from fzc.wire.plan import Plan, Workflow

ROOT = "^"  # the source of a workflow's first transitions
_COMMENT = re.compile(r"^(?P<a>[^\s,;]+)(?: -> (?P<b>[^\s,;]+))?(?:,|;|$)")
_LEADS_TO = re.compile(r"^(?:back to |leaves the loop towards )([^\s:,;]+)")
_JOIN = re.compile(r"joins at (\S+)$")
_BRANCH_END = "the branch ends here"
_NESTED = ("Branches", "ItemProcessor", "Iterator")


@dataclass(frozen=True)
class Machine:
    """A state machine of the compiled template, its states tied to the workflow's steps."""

    logical_id: str
    workflow: Workflow | None
    definition: dict  # as compiled, `${placeholders}` and all
    filled: dict | None  # placeholders replaced by the simulation's values; None if it cannot
    role: str | None  # logical id of its role
    arn: str
    steps: dict[str, str] = field(default_factory=dict)  # state name -> workflow step key
    # first state of a branch -> its Parallel (or Map): the state it is entered from
    parents: dict[str, str] = field(default_factory=dict)
    # Parallel -> the states its branches end with: the state after it is entered from them
    ends: dict[str, list[str]] = field(default_factory=dict)
    due: Due = field(default_factory=Due)  # a serial region's flags

    @property
    def title(self) -> str:
        wf = self.workflow
        if wf is None:
            return self.logical_id
        return f'{wf.node} "{wf.label}"' if wf.node else f'"{wf.label}"'


def machines(plan: Plan, template: dict, resolver: Resolver) -> list[Machine]:
    workflows = {w.logical_id: w for w in plan.workflows}
    found = []
    for lid, res in (template.get("Resources") or {}).items():
        if res.get("Type") != "AWS::StepFunctions::StateMachine":
            continue
        props = res.get("Properties") or {}
        definition = props.get("Definition") or {}
        subs = resolver.value(props.get("DefinitionSubstitutions") or {})
        try:
            filled = json.loads(sfn.fill(definition, subs))
        except KeyError:
            filled = None
        wf = workflows.get(lid)
        keys = step_keys(definition, wf) if wf else {}
        arn = resolver.attribute(lid, "Ref")
        role = role_of(props.get("RoleArn"))
        found.append(
            Machine(
                lid,
                wf,
                definition,
                filled,
                role,
                arn,
                keys,
                parents(definition),
                ends(definition),
                flags(plan, definition, wf) if wf else Due(),
            )
        )
    return found


def flags(plan: Plan, definition: dict, wf: Workflow) -> Due:
    """The flags of a serial region (`due`); the step's own states are those whose Comment
    names the step (not a state leading to it); its ways on are its arcs that are no Choice
    branch and no Catch route, as the ASL backend classifies them."""
    table = list(states(definition))
    own = {n for n, s in table if _COMMENT.match(str(s.get("Comment", "")))}
    flow = build(plan, wf)
    ways = {(a.source, a.target) for a in flow.arcs if a.kind == "next"}
    # an orchestrator starts all its first steps: the start goes on to each
    ways |= {(ROOT, r) for r in flow.roots if flow.root_mode == "parallel"}
    steps = step_keys(definition, wf)
    decisions = {n: _decision(flow, steps[n]) for n in own if _is_decision(flow, steps.get(n))}
    return read(table, {s.key for s in wf.steps}, own, frozenset(ways), decisions)


def _is_decision(flow: Flow, key: str | None) -> bool:
    return key is not None and key in flow.steps and bool(flow.out(key, "branch"))


def _decision(flow: Flow, key: str) -> tuple[dict[str, str], str]:
    """A decision's branch targets by the value its rule tests, and its Default's target."""
    rules, (_, default) = branch_rules(flow, key)
    return {value: arc.target for value, arc in rules}, default.target


def ends(definition: dict) -> dict[str, list[str]]:
    return {
        name: [n for b in state["Branches"] for n, s in b.get("States", {}).items() if s.get("End")]
        for name, state in states(definition)
        if isinstance(state.get("Branches"), list)
    }


def parents(definition: dict) -> dict[str, str]:
    return {
        inner["StartAt"]: name
        for name, state in states(definition)
        for inner in _nested(state)
        if isinstance(inner.get("StartAt"), str)
    }


def states(definition: dict) -> Iterator[tuple[str, dict]]:
    """Every state of a definition, branches and map processors included."""
    for name, state in (definition.get("States") or {}).items():
        if not isinstance(state, dict):
            continue
        yield name, state
        for inner in _nested(state):
            yield from states(inner)


def step_keys(definition: dict, wf: Workflow) -> dict[str, str]:
    """State name -> the key of the workflow step it realises or leads to (states that only
    shape the flow, such as loop counters and Parallel wrappers, have none)."""
    out: dict[str, str] = {}
    _keys(definition, wf, None, out)
    return out


def _keys(scope: dict, wf: Workflow, join: str | None, out: dict[str, str]) -> None:
    keys = {s.key for s in wf.steps}
    for name, state in (scope.get("States") or {}).items():
        if not isinstance(state, dict):
            continue
        comment = str(state.get("Comment", ""))
        m, lead = _COMMENT.match(comment), _LEADS_TO.match(comment)
        key = _step(wf, m.group("a"), m.group("b")) if m else None
        key = key or (lead.group(1) if lead and lead.group(1) in keys else None)
        key = key or (join if comment == _BRANCH_END else None)
        if key is not None:
            out[name] = key
        inner = _JOIN.search(comment)
        for nested in _nested(state):
            _keys(nested, wf, inner.group(1) if inner else None, out)


def _nested(state: dict) -> list[dict]:
    found = []
    for key in _NESTED:
        value = state.get(key)
        found += [x for x in (value if isinstance(value, list) else [value]) if isinstance(x, dict)]
    return found


def flow_order(definition: dict) -> list[str]:
    """State names breadth-first from StartAt (a Parallel's branches right after it), then
    any left over: the order an execution meets them, without depending on timing."""
    order: list[str] = []
    _flow(definition, order)
    return order + [n for n, _ in states(definition) if n not in order]


def _flow(scope: dict, order: list[str]) -> None:
    table = scope.get("States") or {}
    todo = [scope.get("StartAt")]
    while todo:
        name = todo.pop(0)
        if name in order or not isinstance(table.get(name), dict):
            continue
        order.append(name)
        state = table[name]
        for nested in _nested(state):
            _flow(nested, order)
        todo += [state.get("Next"), *(c.get("Next") for c in state.get("Choices") or [])]
        todo += [state.get("Default"), *(c.get("Next") for c in state.get("Catch") or [])]


def _step(wf: Workflow, first: str, second: str | None) -> str | None:
    if second is None:
        return next((s.key for s in wf.steps if s.kind != "task" and s.node == first), None)
    sources = {t.target: t.source for t in wf.transitions}
    for s in wf.steps:
        src = sources.get(s.key)
        src = (wf.node or "start") if src == ROOT else src
        if s.kind == "task" and s.node == second and src == first:
            return s.key
    return None
