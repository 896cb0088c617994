"""Where control goes after each state of a state machine, as the workflow check reads it.

A plain definition goes where its transitions say (Next, Choice rules, Default, Catch, Parallel
branches: asl.py). The serial lowering of entangled fan-outs (fzc/backends/asl/serial.py) runs
steps one after another and says where they lead with flags instead: a step (or its decision
branch, or its Catch) appends the steps it leads to to `$.due`, and each later step behind a
guard `<step> (if due)` runs only when its flag is set. A transition is realised there when
the flag is set after the step and the guard testing it comes later on every way on. Read so:

* a guard is not where a state reaching it leads (it runs its step only when some state set
  the flag): a state leads past a run of guards, along their Defaults, to the first state that
  is not one;
* a state that sets a flag leads to the state the flag's guard runs, when that guard comes
  after the flag on every way on (it post-dominates the state: flags are never cleared);
  flags set in a listed loop's round (`@n3` again, a way out) and flags entering a listed
  loop go on through the loop's own states to where they run (rounds.py);
* a state that comes after another on every way on runs after it whatever the other does:
  `after(later, earlier)` (the sequence itself; unguarded "certain" steps are reached so).

Machines without a due list keep their plain graph and `after` is always false. Every machine
keeps its post-dominator tree all the same (`always`, `ways_on`): a fan-out whose one branch
always runs into the other target is lowered as a plain chain (A -> B -> C for A -> B, A -> C,
B -> C), and workflow.py reads the dropped A -> C by it (in a serial machine C may come after
A's way on behind its guard: it runs there, due from B). Everything is computed once per
machine, in time linear in its states and transitions (and the post-dominator tree's:
near-linear); `ranks` numbers the diagram's own tree the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from fzc.drift import asl
from fzc.drift.rounds import Guarded, Rounds

OWN_ERRORS = "fzc."  # the errors fzc's lowering raises itself (a loop's limit)
EXIT = ""  # the post-dominator tree's root: no state is named "" (ASL names are 1-80 chars)


@dataclass(frozen=True, slots=True)
class Flow:
    """A machine's states with where each leads and, for a serial machine, what always runs
    after what."""

    succ: dict[str, tuple[str, ...]]
    pred: dict[str, tuple[str, ...]]
    # where each state goes when it succeeds: `succ` without the hops along its own Catch
    ways: dict[str, tuple[str, ...]]
    # post-dominator tree numbering: state -> (preorder, postorder)
    rank: dict[str, tuple[int, int]]
    serial: bool  # the machine keeps a due list
    # the lowering's own states, never a step's: guards and other Choices on the due list or
    # a loop's fields, a loop's own Passes, a serial region's end, and the Fail ending a loop
    # that went round too often (fzc raises its own errors as `fzc.*`; a failure end event's
    # error is named after its label)
    plumbing: frozenset[str]
    # a serial machine's steps behind guards -> the guards that run them when they are due
    guarded_by: dict[str, tuple[str, ...]]

    def leads(self, name: str) -> tuple[str, ...]:
        return self.succ.get(name, ())

    def before(self, name: str) -> tuple[str, ...]:
        return self.pred.get(name, ())

    def ways_on(self, name: str) -> tuple[str, ...]:
        return self.ways.get(name, ())

    def after(self, later: str, earlier: str) -> bool:
        """Whether `later` runs after `earlier` whatever `earlier` does: it comes after it on
        every way on (failures aside) in a serial machine, where steps run in sequence."""
        return self.serial and after_in(self.rank, later, earlier)

    def always(self, later: str, earlier: str) -> bool:
        """Whether `later` comes after `earlier` on every way on from it, in any machine; in
        a serial machine, or a guard running it does (it runs there when it is due)."""
        return after_in(self.rank, later, earlier) or any(
            after_in(self.rank, g, earlier) for g in self.guarded_by.get(later, ())
        )


def flow(m: asl.Machine) -> Flow:
    guards = frozenset(n for n, st in m.states.items() if st.tests)
    plumbing = guards | {n for n, st in m.states.items() if _plumbing(st)}
    rank = _post_dominator_ranks(m)
    serial = any(st.serial for st in m.states.values())
    due = _guarded(m) if serial else {}
    leads = _serial_leads(m, guards, rank, due) if serial else _plain_leads(m)
    succ = {n: _targets(ways) for n, ways in leads.items()}
    ways = {n: _targets((v, how) for v, how in ways if how != "catch") for n, ways in leads.items()}
    guarded_by: dict[str, list[str]] = {}
    for guard, run in (r for rules in due.values() for r in rules):
        guarded_by.setdefault(run, []).append(guard)
    by = {n: tuple(dict.fromkeys(gs)) for n, gs in guarded_by.items()}
    return Flow(succ, _reverse(succ), ways, rank, serial, plumbing, by)


def _targets(leads) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v, _ in leads if v is not None))


def _plain_leads(m: asl.Machine) -> dict[str, list[tuple[str, str]]]:
    """Each state's transitions as written: (target, how)."""
    return {n: _transitions(m, st) for n, st in m.states.items()}


def _serial_leads(m: asl.Machine, guards: frozenset[str], rank, due: Guarded) -> dict[str, list]:
    """Each state's transitions as the due list reads them: past the guards, and to the
    steps whose flags it sets (`how` "flag"), through listed loops (rounds.py); a None
    target leads nowhere."""
    past = _past_guards(m, guards)
    listed = Rounds(m, due, past, lambda later, earlier: after_in(rank, later, earlier))
    leads = {}
    for n, st in m.states.items():
        plain = [
            (past.get(v, v), how)
            for v, how in _transitions(m, st)
            if (how != "choice" or not st.tests) and n not in listed.restarts
        ]
        flagged = [(run, "flag") for flag in st.marks for run in listed.resolve(st.frame, flag, n)]
        leads[n] = plain + flagged
    return leads


def _plumbing(st: asl.State) -> bool:
    """A loop's own Choice, Pass or Fail, a serial region's end, or a Choice on the due list
    only (a guard is one too; the caller has those)."""
    if st.type == "Choice" and st.variables and st.variables <= asl.LOOP_FIELDS:
        return True
    return st.own or st.error.startswith(OWN_ERRORS)


def after_in(rank: dict[str, tuple[int, int]], later: str, earlier: str) -> bool:
    """`later` is a proper ancestor of `earlier` in the post-dominator tree numbered `rank`:
    it comes after `earlier` on every way on."""
    a, b = rank.get(earlier), rank.get(later)
    return a is not None and b is not None and b[0] < a[0] and a[1] < b[1]


def _transitions(m: asl.Machine, st: asl.State) -> list[tuple[str, str]]:
    return [(n, how) for n, how in st.nexts if n in m.states]


def _reverse(succ: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    pred: dict[str, list[str]] = {}
    for n in sorted(succ):
        for v in succ[n]:
            pred.setdefault(v, []).append(n)
    return {n: tuple(ps) for n, ps in pred.items()}


def _guarded(m: asl.Machine) -> Guarded:
    """(branch, flag) -> the guards testing it there and the state each runs when it is set."""
    out: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for n, st in sorted(m.states.items()):
        for flag, run in st.tests:
            out.setdefault((st.frame, flag), []).append((n, run))
    return out


def _default(m: asl.Machine, guard: str) -> str | None:
    return next((n for n, how in _transitions(m, m.states[guard]) if how == "default"), None)


def _past_guards(m: asl.Machine, guards: frozenset[str]) -> dict[str, str | None]:
    """guard -> the first state after it that is not a guard (following Defaults), once per
    guard: a run of guards is walked once, not once per state that reaches it."""
    out: dict[str, str | None] = {}
    for g in sorted(guards):
        run: dict[str, None] = {}  # in order, and a set: a cycle is seen at once
        n: str | None = g
        while n in guards and n not in out and n not in run:
            run[n] = None
            n = _default(m, n)
        end = out[n] if n in out else None if n in run else n  # a cycle of guards: nowhere
        out.update(dict.fromkeys(run, end))
    return out


def _onward(m: asl.Machine, st: asl.State) -> list[str]:
    """Where a state goes, for post-dominators: a Parallel goes into its branches (their ends
    lead to its Next), not around them."""
    ways = _transitions(m, st)
    inside = any(how == "branch" for _, how in ways)
    return [n for n, how in ways if not (inside and how == "next")]


def _back_edges(start: str | None, onward: dict[str, list[str]]) -> list[tuple[str, str]]:
    """The transitions that go back to a state still being walked (a depth-first walk from
    the start, then from states it did not reach, by name): what makes a cycle."""
    state: dict[str, bool] = {}  # False: on the walk's path; True: done
    back = []
    roots = [start] if start in onward else []
    for root in [*roots, *sorted(onward)]:
        if root in state:
            continue
        state[root] = False
        stack = [(root, iter(onward[root]))]
        while stack:
            n, ways = stack[-1]
            v = next(ways, None)
            if v is None:
                state[n] = True
                stack.pop()
            elif v not in state:
                state[v] = False
                stack.append((v, iter(onward[v])))
            elif state[v] is False:
                back.append((n, v))
    return back


def _ways_on(m: asl.Machine) -> tuple[dict[str, list[str]], set[str]]:
    """Each state's ways on, and the states that leave the machine: its ends that are not
    failures, and the states that jump back. A way back into a Parallel is a loop's next
    round (fzc runs each round of its bounded loops as one): not a way on, the loop leaves
    forward. A jump back anywhere else makes the states after it optional, so it leaves."""
    onward = {n: _onward(m, st) for n, st in m.states.items()}
    leave = {n for n, ways in onward.items() if not ways and m.states[n].type != "Fail"}
    for n, v in _back_edges(m.start, onward):
        onward[n] = [w for w in onward[n] if w != v]
        if m.states[v].type != "Parallel":
            leave.add(n)
    return onward, leave


def _post_dominator_ranks(m: asl.Machine) -> dict[str, tuple[int, int]]:
    """Each state's place in the post-dominator tree (preorder, postorder), so that "`b` is
    after `a` on every way on" is two comparisons. Besides the ways out of `_ways_on`, a Fail
    is one where a state before it has no other way to end (a failure does not make the
    states around it optional: only one that is the only way on does)."""
    import networkx as nx

    onward, leave = _ways_on(m)
    rev = _reversed(onward, leave)
    ending = nx.descendants(rev, EXIT)
    for n in sorted(m.states):
        if _only_way_out(m.states[n], rev.successors(n), ending):
            rev.add_edge(EXIT, n)
    return _tree_ranks(rev)


def ranks(succ: dict[str, list[str]]) -> dict[str, tuple[int, int]]:
    """The post-dominator numbering of any graph (node -> its successors), its nodes without
    successors leaving it: with `after_in`, "`b` comes after `a` on every way on"."""
    return _tree_ranks(_reversed(succ, [n for n, vs in succ.items() if not vs]))


def _reversed(succ: dict[str, list[str]], leave):
    """The graph reversed, with EXIT leading to the nodes that leave it."""
    import networkx as nx

    rev = nx.DiGraph()
    rev.add_node(EXIT)
    for n in sorted(succ):
        rev.add_node(n)
        rev.add_edges_from((v, n) for v in succ[n])
    rev.add_edges_from((EXIT, n) for n in sorted(leave))
    return rev


def _tree_ranks(rev) -> dict[str, tuple[int, int]]:
    """The post-dominator tree of a reversed graph rooted at EXIT, numbered (`_number`);
    nodes that never reach EXIT (a cycle with no way out) are not in it."""
    import networkx as nx

    idom = nx.immediate_dominators(rev, EXIT)
    children: dict[str, list[str]] = {}
    for n in sorted(idom):
        if n != EXIT:
            children.setdefault(idom[n], []).append(n)
    return _number(children)


def _only_way_out(st: asl.State, before, ending: set[str]) -> bool:
    """Whether a Fail counts as a way out: a state before it has no other way to end. fzc's
    own errors never do: a loop going round again from inside a nested branch fails with
    `fzc.LoopAgain` (the round reruns), a loop's limit is not a way on."""
    if st.type != "Fail" or st.error.startswith(OWN_ERRORS):
        return False
    return any(p not in ending for p in before)


def _number(children: dict[str, list[str]]) -> dict[str, tuple[int, int]]:
    """(preorder, postorder) of every node of a tree rooted at EXIT (without EXIT)."""
    pre: dict[str, int] = {}
    out: dict[str, tuple[int, int]] = {}
    stack: list[tuple[str, bool]] = [(EXIT, False)]
    post = 0
    while stack:
        n, done = stack.pop()
        if done:
            out[n] = (pre[n], post)
            post += 1
            continue
        pre[n] = len(pre)
        stack.append((n, True))
        stack.extend((c, False) for c in reversed(children.get(n, ())))
    del out[EXIT]
    return out
