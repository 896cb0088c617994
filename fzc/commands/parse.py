"""`fzc parse --json`: the model as JSON."""

from __future__ import annotations

import sys

import click

from fzc.commands.common import analyze, exit_code, render


@click.command()
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

    analysis = analyze(file, strict)
    if analysis.diagram is not None:
        click.echo(dump_json(analysis.diagram, analysis.source), nl=False)
    text = render("full", [analysis])
    if text:
        click.echo(text, nl=False, err=True)
    sys.exit(exit_code([analysis]))
