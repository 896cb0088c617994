"""Benchmarks for fzc: per-stage in-process times, peak memory, and cold-process start-up.

    python bench/run.py                       # 100, 1k, 10k, 100k nodes + cold runs, plain text
    python bench/run.py --markdown > bench/RESULTS.md
    python bench/run.py --quick               # CI smoke: small sizes, few repeats
    python bench/run.py --sizes 1k,10k --repeat 5 --no-cold

Method (as in shared/research/performance.md): every figure is a median; ratios are medians of
ratios taken pair by pair from runs made in turn in the same call.

* In-process: for each size, `bench/gen.py` writes one diagram to a temporary file. Each round
  starts one fresh worker process per GC mode (modes in rotated order), which imports the stages,
  runs the whole chain once on the sample (so compiling the parser's patterns and importing networkx
  are not charged to the per-node figures), reads the file, then times every stage once with
  `time.perf_counter` and reports `ru_maxrss`. GC modes: `on` (the default interpreter) and
  `off` (`gc.collect(); gc.freeze(); gc.disable()` before the chain, as the research recommends).
* Cold: whole processes spawned with `os.posix_spawn` and reaped with `os.wait4` (wall, CPU,
  peak RSS) by a small `python -I -S` driver; all commands of a round run back to back in
  rotated order after warm-up runs. Besides `fzc check` and `--version`, the rounds run
  `fzc compile` of the flagship (`--force`: it really compiles every time) and its peers on
  the same input: `cfn-lint` on the template it wrote, and aws-sam-translator (`_SAM_PEER`)
  on the hand-written SAM template of the flagship. `TARGETS` holds the issue's bounds, each
  checked with a paired ratio from the same rounds (no timing is asserted: it is reported).
* Peak memory is `ru_maxrss`. Linux folds the spawning process's own high-water mark into a
  child's `ru_maxrss` at exec, so every spawner here is kept smaller than what it measures.

Stages are one table (`STAGES`) and form a chain; a stage whose module does not exist yet, or
that fails on the sample, is reported as skipped, and so are the stages after it. A stage that
would take longer than `--budget` seconds (predicted from the smaller sizes, and enforced by a
timer) is skipped at that size and above. No timing is asserted anywhere: this only measures.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import importlib
import importlib.util
import json
import math
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
SAMPLE = REPO / "samples" / "event_processing.fz"
sys.path.insert(0, str(BENCH))  # `gen` lives next to this file

# ---------------------------------------------------------------------------------------------
# Stages. Each reads and writes one shared dict; add a row to measure a new stage. A stage whose
# module is missing, or that fails on the sample (e.g. a later stage whose input was skipped),
# is reported as skipped instead of measured.


@dataclass(frozen=True)
class Stage:
    name: str
    module: str
    run: Callable[[Any, dict], None]  # (imported module, state) -> None
    what: str


def _decode(m, st: dict) -> None:
    st["src"], st["diagnostics"] = m.decode(st["path"], st["data"])


def _parse(m, st: dict) -> None:
    st["doc"], more = m.parse(st["src"])
    st["diagnostics"] += more


def _build(m, st: dict) -> None:
    st["diagram"], more = m.build(st["doc"], st["src"])
    st["diagnostics"] += more


def _check(m, st: dict) -> None:
    st["diagnostics"] += m.run(st["diagram"])


def _plan(m, st: dict) -> None:
    # in full: the CLI stops once a diagram is certain to exceed a template quota (any
    # generated diagram past ~185 nodes), which is what these rows are not about
    st["plan"], more = m.plan(st["diagram"], "bench", st["src"], stop_early=False)
    st["diagnostics"] += more


def _emit(m, st: dict) -> None:
    st["artifacts"] = m.emit_all(st["plan"], m.Options())


# The stages form a chain: each reads what the ones before it wrote, so when one is skipped,
# every later one is skipped too.
STAGES: tuple[Stage, ...] = (
    Stage("decode", "fzc.pipeline", _decode, "bytes -> Source (UTF-8, line table)"),
    Stage("parse", "fzc.syntax", _parse, "Source -> statements (Lark LALR, inline callbacks)"),
    Stage("build", "fzc.model", _build, "statements -> Diagram"),
    Stage("check", "fzc.check", _check, "name and graph checks (networkx)"),
    Stage("plan", "fzc.wire", _plan, "Diagram -> Plan (AWS resources and wiring)"),
    Stage("emit", "fzc.backends", _emit, "Plan -> artifacts (all backends, in memory)"),
)

GC_MODES = {"on": "GC on", "off": "GC frozen + disabled"}

# ---------------------------------------------------------------------------------------------
# Worker: one fresh process, one diagram, one GC mode, one timed pass. Prints JSON.


def _maxrss_kib() -> int:
    """Peak RSS of this process. ru_maxrss also counts the RSS of the process that spawned this
    one (Linux folds the spawner's high-water mark in at exec), so the parent keeps itself small
    (it generates diagrams in a subprocess) to stay below the worker's own floor."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def _vm_hwm_kib() -> int | None:
    """This address space's own high-water mark (/proc), for cross-checking ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _gen2() -> int:
    return gc.get_stats()[2]["collections"]


def _load_stages() -> tuple[list[tuple[Stage, Any]], dict[str, str], dict[str, float]]:
    """Import the stage modules; (stage, module) pairs, skip reasons, import ms per stage."""
    loaded, skipped, imports = [], {}, {}
    for stage in STAGES:
        if skipped:
            skipped[stage.name] = f"follows skipped stage {next(iter(skipped))}"
            continue
        try:
            present = importlib.util.find_spec(stage.module) is not None
        except ModuleNotFoundError:
            present = False
        if not present:
            skipped[stage.name] = f"`{stage.module}` does not exist yet"
            continue
        t0 = time.perf_counter()
        try:
            module = importlib.import_module(stage.module)
        except Exception as exc:  # noqa: BLE001 - report, keep measuring the others
            skipped[stage.name] = f"import failed: {type(exc).__name__}: {exc}"
            continue
        imports[stage.name] = (time.perf_counter() - t0) * 1e3
        loaded.append((stage, module))
    return loaded, skipped, imports


class _OverBudget(BaseException):  # not an Exception: stages must not swallow it
    pass


def _on_alarm(signum, frame) -> None:
    raise _OverBudget


def _run_stage(stage: Stage, module, state: dict, budget: float) -> None:
    """Run one stage; raise `_OverBudget` once it has taken `budget` seconds (0: no limit)."""
    if budget > 0:
        signal.setitimer(signal.ITIMER_REAL, budget)
    try:
        stage.run(module, state)
    finally:
        if budget > 0:
            signal.setitimer(signal.ITIMER_REAL, 0)


def worker(path: str, mode: str, stop: str | None, budget: float, mem_limit_mib: int) -> dict:
    """One timed pass over `path`; stages from `stop` on are left out."""
    signal.signal(signal.SIGALRM, _on_alarm)
    if mem_limit_mib > 0:  # a runaway stage fails with MemoryError instead of taking the machine
        import resource

        limit = mem_limit_mib * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    loaded, skipped, imports = _load_stages()
    # Warm-up on the sample: first calls build the parser and import networkx.
    state: dict = {"path": str(SAMPLE), "data": SAMPLE.read_bytes()}
    first: dict[str, float] = {}
    ready = []
    for stage, module in loaded:
        if skipped:
            skipped[stage.name] = f"follows skipped stage {next(iter(skipped))}"
            continue
        t0 = time.perf_counter()
        try:
            _run_stage(stage, module, state, budget)
        except _OverBudget:
            skipped[stage.name] = f"takes over {budget:g} s on the sample"
            continue
        except Exception as exc:  # noqa: BLE001 - e.g. an API that is not there yet
            skipped[stage.name] = f"fails on the sample: {type(exc).__name__}: {exc}"
            continue
        first[stage.name] = (time.perf_counter() - t0) * 1e3
        ready.append((stage, module))
    del state
    names = [stage.name for stage, _ in ready]
    if stop in names:
        ready = ready[: names.index(stop)]

    state = {"path": path, "data": Path(path).read_bytes()}
    gc.collect()
    rss_before = _maxrss_kib()
    if mode == "off":
        gc.freeze()
        gc.disable()
    times: dict[str, float] = {}
    cpu: dict[str, float] = {}
    gen2: dict[str, int] = {}
    failed: dict[str, str] = {}
    rss_after: dict[str, int] = {}
    for stage, module in ready:
        g0, c0, t0 = _gen2(), time.process_time(), time.perf_counter()
        try:
            _run_stage(stage, module, state, budget)
        except _OverBudget:
            failed[stage.name] = f"stopped after {budget:g} s (`--budget`)"
            break
        except Exception as exc:  # noqa: BLE001 - report it, do not time the rest
            failed[stage.name] = f"{type(exc).__name__}: {exc}"
            break
        times[stage.name] = time.perf_counter() - t0
        rss_after[stage.name] = _maxrss_kib()
        cpu[stage.name] = time.process_time() - c0
        gen2[stage.name] = _gen2() - g0
    rss_peak = _maxrss_kib()
    levels: dict[str, int] = {}
    for d in state.get("diagnostics", ()):
        levels[str(d.level)] = levels.get(str(d.level), 0) + 1
    return {
        "times": times,
        "cpu": cpu,
        "gen2": gen2,
        "skipped": skipped,
        "failed": failed,
        "import_ms": imports,
        "first_call_ms": first,
        "rss_before_kib": rss_before,
        "rss_peak_kib": rss_peak,
        "rss_after_kib": rss_after,
        "vm_hwm_kib": _vm_hwm_kib(),
        "diagnostics": levels,
        "bytes": len(state["data"]),
    }


# ---------------------------------------------------------------------------------------------
# Parent: in-process rounds.


def _progress(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _run_worker(path: Path, mode: str, stop: str | None, budget: float, mem_limit: int) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", str(path), "--gc", mode]
    cmd += ["--budget", str(budget), "--mem-limit", str(mem_limit)]
    if stop:
        cmd += ["--stop", stop]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    if proc.returncode != 0:
        raise RuntimeError(f"worker failed ({proc.returncode}): {proc.stderr.strip()}")
    return json.loads(proc.stdout)


def _rounds_for(n: int, repeat: int | None) -> int:
    if repeat is not None:
        return repeat
    return 7 if n <= 10_000 else 3


def _predict(history: list[tuple[int, float]], n: int) -> float:
    """Seconds a stage should take at `n` nodes, from its medians at the smaller sizes: the
    last one scaled by the growth exponent of the last two (at least linear)."""
    n1, t1 = history[-1]
    k = 1.0
    if len(history) >= 2:
        n0, t0 = history[-2]
        if t0 > 0 and t1 > 0 and n1 > n0:
            k = max(1.0, math.log(t1 / t0) / math.log(n1 / n0))
    return t1 * (n / n1) ** k


def in_process(
    sizes: list[int],
    modes: list[str],
    repeat: int | None,
    seed: int,
    budget: float,
    mem_limit: int,
    tmp: Path,
) -> list[dict]:
    results = []
    history: dict[str, list[tuple[int, float]]] = {}
    dead: dict[str, int] = {}  # stage -> size at which it failed or ran out of budget
    for n in sorted(sizes):
        path = tmp / f"gen-{n}.fz"
        t0 = time.perf_counter()
        with path.open("wb") as fh:  # a subprocess, so that this process stays small
            gen = [sys.executable, str(BENCH / "gen.py"), str(n), "--seed", str(seed)]
            subprocess.run(gen, stdout=fh, check=True)
        _progress(f"[in-process] {n:,} nodes: generated in {time.perf_counter() - t0:.1f} s")
        over: dict[str, float] = {}
        for stage in STAGES:
            if stage.name in dead:
                break
            if stage.name in history and budget > 0:
                predicted = _predict(history[stage.name], n)
                if predicted > budget:
                    over[stage.name] = predicted
                    _progress(f"  {stage.name}: predicted {predicted:,.0f} s, over budget")
                    break
        order = [s.name for s in STAGES]
        stops = [*over, *dead]
        stop = min(stops, key=order.index) if stops else None
        rounds = _rounds_for(n, repeat)
        runs: dict[str, list[dict]] = {m: [] for m in modes}
        for r in range(rounds):
            modes_now = modes[r % len(modes) :] + modes[: r % len(modes)]
            for mode in modes_now:
                res = _run_worker(path, mode, stop, budget, mem_limit)
                runs[mode].append(res)
                total = sum(res["times"].values())
                _progress(f"  round {r + 1}/{rounds} gc {mode}: {total:.2f} s")
                for name, why in res["failed"].items():  # it would fail again: stop before it
                    _progress(f"  {name} failed: {why}")
                    dead.setdefault(name, n)
                    if stop is None or order.index(name) < order.index(stop):
                        stop = name
        main = runs[modes[0]]
        for name in main[0]["times"]:
            if all(name in run["times"] for run in main):
                t = statistics.median(run["times"][name] for run in main)
                history.setdefault(name, []).append((n, t))
        results.append({"nodes": n, "bytes": path.stat().st_size, "runs": runs, "over": over})
        path.unlink()
    return results


# ---------------------------------------------------------------------------------------------
# Parent: cold processes. A small driver (`python -I -S`) spawns them: on Linux a child's
# ru_maxrss includes the RSS of the process that spawned it, so the spawner must be smaller
# than anything it measures.

_DRIVER = """
import json, os, sys, time
spec = json.load(sys.stdin)
null = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_WRONLY, 0) for fd in (1, 2)]
def spawn(c):
    t0 = time.perf_counter()
    pid = os.posix_spawn(c["argv"][0], c["argv"], c["env"], file_actions=null)
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    return [wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, os.waitstatus_to_exitcode(status)]
cmds = spec["commands"]
for c in cmds:
    for _ in range(spec["warmup"]):
        spawn(c)
out = {c["key"]: [] for c in cmds}
for r in range(spec["rounds"]):
    k = r % len(cmds)
    for c in cmds[k:] + cmds[:k]:
        out[c["key"]].append(spawn(c))
print(json.dumps(out))
"""


# The nearest peer of `fzc compile`: aws-sam-translator compiling a high-level description (the
# hand-written SAM template of the flagship) to CloudFormation, offline as `fzc check --against`
# runs it (fzc/drift/template.py): fixed region, no managed-policy lookup. Local code paths
# become S3 URIs first, as `sam package` would make them (the transform refuses local paths).
# It writes its template, as `fzc compile` does. Run as `python -c` in a cold process.
_SAM_PEER = """
import json, sys
import boto3
from samtranslator.parser.parser import Parser
from samtranslator.translator.arn_generator import ArnGenerator
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import yaml_parse
src, out = sys.argv[1:3]
with open(src, encoding="utf-8") as fh:
    template = yaml_parse(fh.read())
sections = [template.get("Globals", {}).get("Function", {})]
sections += [r.get("Properties", {}) for r in template["Resources"].values()]
for props in sections:
    for key in ("CodeUri", "DefinitionUri"):
        if isinstance(props.get(key), str) and not props[key].startswith("s3://"):
            props[key] = "s3://bench/" + props[key].strip("./")
ArnGenerator.BOTO_SESSION_REGION_NAME = "us-east-1"
session = boto3.session.Session(region_name="us-east-1")
cfn = Translator(None, Parser(), boto_session=session).translate(
    template, parameter_values={}, get_managed_policy_map=dict
)
with open(out, "w", encoding="utf-8") as fh:
    json.dump(cfn, fh, indent=1, default=str)
"""
SAM_TEMPLATE = REPO / "tests" / "drift" / "handwritten-sam.yaml"

# Targets (issue "Speed and scale"): (label, row key, baseline key, kind, bound). `ratio`: the
# row's wall / the baseline's wall must be at most `bound`; `faster`: the baseline (a peer)
# must take at least `bound` times the row's wall. Rows measured only in some set-ups (the
# bytecode-cache variants, peers that are not installed) are left out when absent.
TARGETS = (
    ("cold `fzc check` ≤ 20× `python -c pass`", "check-pyc", "pass-pyc", "ratio", 20.0),
    ("… without bytecode²", "check", "pass", "ratio", 20.0),
    ("cold compile ≥ 2× faster than aws-sam-translator", "compile-pyc", "sam", "faster", 2.0),
    ("… without bytecode²", "compile", "sam", "faster", 2.0),
    ("cold compile ≥ 5× faster than cfn-lint", "compile-pyc", "cfn-lint", "faster", 5.0),
    ("… without bytecode²", "compile", "cfn-lint", "faster", 5.0),
)


# Scale, cold (issue targets): `fzc compile` of one generated diagram of 10k and 100k nodes,
# and of a folder of diagrams the size one stack allows (a monorepo: `fzc compile DIR/`),
# each a whole process, timed from outside with its peak RSS. A generated diagram past about
# 185 nodes breaks CloudFormation's 500-resource quota, so the single big diagrams end in
# FZ4xxx (exit 1, nothing written): their time is parse, checks and the planner's ids, after
# which the quota is certain (`wire.limits`); the in-process rows plan them in full.
MONOREPO_NODES = 160  # per diagram: under every quota, so each compiles to its own stack
SCALE_TARGETS = {10_000: 2.0, 100_000: 20.0}  # seconds
SCALE_MEMORY_MIB = 1024


def _timed(argv: list[str], tmp: Path) -> dict:
    err = tmp / "scale-stderr.txt"
    with open(err, "w") as fh:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=fh, cwd=REPO)
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    text = err.read_text(encoding="utf-8", errors="replace")
    codes = sorted(set(re.findall(r"error\[(FZ\d{4})\]", text)))
    return {
        "wall": wall,
        "maxrss_mib": ru.ru_maxrss / 1024,
        "rc": os.waitstatus_to_exitcode(status),
        "codes": codes,
    }


def scale(sizes: list[int], monorepo: int, rounds: int, seed: int, tmp: Path) -> list[dict]:
    from gen import generate

    fzc = str(Path(sys.executable).parent / "fzc")
    cases = []
    for n in sizes:
        path = tmp / f"scale-{n}.fz"
        path.write_text(generate(n, seed), encoding="utf-8")
        cases.append((f"one diagram, {n:,} nodes", n, [fzc, "compile", str(path)]))
    if monorepo:
        folder = tmp / "monorepo"
        folder.mkdir(exist_ok=True)
        count = max(1, monorepo // MONOREPO_NODES)
        for i in range(count):
            text = generate(MONOREPO_NODES, seed + i)
            (folder / f"d{i:04d}.fz").write_text(text, encoding="utf-8")
        label = f"folder of {count} diagrams × {MONOREPO_NODES} nodes (`-j` default)"
        cases.append((label, count * MONOREPO_NODES, [fzc, "compile", str(folder)]))
    out = []
    for label, n, argv in cases:
        runs = []
        for r in range(rounds if n <= 10_000 else 1):
            dest = tmp / f"scale-out-{n}-{r}"  # a fresh folder: nothing is up to date
            _progress(f"[scale] {label}, run {r + 1}")
            runs.append(_timed([*argv, "-o", str(dest)], tmp))
            shutil.rmtree(dest, ignore_errors=True)
        best = sorted(runs, key=lambda x: x["wall"])[len(runs) // 2]
        out.append({"label": label, "nodes": n, "runs": len(runs), **best})
    return out


def _paired(runs: dict, a: str, b: str) -> float:
    """Median over rounds of wall(a) / wall(b), each pair from the same round."""
    return statistics.median(x[0] / y[0] for x, y in zip(runs[a], runs[b], strict=True))


def cold(rounds: int, warmup: int, tmp: Path) -> dict:
    python = sys.executable
    bindir = Path(sys.executable).parent
    fzc = str(bindir / "fzc")
    base = dict(os.environ)
    cached = {k: v for k, v in base.items() if k != "PYTHONDONTWRITEBYTECODE"}
    cached["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
    sample = str(SAMPLE.relative_to(REPO))
    out = tmp / "compiled"
    compile_argv = [fzc, "compile", sample, "-o", str(out), "--force"]
    compile_label = f"`fzc compile {sample} -o OUT --force`"
    # (key, label, argv, env, baseline key): the ratio is taken against the baseline's run in
    # the same round.
    commands = [
        ("pass", "`python -c pass`", [python, "-c", "pass"], base, None),
        ("check", f"`fzc check {sample}`", [fzc, "check", sample], base, "pass"),
        ("version", "`fzc --version`", [fzc, "--version"], base, "pass"),
        ("compile", compile_label, compile_argv, base, "pass"),
    ]
    notes = []
    # The output the peers read exists before the first timed run.
    first = subprocess.run(compile_argv, capture_output=True, text=True, cwd=REPO)
    if first.returncode != 0:
        notes.append(f"`fzc compile` failed ({first.returncode}): {first.stderr.strip()[-300:]}")
    cfn_lint = bindir / "cfn-lint"
    if not cfn_lint.exists():
        notes.append(f"cfn-lint not measured: no `{cfn_lint}`")
    elif (out / "template.yaml").exists():
        tpl = str(out / "template.yaml")
        commands.append(
            ("cfn-lint", "`cfn-lint OUT/template.yaml`", [str(cfn_lint), tpl], base, "pass")
        )
    if importlib.util.find_spec("samtranslator") is None:
        notes.append("aws-sam-translator not measured: `samtranslator` is not installed")
    else:
        rel_sam = SAM_TEMPLATE.relative_to(REPO)
        argv = [python, "-c", _SAM_PEER, str(SAM_TEMPLATE), str(tmp / "sam-out.json")]
        label = f"aws-sam-translator: `{rel_sam}` → CloudFormation JSON"
        commands.append(("sam", label, argv, base, "pass"))
    fzc_pyc = importlib.util.cache_from_source(str(REPO / "fzc" / "cli.py"))
    if not os.path.exists(fzc_pyc):
        # fzc's own modules have no cached bytecode here (e.g. PYTHONDONTWRITEBYTECODE=1 with an
        # editable install), so every run compiles them; measure what a cache would save.
        commands += [
            ("pass-pyc", "`python -c pass`, bytecode cache¹", [python, "-c", "pass"], cached, None),
            (
                "check-pyc",
                f"`fzc check {sample}`, bytecode cache¹",
                [fzc, "check", sample],
                cached,
                "pass-pyc",
            ),
            ("compile-pyc", f"{compile_label}, bytecode cache¹", compile_argv, cached, "pass-pyc"),
        ]
    _progress(f"[cold] {warmup} warm-up run(s) each, then {rounds} rounds of {len(commands)}")
    spec = {
        "warmup": warmup,
        "rounds": rounds,
        "commands": [{"key": c[0], "argv": c[2], "env": c[3]} for c in commands],
    }
    proc = subprocess.run(
        [python, "-I", "-S", "-c", _DRIVER],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"cold driver failed: {proc.stderr.strip()}")
    runs = json.loads(proc.stdout)
    rows = []
    for key, label, _, _, against in commands:
        rs = runs[key]
        row = {
            "key": key,
            "label": label,
            "wall_ms": statistics.median(x[0] for x in rs) * 1e3,
            "cpu_ms": statistics.median(x[1] for x in rs) * 1e3,
            "maxrss_mib": statistics.median(x[2] for x in rs) / 1024,
            "rc": sorted({x[3] for x in rs}),
            "runs": len(rs),
            "ratio": _paired(runs, key, against) if against else None,
        }
        rows.append(row)
    targets = []
    bytecode_rows = "compile-pyc" in runs  # else fzc's own rows already read bytecode
    for label, key, other, kind, bound in TARGETS:
        if not bytecode_rows:
            if "without bytecode" in label:
                continue
            key, other = key.removesuffix("-pyc"), other.removesuffix("-pyc")
        if key not in runs or other not in runs:
            continue
        ratio = _paired(runs, key, other) if kind == "ratio" else _paired(runs, other, key)
        met = ratio <= bound if kind == "ratio" else ratio >= bound
        targets.append(
            {"label": label, "key": key, "other": other, "kind": kind, "bound": bound}
            | {"ratio": ratio, "met": met}
        )
    return {"rows": rows, "pairs": rounds, "warmup": warmup, "targets": targets, "notes": notes}


# ---------------------------------------------------------------------------------------------
# Machine description and output.


def machine() -> dict[str, str]:
    info = {"cpu": platform.processor() or platform.machine(), "mem": "?"}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["mem"] = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    info["cores"] = f"{os.cpu_count()} ({usable} usable)"
    info["python"] = f"{platform.python_implementation()} {sys.version.split()[0]}"
    build, built = platform.python_build()
    info["python_build"] = f"{build}, {' '.join(built.split())}, {platform.python_compiler()}"
    info["platform"] = platform.platform()
    from importlib.metadata import PackageNotFoundError, version

    libs = []
    for dist in ("fzc", "lark", "networkx", "click", "Jinja2", "regex"):
        try:
            libs.append(f"{dist} {version(dist)}")
        except PackageNotFoundError:
            pass
    info["libs"] = ", ".join(libs)
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "fzc"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        info["commit"] = commit + (" (fzc/ modified)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        info["commit"] = "?"
    info["bytecode"] = (
        "PYTHONDONTWRITEBYTECODE=1" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "default"
    )
    return info


def _table(headers: list[str], rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        right = [
            "---:" if all(c[:1].isdigit() or c == "–" for c in col) else "---"
            for col in zip(*rows, strict=True)
        ]
        lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(right) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join(
        [fmt.format(*headers), fmt.format(*("-" * w for w in widths))]
        + [fmt.format(*r) for r in rows]
    )


def _ms(seconds: float) -> str:
    ms = seconds * 1e3
    return f"{ms:,.0f}" if ms >= 100 else f"{ms:.1f}" if ms >= 10 else f"{ms:.2f}"


def _us(x: float) -> str:
    return f"{x:.1f}" if x < 100 else f"{x:.0f}"


def _mib(kib: float) -> str:
    return f"{kib / 1024:,.0f} MiB"


def _size(nbytes: int) -> str:
    return f"{nbytes / 1024:,.0f} KB" if nbytes < 10 * 1024**2 else f"{nbytes / 1024**2:.1f} MB"


def _stage_names(results) -> tuple[list[str], dict[str, str]]:
    """Stages timed at some size, in chain order; why the others were not."""
    names, skipped = set(), {}
    for res in results:
        for runs in res["runs"].values():
            for run in runs:
                names.update(run["times"])
                skipped.update(run["skipped"])
    order = [s.name for s in STAGES]
    return sorted(names, key=order.index), {k: v for k, v in skipped.items() if k not in names}


def _common(res: dict) -> set[str]:
    """Stages timed in every run at one size: what "total" adds up."""
    runs = [r for rs in res["runs"].values() for r in rs]
    return set.intersection(*(set(r["times"]) for r in runs)) if runs else set()


def _value(run: dict, name: str, key: str = "times") -> float | None:
    if name == "total":
        return sum(v for k, v in run[key].items() if k in run["_common"])
    return run[key].get(name)


def _median(runs: list[dict], name: str, key: str = "times") -> float | None:
    vals = [_value(r, name, key) for r in runs]
    return None if not vals or None in vals else statistics.median(vals)


def report(args, info, results, cold_res, scale_res=None) -> str:
    md = args.markdown
    out: list[str] = []

    def h(title: str) -> None:
        out.append(f"\n## {title}\n" if md else f"\n{title}\n{'=' * len(title)}\n")

    def table(headers: list[str], rows: list[list[str]]) -> None:
        if not md:
            rows = [[c.replace("**", "").replace("`", "") for c in r] for r in rows]
            headers = [c.replace("`", "") for c in headers]
        out.append(_table(headers, rows, md))

    if md:
        out.append("# fzc benchmarks\n")
        out.append(
            f"Generated by `{' '.join(['python bench/run.py', *args.argv])}`"
            + f" on {_dt.date.today().isoformat()}, commit {info['commit']}. "
            "Medians throughout; ratios are medians of per-round ratios. Absolute times hold "
            "only for this machine: quote the ratios.\n"
        )
    out.append(
        f"{'**Machine:** ' if md else 'Machine: '}{info['cpu']}, {info['cores']} cores, "
        f"{info['mem']}; {info['python']} ({info['python_build']}); {info['platform']}; "
        f"{info['libs']}; bytecode: {info['bytecode']}. "
        f"Load average (1 min) at start / end: {args.load[0]:.2f} / {args.load[1]:.2f}."
    )
    if results:
        for res in results:
            common = _common(res)
            for runs in res["runs"].values():
                for run in runs:
                    run["_common"] = common
        names, skipped = _stage_names(results)
        modes = list(results[0]["runs"])
        main = "on" if "on" in modes else modes[0]
        both = "on" in modes and "off" in modes
        h("In-process, per stage")
        out.append(
            "One fresh worker process per round and GC mode, warmed up on the sample; "
            "µs/node = stage time / nodes. "
            + " ".join(f"*{m}*: {GC_MODES[m]}." for m in modes)
            + f" gen2 = full collections during the stage ({GC_MODES[main]}); a full "
            "collection walks the whole heap and is charged to whichever stage triggers it, "
            "so single GC-on rows jump between sizes: compare the totals.\n"
        )
        headers = ["nodes", "source", "stage"]
        for m in modes:
            headers += [f"ms ({m})", f"µs/node ({m})"]
        headers += ["off/on"] if both else []
        headers.append("gen2")
        rows = []
        per_node: dict[str, dict[str, dict[int, float]]] = {m: {} for m in modes}
        notes = []
        for res in results:
            n = res["nodes"]
            for name in [*names, "total"]:
                if _median(res["runs"][main], name) is None:
                    continue
                row = [f"{n:,}", _size(res["bytes"]), name if name != "total" else "**total**"]
                for m in modes:
                    med = _median(res["runs"][m], name)
                    row += ["–", "–"] if med is None else [_ms(med), _us(med / n * 1e6)]
                    if med is not None:
                        per_node[m].setdefault(name, {})[n] = med / n * 1e6
                if both:
                    pairs = zip(res["runs"]["off"], res["runs"]["on"], strict=False)
                    ratios = [
                        _value(a, name) / _value(b, name)
                        for a, b in pairs
                        if _value(a, name) and _value(b, name)
                    ]
                    row.append(f"{statistics.median(ratios):.2f}" if ratios else "–")
                row.append(f"{_median(res['runs'][main], name, 'gen2'):.0f}")
                rows.append(row)
            for name, predicted in res["over"].items():
                notes.append(
                    f"{name} and later stages skipped at {n:,} nodes: predicted "
                    f"{predicted:,.0f} s per run from the smaller sizes, over the "
                    f"{args.budget:g} s budget (`--budget`)"
                )
            for run in (r for runs in res["runs"].values() for r in runs):
                for name, why in run["failed"].items():
                    note = f"{name} failed at {n:,} nodes: {why}"
                    if note not in notes:
                        notes.append(note)
        table(headers, rows)
        notes += [f"{k} not measured ({v})" for k, v in skipped.items()]
        if notes:
            out.append("\n" + "".join(f"* {note}.\n" for note in notes).rstrip())
        all_runs = [r for res in results for rs in res["runs"].values() for r in rs]
        wall = sum(sum(r["times"].values()) for r in all_runs)
        cpu = sum(sum(r["cpu"].values()) for r in all_runs)
        if wall > 0:
            out.append(
                f"\nCPU time / wall time over all timed stages: {cpu / wall:.2f} (near 1: the "
                "workers had a core to themselves; lower: other load on the machine)."
            )
        diag = {f"{r['nodes']:,}": r["runs"][main][0]["diagnostics"] for r in results}
        out.append(
            "\nDiagnostics on the generated diagrams: "
            + "; ".join(
                f"{k}: " + (", ".join(f"{c} {lvl}" for lvl, c in v.items()) or "none")
                for k, v in diag.items()
            )
            + ". Rounds per GC mode: "
            + ", ".join(f"{r['nodes']:,}: {len(r['runs'][main])}" for r in results)
            + "."
        )

        everywhere = set.intersection(*(_common(res) for res in results))
        for m in modes:
            per_node[m]["total"] = {}
            for res in results:
                vals = [
                    sum(v for k, v in r["times"].items() if k in everywhere) for r in res["runs"][m]
                ]
                per_node[m]["total"][res["nodes"]] = statistics.median(vals) / res["nodes"] * 1e6

        if len(results) > 1:
            h(f"Scaling (µs/node, {GC_MODES[main]})")
            ns = [r["nodes"] for r in results]
            out.append(
                "Growth of the cost per node from the smallest to the largest size at which "
                "the stage ran: near 1 is linear, above about 1.3 superlinear. *total* adds "
                "the stages that ran at every size.\n"
            )
            rows = []
            for name in [*names, "total"]:
                v = per_node[main].get(name, {})
                row = [name, *(_us(v[n]) if n in v else "–" for n in ns)]
                for m in modes:
                    w = per_node[m].get(name, {})
                    have = [n for n in ns if n in w]
                    row.append(f"{w[have[-1]] / w[have[0]]:.2f}×" if len(have) > 1 else "–")
                rows.append(row)
            table(["stage", *(f"{n:,}" for n in ns), *(f"growth ({m})" for m in modes)], rows)

        h("Peak memory (ru_maxrss of the worker)")
        out.append(
            f"{GC_MODES[main]}. *before*: after imports, the warm-up on the sample and reading "
            "the source; *after X*: the peak so far once stage X has run; KiB/node = "
            "(peak - before) / nodes"
            + ("; the last columns give the peak in the other GC modes." if len(modes) > 1 else ".")
            + "\n"
        )
        others = [m for m in modes if m != main]
        headers = ["nodes", "before", *(f"after {x}" for x in names), "KiB/node"]
        headers += [f"peak ({m})" for m in others]
        rows = []
        for res in results:
            n, runs = res["nodes"], res["runs"][main]
            before = statistics.median(r["rss_before_kib"] for r in runs)
            peak = statistics.median(r["rss_peak_kib"] for r in runs)
            row = [f"{n:,}", _mib(before)]
            for x in names:
                vals = [r.get("rss_after_kib", {}).get(x) for r in runs]
                row.append("–" if None in vals else _mib(statistics.median(vals)))
            row.append(f"{(peak - before) / n:.1f}")
            for m in others:
                row.append(_mib(statistics.median(r["rss_peak_kib"] for r in res["runs"][m])))
            rows.append(row)
        table(headers, rows)

        h("First call in a process (the sample, in-process)")
        out.append(
            "*import*: importing the stage's module (modules shared with earlier stages are "
            "charged to the first); *first call*: the stage on the 4-lane sample right after "
            "(this compiles the parser's patterns, imports networkx and Jinja).\n"
        )
        first = [run for res in results for runs in res["runs"].values() for run in runs]
        rows = []
        for name in names:
            imp = statistics.median(r["import_ms"].get(name, 0.0) for r in first)
            call = statistics.median(r["first_call_ms"].get(name, 0.0) for r in first)
            rows.append([name, f"{imp:.1f}", f"{call:.1f}"])
        table(["stage", "import ms", "first call ms"], rows)

    if scale_res:
        h("Scale: `fzc compile`, cold, whole process")
        out.append(
            "Median of 3 runs (1 at 100k) into a fresh output folder; peak RSS of the process. "
            "A generated diagram past about 185 nodes exceeds CloudFormation's 500 resources "
            "per stack, so one big diagram ends in the quota errors listed (exit 1, nothing "
            "written) after parsing and checking all of it: once the planner has allocated "
            "ids, its nodes alone are over 500 resources, so it stops there (the in-process "
            "rows plan such diagrams in full); a folder of diagrams that each fit compiles "
            "to one stack per diagram.\n"
        )
        rows = []
        for r in scale_res:
            rows.append(
                [
                    r["label"],
                    f"{r['wall']:.2f}",
                    f"{r['wall'] / r['nodes'] * 1e6:.0f}",
                    f"{r['maxrss_mib']:.0f}",
                    str(r["rc"]),
                    ", ".join(r["codes"]) or "–",
                ]
            )
        table(["compile", "wall s", "µs/node", "peak RSS MiB", "exit", "errors"], rows)
        rows = []
        for r in scale_res:
            bound = SCALE_TARGETS.get(r["nodes"])
            if bound is None or not r["label"].startswith("one diagram"):
                continue
            met = r["wall"] < bound
            rows.append([f"{r['nodes']:,} nodes < {bound:g} s", f"{r['wall']:.2f} s", met])
            if r["nodes"] == 100_000:
                rows.append(
                    [
                        f"100,000 nodes within {SCALE_MEMORY_MIB} MiB",
                        f"{r['maxrss_mib']:.0f} MiB",
                        r["maxrss_mib"] <= SCALE_MEMORY_MIB,
                    ]
                )
        if rows:
            out.append("")
            table(
                ["target", "measured", "result"],
                [[a, b, "met" if ok else "**missed**"] for a, b, ok in rows],
            )

    if cold_res:
        h("Cold processes")
        out.append(
            f"{cold_res['warmup']} warm-up run(s) per command, then {cold_res['pairs']} rounds "
            "running every command once, in rotated order; ratio = median over rounds of "
            "wall / wall of `python -c pass` in the same round (and environment).\n"
        )
        rows = []
        for row in cold_res["rows"]:
            rows.append(
                [
                    row["label"],
                    f"{row['wall_ms']:.1f}",
                    f"{row['cpu_ms']:.1f}",
                    f"{row['maxrss_mib']:.0f}",
                    f"{row['ratio']:.2f}×" if row["ratio"] else "1",
                    ",".join(map(str, row["rc"])),
                ]
            )
        table(["command", "wall ms", "CPU ms", "peak RSS MiB", "vs `python -c pass`", "exit"], rows)
        if cold_res.get("targets"):
            h("Targets (cold, side by side)")
            out.append(
                "Each figure is the median over the rounds above of a ratio of two runs from the "
                "same round. *× pass*: wall / wall of `python -c pass`; *× faster*: the peer's "
                "wall / the wall of `fzc compile`. The peers: cfn-lint validating the template "
                "`fzc compile` wrote; aws-sam-translator transforming a hand-written SAM "
                "template of the same flagship (the nearest peer: a high-level description "
                "compiled to CloudFormation) offline, as fzc runs it (fixed region, no "
                "managed-policy lookup), writing its output (boto3 import included).\n"
            )
            rows = []
            for t in cold_res["targets"]:
                unit = "× pass" if t["kind"] == "ratio" else "× faster"
                bound = ("≤ " if t["kind"] == "ratio" else "≥ ") + f"{t['bound']:g}{unit}"
                met = "met" if t["met"] else "**missed**"
                rows.append([t["label"], f"{t['ratio']:.2f}{unit}", bound, met])
            table(["target", "measured", "bound", "result"], rows)
        for note in cold_res.get("notes", ()):
            out.append(f"\n* {note}.")
        if any(r["key"].endswith("-pyc") for r in cold_res["rows"]):
            out.append(
                "\n¹ fzc's own modules have no cached bytecode here (editable install, "
                "`PYTHONDONTWRITEBYTECODE=1`), so each run compiles them from source; these rows "
                "run with `PYTHONPYCACHEPREFIX` pointing to a warmed cache, as fzc runs once "
                "installed (pip compiles bytecode at install, as it did for networkx, cfn-lint "
                "and aws-sam-translator here). The targets are judged on these rows.\n\n"
                "² The same runs with fzc compiling its own sources every time (the peers still "
                "read their bytecode): shown for completeness, not like for like."
            )
    return "\n".join(out).rstrip() + "\n"


def _sizes(text: str) -> list[int]:
    out = []
    for part in text.split(","):
        part = part.strip().lower().replace("_", "")
        mult = 1_000 if part.endswith("k") else 1
        out.append(int(float(part.rstrip("k")) * mult))
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--sizes", type=_sizes, default=None, help="node counts (default 100,1k,10k,100k)"
    )
    ap.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="in-process rounds per size and GC mode (default 7 up to 10k, 3 above)",
    )
    ap.add_argument("--pairs", type=int, default=None, help="cold rounds (default 20)")
    ap.add_argument("--warmup", type=int, default=None, help="cold warm-up runs (default 2)")
    ap.add_argument("--gc", default="on,off", help="GC modes to compare: on, off (default both)")
    ap.add_argument("--seed", type=int, default=0, help="generator seed")
    ap.add_argument("--quick", action="store_true", help="CI smoke: 100,1k nodes, few repeats")
    ap.add_argument("--markdown", action="store_true", help="print Markdown for the README")
    ap.add_argument("--no-cold", action="store_true", help="skip the cold-process runs")
    ap.add_argument("--no-inprocess", action="store_true", help="skip the in-process runs")
    ap.add_argument(
        "--scale",
        type=_sizes,
        default=None,
        help="one-diagram cold compiles (default 10k,100k; none with --quick; 0 skips)",
    )
    ap.add_argument(
        "--monorepo",
        type=_sizes,
        default=None,
        help="nodes of the folder-of-diagrams cold compile (default 10k; 0 skips)",
    )
    ap.add_argument("--json", type=Path, help="also write the raw measurements here")
    ap.add_argument(
        "--budget",
        type=float,
        default=None,
        help="seconds one stage may take in one run: a stage predicted (from its growth at the "
        "smaller sizes) to take longer is skipped at that size, one that does is stopped; the "
        "stages after it are skipped too (default 120, 15 with --quick; 0 disables)",
    )
    ap.add_argument(
        "--mem-limit",
        type=int,
        default=4096,
        help="address-space limit of each worker in MiB (default 4096; 0 disables)",
    )
    ap.add_argument("--from-json", type=Path, help="only print the report of a saved --json")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--stop", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    args.argv = argv
    modes = [m.strip() for m in args.gc.split(",") if m.strip()]
    if not modes or any(m not in GC_MODES for m in modes):
        ap.error(f"--gc takes a comma-separated subset of {', '.join(GC_MODES)}")

    if args.budget is None:
        args.budget = 15.0 if args.quick else 120.0
    if args.worker:
        print(json.dumps(worker(args.worker, modes[0], args.stop, args.budget, args.mem_limit)))
        return 0

    if args.quick:
        sizes, repeat, pairs, warmup = [100, 1_000], 2, 5, 1
    else:
        sizes, repeat, pairs, warmup = [100, 1_000, 10_000, 100_000], None, 20, 2
    sizes = args.sizes or sizes
    repeat = args.repeat if args.repeat is not None else repeat
    pairs = args.pairs if args.pairs is not None else pairs
    warmup = args.warmup if args.warmup is not None else warmup

    if args.from_json:
        saved = json.loads(args.from_json.read_text())
        info, results, cold_res = saved["machine"], saved["in_process"], saved["cold"]
        scale_res = saved.get("scale")
        args.load, args.budget, args.argv = saved["load"], saved["budget"], saved["argv"]
    else:
        info = machine()
        load_start = os.getloadavg()[0]
        with tempfile.TemporaryDirectory(prefix="fzc-bench-") as tmp:
            results = (
                []
                if args.no_inprocess
                else in_process(
                    sizes, modes, repeat, args.seed, args.budget, args.mem_limit, Path(tmp)
                )
            )
            cold_res = None if args.no_cold else cold(pairs, warmup, Path(tmp))
            big = [n for n in (args.scale or ([] if args.quick else [10_000, 100_000])) if n]
            mono = (args.monorepo or [0 if args.quick else 10_000])[0]
            scale_res = scale(big, mono, 3, args.seed, Path(tmp)) if big or mono else None
        args.load = (load_start, os.getloadavg()[0])
    if args.json:
        saved = {
            "machine": info,
            "in_process": results,
            "cold": cold_res,
            "scale": scale_res,
            "load": args.load,
            "budget": args.budget,
            "argv": args.argv,
        }
        args.json.write_text(json.dumps(saved, indent=1))
    sys.stdout.write(report(args, info, results, cold_res, scale_res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
