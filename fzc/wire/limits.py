"""CloudFormation's template quotas, and the two the plan itself shows: resources and
outputs are counted here, as the plan is made, so `fzc check` and the editor report them as
`fzc compile` does (`backends/limits.py` adds what only rendering shows: definition and
template sizes).

fzc rejects rather than splits. Nested stacks would not help: a diagram's lanes call each
other both ways (a function in one lane writes to a table in another, whose stream triggers
a function in the first), so stacks cut along lanes would reference each other in a cycle,
which CloudFormation cannot deploy. The user splits the diagram instead, one stack each.

code    quota (CloudFormation)                   maximum     measured on
FZ4002  resources per stack                      500         the plan's resources
FZ4003  template body size (from S3)             1,048,576   the template file's bytes
FZ4004  outputs per template                     200         the plan's outputs

A diagram far past a quota is refused as soon as that is certain: once ids are allocated,
each node that becomes a resource is one (before its role, log group or any edge), and the
outputs are exactly the primary resources of the kinds that have one. Planning a 100k-node
diagram in full takes about 8 s and 1.3 GB, only to report a number that must come down
a hundredfold anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

from fzc.diagnostics import Diagnostic, diag
from fzc.diagnostics.codes import CODES
from fzc.model import Diagram
from fzc.source import Span

MB = 1_048_576
SPLIT = (
    "split the diagram into several, one stack each (`fzc compile DIR/ -o OUT/` compiles a "
    "folder of them in parallel); fzc makes no nested stacks, as lanes that call each other "
    "would need cross-stack references in a cycle"
)


@dataclass(frozen=True, slots=True)
class Template:
    """What the quotas are measured on: one (planned or rendered) template."""

    path: str  # template.yaml or template.json
    body: int  # bytes of the file as written (0 before rendering)
    resources: int
    outputs: int
    inline: bool = False  # handler source embedded (ZipFile)


@dataclass(frozen=True, slots=True)
class Limit:
    """A template quota (a row of the module's table) and how an excess of it is worded."""

    code: str
    quota: str  # what AWS calls it
    maximum: int
    field: str  # the `Template` field measured
    noun: str  # in the message: "the template has 501 <noun>"
    per: str  # "... allows 500 per <per>"


LIMITS: tuple[Limit, ...] = (
    Limit("FZ4002", "Resources per stack", 500, "resources", "resources", "stack"),
    Limit("FZ4003", "Template body size in an Amazon S3 object", MB, "body", "bytes", "template"),
    Limit("FZ4004", "Outputs per template", 200, "outputs", "outputs", "template"),
)
COUNTED = ("resources", "outputs")  # known from the plan, before anything is rendered
# before the plan is made, resources are only known as a lower bound (outputs are exact)
BOUNDED_EARLY = "resources"
MAX_RESOURCES = next(lim.maximum for lim in LIMITS if lim.field == BOUNDED_EARLY)


def message(limit: Limit, t: Template, n: int, *, early: bool = False) -> str:
    """Names the measured value and the limit (`early`: counted before the plan is made)."""
    if limit.field == "body":
        return (
            f"{t.path} is {n:,} bytes ({n / MB:.2f} MB); CloudFormation accepts at most "
            f"{MB:,} bytes (1 MB) per template"
        )
    has = "has"
    if early:
        has = "would have at least" if limit.field == BOUNDED_EARLY else "would have"
    return (
        f"the template {has} {n:,} {limit.noun}; CloudFormation allows {limit.maximum:,} "
        f"per {limit.per}"
    )


def _help(limit: Limit, t: Template) -> str:
    if limit.field != "body":
        return SPLIT
    smaller = [
        hint
        for hint, on in (
            ("without `--inline`", t.inline),
            ("with `--format yaml`", t.path.endswith(".json")),
        )
        if on
    ]
    first = f"it is smaller {' and '.join(smaller)}; else " if smaller else ""
    return first + SPLIT


def excesses(t: Template) -> list[tuple[Limit, int]]:
    """Each template quota `t` exceeds, with the measured value."""
    return [(lim, n) for lim in LIMITS if (n := getattr(t, lim.field)) > lim.maximum]


def whole(d: Diagram) -> Span:
    """Where a whole-diagram excess is reported: the first lane's header (as for the shared
    KMS key), else the first node, else the start of the file."""
    if d.lanes:
        return d.lanes[0].span
    return d.nodes[0].span if d.nodes else Span(0, 0)


def report(
    d: Diagram, t: Template, fields: tuple[str, ...], *, early: bool = False
) -> list[Diagnostic]:
    """One located error per quota of `fields` that `t` exceeds."""
    out = []
    for lim, n in excesses(t):
        if lim.field in fields:
            out.append(
                diag(
                    CODES[lim.code],
                    message(lim, t, n, early=early),
                    whole(d),
                    label=f"{lim.quota}: {lim.maximum:,}",
                    help=_help(lim, t),
                )
            )
    return out


def counted(d: Diagram, resources: int, outputs: int, *, early: bool = False):
    """FZ4002/FZ4004 for a plan of these counts (`early`: before it is made)."""
    return report(d, Template("template", 0, resources, outputs), COUNTED, early=early)
