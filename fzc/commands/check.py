"""`fzc check`: diagnostics for diagrams, and drift between a diagram and its infrastructure.

    fzc check DIAGRAM --against TEMPLATE     a CloudFormation or SAM template (YAML or JSON)
    fzc check DIAGRAM --stack NAME           a deployed stack, with its live wiring
    fzc check DIAGRAM --out OUT/             committed `fzc compile` output is current

Exit codes: 0 agreement (warnings allowed), 1 errors or drift, 2 usage, unreadable template,
unreachable AWS or internal error.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import click

from fzc.commands.common import FORMATS, analyze, exit_code, render

USAGE_CODES = ("FZ5007", "FZ5008")


@dataclass(frozen=True)
class Report:
    """Diagnostics of one file (a diagram, or a template): what `render` and `exit_code` read."""

    source: object
    diagnostics: tuple


@dataclass(frozen=True)
class Drift:
    """What to compare the diagrams against (`--against`, `--stack`, `--out`), if anything."""

    template: str | None
    stack: str | None
    region: str | None
    profile: str | None
    out: str | None
    several: bool

    @property
    def wanted(self) -> bool:
        return bool(self.template or self.stack or self.out)


def _diag(code: str, message: str, help: str, offset: int = 0, label: str = ""):
    from fzc.diagnostics import diag
    from fzc.diagnostics.codes import CODES
    from fzc.source import Span

    return diag(CODES[code], message, Span(offset, offset + 1), label=label, help=help)


def _locate(text: str):
    from fzc.drift.template import locate
    from fzc.source import Span

    def find(lid: str):
        at = locate(text, lid)
        return Span(*at) if at else None

    return find


def _against(a, path: str) -> list:
    from fzc import drift
    from fzc.drift.template import TemplateError, load
    from fzc.source import Source

    try:
        with open(path, "rb") as fh:
            text = fh.read().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        src = Source(path, "")
        return [(src, [_diag("FZ5007", f"cannot read {path}: {why}", "check the path")])]
    tsrc = Source(path, text)
    try:
        data = load(text)
    except TemplateError as exc:
        d = _diag(
            "FZ5007",
            f"cannot read {path}: {exc.message}",
            "fzc reads CloudFormation and SAM templates, in YAML or JSON",
            exc.offset,
            "here",
        )
        return [(tsrc, [d])]
    found = drift.check(a.plan, data, path, locate=_locate(text))
    return [(a.source, found.diagram), (tsrc, found.template)]


def _stack(a, opts: Drift) -> list:
    from fzc import drift
    from fzc.commands.aws import StackError, read
    from fzc.drift.stack import overlay

    try:
        snap = read(opts.stack, opts.region, opts.profile)
    except StackError as exc:
        d = _diag(
            "FZ5008",
            f"cannot read stack {opts.stack}: {exc}",
            "check the stack name, --region, --profile and your AWS credentials",
        )
        return [(a.source, [d])]
    found = drift.check(a.plan, overlay(snap), f"stack {opts.stack}", physical=snap.physical)
    return [(a.source, found.diagram + found.template)]


def _read(where, rel: str) -> bytes | None:
    from fzc import outdir

    try:
        return outdir.target(where, rel).read_bytes()
    except (OSError, outdir.UnsafePath):
        return None


def _output(a, opts: Drift) -> list:
    from pathlib import Path

    from fzc import outdir
    from fzc.backends import emit_all
    from fzc.drift import output
    from fzc.pipeline import diagram_name

    where = Path(opts.out) / diagram_name(a.source.path) if opts.several else Path(opts.out)
    manifest = outdir.read_manifest(where)
    artifacts = emit_all(a.plan, output.options(manifest))
    files = {rel: _read(where, rel) for rel in output.wanted(artifacts, manifest)}
    results = output.stale(artifacts, files, manifest)
    return [(a.source, output.findings(str(where), a.source.path, results))]


def _drift(a, opts: Drift) -> list:
    from fzc.pipeline import internal_error

    found: list = []
    try:
        if opts.template:
            found += _against(a, opts.template)
        if opts.stack:
            found += _stack(a, opts)
        if opts.out:
            found += _output(a, opts)
    except Exception as exc:  # noqa: BLE001 - a bug is reported as FZ9001 (exit 2), never a trace
        found.append((a.source, list(internal_error(a.source, exc).diagnostics)))
    return found


def _merge(reports: list, strict: bool) -> list[Report]:
    from fzc.diagnostics import apply_policy

    by_path: dict[str, tuple] = {}
    for src, diags in reports:
        have = by_path.setdefault(src.path, (src, []))
        have[1].extend(diags)
    return [Report(src, tuple(apply_policy(ds, strict=strict))) for src, ds in by_path.values()]


def _exit(reports: list[Report]) -> int:
    usage = any(d.code.code in USAGE_CODES for r in reports for d in r.diagnostics)
    return 2 if usage else exit_code(reports)


def _validate(files: tuple[str, ...], opts: Drift) -> None:
    if (opts.region or opts.profile) and not opts.stack:
        raise click.UsageError("--region and --profile go with --stack")
    if (opts.template or opts.stack) and len(files) != 1:
        raise click.UsageError("--against and --stack compare exactly one diagram")


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="full",
    show_default=True,
    help="How diagnostics are printed (sarif: SARIF 2.1.0; github: Actions annotations).",
)
@click.option(
    "--strict", is_flag=True, help="Treat FlowZap's documented rules and drift warnings as errors."
)
@click.option(
    "--against",
    "template",
    metavar="TEMPLATE",
    type=click.Path(dir_okay=False),
    help="Compare with a CloudFormation or SAM template (YAML or JSON).",
)
@click.option("--stack", metavar="NAME", help="Compare with a deployed CloudFormation stack.")
@click.option("--region", help="AWS region of the stack (with --stack).")
@click.option("--profile", help="AWS profile to read the stack with (with --stack).")
@click.option(
    "--out",
    "out",
    metavar="OUT",
    type=click.Path(file_okay=False),
    help="Fail when the compiled output committed in OUT differs from `fzc compile`.",
)
def check(files, fmt, strict, template, stack, region, profile, out) -> None:
    """Check diagrams and print diagnostics (exit 1 when any error is found).

    With --against, --stack or --out, also check that the infrastructure still says what
    the diagram says: every node has its resource, every edge its wiring, nothing else.

    Example: fzc check samples/event_processing.fz --against template.yaml --format github
    """
    import gc

    gc.disable()  # a short-lived process: the cyclic GC only costs (performance.md, 3b)
    opts = Drift(template, stack, region, profile, out, len(files) > 1)
    _validate(files, opts)
    analyses = [analyze(path, strict) for path in files]
    reports = [(a.source, list(a.diagnostics)) for a in analyses]
    if opts.wanted:
        for a in analyses:
            if a.plan is not None and a.ok:
                reports += _drift(a, opts)
    reports = _merge(reports, strict)
    text = render(fmt, reports)
    if text:
        click.echo(text, nl=False)
    sys.exit(_exit(reports))
