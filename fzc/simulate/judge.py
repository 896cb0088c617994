"""Judging a scenario: its expectations, the handlers that raised, the executions that failed
in a way the diagram does not show; each failure a located diagnostic (FZ6006-FZ6008). A
handler the scenario makes fail (`fail`) raising is no problem; it never being invoked is
(the failure the scenario is about did not happen)."""

from __future__ import annotations

from fzc.diagnostics import Diagnostic, diag
from fzc.diagnostics.codes import CODES
from fzc.simulate.records import Run
from fzc.simulate.scenarios import Expect, Scenario
from fzc.source import Span
from fzc.wire.plan import Function, Plan


def judge(plan: Plan, e: Expect, reached: set, stored: dict, runs: list[Run], edges: set):
    """Why the expectation failed, or None when it held."""
    return JUDGES[e.kind](plan, e, reached, stored, [r for r in runs if r.machine == e.node], edges)


def _reaches(plan, e, reached, stored, runs, edges):
    return None if e.node in reached else f"nothing reached {e.node}"


def _stores(plan, e, reached, stored, runs, edges):
    return None if stored.get(e.node) else f"{e.node} holds nothing new"


def _never(plan, e, reached, stored, runs, edges):
    if e.node not in reached:
        return None
    into = [plan.edges[i] for i in sorted(edges) if plan.edges[i].target == e.node]
    how = f" by edge {into[0].source} -> {into[0].target}" if into else ""
    return f"{e.node} was reached{how}"


def _succeeds(plan, e, reached, stored, runs, edges):
    if not runs:
        return f"no execution of {e.node} ran"
    bad = next((r for r in runs if r.status != "SUCCEEDED"), None)
    return f"an execution ended {bad.status} ({bad.error})" if bad else None


def _fails(plan, e, reached, stored, runs, edges):
    if not runs:
        return f"no execution of {e.node} ran"
    return None if any(r.status != "SUCCEEDED" for r in runs) else "every execution succeeded"


def _traverses(plan, e, reached, stored, runs, edges):
    return None if set(e.edges) & set(edges) else "that edge was not exercised"


JUDGES = {
    "reaches": _reaches,
    "stores": _stores,
    "never_reaches": _never,
    "succeeds": _succeeds,
    "fails": _fails,
    "traverses": _traverses,
}


def problems(plan: Plan, scenario: Scenario, invoked, runs: list[Run], verdicts) -> list:
    """Diagnostics for what went wrong: handlers that raised, executions that failed, and
    expectations that did not hold."""
    found = _handler_problems(plan, scenario, invoked) + _run_problems(plan, scenario, runs)
    found += _fault_problems(plan, scenario, invoked)
    return found + [
        problem(plan, "FZ6008", e.node, scenario, f'expected "{e.text}", but {why}', e)
        for e, why in verdicts
        if why
    ]


def _handler_problems(plan: Plan, scenario: Scenario, invoked) -> list[Diagnostic]:
    functions = {f.logical_id: f for f in plan.functions}
    failing = dict(scenario.fail)
    out = []
    for lid, error in sorted({x for x in invoked if x[1]}):
        f = functions[lid]
        if f.node in failing:
            continue
        msg = f"{_who(plan, f)} raised {error}"
        out.append(problem(plan, "FZ6006", f.node, scenario, msg, function=f))
    return out


def _fault_problems(plan: Plan, scenario: Scenario, invoked) -> list[Diagnostic]:
    called = {lid for lid, _ in invoked}
    functions = {f.node: f for f in plan.functions if f.node}
    return [
        problem(plan, "FZ6008", node, scenario, f"{node} was to fail ({kind}) but never ran")
        for node, kind in scenario.fail
        if functions[node].logical_id not in called
    ]


def _run_problems(plan: Plan, scenario: Scenario, runs: list[Run]) -> list[Diagnostic]:
    expected = {e.node for e in scenario.expect if e.kind == "fails"}
    out = []
    for r in runs:
        if r.status == "SUCCEEDED" or r.designed or r.machine in expected:
            continue
        cause = f": {r.cause[:200]}" if r.cause else ""
        msg = f"an execution of {r.machine} ended {r.status} with {r.error}{cause}"
        out.append(problem(plan, "FZ6007", r.machine, scenario, msg))
    return out


def _who(plan: Plan, f: Function) -> str:
    if f.node:
        return f'function {f.node} "{f.label}"'
    e = plan.edges[f.edge] if f.edge is not None else None
    return f"glue function {f.logical_id}" + (f" ({e.source} -> {e.target})" if e else "")


def problem(plan, code, node, scenario, message, expect=None, function=None) -> Diagnostic:
    span = span_of(plan, node, expect, function)
    return diag(
        CODES[code],
        f'scenario "{scenario.name}": {message}',
        span,
        label=HELP[code][0],
        help=HELP[code][1],
    )


HELP = {
    "FZ6006": (
        "this handler raised",
        "fzc simulate runs the handlers fzc compile generates; see the event it was given",
    ),
    "FZ6007": (
        "this execution failed",
        "a failure the diagram shows ends in one of its Fail states; this one does not",
    ),
    "FZ6008": ("expected here", "see the trace on standard output for what happened instead"),
}


def span_of(plan: Plan, node: str | None, expect: Expect | None = None, function=None) -> Span:
    """Where the diagram draws a node (a glue function: its edge; an edge expectation: the
    edge); the start of the file when it draws nothing."""
    edges = {e.index: e for e in plan.diagram.edges}
    if expect is not None and expect.edges:
        return edges[expect.edges[0]].span
    if function is not None and function.node is None and function.edge in edges:
        return edges[function.edge].span
    found = plan.diagram.node(node) if node else None
    if found is not None:
        return found.span
    wf = next((w for w in plan.workflows if w.logical_id == node), None)
    return wf.span if wf else Span(0, 0)
