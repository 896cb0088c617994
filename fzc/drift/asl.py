"""A state machine's definition as a graph: states, what each one calls, where each one goes.

Reads `Definition` (an object) or `DefinitionString` (a string, `Fn::Sub` or `Fn::Join`),
with `DefinitionSubstitutions`; nested Parallel branches and Map processors are flattened
(`Outer/Inner` names), their terminal states leading to the outer state's `Next`.

The serial lowering of entangled fan-outs (fzc/backends/asl/serial.py) keeps a due list in
`$.due`: a Pass appends flags to it (`States.Format('{}n4|n7|', $.due)`, or a literal
`"|n4|n7|"` where it starts), a guard is a Choice whose every rule tests one
(`StringMatches: "*|n4|*"`). Each state records the flags it appends and the rules it tests
on them; flow.py reads what they mean.

A *listed* loop (fzc/backends/asl/loops.py) keeps its wrapper beside the due list: `at`, the
flags of the entries a round starts at and the ways out taken so far, which a Pass appends to
(`"at.$": "States.Format('{}n3|', $.at)"`, or `$.result.at` after a round); the round starts
with its due list taken from `$.at`, ends reporting its due list (`"next.$": "$.due"`), or a
list of flags where it has no due list (`"next": "|@n3|n7|"`: read as the flags that Pass
sets), and leaving the loop takes `$.result.at` into the enclosing due list. Each state
records what it appends to `at`, the field it takes flags from, whether it reports, and each
Choice rule's flag tests on any field (`*|@n3|*` on `$.result.report.next`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from fzc.drift.index import Index, _walk, flatten

_PLACEHOLDER = re.compile(r"\$\{([^}!][^}]*)\}")
_CALL_KEYS = ("Resource", "Parameters", "Arguments")
TERMINAL = ("Succeed", "Fail")
DUE = "$.due"  # where the serial lowering keeps its due list
AT = "$.at"  # a listed loop's entries to start at and ways out taken
RESULT_AT = "$.result.at"  # the same, gathered after a round
REPORT = "$.result.report.next"  # where a loop's round reports how it ended
# the fields of the wrapper fzc's loops keep around a round's data: a Choice testing only
# these steers a loop (another round, where to start it, where to leave), it decides nothing
LOOP_FIELDS = frozenset({AT, "$.round", REPORT})
UNWRAP = "$.data.Payload"  # a serial region's steps' data, as its end hands it on
# the flags a Pass appends to the due list, as `due.$` (an intrinsic) or `due` (a literal)
_APPEND = re.compile(r"States\.Format\('\{\}([^'{}]*)',\s*\$\.due\)")
# ... or, leaving a listed loop, the flags of another field and its own (`!n3`: past the limit)
_MERGE = re.compile(r"States\.Format\('\{\}\{\}([^'{}]*)',\s*\$\.due,\s*(\$[\w.]+)\)")
# the flags a Pass appends to a listed loop's `at` (`$.at`, or `$.result.at` after a round)
_RECORD = re.compile(r"States\.Format\('\{\}([^'{}]*)',\s*\$(?:\.result)?\.at\)")
# what a loop's own Passes write or read: its wrapper (round, at) and a round's report
_LOOP_KEYS = frozenset({"round", "at", "report", "next"})
_LOOP_PATHS = (AT, "$.result")


@dataclass(frozen=True, slots=True)
class State:
    """One state of a flattened definition: what it calls and where it goes next."""

    name: str
    type: str
    targets: tuple[str, ...]  # entities (logical ids) the state calls
    nexts: tuple[tuple[str, str], ...]  # (state name, how: next/choice/default/catch/branch)
    end: bool
    frame: str = ""  # the branch it is in (`Outer/0/`): each branch keeps its own due list
    marks: tuple[str, ...] = ()  # flags it appends to the due list
    tests: tuple[tuple[str, str], ...] = ()  # a guard's rules: (flag, state run when due)
    serial: bool = False  # it writes the due list (even with no flag) or tests it
    error: str = ""  # a Fail's Error
    variables: frozenset[str] = frozenset()  # what a Choice's rules test
    # each Choice rule: its Next and the flags it tests, as (field, flag), anywhere in it
    rules: tuple[tuple[str, frozenset[tuple[str, str]]], ...] = ()
    records: tuple[str, ...] = ()  # flags it appends to a listed loop's `at`
    takes: str = ""  # the field whose flags it adds to the due list (`$.at`, `$.result.at`)
    reports: bool = False  # it ends a listed round, reporting its ways on as `next`
    own: bool = False  # the lowering's own (a loop's Pass, a serial region's end or due test)
    choices: tuple[Rule, ...] = ()  # each Choice rule: where it goes and what it compares


@dataclass(frozen=True, slots=True)
class Rule:
    """A Choice rule as a decision's branch reads it."""

    index: int  # its place in `Choices`
    next: str  # the state it leads to (flattened name)
    equals: tuple[tuple[str, str], ...]  # (field, value) of each StringEquals it requires
    condition: str  # the rule without its Next, as canonical JSON: equal tests, equal text


@dataclass(frozen=True, slots=True)
class Machine:
    """A state machine's definition as a graph of states, by name."""

    lid: str
    start: str | None
    states: dict[str, State]

    def successors(self, name: str) -> list[str]:
        state = self.states.get(name)
        return [n for n, _ in state.nexts if n in self.states] if state else []


class DefinitionError(ValueError):
    pass


def _text_and_vars(props: dict) -> tuple[object, dict]:
    """The definition (object or JSON text with placeholders) and its variables."""
    subs = props.get("DefinitionSubstitutions")
    variables = dict(subs) if isinstance(subs, dict) else {}
    if isinstance(props.get("Definition"), dict):
        return props["Definition"], variables
    raw = props.get("DefinitionString")
    if isinstance(raw, dict) and "Fn::Sub" in raw:
        arg = raw["Fn::Sub"]
        if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], dict):
            variables.update(arg[1])
            raw = arg[0]
        else:
            raw = arg
    holes: dict = {}
    text = flatten(raw, holes)
    variables.update(holes)
    if not isinstance(text, str):
        raise DefinitionError("the definition is neither an object nor a string")
    return text, variables


def load(props: dict) -> tuple[dict, dict]:
    body, variables = _text_and_vars(props)
    if isinstance(body, dict):
        return body, variables
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise DefinitionError(f"the definition is not JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise DefinitionError("the definition is not a JSON object")
    return data, variables


def _strings(value):
    return (v for v in _walk(value) if isinstance(v, str))


def _targets(state: dict, variables: dict, idx: Index) -> tuple[str, ...]:
    found: set[str] = set()
    for key in _CALL_KEYS:
        value = state.get(key)
        found |= idx.entity_refs(value)
        for text in _strings(value):
            for name in _PLACEHOLDER.findall(text):
                name = name.strip()
                if name in variables:
                    found |= idx.entity_refs(variables[name])
                else:
                    found |= idx.entity_refs({"Fn::Sub": "${" + name + "}"})
    return tuple(sorted(found))


def _nexts(state: dict) -> list[tuple[str, str]]:
    out = []
    if isinstance(state.get("Next"), str):
        out.append((state["Next"], "next"))
    for rule in state.get("Choices") or []:
        if isinstance(rule, dict) and isinstance(rule.get("Next"), str):
            out.append((rule["Next"], "choice"))
    if isinstance(state.get("Default"), str):
        out.append((state["Default"], "default"))
    for catcher in state.get("Catch") or []:
        if isinstance(catcher, dict) and isinstance(catcher.get("Next"), str):
            out.append((catcher["Next"], "catch"))
    return out


def _params(state: dict) -> dict:
    """A Pass's Parameters ({} for any other state)."""
    params = state.get("Parameters")
    return params if state.get("Type") == "Pass" and isinstance(params, dict) else {}


def _flags(text: str) -> tuple[str, ...]:
    return tuple(f for f in text.split("|") if f)


def _marks(state: dict) -> tuple[tuple[str, ...] | None, str]:
    """The flags a Pass appends to the due list (None when it does not write one), and the
    field it takes more flags from (`$.at`: a listed round's start; `$.result.at`: leaving
    a listed loop)."""
    params = _params(state)
    literal, intrinsic = params.get("due"), params.get("due.$")
    if _listed(params.get("next")):  # a listed round ending where it reports its ways on
        return _flags(params["next"]), ""
    if not isinstance(intrinsic, str):
        return (_flags(literal) if isinstance(literal, str) else None), ""
    if intrinsic == AT:  # a listed round starts with the entries its loop's `at` lists
        return (), intrinsic
    merged = _MERGE.fullmatch(intrinsic)
    if merged:
        return _flags(merged[1]), merged[2]
    found = _APPEND.fullmatch(intrinsic)
    return (_flags(found[1]) if found else None), ""


def _listed(report) -> bool:
    """Whether a round's report is a list of flags (`"|@n3|n7|"`), not one way on."""
    return isinstance(report, str) and report.startswith("|") and report.endswith("|")


def _reports(state: dict) -> bool:
    """Whether a Pass ends a listed round: it reports the due list or a list of flags."""
    params = _params(state)
    return params.get("next.$") == DUE or _listed(params.get("next"))


def _records(state: dict) -> tuple[str, ...]:
    """The flags a Pass appends to a listed loop's `at`."""
    text = _params(state).get("at.$")
    found = _RECORD.fullmatch(text) if isinstance(text, str) else None
    return _flags(found[1]) if found else ()


def _own(state: dict) -> bool:
    """Whether a state is the lowering's own, not a step's: a Choice reading only the due
    list (`*|n4|*`, `*|!*`: a decision tests a value with StringEquals, even one named `due`);
    a loop's Pass, which writes its wrapper or report (round, at, next) or reads them (`$.at`,
    `$.result...`); a serial region's end, which unwraps the steps' data (`OutputPath:
    $.data.Payload`)."""
    rules = state.get("Choices")
    if state.get("Type") == "Choice" and isinstance(rules, list):
        return bool(rules) and all(_on_due_list(r) for r in rules)
    if state.get("Type") != "Pass":
        return False
    params = _params(state)
    paths = [*_strings(params), state.get("OutputPath"), state.get("InputPath")]
    return (
        bool({k.removesuffix(".$") for k in params} & _LOOP_KEYS)
        or any(isinstance(p, str) and p.startswith(_LOOP_PATHS) for p in paths)
        or state.get("OutputPath") == UNWRAP
    )


def _on_due_list(rule) -> bool:
    """Whether every test of a Choice rule (through And / Or / Not) matches the due list."""
    if not isinstance(rule, dict):
        return False
    inner = [*(rule.get("And") or []), *(rule.get("Or") or [])]
    inner += [rule["Not"]] if "Not" in rule else []
    if inner:
        return all(_on_due_list(r) for r in inner)
    pattern = rule.get("StringMatches")
    return rule.get("Variable") == DUE and isinstance(pattern, str) and pattern.startswith("*|")


def _match(rule) -> tuple[str, str] | None:
    """The (field, flag) a Choice rule tests with `StringMatches: "*|<flag>|*"`, if it does."""
    if not isinstance(rule, dict) or not isinstance(rule.get("Variable"), str):
        return None
    pattern = rule.get("StringMatches")
    if not isinstance(pattern, str) or not (pattern.startswith("*|") and pattern.endswith("|*")):
        return None
    return (rule["Variable"], pattern[2:-2]) if pattern[2:-2] else None


def _flag(rule) -> str | None:
    """The flag a Choice rule tests the due list for (`*|n4|*`), if that is all it tests."""
    found = _match(rule)
    return found[1] if found and found[0] == DUE else None


def _parts(rule, through_not: bool = True) -> Iterator[dict]:
    """A Choice rule and every rule inside it, through And / Or (and Not, unless told not
    to), outermost first."""
    if not isinstance(rule, dict):
        return
    yield rule
    for key in ("And", "Or"):
        for inner in rule.get(key) or []:
            yield from _parts(inner, through_not)
    if through_not and "Not" in rule:
        yield from _parts(rule["Not"], through_not)


def _matches(rule) -> frozenset[tuple[str, str]]:
    """Every (field, flag) test of a Choice rule, through And / Or / Not."""
    return frozenset(m for part in _parts(rule) if (m := _match(part)))


def _rules(state: dict, prefix: str) -> tuple[tuple[str, frozenset[tuple[str, str]]], ...]:
    rules = state.get("Choices") if isinstance(state.get("Choices"), list) else []
    return tuple(
        (prefix + r["Next"], _matches(r))
        for r in rules
        if isinstance(r, dict) and isinstance(r.get("Next"), str)
    )


def _equals(rule) -> list[tuple[str, str]]:
    """The (field, value) of each `StringEquals` a Choice rule requires, through And / Or."""
    pairs = ((p.get("Variable"), p.get("StringEquals")) for p in _parts(rule, through_not=False))
    return [(f, v) for f, v in pairs if isinstance(f, str) and isinstance(v, str)]


def _choices(state: dict, prefix: str) -> tuple[Rule, ...]:
    rules = state.get("Choices") if isinstance(state.get("Choices"), list) else []
    return tuple(
        Rule(
            i,
            prefix + r["Next"],
            tuple(_equals(r)),
            json.dumps({k: v for k, v in r.items() if k != "Next"}, sort_keys=True),
        )
        for i, r in enumerate(rules)
        if isinstance(r, dict) and isinstance(r.get("Next"), str)
    )


def _variables(rule) -> set[str]:
    """The variables a Choice rule tests, through And / Or / Not."""
    return {p["Variable"] for p in _parts(rule) if isinstance(p.get("Variable"), str)}


def _tests(state: dict) -> tuple[tuple[str, str], ...]:
    """A guard's (flag, next) rules; none unless every rule of the Choice tests a flag."""
    rules = state.get("Choices") if state.get("Type") == "Choice" else None
    if not rules or not isinstance(rules, list):
        return ()
    found = [(_flag(r), r.get("Next") if isinstance(r, dict) else None) for r in rules]
    if any(f is None or not isinstance(n, str) for f, n in found):
        return ()
    return tuple(found)


def _flatten(
    body: dict, prefix: str, variables: dict, idx: Index, after: list, out: dict
) -> str | None:
    """Add the states of `body` (top level or a branch) to `out`; return its start name."""
    states = body.get("States") if isinstance(body.get("States"), dict) else {}
    for name, state in states.items():
        if not isinstance(state, dict):
            continue
        full = prefix + name
        nexts = [(prefix + n, how) for n, how in _nexts(state)]
        end = bool(state.get("End")) or state.get("Type") in TERMINAL
        branches = list(state.get("Branches") or [])
        for key in ("Iterator", "ItemProcessor"):
            if isinstance(state.get(key), dict):
                branches.append(state[key])
        inner_after = [n for n, how in nexts if how == "next"] or after
        for i, branch in enumerate(branches):
            if isinstance(branch, dict):
                start = _flatten(branch, f"{full}/{i}/", variables, idx, inner_after, out)
                if start:
                    nexts.append((start, "branch"))
        if end and state.get("Type") not in TERMINAL and after:
            nexts += [(a, "next") for a in after]
        out[full] = _state(full, prefix, state, tuple(nexts), end, _targets(state, variables, idx))
    start = body.get("StartAt")
    return prefix + start if isinstance(start, str) else None


def _state(full: str, prefix: str, state: dict, nexts, end: bool, targets) -> State:
    tests = tuple((f, prefix + n) for f, n in _tests(state))
    marks, takes = _marks(state)
    rules = state.get("Choices") if isinstance(state.get("Choices"), list) else []
    return State(
        full,
        str(state.get("Type", "")),
        targets,
        nexts,
        end,
        prefix,
        marks or (),
        tests,
        serial=bool(tests) or marks is not None,
        error=state.get("Error") if isinstance(state.get("Error"), str) else "",
        variables=frozenset(v for r in rules for v in _variables(r)),
        rules=_rules(state, prefix),
        records=_records(state),
        takes=takes,
        reports=_reports(state),
        own=_own(state),
        choices=_choices(state, prefix),
    )


def machine(lid: str, idx: Index) -> Machine:
    data, variables = load(idx.props(lid))
    states: dict[str, State] = {}
    start = _flatten(data, "", variables, idx, [], states)
    return Machine(lid, start, states)
