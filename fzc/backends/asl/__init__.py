"""Step Functions backend: each workflow of the plan -> an ASL definition (JSONPath).

`definition(plan, workflow)` returns the definition, with `${key}` placeholders wherever an
ARN, name or URL goes, and the `DefinitionSubstitutions` (key -> CloudFormation value) the
CloudFormation backend puts beside it; `emit` writes `statemachines/<LogicalId>.asl.json`.

Conventions (README material):
- Steps. A compute step is a `lambda:invoke` Task (`Payload.$: "$"`, `OutputPath:
  "$.Payload"`: the next state sees what the function returned; Retry on Lambda's transient
  errors). A start event or milestone is a Pass, an end event a Succeed (a Fail when its
  label says error/failure). A step with no way on ends (`End: true`). An edge to a service
  is an optimised-integration Task with `ResultPath: null` (the input carries on): DynamoDB
  putItem (key "<execution>#<state>", `data` = the input as JSON), SQS sendMessage (body =
  the input), SNS publish, EventBridge putEvents, startExecution; S3 putObject and Kinesis
  putRecord through the AWS SDK integration.
- Decisions. A diamond tests `$.<decision_key>` (`Processing Complete?` ->
  `$.processingComplete`) with `StringEquals` the branch label (else the target's label);
  the branch labelled no/else/failure/... (else the last) is the `Default`, which a missing
  field also takes. A decision with one branch sends everything there; one with none is a
  Pass. Several start events: a Choice on `$.entry` (a start event's label) picks one.
- Errors (`flow.py`). A transition is an error path when its label or its target's label
  says error/fail/exception/fault/DLQ/dead letter, or its label names an error: timeout
  (`States.Timeout`, and a function's `Sandbox.Timedout`), throttling (a function's
  `Lambda.TooManyRequestsException`), permission/access denied/forbidden
  (`States.Permissions`). A compute step or task catches (`ResultPath: "$.error"`) to the
  targets of its own error paths, else to the error branches of the decision right after
  it (alternatives: each error to the first branch naming it). Each path catches the errors
  its label (else its target's) names, else any (`States.ALL`); one catcher per set of
  paths, named errors first, `States.ALL` last. An error several paths catch (two "on
  error" edges, to a handler and to a dead-letter queue) takes them all: its catcher leads
  to "<step> (on error)", a Pass that fans out to each (a Parallel or the serial region,
  as any fan-out). An error path beside a normal successor is only a Catch; as the only
  way on it is both Next and Catch.
- Loops. Steps on a cycle become a guarded counter loop: "<entry> (loop)" wraps the input
  as {round, data}; a Parallel runs one round on `data` and reports where it ended; a Choice
  starts the next round, with that round's data, while round < 3, else fails with
  `fzc.LoopLimitReached`; leaving the loop unwraps the data. The counter is outside what the
  handlers see, so no handler can make a loop unbounded. A cycle entered at several steps is
  still one loop: each entry has its "(loop)" Pass, which records it (`at`); each round
  starts where `at` says, and any transition to an entry ends the round and sets it (so a
  round may be shorter, the bound the same). Steps named in a `loop [...]` fragment also
  retry their own failures (`States.TaskFailed`) at most 3 times.
  A round that may take several ways round again or out at once (a fan-out going on inside
  the loop and out of it or back to an entry, two steps that each go somewhere else, a
  loop inside that does) is *listed* (`loops.py`): its steps run as a serial region that
  flags each way (`@n3` again at n3, `n7` out to n7) and the round reports the whole list
  (`{"next": "|@n3|n7|", "data": ...}`); after each round a chain of Choices gathers in
  `at` the entries the next round starts at and the ways out taken so far; the loop is
  left, in its enclosing serial region, towards every way out its rounds took. A loop that
  may start at several entries at once (in a serial region, where several may be due; the
  join of a fan-out whose lanes lead to different entries) is listed too, and starts at
  every entry that is due, each once, before any step that may ask for it again. Past the
  limit a listed loop whose rounds also took ways out runs them first: the serial region
  then fails with `fzc.LoopLimitReached` at its end (the outermost one: a round holding a
  listed loop is listed and reports that too).
- Fan-out. A non-choice step with several successors (or an orchestrator with several first
  steps) runs them all. Every step's state is written once, so the size of a definition is
  linear in the diagram (`layout.py`, `serial.py`):
  * Parallel, when the fan-out is *proper*: each successor (a lane) is reached from this
    step alone, and the steps it dominates leave only towards one common step, the join (a
    successor the lanes lead to may be the join itself). One branch per lane holds exactly
    the steps that lane dominates; the branches end at the join (`ResultPath: "$.branches"`,
    the flow goes on there; a loop join at the entry the fan-out or its branches lead to)
    or at their own ends. One lane that always reaches the join is no Parallel: the step
    goes on to it.
    The join runs once, after every branch has finished, when at least one branch took the
    way to it (or the fan-out leads to it itself); when none did, it does not run. A
    Parallel goes on to its join whatever its branches did, so it is used only where some
    branch is sure to: the fan-out leads to the join, or a lane may not finish otherwise
    (a failure end fails the whole execution: no way to finish). Alternative, not taken:
    a Parallel whose join a Choice guards by what the branches report (a branch's output is
    the handlers' data, so the report would wrap it, and a branch ending inside a nested
    Parallel could not report past it).
  * Serial region, when the fan-out is *entangled* (lanes that meet anywhere else, cross, or
    are entered from elsewhere), when it also goes round again or out of the loop beside
    its other targets, when a lane would (a branch cannot end a round), when its join is a
    loop its lanes enter at different steps, when every lane may finish without taking the
    way to the join (a decision branch, a caught failure or an end event ends it first: the
    due list says whether the join runs), or when a Parallel would nest deeper than 8
    frames:
    everything reachable from its successors runs as one sequence in topological order, the
    data wrapped as `{"data": {"Payload": ...}, "due": "|n4|n7|"}`. A step that finishes
    appends the steps it leads to, a decision the target of the branch it takes, a Catch
    its handler; a step that may not be due is guarded by a Choice ("<step> (if due)"). So
    each step runs at most once, after every due step before it, on the data the step
    before it left; Parallel's concurrency is given up, not its steps. A decision there
    tests `$.data.Payload.<field>`, a Catch adds `error` beside the data, an end event that
    is not a failure ends its path only; after the last step the wrapper comes off and the
    flow leaves towards a due way out (a loop exit before a way round again; a listed
    round reports them all), else ends. A loop with several due entries starts at each.
  Alternative, not taken: a labelled fan-out as an implicit decision (FlowZap draws
  decisions as diamonds).
- Bounds. Parallel branches and loop rounds nest at most 8 deep: a deeper fan-out runs in
  the serial region; a deeper loop is not lowered (its ways back would close on the
  innermost loop's entry, or end the flow), so `quotas.check` reports each of those
  transitions (FZ4005, at its edge) and the compiler writes nothing.
  Everything is built with worklists, so a 10,000-step chain compiles without deep
  recursion. `quotas.check` finds each definition over Step Functions' 1 MB (or over 10,000
  states), for the compiler to report (FZ4001) instead of emitting it.
- Names. State names are node (or edge, for tasks) labels cleaned to letters, digits, spaces
  and `-_.,()'&+!`, at most 80 characters, unique with " 2", " 3"...; each Comment names
  the node id (or the edge of a task) and its .fz line.
"""

from __future__ import annotations

import json

from fzc.backends import Artifact, Options, per_plan
from fzc.backends.asl import compile as compiler
from fzc.backends.asl import flow, lines
from fzc.backends.asl.flow import Arc
from fzc.backends.asl.states import Ctx
from fzc.source import Source
from fzc.wire.plan import Plan, Workflow

__all__ = ["definition", "emit", "redirected", "render"]


# The CloudFormation backend embeds the very definitions this backend writes (and the quota
# check measures them): built once per plan and workflow, not once per reader.
_built = per_plan(lambda plan: {})


def definition(plan: Plan, workflow: Workflow, source: Source | None = None) -> tuple[dict, dict]:
    """The workflow's ASL definition and its DefinitionSubstitutions (key -> CFN value).
    Callers share the result: read it, never change it."""
    return _build(plan, workflow, source)[0]


def redirected(plan: Plan, workflow: Workflow, source: Source | None = None) -> dict[Arc, str]:
    """The transitions the definition sends elsewhere (to this loop entry, or "" for the
    end): those closing a loop nested deeper than `layout.MAX_DEPTH` frames."""
    return _build(plan, workflow, source)[1]


def _build(plan: Plan, workflow: Workflow, source: Source | None):
    done = _built(plan).get(workflow.logical_id)
    if done is None or done[0] is not workflow or done[1] is not source:
        ctx = Ctx(flow.build(plan, workflow), lines.finder(plan, source))
        body = compiler.machine(ctx)
        built = ((body, {k: ctx.subs[k] for k in sorted(ctx.subs)}), ctx.redirected)
        done = (workflow, source, built)
        _built(plan)[workflow.logical_id] = done
    return done[2]


def render(body: dict) -> str:
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


def emit(plan: Plan, options: Options, source: Source | None = None) -> list[Artifact]:
    return [
        Artifact(f"statemachines/{wf.logical_id}.asl.json", render(definition(plan, wf, source)[0]))
        for wf in plan.workflows
    ]
