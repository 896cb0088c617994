"""Language-server re-check time after an edit, for generated diagrams of 100, 1k and 10k nodes.

    python bench/lsp.py                 # Markdown table on stdout
    python bench/lsp.py --sizes 100,1k --repeat 3

Measured in-process through the server's own re-check function (`fzc.lsp.document.recheck`:
parse, model, checks, AWS plan, name index), the work the server does after every (debounced)
edit. Diagrams come from `bench/gen.py`. Before timing, one re-check warms the process (imports,
the LALR parser), as the server does at start-up. Each round edits one label in the middle of
the diagram (alternating two texts, so no round sees the text of the previous one) and times
one re-check with `time.perf_counter`; the table shows the median and the best round, then
one re-check split into its stages, then the formatter (`fzc.fmt.format_text`, what "format
document" runs), timed like the re-check.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))  # `gen` lives next to this file
sys.path.insert(0, str(BENCH.parent))  # and fzc one folder up

from gen import generate  # noqa: E402

SIZES = {"100": 100, "1k": 1_000, "10k": 10_000}


def _edits(text: str, n: int) -> tuple[str, str]:
    """Two versions of `text`, each with the label of the middle node edited."""
    k = max(1, n // 2)
    line = next(line for line in text.splitlines() if line.startswith(f"n{k}: "))
    return (
        text.replace(line, line.replace('label:"', 'label:"Edited ', 1)),
        text.replace(line, line.replace('label:"', 'label:"Changed ', 1)),
    )


def _time(fn, texts: tuple[str, str], repeat: int) -> list[float]:
    runs = []
    for i in range(repeat):
        start = time.perf_counter()
        fn(texts[i % 2])
        runs.append(time.perf_counter() - start)
    return runs


def stages(text: str) -> dict[str, float]:
    """One re-check split into its stages (the same calls `recheck` makes), GC paused alike."""
    from fzc import check, model, syntax
    from fzc.fmt import paused_gc
    from fzc.lsp.document import index
    from fzc.source import Source
    from fzc.wire import plan

    src, times = Source("bench.fz", text), {}
    with paused_gc():
        start = time.perf_counter()
        doc, _ = syntax.parse(src)
        times["parse"] = time.perf_counter() - start
        diagram, _ = model.build(doc, src)
        check.run(diagram)
        times["model+checks"] = time.perf_counter() - start - times["parse"]
        plan(diagram, "bench", src)
        times["plan"] = time.perf_counter() - start - sum(times.values())
        index(diagram)
        times["index"] = time.perf_counter() - start - sum(times.values())
    return times


def measure(n: int, repeat: int) -> dict:
    from fzc.fmt import format_text
    from fzc.lsp.document import recheck

    text = generate(n)
    texts = _edits(text, n)
    state = recheck("file:///bench.fz", text)  # warm-up, as the server does at start
    assert not [d for d in state.analysis.diagnostics if d.is_error], "generated diagram errs"
    checks = _time(lambda s: recheck("file:///bench.fz", s), texts, repeat)
    fmts = _time(format_text, texts, repeat)
    return {
        "n": n,
        "lines": text.count("\n"),
        "median": statistics.median(checks),
        "best": min(checks),
        "fmt": statistics.median(fmts),
        "stages": stages(texts[0]),
    }


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.0f} ms" if seconds >= 0.1 else f"{seconds * 1e3:.1f} ms"


def table(rows: list[dict]) -> str:
    names = list(rows[0]["stages"])
    out = [
        "| nodes | lines | re-check median | best | µs/node | "
        + " | ".join(names)
        + " | format median |",
        "|---:" * (6 + len(names)) + "|",
    ]
    for r in rows:
        cells = [
            f"{r['n']:,}",
            f"{r['lines']:,}",
            _ms(r["median"]),
            _ms(r["best"]),
            f"{r['median'] / r['n'] * 1e6:,.0f}",
            *(_ms(r["stages"][name]) for name in names),
            _ms(r["fmt"]),
        ]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100,1k,10k", help="comma-separated: 100, 1k, 10k")
    ap.add_argument("--repeat", type=int, default=7, help="timed rounds per size")
    args = ap.parse_args(argv)
    try:
        sizes = [SIZES[s.strip()] for s in args.sizes.split(",")]
    except KeyError as exc:
        ap.error(f"unknown size {exc}; choose from {', '.join(SIZES)}")
    rows = [measure(n, max(1, args.repeat if n < 10_000 else min(args.repeat, 3))) for n in sizes]
    sys.stdout.write(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
