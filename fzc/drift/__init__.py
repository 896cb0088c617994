"""Drift: does the infrastructure still say what the diagram says?

`fzc check --against TEMPLATE`, `--stack NAME` and `--out OUT/` (fzc/commands/check.py) read
files and AWS; everything here is pure: a plan and a template (as data) in, diagnostics out.

- template.py  template text -> data (CloudFormation YAML short forms, JSON, SAM expanded)
- index.py     what a value points at (Ref, GetAtt, Sub, physical names, literal ARNs)
- links.py     the connections a template realises, by meaning (one extractor per type)
- asl.py       state machine definitions as graphs
- flow.py      where each state leads (the serial lowering's due flags read), what runs after what
- rounds.py    where a flag goes through a listed loop (its round's report, entries, next round)
- expect.py    what the plan says must exist (entities, links per edge)
- match.py     diagram entities <-> template resources (networkx bipartite matching)
- compare.py   findings (FZ5001-FZ5005), workflow.py for state machine transitions
- choices.py   what a decision's Choice rules test vs the values its branches stand for: a
               rule testing another branch's value (any field), another value or field where
               the Choice reads the convention's field (`fzc.wire.decisions`), or shadowed by
               an earlier rule with the same condition is FZ5003 at the branch's edge; a
               branch the Default takes, or a rule with no StringEquals, is not judged
- stack.py     a deployed stack's live configuration laid over its template
- output.py    committed compiled output vs what `fzc compile` would write (FZ5006)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from fzc.drift.compare import Findings, Target, compare
from fzc.drift.expect import expect
from fzc.drift.index import Index
from fzc.drift.links import extract
from fzc.drift.match import match
from fzc.source import Span
from fzc.wire.plan import Plan


def check(
    plan: Plan,
    template: dict,
    name: str,
    *,
    locate: Callable[[str], Span | None] | None = None,
    physical: Mapping[str, str] | None = None,
) -> Findings:
    """Compare the plan with a template (CloudFormation as data, SAM already expanded).

    `name` names the template in messages; `locate` gives a resource's span in the template
    text (for findings that have no place in the diagram); `physical` maps logical ids to
    physical ids when the template comes from a deployed stack with live configuration.
    """
    idx = Index(template.get("Resources") or {}, dict(physical or {}))
    links = extract(idx)
    x = expect(plan)
    return compare(x, Target(name, idx, links, locate), match(x, idx, links))


__all__ = ["Findings", "check"]
