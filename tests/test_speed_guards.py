"""Speed regression guards that time nothing (bench/run.py measures; these only count).

* Imports: each command loads only what it needs, checked in a fresh interpreter through the
  real entry point (`fzc --version` and `--help` never load lark, networkx or jinja2; `fmt`
  never networkx or jinja2; `check` never jinja2, lark, the backends or the drift readers).
* Call and line counts: every function of fzc (and every call fzc makes into other code) is
  counted, with the lines each fzc function runs, over parse, build, check, plan and emit (all
  backends) of generated diagrams of 200 and 2,000 nodes, with and without errors; the count
  per node must not grow with the diagram. A loop over all nodes inside a per-node loop
  multiplies its counts by the size, so it fails here.
* The cyclic GC is off in `fzc check` and `fzc compile` (short-lived processes).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections import Counter
from pathlib import Path

import pytest
from conftest import FLAGSHIP, fresh_python
from golden import REPO

FZC = str(REPO / "fzc") + os.sep
HEAVY = ("lark", "networkx", "jinja2")


def _fresh(args: list[str], extra: str = "") -> dict:
    """Run `fzc ARGS` through `fzc.cli.main` in a new interpreter (from the repo root); the
    exit code, and which modules were imported by the end."""
    code = (
        "import json, sys\n"
        f"sys.argv = ['fzc', *{args!r}]\n"
        "from fzc.cli import main\n"
        "try:\n"
        "    main()\n"
        "    rc = 0\n"
        "except SystemExit as exc:\n"
        "    rc = exc.code\n"
        "import gc\n"
        f"{extra}"
        "print('\\n' + json.dumps({'rc': rc, 'modules': sorted(sys.modules), "
        "'gc': gc.isenabled()}))\n"
    )
    return fresh_python(code)


def _loaded(result: dict, names) -> list[str]:
    mods = set(result["modules"])
    return sorted(n for n in names if n in mods or any(m.startswith(n + ".") for m in mods))


@pytest.mark.parametrize(
    "args", [["--version"], ["--help"], ["check", "--help"], ["compile", "--help"]]
)
def test_version_and_help_import_no_heavy_dependency(args):
    result = _fresh(args)
    assert result["rc"] == 0
    assert _loaded(result, HEAVY) == []


def test_fmt_imports_neither_networkx_nor_jinja2():
    result = _fresh(["fmt", "--check", str(FLAGSHIP)])
    assert result["rc"] in (0, 1)  # 1: the file is not in canonical layout
    assert "fzc.syntax.parser" in result["modules"]  # it did parse: the check is not vacuous
    assert _loaded(result, ("networkx", "jinja2")) == []


def test_check_imports_no_template_engine_backend_drift_reader_or_lark():
    """lark parses only the lines the fast path does not recognise: none in the flagship."""
    result = _fresh(["check", str(FLAGSHIP)])
    assert result["rc"] == 0
    assert {"fzc.check", "fzc.wire.planner", "fzc.syntax.lines"} <= set(result["modules"])
    unneeded = ("jinja2", "yaml", "boto3", "samtranslator", "fzc.backends", "fzc.drift", "lark")
    assert _loaded(result, unneeded) == []


def test_check_runs_with_the_cyclic_gc_off():
    assert _fresh(["check", str(FLAGSHIP)])["gc"] is False


def test_compile_runs_with_the_cyclic_gc_off(tmp_path: Path):
    result = _fresh(["compile", str(FLAGSHIP), "-o", str(tmp_path / "out"), "--force"])
    assert result["rc"] == 0
    assert result["gc"] is False


# ---------------------------------------------------------------------------------------------
# Call counts per node.


def _generate(n: int) -> str:
    spec = importlib.util.spec_from_file_location("fzc_bench_gen", REPO / "bench" / "gen.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    return gen.generate(n, seed=1, back=0.05)


def _with_errors(text: str, n: int) -> str:
    """`text` plus, for one node in 10: a duplicate declaration, an id not of the form nK, an
    edge to an unknown node and a loop over unknown nodes (errors in proportion to size)."""
    lines = ["Errors { # Errors"]
    for k in range(1, n + 1, 10):
        lines.append(f'n{k}: rectangle label:"Again {k}"')
        lines.append(f'x{k}: rectangle label:"Bad id {k}"')
        lines.append(f"n{k}.handle(right) -> n{n + k}.handle(left)")
        lines.append(f"loop [retry] n{n + k} n{n + k + 1}")
    return text + "\n".join([*lines, "}"]) + "\n"


def _count(run) -> Counter:
    """Calls during `run()`: of each fzc function (by code object), and from fzc code into any
    other function or builtin (by caller and callee); and the lines each fzc function runs,
    which a loop over all nodes inside a per-node call multiplies without any extra call."""
    counts: Counter = Counter()

    def where(code) -> str:
        return f"{code.co_filename[len(FZC) :]}:{code.co_firstlineno}:{code.co_name}"

    def hook(frame, event, arg):
        if event == "call":
            code = frame.f_code
            if code.co_filename.startswith(FZC):
                counts[where(code)] += 1
            elif frame.f_back is not None and frame.f_back.f_code.co_filename.startswith(FZC):
                counts[f"{where(frame.f_back.f_code)} -> {code.co_name}"] += 1
        elif event == "c_call" and frame.f_code.co_filename.startswith(FZC):
            name = getattr(arg, "__qualname__", None) or getattr(arg, "__name__", "?")
            counts[f"{where(frame.f_code)} -> {name}"] += 1

    def lines(frame, event, arg):  # a loop over all nodes needs no call to cost a pass
        if event == "line":
            counts[f"{where(frame.f_code)} [lines]"] += 1
        return lines

    def trace(frame, event, arg):
        return lines if frame.f_code.co_filename.startswith(FZC) else None

    sys.setprofile(hook)
    sys.settrace(trace)
    try:
        run()
    finally:
        sys.settrace(None)
        sys.setprofile(None)
    return counts


def _stages(text: str, plan: bool) -> tuple[dict[str, Counter], list]:
    from fzc import check, model, syntax
    from fzc.pipeline import decode
    from fzc.wire import plan as make_plan

    src, _ = decode("gen.fz", text.encode())
    syntax.parse(src)  # the first call builds the parser: not counted
    st: dict = {}
    out = {
        "parse": _count(lambda: st.update(doc=syntax.parse(src)[0])),
        "build": _count(lambda: st.update(diagram=model.build(st["doc"], src)[0])),
        "check": _count(lambda: st.update(found=check.run(st["diagram"]))),
    }
    if plan:
        from fzc.backends import Options, emit_all

        def plan_in_full():  # past ~185 nodes the planner would stop at the quota (FZ4002)
            st.update(plan=make_plan(st["diagram"], "gen", src, stop_early=False)[0])

        out["plan"] = _count(plan_in_full)
        # every backend, every file: a stub that scanned all workflows per function made a
        # 10k-node compile take 24 s in the stubs alone
        out["emit"] = _count(lambda: emit_all(st["plan"], Options()))
    return out, st["found"]


SMALL, LARGE = 200, 2_000
# Allowed growth of the calls per node from SMALL to LARGE. A loop over all nodes inside a
# per-node loop gives 10; the data give up to 2.7 (at 2,000 nodes labels carry 4-digit
# numbers, so more of them outgrow a slug and get a hash suffix: `ids._digest`).
GROWTH = 4.0
SLACK = 100  # absolute calls forgiven (fixed costs, rounding of the generator's proportions)


def _growth(small: Counter, large: Counter) -> list[str]:
    bad = []
    for key, big in large.items():
        allowed = GROWTH * small.get(key, 0) * LARGE / SMALL + SLACK
        if big > allowed:
            bad.append(f"{key}: {small.get(key, 0)} at {SMALL} nodes, {big} at {LARGE}")
    return sorted(bad)


@pytest.mark.parametrize("errors", [False, True], ids=["valid", "with-errors"])
def test_calls_per_node_do_not_grow_with_the_diagram(errors):
    runs = {}
    for n in (SMALL, LARGE):
        text = _generate(n)
        text = _with_errors(text, n) if errors else text
        runs[n], found = _stages(text, plan=not errors)
        codes = Counter(d.code.code for d in found)
        if errors:  # the errors are there, in proportion to size (else nothing is guarded)
            assert min(codes[c] for c in ("FZ1002", "FZ1003", "FZ1008", "FZ2006")) >= n // 10
        else:
            assert not any(d.is_error for d in found)
    bad = []
    for stage, large in runs[LARGE].items():
        small = runs[SMALL][stage]
        assert sum(small.values()) > 0, f"{stage}: nothing counted"
        bad += [f"{stage}: {b}" for b in _growth(small, large)]
    assert not bad, "calls per node grow with the diagram:\n" + "\n".join(bad)
