"""Every dataclass of fzc has a docstring: a cold-start guard, read from the source with `ast`.

In Python 3.11, `@dataclass` on a class without a docstring makes one from
`inspect.signature` at import (~0.12 ms per class); fzc defines ~90 dataclasses, imported on
every cold start, so a docstring on each saves ~10 ms per `fzc compile`.
"""

from __future__ import annotations

import ast
from pathlib import Path

FZC = Path(__file__).resolve().parents[1] / "fzc"


def _dataclasses() -> list[tuple[str, ast.ClassDef]]:
    """(`fzc/...py:line`, class) of every class decorated with `dataclass` under fzc/."""
    found = []
    for path in sorted(FZC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(
                "dataclass" in ast.unparse(d) for d in node.decorator_list
            ):
                found.append((f"{path.relative_to(FZC.parent).as_posix()}:{node.lineno}", node))
    return found


def test_every_dataclass_has_a_docstring():
    classes = _dataclasses()
    assert len(classes) > 50  # the walk found fzc's dataclasses (it would pass on none)
    missing = [f"{where}: {node.name}" for where, node in classes if not ast.get_docstring(node)]
    assert not missing, "dataclasses without a docstring (add a one-line one):\n" + "\n".join(
        missing
    )
