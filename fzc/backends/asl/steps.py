"""What the structured and the serial lowering share about a step: its builder, a decision's
rules (the decision convention of `fzc.wire.decisions`), the preference among exits."""

from __future__ import annotations

from fzc.backends.asl.flow import Arc, Flow
from fzc.wire import decisions

# which way out of a frame wins where several are reached (going on beats going round again)
JOIN_PREFERENCE = {"exit": 0, "end": 1, "again": 2, "again-error": 3}


def step_kind(scope, key: str) -> str:
    """The builder a (non-decision) step uses: an end event that goes on is a milestone."""
    step = scope.flow.steps[key]
    nexts = scope.flow.out(key, "next")
    return "pass" if (step.kind == "end" and nexts) or step.kind == "choice" else step.kind


def has_branches(scope, key: str) -> bool:
    return scope.flow.steps[key].kind == "choice" and bool(scope.flow.out(key, "branch"))


def branch_rules(flow: Flow, key: str) -> tuple[list[tuple[str, Arc]], tuple[str, Arc]]:
    """A decision's (value, branch) rules and its Default (value, branch); a branch whose
    value repeats an earlier rule's could never match, so it has no rule."""
    branches = flow.out(key, "branch")
    default = decisions.default_branch([a.label for a in branches])
    values = [decisions.branch_value(a.label, flow.steps[a.target].label) for a in branches]
    rules = decisions.rules(values, default)
    return [(v, branches[i]) for v, i in rules.items()], (values[default], branches[default])


def live_arcs(flow: Flow, key: str) -> list[Arc]:
    """The transitions the lowering writes for a step: its way on, its catchers, a
    decision's rules and Default."""
    if flow.steps[key].kind == "choice" and flow.out(key, "branch"):
        rules, (_, default) = branch_rules(flow, key)
        return [arc for _, arc in rules] + [default]
    return flow.out(key, "next") + flow.out(key, "catch")


def choice_rules(scope, key: str) -> tuple[list[tuple[str, str]], tuple[str, str]]:
    """A decision's (value, target) rules and its Default (value, target) in a frame."""
    rules, (value, default) = branch_rules(scope.flow, key)
    dest = scope.layout.dest
    return [(v, dest(arc)) for v, arc in rules], (value, dest(default))


def rule(field: str, value: str, next_state: str) -> dict:
    # IsPresent first: a missing field takes the Default instead of failing the execution
    tests = [{"Variable": field, "IsPresent": True}, {"Variable": field, "StringEquals": value}]
    return {"And": tests, "Next": next_state}
