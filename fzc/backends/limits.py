"""AWS quotas on what `fzc compile` writes, checked before anything is written: an excess is
an error (FZ4xxx) and OUT is left as it was. The planner has already counted resources and
outputs (FZ4002/FZ4004, `wire.limits`, so `fzc check` reports them too); here
`check_plan` runs before rendering (state machines: steps, then definition sizes) and
`check_rendered` after it (the template's size).

code    quota (Step Functions, CloudFormation)   maximum     measured on
FZ4001  state machine definition size            1,048,576   each definition, as AWS gets it
FZ4002  resources per stack                      500         the plan's resources (planner)
FZ4003  template body size (from S3)             1,048,576   the template file's bytes
FZ4004  outputs per template                     200         the plan's outputs (planner)

FZ4001 is `asl.quotas` on each `statemachines/*.asl.json` (so is FZ4005, loops nested deeper
than the ASL backend lowers, fzc's own limit); the template rows are `LIMITS`,
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

from fzc.backends import Artifact
from fzc.diagnostics import Diagnostic, diag
from fzc.diagnostics.codes import CODES
from fzc.wire.limits import LIMITS, MB, Template, excesses, message, report
from fzc.wire.plan import Plan

# The template quotas are the plan's (`wire.limits`): resources and outputs are counted as
# the diagram is planned; the table is shared so the body's excess is worded the same way.
__all__ = [
    "LIMITS",  # these five: wire.limits, re-exported
    "MB",
    "Template",
    "excesses",
    "message",
    "template_of",
    "check_plan",
    "check_rendered",
    "check",
]


def template_of(plan: Plan, artifacts: list[Artifact], inline: bool = False) -> Template | None:
    """The rendered template among `artifacts`, with its counts (the CloudFormation backend
    writes one resource per plan resource and one output per plan output)."""
    for art in artifacts:
        if art.path in ("template.yaml", "template.json"):
            body = len(art.content.encode("utf-8"))
            return Template(art.path, body, len(plan.resources), len(plan.outputs), inline)
    return None


def _state_machines(plan: Plan) -> list[Diagnostic]:
    """FZ4001 per workflow: more steps than states allowed, else the definition's size;
    else FZ4005 per transition a loop nested too deep would send elsewhere."""
    from fzc.backends.asl import quotas

    return [
        diag(CODES[e.code], e.message, e.span, label=e.label, help=e.help)
        for e in quotas.check(plan)  # the definitions the backends then write (built once)
    ]


def _template(plan: Plan, t: Template, fields: tuple[str, ...]) -> list[Diagnostic]:
    return report(plan.diagram, t, fields)


def check_plan(plan: Plan) -> list[Diagnostic]:
    """The quota known before the template is rendered and not already reported by the
    planner (resources and outputs, `wire.limits`): each state machine's steps, then its
    definition's size (built once, for the backends too)."""
    return _state_machines(plan)


def check_rendered(plan: Plan, artifacts: list[Artifact], inline: bool = False) -> list[Diagnostic]:
    """The one quota only the rendered template shows: its size (FZ4003). The compiler runs
    it after `check_plan` has passed and the planner has counted resources and outputs."""
    t = template_of(plan, artifacts, inline)
    return _template(plan, t, ("body",)) if t is not None else []


def check(plan: Plan, artifacts: list[Artifact], inline: bool = False) -> list[Diagnostic]:
    """Every quota the rendered output breaks (empty when it fits)."""
    out = _state_machines(plan)
    t = template_of(plan, artifacts, inline)
    if t is not None:
        out += _template(plan, t, tuple(lim.field for lim in LIMITS))
    return out
