"""Workflow steps -> ASL states: one `Scope` per States object (the machine, each branch).

A scope emits states breadth-first from its entry. Three shapes need more than one state
per step (the rules are in the package docstring):
- a cycle (strongly connected steps) becomes a guarded counter loop: a Pass wraps the input
  as `{round, data}`, a Parallel runs one round of the cycle on `data` and reports where the
  round ended (`{"next": "again" | <exit step>, "data": ...}`), a Choice starts another round
  while `round < LOOP_REPEATS` or leaves the loop; so no loop is unbounded;
- a fan-out (a non-choice step with several successors) becomes a Parallel with one branch
  per successor, joined at their first common successor;
- transitions that leave a branch (the join, the loop's entry, a loop exit) resolve to
  "special" targets, materialised as small Pass/Fail states or `End: true`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import networkx as nx

from fzc.backends.asl.states import BUILDERS, LOOP_REPEATS, Ctx, pass_state
from fzc.wire import decisions

LOOP_AGAIN = "fzc.LoopAgain"
LOOP_LIMIT = "fzc.LoopLimitReached"
LOOP_PARTS = ("loop body", "loop check", "loop limit")
AGAIN = "again"  # a round reports {"next": "again" | <step key> | FINISH, "data": ...}
FINISH = ""  # "exit" target: the flow ended inside the loop


@dataclass(frozen=True, slots=True)
class Special:
    kind: str  # end: the branch ends; again(-error): back to the loop entry; exit: leave it
    node: str = ""  # again: the loop's entry; exit: the step the loop leads to (or FINISH)
    loop: str | None = None  # exit to FINISH: the loop's entry


END = Special("end")


def machine(ctx: Ctx) -> dict:
    """The whole definition: StartAt and States (plus a Comment)."""
    flow = ctx.flow
    wf = flow.workflow
    head = {"Comment": f"{wf.label}: {wf.node or 'implicit workflow'} in {flow.plan.name}.fz"}
    if not flow.steps:
        name = ctx.names.take(wf.label, wf.logical_id)
        done = {"Type": "Succeed", "Comment": "the diagram gives this workflow no steps"}
        return head | {"StartAt": name, "States": {name: done}}
    return head | Scope(ctx, list(flow.steps), {}).run_root()


class Scope:
    def __init__(
        self, ctx: Ctx, nodes: list[str], special: dict[str, Special], loop: str | None = None
    ) -> None:
        self.ctx, self.flow, self.nodes, self.special = ctx, ctx.flow, nodes, special
        # in a loop's round every ending must report to the loop check: where the flow ends
        # inside the loop, the round reports an exit to "" (the loop, then its scope, ends)
        self.finish = Special("exit", FINISH, loop) if loop is not None else None
        self.states: dict[str, dict] = {}
        self.unit_names: dict[tuple, str] = {}
        self.special_names: dict[Special, str] = {}
        self.queue: deque[tuple] = deque()
        self.graph = self._graph()
        self.comp_of = self._cycles()
        self.order = {n: i for i, n in enumerate(self._topological())}

    # -- structure --------------------------------------------------------------------------
    def _graph(self) -> nx.DiGraph:
        inside = set(self.nodes)
        g = nx.DiGraph()
        g.add_nodes_from(self.nodes)
        g.add_edges_from(
            (a.source, a.target)
            for a in self.flow.arcs
            if a.source in inside and a.target in inside and a.target not in self.special
        )
        return g

    def _cycles(self) -> dict[str, tuple[str, ...]]:
        pos = {n: i for i, n in enumerate(self.nodes)}
        comp_of: dict[str, tuple[str, ...]] = {}
        for comp in nx.strongly_connected_components(self.graph):
            members = tuple(sorted(comp, key=pos.__getitem__))
            if len(members) > 1 or self.graph.has_edge(members[0], members[0]):
                comp_of.update(dict.fromkeys(members, members))
        return comp_of

    def _topological(self) -> list[str]:
        pos = {n: i for i, n in enumerate(self.nodes)}
        dag = nx.condensation(self.graph)
        first = {c: min(pos[m] for m in dag.nodes[c]["members"]) for c in dag.nodes}
        out: list[str] = []
        for c in nx.lexicographical_topological_sort(dag, key=first.__getitem__):
            out += sorted(dag.nodes[c]["members"], key=pos.__getitem__)
        return out

    # -- running --------------------------------------------------------------------------
    def run(self, entry: str) -> dict:
        start = self._unit_name(self._unit(entry))
        self._drain()
        return {"StartAt": start, "States": self.states}

    def run_root(self) -> dict:
        roots = list(self.flow.roots)
        if len(roots) == 1:
            return self.run(roots[0])
        if self.flow.root_mode == "parallel":
            label = self.flow.workflow.label
            start = self._fanout(label, roots, "the orchestrator starts these in parallel")
        else:
            start = self._entry_choice(roots)
        self._drain()
        return {"StartAt": start, "States": self.states}

    def _drain(self) -> None:
        while self.queue:
            unit = self.queue.popleft()
            name = self.unit_names[unit]
            self.states[name] = {}  # keep emission order; filled below
            emit = self._emit_loop if unit[0] == "loop" else self._emit_node
            self.states[name] = emit(unit)

    # -- references -----------------------------------------------------------------------
    def _unit(self, key: str) -> tuple:
        comp = self.comp_of.get(key)
        return ("loop", comp, key) if comp else ("node", key)

    def _unit_name(self, unit: tuple) -> str:
        if unit not in self.unit_names:
            step = self.flow.steps[unit[-1]]
            label = step.label if unit[0] == "node" else f"{step.label} (loop)"
            self.unit_names[unit] = self.ctx.names.take(label, step.node)
            self.queue.append(unit)
        return self.unit_names[unit]

    def target(self, key: str) -> str | None:
        """The state a transition to `key` goes to; None means `End: true`."""
        if key == FINISH:
            return None
        sp = self.special.get(key)
        if sp is not None:
            return None if sp.kind == "end" else self._special_name(sp)
        return self._unit_name(self._unit(key))

    def state(self, key: str) -> str:
        """Like `target`, but always a state (Choice rules and Catch cannot `End`)."""
        name = self.target(key)
        return name if name is not None else self._special_name(self.finish or END)

    def go(self, name: str | None) -> dict:
        if name is None and self.finish is not None:
            name = self._special_name(self.finish)
        return {"Next": name} if name is not None else {"End": True}

    def _special_name(self, sp: Special) -> str:
        if sp not in self.special_names:
            label, body = SPECIALS[sp.kind](self, sp)
            name = self.ctx.names.take(label)
            self.special_names[sp] = name
            self.states[name] = body
        return self.special_names[sp]

    def label(self, key: str) -> str:
        return self.flow.steps[key].label

    # -- steps ----------------------------------------------------------------------------
    def _emit_node(self, unit: tuple) -> dict:
        step = self.flow.steps[unit[1]]
        nexts = self.flow.out(step.key, "next")
        if step.kind == "choice" and self.flow.out(step.key, "branch"):
            return self._choice(step.key)
        kind = "pass" if (step.kind == "end" and nexts) or step.kind == "choice" else step.kind
        body = BUILDERS.get(kind, pass_state)(self.ctx, step)
        if body["Type"] in ("Succeed", "Fail"):
            return body
        if step.kind == "choice":
            body["Comment"] += "; a decision with no branches"
        return body | self._catch(step.key) | self._transition(step.key, step.label)

    def _transition(self, key: str, label: str) -> dict:
        targets = list(dict.fromkeys(a.target for a in self.flow.out(key, "next")))
        if len(targets) <= 1:
            return self.go(self.target(targets[0]) if targets else None)
        return self.go(self._fanout(label, targets, f"fan-out after {key}"))

    def _catch(self, key: str) -> dict:
        arcs = self.flow.out(key, "catch")
        if not arcs:
            return {}
        # ResultPath keeps the input and adds the error, so the handler sees both (G-ASL-3)
        catcher = {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error"}
        return {"Catch": [catcher | {"Next": self.state(arcs[0].target)}]}

    def _choice(self, key: str) -> dict:
        step = self.flow.steps[key]
        field = "$." + decisions.decision_key(step.label, step.node)
        branches = self.flow.out(key, "branch")
        default = decisions.default_branch([a.label for a in branches])
        rules: dict[str, dict] = {}
        for i, arc in enumerate(branches):
            if i == default and len(branches) > 1:
                continue
            value = decisions.branch_value(arc.label, self.label(arc.target))
            if value not in rules:  # a repeated value could never match: no rule, no state
                rules[value] = _rule(field, value, self.state(arc.target))
        return {
            "Type": "Choice",
            "Comment": self.ctx.comment(step) + f"; tests {field}",
            "Choices": list(rules.values()),
            "Default": self.state(branches[default].target),
        }

    def _entry_choice(self, roots: list[str]) -> str:
        name = self.ctx.names.take("Entry")
        self.states[name] = {}
        rules = [_rule("$.entry", self.label(r), self.state(r)) for r in roots[1:]]
        self.states[name] = {
            "Type": "Choice",
            "Comment": "several start points: $.entry names the one to run",
            "Choices": rules,
            "Default": self.state(roots[0]),
        }
        return name

    # -- fan-out --------------------------------------------------------------------------
    def _fanout(self, label: str, heads: list[str], comment: str) -> str | None:
        real = [h for h in heads if h not in self.special]
        if len(real) <= 1:  # a branch that only leaves the scope adds nothing; going on
            # beats going round again (a step that is not a decision loops only as a way out)
            if real:
                return self.target(real[0])
            return self.target(min(heads, key=lambda h: JOIN_PREFERENCE[self.special[h].kind]))
        join = self._join(real)
        jset = set(self.comp_of.get(join, (join,))) if join is not None else set()
        lanes = [h for h in real if h not in jset]
        if len(lanes) <= 1:
            return self.target(lanes[0] if lanes else self._join_entry(join, set(real)))
        name = self.ctx.names.take(f"{label} (parallel)")
        self.states[name] = {}
        inner = {k: Special(IN_BRANCH[sp.kind], sp.node) for k, sp in self.special.items()}
        inner |= dict.fromkeys(jset, END)
        rest = self.graph.subgraph([n for n in self.nodes if n not in jset])
        branches, covered = [], set()
        for h in lanes:
            region = {h} | nx.descendants(rest, h)
            covered |= region
            nodes = [n for n in self.nodes if n in region]
            branches.append(Scope(self.ctx, nodes, inner).run(h))
        after = self.target(self._join_entry(join, covered)) if join is not None else None
        self.states[name] = {
            "Type": "Parallel",
            "Comment": comment + (f"; joins at {join}" if join else "; no common successor"),
            "Branches": branches,
            "ResultPath": "$.branches",  # the input carries on, branch outputs beside it
        } | self.go(after)
        return name

    def _join(self, heads: list[str]) -> str | None:
        """The first step every branch reaches; else a target outside the scope they all
        reach (leaving the loop before going round again)."""
        reach = [{h} | nx.descendants(self.graph, h) for h in heads]
        common = set.intersection(*reach)
        if common:
            return min(common, key=self.order.__getitem__)
        outside = [self._specials_from(r) for r in reach]
        shared = [k for k in outside[0] if all(k in o for o in outside[1:])]
        shared.sort(key=lambda k: JOIN_PREFERENCE[self.special[k].kind])
        return shared[0] if shared else None

    def _specials_from(self, nodes: set[str]) -> list[str]:
        found = (a.target for a in self.flow.arcs if a.source in nodes and a.target in self.special)
        return list(dict.fromkeys(found))

    def _join_entry(self, join: str, sources: set[str]) -> str:
        comp = self.comp_of.get(join)
        if not comp:
            return join
        hits = [a.target for a in self.flow.arcs if a.source in sources and a.target in comp]
        return hits[0] if hits else join

    # -- loops ----------------------------------------------------------------------------
    def _emit_loop(self, unit: tuple) -> dict:
        """A guarded counter loop. The round counter lives in a wrapper `{round, data}` that
        the steps never see, so no handler can reset it; `data` carries over each round."""
        _, comp, entry = unit
        members = set(comp)
        exits = list(
            dict.fromkeys(
                a.target for a in self.flow.arcs if a.source in members and a.target not in members
            )
        )
        special = {entry: Special("again", entry)} | {x: Special("exit", x) for x in exits}
        inner = Scope(self.ctx, list(comp), special, loop=entry)
        branch = inner.run(entry)
        if inner.finish in inner.special_names:
            exits.append(FINISH)
        label = self.label(entry)
        body, check, limit = (self._add(f"{label} ({part})") for part in LOOP_PARTS)
        again = {"ErrorEquals": [LOOP_AGAIN]}
        retry = {"IntervalSeconds": 1, "MaxAttempts": LOOP_REPEATS, "BackoffRate": 2}
        self.states[body] = {
            "Type": "Parallel",
            "Comment": f"one round of the loop over {', '.join(comp)}",
            "InputPath": "$.data",
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
        self.states[check] = self._loop_check(entry, exits, body, limit)
        self.states[limit] = {
            "Type": "Fail",
            "Comment": f"the loop at {entry} asked for more than {LOOP_REPEATS} repeats",
            "Error": LOOP_LIMIT,
            "Cause": f"{label}: still looping after {LOOP_REPEATS} repeats",
        }
        return {
            "Type": "Pass",
            "Comment": f"loop over {', '.join(comp)}: at most {LOOP_REPEATS} repeats",
            "Parameters": {"round": 0, "data.$": "$"},
            "Next": body,
        }

    def _add(self, label: str) -> str:
        """A new state name, its place in the States object reserved."""
        name = self.ctx.names.take(label)
        self.states[name] = {}
        return name

    def _loop_check(self, entry: str, exits: list[str], body: str, limit: str) -> dict:
        again = {"Variable": "$.result.report.next", "StringEquals": AGAIN}
        under = {"Variable": "$.round", "NumericLessThan": LOOP_REPEATS}
        round_ = self._add(f"{self.label(entry)} (next round)")
        self.states[round_] = {
            "Type": "Pass",
            "Comment": f"back to {entry} with the data the round ended with",
            "Parameters": {
                "round.$": "States.MathAdd($.round, 1)",
                "data.$": "$.result.report.data",
            },
            "Next": body,
        }
        return {
            "Type": "Choice",
            "Comment": f"another round of the loop at {entry}, or leave it",
            "Choices": [{"And": [again, under], "Next": round_}, again | {"Next": limit}],
            "Default": self._loop_out(entry, exits) if exits else limit,
        }

    def _loop_out(self, entry: str, exits: list[str]) -> str:
        """The state that unwraps the round's data and goes where the loop was left."""
        label = self.label(entry)
        if len(exits) == 1:
            name = self._add(f"{label} (loop done)")
            self.states[name] = {
                "Type": "Pass",
                "Comment": f"the loop at {entry} is done",
                "OutputPath": "$.result.report.data",
            } | self.go(self.target(exits[0]))
            return name
        name = self._add(f"{label} (loop exit)")
        rules = [
            {"Variable": "$.result.report.next", "StringEquals": x, "Next": self.state(x)}
            for x in exits[:-1]
        ]
        self.states[name] = {
            "Type": "Choice",
            "Comment": f"where the loop at {entry} was left",
            "Choices": rules,
            "Default": self.state(exits[-1]),
            "OutputPath": "$.result.report.data",
        }
        return name


def _rule(field: str, value: str, next_state: str) -> dict:
    # IsPresent first: a missing field takes the Default instead of failing the execution
    tests = [{"Variable": field, "IsPresent": True}, {"Variable": field, "StringEquals": value}]
    return {"And": tests, "Next": next_state}


def _end(scope: Scope, sp: Special) -> tuple[str, dict]:
    return "End of branch", {"Type": "Pass", "Comment": "the branch ends here", "End": True}


def _again(scope: Scope, sp: Special) -> tuple[str, dict]:
    body = {
        "Type": "Pass",
        "Comment": f"back to {sp.node}: ends the round; the loop check starts the next",
        "Parameters": {"next": AGAIN, "data.$": "$"},
        "End": True,
    }
    return f"{scope.label(sp.node)} (again)", body


def _again_error(scope: Scope, sp: Special) -> tuple[str, dict]:
    body = {
        "Type": "Fail",
        "Comment": f"back to {sp.node} from a parallel branch: the round runs again",
        "Error": LOOP_AGAIN,
        "Cause": f"back to {scope.label(sp.node)}",
    }
    return f"{scope.label(sp.node)} (again)", body


def _exit(scope: Scope, sp: Special) -> tuple[str, dict]:
    towards = f"towards {sp.node}" if sp.node != FINISH else "where the flow ends"
    body = {
        "Type": "Pass",
        "Comment": f"leaves the loop {towards}",
        "Parameters": {"next": sp.node, "data.$": "$"},
        "End": True,
    }
    if sp.node == FINISH:
        return f"{scope.label(sp.loop or '')} (loop end)", body
    return f"Leave loop for {scope.label(sp.node)}", body


JOIN_PREFERENCE = {"exit": 0, "end": 1, "again": 2, "again-error": 3}
SPECIALS = {"end": _end, "again": _again, "again-error": _again_error, "exit": _exit}
# inside a fan-out branch: what an enclosing scope's special target becomes
IN_BRANCH = {"end": "end", "again": "again-error", "again-error": "again-error", "exit": "end"}
