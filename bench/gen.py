"""Deterministic generator of valid FlowZap diagrams for benchmarks.

    python bench/gen.py N [--seed S] [--back FRACTION] > diagram.fz

Shape of the output (the same recipe as the diagrams behind shared/research/performance.md):

* N nodes with ids exactly n1..nN, in lanes of 20 (`L1`, `L2`, ...), declared in id order;
* a backbone n1 -> n2 -> ... -> nN (one connected flow), plus random extra edges up to about
  1.5 edges per node; 25% of the extras cross lanes (written `Lane.nK`), half carry a label;
* about one node in 12 is a diamond with exactly two labelled branches (`Yes` on the backbone,
  `No` to a later node); random extras never leave a diamond;
* one `loop [...]` per lane over 2-4 of its nodes;
* every edge is written in its source's lane; no self-edges, no duplicate edges.

Extras go forward (a DAG) unless `--back` turns that fraction of them backwards.
The output depends only on N, the seed and `--back` (it uses `random.Random.random()` only,
whose sequence is stable across Python versions). `fzc check` reports no diagnostics on it
up to about 180 nodes; past that, only CloudFormation's template quotas (FZ4002, FZ4004).

    python bench/gen.py N --milestones > diagram.fz

is instead one Step Functions node orchestrating a chain of N milestones (circles): Pass
states, no resources, so a workflow of any length in a template far under its quotas.
"""

from __future__ import annotations

import argparse
import random
import sys

LANE_SIZE = 20
EDGES_PER_NODE = 1.5
CROSS_LANE = 0.25
LABELLED = 0.5
DIAMOND_EVERY = 12
_WORDS = (
    "Validate",
    "Enrich",
    "Store",
    "Notify",
    "Route",
    "Transform",
    "Archive",
    "Score",
    "Publish",
    "Audit",
)
_OBJECTS = ("order", "event", "record", "payload", "batch", "invoice", "image", "message")
_EDGE_LABELS = ("ok", "retry", "async", "fan-out", "on change", "nightly", "overflow", "audit")


def _lane(k: int) -> int:
    """1-based lane number of node nK."""
    return (k - 1) // LANE_SIZE + 1


def _lane_range(lane: int, n: int) -> tuple[int, int]:
    """Inclusive id range of a lane."""
    first = (lane - 1) * LANE_SIZE + 1
    return first, min(first + LANE_SIZE - 1, n)


def generate(n: int, seed: int = 0, back: float = 0.0) -> str:
    """The text of one diagram of `n` nodes (n >= 1)."""
    if n < 1:
        raise ValueError("n must be >= 1")
    rnd = random.Random(seed).random
    lanes = _lane(n)

    def pick(lo: int, hi: int) -> int:  # uniform integer in [lo, hi]
        return lo + int(rnd() * (hi - lo + 1))

    diamonds = {k for k in range(2, n - 1) if k % DIAMOND_EVERY == 7}
    shapes = {k: "diamond" if k in diamonds else "rectangle" for k in range(1, n + 1)}
    shapes[1] = "circle"
    if n > 1:
        shapes[n] = "circle"

    # edges: source -> list of (target, label); `taken` rejects self and duplicate pairs
    out: dict[int, list[tuple[int, str | None]]] = {k: [] for k in range(1, n + 1)}
    taken: set[tuple[int, int]] = set()

    def add(a: int, b: int, label: str | None) -> bool:
        if a == b or (a, b) in taken:
            return False
        taken.add((a, b))
        out[a].append((b, label))
        return True

    for k in range(1, n):
        add(k, k + 1, "Yes" if k in diamonds else None)
    for k in sorted(diamonds):  # the second branch skips ahead, in the lane when it can
        first, last = _lane_range(_lane(k), n)
        target = pick(k + 2, last) if k + 2 <= last else min(k + 2 + pick(0, 5), n)
        if not add(k, target, "No"):
            add(k, n, "No")

    extras = max(0, round(n * EDGES_PER_NODE) - len(taken))
    sources = [k for k in range(1, n + 1) if k not in diamonds]
    attempts = 0
    while extras > 0 and attempts < 20 * n and sources:
        attempts += 1
        a = sources[int(rnd() * len(sources))]
        lane = _lane(a)
        first, last = _lane_range(lane, n)
        backwards = rnd() < back
        if rnd() < CROSS_LANE and lanes > 1:
            if backwards and lane > 1:
                other = pick(max(1, lane - 5), lane - 1)
            elif lane < lanes:
                other = pick(lane + 1, min(lanes, lane + 5))
            else:
                continue
            lo, hi = _lane_range(other, n)
            b = pick(lo, hi)
        elif backwards:
            if a == first:
                continue
            b = pick(first, a - 1)
        else:
            if a + 2 > last:
                continue
            b = pick(a + 2, last)
        label = _EDGE_LABELS[int(rnd() * len(_EDGE_LABELS))] if rnd() < LABELLED else None
        if add(a, b, label):
            extras -= 1

    lines: list[str] = []
    for lane in range(1, lanes + 1):
        first, last = _lane_range(lane, n)
        lines.append(f"L{lane} {{ # Lane {lane}")
        for k in range(first, last + 1):
            what = f"{_WORDS[k % len(_WORDS)]} {_OBJECTS[k % len(_OBJECTS)]} {k}"
            extra = f' description:"Step {k} of lane {lane}"' if k % 5 == 0 else ""
            lines.append(f'n{k}: {shapes[k]} label:"{what}"{extra}')
        for a in range(first, last + 1):
            for b, label in out[a]:
                cross = _lane(b) != lane
                target = f"L{_lane(b)}.n{b}" if cross else f"n{b}"
                if cross or shapes[a] == "diamond" and label == "No":
                    handles = ("bottom", "top")
                elif b < a:
                    handles = ("left", "left")
                else:
                    handles = ("right", "left")
                text = f"n{a}.handle({handles[0]}) -> {target}.handle({handles[1]})"
                lines.append(text + (f' [label="{label}"]' if label else ""))
        members = list(range(first, last + 1))
        if len(members) == 1 and first > 1:
            members = [first - 1, first]  # a one-node last lane loops with its predecessor
        elif len(members) > 2:
            members.pop()  # keep a lane's last node free for that case: loops never overlap
        if len(members) >= 2:
            size = min(len(members), 2 + int(rnd() * 3))
            i = int(rnd() * (len(members) - size + 1))
            refs = " ".join(f"n{k}" for k in members[i : i + size])
            lines.append(f"loop [retry lane {lane} until done] {refs}")
        lines.append("}")
    return "\n".join(lines) + "\n"


def milestones(n: int) -> str:
    """One Step Functions node (n1) over a chain of `n` milestones n2..n(n+1)."""
    lines = ["L1 { # Lane 1", 'n1: rectangle label:"Orders state machine"']
    lines += [f'n{i}: circle label:"Milestone {i}"' for i in range(2, n + 2)]
    lines += [f"n{i}.handle(right) -> n{i + 1}.handle(left)" for i in range(1, n + 1)]
    return "\n".join([*lines, "}"]) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, help="number of nodes")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--back", type=float, default=0.0, help="fraction of extra edges turned backwards"
    )
    ap.add_argument(
        "--milestones", action="store_true", help="a state machine over a chain of N milestones"
    )
    args = ap.parse_args(argv)
    if args.n < 1:
        ap.error("N must be >= 1")
    make = milestones if args.milestones else lambda n: generate(n, args.seed, args.back)
    sys.stdout.write(make(args.n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
