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

In a listed loop's round (loops.py) a way round again is flagged `@<entry>` (the next round
starts there; unless that entry still comes later in this round's sequence: then it runs
once, after the step), a way out `<exit>`, and the region's end reports the due list to the
loop. Leaving a listed loop adds the ways out its rounds took to the due list (and `!<entry>`
when it stopped past its limit: the region fails at its end, after what is due has run).

Inside the region a function's result replaces `data.Payload` (`ResultSelector` and
`ResultPath`, as `lambda:invoke` returns it), a service task reads `$.data.Payload`
(`InputPath`), a decision tests `$.data.Payload.<field>`, a Catch adds `error` beside the
data, and an end event that is not a failure is a Pass: the end of one path, the region
goes on.
"""

from __future__ import annotations

import networkx as nx

from fzc.backends.asl import loops
from fzc.backends.asl.flow import ANY_ERROR, ROOT
from fzc.backends.asl.layout import FINISH
from fzc.backends.asl.states import BUILDERS, LOOP_REPEATS, pass_state
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
        # a round of a listed loop: it reports every way on it took, again at n3 as `@n3`
        self.listed = scope.listed
        self.seq = [u for u in self.layout.topo if u in self.layout.serial]
        self.pos = {u: i for i, u in enumerate(self.seq)}
        self.follows = self._follows()
        self.guarded = self._guarded()
        self.guards = {u: self._take(f"{self._label(u)} (if due)") for u in self.guarded}
        self.names = self._unit_names()
        self.end = self._take("Region end")
        self.skip = self._skips()
        # special targets something may make due (the region's end tests them): known before
        # any state is written, as fan-outs outside the region add theirs later
        self.flagged: dict[str, None] = self._flaggable()
        for i, unit in enumerate(self.seq):
            self._emit(i, unit)
        self._emit_end()

    def _flaggable(self) -> dict[str, None]:
        """Targets outside the frame (not a join) that steps of the region, or fan-outs
        leading into it, may make due: in the order the steps come."""
        lay, found = self.layout, []
        for unit in self.seq:
            keys = lay.members[unit] or (unit,)
            arcs = [lay.dest(a) for k in keys for a in lay.arcs(k)]
            found += [t for t in arcs if t not in keys]
        sources = sorted(lay.serial_fans - set(self.seq), key=lay.pos.__getitem__)
        found += [t for s in sources if s != ROOT for t in lay.next_targets(s)]
        special = self.scope.special
        return dict.fromkeys(t for t in found if t in special and special[t].kind != "end")

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
        """The ways into the region: (position it starts at, the units it starts). A listed
        round's start makes no unit certain: it starts only the entries `$.at` lists."""
        lay = self.layout
        fans = {p: {lay.unit_of[h] for h in lay.fan_heads(p)} for p in lay.serial_fans}
        groups: dict[object, set[str]] = {}
        for unit in self.seq:
            for p in lay.dag.predecessors(unit):
                if p in lay.serial or not self._emits(p, unit):
                    continue
                way = p if unit in fans.get(p, ()) else ("enter", unit)  # else: a Catch
                groups.setdefault(way, set()).add(unit)
                if way == p and self._caught(p, unit):  # its Catch enters alone
                    groups.setdefault(("enter", unit), set()).add(unit)
        ways = [
            (min(self.pos[u] for u in us), set() if way == ROOT and self.listed else us)
            for way, us in groups.items()
        ]
        return sorted(ways, key=_first)

    def _emits(self, source: str, unit: str) -> bool:
        """Whether the lowering has a transition from `source` into `unit` (a fan-out that
        goes on through its one lane reaches its join that way, not directly)."""
        fork = self.layout.forks.get(source)
        if fork is None or fork.parallel:
            return True
        if any(self.layout.unit_of.get(lane) == unit for lane in fork.lanes):
            return True  # its one lane
        return self._caught(source, unit)

    def _caught(self, source: str, unit: str) -> bool:
        """Whether one of `source`'s catchers leads into the region at `unit`."""
        caught = (self.layout.dest(a) for a in self.flow.out(source, "catch"))
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
            keys = self._entry_keys(unit)
            for key in keys[:1] if unit in self.layout.listed else keys:
                step = self.flow.steps[key]
                loop = " (loop)" if self.layout.is_loop(unit) else ""
                names[key] = self.ctx.names.take(step.label + loop, step.node)
        return names

    def _entry_keys(self, unit: str) -> list[str]:
        return self.layout.loop_entries(unit) if self.layout.is_loop(unit) else [unit]

    def _stop(self, unit: str) -> str:
        """Where the sequence reaches a block: its guard, else its first state."""
        return self.guards.get(unit) or self._name(unit, self._entry_keys(unit)[0])

    def _name(self, unit: str, key: str) -> str:
        """The state a step (a loop's entry) runs in: a listed loop has one for all."""
        return self.names[self._entry_keys(unit)[0] if unit in self.layout.listed else key]

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

    def start(self) -> dict:
        """The first state of a listed round with several entries: the region's due list
        starts as `$.at`, which lists the entries this round starts at (and the ways out
        earlier rounds took)."""
        return {
            "Type": "Pass",
            "Comment": "the round starts at each entry $.at lists",
            "Parameters": wrap("$.data", "$.at"),
            "Next": self._stop(self.seq[0]),
        }

    def fan_in(self, source: str, heads: list[str]) -> dict:
        """The Pass of an entangled fan-out outside the region: its successors become due."""
        what = "the orchestrator starts" if source == "^" else f"fan-out after {source}:"
        units = (self.layout.unit_of.get(h) for h in heads)
        first = min((u for u in units if u in self.pos), key=self.pos.__getitem__)
        return {
            "Type": "Pass",
            "Comment": f"{what} {', '.join(heads)} (run in sequence: the serial region)",
            "Parameters": wrap(
                "$", EMPTY + "".join(f"{k}|" for k in self._due(heads, source)), True
            ),
            "Next": self._stop(first),
        }

    # -- steps ------------------------------------------------------------------------------
    def _emit(self, i: int, unit: str) -> None:
        keys = self._entry_keys(unit)
        if unit in self.guards:
            self._guard(i, unit, keys)
        if unit in self.layout.listed:
            self._put(self.names[keys[0]], lambda: self._loop_entry(i, unit, keys[0]))
        elif self.layout.is_loop(unit):
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
            "Choices": [due_test(k) | {"Next": self._name(unit, k)} for k in keys],
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
        due = self._due(self.layout.next_targets(key), key)
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
        """A catcher per catch arc, each marking its handler due."""
        catchers = [
            {
                "ErrorEquals": list(a.errors),
                "ResultPath": DATA + ".error",
                "Next": self._mark(
                    key, self._due([self.layout.dest(a)], key), _failed(a), self.skip[i]
                ),
            }
            for a in self.flow.out(key, "catch")
        ]
        return {"Catch": catchers} if catchers else {}

    def _choice(self, i: int, key: str) -> dict:
        step = self.flow.steps[key]
        field = f"{DATA}.{decisions.decision_key(step.label, step.node)}"
        rules, last = choice_rules(self.scope, key)
        marks: dict[str, str] = {}
        for value, target in [*rules, last]:
            if target not in marks:
                marks[target] = self._mark(key, self._due([target], key), value, self.skip[i])
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

    def _due(self, targets: list[str], source: str | None = None) -> list[str]:
        """The flags to add for targets: those behind a guard, and ways out of the frame."""
        return [f for t in targets if (f := self.flag(t, source)) is not None]

    def flag(self, target: str, source: str | None = None) -> str | None:
        """A target's flag in the due list: its key if it is behind a guard or a way out of
        the frame, else None. In a listed round a way round again is `@<key>` (the next
        round starts there), unless the round still runs that entry after `source`: then
        its key (this round runs it after the source, once)."""
        sp = self.scope.special.get(target)
        if sp is not None:
            if sp.kind == "end":
                return None
            if not (self.listed and sp.kind == "again") or self._later(source, target):
                return target
            return f"@{target}"
        if target != FINISH and self.layout.unit_of[target] in self.guards:
            return target
        return None

    def _later(self, source: str | None, target: str) -> bool:
        """Whether `target` comes after `source` in the sequence."""
        unit_of = self.layout.unit_of
        a, b = (self.pos.get(unit_of.get(k, "")) for k in (source or "", target))
        return a is not None and b is not None and a < b

    # -- loops ------------------------------------------------------------------------------
    def _loop_entry(self, i: int, unit: str, key: str) -> dict:
        if unit in self.layout.listed:
            leave = lambda e, stopped: self._listed_out(i, e, stopped)  # noqa: E731
            return loops.entry_state(self.scope, unit, key, leave, self.flag)
        return loops.entry_state(self.scope, unit, key, lambda e, xs: self._loop_out(i, e, xs))

    def _listed_out(self, i: int, entry: str, stopped: bool) -> str:
        """Leaving a listed loop: the exits its rounds took (`result.at`, as flags of this
        region) join the due list; past its limit also `!<entry>`: the region fails at its
        end, once they have run."""
        label = self.flow.steps[entry].label
        name = self.scope.add(f"{label} ({'loop stopped' if stopped else 'loop done'})")
        due = "States.Format('{}{}" + (f"!{entry}|" if stopped else "") + "', $.due, $.result.at)"
        what = "went round past its limit" if stopped else "is done"
        self.scope.states[name] = {
            "Type": "Pass",
            "Comment": f"the loop at {entry} {what}: the ways out its rounds took are due",
            "Parameters": wrap("$.result.report.data", due),
            "Next": self.skip[i],
        }
        return name

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
        if not self.listed and any(u in self.layout.listed for u in self.seq):
            # a loop that went round past its limit, after the ways out it took have run
            done, failed = self._take("Region done"), self._take("Loop limit reached")
            scope.states[self.end] = {
                "Type": "Choice",
                "Comment": "the region's steps are done: did a loop go round past its limit?",
                "Choices": [{"Variable": "$.due", "StringMatches": "*|!*", "Next": failed}],
                "Default": done,
            }
            scope.states[failed] = {
                "Type": "Fail",
                "Comment": f"a loop asked for more than {LOOP_REPEATS} repeats; the ways out it "
                "took have run",
                "Error": loops.LOOP_LIMIT,
                "Cause": "a loop went round again past its limit",
            }
            self.end = done
        found = sorted(self.flagged, key=lambda k: JOIN_PREFERENCE[scope.special[k].kind])
        comment = "the region's steps are done: the data goes on without the due list"
        if self.listed:
            scope.states[self.end] = {
                "Type": "Pass",
                "Comment": "the region's steps are done: the round reports the ways on it took",
                "Parameters": {"next.$": "$.due", "data.$": DATA},
                "End": True,
            }
            return
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
            "Choices": [due_test(self.flag(k) or k) | {"Next": scope.state(k)} for k in found],
            "Default": scope.state(FINISH),
            "OutputPath": DATA,
        }

    # -- helpers ----------------------------------------------------------------------------
    def _label(self, unit: str) -> str:
        """A unit's label: its step's, or for a loop its first entry's."""
        return self.flow.steps[self._entry_keys(unit)[0]].label

    def _take(self, label: str) -> str:
        return self.ctx.names.take(label)


def _failed(arc) -> str:
    """What a catcher's mark is named after: "failed", or the errors it catches."""
    return "failed" if arc.errors == (ANY_ERROR,) else ", ".join(arc.errors)


def _first(entry: tuple[int, set[str]]) -> int:
    return entry[0]


def _targets(state: dict) -> list[str]:
    found = [state[k] for k in ("Next", "Default") if k in state]
    found += [r["Next"] for r in state.get("Choices", [])]
    return found + [c["Next"] for c in state.get("Catch", [])]
