"""The Jinja environment of the stubs (loaded only when stubs are emitted).

Compiled templates are cached on disk (performance.md §5: ~10 ms to compile, ~1 ms warm); the
cache is skipped when its folder cannot be created.
"""

from __future__ import annotations

import os
import textwrap
from functools import cache
from pathlib import Path

from fzc.backends.stubs.text import literal, quote

TEMPLATES = Path(__file__).parent / "templates"


def _cache_dir() -> Path | None:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = Path(base) / "fzc" / "jinja"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder if os.access(folder, os.W_OK) else None


@cache
def environment():
    import jinja2

    folder = _cache_dir()
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        auto_reload=False,  # package files: no stat() per render
        bytecode_cache=jinja2.FileSystemBytecodeCache(str(folder)) if folder else None,
    )
    env.filters["quote"] = quote
    env.filters["literal"] = literal
    env.filters["chomp"] = _chomp
    env.filters["wrap"] = _wrap
    env.filters["capfirst"] = lambda text: text[:1].upper() + text[1:]
    return env


def _chomp(text: str) -> str:
    """Drop one trailing newline (a macro's last line, placed on a template line)."""
    return text[:-1] if text.endswith("\n") else text


def _wrap(text: str, indent: str, cont: str) -> str:
    """`text` in lines of at most 88 characters: the first starts with `indent`, the rest
    with `cont`. Lines break at spaces only, so escapes and short labels stay whole."""
    if len(indent) + len(text) <= 88:
        return (indent + text).rstrip()
    lines = textwrap.wrap(
        text,
        width=88,
        initial_indent=indent,
        subsequent_indent=cont,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return "\n".join(lines) or indent.rstrip()


def render(template: str, **values: object) -> str:
    return environment().get_template(template).render(**values)
