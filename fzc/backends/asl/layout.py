"""Where each step of a frame (one States object) goes, decided once per frame in linear time.

A frame holds some steps of the workflow; `special` targets lie outside it (the join of the
fan-out it is a branch of, its loop's entry and exits). Its steps and their arcs form a graph;
each cycle is one *unit* (a guarded loop), any other step is a unit of its own; the units
form a DAG, entered from a virtual root (`ROOT`) that leads to the frame's entries.

Fan-outs, in topological order (rule in the package docstring):
- *proper*: every successor (a *lane*) is reached from the fan-out alone, the steps it
  dominates (its region) leave only towards one common step, the *join* (the dominance
  frontier of every lane is that step, or empty), and a successor the lanes also reach may be
  the join itself; and some branch is sure to take the way to the join: the fan-out leads to
  it itself, or a lane may not finish otherwise (a Parallel goes on to its join whatever its
  branches did; a lane that may end, leave the frame or be caught first *bails*, a failure
  end does not count). Each region becomes one Parallel branch (a frame of its own), or,
  when a single lane runs into the join on every path, the step simply goes on to it;
- otherwise *entangled*: the fan-out and everything reachable from its successors run as this
  frame's *serial region* (`serial.py`): one guarded sequence, no state copied.
A Parallel deeper than `MAX_DEPTH` frames is lowered as entangled; in a frame that deep,
arcs closing a cycle go back to the enclosing loop's entry instead (no deeper loop frames).

Inside a loop's round, a target outside the frame is a way round again (an entry) or out of
the loop (an exit), which ends the round. A fan-out with such a target beside another
target, or whose lanes reach one (a Parallel branch cannot end a round), is entangled, and so
is a fan-out whose join is a loop it (or its lanes) enter at different steps: the serial
region flags each way on. A loop is *listed* (loops.py) when it may start at several entries
at once (it sits in the serial region, where several may be due) or a round may take several
ways on at once (`reports_several`, or a listed loop inside); the serial region then also
holds it and what follows it, so the ways out it took are flags there.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import networkx as nx

from fzc.backends.asl.flow import ROOT, Arc, Flow
from fzc.backends.asl.steps import live_arcs, step_kind
from fzc.wire.decisions import says_error

MAX_DEPTH = 8  # frames nest at most this deep (Parallel branches and loop rounds)
FRONTIER_CAP = 4  # a dominance frontier larger than this is entangled anyway
FINISH = ""  # a loop report's "exit" target when the flow ends inside the loop
AGAIN_KINDS = ("again", "again-error")


@dataclass(frozen=True, slots=True)
class Special:
    """A target outside the frame, keyed by the step key the arcs lead to."""

    kind: str  # end: the branch ends; again(-error): back to the loop entry; exit: leave it
    node: str = ""  # again: the loop's entry; exit: the step the loop leads to (or FINISH)
    loop: str | None = None  # exit to FINISH: the loop's entry
    at: bool = False  # again in a loop with several entries: the report names the entry


END = Special("end")


@dataclass(frozen=True)
class Fork:
    """A proper fan-out: its lanes (step keys), their regions, the step it joins at."""

    lanes: tuple[str, ...]
    regions: tuple[frozenset[str], ...]  # step keys of each lane's branch
    join: str | None  # unit (representative key) the branches meet at, if any
    parallel: bool  # False: one lane that always reaches the join: go on to it directly
    entry: str | None = None  # the join's step the Parallel goes on to (a loop's entry)


class Layout:
    """The graph of one frame: units, topological order, forks and the serial region."""

    def __init__(
        self,
        flow: Flow,
        nodes: list[str],
        special: dict,
        entries: list[str],
        depth: int,
        root_fans: bool = False,
        root_serial: bool = False,
    ) -> None:
        self.flow, self.nodes, self.special, self.depth = flow, nodes, special, depth
        self.pos = {n: i for i, n in enumerate(nodes)}
        self.pos[ROOT] = -1
        self.cut = self._cuts(entries) if depth >= MAX_DEPTH else set()
        self.again = self._again_target()
        self.graph = self._graph(entries)
        self.unit_of, self.members = self._units()
        self.dag = self._dag()
        self.topo = self._topological(entries if root_serial else [])
        self.forks: dict[str, Fork] = {}
        self.serial: set[str] = set()  # units of the serial region
        self.serial_fans: set[str] = set()  # entangled fan-outs (keys; ROOT for the root)
        self.listed: set[str] = set()  # loops whose rounds report lists (`loops.py`)
        self._rounds: dict[tuple[str, bool], Layout] = {}
        self._classify(root_fans, root_serial)

    # -- arcs -------------------------------------------------------------------------------
    def dest(self, arc: Arc) -> str:
        """Where an arc goes in this frame: its target, or the loop entry for a cut arc."""
        return self.again if (arc.source, arc.target) in self.cut else arc.target

    def out(self, key: str, kind: str | None = None) -> list[Arc]:
        return self.flow.out(key, kind)

    def arcs(self, key: str) -> list[Arc]:
        """The transitions the lowering writes for a step (see `steps.live_arcs`)."""
        return live_arcs(self.flow, key)

    def next_targets(self, key: str) -> list[str]:
        return list(dict.fromkeys(self.dest(a) for a in self.out(key, "next")))

    def inside(self, target: str) -> bool:
        return target in self.pos and target != ROOT and target not in self.special

    def _again_target(self) -> str:
        """The special a cut arc goes to: the enclosing loop's entry, else the end."""
        found = [k for k, sp in self.special.items() if sp.kind in AGAIN_KINDS]
        return found[0] if found else FINISH

    def _cuts(self, entries: list[str]) -> set[tuple[str, str]]:
        """Arcs that close a cycle in a depth-first search from the entries (iterative)."""
        state: dict[str, int] = {}  # 1: on the stack, 2: done
        cut: set[tuple[str, str]] = set()
        for start in [*entries, *self.nodes]:
            if start not in state:
                self._dfs(start, state, cut)
        return cut

    def _dfs(self, start: str, state: dict[str, int], cut: set[tuple[str, str]]) -> None:
        state[start] = 1
        stack = [(start, iter(self._succ_keys(start)))]
        while stack:
            key, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[key] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                cut.add((key, nxt))
            elif nxt not in state:
                state[nxt] = 1
                stack.append((nxt, iter(self._succ_keys(nxt))))

    def _succ_keys(self, key: str) -> list[str]:
        return [a.target for a in live_arcs(self.flow, key) if self.inside(a.target)]

    # -- structure --------------------------------------------------------------------------
    def _graph(self, entries: list[str]) -> nx.DiGraph:
        """The steps the frame's entries reach, through the transitions the lowering writes
        (a step nothing leads to gets no state, as in any frame)."""
        g = nx.DiGraph()
        g.add_node(ROOT)
        g.add_nodes_from(self.nodes)
        g.add_edges_from((ROOT, e) for e in entries)
        for key in self.nodes:
            for a in live_arcs(self.flow, key):
                target = self.dest(a)
                if self.inside(target):
                    g.add_edge(key, target)
        g.remove_nodes_from(set(self.nodes) - nx.descendants(g, ROOT))
        return g

    def _units(self) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
        """Each key's unit (a cycle is represented by its first member) and the members."""
        unit_of, members = {}, {}
        for comp in nx.strongly_connected_components(self.graph):
            keys = tuple(sorted(comp, key=self.pos.__getitem__))
            cyclic = len(keys) > 1 or self.graph.has_edge(keys[0], keys[0])
            rep = keys[0]
            members[rep] = keys if cyclic else ()
            unit_of.update(dict.fromkeys(keys, rep))
        return unit_of, members

    def _dag(self) -> nx.DiGraph:
        dag = nx.DiGraph()
        dag.add_nodes_from(self.members)
        dag.add_edges_from(
            (self.unit_of[a], self.unit_of[b])
            for a, b in self.graph.edges
            if self.unit_of[a] != self.unit_of[b]
        )
        return dag

    def _topological(self, first: list[str]) -> list[str]:
        """Units in topological order, by position among those free to go next; `first`
        (a listed round's entries, which nothing in the round leads to) before all: a round
        runs each entry it starts at before any step that may ask for it again."""
        early = {self.unit_of[k] for k in first if k in self.unit_of}
        order = {u: (u not in early, self.pos[u]) for u in self.dag}
        return list(nx.lexicographical_topological_sort(self.dag, key=order.__getitem__))

    def is_loop(self, unit: str) -> bool:
        return bool(self.members.get(unit))

    def comp(self, key: str) -> tuple[str, ...]:
        """The cycle `key` lies on (empty when none)."""
        return self.members.get(self.unit_of.get(key, ""), ())

    def loop_entries(self, unit: str) -> list[str]:
        """Members of a loop that something outside it (or the frame's start) leads to."""
        inside = set(self.members[unit])
        return [
            m
            for m in self.members[unit]
            if any(p not in inside for p in self.graph.predecessors(m))
        ]

    # -- fan-outs ---------------------------------------------------------------------------
    def fan_heads(self, key: str) -> list[str]:
        """The targets a fan-out runs in this frame (step keys, not special targets)."""
        if key == ROOT:
            return list(self.graph.successors(ROOT))
        step = self.flow.steps[key]
        if step.kind == "choice" and self.out(key, "branch"):
            return []
        return [t for t in self.next_targets(key) if self.inside(t)]

    def _classify(self, root_fans: bool, root_serial: bool) -> None:
        idom = nx.immediate_dominators(self.dag, ROOT)
        tree = _children(idom)
        frontier = self._frontiers(idom, tree)
        ends = self._ends_below(tree, self._stops)
        bails = self._ends_below(tree, self._finishes)
        owned: set[str] = set()
        if root_serial:  # a round that may start at several entries at once
            self.serial_fans.add(ROOT)
            self.serial |= self._closure({self.unit_of[h] for h in self.fan_heads(ROOT)})
        for unit in self.topo:
            if unit in owned:
                continue
            if self.is_loop(unit):
                if self._lists(unit):
                    self.listed.add(unit)
                    self.serial |= self._closure({unit})  # its exits are flags in `$.due`
                continue
            if unit in self.serial or (unit == ROOT and not root_fans):
                continue
            heads = self.fan_heads(unit)
            if self._leaves_too(unit, heads):
                # a fan-out that also goes round again or leaves the loop: the round keeps
                # going inside and reports the others (serial.py)
                self.serial_fans.add(unit)
                self.serial |= self._closure({self.unit_of[h] for h in heads})
                continue
            if len(heads) < 2:
                continue
            fork = self._fork(unit, heads, frontier, tree, ends, bails)
            if fork is None:
                self.serial_fans.add(unit)
                self.serial |= self._closure({self.unit_of[h] for h in heads})
            else:
                self.forks[unit] = fork
                owned |= {self.unit_of[k] for r in fork.regions if fork.parallel for k in r}

    def _leaves_too(self, unit: str, heads: list[str]) -> bool:
        """A fan-out with a target outside the frame that a round reports (a way round again
        or out of the loop) beside another target."""
        if unit == ROOT:
            return False
        away = {t for t in self.next_targets(unit) if self._reported(t)}
        return bool(away) and len(away) + len(heads) > 1

    def _reported(self, key: str) -> bool:
        """A target a loop round ends at: a way round again or out of the loop."""
        sp = self.special.get(key)
        return sp is not None and sp.kind in (*AGAIN_KINDS, "exit")

    # -- loops --------------------------------------------------------------------------------
    def round_spec(self, unit: str) -> tuple[list[str], list[str], dict]:
        """A loop's entries, the targets outside it its members lead to (its exits), and the
        special targets of its round."""
        comp = self.members[unit]
        members = set(comp)
        entries = self.loop_entries(unit) or [comp[0]]
        found = (self.dest(a) for m in comp for a in self.arcs(m))
        exits = list(dict.fromkeys(t for t in found if t not in members))
        multi = len(entries) > 1
        special = {e: Special("again", e, at=multi) for e in entries}
        special |= {x: Special("exit", x) for x in exits}
        return entries, exits, special

    def round_layout(self, unit: str, listed: bool | None = None) -> Layout:
        """The layout of one round of a loop (built once): a listed round with several
        entries starts as a serial region, at the entries `$.at` lists."""
        listed = unit in self.listed if listed is None else listed
        entries, _, special = self.round_spec(unit)
        key = (unit, listed and len(entries) > 1)
        if key not in self._rounds:
            comp = list(self.members[unit])
            self._rounds[key] = Layout(
                self.flow, comp, special, entries, self.depth + 1, root_serial=key[1]
            )
        return self._rounds[key]

    def _lists(self, unit: str) -> bool:
        """Whether a loop's rounds report a list (`|@n3|n7|`) instead of one way on: when the
        loop may start at several entries at once (it sits in the serial region, where more
        than one may be due), a round may take more than one way round again or out, or a
        round holds such a loop."""
        if unit in self.serial and len(self.round_spec(unit)[0]) > 1:
            return True
        inner = self.round_layout(unit, listed=False)
        # a listed loop in a round may stop past its limit after its ways out have run: the
        # round reports that too, and the failure comes once everything due has run
        return inner.reports_several() or bool(inner.listed)

    def reports_several(self) -> bool:
        """Whether the serial region may flag more than one way round again or out of the
        loop in one run: one step flags several at once (a fan-out, a listed loop), or two
        steps flag some (a decision flags one, by the branch it takes)."""
        sources = self._flag_sources()
        flags = {s: self._flags(s) for s in sources}
        if len(set().union(*flags.values())) < 2:
            return False
        flagging = [s for s in sources if flags[s]]
        return len(flagging) > 1 or any(self._at_once(s) > 1 for s in flagging)

    def _flag_sources(self) -> list[str]:
        """The units of the serial region, then the fan-outs leading into it."""
        units = [u for u in self.topo if u in self.serial]
        fans = self.serial_fans - self.serial - {ROOT}
        return units + sorted(fans, key=self.pos.__getitem__)

    def _flags(self, source: str) -> set[str]:
        """The special targets a unit may flag (any of them)."""
        keys = self.members.get(source) or (source,)
        found = {self.dest(a) for k in keys for a in self.arcs(k)}
        return {t for t in found if self._reported(t)}

    def _at_once(self, source: str) -> int:
        """How many special targets one run of a unit may flag together."""
        if self.is_loop(source):
            return len(self._flags(source)) if source in self.listed else 1
        return len({t for t in self.next_targets(source) if self._reported(t)})

    def _fork(
        self, s: str, heads: list[str], frontier: dict, tree: dict, ends: set, bails: set
    ) -> Fork | None:
        units = [self.unit_of[h] for h in heads]
        if len(set(units)) < len(units):
            return None  # two entries of one loop
        catches = {self.unit_of.get(self.dest(a)) for a in self.out(s, "catch")}
        lanes = [u for u in units if set(self.dag.predecessors(u)) == {s} and u not in catches]
        joins = {u for u in units if u not in lanes}
        for lane in lanes:
            if frontier.get(lane) is None:
                return None
            joins |= frontier[lane]
        if len(joins) > 1:
            return None
        join = next(iter(joins), None)
        single = len(lanes) == 1 and frontier[lanes[0]] == {join} and lanes[0] not in ends
        if not single and self.depth >= MAX_DEPTH:
            return None
        if join is not None and join not in units and all(lane in bails for lane in lanes):
            return None  # no branch may take the way to the join: `$.due` says whether it runs
        regions = tuple(self._region(lane, tree) for lane in lanes)
        if any(self._reported(self.dest(a)) for r in regions for k in r for a in self.arcs(k)):
            return None  # a branch cannot end the round: the serial region reports it
        entered = self._entered(s, join, regions) if join is not None else set()
        if len(entered) > 1:
            return None  # the loop must start at each entry the fan-out leads to
        lane_keys = tuple(h for h, u in zip(heads, units, strict=True) if u in lanes)
        return Fork(lane_keys, regions, join, not single, next(iter(entered), join))

    def _entered(self, s: str, join: str, regions: tuple[frozenset[str], ...]) -> set[str]:
        """The members of a loop join that a fan-out (itself, or its branches) leads to."""
        comp = set(self.members.get(join, ()))
        found = set(self.graph.successors(ROOT)) if s == ROOT else set()
        keys = [k for k in (s, *(k for r in regions for k in r)) if k != ROOT]
        found |= {self.dest(a) for k in keys for a in self.arcs(k)}
        return found & comp

    def _region(self, lane: str, tree: dict) -> frozenset[str]:
        """The step keys of the units `lane` dominates (its dominator subtree)."""
        keys, todo = [], [lane]
        while todo:
            unit = todo.pop()
            keys += self.members[unit] or [unit]
            todo += tree.get(unit, [])
        return frozenset(keys)

    def _frontiers(self, idom: dict, tree: dict) -> dict[str, set[str] | None]:
        """Each unit's dominance frontier (None when larger than FRONTIER_CAP), bottom-up."""
        found: dict[str, set[str] | None] = {}
        for x in reversed(self.topo):
            df: set[str] | None = {y for y in self.dag.successors(x) if idom.get(y) != x}
            for z in tree.get(x, []):
                if df is None or found.get(z) is None:
                    df = None
                    break
                df |= {y for y in found[z] if idom.get(y) != x}
            found[x] = df if df is not None and len(df) <= FRONTIER_CAP else None
        return found

    def _ends_below(self, tree: dict, stops) -> set[str]:
        """Units whose dominator subtree holds a way out other than its frontier (a unit
        `stops` holds for)."""
        ends: set[str] = set()
        for x in reversed(self.topo):
            if stops(x) or any(c in ends for c in tree.get(x, [])):
                ends.add(x)
        return ends

    def _stops(self, unit: str) -> bool:
        """Whether the flow may end at a unit, or leave the frame there (an end, a target
        outside the frame)."""
        if unit == ROOT:
            return False
        if next(iter(self.dag.successors(unit)), None) is None:
            return True
        keys = self.members.get(unit) or (unit,)
        return any(not self.inside(self.dest(a)) for k in keys for a in self.arcs(k))

    def _finishes(self, unit: str) -> bool:
        """Like `_stops`, but not at a failure: that ends the whole execution, so a branch
        never finishes there (a Parallel's join after it does not run)."""
        return self._stops(unit) and not self._fails(unit)

    def _fails(self, unit: str) -> bool:
        """A failure end: its Fail state fails the execution (`states.end_state`)."""
        step = self.flow.steps.get(unit)
        return step is not None and step_kind(self, unit) == "end" and says_error(step.label)

    def _closure(self, starts: set[str]) -> set[str]:
        seen = {u for u in starts if u not in self.serial}
        todo = list(seen)
        while todo:
            for nxt in self.dag.successors(todo.pop()):
                if nxt not in seen and nxt not in self.serial:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen


def _children(idom: dict) -> dict[str, list[str]]:
    tree: dict[str, list[str]] = defaultdict(list)
    for node, parent in idom.items():
        if node != parent:
            tree[parent].append(node)
    return tree
