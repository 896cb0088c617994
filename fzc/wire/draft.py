"""Mutable drafts the planner fills in; frozen into `plan` records at the end."""

from __future__ import annotations

from dataclasses import dataclass, field

from fzc.source import Span
from fzc.wire.plan import Call, Effect, Trigger


@dataclass(slots=True)
class DraftResource:
    """A resource while the planner fills it in; frozen into `plan.Resource`."""

    logical_id: str
    type: str
    properties: dict
    span: Span
    lane: str | None
    origin: str
    depends_on: list[str] = field(default_factory=list)
    deletion_policy: str | None = None
    metadata: dict | None = None


@dataclass(slots=True)
class DraftFunction:
    """A function while the planner adds its triggers, calls and environment."""

    logical_id: str
    node: str | None
    edge: int | None
    label: str
    folder: str
    description: str
    role: str
    timeout: int = 30
    triggers: list[Trigger] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    env: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class End:
    """One side of an edge as the effects see it: a node, or a generated glue function."""

    node: str | None
    kind: str
    lid: str
    slug: str = ""


@dataclass(slots=True)
class EdgeContext:
    """One edge being realised: its two ends and the effects applied so far."""

    index: int
    label: str
    span: Span
    lane: str | None
    origin: str
    src: End
    dst: End
    effects: list[Effect] = field(default_factory=list)
    last_policy: str | None = None  # the permission or policy a notification must wait for

    def note(self, kind: str, resource: str, **detail) -> None:
        self.effects.append(Effect(kind, resource, detail))
