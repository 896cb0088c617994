"""`fzc compile`: diagrams to CloudFormation, state machines and Lambda stubs."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import click

from fzc import __version__
from fzc.commands.common import FORMATS, analyze, exit_code, render


def expand(paths: tuple[str, ...]) -> list[str]:
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
    paths = expand(files)
    if not paths:
        raise click.UsageError("no .fz files found")
    code = compile_paths(paths, out, Settings(template_format, inline, strict, fmt))
    if code:
        sys.exit(code)


@dataclass(frozen=True)
class Settings:
    """The options of `fzc compile` (and `fzc watch`) that shape what is produced."""

    template_format: str = "yaml"
    inline: bool = False
    strict: bool = False
    diagnostics: str = "full"


def destination(out: str, path: str, nested: bool):
    """Where one diagram's files go: OUT itself, or OUT/<diagram name> when several compile."""
    from pathlib import Path

    from fzc.pipeline import diagram_name

    return Path(out) / diagram_name(path) if nested else Path(out)


def _produce(analyses: list, settings: Settings) -> list:
    """(analysis, artifacts) for every diagram without errors; a backend failure replaces its
    analysis in `analyses` with an internal error."""
    from fzc.backends import Options

    options = Options(format=settings.template_format, inline=settings.inline)
    produced = []
    for i, a in enumerate(analyses):
        if a.plan is None or not a.ok:
            continue
        arts, failure = _artifacts(a, options)
        if failure is not None:
            analyses[i] = failure
        else:
            produced.append((a, arts))
    return produced


def compile_paths(
    paths: list[str], out: str, settings: Settings, *, nested: bool | None = None
) -> int:
    """Compile `paths` into `out` and return the exit code; diagnostics and summaries go to
    stderr. Nothing is written unless every diagram compiles. `nested` (default: more than one
    path) puts each diagram in its own sub-folder. A folder that cannot be written raises
    `click.ClickException`."""
    from fzc import outdir

    analyses = [analyze(path, settings.strict) for path in paths]
    produced = _produce(analyses, settings)
    text = render(settings.diagnostics, analyses)
    if text:
        click.echo(text, nl=False, err=True)
    code = exit_code(analyses)
    if code:
        return code
    nested = len(paths) > 1 if nested is None else nested
    stamp = {
        "compiler": f"fzc {__version__}",
        "inline": settings.inline,
        "format": settings.template_format,
    }
    for a, arts in produced:
        where = destination(out, a.source.path, nested)
        try:
            report = outdir.write(where, arts, stamp)
        except (OSError, outdir.UnsafePath) as exc:
            raise click.ClickException(f"cannot write {where}: {exc}") from None
        click.echo(_summary(str(where), report), nl=False, err=True)
    return 0
