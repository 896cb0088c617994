"""A test-only oracle: does an ASL definition realise every transition of its workflow?

It runs the definition in a small interpreter of the ASL fzc writes (Pass, Task, Choice,
Parallel with Retry and Catch, Succeed, Fail; JSONPath `$.a.b[0]`; the intrinsics
`States.Format`, `States.MathAdd`, `States.JsonToString`), and explores *every* execution
instead of one:

- a diagram decision (a Choice whose rules test `IsPresent` first, as `steps.rule` writes
  them, and the `$.entry` Choice) may take any of its rules or its Default;
- a task with a `Catch` may succeed or fail, and a failure may take any of its catchers that
  some error reaches (one its `ErrorEquals` names, or any error for `States.ALL`, that no
  catcher before it takes); a task without one succeeds: its failure only fails the
  execution;
- functions echo their input; everything else (the due list, loop counters, `at`, the
  round's report) is computed as AWS computes it, and a Choice of the lowering reading a
  missing field is an error, as in AWS.

Parallel branches are explored one by one and their outcomes combined; a fan-out Parallel's
outputs (`$.branches`, which no rule reads) are kept as a placeholder so the data stays small.
Configurations (state, data, pending obligations) are memoised, so a definition of a few
hundred states is explored in well under a second (the state space can grow exponentially
with loops of fan-outs: bench/gen.py 80 --seed 1 --back 0.1 takes ~20 s).

The spec is the workflow's transitions as the lowering classifies them (`flow.build`,
`steps.live_arcs`: normal flow, decision branches, Catch routes, each with the errors its
catcher lists; a transition the classification leaves out is reported). When step A
finishes, each transition it takes becomes an *obligation*: every `next` arc of a step that
finished normally, the arc of the branch a decision took, the arc of the catcher a failure
took (its catchers are the step's catch arcs, in order); it is
discharged when the arc's target step runs (one run discharges all obligations towards it:
a join runs once). Then, for each arc A -> B:

- *realised*: some execution takes the arc and then runs B (or is stopped by a loop's limit
  while B is still ahead: a loop every round of which goes round again fails there, and
  what comes after it cannot run; it would, were the loop to stop);
- *never dropped*: an execution that takes the arc and ends normally has run B after it; one
  stopped by a loop's limit still had B ahead of it (or B is in that loop: the limit stops
  its ways round again);
- and nothing runs out of turn: every step that runs had an obligation pending for it (a
  round started again from its first step, say, runs steps nobody asked for).
"""

from __future__ import annotations

import copy
import fnmatch
import itertools
import json
import re
from dataclasses import dataclass, field

from fzc.backends.asl import flow as flows
from fzc.backends.asl.flow import ROOT, Arc
from fzc.backends.asl.states import LOOP_REPEATS, Ctx
from fzc.backends.asl.steps import branch_rules, live_arcs
from fzc.wire.tasks import LAMBDA_INVOKE

LOOP_LIMIT = "fzc.LoopLimitReached"
BRANCHES = "<branch outputs>"  # what a fan-out Parallel's `$.branches` holds here
ERROR = {"Error": "Explored", "Cause": "a failure the explorer chose"}


class Stuck(Exception):
    """The definition does something AWS would reject at run time (a missing path...)."""


@dataclass
class Report:
    arcs: list[Arc]
    realised: set[int] = field(default_factory=set)
    dropped: dict[int, str] = field(default_factory=dict)  # arc -> one way it is dropped
    spurious: dict[str, str] = field(default_factory=dict)  # step -> how it ran unasked
    errors: set[str] = field(default_factory=set)  # plumbing errors, escaped errors
    unclassified: list[str] = field(default_factory=list)  # transitions with no arc
    configurations: int = 0
    succeeded: bool = False  # some execution ends normally

    def problems(self, realised: bool = True) -> list[str]:
        """Everything dropped, run out of turn or stuck. With `realised` False, not the arcs
        no execution realises (a step behind a loop every round of which goes round again,
        or behind a decision branch whose value an earlier branch repeats, never runs)."""
        out = []
        for i, arc in enumerate(self.arcs):
            what = f"{arc.source} -> {arc.target} ({arc.kind})"
            if i not in self.realised and realised:
                out.append(f"{what}: no execution runs {arc.target} after taking it")
            elif i in self.dropped:
                out.append(f"{what}: dropped on a way through: {self.dropped[i]}")
        out += [f"{k} runs unasked: {why}" for k, why in sorted(self.spurious.items())]
        return out + self.unclassified + sorted(self.errors)


def check(plan, workflow, definition: dict) -> Report:
    """Explore every execution of `definition` (the workflow's) and report what it drops."""
    report = _Explorer(plan, workflow, definition).run()
    report.unclassified = _unclassified(flows.build(plan, workflow))
    return report


def _unclassified(flow) -> list[str]:
    """The workflow's transitions no arc stands for: the spec would not see them dropped."""
    arcs = {(a.edge, a.target) for a in flow.arcs}
    return [
        f"{t.source} -> {t.target} (edge {t.edge}): no arc, so no state realises it"
        for t in flow.workflow.transitions
        if t.source != ROOT and t.target in flow.steps and (t.edge, t.target) not in arcs
    ]


# -- the spec -------------------------------------------------------------------------------
def _spec(plan, workflow):
    flow = flows.build(plan, workflow)
    arcs: list[Arc] = []
    for key in flow.steps:
        arcs += live_arcs(flow, key)
    arcs = list(dict.fromkeys(arcs))
    roots = [Arc(ROOT, r, None, None, "root") for r in flow.roots]
    return flow, arcs, roots


def _heads(flow) -> dict[str, str]:
    """The start of each step state's Comment (node id, or `src -> node` for a task)."""
    ctx = Ctx(flow, lambda offset: None)
    heads = {ctx.comment(step): key for key, step in flow.steps.items()}
    assert len(heads) == len(flow.steps), "two steps with one comment"
    return heads


_LINE = re.compile(r", line \d+$")


class _Explorer:
    def __init__(self, plan, workflow, definition: dict) -> None:
        self.flow, arcs, roots = _spec(plan, workflow)
        self.arcs = arcs + roots
        self.report = Report(arcs)
        self.root_ids = frozenset(range(len(arcs), len(self.arcs)))
        self.entry_mode = self.flow.root_mode != "parallel" or len(roots) < 2
        self.index = {a: i for i, a in enumerate(self.arcs)}
        self.by_target: dict[str, frozenset[int]] = {}
        for i, a in enumerate(self.arcs):
            self.by_target[a.target] = self.by_target.get(a.target, frozenset()) | {i}
        heads = _heads(self.flow)
        self.step_of: dict[str, str] = {}
        for name, state in _all_states(definition):
            head = _LINE.sub("", state.get("Comment", "").split(";")[0])
            if head in heads:
                assert name not in self.step_of, f"two states for {heads[head]}"
                self.step_of[name] = heads[head]
        self.definition = definition
        self.memo: dict[tuple, frozenset] = {}
        self.graph = _Graph(definition)
        self.inside = {id(b): self._towards(self.graph.steps_in(b)) for b in self.graph.branches}
        self.rounds = self._rounds()

    def _towards(self, names: set[str]) -> frozenset[int]:
        """The obligations towards the steps of these states."""
        steps = {self.step_of[n] for n in names if n in self.step_of}
        return frozenset().union(*(self.by_target.get(k, frozenset()) for k in steps))

    def _rounds(self) -> dict[str, frozenset[int]]:
        """Each loop check (a Choice reading `$.round`) -> the obligations towards the steps
        of the rounds it checks: the Parallel whose way on reaches it through states of the
        lowering (no step)."""
        out: dict[str, frozenset[int]] = {}
        for scope in self.graph.scopes:
            states = scope["States"]
            for st in states.values():
                if st["Type"] != "Parallel":
                    continue
                arcs = frozenset().union(*(self.inside[id(b)] for b in st["Branches"]))
                todo, seen = [st.get("Next")], set()
                while todo:
                    n = todo.pop()
                    if n is None or n in seen or n not in states or n in self.step_of:
                        continue
                    seen.add(n)
                    nxt = states[n]
                    if _checks_round(nxt):
                        out[n] = out.get(n, frozenset()) | arcs
                        continue
                    todo += _targets(nxt)
        return out

    # -- running --------------------------------------------------------------------------
    def run(self) -> Report:
        d = self.definition
        try:
            outcomes = self._scope(d, d["StartAt"], {}, self.root_ids)
        except Stuck as e:
            self.report.errors.add(f"stuck: {e}")
            return self.report
        allowed = {LOOP_LIMIT} | {
            s["Error"] for n, s in _all_states(d) if s["Type"] == "Fail" and n in self.step_of
        }
        for status, value, pending in outcomes:
            if status == "fail" and value not in allowed:
                self.report.errors.add(f"an execution fails with {value}")
            if status != "end":
                continue
            self.report.succeeded = True
            for i in pending:
                if i in self.root_ids and self.entry_mode:
                    continue
                self.report.dropped.setdefault(i, "the execution ends before it runs")
        return self.report

    def _scope(self, scope: dict, start: str, doc, pending: frozenset) -> frozenset:
        """Outcomes of running one States object: ("end", output, pending) or ("fail", error,
        pending)."""
        key = (id(scope), start, _key(doc), pending)
        if key in self.memo:
            return self.memo[key]
        states = scope["States"]
        outcomes: set = set()
        todo = [(start, doc, pending)]
        seen: set = set()
        while todo:
            name, doc, pending = todo.pop()
            mark = (name, _key(doc), pending)
            if mark in seen:
                continue
            seen.add(mark)
            self.report.configurations += 1
            if name not in states:
                raise Stuck(f"transition to unknown state {name!r}")
            for nxt in self._state(name, states[name], doc, self._enter(name, pending)):
                if nxt[0] == "next":
                    todo.append(nxt[1:])
                else:
                    outcomes.add(nxt)
        self.memo[key] = frozenset(outcomes)
        return self.memo[key]

    def _enter(self, name: str, pending: frozenset) -> frozenset:
        step = self.step_of.get(name)
        if step is None:
            return pending
        mine = pending & self.by_target.get(step, frozenset())
        if not mine:
            self.report.spurious.setdefault(step, f"state {name!r} with nothing pending for it")
        self.report.realised |= {i for i in mine if i < len(self.report.arcs)}
        return pending - mine

    def _done(self, name: str, kind: str, pending: frozenset, arc: int | None = None):
        """Obligations a step adds when it finishes: `kind` next (normally), catch, or the
        branch a decision took (`arc`)."""
        step = self.step_of.get(name)
        if step is None:
            return pending
        if kind in ("branch", "catch"):
            return pending | {arc}
        return pending | {self.index[a] for a in self.flow.out(step, kind)}

    def _limit(self, name: str, s: dict, pending: frozenset) -> None:
        """A loop check stops the execution at the loop's limit: what is pending must still
        be ahead (where the loop goes when it is left), or in the loop."""
        # where the loop goes when it is left (with no way out: where its frame ends)
        ahead = self._towards(self.graph.reach(s["Default"]))
        for i in pending - self.rounds.get(name, frozenset()):
            if i in ahead:
                self.report.realised |= {i} if i < len(self.report.arcs) else set()
            elif i < len(self.report.arcs):
                why = f"when the loop at {name!r} reaches its limit, the step is behind it"
                self.report.dropped.setdefault(i, why)

    # -- states ---------------------------------------------------------------------------
    def _state(self, name: str, s: dict, doc, pending: frozenset):
        kind = s["Type"]
        raw = doc
        doc = _path(raw, s.get("InputPath", "$"))
        if kind == "Pass":
            result = _params(s["Parameters"], doc) if "Parameters" in s else doc
            out = _output(s, _result_path(raw, s.get("ResultPath", "$"), result))
            yield self._go(s, out, self._done(name, "next", pending))
        elif kind == "Task":
            yield from self._task(name, s, raw, doc, pending)
        elif kind == "Choice":
            yield from self._choice(name, s, doc, pending)
        elif kind == "Succeed":
            yield ("end", _key(_output(s, doc)), pending)
        elif kind == "Fail":
            yield ("fail", s.get("Error", "States.Fail"), pending)
        elif kind == "Parallel":
            yield from self._parallel(s, raw, doc, pending)
        else:
            raise Stuck(f"{name}: state type {kind} not explored")

    def _go(self, s: dict, out, pending: frozenset):
        if s.get("End"):
            return ("end", _key(out), pending)
        return ("next", s["Next"], out, pending)

    def _task(self, name: str, s: dict, raw, doc, pending: frozenset):
        params = _params(s.get("Parameters", {}), doc)
        if s.get("Resource") == LAMBDA_INVOKE:  # the function echoes its input
            result = {"Payload": copy.deepcopy(params.get("Payload")), "StatusCode": 200}
        else:
            result = {}
        if "ResultSelector" in s:
            result = _params(s["ResultSelector"], result)
        out = _output(s, _result_path(raw, s.get("ResultPath", "$"), result))
        yield self._go(s, out, self._done(name, "next", pending))
        catchers = s.get("Catch", [])
        arcs = self._catch_arcs(name, catchers)
        for i, error in _caught(catchers):
            caught = _result_path(raw, catchers[i].get("ResultPath", "$"), ERROR | {"Error": error})
            done = self._done(name, "catch", pending, self.index[arcs[i]])
            yield ("next", catchers[i]["Next"], caught, done)

    def _catch_arcs(self, name: str, catchers: list[dict]) -> list[Arc]:
        """The step's catch arcs, one per catcher, in order."""
        arcs = self.flow.out(self.step_of[name], "catch")
        spec = [list(a.errors) for a in arcs]
        if [c["ErrorEquals"] for c in catchers] != spec:
            raise Stuck(f"{name}: catchers {[c['ErrorEquals'] for c in catchers]} are not {spec}")
        return arcs

    def _choice(self, name: str, s: dict, doc, pending: frozenset):
        rules = s.get("Choices", [])
        out = _output(s, doc)
        if rules and all("IsPresent" in r.get("And", [{}])[0] for r in rules):
            yield from self._decide(name, s, out, pending)
            return
        if _checks_round(s) and _lookup(doc, "$.round") not in (_MISSING, None):
            if _lookup(doc, "$.round") >= LOOP_REPEATS:
                # past the last round, the ways round again a round asked for are dropped by
                # the bound, not by the lowering
                pending = pending - self.rounds.get(name, frozenset())
        nxt = next((r["Next"] for r in rules if _test(r, doc)), s.get("Default"))
        if nxt is None:
            raise Stuck(f"{name}: no rule matches and no Default")
        if self.graph.error(nxt) == LOOP_LIMIT and "Default" in s:
            self._limit(name, s, pending)
        yield ("next", nxt, out, pending)

    def _decide(self, name: str, s: dict, out, pending: frozenset):
        """A diagram decision (or the entry Choice) may go any way."""
        step = self.step_of.get(name)
        options = [r["Next"] for r in s["Choices"]] + [s["Default"]]
        if step is None:
            for nxt in dict.fromkeys(options):
                yield ("next", nxt, out, pending)
            return
        rules, (_, default) = branch_rules(self.flow, step)
        values = [r["And"][1]["StringEquals"] for r in s["Choices"]]
        if values != [v for v, _ in rules]:
            raise Stuck(f"{name}: rules {values} are not the decision's {[v for v, _ in rules]}")
        arcs = [a for _, a in rules] + [default]
        for nxt, arc in zip(options, arcs, strict=True):
            yield ("next", nxt, out, self._done(name, "branch", pending, self.index[arc]))

    def _parallel(self, s: dict, raw, doc, pending: frozenset):
        retry = next(iter(s.get("Retry", [])), None)
        attempts = retry.get("MaxAttempts", 3) if retry else 0
        todo, seen = [(pending, 0)], set()
        while todo:
            start, tries = todo.pop()
            if (start, tries) in seen:
                continue
            seen.add((start, tries))
            for status, value, after in self._branches(s, doc, start):
                if status == "end":
                    out = _output(s, _result_path(raw, s.get("ResultPath", "$"), value))
                    yield self._go(s, out, after)
                    continue
                if retry and _matches(retry["ErrorEquals"], value) and tries < attempts:
                    todo.append((after, tries + 1))  # the round runs again from its input
                    continue
                catcher = next(
                    (c for c in s.get("Catch", []) if _matches(c["ErrorEquals"], value)), None
                )
                if catcher is None:
                    yield ("fail", value, after)
                else:
                    error = ERROR | {"Error": value}
                    caught = _result_path(raw, catcher.get("ResultPath", "$"), error)
                    yield ("next", catcher["Next"], caught, after)

    def _branches(self, s: dict, doc, pending: frozenset):
        """The Parallel's outcomes: ("end", result, pending) or ("fail", error, pending).
        Each branch is explored with the obligations towards its own steps and towards
        steps after the Parallel (not those its siblings discharge)."""
        branches = s["Branches"]
        others = [
            frozenset().union(*(self.inside[id(b)] for j, b in enumerate(branches) if j != i))
            for i in range(len(branches))
        ]
        each = [
            self._scope(b, b["StartAt"], doc, pending - others[i]) for i, b in enumerate(branches)
        ]
        for i, outs in enumerate(each):  # any branch failing fails the Parallel
            for status, value, after in outs:
                if status == "fail":
                    yield ("fail", value, after | (pending & others[i]))
        ended = [[o for o in outs if o[0] == "end"] for outs in each]
        combos: set = set()
        for combo in itertools.product(*ended):
            after = frozenset().union(*(o[2] for o in combo))
            result = [json.loads(combo[0][1])] if len(branches) == 1 else BRANCHES
            if "ResultSelector" in s:
                result = _params(s["ResultSelector"], result)
            combos.add((_key(result), after))
        for result, after in combos:
            yield ("end", json.loads(result), after)


class _Graph:
    """The definition's states as a graph: where each can lead, into and out of Parallel
    branches (a branch's end leads on after its Parallel)."""

    def __init__(self, d: dict) -> None:
        self.scopes: list[dict] = []
        self.branches: list[dict] = []
        self.where: dict[str, dict] = {}  # state -> its States object
        self.after: dict[int, str | None] = {}  # branch -> the Parallel it belongs to
        self.parallel: dict[str, str] = {}
        todo: list[tuple[dict, str | None]] = [(d, None)]
        while todo:
            scope, parallel = todo.pop()
            self.scopes.append(scope)
            self.after[id(scope)] = parallel
            for name, st in scope["States"].items():
                self.where[name] = st
                self.parallel[name] = parallel or ""
                for b in st.get("Branches", []):
                    self.branches.append(b)
                    todo.append((b, name))
        self._reach: dict[str, frozenset[str]] = {}

    def error(self, name: str) -> str | None:
        st = self.where.get(name, {})
        return st.get("Error") if st.get("Type") == "Fail" else None

    def steps_in(self, scope: dict) -> set[str]:
        return {n for n, _ in _all_states(scope)}

    def _next(self, name: str) -> list[str]:
        st = self.where[name]
        found = _targets(st) + [b["StartAt"] for b in st.get("Branches", [])]
        # a loop's limit is read as the end of its frame: were the loop to stop, the flow
        # would go on after it (a loop with no way out can only stop so)
        ends = st.get("End") or st["Type"] == "Succeed" or self.error(name) == LOOP_LIMIT
        if ends:  # the branch ends: its Parallel goes on (or ends its own branch...)
            found += self.on(name)
        return found

    def on(self, name: str) -> list[str]:
        """Where the flow goes on when the States object holding `name` ends."""
        parallel = self.parallel[name]
        if not parallel:
            return []
        nxt = self.where[parallel].get("Next")
        return [nxt] if nxt else self.on(parallel)

    def reach(self, start: str) -> frozenset[str]:
        """The states `start` may lead to (itself included)."""
        if start not in self._reach:
            seen, todo = {start}, [start]
            while todo:
                for n in self._next(todo.pop()):
                    if n not in seen:
                        seen.add(n)
                        todo.append(n)
            self._reach[start] = frozenset(seen)
        return self._reach[start]


def _checks_round(st: dict) -> bool:
    """A loop check: a Choice reading the round counter."""
    return st.get("Type") == "Choice" and '"$.round"' in json.dumps(st.get("Choices"))


def _targets(st: dict) -> list[str]:
    found = [st[k] for k in ("Next", "Default") if k in st]
    found += [r["Next"] for r in st.get("Choices", [])]
    return found + [c["Next"] for c in st.get("Catch", [])]


# -- JSON paths and intrinsics --------------------------------------------------------------
_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")
_MISSING = object()


def _key(doc) -> str:
    return json.dumps(doc, sort_keys=True)


def _steps(path: str) -> list:
    if not path.startswith("$"):
        raise Stuck(f"not a path: {path!r}")
    rest, out, at = path[1:], [], 0
    for m in _STEP.finditer(rest):
        if m.start() != at:
            raise Stuck(f"path not understood: {path!r}")
        out.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
        at = m.end()
    if at != len(rest):
        raise Stuck(f"path not understood: {path!r}")
    return out


def _lookup(doc, path: str):
    value = doc
    for step in _steps(path):
        if isinstance(step, int):
            if not isinstance(value, list) or step >= len(value):
                return _MISSING
            value = value[step]
        elif isinstance(value, dict) and step in value:
            value = value[step]
        else:
            return _MISSING
    return value


def _path(doc, path: str | None):
    if path is None:
        return {}
    value = _lookup(doc, path)
    if value is _MISSING:
        raise Stuck(f"path {path} missing from {_key(doc)[:200]}")
    return value


def _result_path(raw, path, result):
    if path is None:
        return raw
    steps = _steps(path)
    if not steps:
        return result
    out = copy.deepcopy(raw)
    node = out
    for step in steps[:-1]:
        if not isinstance(node, dict):
            raise Stuck(f"ResultPath {path} through a non-object")
        node = node.setdefault(step, {})
    if not isinstance(node, dict):
        raise Stuck(f"ResultPath {path} into a non-object")
    node[steps[-1]] = copy.deepcopy(result)
    return out


def _output(s: dict, doc):
    return _path(doc, s["OutputPath"]) if "OutputPath" in s else doc


def _params(template, doc):
    if isinstance(template, dict):
        out = {}
        for k, v in template.items():
            if k.endswith(".$"):
                out[k[:-2]] = _expr(v, doc)
            else:
                out[k] = _params(v, doc)
        return out
    if isinstance(template, list):
        return [_params(v, doc) for v in template]
    return template


_CALL = re.compile(r"(States\.\w+)\((.*)\)$", re.S)


def _expr(text: str, doc):
    if text.startswith("$$"):
        return "<context>"
    if text.startswith("$"):
        return copy.deepcopy(_path(doc, text))
    m = _CALL.match(text.strip())
    if not m:
        raise Stuck(f"expression not understood: {text!r}")
    args = [_arg(a, doc) for a in _split(m.group(2))]
    name = m.group(1)
    if name == "States.Format":
        parts = args[0].split("{}")
        if len(parts) != len(args):
            raise Stuck(f"States.Format arity: {text!r}")
        out = parts[0]
        for value, part in zip(args[1:], parts[1:], strict=True):
            out += (value if isinstance(value, str) else json.dumps(value)) + part
        return out
    if name == "States.MathAdd":
        return args[0] + args[1]
    if name == "States.JsonToString":
        return json.dumps(args[0])
    raise Stuck(f"intrinsic {name} not explored")


def _arg(text: str, doc):
    text = text.strip()
    if text.startswith("'"):
        return text[1:-1].replace("\\'", "'")
    if text.startswith(("$", "States.")):
        return _expr(text, doc)
    return json.loads(text)


def _split(args: str) -> list[str]:
    """Top-level comma-separated arguments of an intrinsic."""
    out, depth, quoted, cur = [], 0, False, ""
    for ch in args:
        if ch == "'" and not cur.endswith("\\"):
            quoted = not quoted
        if not quoted:
            depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and not quoted and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    return [*out, cur] if cur.strip() else out


def _test(rule: dict, doc) -> bool:
    if "And" in rule:
        return all(_test(r, doc) for r in rule["And"])
    if "Or" in rule:
        return any(_test(r, doc) for r in rule["Or"])
    if "Not" in rule:
        return not _test(rule["Not"], doc)
    value = _lookup(doc, rule["Variable"])
    if "IsPresent" in rule:
        return (value is not _MISSING) == rule["IsPresent"]
    if value is _MISSING:
        raise Stuck(f"Choice reads {rule['Variable']}, missing from {_key(doc)[:200]}")
    if "StringEquals" in rule:
        return value == rule["StringEquals"]
    if "StringMatches" in rule:
        return isinstance(value, str) and fnmatch.fnmatchcase(value, rule["StringMatches"])
    if "NumericLessThan" in rule:
        return value < rule["NumericLessThan"]
    raise Stuck(f"Choice rule not understood: {rule}")


def _matches(errors: list[str], error: str) -> bool:
    return error in errors or "States.ALL" in errors


def _caught(catchers: list[dict]) -> list[tuple[int, str]]:
    """(catcher, an error it takes) for each catcher some error reaches: the errors the
    catchers name, and one they do not (`ERROR`'s)."""
    names = [e for c in catchers for e in c["ErrorEquals"] if not e.startswith("States.ALL")]
    taken: dict[int, str] = {}
    for error in dict.fromkeys([*names, ERROR["Error"]]):
        i = next((i for i, c in enumerate(catchers) if _matches(c["ErrorEquals"], error)), None)
        if i is not None:
            taken.setdefault(i, error)
    return sorted(taken.items())


def _all_states(d: dict):
    todo = [d]
    while todo:
        scope = todo.pop()
        for name, state in scope["States"].items():
            yield name, state
            todo += state.get("Branches", [])
