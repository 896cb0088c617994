"""Decide every node's kind: `system:` override, then label keywords, then shape."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fzc.diagnostics import Diagnostic, diag
from fzc.diagnostics.codes import CODES
from fzc.model import Diagram, Node
from fzc.wire import kinds
from fzc.wire.kinds import BY_NAME, Kind


@dataclass(frozen=True, slots=True)
class Typed:
    """A node's kind and the reason it was chosen (shown by `fzc explain`)."""

    node: Node
    kind: Kind
    reason: str
    generic: bool = False  # a step typed by its shape alone, not by a keyword or system:
    dlq: bool = False  # a queue that the label names a dead-letter queue
    stream: bool = False  # a table whose label names its stream


def _by_shape(node: Node, ins: int, outs: int) -> tuple[Kind, str, bool]:
    if node.shape == "diamond":
        return BY_NAME["choice"], "shape diamond: a decision", False
    if node.shape == "circle":
        if ins == 0:
            return BY_NAME["start"], "shape circle with no incoming edge: a start event", False
        if outs == 0:
            return BY_NAME["end"], "shape circle with no outgoing edge: an end event", False
        return BY_NAME["pass"], "shape circle between edges: a milestone", False
    return BY_NAME["lambda"], f"shape {node.shape} with no service keyword: a compute step", True


def _from_label(node: Node, out: list[Diagnostic]) -> tuple[Kind, str] | None:
    label = node.label
    found = kinds.keyword_kinds(label)
    if not found:
        return None
    kind, ambiguous = kinds.settle(found)
    names = [k.name for _, k in found]
    if ambiguous:
        hints = " or ".join(f"`{kinds.system_hint(k)}`" for _, k in found)
        out.append(
            diag(
                CODES["FZ3001"],
                f"label of `{node.id}` names {', '.join(names)}",
                node.span,
                label=f"taken as {kind.name} (the last service named)",
                help=f"settle it with {hints}",
            )
        )
    return kind, f"keyword in label ({', '.join(names)})"


def _type_one(node: Node, ins: int, outs: int, out: list[Diagnostic]) -> Typed:
    system = node.attr("system")
    text = node.label[: kinds.KEYWORD_WINDOW].lower()
    extra = {
        "dlq": bool(kinds.DLQ_WORDS.search(text)),
        "stream": bool(kinds.STREAM_WORDS.search(text)),
    }
    if system is not None:
        kind = kinds.lookup_system(system)
        if kind is not None:
            return Typed(node, kind, f'system:"{system}"', **extra)
        out.append(
            diag(
                CODES["FZ3002"],
                f'`system:"{system}"` names no AWS kind fzc knows',
                node.span,
                label="kind inferred from the label and shape instead",
                help="use a CloudFormation type such as `AWS::SQS::Queue` or one of: "
                + ", ".join(kinds.SYSTEM_NAMES),
            )
        )
    if node.shape != "diamond":
        picked = _from_label(node, out)
        if picked:
            return Typed(node, picked[0], picked[1], **extra)
    kind, reason, generic = _by_shape(node, ins, outs)
    return Typed(node, kind, reason, generic=generic, **extra)


def infer(d: Diagram) -> tuple[Mapping[str, Typed], list[Diagnostic]]:
    ins: dict[str, int] = dict.fromkeys(d.by_id, 0)
    outs: dict[str, int] = dict.fromkeys(d.by_id, 0)
    for e in d.edges:
        if e.source.node in outs and e.target.node in ins:
            outs[e.source.node] += 1
            ins[e.target.node] += 1
    out: list[Diagnostic] = []
    typed = {n.id: _type_one(n, ins[n.id], outs[n.id], out) for n in d.by_id.values()}
    return typed, out
