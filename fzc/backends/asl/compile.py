"""Workflow steps -> ASL states: one `Scope` per frame (States object: the machine, a
Parallel branch, a loop round), each step's state in exactly one frame.

`layout.py` decides, once per frame and in linear time, where each step goes. A scope then
emits states from its entry through a worklist (no recursion per step; frames nest at most
`MAX_DEPTH` deep). Shapes that need more than one state per step (rules in the package
docstring):
- a cycle (strongly connected steps) becomes a guarded counter loop (`loops.py`);
- a proper fan-out becomes a Parallel, one branch (frame) per lane, joined at its join;
- an entangled fan-out starts the frame's serial region (`serial.py`): the steps it leads to
  run as one guarded sequence with the due steps listed in the data;
- transitions that leave a frame (the join, the loop's entry, a loop exit) resolve to
  "special" targets, materialised as small Pass/Fail states or `End: true`.
"""

from __future__ import annotations

from collections import deque

from fzc.backends.asl import loops
from fzc.backends.asl.flow import ROOT
from fzc.backends.asl.layout import END, FINISH, Fork, Layout, Special
from fzc.backends.asl.serial import Region
from fzc.backends.asl.states import BUILDERS, Ctx, pass_state
from fzc.backends.asl.steps import JOIN_PREFERENCE, choice_rules, has_branches, rule, step_kind
from fzc.wire import decisions

LOOP_AGAIN = loops.LOOP_AGAIN
LOOP_LIMIT = loops.LOOP_LIMIT
AGAIN = loops.AGAIN


def machine(ctx: Ctx) -> dict:
    """The whole definition: StartAt and States (plus a Comment)."""
    flow = ctx.flow
    wf = flow.workflow
    head = {"Comment": f"{wf.label}: {wf.node or 'implicit workflow'} in {flow.plan.name}.fz"}
    if not flow.steps:
        name = ctx.names.take(wf.label, wf.logical_id)
        done = {"Type": "Succeed", "Comment": "the diagram gives this workflow no steps"}
        return head | {"StartAt": name, "States": {name: done}}
    roots = list(flow.roots)
    fans = flow.root_mode == "parallel" and len(roots) > 1
    return head | Scope(ctx, list(flow.steps), {}, roots, root_fans=fans).run_root()


class Scope:
    def __init__(
        self,
        ctx: Ctx,
        nodes: list[str],
        special: dict[str, Special],
        entries: list[str],
        depth: int = 0,
        loop: str | None = None,
        root_fans: bool = False,
        layout: Layout | None = None,
        listed: bool = False,
    ) -> None:
        self.ctx, self.flow, self.nodes, self.special = ctx, ctx.flow, nodes, special
        self.entries, self.depth = entries, depth
        # in a loop's round every ending must report to the loop check: where the flow ends
        # inside the loop, the round reports an exit to "" (the loop, then its scope, ends)
        self.finish = Special("exit", FINISH, loop) if loop is not None else None
        # a round that reports a list of ways on (`|@n3|n7|`: again at n3, out to n7)
        self.listed = listed
        self.states: dict[str, dict] = {}
        self.unit_names: dict[tuple, str] = {}
        self.special_names: dict[Special, str] = {}
        self.queue: deque[tuple] = deque()
        self.layout = layout or Layout(ctx.flow, nodes, special, entries, depth, root_fans)
        lay = self.layout  # its arcs closing a cycle, where it is MAX_DEPTH deep (FZ4005)
        cut = (a for k in lay.nodes if k in lay.graph for a in lay.arcs(k))
        ctx.redirected |= {a: lay.again for a in cut if (a.source, a.target) in lay.cut}
        self.loops: dict[str, loops.Machine] = {}
        self._region: Region | None = None
        self.entered: dict[str, str] = {}  # step of the serial region -> its "(enter)" Pass

    # -- running --------------------------------------------------------------------------
    def run(self) -> dict:
        """The frame as a States object, started at its (single) entry."""
        start = self._entry(self.entries[0])
        self._drain()
        return {"StartAt": start, "States": self.states}

    def run_root(self) -> dict:
        roots = self.entries
        if len(roots) == 1:
            return self.run()
        if self.flow.root_mode == "parallel":
            label = self.flow.workflow.label
            start = self._fanout(ROOT, label, roots, "the orchestrator starts these in parallel")
        else:
            start = self._entry_choice(roots, "Entry", "$.entry")
        self._drain()
        return {"StartAt": start, "States": self.states}

    def run_round(self, label: str) -> dict:
        """A loop round: entered at one of the loop's entries (`$.at` says which), or for a
        listed round with several entries, at each entry `$.at` lists."""
        if len(self.entries) == 1:
            return self.run()
        if self.listed:
            start = self.add(f"{label} (round start)")
            self.states[start] = self.region().start()
            self._drain()
            return {"StartAt": start, "States": self.states}
        start = self._entry_choice(self.entries, f"{label} (round start)", "$.at")
        self.states[start]["OutputPath"] = "$.data"
        self._drain()
        return {"StartAt": start, "States": self.states}

    def _drain(self) -> None:
        while self.queue:
            unit = self.queue.popleft()
            name = self.unit_names[unit]
            self.states[name] = {}  # keep emission order; filled below
            if unit[0] == "loop":
                self.states[name] = loops.entry_state(self, unit[1], unit[2])
            else:
                self.states[name] = self._emit_node(unit[1])

    def region(self) -> Region:
        """The frame's serial region, built (all its states) on first use."""
        if self._region is None:
            self._region = Region(self)
        return self._region

    # -- references -----------------------------------------------------------------------
    def _unit(self, key: str) -> tuple:
        rep = self.layout.unit_of[key]
        return ("loop", rep, key) if self.layout.is_loop(rep) else ("node", key)

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
        return self._entry(key)

    def _entry(self, key: str) -> str:
        """The state of a step of this frame (even one that is also a way back in a loop)."""
        if self.layout.unit_of[key] in self.layout.serial:
            return self._enter(key)
        return self._unit_name(self._unit(key))

    def _enter(self, key: str) -> str:
        if key not in self.entered:
            self.entered[key] = name = self.add(f"{self.label(key)} (enter)")
            self.states[name] = self.region().enter(key)
        return self.entered[key]

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

    def add(self, label: str) -> str:
        """A new state name, its place in the States object reserved."""
        name = self.ctx.names.take(label)
        self.states[name] = {}
        return name

    # -- steps ----------------------------------------------------------------------------
    def _emit_node(self, key: str) -> dict:
        step = self.flow.steps[key]
        if has_branches(self, key):
            return self._choice(key)
        body = BUILDERS.get(step_kind(self, key), pass_state)(self.ctx, step)
        if body["Type"] in ("Succeed", "Fail"):
            return body
        if step.kind == "choice":
            body["Comment"] += "; a decision with no branches"
        return body | self._catch(key) | self._transition(key, step.label)

    def _transition(self, key: str, label: str) -> dict:
        targets = self.layout.next_targets(key)
        if len(targets) <= 1:
            return self.go(self.target(targets[0]) if targets else None)
        return self.go(self._fanout(key, label, targets, f"fan-out after {key}"))

    def _catch(self, key: str) -> dict:
        # ResultPath keeps the input and adds the error, so the handler sees both (G-ASL-3)
        catchers = [
            {
                "ErrorEquals": list(a.errors),
                "ResultPath": "$.error",
                "Next": self.state(self.layout.dest(a)),
            }
            for a in self.flow.out(key, "catch")
        ]
        return {"Catch": catchers} if catchers else {}

    def _choice(self, key: str) -> dict:
        step = self.flow.steps[key]
        field = "$." + decisions.decision_key(step.label, step.node)
        rules, (_, default) = choice_rules(self, key)
        return {
            "Type": "Choice",
            "Comment": self.ctx.comment(step) + f"; tests {field}",
            "Choices": [rule(field, value, self.state(t)) for value, t in rules],
            "Default": self.state(default),
        }

    def _entry_choice(self, entries: list[str], label: str, field: str) -> str:
        name = self.add(label)
        if field == "$.entry":
            what = "several start points: $.entry names the one to run"
            rules = [rule(field, self.label(e), self._entry(e)) for e in entries[1:]]
        else:  # set by the loop itself, so always present
            what = "the loop has several entries: $.at names the one this round starts at"
            rules = [at_rule(e, self._entry(e)) for e in entries[1:]]
        self.states[name] = {
            "Type": "Choice",
            "Comment": what,
            "Choices": rules,
            "Default": self._entry(entries[0]),
        }
        return name

    # -- fan-out --------------------------------------------------------------------------
    def _fanout(self, source: str, label: str, heads: list[str], comment: str) -> str | None:
        real = [h for h in heads if self.layout.inside(h)]
        if source in self.layout.serial_fans:
            name = self.add(f"{label} (fan-out)")
            self.states[name] = self.region().fan_in(source, heads) if real else self._report(heads)
            return name
        if len(real) <= 1:  # left: targets past a Parallel branch (its join, which runs
            # after the Parallel anyway); a round's ways on are serial fan-outs (layout.py)
            if real:
                return self.target(real[0])
            return self.target(min(heads, key=self._preference))
        fork = self.layout.forks[source]
        if not fork.parallel:
            return self.target(fork.lanes[0])
        return self._parallel(label, fork, comment)

    def _report(self, heads: list[str]) -> dict:
        """A listed round's fan-out whose targets all lie outside it: it ends the round,
        reporting every one."""
        flags = "".join(f"{report_flag(self.special[h])}|" for h in heads)
        return {
            "Type": "Pass",
            "Comment": f"ends the round towards {', '.join(heads)}",
            "Parameters": {"next": "|" + flags, "data.$": "$"},
            "End": True,
        }

    def _preference(self, key: str) -> int:
        sp = self.special.get(key)
        return JOIN_PREFERENCE[sp.kind] if sp is not None else len(JOIN_PREFERENCE)

    def _parallel(self, label: str, fork: Fork, comment: str) -> str:
        name = self.add(f"{label} (parallel)")
        join = fork.entry if fork.join is not None else self._shared_special(fork)
        joined = self.layout.comp(join) if join and join not in self.special else ()
        inner = {k: Special(IN_BRANCH[sp.kind], sp.node) for k, sp in self.special.items()}
        inner |= dict.fromkeys(joined or ((join,) if join else ()), END)
        branches = [self._branch(lane, region, inner) for lane, region in _lanes(fork)]
        self.states[name] = {
            "Type": "Parallel",
            "Comment": comment + (f"; joins at {join}" if join else "; no common successor"),
            "Branches": branches,
            "ResultPath": "$.branches",  # the input carries on, branch outputs beside it
        } | self.go(self.target(join) if join else None)
        return name

    def _branch(self, lane: str, region: frozenset[str], inner: dict[str, Special]) -> dict:
        nodes = sorted(region, key=self.layout.pos.__getitem__)
        return Scope(self.ctx, nodes, inner, [lane], self.depth + 1).run()

    def _shared_special(self, fork: Fork) -> str | None:
        """Without a join: a target outside the frame every lane leads to (leaving the loop
        before going round again), if any."""
        reached = [self._specials_from(region) for region in fork.regions]
        shared = [k for k in reached[0] if all(k in r for r in reached[1:])]
        return min(shared, key=self._preference) if shared else None

    def _specials_from(self, region: frozenset[str]) -> list[str]:
        keys = sorted(region, key=self.layout.pos.__getitem__)
        found = (self.layout.dest(a) for k in keys for a in self.layout.arcs(k))
        return list(dict.fromkeys(t for t in found if t in self.special))


def _lanes(fork: Fork):
    return zip(fork.lanes, fork.regions, strict=True)


def at_rule(key: str, next_state: str) -> dict:
    return {"Variable": "$.at", "StringEquals": key, "Next": next_state}


def _end(scope: Scope, sp: Special) -> tuple[str, dict]:
    return "End of branch", {"Type": "Pass", "Comment": "the branch ends here", "End": True}


def report_flag(sp: Special) -> str:
    """How a listed round reports a way on: `@n3` again at n3, `n7` out to n7."""
    return f"@{sp.node}" if sp.kind == "again" else sp.node


def _report_params(scope: Scope, sp: Special) -> dict:
    if scope.listed:
        return {"next": "|" + (f"{report_flag(sp)}|" if sp.node != FINISH else "")}
    if sp.kind == "again":
        return {"next": AGAIN, "at": sp.node} if sp.at else {"next": AGAIN}
    return {"next": sp.node}


def _again(scope: Scope, sp: Special) -> tuple[str, dict]:
    params = _report_params(scope, sp)
    body = {
        "Type": "Pass",
        "Comment": f"back to {sp.node}: ends the round; the loop check starts the next",
        "Parameters": params | {"data.$": "$"},
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
        "Parameters": _report_params(scope, sp) | {"data.$": "$"},
        "End": True,
    }
    if sp.node == FINISH:
        return f"{scope.label(sp.loop or '')} (loop end)", body
    return f"Leave loop for {scope.label(sp.node)}", body


SPECIALS = {"end": _end, "again": _again, "again-error": _again_error, "exit": _exit}
# inside a fan-out branch: what an enclosing scope's special target becomes
IN_BRANCH = {"end": "end", "again": "again-error", "again-error": "again-error", "exit": "end"}
