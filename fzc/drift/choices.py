"""What a decision's Choice rules test, against the values its branches stand for.

workflow.py finds where each rule of a decision's Choice state leads; this module says whether
the rules that take a branch test what the branch stands for, by the decision convention
(`fzc.wire.decisions`): the decision `Processing Complete?` reads `processingComplete` (fzc
writes `$.processingComplete`, `$.data.Payload.processingComplete` in a serial region: a field
*is* the convention's when its last name is the key), and each branch tests its value (its
label, else its target's label). A branch taken by the Choice's `Default` is not judged (a
hand-written Choice may make any branch its Default), nor is one a rule takes without any
`StringEquals` (a Boolean, a number, a pattern: a template's own convention). Otherwise a
branch taken by rules only is drift when none of them tests its value and:

* a rule compares the value of another branch (one leading elsewhere) on any field: the
  values are swapped, the branch runs for what the diagram sends elsewhere;
* the Choice reads the convention's field anywhere (any rule, `IsPresent` included) and the
  rule compares another value, or the branch's value on another field: a template that names
  the field its own way throughout is left alone;
* the rule testing its value is never taken: an earlier rule of the Choice has the same
  condition and leads elsewhere.

Each branch is judged on its own rules, each rule once per branch whose target it reaches:
linear in the Choice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fzc.drift import asl
from fzc.wire import decisions
from fzc.wire.plan import Transition


@dataclass(frozen=True, slots=True)
class Branch:
    """A decision's transition, with the value fzc's rule for it tests."""

    edge: int
    target: str  # step key
    value: str
    goals: frozenset[str]  # the states realising its target


@dataclass(frozen=True, slots=True)
class Mismatch:
    """A branch whose rules test something else than its value."""

    state: str  # the Choice state
    branch: Branch
    rule: asl.Rule
    expected: tuple[str, str]  # (field, value) the rule should compare
    found: tuple[str, str] | None = None  # (field, value) it compares instead
    other: Branch | None = None  # the branch whose value it compares (swapped values)
    shadow: asl.Rule | None = None  # the earlier rule with the same condition


def branches(
    outs: list[Transition], labels: dict[str, str], goals: dict[int, frozenset[str]]
) -> list[Branch]:
    """A decision's branches (`outs`: its transitions in the plan's order), valued as the ASL
    backend values them (`labels`: each step's label); those without goals are left out."""
    return [
        Branch(t.edge, t.target, decisions.branch_value(t.label, labels[t.target]), goals[t.edge])
        for t in outs
        if t.target in labels and goals.get(t.edge)
    ]


def _own_field(field: str, key: str) -> bool:
    return field.rsplit(".", 1)[-1] == key


class Choice:
    """A decision's Choice state, read once: where each rule leads, which rule first has
    each condition, the field the Choice reads by the convention (if it does)."""

    def __init__(self, state: asl.State, key: str, reach: Callable[[str], set[str]]):
        self.state, self.key = state, key
        default = next((n for n, how in state.nexts if how == "default"), None)
        self.by_default = reach(default) if default else set()
        self.reached = {r.index: reach(r.next) for r in state.choices}
        self.first: dict[str, asl.Rule] = {}
        self.into: dict[str, list[asl.Rule]] = {}  # a step-realising state -> rules reaching it
        for r in state.choices:
            self.first.setdefault(r.condition, r)
            for s in self.reached[r.index]:
                self.into.setdefault(s, []).append(r)
        own = sorted(v for v in state.variables if _own_field(v, key))
        self.field = own[0] if own else None

    def mismatches(self, found: list[Branch]) -> list[Mismatch]:
        """The branches its rules take for another value (`found`: the decision's)."""
        out = []
        for b in found:
            taking = {r.index: r for g in sorted(b.goals) for r in self.into.get(g, ())}
            rules = [taking[i] for i in sorted(taking)]
            if rules and not self.by_default & b.goals:
                m = self._judge(b, rules, found)
                out += [m] if m else []
        return out

    def _tests(self, rule: asl.Rule, b: Branch) -> bool:
        """Whether a rule tests the branch's value (on the convention's field, if the Choice
        reads it), or compares no string at all (not judged)."""
        return not rule.equals or any(
            v == b.value and (self.field is None or _own_field(f, self.key)) for f, v in rule.equals
        )

    def _shadow(self, rule: asl.Rule, b: Branch) -> asl.Rule | None:
        """The earlier rule with the same condition, when it leads elsewhere."""
        first = self.first[rule.condition]
        return first if first is not rule and not self.reached[first.index] & b.goals else None

    def _judge(self, b: Branch, rules: list[asl.Rule], found: list[Branch]) -> Mismatch | None:
        testing = [r for r in rules if self._tests(r, b)]
        if any(self._shadow(r, b) is None for r in testing):
            return None
        rule = (testing or rules)[0]
        expected = (self.field or _field_of(rule, b.value, "$." + self.key), b.value)
        if testing:
            return Mismatch(self.state.name, b, rule, expected, shadow=self._shadow(rule, b))
        # the first branch with each value (later ones have no rule of their own)
        values = {o.value: o for o in reversed(found) if o.target != b.target}
        values.pop(b.value, None)
        swapped = next(((f, v) for f, v in rule.equals if v in values), None)
        if swapped:
            return Mismatch(self.state.name, b, rule, expected, swapped, values[swapped[1]])
        if self.field is None:
            return None  # its own field, its own values: not the convention's
        compared = next((t for t in rule.equals if _own_field(t[0], self.key)), rule.equals[0])
        return Mismatch(self.state.name, b, rule, expected, compared)


def _field_of(rule: asl.Rule, value: str, otherwise: str) -> str:
    """The field a rule compares (one comparing `value` first)."""
    return next((f for f, v in rule.equals if v == value), next(iter(rule.equals), (otherwise,))[0])
