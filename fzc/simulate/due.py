"""How a serial region says where its steps lead, read from a state machine's definition.

The serial lowering (fzc/backends/asl/serial.py) runs steps one after another and says where
they lead with flags: a state after a step (its `(next)` Pass, a decision branch's Pass, a
Catch's `(failed)` Pass, the region's entry) appends step keys to `$.due` (`n5` runs later,
`@n2` starts another round at n2), a state ending a loop's round reports them in `next`, and
each later step behind a guard `<step> (if due)` runs only when its flag is set. Steps no guard
stands before run whatever happens (a fan-out's successors, a join every way reaches): they
follow every step before them that went on its way, and a decision's branch to one of them
sets no flag: the state its Choice went to tells the branch. So an execution's consecutive
states do not tell its edges there; these tables let `observe.transition_edges` read them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_FORMAT = re.compile(r"^States\.Format\('((?:[^'\\]|\\.)*)'")
_AGAIN, _LIMIT = "@", "!"  # another round at a loop entry; a loop went round too often
_LITERALS = ("due", "next")  # the due list, and a round's report of the ways it took


@dataclass(frozen=True)
class Due:
    """A machine's flags: who sets which, who tests them."""

    sets: dict[str, tuple[str, ...]] = field(default_factory=dict)  # state -> step keys
    guards: frozenset[str] = frozenset()  # Choices on the due list
    guarded: frozenset[str] = frozenset()  # states a guard runs
    own_next: dict[str, str] = field(default_factory=dict)  # a step's own state -> its Next
    # (step, step) pairs a step takes when it goes on its own way: no Catch route, no branch
    ways: frozenset[tuple[str, str]] = frozenset()
    # (decision's Choice, state it went to) -> the step its branch leads to, when that state
    # tells one branch (a branch to a step the region runs anyway sets no flag)
    branches: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def serial(self) -> bool:
        return bool(self.guards)

    def hides_step(self, state: str) -> bool:
        """A state the way back to the step before must not pass: what comes after a guard or
        a flag comes from the flags, not from the state before."""
        return state in self.guards or state in self.sets


def read(
    table: list[tuple[str, dict]],
    keys: set[str],
    own: set[str],
    ways: frozenset,
    decisions: dict[str, tuple[dict[str, str], str]],
) -> Due:
    """`table`: every state of the definition; `keys`: the workflow's step keys; `own`: the
    states that are steps themselves (not states leading to one); `ways`: `Due.ways`;
    `decisions`: a decision's Choice -> its branches' targets by value, and its Default's."""
    sets = {name: found for name, s in table if (found := _flags(s, keys))}
    guards = {name for name, s in table if _is_guard(s)}
    guarded = {c["Next"] for name, s in table if name in guards for c in s["Choices"]}
    nexts = {
        n: s["Next"] for n, s in table if n in own and s.get("Type") != "Choice" and "Next" in s
    }
    branches = {
        k: v for n, s in table if n in decisions for k, v in _branches(n, s, *decisions[n]).items()
    }
    return Due(sets, frozenset(guards), frozenset(guarded), nexts, ways, branches)


def _branches(name: str, state: dict, targets: dict[str, str], default: str) -> dict:
    """(Choice, state) -> branch target, for the states only one branch goes to."""
    went = [(r.get("Next"), targets.get(_value(r))) for r in state.get("Choices") or []]
    went.append((state.get("Default"), default))
    by_state: dict[str, set] = {}
    for to, target in went:
        by_state.setdefault(to, set()).add(target)
    return {(name, to): t for to, (t, *more) in by_state.items() if not more and t}


def _value(rule: dict) -> str | None:
    """The value a decision's rule tests (`StringEquals`, beside its `IsPresent`)."""
    tests = [rule, *(rule.get("And") or [])]
    return next((t["StringEquals"] for t in tests if "StringEquals" in t), None)


def _flags(state: dict, keys: set[str]) -> tuple[str, ...]:
    params = state.get("Parameters")
    if state.get("Type") != "Pass" or not isinstance(params, dict):
        return ()
    text = "".join(v for k in _LITERALS if isinstance(v := params.get(k), str))
    fmt = _FORMAT.match(str(params.get("due.$", "")))
    text += fmt.group(1).replace("{}", "|") if fmt else ""
    tokens = (t.removeprefix(_AGAIN) for t in text.split("|") if not t.startswith(_LIMIT))
    return tuple(dict.fromkeys(t for t in tokens if t in keys))


def _is_guard(state: dict) -> bool:
    rules = state.get("Choices")
    return (
        state.get("Type") == "Choice"
        and isinstance(rules, list)
        and all(isinstance(r, dict) and r.get("Variable") == "$.due" for r in rules)
    )
