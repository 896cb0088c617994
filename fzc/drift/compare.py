"""Diagram vs template: findings as diagnostics at the `.fz` node or edge they concern.

After matching entities (match.py), every expected link is looked up in the template's links:
present, realised differently (reversed, re-targeted, another kind), or missing. Template
entities and links between matched entities that the diagram does not show are reported as
warnings (errors under `--strict`). Workflows are compared state by state (workflow.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from fzc.diagnostics import Diagnostic, diag
from fzc.diagnostics.codes import CODES
from fzc.drift import workflow
from fzc.drift.expect import Entity, Expectation, Expected
from fzc.drift.index import ENTITY_TYPES, Index
from fzc.drift.links import ANY, Link, covers
from fzc.source import Span

KIND_TEXT: dict[str, str] = {
    "notification": "S3 event notification",
    "event-source-mapping": "event source mapping",
    "route": "API route",
    "rule-target": "rule target",
    "subscription": "SNS subscription",
    "permission": "invoke permission",
    "resource-policy": "resource policy",
    "iam": "IAM grant",
    "env": "environment variable",
    "task": "state machine task",
    "redrive": "redrive policy",
    "dead-letter": "dead-letter configuration",
}
# Kinds that carry the data flow itself; the rest (grants, policies, env) support it.
PRIMARY = ("notification", "event-source-mapping", "route", "rule-target", "subscription")
PRIMARY += ("redrive", "dead-letter", "task")
HELP: dict[str, str] = {
    "notification": "add the destination to the bucket's NotificationConfiguration",
    "event-source-mapping": "add an AWS::Lambda::EventSourceMapping from the source",
    "route": "add an HTTP API route (or REST method) integrating the function",
    "rule-target": "add the target to the rule's Targets",
    "subscription": "add an AWS::SNS::Subscription (or a topic Subscription entry)",
    "permission": "add an AWS::Lambda::Permission for the invoking service",
    "resource-policy": "add a queue or topic policy statement for the sending service",
    "iam": "grant the actions on the resource in the role's policy",
    "env": "pass the resource to the function in an environment variable",
    "task": "add a task state calling the resource to the state machine definition",
    "redrive": "set the queue's RedrivePolicy deadLetterTargetArn",
    "dead-letter": "set the function's DeadLetterConfig TargetArn",
}


@dataclass
class Target:
    """What the diagram is compared against."""

    name: str  # "template.yaml", "stack prod": used in messages
    index: Index
    links: list[Link]
    locate: Callable[[str], Span] | None = None  # a resource's place in the template text


@dataclass
class Findings:
    """Drift diagnostics, split by the text they point into: the diagram or the template."""

    diagram: list[Diagnostic] = field(default_factory=list)
    template: list[Diagnostic] = field(default_factory=list)  # spans in the template text


class Comparison:
    def __init__(self, x: Expectation, target: Target, m: dict[str, str]) -> None:
        self.x, self.t, self.m = x, target, m
        self.back = {v: k for k, v in m.items()}
        self.out = Findings()
        self.used: set[Link] = set()
        self.by_kind: dict[tuple[str, str, str], list[Link]] = {}
        for link in target.links:
            self.by_kind.setdefault((link.kind, link.source, link.target), []).append(link)
        self.expected_keys = {(kind, m.get(s), m.get(t)) for kind, s, t in x.allowed}

    # --- naming -------------------------------------------------------------------------
    def plan_text(self, key: str) -> str:
        e = self.x.entities[key]
        return f'{e.node} "{e.label}"' if e.primary else f"generated {e.label!r} ({key})"

    def tpl_text(self, lid: str) -> str:
        key = self.back.get(lid)
        if key is None:
            return f"{lid} (not in the diagram)"
        e = self.x.entities[key]
        return f"{lid} ({e.node})" if e.primary else lid

    # --- entities -----------------------------------------------------------------------
    def entities(self) -> None:
        for key, e in sorted(self.x.entities.items(), key=lambda kv: kv[1].span.start):
            if key in self.m:
                continue
            what = f'node {e.node} "{e.label}"' if e.primary else f"generated {e.label!r}"
            self.out.diagram.append(
                diag(
                    CODES["FZ5001"],
                    f"{what} has no {e.type} in {self.t.name}",
                    e.span,
                    label=f"no {ENTITY_TYPES[e.type]} resource matches this node",
                    help=_entity_help(e),
                )
            )

    def extra_entities(self) -> None:
        for lid in self.t.index.entities():
            if lid in self.back:
                continue
            span = self.t.locate(lid) if self.t.locate else None
            d = diag(
                CODES["FZ5004"],
                f"resource {lid} ({self.t.index.type(lid)}) of {self.t.name} is not in the diagram",
                span or Span(0, 0),
                label="no diagram node stands for this resource",
                help="add a node for it to the diagram, or remove it from the template",
            )
            (self.out.template if span is not None else self.out.diagram).append(d)

    # --- links --------------------------------------------------------------------------
    def links(self) -> None:
        for x in self.x.links:
            s, t = self.m.get(x.link.source), self.m.get(x.link.target)
            if s is None or t is None:
                continue  # the missing node is reported; its edges follow from it
            if x.link.kind == "iam":
                self._iam(x, s, t)
            elif self._present(x.link, s, t):
                continue
            elif not self._differs(x, s, t):
                self._missing(x, s, t)

    def _present(self, link: Link, s: str, t: str) -> bool:
        found = [
            lk
            for src in (s, ANY)
            for lk in self.by_kind.get((link.kind, src, t), [])
            if not link.principal or not lk.principal or lk.principal == link.principal
        ]
        self.used.update(found)
        return bool(found)

    def _iam(self, x: Expected, s: str, t: str) -> None:
        direct = self.by_kind.get(("iam", s, t), [])
        wild = self.by_kind.get(("iam", s, ANY), [])
        granted = [a for lk in direct + wild for a in lk.actions]
        lacking = [a for a in x.link.actions if not any(covers(g, a) for g in granted)]
        self.used.update(direct)
        if not lacking:
            return
        role = sorted({lk.via for lk in direct}) or [self._role_of(s)]
        reverse = [] if direct else self.by_kind.get(("iam", t, s), [])
        if reverse:
            self.used.update(reverse)
            self._report(
                "FZ5003",
                x,
                f"{self.x.edge_text(x.edge)}: the IAM grant in {self.t.name} runs the other way: "
                f"{t} may call {s} ({reverse[0].via}), not {s} call {t}",
                "direction differs",
                "reverse the edge in the diagram, or fix the template",
            )
        elif direct:
            self._report(
                "FZ5003",
                x,
                f"{self.x.edge_text(x.edge)}: the role {role[0]} of {s} does not allow "
                f"{', '.join(lacking)} on {t} in {self.t.name}",
                "the grant is incomplete",
                f"add {', '.join(lacking)} on {t} to the role's policy",
            )
        else:
            self._report(
                "FZ5002",
                x,
                f"{self.x.edge_text(x.edge)}: no IAM grant lets {s} do "
                f"{', '.join(x.link.actions)} on {t} in {self.t.name}",
                "not realised",
                f"grant {', '.join(x.link.actions)} on {t} to the role {role[0]}",
            )

    def _role_of(self, holder: str) -> str:
        roles = [r for r, owners in sorted(self.t.index.owners.items()) if holder in owners]
        return roles[0] if roles else f"of {holder}"

    def _differs(self, x: Expected, s: str, t: str) -> bool:
        kind = x.link.kind
        reverse = self.by_kind.get((kind, t, s), [])
        if reverse:
            self.used.update(reverse)
            return self._report(
                "FZ5003",
                x,
                f"{self.x.edge_text(x.edge)}: the {KIND_TEXT[kind]} in {self.t.name} runs the "
                f"other way, from {t} to {s}",
                "direction differs",
                "reverse the edge in the diagram, or fix the template",
            )
        elsewhere = self._retargeted(kind, s, t)
        if elsewhere:
            self.used.update(elsewhere)
            lk = elsewhere[0]
            if lk.source == s:
                text = f"goes from {s} to {self.tpl_text(lk.target)}, not to {t}"
            else:
                text = f"reaches {t} from {self.tpl_text(lk.source)}, not from {s}"
            return self._report(
                "FZ5003",
                x,
                f"{self.x.edge_text(x.edge)}: the {KIND_TEXT[kind]} in {self.t.name} {text}",
                "connected elsewhere",
                f"point the {KIND_TEXT[kind]} {_of(lk)} at {t}, or change the diagram",
            )
        other = self._other_kind(kind, s, t)
        if other:
            self.used.update(other)
            return self._report(
                "FZ5003",
                x,
                f"{self.x.edge_text(x.edge)}: {self.t.name} connects {s} and {t} with "
                f"{_a(KIND_TEXT[other[0].kind])} ({other[0].via}), not {_a(KIND_TEXT[kind])}",
                "another kind of connection",
                HELP[kind],
            )
        return False

    def _unexpected(self, link: Link) -> bool:
        return (link.kind, link.source, link.target) not in self.expected_keys

    def _retargeted(self, kind: str, s: str, t: str) -> list[Link]:
        out = [
            lk
            for (k, a, b), links in sorted(self.by_kind.items())
            if k == kind and ((a == s and b != t) or (b == t and a != s)) and ANY not in (a, b)
            for lk in links
            if self._unexpected(lk)
        ]
        return out

    def _other_kind(self, kind: str, s: str, t: str) -> list[Link]:
        if kind not in PRIMARY:
            return []
        return [
            lk
            for other in PRIMARY
            if other != kind
            for pair in ((s, t), (t, s))
            for lk in self.by_kind.get((other, *pair), [])
            if self._unexpected(lk)
        ]

    def _missing(self, x: Expected, s: str, t: str) -> None:
        kind = x.link.kind
        self._report(
            "FZ5002",
            x,
            f"{self.x.edge_text(x.edge)}: no {KIND_TEXT[kind]} from {s} to {t} in {self.t.name}",
            "not realised",
            HELP[kind],
        )

    def _report(self, code: str, x: Expected, message: str, label: str, help: str) -> bool:
        self.out.diagram.append(
            diag(CODES[code], message, self.x.edge_span(x.edge), label=label, help=help)
        )
        return True

    def extra_links(self) -> None:
        seen: set[tuple[str, str, str]] = set()
        for link in self.t.links:
            key = (link.kind, link.source, link.target)
            if link in self.used or key in seen or ANY in key[1:]:
                continue
            a, b = self.back.get(link.source), self.back.get(link.target)
            if a is None or b is None or not self._unexpected(link):
                continue
            seen.add(key)
            pa, pb = self.x.entities[a], self.x.entities[b]
            via = "" if link.via in key[1:] else f" ({link.via})"
            kind = KIND_TEXT[link.kind]
            self.out.diagram.append(
                diag(
                    CODES["FZ5005"],
                    f"{self.t.name} has {_a(kind)} from {link.source} to "
                    f"{link.target}{via} that the diagram does not show: no edge "
                    f"{self.plan_text(a)} -> {self.plan_text(b)}",
                    pa.span,
                    label="no such edge from this node",
                    help=f"draw the edge to {pb.node or pb.label} in the diagram, "
                    "or remove the connection from the template",
                )
            )

    def run(self) -> Findings:
        self.entities()
        self.links()
        self.out.diagram += workflow.compare(self.x, self.t.index, self.m, self.t.name)
        self.extra_links()
        self.extra_entities()
        return self.out


def _of(link: Link) -> str:
    return f"of {link.via}" if link.via == link.source else f"({link.via})"


def _a(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def _entity_help(e: Entity) -> str:
    if e.primary:
        return f"add a {e.type} for it to the template, or remove the node from the diagram"
    return f"add the {e.type} that realises this edge to the template"


def compare(x: Expectation, target: Target, m: dict[str, str]) -> Findings:
    return Comparison(x, target, m).run()
