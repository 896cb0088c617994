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


def main() -> None:
    cli(prog_name="fzc")
