"""Helpers for tests that compile diagrams and judge the templates with real tools."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from fzc.backends import Options, emit_all
from fzc.pipeline import analyze
from fzc.source import Source


def compile_text(path: str, text: str, options: Options | None = None) -> dict[str, str]:
    a = analyze(Source(path, text))
    assert a.plan is not None and a.ok, [d.message for d in a.diagnostics if d.is_error]
    return {art.path: art.content for art in emit_all(a.plan, options or Options())}


def compile_file(path: Path, repo: Path, options: Options | None = None) -> dict[str, str]:
    rel = path.relative_to(repo).as_posix() if path.is_relative_to(repo) else path.name
    return compile_text(rel, path.read_text(encoding="utf-8"), options)


def load_template(files: dict[str, str]) -> dict:
    """The template among `files`, read by fzc's own reader (long-form intrinsics)."""
    from fzc.drift.template import parse

    return parse(files.get("template.json") or files["template.yaml"])


def write(files: dict[str, str], out: Path) -> None:
    for rel, content in files.items():
        p = out / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(content, encoding="utf-8")


def package(template: dict, out: Path, s3, bucket: str) -> dict:
    """What `aws cloudformation package` does: zip each function folder into S3."""
    s3.create_bucket(Bucket=bucket)
    for res in template["Resources"].values():
        code = res.get("Properties", {}).get("Code")
        if res["Type"] == "AWS::Lambda::Function" and isinstance(code, str):
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as zf:
                for f in sorted((out / code).rglob("*.py")):
                    zf.write(f, f.relative_to(out / code).as_posix())
            key = code.replace("/", "-") + ".zip"
            s3.put_object(Bucket=bucket, Key=key, Body=buf.getvalue())
            res["Properties"]["Code"] = {"S3Bucket": bucket, "S3Key": key}
    return template
