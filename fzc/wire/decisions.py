"""The one convention that ties decisions to code (used by the ASL backend, the stubs, the
graph checks and drift).

A decision node `n10: diamond label:"Processing Complete?"` reads the field
`$.processingComplete` of its input; the step before it returns that field. Each labelled
branch tests for its label (`"Success"`); the branch labelled like failure/no/else, or else
the last branch, is the `Default`; the first branch testing a value is its rule. A label
that says error/failure/exception/fault/DLQ makes a transition an error path (and an end
event a failure).
"""

from __future__ import annotations

import re

from fzc.wire import ids

_DEFAULT_WORDS = re.compile(
    r"^\s*(no|false|else|otherwise|default|fail|failed|failure|error|invalid|reject(ed)?|"
    r"denied|not\b.*)\s*$",
    re.IGNORECASE,
)


_ERROR = re.compile(
    r"\b(errors?|fail(s|ed|ures?)?|exceptions?|faults?|dlq|dead[\s_-]*letter)\b", re.IGNORECASE
)


def says_error(text: str | None) -> bool:
    return bool(text) and bool(_ERROR.search(text))


def decision_key(label: str, node_id: str) -> str:
    """`Processing Complete?` -> `processingComplete` (a JSON field name)."""
    w = ids.words(label)
    if not w:
        return f"decision{node_id[1:] if node_id.startswith('n') else node_id}"
    key = w[0].lower() + "".join(x[:1].upper() + x[1:].lower() for x in w[1:])
    key = key[:60]
    return key if key[0].isalpha() else "d" + key


def branch_value(label: str | None, target_label: str) -> str:
    """The value a branch tests for: its label, else the label of the state it leads to."""
    return (label or target_label).strip()


def is_default_label(label: str | None) -> bool:
    return bool(label) and bool(_DEFAULT_WORDS.match(label))


def default_branch(labels: list[str | None]) -> int:
    """Index of the branch that becomes the Choice's `Default`."""
    for i, label in enumerate(labels):
        if is_default_label(label):
            return i
    return len(labels) - 1


def rules(values: list[str], default: int) -> dict[str, int]:
    """value -> the branch (index) whose Choice rule tests it: the first to test it, the
    Default aside (a lone branch is its own rule). A later branch with that value is never
    taken."""
    out: dict[str, int] = {}
    for i, value in enumerate(values):
        if i != default or len(values) == 1:
            out.setdefault(value, i)
    return out
