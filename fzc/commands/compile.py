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
    """The rendered files, or the analysis to report instead: a backend failure (FZ9001), or
    output over an AWS quota (FZ4xxx, `backends/limits.py`), so nothing is written."""
    from dataclasses import replace

    from fzc.backends import emit_all, limits
    from fzc.diagnostics import apply_policy
    from fzc.pipeline import internal_error

    try:
        arts, over = None, limits.check_plan(analysis.plan)
        if not over:
            arts = emit_all(analysis.plan, options)
            over = limits.check_rendered(analysis.plan, arts, options.inline)
    except Exception as exc:  # noqa: BLE001 - a backend failure is FZ9001, never a traceback
        return None, internal_error(analysis.source, exc)
    if over:
        found = apply_policy([*analysis.diagnostics, *over], strict=False)
        return None, replace(analysis, diagnostics=tuple(found))
    return arts, None


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


def out_option(help: str):
    """`-o/--out`, the output folder of `compile` and `watch`."""
    return click.option(
        "-o", "--out", "out", required=True, type=click.Path(file_okay=False), help=help
    )


def settings_options(command):
    """The options that make `Settings`, shared by `compile` and `watch`."""
    for option in reversed(_SETTINGS_OPTIONS):
        command = option(command)
    return command


_SETTINGS_OPTIONS = (
    click.option(
        "--format",
        "template_format",
        type=click.Choice(("yaml", "json")),
        default="yaml",
        show_default=True,
        help="CloudFormation template format.",
    ),
    click.option(
        "--inline",
        is_flag=True,
        help="Embed handler source in the template (ZipFile) instead of packaging.",
    ),
    click.option("--strict", is_flag=True, help="Treat FlowZap's documented rules as errors."),
    click.option(
        "--diagnostics",
        "fmt",
        type=click.Choice(FORMATS),
        default="full",
        show_default=True,
        help="How diagnostics are printed.",
    ),
)


@click.command("compile")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@out_option("Output folder (one sub-folder per diagram when several are given).")
@settings_options
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Diagrams compiled in parallel [default: the number of CPUs].",
)
@click.option("--force", is_flag=True, help="Recompile diagrams whose output is up to date.")
def compile_(files, out, template_format, inline, strict, fmt, jobs, force) -> None:
    """Compile diagrams into OUT: template, state machines and Lambda stubs.

    Nothing is written unless every diagram compiles without errors. A diagram whose text,
    options and compiler version match its last compile (and whose output is intact) is
    skipped.

    Example: fzc compile samples/event_processing.fz -o out/
    """
    import gc

    gc.disable()  # a short-lived process: the cyclic GC only costs (performance.md, 3b)
    paths = expand(files)
    if not paths:
        raise click.UsageError("no .fz files found")
    settings = Settings(template_format, inline, strict, fmt)
    code = compile_paths(paths, out, settings, jobs=jobs, force=force)
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


@dataclass(frozen=True)
class Outcome:
    """One diagram's compile, as plain data (it crosses process boundaries with `-j`)."""

    path: str
    diagnostics: str  # rendered in the requested format
    code: int  # 0, 1 (errors) or 2 (internal error)
    artifacts: tuple | None  # None when the diagram has errors


def compile_one(path: str, settings: Settings) -> Outcome:
    """Analyse and emit one diagram; never raises for bad input."""
    from fzc.backends import Options

    a = analyze(path, settings.strict)
    arts = None
    if a.plan is not None and a.ok:
        options = Options(format=settings.template_format, inline=settings.inline)
        arts, failure = _artifacts(a, options)
        a = failure or a
    code = exit_code([a])
    return Outcome(
        path, render(settings.diagnostics, [a]), code, tuple(arts or ()) if not code else None
    )


def _outcomes(paths: list[str], settings: Settings, jobs: int | None) -> list[Outcome]:
    import os

    jobs = jobs or os.cpu_count() or 1
    if jobs == 1 or len(paths) <= 1:
        return [compile_one(p, settings) for p in paths]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=min(jobs, len(paths))) as pool:
        return list(pool.map(compile_one, paths, [settings] * len(paths)))


def input_stamp(path: str, settings: Settings) -> dict:
    """What decides a compile's output: the diagram's bytes, the options, the compiler."""
    import hashlib

    try:
        with open(path, "rb") as fh:
            digest = hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        digest = ""
    return {
        "compiler": f"fzc {__version__}",
        "inline": settings.inline,
        "format": settings.template_format,
        "strict": settings.strict,
        "input": digest,
    }


def compile_paths(
    paths: list[str],
    out: str,
    settings: Settings,
    *,
    nested: bool | None = None,
    jobs: int | None = None,
    force: bool = False,
) -> int:
    """Compile `paths` into `out` and return the exit code; diagnostics and summaries go to
    stderr. Nothing is written unless every diagram compiles. `nested` (default: more than one
    path) puts each diagram in its own sub-folder. Diagrams whose output is up to date are
    skipped unless `force`. A folder that cannot be written raises `click.ClickException`."""
    from fzc import outdir

    nested = len(paths) > 1 if nested is None else nested
    stamps = {p: input_stamp(p, settings) for p in paths}
    todo = [p for p in paths if force or not outdir.fresh(destination(out, p, nested), stamps[p])]
    outcomes = _outcomes(todo, settings, jobs)
    text = "".join(o.diagnostics for o in outcomes)
    if text:
        click.echo(text, nl=False, err=True)
    code = max((o.code for o in outcomes), default=0)
    if code:
        return code
    for p in paths:
        if p not in todo:
            click.echo(f"fzc: {destination(out, p, nested)}: up to date\n", nl=False, err=True)
    for o in outcomes:
        where = destination(out, o.path, nested)
        try:
            report = outdir.write(where, list(o.artifacts), stamps[o.path])
        except (OSError, outdir.UnsafePath) as exc:
            raise click.ClickException(f"cannot write {where}: {exc}") from None
        click.echo(_summary(str(where), report), nl=False, err=True)
    return 0
