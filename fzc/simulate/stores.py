"""How much the diagram's stores hold: items in a table, objects in a bucket, messages in a
queue. Counted before and after each scenario, the difference is what the scenario stored."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from fzc.simulate.send import Sim


def _count_table(sim: Sim, name: str) -> int:
    return sim.aws.client("dynamodb").scan(TableName=name, Select="COUNT")["Count"]


def _count_bucket(sim: Sim, name: str) -> int:
    return sim.aws.client("s3").list_objects_v2(Bucket=name).get("KeyCount", 0)


def _count_queue(sim: Sim, url: str) -> int:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    got = sim.aws.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=names)
    return sum(int(v) for v in got["Attributes"].values())


# node kind -> (how much it holds, the attribute that names it, the unit)
COUNTERS: dict[str, tuple[Callable[[Sim, str], int], str, str]] = {
    "dynamodb": (_count_table, "Ref", "item"),
    "s3": (_count_bucket, "Ref", "object"),
    "sqs": (_count_queue, "Ref", "message"),
}


def levels(sim: Sim) -> dict[str, int]:
    """Node id -> how many items, objects or messages it holds now."""
    found = {}
    for node in sim.plan.nodes:
        if node.kind_name not in COUNTERS:
            continue
        count, attr, _ = COUNTERS[node.kind_name]
        with contextlib.suppress(Exception):  # not deployed: nothing to count
            found[node.id] = count(sim, sim.resolver.attribute(sim.primary(node.id), attr))
    return found


def added(sim: Sim, before: dict[str, int], entry: str) -> dict[str, int]:
    """Node -> how many more it holds than `before`; not the node the event was sent to (what
    the event itself left there is no consequence of it)."""
    return {
        n: v - before.get(n, 0)
        for n, v in levels(sim).items()
        if v > before.get(n, 0) and n != entry
    }
