"""The Jinja environment of the stubs (loaded only when stubs are emitted)."""

from __future__ import annotations

import textwrap
from functools import cache
from pathlib import Path

from fzc.backends.stubs.text import literal, quote

TEMPLATES = Path(__file__).parent / "templates"
MACROS = ("triggers", "calls")  # templates/<name>.j2, a global `<name>` in every template


@cache
def environment():
    from fzc.backends.templating import environment as make

    filters = {
        "quote": quote,
        "literal": literal,
        "chomp": _chomp,
        "wrap": _wrap,
        "capfirst": lambda text: text[:1].upper() + text[1:],
    }
    env = make(TEMPLATES, filters, trim_blocks=True, lstrip_blocks=True)
    # The macro libraries, loaded once: an `{% import %}` in a template re-runs the library
    # at every render (a fifth of the time of a 10k-function compile).
    for name in MACROS:
        env.globals[name] = env.get_template(f"{name}.j2").module
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
