"""The model as JSON (`fzc parse --json`): lanes, nodes, edges in order, loops, with spans."""

from __future__ import annotations

import json

from fzc.model import Diagram, Endpoint
from fzc.source import Source, Span


def _span(src: Source, span: Span) -> dict:
    line, col = src.line_col(span.start)
    end_line, end_col = src.line_col(span.end)
    return {"line": line, "column": col, "end_line": end_line, "end_column": end_col}


def _end(src: Source, e: Endpoint) -> dict:
    return {"node": e.node, "lane": e.lane, "handle": e.direction, "span": _span(src, e.span)}


def to_data(d: Diagram, src: Source) -> dict:
    return {
        "path": d.path,
        "lanes": [
            {"id": lane.id, "label": lane.display, "span": _span(src, lane.span)}
            for lane in d.lanes
        ],
        "nodes": [
            {
                "id": n.id,
                "lane": n.lane,
                "shape": n.shape,
                "attributes": dict(n.attrs),
                "span": _span(src, n.span),
            }
            for n in d.nodes
        ],
        "edges": [
            {
                "index": e.index,
                "source": _end(src, e.source),
                "target": _end(src, e.target),
                "label": e.label,
                "lane": e.lane,
                "span": _span(src, e.span),
            }
            for e in d.edges
        ],
        "loops": [
            {
                "condition": loop.condition,
                "lane": loop.lane,
                "nodes": [{"node": r.node, "lane": r.lane} for r in loop.refs],
                "span": _span(src, loop.span),
            }
            for loop in d.loops
        ],
    }


def dump_json(d: Diagram, src: Source) -> str:
    return json.dumps(to_data(d, src), indent=2, ensure_ascii=False) + "\n"
