"""Shared test helpers: golden files, the FlowZap corpus, running the CLI in-process.

Goldens: `golden(actual, path)` compares text with a file and shows a unified diff;
`FZC_ACCEPT=1 pytest` rewrites the files instead (then review `git diff`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from golden import REPO, check

SHARED = REPO.parent / "shared"  # CI clones the repo next to `shared/`
SHARED_CORPUS = SHARED / "flowzap" / "corpus"
LOCAL_CORPUS = REPO / "tests" / "corpus"  # verbatim copy (MIT, flowzap-mcp), always present
FLAGSHIP = REPO / "samples" / "event_processing.fz"


def corpus_path() -> Path:
    """The FlowZap corpus: the in-repo copy, or `../shared/flowzap/corpus` if it is missing."""
    return LOCAL_CORPUS if LOCAL_CORPUS.is_dir() else SHARED_CORPUS


def corpus_files() -> list[Path]:
    return sorted(corpus_path().glob("*.fz"))


def rel(path: Path) -> str:
    """`path` relative to the repo root, with `/`: what goldens show, on any machine."""
    return path.resolve().relative_to(REPO).as_posix()


def run_cli(*args: str, cwd: Path = REPO):
    """`fzc ARGS` in-process from `cwd` (the repo root unless given); returns click's
    `Result` (exit code, output)."""
    from fzc.cli import cli

    before = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, list(args), prog_name="fzc", catch_exceptions=True)
    finally:
        os.chdir(before)


def fresh_python(code: str) -> dict:
    """Run `code` in a new interpreter from the repo root; the JSON object on its last line
    (what import guards read: a fresh process shows what a command really loads)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture
def golden():
    """`golden(actual, path)`: assert equality with the file, or rewrite it (FZC_ACCEPT=1)."""
    return check


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    path = corpus_path()
    if not path.is_dir():
        pytest.skip("no FlowZap corpus (tests/corpus or ../shared/flowzap/corpus)")
    return path


@pytest.fixture(scope="session")
def shared_corpus_dir() -> Path:
    if not SHARED_CORPUS.is_dir():
        pytest.skip(f"{SHARED_CORPUS} is not present")
    return SHARED_CORPUS
