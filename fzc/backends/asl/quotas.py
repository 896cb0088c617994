"""Step Functions quotas a compiled definition must fit, checked before anything is written.

AWS rejects a definition over 1 MB ("Maximum size of state machine definition", a hard
quota; `CreateStateMachine` takes at most 1,048,576 characters), measured on the text it
receives: CloudFormation sends the `Definition` as compact JSON, with every
`${placeholder}` replaced by its ARN, name or URL. fzc also refuses more than `MAX_STATES`
states (its own guard: a machine that large is unreadable in the console and its executions
run into the 25,000-event history quota).

fzc also refuses a definition that would not do what the diagram says: loops (and Parallel
branches) nest at most `layout.MAX_DEPTH` frames deep; a loop deeper still is not lowered
as a loop, and each transition closing it would go back to the enclosing loop's entry (or
end the flow) instead.

`check(plan)` returns one `Excess` per workflow over a limit, and one per transition such a
loop would send elsewhere; the caller turns each into its diagnostic: FZ4001
(`state-machine-too-large`) or FZ4005 (`workflow-too-deep`), errors: nothing is emitted.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from fzc.backends.asl.layout import MAX_DEPTH
from fzc.source import Source, Span
from fzc.wire.plan import Plan, Workflow

MAX_DEFINITION_BYTES = 1_048_576
MAX_STATES = 10_000
SUBSTITUTED_BYTES = 100  # what a `${placeholder}` is assumed to become (an ARN or URL)
SPLIT_HELP = (
    "split the workflow: draw part of it as a Step Functions node of its own and start it "
    "from this one"
)
DEEP_HELP = (
    "nest fewer loops: draw the innermost ones as a Step Functions node of their own, started "
    "from this workflow, or let this edge go back to a step of an enclosing loop"
)
_PLACEHOLDER = re.compile(r"\$\{[^}]*\}")


@dataclass(frozen=True, slots=True)
class Excess:
    """A workflow whose definition is over a Step Functions quota (reported as FZ4001)."""

    workflow: str  # logical id of the state machine
    span: Span  # where the workflow is drawn
    size: int  # estimated bytes AWS receives
    states: int
    message: str
    help: str
    code: str = "FZ4001"
    label: str = "this workflow"


def measure(body: dict) -> tuple[int, int]:
    """(estimated bytes AWS receives, number of states) of a definition."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    size = len(_PLACEHOLDER.sub("x" * SUBSTITUTED_BYTES, text).encode())
    return size, _count_states(body)


def _count_states(body: dict) -> int:
    count, todo = 0, [body]
    while todo:
        scope = todo.pop()
        for state in scope.get("States", {}).values():
            count += 1
            todo += state.get("Branches", [])
            todo += [state[k] for k in ("ItemProcessor", "Iterator") if k in state]
    return count


def excess(workflow: Workflow, body: dict) -> Excess | None:
    """The quota a compiled definition breaks, if any."""
    size, states = measure(body)
    if size <= MAX_DEFINITION_BYTES and states <= MAX_STATES:
        return None
    what = f"about {size / 1_000_000:.2f} MB and {states:,} states"
    return Excess(
        workflow.logical_id,
        workflow.span,
        size,
        states,
        f"state machine `{workflow.logical_id}` compiles to {what}: Step Functions accepts "
        f"at most 1 MB per definition (fzc: at most {MAX_STATES:,} states)",
        SPLIT_HELP,
    )


def too_many_steps(workflow: Workflow) -> Excess | None:
    """Every step becomes at least one state, so a workflow of more than MAX_STATES steps is
    refused without compiling it (a 100k-step definition takes seconds and ~1 GB to build)."""
    steps = len(workflow.steps)
    if steps <= MAX_STATES:
        return None
    return Excess(
        workflow.logical_id,
        workflow.span,
        0,
        steps,
        f"state machine `{workflow.logical_id}` has {steps:,} steps, each at least one state: "
        f"fzc allows at most {MAX_STATES:,} states in one machine (and Step Functions at most "
        "1 MB per definition)",
        SPLIT_HELP,
    )


def too_deep(plan: Plan, workflow: Workflow, source: Source | None = None) -> list[Excess]:
    """Each transition closing a loop nested deeper than MAX_DEPTH frames, located at its
    edge: the definition would send it elsewhere."""
    from fzc.backends.asl import redirected

    edges = {e.index: e for e in plan.diagram.edges}
    steps = {s.key: s for s in workflow.steps}
    return [
        Excess(
            workflow.logical_id,
            edges[arc.edge].span if arc.edge in edges else workflow.span,
            0,
            0,
            f"this way back to `{_node(steps, arc.target)}` closes a loop nested more than "
            f"{MAX_DEPTH} deep (loops and parallel branches): state machine "
            f"`{workflow.logical_id}` would {_instead(steps, again)} instead",
            DEEP_HELP,
            "FZ4005",
            "this way back",
        )
        for arc, again in sorted(redirected(plan, workflow, source).items(), key=_edge)
    ]


def _edge(item: tuple) -> tuple[int, str, str]:
    arc = item[0]
    return (arc.edge if arc.edge is not None else -1, arc.source, arc.target)


def _node(steps: dict, key: str) -> str:
    step = steps.get(key)
    return step.node if step is not None else key


def _instead(steps: dict, again: str) -> str:
    return f"go back to `{_node(steps, again)}`" if again else "end"


def check(plan: Plan, source: Source | None = None) -> list[Excess]:
    """Every workflow of the plan whose definition would be rejected: too large, else each
    transition it would send elsewhere (too deep)."""
    from fzc.backends.asl import definition

    found: list[Excess] = []
    for wf in plan.workflows:
        over = too_many_steps(wf) or excess(wf, definition(plan, wf, source)[0])
        found += [over] if over is not None else too_deep(plan, wf, source)
    return found
