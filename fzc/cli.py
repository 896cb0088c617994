"""The `fzc` command line: the only module that reads files, writes files and exits.

Exit codes: 0 success (warnings allowed), 1 errors in the input, 2 usage or internal error.
"""

from __future__ import annotations

import sys

import click

from fzc import __version__

FORMATS = ("full", "concise", "json")


def _read(path: str):
    from fzc.pipeline import decode

    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise click.UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    return decode(path, data)


def _analyze(path: str, strict: bool):
    from fzc.pipeline import analyze, internal_error

    src, pre = _read(path)
    try:
        return analyze(src, strict=strict, pre=pre)
    except RecursionError as exc:  # pragma: no cover - defensive: report, never trace
        return internal_error(src, exc)
    except Exception as exc:  # noqa: BLE001 - an internal error is reported as FZ9001, exit 2
        return internal_error(src, exc)


def _render(fmt: str, analyses) -> str:
    from fzc.diagnostics.render import RENDERERS

    items = [(a.source, d) for a in analyses for d in a.diagnostics]
    return RENDERERS[fmt](items)


def _exit_code(analyses) -> int:
    codes = {d.code.code for a in analyses for d in a.diagnostics if d.is_error}
    if any(c.startswith("FZ9") for c in codes):
        return 2
    return 1 if codes else 0


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="fzc")
def cli() -> None:
    """Compile FlowZap Code diagrams (.fz) into AWS infrastructure."""


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="full",
    show_default=True,
    help="How diagnostics are printed.",
)
@click.option("--strict", is_flag=True, help="Treat FlowZap's documented rules as errors.")
def check(files: tuple[str, ...], fmt: str, strict: bool) -> None:
    """Check diagrams and print diagnostics (exit 1 when any error is found).

    Example: fzc check samples/event_processing.fz --format concise
    """
    analyses = [_analyze(path, strict) for path in files]
    text = _render(fmt, analyses)
    if text:
        click.echo(text, nl=False)
    sys.exit(_exit_code(analyses))


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    required=True,
    help="Dump the model as JSON (the only format).",
)
@click.option("--strict", is_flag=True, help="Treat FlowZap's documented rules as errors.")
def parse(file: str, as_json: bool, strict: bool) -> None:
    """Dump the model (lanes, nodes, edges in order, loops, spans) as JSON.

    Example: fzc parse samples/event_processing.fz --json
    """
    from fzc.model.dump import dump_json

    analysis = _analyze(file, strict)
    if analysis.diagram is not None:
        click.echo(dump_json(analysis.diagram, analysis.source), nl=False)
    text = _render("full", [analysis])
    if text:
        click.echo(text, nl=False, err=True)
    sys.exit(_exit_code([analysis]))


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--strict", is_flag=True, help="Treat FlowZap's documented rules as errors.")
def explain(file: str, as_json: bool, strict: bool) -> None:
    """Show what AWS every node becomes and what every edge adds, and why.

    Example: fzc explain samples/event_processing.fz --json
    """
    from fzc import explain as explainer

    analysis = _analyze(file, strict)
    text = _render("full", [analysis])
    if text:
        click.echo(text, nl=False, err=True)
    if analysis.plan is not None:
        render = explainer.as_json if as_json else explainer.as_text
        click.echo(render(analysis.plan), nl=False)
    sys.exit(_exit_code([analysis]))


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


@cli.command("compile")
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
    analyses = [_analyze(path, strict) for path in paths]
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
    text = _render(fmt, analyses)
    if text:
        click.echo(text, nl=False, err=True)
    code = _exit_code(analyses)
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


def main() -> None:
    cli(prog_name="fzc")
