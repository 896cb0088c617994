"""Same input, same bytes: fresh processes with different PYTHONHASHSEED values agree.

Catches iteration over sets and other hash-ordered containers anywhere in the pipeline.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import FLAGSHIP, REPO, corpus_files, rel

SEEDS = ("0", "1", "4242")
FILES = [rel(p) for p in [FLAGSHIP, *corpus_files()]]


def _fzc(seed: str, *args: str) -> tuple[int, bytes, bytes]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    env.pop("FZC_ACCEPT", None)
    proc = subprocess.run(
        [sys.executable, "-m", "fzc", *args], cwd=REPO, env=env, capture_output=True, timeout=120
    )
    return proc.returncode, proc.stdout, proc.stderr


def _all_seeds(*args: str) -> list[tuple[int, bytes, bytes]]:
    with ThreadPoolExecutor(max_workers=len(SEEDS)) as pool:
        return list(pool.map(lambda seed: _fzc(seed, *args), SEEDS))


@pytest.mark.parametrize("fmt", ["json", "full", "concise"])
def test_check_is_deterministic(fmt):
    runs = _all_seeds("check", "--format", fmt, *FILES)
    code, out, err = runs[0]
    assert code == 1, err  # the corpus holds invalid files
    assert out and not err
    for other in runs[1:]:
        assert other == runs[0]


def test_parse_is_deterministic():
    def both(path: str):
        return [_fzc(seed, "parse", path, "--json") for seed in SEEDS[:2]]

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = dict(zip(FILES, pool.map(both, FILES), strict=True))
    for path, (first, second) in results.items():
        assert first == second, f"{path}: output depends on PYTHONHASHSEED"
        assert first[0] in (0, 1) and first[1].startswith(b"{"), path
