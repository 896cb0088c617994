"""The pipeline as pure functions: text -> syntax -> model -> checks (-> plan -> backends).

Nothing here touches the filesystem; the CLI reads and writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fzc.diagnostics import Diagnostic, Label, apply_policy, diag
from fzc.diagnostics.codes import CODES
from fzc.model import Diagram
from fzc.source import Source, Span

if TYPE_CHECKING:  # imported by `analyze` only when it plans (not for a diagram with errors)
    from fzc.wire.plan import Plan


@dataclass(frozen=True)
class Analysis:
    """One diagram through the pipeline: its model, diagnostics and, without errors, its plan."""

    source: Source
    diagram: Diagram | None
    diagnostics: tuple[Diagnostic, ...]
    plan: Plan | None = None

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


def decode(path: str, data: bytes) -> tuple[Source, list[Diagnostic]]:
    """Bytes -> `Source`; undecodable bytes become U+FFFD and one located diagnostic."""
    try:
        return Source(path, data.decode("utf-8")), []
    except UnicodeDecodeError as exc:
        src = Source(path, data.decode("utf-8", errors="replace"))
        good = len(data[: exc.start].decode("utf-8", errors="replace"))
        return src, [
            diag(
                CODES["FZ0006"],
                "the file is not valid UTF-8",
                Span(good, good + 1),
                label=f"byte 0x{data[exc.start]:02X} at offset {exc.start}",
                help="save the diagram as UTF-8 text",
            )
        ]


def diagram_name(path: str) -> str:
    """The diagram's name: its file name without folders and extension."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    return name[:-3] if name.endswith(".fz") else name or "diagram"


def analyze(
    src: Source,
    *,
    strict: bool = False,
    pre: list[Diagnostic] | None = None,
    wire: bool = True,
    stop_early: bool = True,
) -> Analysis:
    """Parse, build and check one diagram, then plan its AWS wiring when it has no errors
    (unless `stop_early` is off, not when it certainly exceeds a template quota)."""
    from fzc import check, model, syntax

    doc, diagnostics = syntax.parse(src)
    diagnostics = list(pre or []) + diagnostics
    diagram, more = model.build(doc, src)
    diagnostics += more
    truncated = doc.truncated
    del doc  # the syntax tree is ~4 KB per node and nothing after the model reads it
    if not truncated:  # after too many syntax errors, whole-diagram checks would mislead
        diagnostics += check.run(diagram)
    plan = None
    if wire and not any(d.is_error for d in apply_policy(diagnostics, strict=strict)):
        from fzc.wire import plan as make_plan

        plan, more = make_plan(diagram, diagram_name(src.path), src, stop_early=stop_early)
        diagnostics += more
    return Analysis(src, diagram, tuple(apply_policy(diagnostics, strict=strict)), plan)


def internal_error(src: Source, exc: BaseException) -> Analysis:
    d = diag(
        CODES["FZ9001"],
        f"internal error: {type(exc).__name__}: {exc}",
        Span(0, 0),
        help="this is a bug in fzc; please report it with the diagram",
    )
    return Analysis(src, None, (d,))


__all__ = ["Analysis", "analyze", "decode", "internal_error", "Label"]
