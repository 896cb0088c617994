"""Workflow edges vs the state machine definition in the template.

Each plan step is mapped to the states that realise it: function steps and service tasks to
the states that call the matched resource, decisions to a Choice state (the one whose branches
best fit the step's transitions; name similarity breaks ties), the start to `StartAt`.
A transition a -> b is realised when a state of a reaches a state of b through states that
realise no step (Retry wrappers, Pass states, error plumbing a backend may add), where "reaches"
follows flow.py: in a serially lowered machine a state leads past the guards `<step> (if due)`
to the steps whose flags it sets, and a state of b that comes after a state of a on every way
on also realises it (the sequence runs it); there, a step that runs after a whatever a does is
not "elsewhere" either. Guards and a loop's own states (its checks, Passes and limits)
realise no step and are never mapped to one; flags go through listed loops (rounds.py).

In any machine a transition a -> c may also be *implied*: a fan-out whose one branch always
runs into its other target is lowered as a chain (a -> b -> c for a -> b, a -> c, b -> c: c
waits for b anyway), so a leads to c only through b. That is read from the two post-dominator
trees (flow.py), in constant time per state reached: a (not a decision: each branch is a rule
of its own) goes on only to steps b of its own transitions that the diagram runs c after on
every way on, and c comes after a's way on in the definition (serially lowered: c or its
guard). Skipping b, or reaching c on one branch of a Choice only, is still drift.
"""

from __future__ import annotations

from collections import Counter, deque

from fzc.diagnostics import Diagnostic, diag
from fzc.diagnostics.codes import CODES
from fzc.drift import asl, choices
from fzc.drift.expect import Expectation
from fzc.drift.flow import Flow, after_in, flow, ranks
from fzc.drift.index import Index
from fzc.drift.match import name_similarity
from fzc.wire.decisions import decision_key, says_error
from fzc.wire.plan import Workflow

START = "^"
# Plan step kind -> ASL state types that can stand for it, by preference (steps that call
# something are mapped by what they call instead). A decision with no branch is a Pass state;
# an end event's order is `_end_types`.
STATE_TYPES: dict[str, tuple[str, ...]] = {
    "choice": ("Choice", "Pass"),
    "pass": ("Pass",),
    "start": ("Pass",),
    "end": ("Succeed", "Fail", "Pass"),
}


def _first_mapped(f: Flow, starts: set[str], mapped: set[str], also: str = "") -> set[str]:
    """The step-realising states (`mapped`, and `also`) reached first from `starts` through
    unmapped states; a start is found too when the walk comes back to it (a step that goes
    round to itself: a self-edge in a loop). Each call walks only the plumbing right after
    `starts`: runs of guards are crossed in one step (flow.py), so the calls together stay
    linear in the machine."""
    found: set[str] = set()
    seen: set[str] = set()
    queue = deque(sorted(starts))
    while queue:
        for nxt in f.leads(queue.popleft()):
            if nxt in seen:
                continue
            seen.add(nxt)
            if nxt in mapped or nxt == also:
                found.add(nxt)
            else:
                queue.append(nxt)
    return found


class WorkflowCheck:
    """One workflow against its state machine: steps mapped to states, transitions checked.

    Every lookup is indexed once (transitions by step, states by what they call, state
    predecessors), so the check grows with the machine, not with its square."""

    def __init__(self, x: Expectation, wf: Workflow, m: asl.Machine, lid: str, name: str):
        self.x, self.wf, self.m, self.lid, self.name = x, wf, m, lid, name
        self.flow = flow(m)
        self.states: dict[str, set[str]] = {}
        self.skip: set[str] = set()  # steps whose absence another finding reports
        self.contracted: set[str] = set()
        self.out: list[Diagnostic] = []
        self.reported: set[int] = set()  # edges with a finding already
        self.owner: dict[str, list[str]] | None = None  # see _steps_of
        self.expected: dict[str, set[str]] = {}  # step -> the steps it leads to (bridged)
        self.order: dict[str, tuple[int, int]] | None = None  # see _always
        self.leaving: dict[str, list] = {}
        self.entering: dict[str, list] = {}
        for t in wf.transitions:
            self.leaving.setdefault(t.source, []).append(t)
            self.entering.setdefault(t.target, []).append(t)

    def mapped(self) -> set[str]:
        return {s for states in self.states.values() for s in states}

    def map_calls(self, matching: dict[str, str]) -> None:
        by_node = {e.node: k for k, e in self.x.entities.items() if e.node and e.primary}
        calling: dict[str, set[str]] = {}
        for n, st in self.m.states.items():
            for target in st.targets:
                calling.setdefault(target, set()).add(n)
        for step in self.wf.steps:
            if step.kind not in ("lambda", "task"):
                continue
            tl = matching.get(by_node.get(step.node, ""))
            found = set(calling.get(tl, ())) if tl else set()
            if found:
                self.states[step.key] = found
            else:
                self.skip.add(step.key)  # the missing node or task link is reported

    def _realised(self, starts: set[str], goals: set[str], mapped: set[str]) -> bool:
        """Whether a state of `starts` leads to one of `goals`, or one of `goals` always runs
        after it (serial machines only)."""
        if _first_mapped(self.flow, starts, mapped) & goals:
            return True
        return any(self.flow.after(g, s) for g in goals for s in starts)

    def _score(self, step: str, state: str, mapped: set[str]) -> int:
        """How many of the step's transitions the state would realise by leading there (not
        by running after: the region's end runs after every step and realises none)."""
        score = 0
        for t in self.leaving.get(step, ()):
            if t.target != step and self.states.get(t.target):
                score += bool(_first_mapped(self.flow, {state}, mapped) & self.states[t.target])
        for t in self.entering.get(step, ()):
            if self.states.get(t.source) and (t.source != step or not self.states.get(t.target)):
                score += state in _first_mapped(self.flow, self.states[t.source], mapped, state)
        return score

    def _near(self, step: str, mapped: set[str]) -> set[str]:
        """Unmapped states a mapped neighbour of `step` reaches, or is reached from, through
        unmapped states only: the only ones whose score can be above zero."""
        near: set[str] = set()
        into, out = self.entering.get(step, ()), self.leaving.get(step, ())
        ways = [(self.states.get(t.source, ()), self.flow.leads) for t in into]
        ways += [(self.states.get(t.target, ()), self.flow.before) for t in out]
        for starts, step_from in ways:
            queue, seen = deque(starts), set(starts)
            while queue:
                for nxt in step_from(queue.popleft()):
                    if nxt not in seen and nxt not in mapped:
                        seen.add(nxt)
                        near.add(nxt)
                        queue.append(nxt)
        return near

    def map_structure(self) -> None:
        taken = self.mapped()
        # the lowering's own states (guards, loop limits) realise no step (flow.py)
        ordered = sorted((n, st) for n, st in self.m.states.items() if n not in self.flow.plumbing)
        free_types = Counter(st.type for n, st in ordered if n not in taken)
        for step in self.wf.steps:
            types = self._end_types(step) if step.kind == "end" else STATE_TYPES.get(step.kind)
            if types is None:
                continue
            # the first preferred type any free state has; then, of those states, the one
            # whose connections agree best (only states near a mapped neighbour can agree at
            # all), name similarity breaking ties
            want = next((t for t in types if free_types[t]), None)
            if want is None:
                if step.kind == "choice":
                    self.skip.add(step.key)
                    self._no_choice(step)
                else:
                    self.contracted.add(step.key)
                continue
            near = self._near(step.key, taken)
            pool = sorted(n for n in near if self._free_of(n, want, step.key))
            if pool:
                best = max(
                    pool,
                    key=lambda n: (
                        self._score(step.key, n, taken),
                        name_similarity(step.label, n),
                    ),
                )
            else:  # nothing agrees: every free state of the type scores 0
                free = [n for n, st in ordered if st.type == want and n not in taken]
                best = max(free, key=lambda n: name_similarity(step.label, n))
            self.states[step.key] = {best}
            taken.add(best)
            free_types[want] -= 1

    def _end_types(self, step) -> tuple[str, ...]:
        """An end event's state types by preference, as the backend picks them: a Pass when it
        goes on (a milestone), a Fail when its label says error/failure, else a Succeed. By
        type first, not connections: two ends of one decision are each as well connected."""
        if self.leaving.get(step.key):
            return ("Pass", "Succeed", "Fail")
        return ("Fail", "Succeed", "Pass") if says_error(step.label) else STATE_TYPES["end"]

    def _free_of(self, state: str, kind: str, step: str) -> bool:
        """Whether an unmapped state may realise a step of that state type: not one of the
        lowering's own, and not one that sets flags (leads on) for a step that does not."""
        st = self.m.states[state]
        leads_on = bool(st.marks) and not self.leaving.get(step)
        return st.type == kind and state not in self.flow.plumbing and not leads_on

    def _no_choice(self, step) -> None:
        node = self.x.plan.diagram.by_id[step.node]
        self.out.append(
            diag(
                CODES["FZ5001"],
                f'decision {step.node} "{step.label}" has no Choice state in state machine '
                f"{self.lid} ({self.name})",
                node.span,
                label="no Choice state matches this decision",
                help="add a Choice state whose branches lead to the decision's targets",
            )
        )

    def transitions(self) -> list[tuple[str, str, int]]:
        """Plan transitions with contracted steps (no state of their own) bridged over."""
        ts = [(t.source, t.target, t.edge) for t in self.wf.transitions]
        for c in sorted(self.contracted):
            into = [t for t in ts if t[1] == c]
            out = [t for t in ts if t[0] == c]
            ts = [t for t in ts if c not in t[:2]]
            ts += [(a, b, e) for a, _, e in into for _, b, _ in out]
        return ts

    def check(self) -> None:
        mapped = self.mapped()
        self.states[START] = {self.m.start} if self.m.start in self.m.states else set()
        expected = self.expected
        for a, b, _ in self.transitions():
            expected.setdefault(a, set()).add(b)
        for a, b, edge in self.transitions():
            if a in self.skip or b in self.skip or not self.states.get(a):
                continue
            if not self.states.get(b):
                continue
            goals = self.states[b]
            if a == START and goals & self.states[a]:
                continue
            if self._realised(self.states[a], goals, mapped) or self._implied(a, b, mapped):
                continue
            # a walk that comes back to a's own states says nothing about where a leads
            reached = _first_mapped(self.flow, self.states[a], mapped) - self.states[a]
            self._report(a, b, edge, reached, expected.get(a, set()))
            self.reported.add(edge)

    def check_choices(self) -> None:
        """Each decision's Choice rules test the values its branches stand for (choices.py);
        an edge already reported is not judged again."""
        mapped = self.mapped()
        goals: dict[int, set[str]] = {}
        for _, b, edge in self.transitions():  # a contracted target: the steps after it
            goals.setdefault(edge, set()).update(self.states.get(b, ()))
        frozen = {e: frozenset(g) for e, g in goals.items()}

        def reach(name: str) -> set[str]:
            return {name} if name in mapped else _first_mapped(self.flow, {name}, mapped)

        labels = {s.key: s.label for s in self.wf.steps}
        for step in (s for s in self.wf.steps if s.kind == "choice"):
            states = [self.m.states[s] for s in sorted(self.states.get(step.key, ()))]
            found = choices.branches(self.leaving.get(step.key, []), labels, frozen)
            for st in (st for st in states if st.type == "Choice" and found):
                read = choices.Choice(st, decision_key(step.label, step.node), reach)
                wrong = read.mismatches(found)
                self.out += [self._mismatch(m) for m in wrong if m.branch.edge not in self.reported]

    def _mismatch(self, m: choices.Mismatch) -> Diagnostic:
        """FZ5003 at a branch's edge: its rule tests another value (or field), or is never
        taken. The state machine comes last: a long template path is what gets cut."""
        rule = f"Choices[{m.rule.index}] of state {m.state!r}"
        field, value = m.expected
        want = f"{field} == {value!r}"
        if m.shadow is not None:
            what = (
                f"is never taken (Choices[{m.shadow.index}] tests the same and leads to "
                f"{m.shadow.next!r})"
            )
            help = (
                f"remove or change Choices[{m.shadow.index}] of {m.state!r}, or change the diagram"
            )
            label = "the branch's rule is never taken"
        else:
            f, v = m.found or ("", "")
            what = f"tests {f} == {v!r}{self._value_of(m.other)}, not "
            what += repr(value) if f == field else want
            help = f"make {rule} test {want} (StringEquals), or change the diagram"
            label = "the branch tests another value"
        return diag(
            CODES["FZ5003"],
            f"{self.x.edge_text(m.branch.edge)}: {rule} {what}, in state machine {self.lid} "
            f"({self.name})",
            self.x.edge_span(m.branch.edge),
            label=label,
            help=help,
        )

    def _value_of(self, branch: choices.Branch | None) -> str:
        if branch is None:
            return ""
        e = self.x.plan.diagram.edges[branch.edge]
        return f" (the value of {e.source.node} -> {e.target.node})"

    def _implied(self, a: str, c: str, mapped: set[str]) -> bool:
        """Whether a state of `a` leads to `c` through steps the diagram runs between them:
        its way on (a start: the start itself) comes before a state of c on every way on,
        and the first steps it reaches are between (`_between`). A decision is not implied:
        each branch is a rule of its own."""
        goals = self.states[c]
        for s in sorted(self.states[a]):
            if a == START:
                ways: tuple[str, ...] = (s,)
            elif self.m.states[s].type == "Choice":
                continue
            else:
                ways = self.flow.ways_on(s)
            if not ways or not all(any(self.flow.always(g, w) for g in goals) for w in ways):
                continue
            unmapped = {w for w in ways if w not in mapped}
            first = (set(ways) - unmapped) | _first_mapped(self.flow, unmapped, mapped)
            if first and all(self._between(a, c, x) for x in first):
                return True
        return False

    def _between(self, a: str, c: str, state: str) -> bool:
        """Whether a state realises a step b the diagram runs between a and c: a -> b is one
        of a's transitions, and c comes after b on every way on in the diagram, b not before
        a (a way back to b reaches c only by leaving its loop, which a need not do)."""
        return any(
            b != c
            and b in self.expected.get(a, ())
            and self._always(c, b)
            and not self._always(a, b)
            for b in self._steps_of(state)
        )

    def _always(self, later: str, earlier: str) -> bool:
        """`later` comes after `earlier` on every way on in the diagram (its transitions,
        contracted steps bridged); its post-dominator tree is built on first use."""
        if self.order is None:
            succ: dict[str, list[str]] = {}
            for a, b, _ in self.transitions():
                succ.setdefault(a, []).append(b)
                succ.setdefault(b, [])
            self.order = ranks(succ)
        return after_in(self.order, later, earlier)

    def _steps_of(self, state: str) -> list[str]:
        if self.owner is None:  # state -> the steps (by key) it realises, built once
            self.owner = {}
            for key in sorted(self.states):
                for s in self.states[key] if key != START else ():
                    self.owner.setdefault(s, []).append(key)
        return self.owner.get(state, [])

    def _step_of(self, state: str) -> str | None:
        return next(iter(self._steps_of(state)), None)

    def _runs_anyway(self, step: str, state: str) -> bool:
        """A state that comes after the step's states on every way on is the sequence going
        on, not where the step leads (serial machines only)."""
        return any(self.flow.after(state, s) for s in self.states[step])

    def _report(self, a: str, b: str, edge: int, reached: set[str], wanted: set[str]) -> None:
        src = "StartAt" if a == START else f"state {sorted(self.states[a])[0]!r}"
        dst = sorted(self.states[b])[0]
        wrong = sorted(
            (s, k)
            for s in reached
            if (k := self._step_of(s)) is not None
            and k not in wanted
            and not self._runs_anyway(a, s)
        )
        where = f"in state machine {self.lid} ({self.name})"
        span = self.x.edge_span(edge)
        if wrong:
            state, key = wrong[0]
            step = next(s for s in self.wf.steps if s.key == key)
            d = diag(
                CODES["FZ5003"],
                f"{self.x.edge_text(edge)}: {where}, {src} leads to {state!r} "
                f'({step.node} "{step.label}") instead of {dst!r}',
                span,
                label="the transition goes elsewhere",
                help=f"point {src} at {dst!r}, or change the diagram",
            )
        else:
            d = diag(
                CODES["FZ5002"],
                f"{self.x.edge_text(edge)}: {where}, no transition from {src} to {dst!r}",
                span,
                label="not realised",
                help=f"add a Next (or a Choice rule) from {src} to {dst!r}",
            )
        self.out.append(d)


def _unreadable(x: Expectation, wf: Workflow, lid: str, name: str, why: str) -> Diagnostic:
    return diag(
        CODES["FZ5003"],
        f"state machine {lid} ({name}): its definition cannot be read ({why})",
        wf.span,
        label="the workflow cannot be compared",
        help="write the definition as `Definition` or a JSON `DefinitionString`",
    )


def compare(x: Expectation, t: Index, matching: dict[str, str], name: str) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for wf in x.plan.workflows:
        lid = matching.get(wf.logical_id)
        if lid is None:
            continue
        try:
            machine = asl.machine(lid, t)
        except asl.DefinitionError as exc:
            out.append(_unreadable(x, wf, lid, name, str(exc)))
            continue
        check = WorkflowCheck(x, wf, machine, lid, name)
        check.map_calls(matching)
        check.map_structure()
        check.check()
        check.check_choices()
        out += check.out
    return out
