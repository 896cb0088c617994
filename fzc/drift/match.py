"""Which template resource each diagram entity is: the resource with its logical id and class
when there is one, else a maximum-weight bipartite matching between the remaining plan
entities and template resources of the same class (networkx).

The weight of a pair is, in decreasing order of importance:
1. connections that agree under the previous round's matching (an expected link p -> q is
   present as t -> M(q) in the template), so structure decides;
2. the overlap of their connection signatures (kind, direction, neighbour class), which
   decides the first round;
3. name similarity between the node's label and the resource's logical id and physical name,
   which only breaks ties.
Rounds repeat until the matching is stable (it converges in two or three on real templates).
"""

from __future__ import annotations

import re
from collections import Counter
from difflib import SequenceMatcher

from fzc.drift.expect import Expectation
from fzc.drift.index import ENTITY_TYPES, NAME_PROPERTY, Index, flatten
from fzc.drift.links import ANY, Link

AGREE, SHAPE, NAME = 1000.0, 10.0, 1.0
_ROUNDS = 6
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def _words(text: str) -> set[str]:
    text = re.sub(r"\$\{[^}]*\}", " ", text)
    return {w.lower() for w in _WORD.findall(text)} - {"aws", "fzc"}


def _compact(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def name_similarity(label: str, lid: str, physical: str = "") -> float:
    a, b = _words(label), _words(lid) | _words(physical)
    jaccard = len(a & b) / len(a | b) if a | b else 0.0
    return max(jaccard, SequenceMatcher(None, _compact(label), _compact(lid)).ratio())


def _signature(links: list[Link], classes: dict[str, str]) -> dict[str, Counter]:
    sig: dict[str, Counter] = {}
    for link in links:
        if ANY in (link.source, link.target):
            continue
        for me, other, way in ((link.source, link.target, "out"), (link.target, link.source, "in")):
            if me in classes and other in classes:
                sig.setdefault(me, Counter())[(link.kind, way, classes[other])] += 1
    return sig


class Matcher:
    def __init__(self, x: Expectation, t: Index, links: list[Link]) -> None:
        self.x, self.t = x, t
        self.plan_cls = {k: e.cls for k, e in x.entities.items()}
        self.tpl_cls = {lid: ENTITY_TYPES[t.type(lid)] for lid in t.entities()}
        expected = [e.link for e in x.links]
        self.expected = expected
        self.present = {(lk.kind, lk.source, lk.target) for lk in links}
        self.plan_sig = _signature(expected, self.plan_cls)
        self.tpl_sig = _signature(links, self.tpl_cls)
        # A resource with the entity's own logical id and class is its counterpart: fzc's own
        # output and most hand edits keep the ids. Only the others are weighed and matched,
        # as scoring every pair and matching them all is cubic (a 1k-node diagram took 5 min).
        self.anchors = {p: p for p, c in self.plan_cls.items() if self.tpl_cls.get(p) == c}
        self.names = {
            (p, lid): name_similarity(e.label, lid, self._physical(lid))
            for p, e in x.entities.items()
            if p not in self.anchors
            for lid, cls in self.tpl_cls.items()
            if cls == e.cls and lid not in self.anchors
        }
        self.touching: dict[str, list[Link]] = {}
        for link in expected:
            self.touching.setdefault(link.source, []).append(link)
            if link.target != link.source:
                self.touching.setdefault(link.target, []).append(link)

    def _physical(self, lid: str) -> str:
        prop = NAME_PROPERTY.get(self.t.type(lid))
        return (flatten(self.t.props(lid).get(prop)) or "") if prop else ""

    def _agree(self, p: str, t: str, m: dict[str, str]) -> int:
        n = 0
        for link in self.touching.get(p, ()):
            if link.source == p and link.target in m:
                n += (link.kind, t, m[link.target]) in self.present
            elif link.target == p and link.source in m:
                n += (link.kind, m[link.source], t) in self.present
        return n

    def _shape(self, p: str, t: str) -> int:
        a, b = self.plan_sig.get(p, Counter()), self.tpl_sig.get(t, Counter())
        return sum((a & b).values())

    def _round(self, previous: dict[str, str]) -> dict[str, str]:
        if not self.names:
            return dict(sorted(self.anchors.items()))
        import networkx as nx

        g = nx.Graph()
        for (p, t), name in sorted(self.names.items()):
            weight = AGREE * self._agree(p, t, previous) + SHAPE * self._shape(p, t)
            g.add_edge(("p", p), ("t", t), weight=weight + NAME * name + 1e-3)
        pairs = nx.max_weight_matching(g, maxcardinality=True)
        out = dict(self.anchors)
        for a, b in pairs:
            (side_a, ka), (_, kb) = a, b
            p, t = (ka, kb) if side_a == "p" else (kb, ka)
            out[p] = t
        return dict(sorted(out.items()))

    def run(self) -> dict[str, str]:
        m: dict[str, str] = {}
        for _ in range(_ROUNDS):
            nxt = self._round(m)
            if nxt == m:
                break
            m = nxt
        return m


def match(x: Expectation, t: Index, links: list[Link]) -> dict[str, str]:
    """Plan entity key -> template logical id, for every entity that has a counterpart."""
    return Matcher(x, t, links).run()
