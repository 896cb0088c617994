"""Process-wide memory policy shared by the stages that build many objects."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic GC: parsing and planning build many small objects that stay alive to
    the end and hold no cycles, so collections midway only cost time (superlinearly on large
    diagrams; research/performance.md, 3b)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
