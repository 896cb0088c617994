"""`fzc check`: diagnostics for diagrams."""

from __future__ import annotations

import sys

import click

from fzc.commands.common import FORMATS, analyze, exit_code, render


@click.command()
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
    analyses = [analyze(path, strict) for path in files]
    text = render(fmt, analyses)
    if text:
        click.echo(text, nl=False)
    sys.exit(exit_code(analyses))
