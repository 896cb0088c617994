"""`fzc explain`: what every node and edge becomes."""

from __future__ import annotations

import sys

import click

from fzc.commands.common import analyze, exit_code, render


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--strict", is_flag=True, help="Treat FlowZap's documented rules as errors.")
def explain(file: str, as_json: bool, strict: bool) -> None:
    """Show what AWS every node becomes and what every edge adds, and why.

    Example: fzc explain samples/event_processing.fz --json
    """
    from fzc import explain as explainer

    # in full, even past the template quotas: what it would become is what explain is for
    analysis = analyze(file, strict, stop_early=False)
    text = render("full", [analysis])
    if text:
        click.echo(text, nl=False, err=True)
    if analysis.plan is not None:
        show = explainer.as_json if as_json else explainer.as_text
        click.echo(show(analysis.plan), nl=False)
    sys.exit(exit_code([analysis]))
