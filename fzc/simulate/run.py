"""A simulation from start to end: compile in memory, check statically, deploy into moto,
play each scenario, observe what happened, and judge it.

Each scenario runs alone: its event is sent, then the run waits until no execution of any
state machine is still running (moto delivers everything else synchronously), and what was
recorded since the scenario began is its outcome.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fzc.backends import Options, emitter
from fzc.backends.cfn.document import document
from fzc.diagnostics import Diagnostic
from fzc.simulate import checks, judge, sfn, stores
from fzc.simulate.aws import aws
from fzc.simulate.deploy import deploy
from fzc.simulate.machines import Machine, flow_order, machines, states
from fzc.simulate.observe import Index, Recorder, transition_edges, trigger_edge
from fzc.simulate.records import Outcome, Report, Run
from fzc.simulate.resolve import Resolver
from fzc.simulate.scenarios import FAULTS, Scenario, defaults
from fzc.simulate.send import Sim, send
from fzc.wire.plan import Plan

TIMEOUT = 30.0  # seconds a scenario may take before it counts as stuck


@dataclass(frozen=True)
class Mark:
    """Where the records stood when a scenario began."""

    invocations: int
    seen: int
    executions: frozenset[str]
    levels: dict[str, int]


def build(plan: Plan) -> tuple[dict, dict[str, str]]:
    """The template (as a dict) and the generated function files (path -> text)."""
    stubs = emitter("stubs")(plan, Options())
    files = {a.path: a.content for a in stubs if a.path.startswith("functions/")}
    return document(plan, Options()), files


def simulate(plan: Plan, scenarios: list[Scenario] | None = None, timeout: float = TIMEOUT):
    template, files = build(plan)
    resolver = Resolver(template)
    found = machines(plan, template, resolver)
    static = checks.run(plan, template, resolver, found)
    chosen = defaults(plan) if scenarios is None else scenarios
    with tempfile.TemporaryDirectory(prefix="fzc-simulate-") as tmp, aws() as env:
        _write(files, Path(tmp))
        done = deploy(env, template, resolver, found)
        index = Index(plan, resolver)
        recorder = Recorder(index)
        with recorder.watch(env.session):
            _register(env.lambdas, plan, template, resolver, Path(tmp))
            sim = Sim(plan, template, resolver, env, done, index, recorder)
            outcomes = tuple(play(sim, i + 1, s, timeout) for i, s in enumerate(chosen))
    return Report(plan, done.resources, tuple(done.fills), tuple(static), outcomes)


def _write(files: dict[str, str], root: Path) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _register(lambdas: Any, plan: Plan, template: dict, resolver: Resolver, root: Path) -> None:
    """Each function's compiled handler, by its physical name, from the written stubs."""
    for f in plan.functions:
        props = (template["Resources"].get(f.logical_id) or {}).get("Properties") or {}
        module, _, attr = str(props.get("Handler", "handler.handler")).rpartition(".")
        path = root / "functions" / f.folder / (module.replace(".", "/") + ".py")
        lambdas.register(resolver.name(f.logical_id), f"{path}:{attr}")


# -- one scenario ---------------------------------------------------------------------------
def play(sim: Sim, number: int, scenario: Scenario, timeout: float) -> Outcome:
    mark = Mark(
        len(sim.aws.lambdas.invocations),
        len(sim.recorder.seen),
        frozenset(_executions(sim)),
        stores.levels(sim),
    )
    sent, trouble = _deliver(sim, number, scenario, timeout)
    runs = [(m, _run(sim, m, arn)) for m, arn in _new(sim, mark)]
    seen = _observed(sim, mark, runs)
    stored = stores.added(sim, mark.levels, scenario.node)
    seen.reached |= set(stored)
    result = [r for _, r in runs]
    verdicts = [
        (e, judge.judge(sim.plan, e, seen.reached, stored, result, seen.edges))
        for e in scenario.expect
    ]
    trouble += judge.problems(sim.plan, scenario, seen.invoked, result, verdicts)
    return Outcome(
        number,
        scenario,
        sent,
        tuple(sorted(seen.edges)),
        tuple(sorted(result, key=lambda r: (r.machine, r.status, r.states))),
        tuple(sorted(set(seen.invoked), key=lambda x: (x[0], x[1] or ""))),
        tuple(sorted(stored.items())),
        tuple(sorted(set(seen.unplanned))),
        tuple(verdicts),
        tuple(trouble),
    )


def _deliver(sim: Sim, number: int, scenario: Scenario, timeout: float):
    """Send the event, with the scenario's decisions forced, and wait until everything it set
    off has finished: (what was sent, problems)."""
    trouble: list[Diagnostic] = []
    sim.aws.lambdas.adjust = _decider(dict(scenario.decide))
    sim.aws.lambdas.faults = _faults(sim, scenario)
    try:
        sent = send(sim, number, scenario)
    except Exception as exc:  # noqa: BLE001 - moto refused the event: the scenario fails
        sent = f"nothing: {type(exc).__name__}: {exc}"
        trouble.append(judge.problem(sim.plan, "FZ6008", scenario.node, scenario, sent))
    quiet = _quiet(sim, timeout)
    sim.aws.lambdas.adjust = None
    sim.aws.lambdas.faults = {}
    if not quiet:
        msg = f"executions still running after {timeout:.0f} s"
        trouble.append(judge.problem(sim.plan, "FZ6007", scenario.node, scenario, msg))
    return sent, trouble


def _decider(decide: dict[str, str]) -> Callable[[str, Any], Any] | None:
    """A result hook that makes every result carrying a decision's field take the branch."""
    if not decide:
        return None

    def adjust(function: str, result: Any) -> Any:
        if not isinstance(result, dict):
            return result
        return {k: decide.get(k, v) for k, v in result.items()}

    return adjust


def _faults(sim: Sim, scenario: Scenario) -> dict[str, str]:
    """Function name -> the error its handler raises in this scenario (`fail`)."""
    kinds = dict(scenario.fail)
    return {
        sim.resolver.name(f.logical_id): FAULTS[kinds[f.node]]
        for f in sim.plan.functions
        if f.node in kinds
    }


def _executions(sim: Sim) -> list[str]:
    client = sim.aws.client("stepfunctions")
    found = []
    for m in sim.deployment.machines:
        with contextlib.suppress(Exception):  # a machine moto would not register
            pages = client.get_paginator("list_executions").paginate(stateMachineArn=m.arn)
            found += [e["executionArn"] for p in pages for e in p["executions"]]
    return found


def _new(sim: Sim, mark: Mark) -> list[tuple[Machine, str]]:
    by_arn = {m.arn: m for m in sim.deployment.machines}
    found = []
    for arn in _executions(sim):
        if arn not in mark.executions:
            machine_arn = arn.replace(":execution:", ":stateMachine:").rsplit(":", 1)[0]
            found.append((by_arn[machine_arn], arn))
    return found


def _quiet(sim: Sim, timeout: float) -> bool:
    """Wait until no execution is running (executions may start more: look again)."""
    client = sim.aws.client("stepfunctions")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        running = False
        for m in sim.deployment.machines:
            with contextlib.suppress(Exception):
                page = client.list_executions(stateMachineArn=m.arn, statusFilter="RUNNING")
                running = running or bool(page["executions"])
        if not running:
            return True
        time.sleep(0.02)
    return False


def _run(sim: Sim, m: Machine, arn: str) -> Run:
    where = m.workflow.node or m.logical_id if m.workflow else m.logical_id
    try:
        ex = sfn.wait(sim.aws.client("stepfunctions"), arn, timeout=1.0)
    except Exception as exc:  # noqa: BLE001 - e.g. moto cannot serialise the output
        return Run(where, "ERROR", type(exc).__name__, str(exc), (), False)
    order = {name: i for i, name in enumerate(flow_order(m.definition))}
    entered = tuple(sorted(set(ex.entered), key=lambda n: (order.get(n, len(order)), n)))
    fails = {s.get("Error") for _, s in states(m.definition) if s.get("Type") == "Fail"}
    designed = ex.status == "FAILED" and ex.error in fails
    return Run(where, ex.status, ex.error, ex.cause, entered, designed, ex.transitions)


@dataclass
class Observed:
    """What happened since a scenario began, in the diagram's terms."""

    edges: set[int] = field(default_factory=set)
    reached: set[str] = field(default_factory=set)  # nodes something arrived at
    unplanned: list[str] = field(default_factory=list)  # SDK calls no edge shows
    invoked: list[tuple[str, str | None]] = field(default_factory=list)  # (function, error)


def _observed(sim: Sim, mark: Mark, runs: list[tuple[Machine, Run]]) -> Observed:
    seen = Observed()
    for inv in sim.aws.lambdas.invocations[mark.invocations :]:
        f = sim.index.functions.get(inv.function)
        if f is None:
            continue
        seen.invoked.append((f.logical_id, inv.error))
        seen.reached |= {f.node} if f.node else set()
        edge = trigger_edge(sim.index, f, inv.event)
        seen.edges |= {edge} if edge is not None else set()
    for record in sim.recorder.seen[mark.seen :]:
        if record.edge is not None:
            seen.edges.add(record.edge)
        elif record.kind == "call":
            seen.unplanned.append(f"{record.source or 'a glue function'} called {record.what}")
        seen.reached |= {record.target} if record.target else set()
    for m, run in runs:
        seen.edges |= transition_edges(m, run.transitions)
        seen.reached |= {run.machine, *_entered(m, run)}
    seen.reached |= {sim.plan.edges[e].target for e in seen.edges}
    return seen


def _entered(m: Machine, run: Run) -> set[str]:
    """The nodes whose states an execution entered: reached even where no edge of the
    diagram leads there (a Catch the lowering adds, to a decision's error branch)."""
    nodes = {s.key: s.node for s in m.workflow.steps} if m.workflow else {}
    return {nodes[m.steps[n]] for n in run.states if m.steps.get(n) in nodes}
