"""What a simulation found: executions, one outcome per scenario, and the report."""

from __future__ import annotations

from dataclasses import dataclass, field

from fzc.diagnostics import Diagnostic
from fzc.simulate.deploy import Fill
from fzc.simulate.scenarios import Expect, Scenario
from fzc.wire.plan import Plan


@dataclass(frozen=True)
class Run:
    """One state machine execution."""

    machine: str  # node id (logical id for a workflow without a node)
    status: str
    error: str | None
    cause: str | None
    states: tuple[str, ...]  # the states entered, in flow order (`machines.flow_order`)
    designed: bool  # it failed through one of the machine's own Fail states
    transitions: tuple = field(default=(), compare=False, repr=False)  # (left, entered) pairs


@dataclass(frozen=True)
class Outcome:
    """What one scenario did: what was sent and what followed, judged against expectations."""

    number: int
    scenario: Scenario
    sent: str
    edges: tuple[int, ...]
    runs: tuple[Run, ...]
    invoked: tuple[tuple[str, str | None], ...]  # (function logical id, error or None)
    stored: tuple[tuple[str, int], ...]  # (node, how many more items/objects/messages)
    unplanned: tuple[str, ...]  # SDK calls no edge of the diagram shows
    verdicts: tuple[tuple[Expect, str | None], ...]  # (expectation, why it failed or None)
    problems: tuple[Diagnostic, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Report:
    """Everything a simulation found: the deployment's fills, the checks, each outcome."""

    plan: Plan
    resources: int
    fills: tuple[Fill, ...]
    checks: tuple[Diagnostic, ...]
    outcomes: tuple[Outcome, ...]

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [*self.checks, *(d for o in self.outcomes for d in o.problems)]

    def exercised(self) -> dict[int, list[int]]:
        """Edge index -> the numbers of the scenarios that exercised it."""
        found: dict[int, list[int]] = {e.index: [] for e in self.plan.edges}
        for o in self.outcomes:
            for edge in o.edges:
                found[edge].append(o.number)
        return found
