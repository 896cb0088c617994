"""Cycles -> guarded counter loops (rule in the package docstring).

One loop machine per cycle, whatever the number of places it is entered at: a "(loop)" Pass
per entry wraps the input as `{round, data}` (plus `at`, the entry, when there are several;
plus `due` inside a serial region), a Parallel runs one round of the cycle on `data` and
reports where the round ended (`{"next": "again" | <exit step>, "data": ...}`), a Choice
starts another round while `round < LOOP_REPEATS` or leaves the loop. The round itself is a
frame of its own, entered at `$.at`; any transition to an entry ends the round with "again"
(and that entry as the next round's `at`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fzc.backends.asl.layout import FINISH, Special
from fzc.backends.asl.states import LOOP_REPEATS

LOOP_AGAIN = "fzc.LoopAgain"
LOOP_LIMIT = "fzc.LoopLimitReached"
LOOP_PARTS = ("loop body", "loop check", "loop limit")
AGAIN = "again"  # a round reports {"next": "again" | <step key> | FINISH, "data": ...}

Leave = Callable[[str, list[str]], str]  # (first entry, exits) -> the state leaving the loop


@dataclass(frozen=True)
class Machine:
    """The loop built for one cycle: the Parallel running a round, and where it is entered."""

    body: str  # the Parallel running one round
    entries: tuple[str, ...]
    serial: bool  # inside a serial region: the wrapper also carries `due`


def entry_state(scope, rep: str, member: str, leave: Leave | None = None) -> dict:
    """The "(loop)" Pass entering the loop at `member`; builds the loop on first use.
    `leave` (a serial region's) replaces the usual way out of the loop."""
    machine = scope.loops.get(rep) or _build(scope, rep, leave)
    params: dict = {"round": 0, "data.$": "$.data.Payload" if machine.serial else "$"}
    if machine.serial:
        params["due.$"] = "$.due"
    if len(machine.entries) > 1:
        params["at"] = member
    comp = scope.layout.members[rep]
    where = f"; enters at {member}" if len(machine.entries) > 1 else ""
    return {
        "Type": "Pass",
        "Comment": f"loop over {', '.join(comp)}: at most {LOOP_REPEATS} repeats{where}",
        "Parameters": params,
        "Next": machine.body,
    }


def _build(scope, rep: str, leave: Leave | None) -> Machine:
    """The loop's body, check and limit states. The round counter lives in a wrapper
    `{round, data}` that the steps never see, so no handler can reset it; `data` carries
    over each round."""
    comp = scope.layout.members[rep]
    entries = scope.layout.loop_entries(rep) or [comp[0]]
    exits = _exits(scope, comp)
    multi = len(entries) > 1
    special = {e: Special("again", e, at=multi) for e in entries}
    special |= {x: Special("exit", x) for x in exits}
    inner = type(scope)(scope.ctx, list(comp), special, entries, scope.depth + 1, loop=entries[0])
    branch = inner.run_round(scope.label(entries[0]))
    if inner.finish in inner.special_names:
        exits.append(FINISH)
    label = scope.label(entries[0])
    body, check, limit = (scope.add(f"{label} ({part})") for part in LOOP_PARTS)
    machine = Machine(body, tuple(entries), leave is not None)
    scope.loops[rep] = machine
    scope.states[body] = _body(comp, branch, multi, check, limit)
    scope.states[check] = _check(scope, machine, exits, limit, leave)
    scope.states[limit] = {
        "Type": "Fail",
        "Comment": f"the loop at {entries[0]} asked for more than {LOOP_REPEATS} repeats",
        "Error": LOOP_LIMIT,
        "Cause": f"{label}: still looping after {LOOP_REPEATS} repeats",
    }
    return machine


def _exits(scope, comp: tuple[str, ...]) -> list[str]:
    members = set(comp)
    found = (scope.layout.dest(a) for m in comp for a in scope.layout.arcs(m))
    return list(dict.fromkeys(t for t in found if t not in members))


def _body(comp: tuple[str, ...], branch: dict, multi: bool, check: str, limit: str) -> dict:
    again = {"ErrorEquals": [LOOP_AGAIN]}
    retry = {"IntervalSeconds": 1, "MaxAttempts": LOOP_REPEATS, "BackoffRate": 2}
    # several entries: the round gets the whole wrapper, its first state reads `at`
    fields = {} if multi else {"InputPath": "$.data"}
    return {
        "Type": "Parallel",
        "Comment": f"one round of the loop over {', '.join(comp)}",
        **fields,
        "Branches": [branch],
        # the round's report beside round and data, as an object: a field under an index
        # ("$.result[0].next") reads as a list in moto 5.2, as a value in AWS
        # (https://github.com/getmoto/moto/issues/7825)
        "ResultSelector": {"report.$": "$[0]"},
        "ResultPath": "$.result",
        # a way back from inside a nested parallel branch cannot hand its data out: it
        # fails with fzc.LoopAgain and the round runs again from its own input
        "Retry": [again | retry],
        "Catch": [again | {"Next": limit}],
        "Next": check,
    }


def _check(scope, machine: Machine, exits: list[str], limit: str, leave: Leave | None) -> dict:
    entry = machine.entries[0]
    again = {"Variable": "$.result.report.next", "StringEquals": AGAIN}
    under = {"Variable": "$.round", "NumericLessThan": LOOP_REPEATS}
    round_ = scope.add(f"{scope.label(entry)} (next round)")
    params = {"round.$": "States.MathAdd($.round, 1)", "data.$": "$.result.report.data"}
    if len(machine.entries) > 1:
        params["at.$"] = "$.result.report.at"
    if machine.serial:
        params["due.$"] = "$.due"
    scope.states[round_] = {
        "Type": "Pass",
        "Comment": f"back to {entry} with the data the round ended with",
        "Parameters": params,
        "Next": machine.body,
    }
    return {
        "Type": "Choice",
        "Comment": f"another round of the loop at {entry}, or leave it",
        "Choices": [{"And": [again, under], "Next": round_}, again | {"Next": limit}],
        "Default": _leave(scope, entry, exits, leave) if exits or leave else limit,
    }


def _leave(scope, entry: str, exits: list[str], leave: Leave | None) -> str:
    return leave(entry, exits) if leave is not None else loop_out(scope, entry, exits)


def loop_out(scope, entry: str, exits: list[str]) -> str:
    """The state that unwraps the round's data and goes where the loop was left."""
    label = scope.label(entry)
    if len(exits) == 1:
        name = scope.add(f"{label} (loop done)")
        scope.states[name] = {
            "Type": "Pass",
            "Comment": f"the loop at {entry} is done",
            "OutputPath": "$.result.report.data",
        } | scope.go(scope.target(exits[0]))
        return name
    name = scope.add(f"{label} (loop exit)")
    rules = [
        {"Variable": "$.result.report.next", "StringEquals": x, "Next": scope.state(x)}
        for x in exits[:-1]
    ]
    scope.states[name] = {
        "Type": "Choice",
        "Comment": f"where the loop at {entry} was left",
        "Choices": rules,
        "Default": scope.state(exits[-1]),
        "OutputPath": "$.result.report.data",
    }
    return name
