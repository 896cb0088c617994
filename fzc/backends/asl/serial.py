"""A frame's serial region: entangled fan-outs, lowered without copying any state.

The region holds every step reachable from the successors of the frame's entangled fan-outs
(layout.py). Its steps run one after another in topological order; a step that may not be
due when its turn comes is guarded by a Choice. The data is wrapped as
`{"data": {"Payload": <what the steps see>}, "due": "|n4|n7|"}`: a step that finishes
appends the steps it leads to (`States.Format`), a decision the target of the branch it
takes, a Catch the handler's. So every step runs at most once, after every due step before
it (a join waits for all its branches), on the data the step before it in the sequence left;
after the last step the wrapper comes off and the flow leaves the frame towards a due target
outside it (a loop exit before a way round again), else ends.

No guard (and no mark) where none is needed: a step that runs on every way into the region
that reaches it (following only transitions that always happen: not a decision's, not after
a step with a Catch), and a step whose only predecessor comes right before it and always
goes on to it (the two share a *block*).

Inside the region a function's result replaces `data.Payload` (`ResultSelector` and
`ResultPath`, as `lambda:invoke` returns it), a service task reads `$.data.Payload`
(`InputPath`), a decision tests `$.data.Payload.<field>`, a Catch adds `error` beside the
data, and an end event that is not a failure is a Pass: the end of one path, the region
goes on.
"""

from __future__ import annotations

import networkx as nx

from fzc.backends.asl import loops
from fzc.backends.asl.layout import FINISH
from fzc.backends.asl.states import BUILDERS, pass_state
from fzc.backends.asl.steps import JOIN_PREFERENCE, choice_rules, has_branches, rule, step_kind
from fzc.wire import decisions

DATA = "$.data.Payload"  # what the steps see
EMPTY = "|"  # nothing due


def due_add(keys: list[str]) -> str:
    """An intrinsic appending `keys` to the due list (keys are `[A-Za-z0-9_]` step ids)."""
    return "States.Format('{}" + "".join(f"{k}|" for k in keys) + "', $.due)"


def due_test(key: str) -> dict:
    return {"Variable": "$.due", "StringMatches": f"*|{key}|*"}


def wrap(data_path: str, due: str, literal: bool = False) -> dict:
    """Parameters building the region's wrapper around the data at `data_path`."""
    return {"data": {"Payload.$": data_path}, ("due" if literal else "due.$"): due}


class Region:
    def __init__(self, scope) -> None:
        self.scope, self.layout, self.ctx = scope, scope.layout, scope.ctx
        self.flow = scope.flow
        self.seq = [u for u in self.layout.topo if u in self.layout.serial]
        self.pos = {u: i for i, u in enumerate(self.seq)}
        self.follows = self._follows()
        self.guarded = self._guarded()
        self.guards = {u: self._take(f"{self._label(u)} (if due)") for u in self.guarded}
        self.names = self._unit_names()
        self.end = self._take("Region end")
        self.skip = self._skips()
        self.flagged: dict[str, None] = {}  # special targets something made due
        for i, unit in enumerate(self.seq):
            self._emit(i, unit)
        self._emit_end()

    # -- order ------------------------------------------------------------------------------
    def _follows(self) -> set[str]:
        """Units entered straight from the one before them."""
        out = set()
        for prev, unit in zip(self.seq, self.seq[1:], strict=False):
            if self.layout.is_loop(unit) or self._preds(unit) != {prev}:
                continue
            if self._certain(prev) == [unit]:
                out.add(unit)
        return out

    def _certain(self, unit: str) -> list[str]:
        """The units a unit always goes on to when it finishes (none after a decision, a
        step with a Catch, a loop)."""
        lay = self.layout
        if lay.is_loop(unit) or has_branches(self.scope, unit) or self.flow.out(unit, "catch"):
            return []
        found = (lay.unit_of[t] for t in lay.next_targets(unit) if lay.inside(t))
        return [u for u in dict.fromkeys(found) if u in lay.serial]

    def _preds(self, unit: str) -> set[str]:
        return set(self.layout.dag.predecessors(unit))

    def _entries(self) -> list[tuple[int, set[str]]]:
        """The ways into the region: (position it starts at, the units it starts)."""
        lay = self.layout
        fans = {p: {lay.unit_of[h] for h in lay.fan_heads(p)} for p in lay.serial_fans}
        groups: dict[object, set[str]] = {}
        for unit in self.seq:
            for p in lay.dag.predecessors(unit):
                if p in lay.serial or not self._emits(p, unit):
                    continue
                way = p if unit in fans.get(p, ()) else ("enter", unit)  # else: a Catch
                groups.setdefault(way, set()).add(unit)
        return sorted(((min(self.pos[u] for u in us), us) for us in groups.values()), key=_first)

    def _emits(self, source: str, unit: str) -> bool:
        """Whether the lowering has a transition from `source` into `unit` (a fan-out that
        goes on through its one lane reaches its join that way, not directly)."""
        fork = self.layout.forks.get(source)
        if fork is None or fork.parallel:
            return True
        caught = (self.layout.dest(a) for a in self.flow.out(source, "catch")[:1])
        return any(self.layout.unit_of.get(t) == unit for t in caught)

    def _must(self) -> set[str]:
        """Units that run on every way into the region that reaches them (a bit per way): a
        way's first units, what a unit that runs always goes on to, and the unit every path
        from it passes through (its immediate post-dominator)."""
        entries = self._entries()
        bits = dict.fromkeys(self.seq, 0)
        for n, (_, units) in enumerate(entries):
            for u in units:
                bits[u] |= 1 << n
        meet = self._post_dominators()
        for u in self.seq:
            for v in [*self._certain(u), *([meet[u]] if u in meet else [])]:
                bits[v] |= bits[u]
        must, active, k = set(), 0, 0
        for i, u in enumerate(self.seq):
            while k < len(entries) and entries[k][0] <= i:
                active, k = active | 1 << k, k + 1
            if bits[u] & active == active:
                must.add(u)
        return must

    def _post_dominators(self) -> dict[str, str]:
        """unit -> the first unit every path from it reaches (a way out of the region, an
        end or a loop, which may end inside, counts as a path that reaches none)."""
        lay, sink = self.layout, ""
        rev = nx.DiGraph()
        rev.add_node(sink)
        for u in self.seq:
            succ = list(lay.dag.successors(u))
            rev.add_edges_from((v, u) for v in succ)
            if not succ or lay.is_loop(u) or self._leaves(u):
                rev.add_edge(sink, u)
        idom = nx.immediate_dominators(rev, sink)
        return {u: d for u, d in idom.items() if d != sink and u != sink}

    def _leaves(self, unit: str) -> bool:
        """Whether a step has a transition out of the frame."""
        return any(not self.layout.inside(self.layout.dest(a)) for a in self.layout.arcs(unit))

    def _guarded(self) -> list[str]:
        must = self._must()
        return [
            u
            for u in self.seq
            if u not in self.follows and (u not in must or len(self._entry_keys(u)) > 1)
        ]

    def _unit_names(self) -> dict[str, str]:
        """State names: a step's own; for a loop, its "(loop)" Pass per entry."""
        names = {}
        for unit in self.seq:
            for key in self._entry_keys(unit):
                step = self.flow.steps[key]
                loop = " (loop)" if self.layout.is_loop(unit) else ""
                names[key] = self.ctx.names.take(step.label + loop, step.node)
        return names

    def _entry_keys(self, unit: str) -> list[str]:
        return self.layout.loop_entries(unit) if self.layout.is_loop(unit) else [unit]

    def _stop(self, unit: str) -> str:
        """Where the sequence reaches a block: its guard, else its first state."""
        return self.guards.get(unit) or self.names[self._entry_keys(unit)[0]]

    def _skips(self) -> list[str]:
        """Per position: the next block's stop (or the region end)."""
        out, nxt = [""] * len(self.seq), self.end
        for i in reversed(range(len(self.seq))):
            out[i] = nxt
            if self.seq[i] not in self.follows:
                nxt = self._stop(self.seq[i])
        return out

    def _after(self, i: int) -> str:
        """Where a step goes on when it finishes normally."""
        nxt = self.seq[i + 1] if i + 1 < len(self.seq) else None
        return self.names[nxt] if nxt in self.follows else self.skip[i]

    # -- entries ----------------------------------------------------------------------------
    def enter(self, key: str) -> dict:
        """The Pass a transition from outside the region takes to reach `key`."""
        unit = self.layout.unit_of[key]
        return {
            "Type": "Pass",
            "Comment": f"into the serial region at {key}",
            "Parameters": wrap("$", EMPTY + "".join(f"{k}|" for k in self._due([key])), True),
            "Next": self._stop(unit),
        }

    def fan_in(self, source: str, heads: list[str]) -> dict:
        """The Pass of an entangled fan-out outside the region: its successors become due."""
        what = "the orchestrator starts" if source == "^" else f"fan-out after {source}:"
        units = (self.layout.unit_of.get(h) for h in heads)
        first = min((u for u in units if u in self.pos), key=self.pos.__getitem__)
        return {
            "Type": "Pass",
            "Comment": f"{what} {', '.join(heads)} (their paths cross: the serial region)",
            "Parameters": wrap("$", EMPTY + "".join(f"{k}|" for k in self._due(heads)), True),
            "Next": self._stop(first),
        }

    # -- steps ------------------------------------------------------------------------------
    def _emit(self, i: int, unit: str) -> None:
        keys = self._entry_keys(unit)
        if unit in self.guards:
            self._guard(i, unit, keys)
        if self.layout.is_loop(unit):
            for key in keys:
                self._put(self.names[key], lambda k=key: self._loop_entry(i, unit, k))
        else:
            self._put(self.names[unit], lambda: self._node(i, unit))

    def _put(self, name: str, build) -> None:
        self.scope.states[name] = {}  # its place first, then the states it leads to
        self.scope.states[name] = build()

    def _guard(self, i: int, unit: str, keys: list[str]) -> None:
        self.scope.states[self.guards[unit]] = {
            "Type": "Choice",
            "Comment": f"runs {', '.join(keys)} when a step before made it due",
            "Choices": [due_test(k) | {"Next": self.names[k]} for k in keys],
            "Default": self.skip[i],
        }

    def _node(self, i: int, key: str) -> dict:
        step = self.flow.steps[key]
        if has_branches(self.scope, key):
            return self._choice(i, key)
        kind = step_kind(self.scope, key)
        body = BUILDERS.get(kind, pass_state)(self.ctx, step)
        if step.kind == "choice":
            body["Comment"] += "; a decision with no branches"
        if body["Type"] == "Fail":
            return body
        if body["Type"] == "Succeed":
            comment = body["Comment"] + "; the end of one path: the region goes on"
            return {"Type": "Pass", "Comment": comment, "Next": self._after(i)}
        due = self._due(self.layout.next_targets(key))
        if kind in ("lambda", "task"):
            body = self._call(body, kind) | self._catch(i, key)
            return body | {"Next": self._mark(key, due, "next", self._after(i))}
        if due:
            body["Parameters"] = {"data.$": "$.data", "due.$": due_add(due)}
        return body | {"Next": self._after(i)}

    def _call(self, body: dict, kind: str) -> dict:
        """A task reading the region's data: a function's result replaces it."""
        if kind == "task":
            return {**body, "InputPath": DATA}
        body["Parameters"]["Payload.$"] = DATA
        del body["OutputPath"]
        return body | {"ResultSelector": {"Payload.$": "$.Payload"}, "ResultPath": "$.data"}

    def _catch(self, i: int, key: str) -> dict:
        arcs = self.flow.out(key, "catch")
        if not arcs:
            return {}
        handler = self.layout.dest(arcs[0])
        catcher = {"ErrorEquals": ["States.ALL"], "ResultPath": DATA + ".error"}
        then = self._mark(key, self._due([handler]), "failed", self.skip[i])
        return {"Catch": [catcher | {"Next": then}]}

    def _choice(self, i: int, key: str) -> dict:
        step = self.flow.steps[key]
        field = f"{DATA}.{decisions.decision_key(step.label, step.node)}"
        rules, last = choice_rules(self.scope, key)
        marks: dict[str, str] = {}
        for value, target in [*rules, last]:
            if target not in marks:
                marks[target] = self._mark(key, self._due([target]), value, self.skip[i])
        return {
            "Type": "Choice",
            "Comment": self.ctx.comment(step) + f"; tests {field}",
            "Choices": [rule(field, value, marks[t]) for value, t in rules],
            "Default": marks[last[1]],
        }

    def _mark(self, key: str, due: list[str], what: str, then: str) -> str:
        """A Pass adding `due` to the due list, then going on to `then` (itself when none)."""
        if not due:
            return then
        name = self._take(f"{self.flow.steps[key].label} ({what})")
        self.scope.states[name] = {
            "Type": "Pass",
            "Comment": f"after {key}: {', '.join(due)} due",
            "Parameters": {"data.$": "$.data", "due.$": due_add(due)},
            "Next": then,
        }
        return name

    def _due(self, targets: list[str]) -> list[str]:
        """The targets to list as due: those behind a guard, and ways out of the frame."""
        out = []
        for t in targets:
            sp = self.scope.special.get(t)
            if sp is not None and sp.kind != "end":
                self.flagged[t] = None
                out.append(t)
            elif sp is None and t != FINISH and self.layout.unit_of[t] in self.guards:
                out.append(t)
        return out

    # -- loops ------------------------------------------------------------------------------
    def _loop_entry(self, i: int, unit: str, key: str) -> dict:
        return loops.entry_state(self.scope, unit, key, lambda e, xs: self._loop_out(i, e, xs))

    def _loop_out(self, i: int, entry: str, exits: list[str]) -> str:
        """Leaving a loop inside the region: wrap the round's data, mark the exit due. (A
        loop with no way out still gets one, never taken, so the steps after it stay
        reachable.)"""
        label = self.flow.steps[entry].label
        exits = exits or [FINISH]
        if len(exits) == 1:
            return self._leave_for(entry, exits[0], f"{label} (loop done)", self.skip[i])
        name = self.scope.add(f"{label} (loop exit)")
        outs = [self._leave_for(entry, x, self._towards(label, x), self.skip[i]) for x in exits]
        self.scope.states[name] = {
            "Type": "Choice",
            "Comment": f"where the loop at {entry} was left",
            "Choices": [
                {"Variable": "$.result.report.next", "StringEquals": x, "Next": out}
                for x, out in zip(exits[:-1], outs, strict=False)
            ],
            "Default": outs[-1],
        }
        return name

    def _towards(self, label: str, exit_: str) -> str:
        if exit_ == FINISH:
            return f"{label} (loop end)"
        return f"{label} (left for {self.flow.steps[exit_].label})"

    def _leave_for(self, entry: str, exit_: str, label: str, then: str) -> str:
        name = self.scope.add(label)
        due = self._due([exit_])
        self.scope.states[name] = {
            "Type": "Pass",
            "Comment": f"the loop at {entry} is done" + (f"; {exit_} due" if due else ""),
            "Parameters": wrap("$.result.report.data", due_add(due) if due else "$.due"),
            "Next": then,
        }
        return name

    # -- the end ----------------------------------------------------------------------------
    def _emit_end(self) -> None:
        scope = self.scope
        if not any(self.end in _targets(st) for st in scope.states.values()):
            return  # every way through ends before (a failure, a loop's limit)
        found = sorted(self.flagged, key=lambda k: JOIN_PREFERENCE[scope.special[k].kind])
        comment = "the region's steps are done: the data goes on without the due list"
        if not found:
            scope.states[self.end] = {
                "Type": "Pass",
                "Comment": comment,
                "OutputPath": DATA,
            } | scope.go(None)
            return
        scope.states[self.end] = {
            "Type": "Choice",
            "Comment": comment + "; out of the frame where a step made that due",
            "Choices": [due_test(k) | {"Next": scope.state(k)} for k in found],
            "Default": scope.state(FINISH),
            "OutputPath": DATA,
        }

    # -- helpers ----------------------------------------------------------------------------
    def _label(self, unit: str) -> str:
        """A unit's label: its step's, or for a loop its first entry's."""
        return self.flow.steps[self._entry_keys(unit)[0]].label

    def _take(self, label: str) -> str:
        return self.ctx.names.take(label)


def _first(entry: tuple[int, set[str]]) -> int:
    return entry[0]


def _targets(state: dict) -> list[str]:
    found = [state[k] for k in ("Next", "Default") if k in state]
    found += [r["Next"] for r in state.get("Choices", [])]
    return found + [c["Next"] for c in state.get("Catch", [])]
