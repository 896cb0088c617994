"""`fzc watch`: a save recompiles; an invalid save is reported and changes nothing."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from golden import REPO

from fzc.commands.compile import Settings
from fzc.commands.watch import Watcher, watch

FLAGSHIP = (REPO / "samples" / "event_processing.fz").read_text(encoding="utf-8")
GROWN = FLAGSHIP.replace(
    'n17: rectangle label:"SQS Dead Letter Queue"\n',
    'n17: rectangle label:"SQS Dead Letter Queue"\nn18: rectangle label:"Audit Lambda"\n'
    'n16.handle(right) -> n18.handle(left) [label="Audit"]\n',
)
BROKEN = GROWN.replace('n18: rectangle label:"Audit Lambda"', 'n18: rectangle label:"Audit')


def _snapshot(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def _until(predicate, timeout: float = 15.0, retry=None) -> None:
    """Wait for `predicate`; call `retry` every second meanwhile (a write made before the
    watcher was listening is made again)."""
    end = time.monotonic() + timeout
    next_retry = time.monotonic() + 1.0
    while not predicate():
        assert time.monotonic() < end, "timed out"
        if retry is not None and time.monotonic() > next_retry:
            retry()
            next_retry = time.monotonic() + 1.0
        time.sleep(0.02)


@pytest.fixture
def watching(tmp_path: Path):
    diagram = tmp_path / "src" / "flow.fz"
    diagram.parent.mkdir()
    diagram.write_text(FLAGSHIP, encoding="utf-8")
    out = tmp_path / "out"
    watcher = Watcher((str(diagram),), str(out), Settings())
    assert watcher.compile_all() == 0
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, kwargs={"quiet_ms": 50, "stop": stop})
    thread.start()
    yield diagram, out, watcher
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()


def _save(path: Path, text: str):
    def write():
        path.write_text(text, encoding="utf-8")

    write()
    return write


def test_a_save_recompiles(watching):
    diagram, out, watcher = watching
    assert "AuditLambda" not in (out / "template.yaml").read_text(encoding="utf-8")
    write = _save(diagram, GROWN)
    _until(
        lambda: "AuditLambda" in (out / "template.yaml").read_text(encoding="utf-8"), retry=write
    )


def test_an_invalid_save_is_reported_and_leaves_out_alone(watching, capsys):
    diagram, out, watcher = watching
    before = _snapshot(out)
    count = watcher.compiles
    write = _save(diagram, BROKEN)
    _until(lambda: watcher.compiles > count, retry=write)
    time.sleep(0.2)
    err = capsys.readouterr().err
    assert "FZ0002" in err and "not compiled" in err
    assert _snapshot(out) == before
    write = _save(diagram, GROWN)  # the watcher is still there
    _until(
        lambda: "AuditLambda" in (out / "template.yaml").read_text(encoding="utf-8"), retry=write
    )


def test_a_burst_of_saves_is_one_compile(watching):
    diagram, out, watcher = watching
    count = watcher.compiles

    def burst():
        for text in (BROKEN, FLAGSHIP, BROKEN, GROWN):
            diagram.write_text(text, encoding="utf-8")

    burst()
    _until(
        lambda: "AuditLambda" in (out / "template.yaml").read_text(encoding="utf-8"), retry=burst
    )
    time.sleep(0.3)
    assert watcher.compiles - count <= 2  # one per burst (a retry may add one)


def test_once(tmp_path: Path):
    (tmp_path / "a.fz").write_text(FLAGSHIP, encoding="utf-8")
    (tmp_path / "b.fz").write_text(GROWN, encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(watch, [str(tmp_path), "-o", str(out), "--once"])
    assert result.exit_code == 0, result.output
    assert (out / "a" / "template.yaml").exists() and (out / "b" / "template.yaml").exists()
    (tmp_path / "b.fz").write_text(BROKEN, encoding="utf-8")
    before = _snapshot(out)
    result = CliRunner().invoke(watch, [str(tmp_path), "-o", str(out), "--once"])
    assert result.exit_code == 1 and "FZ0002" in result.output and "Traceback" not in result.output
    assert _snapshot(out) == before
