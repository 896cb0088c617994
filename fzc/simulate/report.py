"""A simulation's report: a trace in the diagram's words (`text`) or JSON (`data`).

The trace of a scenario is the edges it exercised, drawn as chains of diagram nodes:
`n1 S3 Bucket Upload --ObjectCreated--> n5 Image Processing Lambda --> ...`. A chain starts
at a node no exercised edge leads to and follows the first (in diagram order) exercised
edge out of each node; the edges left over start chains of their own. Nothing depends on
timing, so the same diagram gives the same trace.
"""

from __future__ import annotations

from fzc.diagnostics import Diagnostic
from fzc.simulate.records import Outcome, Report
from fzc.simulate.scenarios import FAULTS
from fzc.simulate.stores import COUNTERS
from fzc.source import Source
from fzc.wire.plan import Plan


def text(report: Report, source: Source) -> str:
    lines = _deployment(report, source)
    for o in report.outcomes:
        lines += ["", *_outcome(report.plan, o)]
    lines += ["", *_edges(report, source), "", _summary(report)]
    return "\n".join(lines) + "\n"


def _deployment(report: Report, source: Source) -> list[str]:
    head = f"fzc simulate {source.path}: {report.resources} resources deployed in moto"
    lines = [head, "  filled in what moto's CloudFormation leaves out:" if report.fills else ""]
    lines += [f"    {f.resource} ({f.what}): {f.how}" for f in report.fills]
    return [line for line in lines if line]


def _outcome(plan: Plan, o: Outcome) -> list[str]:
    lines = [f"scenario {o.number}: {o.scenario.name}: {'ok' if o.ok else 'FAILED'}"]
    lines.append(f"  sent {o.sent}")
    lines += [f"  made to fail: {_fault(plan, node, kind)}" for node, kind in o.scenario.fail]
    lines += [f"  {chain}" for chain in render_chains(plan, o.edges)] or ["  (no edge exercised)"]
    for r in o.runs:
        how = f" with {r.error}" if r.error else ""
        lines.append(f"  execution of {r.machine}: {r.status}{how} ({', '.join(r.states)})")
    if o.stored:
        units = {n.id: COUNTERS[n.kind_name][2] for n in plan.nodes if n.kind_name in COUNTERS}
        held = [f"{n} +{k} {units[n]}{'s' if k > 1 else ''}" for n, k in o.stored]
        lines.append("  stored: " + ", ".join(held))
    lines += [f"  not in the diagram: {call}" for call in o.unplanned]
    for e, why in o.verdicts:
        lines.append(f"  expect {e.text}: " + (f"FAILED, {why}" if why else "ok"))
    return lines


def _fault(plan: Plan, node: str, kind: str) -> str:
    labels = {n.id: n.label for n in plan.nodes}
    return f"{node} {labels[node]} ({kind}: raises {FAULTS[kind]})"


def _edges(report: Report, source: Source) -> list[str]:
    plan, used = report.plan, report.exercised()
    done = [i for i, nums in used.items() if nums]
    lines = [f"edges exercised: {len(done)} of {len(used)}"]
    for i in done:
        nums = ", ".join(str(n) for n in used[i])
        lines.append(
            f"  {edge_text(plan, i, source)}  (scenario{'s' if len(used[i]) > 1 else ''} {nums})"
        )
    never = [i for i, nums in used.items() if not nums]
    lines.append("never exercised: " + ("none" if not never else ""))
    lines += [f"  {edge_text(plan, i, source)}" for i in never]
    return lines


def _summary(report: Report) -> str:
    failed = sum(not o.ok for o in report.outcomes)
    total = len(report.outcomes)
    static = sum(d.is_error for d in report.checks)
    checks = f"; {static} static check{'s' if static != 1 else ''} failed" if static else ""
    return (
        f"{total} scenario{'s' if total != 1 else ''}: {total - failed} ok, {failed} failed{checks}"
    )


def render_chains(plan: Plan, edges: tuple[int, ...]) -> list[str]:
    return [_chain_text(plan, c) for c in chains(plan, edges)]


def chains(plan: Plan, edges: tuple[int, ...]) -> list[list[int]]:
    left = sorted(edges)
    targets = {plan.edges[i].target for i in left}
    out: list[list[int]] = []
    while left:
        first = min(left, key=lambda i: (plan.edges[i].source in targets, i))
        path = [first]
        left.remove(first)
        while nxt := [i for i in left if plan.edges[i].source == plan.edges[path[-1]].target]:
            path.append(nxt[0])
            left.remove(nxt[0])
        out.append(path)
    return out


def _chain_text(plan: Plan, path: list[int]) -> str:
    labels = {n.id: n.label for n in plan.nodes}
    first = plan.edges[path[0]].source
    parts = [f"{first} {labels.get(first, '')}".strip()]
    for i in path:
        e = plan.edges[i]
        arrow = f"--{e.label}-->" if e.label else "-->"
        parts.append(f"{arrow} {e.target} {labels.get(e.target, '')}".strip())
    return " ".join(parts)


def edge_text(plan: Plan, index: int, source: Source) -> str:
    e = plan.edges[index]
    line = _line(plan, index, source)
    label = f' "{e.label}"' if e.label else ""
    return f"line {line}: {e.source} -> {e.target}{label}"


def _line(plan: Plan, index: int, source: Source) -> int:
    edge = next((e for e in plan.diagram.edges if e.index == index), None)
    return source.line_col(edge.span.start)[0] if edge else 0


# -- JSON ------------------------------------------------------------------------------------
def data(report: Report, source: Source, diagnostics: list[Diagnostic]) -> dict:
    plan, used = report.plan, report.exercised()
    return {
        "diagram": source.path,
        "ok": not any(d.is_error for d in diagnostics),
        "deployment": {
            "resources": report.resources,
            "filled": [
                {"resource": f.resource, "what": f.what, "how": f.how} for f in report.fills
            ],
        },
        "diagnostics": [_diagnostic(d, source) for d in diagnostics],
        "scenarios": [_scenario(plan, o) for o in report.outcomes],
        "edges": [_edge(plan, i, source) | {"scenarios": used[i]} for i in sorted(used)],
        "summary": {
            "scenarios": len(report.outcomes),
            "failed": sum(not o.ok for o in report.outcomes),
            "edges": len(used),
            "exercised": sum(bool(n) for n in used.values()),
        },
    }


def _scenario(plan: Plan, o: Outcome) -> dict:
    return {
        "number": o.number,
        "name": o.scenario.name,
        "node": o.scenario.node,
        "sent": o.sent,
        "fail": [{"node": n, "kind": k, "error": FAULTS[k]} for n, k in o.scenario.fail],
        "ok": o.ok,
        "edges": list(o.edges),
        "trace": [
            [plan.edges[path[0]].source, *(plan.edges[i].target for i in path)]
            for path in chains(plan, o.edges)
        ],
        "executions": [
            {"node": r.machine, "status": r.status, "error": r.error, "states": list(r.states)}
            for r in o.runs
        ],
        "invocations": [{"function": f, "error": err} for f, err in o.invoked],
        "stored": dict(o.stored),
        "unplanned_calls": list(o.unplanned),
        "expectations": [
            {"expect": e.text, "ok": why is None, "why": why} for e, why in o.verdicts
        ],
        "problems": [d.code.code for d in o.problems],
    }


def _edge(plan: Plan, index: int, source: Source) -> dict:
    e = plan.edges[index]
    line = _line(plan, index, source)
    return {"index": index, "from": e.source, "to": e.target, "label": e.label, "line": line}


def _diagnostic(d: Diagnostic, source: Source) -> dict:
    line, column = source.line_col(d.primary.span.start)
    return {
        "code": d.code.code,
        "name": d.code.name,
        "severity": d.level.value,
        "message": d.message,
        "line": line,
        "column": column,
        "help": d.help,
    }
