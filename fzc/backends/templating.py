"""The Jinja environments of the backends (Jinja is imported only when files are emitted).

Compiled templates are cached on disk (performance.md section 5: ~10 ms to compile three
templates, ~1 ms from the cache); the cache is skipped when its folder cannot be created.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from pathlib import Path


def _cache_dir() -> Path | None:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = Path(base) / "fzc" / "jinja"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder if os.access(folder, os.W_OK) else None


@cache
def _bytecode_cache():
    import jinja2

    folder = _cache_dir()
    return jinja2.FileSystemBytecodeCache(str(folder)) if folder else None


def environment(templates: Path, filters: dict[str, Callable], **options):
    """A strict, non-escaping environment over one folder of package templates."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
        auto_reload=False,  # package files: no stat() per render
        bytecode_cache=_bytecode_cache(),
        **options,
    )
    env.filters.update(filters)
    return env
