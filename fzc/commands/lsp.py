"""`fzc lsp`: the language server, over stdio (for editors; see fzc/lsp)."""

from __future__ import annotations

import click


@click.command("lsp")
@click.option("--strict", is_flag=True, help="Treat FlowZap's documented rules as errors.")
@click.option("--stdio", is_flag=True, hidden=True, help="Accepted for clients that pass it.")
def lsp(strict: bool, stdio: bool) -> None:
    """Run the FlowZap Code language server on stdin/stdout (editors start it).

    Diagnostics, hover (AWS kind of a node, what an edge expands to), go to definition,
    references, rename, document symbols, formatting and completion.

    Editors may also set `initializationOptions: {"strict": true}`.

    Example: fzc lsp
    """
    try:
        from fzc.lsp.server import main
    except ImportError as exc:  # pygls is an optional extra
        raise click.ClickException(f"the language server needs pygls: {exc}") from None
    main(strict=strict)
