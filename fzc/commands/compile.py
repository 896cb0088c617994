"""`fzc compile`: diagrams to CloudFormation, state machines and Lambda stubs."""

from __future__ import annotations

import sys

import click

from fzc import __version__
from fzc.commands.common import FORMATS, analyze, exit_code, render


def _expand(paths: tuple[str, ...]) -> list[str]:
    """Files as given; folders become the `.fz` files under them, in sorted order."""
    import os

    out: list[str] = []
    for p in paths:
        if os.path.isdir(p):
            found = [
                os.path.join(root, name)
                for root, _, names in os.walk(p)
                for name in names
                if name.endswith(".fz")
            ]
            out += sorted(found)
        else:
            out.append(p)
    return out


def _artifacts(analysis, options):
    from fzc.backends import emit_all
    from fzc.pipeline import internal_error

    try:
        return emit_all(analysis.plan, options), None
    except Exception as exc:  # noqa: BLE001 - a backend failure is FZ9001, never a traceback
        return None, internal_error(analysis.source, exc)


def _summary(out: str, report) -> str:
    parts = [f"{len(report.written)} written", f"{len(report.unchanged)} unchanged"]
    if report.kept:
        parts.append(f"{len(report.kept)} kept as you edited them")
    if report.removed:
        parts.append(f"{len(report.removed)} removed")
    text = f"fzc: {out}: " + ", ".join(parts) + "\n"
    for rel in report.kept:
        text += f"  kept    {rel} (yours: never rewritten)\n"
    for rel in report.left:
        text += f"  left    {rel} (no longer generated, but you edited it)\n"
    return text


@click.command("compile")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option(
    "-o",
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False),
    help="Output folder (one sub-folder per diagram when several are given).",
)
@click.option(
    "--format",
    "template_format",
    type=click.Choice(("yaml", "json")),
    default="yaml",
    show_default=True,
    help="CloudFormation template format.",
)
@click.option(
    "--inline",
    is_flag=True,
    help="Embed handler source in the template (ZipFile) instead of packaging.",
)
@click.option("--strict", is_flag=True, help="Treat FlowZap's documented rules as errors.")
@click.option(
    "--diagnostics",
    "fmt",
    type=click.Choice(FORMATS),
    default="full",
    show_default=True,
    help="How diagnostics are printed.",
)
def compile_(files, out, template_format, inline, strict, fmt) -> None:
    """Compile diagrams into OUT: template, state machines and Lambda stubs.

    Nothing is written unless every diagram compiles without errors.

    Example: fzc compile samples/event_processing.fz -o out/
    """
    from pathlib import Path

    from fzc import outdir
    from fzc.backends import Options
    from fzc.pipeline import diagram_name

    paths = _expand(files)
    if not paths:
        raise click.UsageError("no .fz files found")
    analyses = [analyze(path, strict) for path in paths]
    options = Options(format=template_format, inline=inline)
    produced = []
    for a in analyses:
        if a.plan is None or not a.ok:
            continue
        arts, failure = _artifacts(a, options)
        if failure is not None:
            analyses[analyses.index(a)] = failure
        else:
            produced.append((a, arts))
    text = render(fmt, analyses)
    if text:
        click.echo(text, nl=False, err=True)
    code = exit_code(analyses)
    if code:
        sys.exit(code)
    stamp = {"compiler": f"fzc {__version__}", "inline": inline, "format": template_format}
    for a, arts in produced:
        where = Path(out) if len(paths) == 1 else Path(out) / diagram_name(a.source.path)
        try:
            report = outdir.write(where, arts, stamp)
        except (OSError, outdir.UnsafePath) as exc:
            raise click.ClickException(f"cannot write {where}: {exc}") from None
        click.echo(_summary(str(where), report), nl=False, err=True)
