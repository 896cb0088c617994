"""Static checks of an ASL definition's transition graph (reused by `fzc simulate`).

cfn-lint's E3601 checks the schema but not where transitions lead; moto accepts a `Next`
to a missing state and fails only when it gets there. So: every `StartAt`, `Next`,
`Default`, Choice rule and Catch target exists in its own States object, every state is
reachable from its StartAt, every non-terminal state says how it goes on, a terminal state
is reachable, and names are unique across the machine and at most 80 characters. Parallel
branches and Map processors are checked as States objects of their own.
"""

from __future__ import annotations

from collections import Counter

TERMINAL_TYPES = ("Succeed", "Fail")
KNOWN_TYPES = ("Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map")


def problems(definition: dict) -> list[str]:
    """Everything wrong with the definition's graph, as `/path: message` lines."""
    out: list[str] = []
    names: Counter[str] = Counter()
    _scope(definition, "", out, names)
    out += [f"state name {n!r} is used {c} times" for n, c in names.items() if c > 1]
    return out


def _scope(scope: dict, where: str, out: list[str], names: Counter[str]) -> None:
    states = scope.get("States")
    if not isinstance(states, dict) or not states:
        out.append(f"{where}/States: missing or empty")
        return
    start = scope.get("StartAt")
    if start not in states:
        out.append(f"{where}/StartAt: {start!r} is not a state in this scope")
    for name, state in states.items():
        names[name] += 1
        path = f"{where}/States/{name}"
        out += _state(name, state, path, states)
        for i, branch in enumerate(state.get("Branches") or []):
            _scope(branch, f"{path}/Branches[{i}]", out, names)
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(key), dict):
                _scope(state[key], f"{path}/{key}", out, names)
    if start in states:
        out += _reachability(start, states, where)


def _state(name: str, state: dict, path: str, states: dict) -> list[str]:
    out = []
    if len(name) > 80 or any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        out.append(f"{path}: name longer than 80 characters or with control characters")
    kind = state.get("Type")
    if kind not in KNOWN_TYPES:
        out.append(f"{path}/Type: unknown state type {kind!r}")
    out += _ending(state, kind, path)
    for field, target in _targets(state):
        if target not in states:
            out.append(f"{path}/{field}: transition to unknown state {target!r}")
    return out


def _ending(state: dict, kind: str | None, path: str) -> list[str]:
    has_next, has_end = "Next" in state, state.get("End") is True
    if kind in TERMINAL_TYPES:
        return [f"{path}: a {kind} state cannot have Next or End"] if has_next or has_end else []
    if kind == "Choice":
        bad = has_next or has_end or not state.get("Choices")
        return [f"{path}: a Choice needs Choices and has neither Next nor End"] if bad else []
    if has_next == has_end:
        return [f"{path}: needs exactly one of Next and End"]
    return []


def _targets(state: dict) -> list[tuple[str, object]]:
    found = [("Next", state["Next"])] if "Next" in state else []
    if "Default" in state:
        found.append(("Default", state["Default"]))
    found += [
        (f"Choices[{i}].Next", r.get("Next")) for i, r in enumerate(state.get("Choices") or [])
    ]
    found += [(f"Catch[{i}].Next", c.get("Next")) for i, c in enumerate(state.get("Catch") or [])]
    return found


def _ends(state: dict) -> bool:
    return state.get("Type") in TERMINAL_TYPES or state.get("End") is True


def _reachability(start: str, states: dict, where: str) -> list[str]:
    seen, todo = {start}, [start]
    while todo:
        for _, target in _targets(states[todo.pop()]):
            if target in states and target not in seen:
                seen.add(target)
                todo.append(target)
    out = [f"{where}/States/{n}: unreachable from StartAt" for n in states if n not in seen]
    if not any(_ends(states[n]) for n in seen):
        out.append(f"{where}/StartAt: no terminal state is reachable")
    return out
