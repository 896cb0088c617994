"""`fzc fmt`: rewrite diagrams in the canonical layout (see `fzc.fmt`).

Never imports networkx or jinja2: formatting only parses.
"""

from __future__ import annotations

import os
import sys
import tempfile

import click

from fzc.commands.common import render


def _read(path: str):
    from fzc.commands.common import read
    from fzc.pipeline import decode

    if path == "-":
        return decode("<stdin>", sys.stdin.buffer.read())
    return read(path)


def _write(path: str, text: str) -> None:
    """Replace `path` atomically, keeping its permissions."""
    folder = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".fzc-fmt-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8"))
        os.chmod(tmp, os.stat(path).st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _diff(path: str, old: str, new: str) -> str:
    import difflib

    lines = difflib.unified_diff(
        old.splitlines(True), new.splitlines(True), f"{path} (original)", f"{path} (formatted)"
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def _one(path: str, check: bool, diff: bool) -> int:
    """Format one file; 0 unchanged or rewritten, 1 errors or (with --check) would change."""
    from fzc.fmt import NotFormattable, format_source
    from fzc.pipeline import Analysis

    src, pre = _read(path)
    try:
        if pre:
            raise NotFormattable(src, pre)
        new = format_source(src)
    except NotFormattable as exc:
        click.echo(
            render("full", [Analysis(src, None, tuple(exc.diagnostics))]), nl=False, err=True
        )
        click.echo(f"fzc: {src.path}: not formatted (fix the errors above)", err=True)
        return 1
    return _emit(path, src.text, new, check, diff)


def _emit(path: str, old: str, new: str, check: bool, diff: bool) -> int:
    if path == "-" and not (check or diff):
        click.echo(new, nl=False)
        return 0
    if old == new:
        return 0
    if diff:
        click.echo(_diff(path, old, new), nl=False)
    if check:
        click.echo(f"fzc: would reformat {path}", err=True)
        return 1
    if not diff:
        try:
            _write(path, new)
        except OSError as exc:
            raise click.ClickException(f"cannot write {path}: {exc.strerror or exc}") from None
        click.echo(f"fzc: reformatted {path}", err=True)
    return 0


@click.command("fmt")
@click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("--check", is_flag=True, help="Write nothing; exit 1 when a file would change.")
@click.option("--diff", is_flag=True, help="Print a unified diff instead of rewriting files.")
def fmt(files: tuple[str, ...], check: bool, diff: bool) -> None:
    """Rewrite diagrams in the canonical layout (a folder: every .fz file under it; `-` reads
    stdin and writes stdout).

    A file with syntax errors is left alone and its errors are printed (exit 1).

    Example: fzc fmt --check samples/
    """
    from fzc.commands.compile import expand

    paths = expand(files)
    if not paths:
        raise click.UsageError("no .fz files found")
    sys.exit(max(_one(path, check, diff) for path in paths))
