"""Backends: `Plan` -> files. Each backend is a package with an `emit` function; the CLI
writes what they return (atomically, under the output folder only).

`emit(plan, options) -> list[Artifact]`. An artifact is generated (rewritten on every compile)
or user-owned (written once, then left alone: the user's hand edits live there).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import TypeVar

from fzc.wire.plan import Plan

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Options:
    """What the user chose for every backend (`--format`, `--inline`)."""

    format: str = "yaml"  # template.yaml or template.json
    inline: bool = False  # embed handler source as ZipFile instead of a folder to package


@dataclass(frozen=True, slots=True)
class Artifact:
    """One file a backend produces, to be written under the output folder."""

    path: str  # POSIX path relative to the output folder
    content: str
    user_owned: bool = False  # written only when missing (hand edits survive)


def per_plan(build: Callable[[Plan], T]) -> Callable[[Plan], T]:
    """`build(plan)`, made once for the plan last asked about. Backends look things up per
    function or per workflow, and both the template and the definitions ask for the same
    state machines; a plan is matched by identity (hashing one would walk all of it)."""
    last: list = [None, None]

    def get(plan: Plan) -> T:
        if last[0] is not plan:
            last[:] = [plan, build(plan)]
        return last[1]

    return get


# name -> module under fzc.backends; order is the order files are produced
BACKENDS: tuple[str, ...] = ("asl", "stubs", "cfn")


def emitter(name: str) -> Callable[[Plan, Options], list[Artifact]]:
    return import_module(f"fzc.backends.{name}").emit


def emit_all(plan: Plan, options: Options) -> list[Artifact]:
    out: list[Artifact] = []
    for name in BACKENDS:
        out += emitter(name)(plan, options)
    return out
