"""Cycles -> guarded counter loops (rule in the package docstring).

One loop machine per cycle, whatever the number of places it is entered at: a "(loop)" Pass
per entry wraps the input as `{round, data}` (plus `at`, the entry, when there are several;
plus `due` inside a serial region), a Parallel runs one round of the cycle on `data` and
reports where the round ended (`{"next": "again" | <exit step>, "data": ...}`), a Choice
starts another round while `round < LOOP_REPEATS` or leaves the loop. The round itself is a
frame of its own, entered at `$.at`; any transition to an entry ends the round with "again"
(and that entry as the next round's `at`).

A *listed* loop (`Layout.listed`: a round may take several ways on at once, or the loop may
start at several entries at once) always sits in a serial region. Its wrapper also keeps
`at`, a due list of the entries the round starts at and the ways out taken so far; its round
reports the list of ways it took (`{"next": "|@n3|n7|"}`: again at n3, out to n7; the round
is a serial region started at `$.at` when the loop has several entries). After each round a
chain of Choice/Pass pairs gathers the next `at` in `result.at`; the loop goes round again
while a round asks and `round < LOOP_REPEATS`, and is left by adding `result.at` (the ways
out, as flags of the enclosing region) to the region's due list. Past the limit, if a round
also took a way out, it is left all the same with `!<entry>` added: the enclosing region runs
what is due, then fails with `fzc.LoopLimitReached` at its end (a listed round reports the
`!` on instead, so the failure comes at the end of the outermost region).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fzc.backends.asl.layout import FINISH
from fzc.backends.asl.states import LOOP_REPEATS

LOOP_AGAIN = "fzc.LoopAgain"
LOOP_LIMIT = "fzc.LoopLimitReached"
LOOP_PARTS = ("loop body", "loop check", "loop limit")
AGAIN = "again"  # a round reports {"next": "again" | <step key> | FINISH, "data": ...}

Leave = Callable[[str, list[str]], str]  # (first entry, exits) -> the state leaving the loop
Flag = Callable[[str], "str | None"]  # a listed loop's exit -> its flag in the enclosing due list
# a listed loop's way out: (first entry, past the limit) -> the state leaving it
ListedLeave = Callable[[str, bool], str]


@dataclass(frozen=True)
class Machine:
    """The loop built for one cycle: the Parallel running a round, and where it is entered."""

    body: str  # the Parallel running one round
    entries: tuple[str, ...]
    serial: bool  # inside a serial region: the wrapper also carries `due`
    listed: bool = False  # its rounds report lists (`|@n3|n7|`), its wrapper keeps `at`
    start: str = ""  # where its "(loop)" Pass goes: the body, or the entries a listed one takes
    nested: bool = False  # a listed loop inside one of its rounds


def entry_state(
    scope, rep: str, member: str, leave: Leave | ListedLeave | None = None, flag: Flag | None = None
) -> dict:
    """The "(loop)" Pass entering the loop at `member`; builds the loop on first use.
    `leave` (a serial region's) replaces the usual way out of the loop; `flag` gives a
    listed loop's exits their flags in the region's due list."""
    machine = scope.loops.get(rep) or _build(scope, rep, leave, flag)
    comp = scope.layout.members[rep]
    if machine.listed:
        return {
            "Type": "Pass",
            "Comment": f"loop over {', '.join(comp)}: at most {LOOP_REPEATS} repeats; starts "
            "at each of " + ", ".join(machine.entries) + " that is due",
            "Parameters": {"round": 0, "data.$": "$.data.Payload", "due.$": "$.due", "at": "|"},
            "Next": machine.start,
        }
    params: dict = {"round": 0, "data.$": "$.data.Payload" if machine.serial else "$"}
    if machine.serial:
        params["due.$"] = "$.due"
    if len(machine.entries) > 1:
        params["at"] = member
    where = f"; enters at {member}" if len(machine.entries) > 1 else ""
    return {
        "Type": "Pass",
        "Comment": f"loop over {', '.join(comp)}: at most {LOOP_REPEATS} repeats{where}",
        "Parameters": params,
        "Next": machine.body,
    }


def _build(scope, rep: str, leave, flag: Flag | None) -> Machine:
    """The loop's body, check and limit states. The round counter lives in a wrapper
    `{round, data}` that the steps never see, so no handler can reset it; `data` carries
    over each round."""
    layout = scope.layout
    comp = layout.members[rep]
    entries, exits, special = layout.round_spec(rep)
    listed = rep in layout.listed
    multi = len(entries) > 1
    inner = type(scope)(
        scope.ctx,
        list(comp),
        special,
        entries,
        scope.depth + 1,
        loop=entries[0],
        layout=layout.round_layout(rep),
        listed=listed,
    )
    label = scope.label(entries[0])
    if listed:
        assert leave is not None and flag is not None, "a listed loop sits in a serial region"
    enter = _enter_chain(scope, label, entries) if listed else _Chain(scope)
    branch = inner.run_round(label)
    if inner.finish in inner.special_names:
        exits.append(FINISH)
    body = scope.add(f"{label} (loop body)")
    nested = bool(inner.layout.listed)
    machine = Machine(body, tuple(entries), leave is not None, listed, enter.first or body, nested)
    scope.loops[rep] = machine
    if listed:
        enter.close(body)
        collect = _collect_chain(scope, machine, label, exits, flag)
        check, limit = (scope.add(f"{label} ({part})") for part in LOOP_PARTS[1:])
        collect.close(check)
        scope.states[body] = _body(comp, branch, multi, collect.first or check, limit, True)
        scope.states[check] = _listed_check(scope, machine, exits, limit, leave, flag)
    else:
        check, limit = (scope.add(f"{label} ({part})") for part in LOOP_PARTS[1:])
        scope.states[body] = _body(comp, branch, multi, check, limit, False)
        scope.states[check] = _check(scope, machine, exits, limit, leave)
    scope.states[limit] = {
        "Type": "Fail",
        "Comment": f"the loop at {entries[0]} asked for more than {LOOP_REPEATS} repeats",
        "Error": LOOP_LIMIT,
        "Cause": f"{label}: still looping after {LOOP_REPEATS} repeats",
    }
    return machine


def _body(
    comp: tuple[str, ...],
    branch: dict,
    multi: bool,
    check: str,
    limit: str,
    listed: bool,
) -> dict:
    # several entries: the round gets the whole wrapper, its first state reads `at`
    fields = {} if multi else {"InputPath": "$.data"}
    # the round's report beside round and data, as an object: a field under an index
    # ("$.result[0].next") reads as a list in moto 5.2, as a value in AWS
    # (https://github.com/getmoto/moto/issues/7825); a listed loop also gathers there the
    # entries the next round starts at and the exits taken so far
    selector = {"report.$": "$[0]", "at": "|"} if listed else {"report.$": "$[0]"}
    again = {"ErrorEquals": [LOOP_AGAIN]}
    retry = {"IntervalSeconds": 1, "MaxAttempts": LOOP_REPEATS, "BackoffRate": 2}
    return {
        "Type": "Parallel",
        "Comment": f"one round of the loop over {', '.join(comp)}",
        **fields,
        "Branches": [branch],
        "ResultSelector": selector,
        "ResultPath": "$.result",
        # a way back from inside a nested parallel branch (only past MAX_DEPTH frames: a
        # branch that may go round again is serial otherwise) cannot hand its data out: it
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


# -- listed loops: rounds report every way on they took, as flags -----------------------------
REPORT = "$.result.report.next"


def _matches(variable: str, flag: str) -> dict:
    return {"Variable": variable, "StringMatches": f"*|{flag}|*"}


def _any(tests: list[dict]) -> dict:
    return tests[0] if len(tests) == 1 else {"Or": tests}


class _Chain:
    """Choice/Pass pairs, each running its Pass when its test holds, then going on to the
    next pair either way: named in order when created, filled in once `then` is known."""

    def __init__(self, scope) -> None:
        self.scope = scope
        self.links: list[tuple[str, str, dict, str]] = []

    def link(self, label: str, what: str, test: dict, comment: str, params: dict, **fields):
        """A Choice "<label> (if <what>)" running the Pass "<label> (<what>)"."""
        ask, did = self.scope.add(f"{label} (if {what})"), self.scope.add(f"{label} ({what})")
        self.links.append((ask, did, test, comment))
        body = {"Type": "Pass", "Comment": comment, "Parameters": params}
        self.scope.states[did] = body | fields

    @property
    def first(self) -> str:
        return self.links[0][0] if self.links else ""

    def close(self, then: str) -> None:
        states = self.scope.states
        nexts = [ask for ask, *_ in self.links[1:]] + [then] if self.links else []
        for (ask, did, test, comment), nxt in zip(self.links, nexts, strict=True):
            states[ask] = {
                "Type": "Choice",
                "Comment": comment,
                "Choices": [test | {"Next": did}],
                "Default": nxt,
            }
            states[did]["Next"] = nxt


def _enter_chain(scope, label: str, entries: list[str]) -> _Chain:
    """From a serial region: `at` lists each entry that is due (one with a single entry
    starts there)."""
    chain = _Chain(scope)
    for e in entries if len(entries) > 1 else ():
        params = {
            "round.$": "$.round",
            "data.$": "$.data",
            "due.$": "$.due",
            "at.$": f"States.Format('{{}}{e}|', $.at)",
        }
        comment = f"{e} is due: the loop starts there (too)"
        what = f"enter at {scope.label(e)}"
        chain.link(label, what, _matches("$.due", e), comment, params)
    return chain


def _collect_chain(scope, machine: Machine, label: str, exits: list[str], flag: Flag) -> _Chain:
    """After a round: gathers in `result.at` the exits taken so far (this round's report or
    an earlier round's, as `at` keeps them) with their flags in the enclosing region, and
    the entries the round asked to start at again."""
    chain = _Chain(scope)

    def add(what: str, test: dict, comment: str, value: str) -> None:
        params = {
            "report.$": "$.result.report",
            "at.$": f"States.Format('{{}}{value}|', $.result.at)",
        }
        chain.link(label, what, test, comment, params, ResultPath="$.result")

    for x in exits:
        if x == FINISH:
            continue
        f = flag(x) or x  # (a step that runs anyway needs no flag: it still marks the way out)
        test = _any([_matches("$.at", f), _matches(REPORT, x)])
        add(f"left for {scope.label(x)}", test, f"a round left the loop towards {x}", f)
    for e in machine.entries if len(machine.entries) > 1 else ():
        test = _matches(REPORT, f"@{e}")
        add(f"again at {scope.label(e)}", test, f"the next round starts at {e}", e)
    if machine.nested:  # a loop inside went round past its limit: so will this region
        test = {"Variable": REPORT, "StringMatches": "*|!*"}
        add("inner loop stopped", test, "a loop inside went round past its limit", "!")
    return chain


def _listed_check(
    scope, machine: Machine, exits: list[str], limit: str, leave: ListedLeave, flag: Flag
) -> dict:
    """Another round while one asks for it, at most LOOP_REPEATS more, then the execution
    fails (fzc.LoopLimitReached); where a round also left the loop (a fan-out going both
    round again and out), the ways out it took run first: the region fails at its end. The
    loop is left when a round asks for no other."""
    entry = machine.entries[0]
    again = _any([_matches(REPORT, f"@{e}") for e in machine.entries])
    under = {"Variable": "$.round", "NumericLessThan": LOOP_REPEATS}
    round_ = scope.add(f"{scope.label(entry)} (next round)")
    scope.states[round_] = {
        "Type": "Pass",
        "Comment": f"back to the loop at {entry}, at the entries the round asked for",
        "Parameters": {
            "round.$": "States.MathAdd($.round, 1)",
            "data.$": "$.result.report.data",
            "at.$": "$.result.at",
            "due.$": "$.due",
        },
        "Next": machine.body,
    }
    out = leave(entry, False)
    left = [
        t
        for x in exits
        if x != FINISH
        for t in (_matches("$.at", flag(x) or x), _matches(REPORT, x))
    ]
    rules = [{"And": [again, under], "Next": round_}]
    if left:  # past the limit, the ways out taken still run, then the execution fails
        rules.append({"And": [again, _any(left)], "Next": leave(entry, True)})
    rules.append(again | {"Next": limit})
    return {
        "Type": "Choice",
        "Comment": f"another round of the loop at {entry}, or leave it",
        "Choices": rules,
        "Default": out,
    }
