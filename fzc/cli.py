"""The `fzc` command line: the only layer that reads files, writes files and exits.

Commands live in `fzc/commands/<name>.py` and are imported only when they run, so
`fzc --version`, `--help` and `fmt` never pay for networkx, lark or jinja2.
Exit codes: 0 success (warnings allowed), 1 errors in the input, 2 usage or internal error.
"""

from __future__ import annotations

from importlib import import_module

import click

from fzc import __version__

# command name -> (module under fzc.commands, attribute, one-line help for `fzc --help`)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "check": ("check", "check", "Check diagrams and print diagnostics."),
    "parse": ("parse", "parse", "Dump the model as JSON."),
    "explain": ("explain", "explain", "Show what AWS every node and edge becomes."),
    "compile": ("compile", "compile_", "Compile diagrams into a template, state machines, stubs."),
    "fmt": ("fmt", "fmt", "Rewrite diagrams in the canonical layout."),
    "watch": ("watch", "watch", "Recompile diagrams each time one is saved."),
    "lsp": ("lsp", "lsp", "Run the language server (stdio) for editors."),
    "simulate": ("simulate", "simulate", "Run the compiled architecture in moto and trace it."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attr, _ = COMMANDS[name]
        return getattr(import_module(f"fzc.commands.{module}"), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="fzc")
def cli() -> None:
    """Compile FlowZap Code diagrams (.fz) into AWS infrastructure."""


def main() -> None:
    cli(prog_name="fzc")
