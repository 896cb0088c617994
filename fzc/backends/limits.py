"""AWS quotas on what `fzc compile` writes, checked before anything is written: an excess is
an error (FZ4xxx) and OUT is left as it was. `check_plan` runs before rendering (state
machine definitions, resource and output counts: when one fails, nothing is rendered and the
template's size is not reported); `check` after it adds the template's size.

fzc rejects rather than splits. Nested stacks would not help: a diagram's lanes call each
other both ways (a function in one lane writes to a table in another, whose stream triggers
a function in the first), so stacks cut along lanes would reference each other in a cycle,
which CloudFormation cannot deploy. The user splits the diagram instead, one stack each.

code    quota (Step Functions, CloudFormation)   maximum     measured on
FZ4001  state machine definition size            1,048,576   each definition, as AWS gets it
FZ4002  resources per stack                      500         the plan's resources
FZ4003  template body size (from S3)             1,048,576   the template file's bytes
FZ4004  outputs per template                     200         the plan's outputs

FZ4001 is `asl.quotas` on each `statemachines/*.asl.json`; the template rows are `LIMITS`,
each a field of `Template`. Its counts come from the plan, as the CloudFormation backend
writes one resource per plan resource and one output per plan output (tests/test_limits.py
pins this); its body is the file `--format` and `--inline` make.

The other template quota, 200 parameters, cannot be reached: a template declares at most
fzc's one parameter, `Prefix` (tests/test_limits.py pins this). A template body over 51,200
bytes cannot be passed inline to `CreateStack`; `aws cloudformation deploy --s3-bucket` (and
`package`) upload it to S3, where the 1 MB quota applies, so 1 MB is the one reported.

`check(plan, artifacts)` is pure: plan and rendered files in, diagnostics out.
"""

from __future__ import annotations

from dataclasses import dataclass

from fzc.backends import Artifact
from fzc.diagnostics import Diagnostic, diag
from fzc.diagnostics.codes import CODES
from fzc.source import Span
from fzc.wire.plan import Plan

MB = 1_048_576
SPLIT = (
    "split the diagram into several, one stack each (`fzc compile DIR/ -o OUT/` compiles a "
    "folder of them in parallel); fzc makes no nested stacks, as lanes that call each other "
    "would need cross-stack references in a cycle"
)


@dataclass(frozen=True, slots=True)
class Template:
    """What the quotas are measured on: one rendered template."""

    path: str  # template.yaml or template.json
    body: int  # bytes of the file as written
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


def message(limit: Limit, t: Template, n: int) -> str:
    """Names the measured value and the limit."""
    if limit.field == "body":
        return (
            f"{t.path} is {n:,} bytes ({n / MB:.2f} MB); CloudFormation accepts at most "
            f"{MB:,} bytes (1 MB) per template"
        )
    return (
        f"the template has {n:,} {limit.noun}; CloudFormation allows {limit.maximum:,} "
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


def template_of(plan: Plan, artifacts: list[Artifact], inline: bool = False) -> Template | None:
    """The rendered template among `artifacts`, with its counts (the CloudFormation backend
    writes one resource per plan resource and one output per plan output)."""
    for art in artifacts:
        if art.path in ("template.yaml", "template.json"):
            body = len(art.content.encode("utf-8"))
            return Template(art.path, body, len(plan.resources), len(plan.outputs), inline)
    return None


def _whole(plan: Plan) -> Span:
    """Where a whole-diagram excess is reported: the first lane's header (as for the shared
    KMS key), else the first node, else the start of the file."""
    d = plan.diagram
    if d.lanes:
        return d.lanes[0].span
    return d.nodes[0].span if d.nodes else Span(0, 0)


def _state_machines(plan: Plan, build: bool = True) -> list[Diagnostic]:
    """FZ4001 per workflow; without `build`, only what the plan shows (more steps than
    states allowed), not the definitions' size, which needs them built."""
    from fzc.backends.asl import quotas

    found = (
        quotas.check(plan) if build else filter(None, map(quotas.too_many_steps, plan.workflows))
    )
    return [
        diag(CODES["FZ4001"], e.message, e.span, label="this workflow", help=e.help)
        for e in found  # the definitions the backends then write (built once)
    ]


def _template(plan: Plan, t: Template, fields: tuple[str, ...]) -> list[Diagnostic]:
    span, out = _whole(plan), []
    for lim, n in excesses(t):
        if lim.field in fields:
            label = f"{lim.quota}: {lim.maximum:,}"
            out.append(
                diag(CODES[lim.code], message(lim, t, n), span, label=label, help=_help(lim, t))
            )
    return out


COUNTED = ("resources", "outputs")  # known from the plan, before anything is rendered


def check_plan(plan: Plan) -> list[Diagnostic]:
    """The quotas known before the template is rendered, cheapest first: resources, outputs
    and workflows of more steps than states allowed come from the plan's counts; only when
    those fit are the state machine definitions built (once, for the backends too) and
    measured. So a diagram that can never be one stack is refused without rendering anything
    (the 10k-node bench diagram: in about 1.5 s instead of 7 s), and what it reports is what
    must change first: the diagram must be split."""
    t = Template("template", 0, len(plan.resources), len(plan.outputs))
    counted = _template(plan, t, COUNTED)
    return _state_machines(plan, build=not counted) + counted


def check_rendered(plan: Plan, artifacts: list[Artifact], inline: bool = False) -> list[Diagnostic]:
    """The one quota only the rendered template shows: its size (FZ4003). The compiler runs
    it after `check_plan` has passed, which has already measured everything else."""
    t = template_of(plan, artifacts, inline)
    return _template(plan, t, ("body",)) if t is not None else []


def check(plan: Plan, artifacts: list[Artifact], inline: bool = False) -> list[Diagnostic]:
    """Every quota the rendered output breaks (empty when it fits)."""
    out = _state_machines(plan)
    t = template_of(plan, artifacts, inline)
    if t is not None:
        out += _template(plan, t, tuple(lim.field for lim in LIMITS))
    return out
