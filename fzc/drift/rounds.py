"""Listed loops as the workflow check reads them (fzc/backends/asl/loops.py and serial.py).

A listed loop's round (the frame `<body>/0/`) is a serial region of its own whose steps flag
every way on they take: a flag one of the round's guards tests runs that step in this round,
`@n3` asks for another round starting at n3, any other flag is a way out of the loop. The
round ends reporting its due list (`"next.$": "$.due"`), or, a round with no due list, a
list of flags (`"next": "|@n3|n7|"`, which asl.py reads as flags that Pass sets); after it,
Choice/Pass pairs test the report and gather in `$.result.at` the entries the next round
starts at and the ways out, as flags of the enclosing frame; the loop check goes round again
(`at` from `$.result.at`) while the report asks for it, and leaving the loop adds
`$.result.at` to the enclosing due list. A loop with several entries starts each round with
the due list `$.at`: entering it, guards on the enclosing due list run Passes that record
each entry that is due in `$.at`.

So a flag set in a listed round leads (`Rounds.resolve`):

* to the step the round's guard for it runs, when the guard comes after the flag on every way
  on (as in any serial region);
* for `@n3`, when a rule after the round reads it and goes round again on it: to the step the
  round's guard for n3 runs (several entries), or to the round's start (one);
* for a way out, when a rule after the round records it and leaving the loop takes what was
  recorded: to where each recorded flag leads in the enclosing frame (a loop inside a round
  leaves into that round);

and a flag whose guard runs a listed loop's "(loop)" Pass (or one of its entry Passes) leads
on to where each entry it records runs in the round. The way from the loop check back to the
body leads nowhere: a round starts again only where the flags say. An edited report,
collecting rule, loop check or entry guard loses that way, and the check reports its edge.
Everything is read once per loop (its collecting states are its own); a flag is resolved in
time bounded by how deep loops nest.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from fzc.drift import asl

AGAIN = "@"  # a round's flag asking for another round at an entry: `@n3`

# (branch, flag) -> the guards testing it there and the state each runs when it is set
Guarded = dict[tuple[str, str], list[tuple[str, str]]]


@dataclass(frozen=True, slots=True)
class Round:
    """What a listed loop does with the flags its round reports."""

    outer: str  # the frame the loop sits in
    start: str  # the round's first state
    several: bool  # each round starts at the entries `$.at` lists (a loop with several entries)
    again: frozenset[str]  # the `@<entry>` flags its loop check goes round again on
    recorded: dict[str, tuple[str, ...]]  # a reported flag -> the flags recorded for it
    leaves: bool  # leaving the loop adds the recorded flags to the enclosing due list
    restarts: frozenset[str]  # the states starting the next round (where the flags say)


class Rounds:
    """Every listed loop of a machine, read once; `resolve` says where a flag leads."""

    def __init__(
        self,
        m: asl.Machine,
        guarded: Guarded,
        past: dict[str, str | None],
        after: Callable[[str, str], bool],
    ):
        self.m, self.guarded, self.past, self.after = m, guarded, past, after
        reporting = {st.frame for st in m.states.values() if st.reports}
        self.frames: dict[str, Round] = {}  # a listed round's frame -> its loop
        self.bodies: dict[str, str] = {}  # the Parallel running a listed round -> its frame
        for name, st in m.states.items():
            starts = [v for v, how in st.nexts if how == "branch" and v in m.states]
            if st.type == "Parallel" and len(starts) == 1:
                frame = m.states[starts[0]].frame
                if frame in reporting:
                    self.bodies[name] = frame
                    self.frames[frame] = _read(m, name, starts[0])
        self.entering = self._entering()
        # going round again is where the flags say, never along the way back to the body
        self.restarts = frozenset(n for r in self.frames.values() for n in r.restarts)

    def _entering(self) -> dict[tuple[str, str], list[str]]:
        """(a listed loop's body, flag of its frame) -> the entries recorded in `$.at` when
        the flag is due as the loop is entered."""
        found: dict[tuple[str, str], list[str]] = {}
        for (frame, flag), guards in sorted(self.guarded.items()):
            for _, run in guards:
                st = self.m.states.get(run)
                body = self._body_after(run, frame)
                if st is not None and st.records and body:
                    found.setdefault((body, flag), []).extend(st.records)
        return found

    def _body_after(self, name: str, frame: str) -> str | None:
        """The listed loop's body a state in `frame` goes on to, past its entry guards."""
        st = self.m.states.get(name)
        nxt = next((v for v, how in st.nexts if how == "next"), None) if st else None
        body = self.past.get(nxt, nxt) if nxt is not None else None
        if body in self.bodies and self.m.states[body].frame == frame:
            return body
        return None

    def resolve(self, frame: str, flag: str, source: str) -> list[str]:
        """The states a flag set in `frame` by `source` runs."""
        runs = self._runs(frame, flag, source)
        loop = self.frames.get(frame)
        if runs is not None or loop is None:
            return runs or []
        if flag.startswith(AGAIN):
            return self._again(frame, loop, flag)
        if not loop.leaves:
            return []
        return [s for f in loop.recorded.get(flag, ()) for s in self.resolve(loop.outer, f, source)]

    def _runs(self, frame: str, flag: str, source: str) -> list[str] | None:
        """What the guards testing the flag in its frame run, when they come after `source`
        on every way on, and past a listed loop's entry where it starts; None when no guard
        tests it there."""
        guards = self.guarded.get((frame, flag))
        if not guards:
            return None
        found = []
        for guard, run in guards:
            if run in self.m.states and self.after(guard, source):
                found += [run, *self._entered(run, frame, flag)]
        return found

    def _entered(self, run: str, frame: str, flag: str) -> list[str]:
        """Past a listed loop's "(loop)" or entry Pass: where the entries the flag records
        start the round."""
        body = self._body_after(run, frame)
        if body is None:
            return []
        inner = self.bodies[body]
        start = self.frames[inner].start
        entries = self.entering.get((body, flag), ())
        return [s for e in entries for s in self._runs(inner, e, start) or ()]

    def _again(self, frame: str, loop: Round, flag: str) -> list[str]:
        if flag not in loop.again:
            return []
        if not loop.several:
            return [loop.start]
        entries = loop.recorded.get(flag, ())
        return [s for e in entries for s in self._runs(frame, e, loop.start) or ()]


def _read(m: asl.Machine, body: str, start: str) -> Round:
    """A listed loop's Round, from the states after its body (`_after_round`): its Choices'
    rules reading the report, where it goes round again (a state going back to the body),
    and where it leaves (every other state reached but a Fail: each must take
    `$.result.at`)."""
    recorded: dict[str, list[str]] = {}
    again: set[str] = set()
    restarts: set[str] = set()
    leaving: list[bool] = []
    for name, st in _after_round(m, body):
        if _collects(st):
            for nxt, tests in st.rules if st.type == "Choice" else ():
                reported = sorted(f for v, f in tests if v == asl.REPORT)
                target = m.states.get(nxt)
                for f in reported if target is not None else ():
                    recorded.setdefault(f, []).extend(target.records)
                if target is not None and _goes_back(target, body):
                    again.update(f for f in reported if f.startswith(AGAIN))
        elif _goes_back(st, body):
            restarts.add(name)
        elif st.type != "Fail":
            leaving.append(st.takes == asl.RESULT_AT)
    return Round(
        m.states[body].frame,
        start,
        m.states[start].takes == asl.AT,
        frozenset(again),
        {f: tuple(rs) for f, rs in recorded.items() if rs},
        bool(leaving) and all(leaving),
        frozenset(restarts),
    )


def _after_round(m: asl.Machine, body: str):
    """The states reached from a listed loop's body through its collecting states (`_collects`),
    each once, with the first states past them."""
    queue = deque(v for v, how in m.states[body].nexts if how == "next")
    seen = set(queue)
    while queue:
        name = queue.popleft()
        st = m.states.get(name)
        if st is None:
            continue
        yield name, st
        for v, _ in st.nexts if _collects(st) else ():
            if v not in seen:
                seen.add(v)
                queue.append(v)


def _collects(st: asl.State) -> bool:
    """A state gathering what a round reported: a Choice on the loop's fields only, or a
    Pass recording flags in `at`."""
    if st.type == "Choice":
        return st.variables <= asl.LOOP_FIELDS
    return st.type == "Pass" and bool(st.records)


def _goes_back(st: asl.State, body: str) -> bool:
    return any(v == body for v, _ in st.nexts)
