"""`fzc compile`: atomic output folders, hand edits, stale files, up-to-date skips, -j."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from golden import REPO

from fzc import outdir
from fzc.backends import Artifact
from fzc.cli import cli

FLAGSHIP = REPO / "samples" / "event_processing.fz"


def _run(*args: str):
    return CliRunner().invoke(cli, ["compile", *args], catch_exceptions=False)


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_failed_compile_leaves_out_as_it_was(tmp_path):
    out = tmp_path / "out"
    assert _run(str(FLAGSHIP), "-o", str(out)).exit_code == 0
    before = _tree(out)
    bad = tmp_path / "bad.fz"
    bad.write_text(FLAGSHIP.read_text() + 'n99: rectangle label:"oops\n', encoding="utf-8")
    result = _run(str(bad), "-o", str(out))
    assert result.exit_code == 1
    assert _tree(out) == before


def test_up_to_date_and_force(tmp_path):
    out = tmp_path / "out"
    _run(str(FLAGSHIP), "-o", str(out))
    before = {p: os.stat(out / p).st_mtime_ns for p in _tree(out)}
    again = _run(str(FLAGSHIP), "-o", str(out))
    assert "up to date" in again.output
    forced = _run(str(FLAGSHIP), "-o", str(out), "--force")
    assert " 0 written" in forced.output
    assert {p: os.stat(out / p).st_mtime_ns for p in _tree(out)} == before


def test_hand_edits_survive_and_stale_files_go(tmp_path):
    src = tmp_path / "d.fz"
    src.write_text(FLAGSHIP.read_text(), encoding="utf-8")
    out = tmp_path / "out"
    _run(str(src), "-o", str(out))
    handler = out / "functions" / "batch-job-lambda" / "handler.py"
    handler.write_text(handler.read_text() + "\n# my edit\n", encoding="utf-8")
    # drop n8 "Batch Job Lambda" and its edges: its generated files go, the edited one stays
    text = "\n".join(line for line in src.read_text().splitlines() if "n8" not in line) + "\n"
    src.write_text(text, encoding="utf-8")
    result = _run(str(src), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert handler.read_text().endswith("# my edit\n")
    assert not (out / "functions" / "batch-job-lambda" / "_wiring.py").exists()
    assert "removed" in result.output


def test_parallel_equals_serial(tmp_path):
    folder = tmp_path / "diagrams"
    folder.mkdir()
    for p in [FLAGSHIP, *sorted((REPO / "tests" / "corpus").glob("flowzap-mcp__*.fz"))[:4]]:
        (folder / p.name).write_bytes(p.read_bytes())
    assert _run(str(folder), "-o", str(tmp_path / "a"), "-j", "1").exit_code == 0
    assert _run(str(folder), "-o", str(tmp_path / "b"), "-j", "2").exit_code == 0
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")
    assert len(list((tmp_path / "a").iterdir())) == 5


def test_output_is_deterministic(tmp_path):
    _run(str(FLAGSHIP), "-o", str(tmp_path / "a"))
    _run(str(FLAGSHIP), "-o", str(tmp_path / "b"))
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")


@pytest.mark.parametrize("rel", ["../x", "/etc/passwd", "a/../../x", "", "a\\..\\x", "a\x00b"])
def test_unsafe_paths_are_refused(tmp_path, rel):
    with pytest.raises(outdir.UnsafePath):
        outdir.write(tmp_path / "out", [Artifact(rel, "x")], {})
    assert not (tmp_path / "x").exists()


def test_symlink_escape_is_refused(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (out / "functions").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(outdir.UnsafePath):
        outdir.write(out, [Artifact("functions/a.py", "x")], {})
    assert not any((tmp_path / "elsewhere").iterdir())


def test_hostile_labels_write_only_inside_out(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    result = _run(str(REPO / "tests" / "cfn" / "hostile.fz"), "-o", str(root / "out"))
    assert result.exit_code == 0, result.output
    assert [p.name for p in root.iterdir()] == ["out"]
    assert all(".." not in p for p in _tree(root / "out"))
