"""`fzc simulate`: run the compiled architecture in moto, in this process, and trace it.

The trace (or `--json`, the report) goes to standard output, diagnostics to standard error.
Exit codes: 0 everything held; 1 the diagram has errors, a static check failed, a handler
raised, an execution failed or an expectation did not hold; 2 usage or internal error.
"""

from __future__ import annotations

import json
import sys

import click

from fzc.commands.common import analyze, exit_code, render


@click.command("simulate")
@click.argument("diagram", type=click.Path())
@click.option(
    "--event",
    "event_file",
    type=click.Path(),
    help='JSON: {"node": "n1", "event": {...}} or a list of them, run instead of the defaults.',
)
@click.option(
    "--scenario",
    "scenario_file",
    type=click.Path(),
    help="YAML: scenarios (node, event, decide, fail) with expectations (reaches, stores, "
    "never_reaches, succeeds, fails, traverses), run instead of the defaults.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def simulate(diagram, event_file, scenario_file, as_json) -> None:
    """Deploy DIAGRAM's compiled architecture into moto and send events through it.

    Without --event or --scenario: one event per entry point (each bucket, stream, queue,
    topic, HTTP route and schedule that triggers something), one execution per branch of
    each decision and one per Catch route of each function step (that step made to fail).
    Prints which edges of the diagram each event exercised. Exit status 1 when a check
    fails, a handler raises, an execution fails or an expectation does not hold.

    Example: fzc simulate samples/event_processing.fz
    """
    _requirements()
    a = analyze(diagram, strict=False)
    if a.plan is None or not a.ok:
        return _finish([a], [])
    scenarios = _scenarios(a.plan, event_file, scenario_file)
    report, failure = _run(a, scenarios)
    if failure is not None:
        return _finish([failure], [])
    from fzc.simulate import report as output

    diagnostics = report.diagnostics
    if as_json:
        click.echo(
            json.dumps(output.data(report, a.source, [*a.diagnostics, *diagnostics]), indent=2)
        )
    else:
        click.echo(output.text(report, a.source), nl=False)
    _finish([a], diagnostics)


def _requirements() -> None:
    """moto and boto3 are optional extras: say so rather than fail on an import."""
    try:
        import boto3  # noqa: F401
        import moto  # noqa: F401
    except ImportError as exc:
        raise click.UsageError(
            f"fzc simulate needs boto3 and moto ({exc}): pip install boto3 "
            "'moto[cloudformation,stepfunctions,awslambda,s3,sqs,sns,dynamodb,events,iam]'"
        ) from None


def _scenarios(plan, event_file: str | None, scenario_file: str | None):
    from fzc.simulate import scenarios

    if event_file is None and scenario_file is None:
        return None
    found = []
    for path, parse in ((event_file, scenarios.from_events), (scenario_file, scenarios.from_yaml)):
        if path is None:
            continue
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise click.UsageError(f"cannot read {path}: {exc}") from None
        try:
            found += parse(plan, text, path)
        except scenarios.ScenarioError as exc:
            raise click.UsageError(str(exc)) from None
    return found


def _run(a, scenarios):
    """(report, None), or (None, an analysis holding the internal error)."""
    from fzc.pipeline import internal_error
    from fzc.simulate.deploy import DeployError
    from fzc.simulate.run import simulate as run

    try:
        return run(a.plan, scenarios), None
    except DeployError as exc:
        return None, internal_error(a.source, RuntimeError(f"moto could not deploy: {exc}"))
    except Exception as exc:  # noqa: BLE001 - reported as FZ9001 (exit 2), never a traceback
        return None, internal_error(a.source, exc)


def _finish(analyses, extra) -> None:
    from dataclasses import replace

    analyses = [replace(analyses[0], diagnostics=(*analyses[0].diagnostics, *extra))]
    text = render("full", analyses)
    if text:
        click.echo(text, nl=False, err=True)
    code = exit_code(analyses)
    if code:
        sys.exit(code)
