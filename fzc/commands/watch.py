"""`fzc watch`: recompile a diagram every time it is saved.

Each save recompiles that diagram only, exactly as `fzc compile` would (the same function:
`compile.compile_paths`): one file given goes to OUT itself; several, or a folder, give one
sub-folder of OUT per diagram (a folder's diagrams may appear later). Diagnostics
are printed; a diagram with errors leaves its output folder as it was, and watching goes on.
A burst of saves is one recompile: changes are grouped until the files have been quiet for
`--debounce` milliseconds, and a save that does not change the text compiles nothing.
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading

import click

from fzc.commands.compile import (
    Settings,
    compile_paths,
    expand,
    out_option,
    settings_options,
)


def _digest(path: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        return None


class Watcher:
    """The diagrams under some paths, the output folder, and what was compiled last."""

    def __init__(self, paths: tuple[str, ...], out: str, settings: Settings):
        self.paths, self.out, self.settings = paths, out, settings
        self.seen: dict[str, str | None] = {}  # diagram -> digest of the text last compiled
        self.compiles = 0

    def diagrams(self) -> dict[str, str]:
        """Absolute path -> path as the user names it, for every diagram watched now."""
        return {os.path.abspath(p): p for p in expand(self.paths)}

    def roots(self) -> list[str]:
        """Folders to watch: the folders given, and the folder of each file given (editors
        often save by replacing the file, which a watch on the file itself would lose)."""
        found = {
            os.path.abspath(p if os.path.isdir(p) else os.path.dirname(p) or ".")
            for p in self.paths
        }
        return sorted(found)

    def compile(self, path: str, nested: bool) -> int:
        self.compiles += 1
        self.seen[path] = _digest(path)
        code = self._attempt(path, nested)
        verdict = "compiled" if code == 0 else "not compiled; its output was left as it was"
        click.echo(f"fzc watch: {path}: {verdict}", err=True)
        return code

    def _attempt(self, path: str, nested: bool) -> int:
        try:
            return compile_paths([path], self.out, self.settings, nested=nested)
        except click.ClickException as exc:  # unreadable diagram, unwritable folder
            exc.show()
            self.seen.pop(path, None)  # try again on the next save, even with the same text
            return exc.exit_code
        except Exception as exc:  # noqa: BLE001 - a bug must not end the watch; no traceback
            click.echo(f"fzc watch: internal error: {type(exc).__name__}: {exc}", err=True)
            return 2

    def nested(self) -> bool:
        """One sub-folder per diagram, as `fzc compile` does for several; always for a folder,
        where a diagram may appear later (it must never share OUT with another)."""
        return len(self.paths) > 1 or any(os.path.isdir(p) for p in self.paths)

    def compile_all(self) -> int:
        diagrams = self.diagrams()
        if not diagrams:
            raise click.UsageError("no .fz files found")
        return max(self.compile(p, self.nested()) for p in diagrams.values())

    def changed(self, changes) -> list[str]:
        """Diagrams whose text changed among a batch of file-system changes."""
        diagrams = self.diagrams()
        gone = {os.path.abspath(p): p for p in self.seen if os.path.abspath(p) not in diagrams}
        out = []
        for _, where in sorted(changes, key=lambda c: c[1]):
            where = os.path.abspath(where)
            if where in gone:
                click.echo(f"fzc watch: {gone.pop(where)}: removed; output left as it is", err=True)
            path = diagrams.get(where)
            if path is not None and path not in out and _digest(path) != self.seen.get(path, ""):
                out.append(path)
        for path in set(self.seen) - set(diagrams.values()):
            del self.seen[path]
        return out

    def run(self, quiet_ms: int = 150, stop: threading.Event | None = None) -> None:
        """Recompile on every save until `stop` is set (or Ctrl-C)."""
        try:
            import watchfiles
        except ImportError as exc:
            raise click.ClickException(f"watching needs watchfiles: {exc}") from None

        for changes in watchfiles.watch(
            *self.roots(),
            watch_filter=lambda _, path: path.endswith(".fz"),
            step=quiet_ms,
            debounce=max(quiet_ms * 10, 1000),
            stop_event=stop,
            raise_interrupt=False,
        ):
            for path in self.changed(changes):
                self.compile(path, self.nested())


@click.command("watch")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@out_option(
    "Output folder (one sub-folder per diagram when a folder or several files are watched)."
)
@settings_options
@click.option(
    "--debounce",
    type=click.IntRange(10, 10_000),
    default=150,
    show_default=True,
    help="Milliseconds of quiet that end a burst of saves.",
)
@click.option("--once", is_flag=True, help="Compile every diagram once, then exit.")
def watch(paths, out, template_format, inline, strict, fmt, debounce, once) -> None:
    """Compile diagrams into OUT, then again each time one is saved (Ctrl-C stops).

    PATH is a diagram or a folder of diagrams (new diagrams in it are picked up).

    Example: fzc watch samples/ -o out/
    """
    watcher = Watcher(paths, out, Settings(template_format, inline, strict, fmt))
    code = watcher.compile_all()
    if once:
        sys.exit(code)
    click.echo(f"fzc watch: watching {', '.join(paths)} (Ctrl-C stops)", err=True)
    watcher.run(debounce)
    click.echo("fzc watch: stopped", err=True)
