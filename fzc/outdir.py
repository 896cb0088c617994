"""The filesystem side of `fzc compile` (called by the CLI only): write artifacts under one
output folder, atomically per file, rewriting only what changed and never a user's file.

A manifest (`.fzc/manifest.json`) records the generated files and their hashes, so a later
compile can remove what the diagram no longer produces, without touching hand-edited files.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path, PurePosixPath

from fzc.backends import Artifact

MANIFEST = ".fzc/manifest.json"


@cache
def _umask() -> int:
    """The process umask (read by setting it, so once, on the first write, not at import)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class UnsafePath(ValueError):
    """An artifact path that would land outside the output folder."""


@dataclass
class Report:
    """What one write under the output folder did, file by file (the CLI sums it up)."""

    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # user-owned files left as the user has them
    removed: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)  # stale generated files the user edited


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _checked(rel: str) -> PurePosixPath:
    p = PurePosixPath(rel)
    if (
        p.is_absolute()
        or not p.parts
        or any(part in ("..", "") for part in p.parts)
        or "\\" in rel
        or "\x00" in rel
    ):
        raise UnsafePath(rel)
    return p


class _Targets:
    """`target` for the many files of one folder: the folder and each parent are resolved
    once (re-resolving them cost ~18 stat calls per file)."""

    def __init__(self, out: Path) -> None:
        self.out, self.root = out, out.resolve()
        self.safe: dict[Path, bool] = {}
        self.made: set[Path] = set()

    def __call__(self, rel: str) -> Path:
        path = self.out.joinpath(*_checked(rel).parts)
        ok = self.safe.get(path.parent)
        if ok is None:
            parent = path.parent.resolve()
            ok = self.safe[path.parent] = parent == self.root or self.root in parent.parents
        if not ok:
            raise UnsafePath(rel)
        return path

    def mkdir(self, folder: Path) -> None:
        if folder not in self.made:
            folder.mkdir(parents=True, exist_ok=True)
            self.made.add(folder)


def target(out: Path, rel: str) -> Path:
    """`out / rel`, refusing absolute paths, `..`, and symlinks that leave `out`."""
    return _Targets(out)(rel)


def _atomic_write(path: Path, data: bytes, targets: _Targets | None = None) -> None:
    if targets is None:
        path.parent.mkdir(parents=True, exist_ok=True)
    else:
        targets.mkdir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".fzc-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; outputs are ordinary files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_manifest(out: Path) -> dict:
    try:
        return json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def fresh(out: Path, stamp: dict) -> bool:
    """True when `out` holds a complete, unedited compile made from exactly `stamp`."""
    old = read_manifest(out)
    if not old or any(old.get(k) != v for k, v in stamp.items()):
        return False
    for rel, digest in old.get("files", {}).items():
        try:
            if _digest(target(out, rel).read_bytes()) != digest:
                return False
        except (UnsafePath, OSError):
            return False
    return True


def _remove_stale(out: Path, old: dict, now: set[str], report: Report) -> None:
    for rel, digest in sorted(old.get("files", {}).items()):
        if rel in now:
            continue
        try:
            path = target(out, rel)
            data = path.read_bytes()
        except (UnsafePath, OSError):
            continue
        if _digest(data) == digest:
            path.unlink()
            report.removed.append(rel)
        else:
            report.left.append(rel)


def write(out: Path, artifacts: list[Artifact], stamp: dict) -> Report:
    """Write `artifacts` under `out`. All paths are checked before anything is written."""
    out.mkdir(parents=True, exist_ok=True)
    targets = _Targets(out)
    planned = [(a, targets(a.path), a.content.encode("utf-8")) for a in artifacts]
    old = read_manifest(out)
    report = Report()
    files: dict[str, str] = {}
    for art, path, data in planned:
        exists = path.exists()
        if art.user_owned:
            (report.kept if exists else report.written).append(art.path)
            if not exists:
                _atomic_write(path, data, targets)
            continue
        files[art.path] = _digest(data)
        if exists and path.read_bytes() == data:
            report.unchanged.append(art.path)
            continue
        _atomic_write(path, data, targets)
        report.written.append(art.path)
    _remove_stale(out, old, set(files), report)
    manifest = {**stamp, "files": dict(sorted(files.items()))}
    data = (json.dumps(manifest, indent=2) + "\n").encode()
    path = out / MANIFEST
    if not path.exists() or path.read_bytes() != data:  # an unchanged compile touches nothing
        _atomic_write(path, data)
    return report
