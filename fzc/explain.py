"""`fzc explain`: what every node becomes and what every edge adds, as text or JSON."""

from __future__ import annotations

import json

from fzc.wire.plan import EdgePlan, NodePlan, Plan


def to_data(plan: Plan) -> dict:
    return {
        "diagram": plan.name,
        "nodes": [
            {
                "id": n.id,
                "lane": n.lane,
                "label": n.label,
                "kind": n.kind,
                "reason": n.reason,
                "resources": list(n.resources),
            }
            for n in plan.nodes
        ],
        "edges": [
            {
                "source": e.source,
                "target": e.target,
                "label": e.label,
                "rule": e.rule,
                "summary": e.summary,
                "effects": [
                    {"kind": x.kind, "resource": x.resource, **x.detail} for x in e.effects
                ],
            }
            for e in plan.edges
        ],
        "workflows": [
            {
                "state_machine": w.logical_id,
                "node": w.node,
                "start": w.start,
                "states": [s.key for s in w.steps],
            }
            for w in plan.workflows
        ],
    }


def as_json(plan: Plan) -> str:
    return json.dumps(to_data(plan), indent=2, ensure_ascii=False) + "\n"


def _value(v) -> str:
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


def _effect(kind: str, resource: str, detail: dict) -> str:
    parts = ", ".join(f"{k}={_value(v)}" for k, v in detail.items())
    return f"      + {kind} on {resource}" + (f": {parts}" if parts else "")


def node_lines(n: NodePlan) -> list[str]:
    """What one node becomes, as `as_text` shows it (editor hovers use it too)."""
    made = ", ".join(n.resources) or "a state only"
    return [f"  {n.id} {_value(n.label)} -> {n.kind}", f"      why: {n.reason}; becomes: {made}"]


def edge_lines(e: EdgePlan) -> list[str]:
    """What one edge expands to, as `as_text` shows it (editor hovers use it too)."""
    label = f" [{_value(e.label)}]" if e.label else ""
    head = f"  {e.source} -> {e.target}{label}: {e.rule} ({e.summary})"
    return [head, *(_effect(x.kind, x.resource, x.detail) for x in e.effects)]


def as_text(plan: Plan) -> str:
    lines = [f"diagram {plan.name}", "", "nodes:"]
    for n in plan.nodes:
        lines += node_lines(n)
    lines += ["", "edges:"]
    for e in plan.edges:
        lines += edge_lines(e)
    for w in plan.workflows:
        lines += [
            "",
            f"state machine {w.logical_id}: starts at {w.start}, states "
            + ", ".join(s.key for s in w.steps),
        ]
    return "\n".join(lines) + "\n"
