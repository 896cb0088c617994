"""A state machine's definition as a graph: states, what each one calls, where each one goes.

Reads `Definition` (an object) or `DefinitionString` (a string, `Fn::Sub` or `Fn::Join`),
with `DefinitionSubstitutions`; nested Parallel branches and Map processors are flattened
(`Outer/Inner` names), their terminal states leading to the outer state's `Next`.

The serial lowering of entangled fan-outs (fzc/backends/asl/serial.py) keeps a due list in
`$.due`: a Pass appends flags to it (`States.Format('{}n4|n7|', $.due)`, or a literal
`"|n4|n7|"` where it starts), a guard is a Choice whose every rule tests one
(`StringMatches: "*|n4|*"`). Each state records the flags it appends and the rules it tests
on them; flow.py reads what they mean.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from fzc.drift.index import Index, _walk, flatten

_PLACEHOLDER = re.compile(r"\$\{([^}!][^}]*)\}")
_CALL_KEYS = ("Resource", "Parameters", "Arguments")
TERMINAL = ("Succeed", "Fail")
DUE = "$.due"  # where the serial lowering keeps its due list
# the flags a Pass appends to the due list, as `due.$` (an intrinsic) or `due` (a literal)
_APPEND = re.compile(r"States\.Format\('\{\}([^'{}]*)',\s*\$\.due\)")


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


def _marks(state: dict) -> tuple[str, ...] | None:
    """The flags a Pass appends to the due list; None when it does not write one."""
    params = state.get("Parameters")
    if state.get("Type") != "Pass" or not isinstance(params, dict):
        return None
    literal, intrinsic = params.get("due"), params.get("due.$")
    found = _APPEND.fullmatch(intrinsic) if isinstance(intrinsic, str) else None
    text = found[1] if found else literal if isinstance(literal, str) else None
    return None if text is None else tuple(f for f in text.split("|") if f)


def _flag(rule) -> str | None:
    """The flag a Choice rule tests the due list for (`*|n4|*`), if that is all it tests."""
    if not isinstance(rule, dict) or rule.get("Variable") != DUE:
        return None
    pattern = rule.get("StringMatches")
    if not isinstance(pattern, str) or not (pattern.startswith("*|") and pattern.endswith("|*")):
        return None
    return pattern[2:-2] or None


def _variables(rule) -> set[str]:
    """The variables a Choice rule tests, through And / Or / Not."""
    if not isinstance(rule, dict):
        return set()
    found = {rule["Variable"]} if isinstance(rule.get("Variable"), str) else set()
    for key in ("And", "Or"):
        for inner in rule.get(key) or []:
            found |= _variables(inner)
    return found | _variables(rule.get("Not"))


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
        targets = _targets(state, variables, idx)
        tests = tuple((f, prefix + n) for f, n in _tests(state))
        kind = str(state.get("Type", ""))
        marks = _marks(state)
        serial = bool(tests) or marks is not None
        error = state.get("Error") if isinstance(state.get("Error"), str) else ""
        rules = state.get("Choices") if isinstance(state.get("Choices"), list) else []
        tested = frozenset(v for r in rules for v in _variables(r))
        out[full] = State(
            full, kind, targets, tuple(nexts), end, prefix, marks or (), tests, serial, error,
            tested,
        )  # fmt: skip
    start = body.get("StartAt")
    return prefix + start if isinstance(start, str) else None


def machine(lid: str, idx: Index) -> Machine:
    data, variables = load(idx.props(lid))
    states: dict[str, State] = {}
    start = _flatten(data, "", variables, idx, [], states)
    return Machine(lid, start, states)
